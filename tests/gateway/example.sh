#!/bin/sh
# example.sh: TAP test of the plugin SDK as a plugin author meets it:
# installs gateway.h and portal-gateway.pc into a stage directory, checks
# the header is self-contained C99, builds gateways/example out of tree with
# `pkg-config --cflags portal-gateway`, checks the plugins export only the
# entry symbol, and runs the INSTALLED portal-gateway-conformance against
# the example. ABI 1.0 compatibility: the same example built against the
# 1.0 header (tests/gateway/gateway-1.0.h, gateway.h as first released)
# loads and passes the installed suite under this 1.1 host.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/portal-gw-example.XXXXXX") || exit 99
srv_pid=
cleanup() {
	if [ -n "$srv_pid" ]; then
		kill "$srv_pid" 2>/dev/null
		wait "$srv_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
stage="$tmp/stage"
n=0
# Sub-makes must not inherit the test harness's jobserver.
unset MAKEFLAGS MFLAGS MAKELEVEL

t() { # t STATUS NAME: one TAP line
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -s "$tmp/out" ] && sed 's/^/# /' "$tmp/out" | tail -n 30
	fi
	: >"$tmp/out"
}

make -C "$top_builddir" install-includeHEADERS install-pkgconfigDATA \
	install-binPROGRAMS DESTDIR="$stage" >"$tmp/out" 2>&1
t $? "make install of gateway.h, portal-gateway.pc and portal-gateway-conformance into a stage"
tool=$(find "$stage" -name portal-gateway-conformance -type f | head -n 1)
[ -n "$tool" ] && [ -x "$tool" ]
t $? "portal-gateway-conformance is installed (${tool#"$stage"})"

pcdir=$(dirname "$(find "$stage" -name portal-gateway.pc | head -n 1)")
hdr=$(find "$stage" -name gateway.h | head -n 1)
PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$stage" \
	pkg-config --cflags portal-gateway >"$tmp/cflags" 2>"$tmp/out"
rc=$?
[ $rc -eq 0 ] && [ -f "$(sed 's/^ *-I//; s/ *$//' "$tmp/cflags")/gateway.h" ]
t $? "pkg-config --cflags portal-gateway points at the staged header"

# Self-contained: only <stddef.h> and <stdint.h>, strict C99 and C++.
includes=$(grep '^#include' "$hdr" | tr -d ' ' | sort | tr '\n' ' ')
{ [ "$includes" = "#include<stddef.h> #include<stdint.h> " ] &&
	printf '#include "gateway.h"\nint main(void) { return PGW_ABI_MAJOR - 1; }\n' >"$tmp/h.c" &&
	${CC:-cc} -std=c99 -pedantic -Wall -Wextra -Werror -I"$(dirname "$hdr")" \
		-c -o "$tmp/h.o" "$tmp/h.c"; } >"$tmp/out" 2>&1
t $? "gateway.h includes only stddef.h and stdint.h and compiles alone as C99 -pedantic"

mkdir "$tmp/example" && cp "$top_srcdir/gateways/example/Makefile" \
	"$top_srcdir/gateways/example/example.c" "$tmp/example/" &&
	PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$stage" \
		make -C "$tmp/example" >"$tmp/out" 2>&1
t $? "the example plugin builds out of tree with pkg-config"

exports() { nm -D --defined-only "$1" | awk '$2 == "T" { print $3 }' | tr '\n' ' '; }
[ "$(exports "$tmp/example/example.so")" = "portal_gateway_entry " ]
t $? "example.so exports only portal_gateway_entry"
[ "$(exports "$top_builddir/gateways/sandbox/.libs/sandbox.so")" = "portal_gateway_entry " ]
t $? "sandbox.so exports only portal_gateway_entry"

# A stand-in processor for the example's one real HTTP call: POST
# /customers answers {"id": "cus_remote_N"} and counts the calls.
node -e '
const http = require("node:http"); let n = 0;
const s = http.createServer((q, r) => { let b = ""; q.on("data", (c) => b += c); q.on("end", () => {
  if (q.method === "POST" && q.url === "/customers" && JSON.parse(b).reference) {
    n++; require("node:fs").writeFileSync(process.argv[1], String(n));
    r.writeHead(200, { "content-type": "application/json" }); r.end(JSON.stringify({ id: "cus_remote_" + n }));
  } else { r.writeHead(400); r.end("{}"); } }); });
