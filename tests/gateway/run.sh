#!/bin/sh
# run.sh: TAP test of the sandbox plugin: starts the sandbox simulator on a
# free port, runs the conformance suite against the built sandbox plugin,
# then checks the simulator's ledger (exactly the expected charges per
# idempotency key) and that no test card number reached any log.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
helper="$top_srcdir/tests/gateway/sandbox-helper.mjs"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/portal-gw-run.XXXXXX") || exit 99
chmod 700 "$tmp"
sim_pid=

cleanup() {
	if [ -n "$sim_pid" ]; then
		kill "$sim_pid" 2>/dev/null
		wait "$sim_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
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
plugin_src="$top_builddir/gateways/sandbox/.libs/sandbox.so"
[ -f "$plugin_src" ] || bail "$plugin_src not built"

# The plugin goes into a private directory: the loader refuses group- or
# world-writable plugin files and directories.
mkdir "$tmp/plugins" && cp "$plugin_src" "$tmp/plugins/sandbox.so" &&
	chmod 644 "$tmp/plugins/sandbox.so" || bail "cannot copy the plugin"

secret="sk_test_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
whsec="whsec_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
umask 077
printf '%s\n' "$secret" > "$tmp/secret_key"
printf '%s\n' "$whsec" > "$tmp/webhook_secret"

node "$top_srcdir/tests/sim/sandbox-sim.mjs" --port 0 --secret-key "$secret" \
	--webhook-secret "$whsec" >"$tmp/sim.out" 2>"$tmp/sim.log" &
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
export SIM_URL

"$top_builddir/portal-gateway-conformance" \
	--plugin "$tmp/plugins/sandbox.so" \
	--config "api_base=$SIM_URL" \
	--config "secret_key_file=$tmp/secret_key" \
	--config "publishable_key=pk_test_sandbox" \
	--config "webhook_secret_file=$tmp/webhook_secret" \
	--config "timeout_ms=1500" \
	--token-cmd "node $helper token" \
	--fault-cmd "node $helper fault" \
	--webhook-cmd "node $helper webhook" \
	--action-cmd "node $helper action" \
	--keys-file "$tmp/keys" \
	>"$tmp/conformance.tap" 2>"$tmp/conformance.log"
crc=$?

# The suite's TAP without its plan; ours follows.
grep -v '^1\.\.' "$tmp/conformance.tap"
n=$(grep -c -E '^(not )?ok ' "$tmp/conformance.tap")
n=$((n + 1))
if [ $crc -eq 0 ]; then
	echo "ok $n - conformance suite exits 0"
else
	echo "not ok $n - conformance suite exits 0 (status $crc)"
	sed 's/^/# /' "$tmp/conformance.log" | tail -n 40
fi
n=$((n + 1))

if [ -f "$tmp/keys" ] && node "$helper" ledger "$tmp/keys" $n >"$tmp/ledger.tap" 2>>"$tmp/sim.log"; then
	cat "$tmp/ledger.tap"
else
	echo "not ok $n - ledger check ran"
	echo "not ok $((n + 1)) - ledger holds no card number"
fi
n=$((n + 2))

# No test card number, whole or spaced, in any log line, and no secret.
leaks=
for f in "$tmp/sim.log" "$tmp/conformance.log" "$tmp/conformance.tap"; do
	if grep -E -q '4242 ?4242 ?4242 ?4242|4000 ?0000 ?0000 ?0002|4000 ?0000 ?0000 ?9995|4000 ?0000 ?0000 ?0341|4000 ?0027 ?6000 ?3184' "$f"; then
		leaks="$leaks $(basename "$f")"
	fi
	if grep -F -q -e "$secret" -e "$whsec" "$f"; then
		leaks="$leaks $(basename "$f")(secret)"
	fi
done
if [ -z "$leaks" ]; then
	echo "ok $n - no card number or secret in the simulator's or the host's logs"
else
	echo "not ok $n - card number or secret found in:$leaks"
fi
# The host did log its HTTP calls (so the check above looked at something).
n=$((n + 1))
if grep -q 'event=gateway_http' "$tmp/conformance.log" && grep -q 'POST /v1/charges' "$tmp/sim.log"; then
	echo "ok $n - the host and the simulator logged the exchanges"
else
	echo "not ok $n - the host and the simulator logged the exchanges"
fi
echo "1..$n"
