#!/bin/sh
# config-check.sh: TAP test that the configuration checks load the gateway
# plugins: `portalctl config check` and `portald -t` validate every
# practice's gateway: block against its plugin's key table, pass a good
# one, and refuse a misspelt key, a missing required key and an unknown
# plugin, naming FILE:LINE:COL.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/portal-gw-confcheck.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
n=0
t() { # t STATUS NAME [OUTPUT]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /' | tail -n 20
	fi
}

chmod 700 "$tmp"
mkdir "$tmp/plugins" "$tmp/clinicians"
cp "$top_builddir/gateways/sandbox/.libs/sandbox.so" "$tmp/plugins/" &&
	chmod 644 "$tmp/plugins/sandbox.so" || {
	echo "Bail out! sandbox.so not built"
	exit 1
}
head -c 32 /dev/urandom >"$tmp/secret.key"
chmod 0600 "$tmp/secret.key"
cat >"$tmp/portal.yaml" <<EOT
listen:
  socket: $tmp/portald.sock
database:
  socket: $tmp/no-such-mysqld.sock
  user: portal
  name: portal
base_url: https://portal.example.org
secret_key_file: $tmp/secret.key
paths:
  templates: $(cd "$top_srcdir" && pwd)/www/templates
  clinicians: $tmp/clinicians
  plugins: $tmp/plugins
EOT
# practice GATEWAY_LINES...: lakeside.yaml, the demo practice with that
# gateway: block (its "gateway:" line is line 1 of the block's file part).
head=$(grep -v '^ *#' "$top_srcdir/config/clinicians/demo.yaml" |
	grep -v '^$' | sed '/^gateway:/,$d')
gwline=$(($(printf '%s\n' "$head" | wc -l) + 1))
practice() {
	{
		printf '%s\ngateway:\n' "$head"
		printf '%s\n' "$@"
	} >"$tmp/clinicians/lakeside.yaml"
}
portalctl="$top_builddir/portalctl"
portald="$top_builddir/portald"

practice "  plugin: sandbox" "  api_base: http://127.0.0.1:8787" \
	"  publishable_key: pk_test_sandbox" "  secret_key_env: SANDBOX_SECRET_KEY"
out=$("$portalctl" -c "$tmp/portal.yaml" config check 2>&1)
t $? "portalctl config check passes a good gateway: block" "$out"

# The misspelt key is on the block's third line.
practice "  plugin: sandbox" "  api_base: http://127.0.0.1:8787" \
	"  publishable_kye: pk_test_sandbox" "  secret_key_env: SANDBOX_SECRET_KEY"
out=$("$portalctl" -c "$tmp/portal.yaml" config check 2>&1)
rc=$?
[ $rc -ne 0 ]
t $? "portalctl config check exits non-zero on a misspelt gateway key (status $rc)" "$out"
printf '%s\n' "$out" | grep -q "^$tmp/clinicians/lakeside.yaml:$((gwline + 3)):[0-9]*: .*publishable_kye.*did you mean \"publishable_key\""
t $? "... naming lakeside.yaml:$((gwline + 3)):COL, the key and the right spelling" "$out"
printf '%s\n' "$out" | grep -q "lakeside.yaml:$gwline:1: gateway: plugin sandbox requires key \"publishable_key\""
t $? "... and the required key now missing, at the gateway: line" "$out"

out=$("$portald" -t -c "$tmp/portal.yaml" 2>&1)
rc=$?
[ $rc -ne 0 ] && printf '%s\n' "$out" | grep -q "lakeside.yaml:$((gwline + 3)):[0-9]*: .*publishable_kye"
t $? "portald -t refuses it too, naming lakeside.yaml:$((gwline + 3)) (status $rc)" "$out"

practice "  plugin: sandbx" "  api_base: http://127.0.0.1:8787"
out=$("$portalctl" -c "$tmp/portal.yaml" config check 2>&1)
rc=$?
[ $rc -ne 0 ] && printf '%s\n' "$out" | grep -q "lakeside.yaml:$((gwline + 1)):[0-9]*: gateway.plugin: .*sandbx"
t $? "an unknown plugin is reported at its plugin: line (status $rc)" "$out"

practice "  plugin: sandbox" "  api_base: http://127.0.0.1:8787" \
	"  publishable_key: pk_test_sandbox" "  secret_key_env: SANDBOX_SECRET_KEY" \
	"  csp_frame_src: javascript:alert(1)"
out=$("$portalctl" -c "$tmp/portal.yaml" config check 2>&1)
rc=$?
[ $rc -eq 0 ]
t $? "the key table check alone accepts a csp_ value (init validates origins)" "$out"

# portald's usage, as portald(8)'s EXIT STATUS says: help on stdout and 0,
# a usage error on stderr and 2.
out=$("$portald" --help 2>/dev/null)
rc=$?
[ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q '^usage: portald '
t $? "portald --help prints the usage on stdout and exits 0 (status $rc)" "$out"
out=$("$portald" -h 2>/dev/null)
rc=$?
[ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q '^usage: portald '
t $? "portald -h does the same (status $rc)" "$out"
out=$("$portald" -Q 2>&1 >/dev/null)
rc=$?
[ $rc -eq 2 ] && printf '%s\n' "$out" | grep -q '^usage: portald '
t $? "portald with an unknown option prints the usage on stderr and exits 2 (status $rc)" "$out"
out=$("$portald" -t stray 2>&1 >/dev/null)
rc=$?
[ $rc -eq 2 ]
t $? "portald with a stray argument exits 2 (status $rc)" "$out"

# The EXAMPLES of portal.yaml(5), its portal.yaml and its Stripe practice,
# pass the check they document, once their /etc/portal paths are moved
# here and the files they name exist.
ex=$tmp/man-example
mkdir -p "$ex/clinicians" "$ex/plugins"
awk -v dir="$ex" '/^\.Bd -literal/ { n++; f = n == 2 ? dir "/portal.yaml" : n == 3 ? dir "/clinicians/lakeside.yaml" : ""; next }
	/^\.Ed/ { f = ""; next } f != "" { print > f }' "$top_srcdir/man/portal.yaml.5"
sed -i "s|/etc/portal/|$ex/|g" "$ex/portal.yaml" "$ex/clinicians/lakeside.yaml"
# What an installation has by default: the templates and the plugins.
printf 'paths:\n  templates: %s\n  plugins: %s\n' "$top_srcdir/www/templates" "$ex/plugins" >>"$ex/portal.yaml"
cp "$top_builddir/gateways/stripe/.libs/stripe.so" "$ex/plugins/" && chmod 644 "$ex/plugins/stripe.so"
head -c 32 /dev/urandom >"$ex/secret.key"
(umask 077 && echo pw >"$ex/db-password" && echo pw >"$ex/db-migrate-password" &&
	echo sk_live_example >"$ex/stripe-lakeside.key" && echo whsec_example >"$ex/stripe-lakeside-whsec")
chmod 0600 "$ex/secret.key"
out=$("$portalctl" -c "$ex/portal.yaml" config check 2>&1)
rc=$?
[ $rc -eq 0 ] && grep -q 'plugin: stripe' "$ex/clinicians/lakeside.yaml" &&
    printf '%s\n' "$out" | grep -q '^config OK: 1 practice'
t $? "portal.yaml(5)'s example portal.yaml and Stripe practice pass portalctl config check (status $rc)" \
    "$out"

echo "1..$n"