s.listen(0, "127.0.0.1", () => console.log("listening " + s.address().port));' "$tmp/calls" >"$tmp/srv.out" 2>&1 &
srv_pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q '^listening' "$tmp/srv.out"; do sleep 0.1; i=$((i + 1)); done
port=$(sed -n 's/^listening //p' "$tmp/srv.out")
EXAMPLE_WHSEC="whsec_example_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export EXAMPLE_WHSEC
cat >"$tmp/webhook.sh" <<'EOT'
#!/bin/sh
# Prints a webhook for payment $1 signed as the example expects.
body="{\"id\":\"evt_$1\",\"type\":\"payment.succeeded\",\"payment\":\"$1\"}"
sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$EXAMPLE_WHSEC" -r | cut -d' ' -f1)
printf 'Example-Signature: %s\n\n%s\n' "$sig" "$body"
EOT
chmod +x "$tmp/webhook.sh"

# run_conf PLUGIN_DIR [ARGS...]: the installed suite against
# PLUGIN_DIR/example.so.
run_conf() {
	d=$1
	shift
	"$tool" --plugin "$d/example.so" \
		--config statement_descriptor=LAKESIDE \
		--token-cmd 'echo tok_example; :' "$@" \
		>"$tmp/conf" 2>&1
}
mkdir "$tmp/plugins" && cp "$tmp/example/example.so" "$tmp/plugins/" &&
	chmod 755 "$tmp/plugins" && chmod 644 "$tmp/plugins/example.so" &&
	run_conf "$tmp/plugins" --config "api_base=http://127.0.0.1:$port" \
		--config webhook_secret_env=EXAMPLE_WHSEC \
		--webhook-cmd "$tmp/webhook.sh" \
		--skip declines,requires_action,host_faults,processor_faults
rc=$?
cp "$tmp/conf" "$tmp/out"
t $rc "the installed conformance tool passes the out-of-tree example (its groups)"
grep -q '^not ok' "$tmp/conf"; [ $? -ne 0 ] && grep -q '^ok .* idempotent replay' "$tmp/conf" &&
	grep -q '^ok .*ABI 1\.1' "$tmp/conf"
t $? "... an ABI 1.1 plugin, with idempotent replay among the tests"
cp "$tmp/conf" "$tmp/out"
grep -q '^ok .*create_customer: SUCCEEDED' "$tmp/conf" && [ "$(cat "$tmp/calls" 2>/dev/null)" -ge 1 ]
t $? "... its create_customer made a real HTTP call through the host ($(cat "$tmp/calls" 2>/dev/null) call)"
cp "$tmp/conf" "$tmp/out"
grep -q '^ok .*webhook verifies and parses: SUCCEEDED' "$tmp/conf" &&
	grep -q '^ok .*a tampered body is refused' "$tmp/conf" &&
	grep -q '^ok .*an unsigned body is refused' "$tmp/conf"
t $? "... and it verifies a signed webhook with the host's HMAC (tampered and unsigned refused)"

# ABI 1.0: the example compiled against the 1.0 header.
mkdir "$tmp/h10" "$tmp/ex10" "$tmp/plugins10" &&
	cp "$top_srcdir/tests/gateway/gateway-1.0.h" "$tmp/h10/gateway.h" &&
	cp "$top_srcdir/gateways/example/Makefile" \
		"$top_srcdir/gateways/example/example.c" "$tmp/ex10/" &&
	make -C "$tmp/ex10" GW_CFLAGS="-I$tmp/h10" >"$tmp/out" 2>&1
t $? "the example builds against the ABI 1.0 header"
cp "$tmp/ex10/example.so" "$tmp/plugins10/" && chmod 755 "$tmp/plugins10" &&
	chmod 644 "$tmp/plugins10/example.so" && run_conf "$tmp/plugins10" \
		--skip declines,requires_action,host_faults,processor_faults,webhook
rc=$?
cp "$tmp/conf" "$tmp/out"
t $rc "a plugin built against the 1.0 header loads and passes conformance under the 1.1 host"
grep -q '^ok .*ABI 1\.0' "$tmp/conf" && ! grep -q '^not ok' "$tmp/conf"
rc=$?
cp "$tmp/conf" "$tmp/out"
t $rc "... it reports ABI 1.0, and the host derived its 1.1 widget (adapter, values, origins)"

echo "1..$n"
