#!/bin/sh
# conformance-run.sh PROC: TAP test of the PROC (stripe or square) plugin:
# starts PROC's simulator on a free port, runs the gateway conformance suite
# against the built plugin, then checks the simulator's ledger (exactly the
# expected payments per idempotency key, so a 500 after the charge and the
# retry made one charge) and that no card number or secret reached a log.
# Run by tests/procs/stripe.sh and tests/procs/square.sh.
set -u
proc=${1:?usage: conformance-run.sh stripe|square}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
helper="$top_srcdir/tests/procs/helper.mjs"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/portal-procs-$proc.XXXXXX") || exit 99
chmod 700 "$tmp"
sim_pid=

cleanup() {
	if [ -n "$sim_pid" ]; then
		kill "$sim_pid" 2>/dev/null
		wait "$sim_pid" 2>/dev/null
	fi
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

bail() {
	echo "1..0 # SKIP not reached"
	echo "Bail out! $*"
	for f in "$tmp"/*.log; do
		[ -f "$f" ] && sed 's/^/# /' "$f"
	done
	exit 1
}

command -v node >/dev/null 2>&1 || bail "node is not installed"
plugin_src="$top_builddir/gateways/$proc/.libs/$proc.so"
[ -f "$plugin_src" ] || bail "$plugin_src not built"
# The loader refuses group- or world-writable plugin files and directories.
mkdir "$tmp/plugins" && cp "$plugin_src" "$tmp/plugins/$proc.so" &&
	chmod 644 "$tmp/plugins/$proc.so" || bail "cannot copy the plugin"

rnd() { od -An -N12 -tx1 /dev/urandom | tr -d ' \n'; }
umask 077
if [ "$proc" = stripe ]; then
	secret="sk_test_$(rnd)"
	whsec="whsec_$(rnd)"
	set -- --secret-key "$secret" --publishable-key pk_test_conformance \
		--webhook-secret "$whsec"
else
	secret="EAAAE$(rnd)$(rnd)"
	whsec="sigkey$(rnd)"
	set -- --access-token "$secret" --application-id sandbox-sq0idb-conformance \
		--signature-key "$whsec" --notification-url "https://portal.example.org/webhooks/demo/square"
fi
printf '%s\n' "$secret" >"$tmp/secret"
printf '%s\n' "$whsec" >"$tmp/whsec"

: >"$tmp/sim.out"
node "$top_srcdir/tests/sim/$proc-sim.mjs" --port 0 "$@" >"$tmp/sim.out" 2>"$tmp/sim.log" &
sim_pid=$!
port=
i=0
while [ $i -lt 100 ]; do
	port=$(sed -n 's/^listening \([0-9][0-9]*\)$/\1/p' "$tmp/sim.out")
	[ -n "$port" ] && break
	kill -0 "$sim_pid" 2>/dev/null || bail "the simulator exited"
	sleep 0.1
	i=$((i + 1))
done
[ -n "$port" ] || bail "the simulator did not start"
SIM_URL="http://127.0.0.1:$port"
PROC=$proc
export SIM_URL PROC

if [ "$proc" = stripe ]; then
	set -- --config "api_base=$SIM_URL" \
		--config "secret_key_file=$tmp/secret" \
		--config "publishable_key=pk_test_conformance" \
		--config "webhook_secret_file=$tmp/whsec" \
		--config "api_version=2024-06-20"
else
	set -- --config "api_base=$SIM_URL" \
		--config "access_token_file=$tmp/secret" \
		--config "application_id=sandbox-sq0idb-conformance" \
		--config "location_id=LSIMCONFORMANCE" \
		--config "webhook_signature_key_file=$tmp/whsec" \
		--config "webhook_notification_url=https://portal.example.org/webhooks/demo/square"
fi
# PROCS_WRAPPER (e.g. "valgrind -q --error-exitcode=9 --leak-check=full")
# runs the suite under a checker.
# shellcheck disable=SC2086 # a command line
${PROCS_WRAPPER:-} "$top_builddir/portal-gateway-conformance" \
	--plugin "$tmp/plugins/$proc.so" "$@" \
	--config "timeout_ms=1500" \
	--token-cmd "node $helper token" \
	--fault-cmd "node $helper fault" \
	--webhook-cmd "node $helper webhook" \
	--action-cmd "node $helper action" \
	--keys-file "$tmp/keys" \
	>"$tmp/conformance.tap" 2>"$tmp/conformance.log"
crc=$?

# The suite's TAP without its plan; ours follows. A SKIP would hide a
# missing capability: none is expected here.
grep -v '^1\.\.' "$tmp/conformance.tap"
n=$(grep -c -E '^(not )?ok ' "$tmp/conformance.tap")
n=$((n + 1))
if [ $crc -eq 0 ]; then
	echo "ok $n - $proc conformance suite exits 0"
else
	echo "not ok $n - $proc conformance suite exits 0 (status $crc)"
	sed 's/^/# /' "$tmp/conformance.log" | tail -n 40
fi
n=$((n + 1))
if grep -q '# SKIP' "$tmp/conformance.tap"; then
	echo "not ok $n - $proc: no conformance test skipped"
else
	echo "ok $n - $proc: no conformance test skipped"
fi
n=$((n + 1))

if [ -f "$tmp/keys" ] && node "$helper" ledger "$tmp/keys" $n >"$tmp/ledger.tap" 2>>"$tmp/sim.log"; then
	cat "$tmp/ledger.tap"
else
	echo "not ok $n - ledger check ran"
	echo "not ok $((n + 1)) - ledger holds no card number"
fi
n=$((n + 2))

leaks=
for f in "$tmp/sim.log" "$tmp/conformance.log" "$tmp/conformance.tap"; do
	if grep -E -q '4242 ?4242 ?4242 ?4242|4111 ?1111 ?1111 ?1111|4000 ?0000 ?0000 ?0002|4000 ?0000 ?0000 ?9995|4000 ?0000 ?0000 ?0341|4000 ?0027 ?6000 ?3184' "$f"; then
		leaks="$leaks $(basename "$f")"
	fi
	if grep -F -q -e "$secret" -e "$whsec" "$f"; then
		leaks="$leaks $(basename "$f")(secret)"
	fi
done
if [ -z "$leaks" ]; then
	echo "ok $n - $proc: no card number or secret in the simulator's or the host's logs"
else
	echo "not ok $n - $proc: card number or secret found in:$leaks"
fi
n=$((n + 1))
if grep -q 'event=gateway_http' "$tmp/conformance.log" && grep -q 'POST /v[12]/' "$tmp/sim.log"; then
	echo "ok $n - $proc: the host and the simulator logged the exchanges"
else
	echo "not ok $n - $proc: the host and the simulator logged the exchanges"
fi
echo "1..$n"
