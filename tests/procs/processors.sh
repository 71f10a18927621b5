#!/bin/sh
# processors.sh: TAP: the card pages on Stripe and Square as they really
# are laid out: a private stack (tests/lib/stack.sh) with the stripe and
# square plugins and both simulators, each serving its script, frames and
# API from separate origins; processors.test.mjs switches the demo practice
# to each (YAML + SIGHUP, csp_* keys naming the simulator's origins) and
# saves a card, pays an invoice, pays the balance, is declined, passes and
# abandons 3-D Secure in headless Chromium, with the simulator's ledger as
# the oracle and zero CSP violations. Needs what tests/e2e/run.sh needs.
# Usage: processors.sh [TEST.mjs] (default processors.test.mjs; switch.sh
# runs switch.test.mjs on the same stack).
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -u
: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
modules=${NODE_MODULES:-$top_srcdir/tests/e2e/node_modules}
testfile=${1:-processors.test.mjs}

bail() {
	echo "1..0 # SKIP not reached"
	echo "Bail out! $*"
	exit 1
}
[ -f "$modules/playwright-core/package.json" ] ||
	bail "playwright-core is not in $modules: run 'npm ci' in tests/e2e"
command -v node >/dev/null || bail "node is not installed"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || bail "${CHROMIUM:-/usr/bin/chromium} is not installed"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/portal-procs.XXXXXX") || bail "mktemp failed"
chmod 0755 "$tmp"
sim_pid=
sq_pid=
source "$top_srcdir/tests/lib/stack.sh" || bail "cannot source tests/lib/stack.sh"
comment_logs() {
	local f
	for f in "$tmp"/stack/log/*.log "$tmp"/stripe-sim.log "$tmp"/square-sim.log; do
		[ -s "$f" ] || continue
		echo "# --- last lines of $f"
		tail -n 30 "$f" | sed 's/^/# /'
	done
}
cleanup() {
	stack_stop >/dev/null 2>&1
	local p
	for p in $sim_pid $sq_pid; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ -n "${PROCS_KEEP:-}" ] && echo "# kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$tmp/plugins" "$tmp/secrets" || bail "mkdir"
for p in sandbox stripe square; do
	cp "$top_builddir/gateways/$p/.libs/$p.so" "$tmp/plugins/" || bail "gateways/$p not built"
done
chmod 700 "$tmp/secrets"
(umask 077
	printf 'sk_test_%s\n' "$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" >"$tmp/secrets/stripe-sk"
	printf 'whsec_%s\n' "$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" >"$tmp/secrets/stripe-whsec"
	printf 'EAAA%s\n' "$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" >"$tmp/secrets/square-token")

: >"$tmp/stripe-sim.out"
node "$top_srcdir/tests/sim/stripe-sim.mjs" --port 0 --secret-key "$(cat "$tmp/secrets/stripe-sk")" \
	--publishable-key pk_test_switch --webhook-secret "$(cat "$tmp/secrets/stripe-whsec")" \
	>"$tmp/stripe-sim.out" 2>"$tmp/stripe-sim.log" &
sim_pid=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/^listening \([0-9][0-9]*\)$/\1/p' "$tmp/stripe-sim.out")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || bail "the Stripe simulator did not start"
: >"$tmp/square-sim.out"
node "$top_srcdir/tests/sim/square-sim.mjs" --port 0 --access-token "$(cat "$tmp/secrets/square-token")" \
	--application-id sandbox-sq0idb-procs --location-id LPROCS \
	>"$tmp/square-sim.out" 2>"$tmp/square-sim.log" &
sq_pid=$!
for _ in $(seq 100); do
	grep -q '^listening ' "$tmp/square-sim.out" && break
	sleep 0.1
done
grep -q '^listening ' "$tmp/square-sim.out" || bail "the Square simulator did not start"
origin() { sed -n "s/^origin $2 //p" "$tmp/$1-sim.out"; }

export STACK_PLUGINS="$tmp/plugins"
if ! stack_start "$tmp/stack" 2>"$tmp/stack-start.err"; then
	sed 's/^/# /' "$tmp/stack-start.err"
	comment_logs
	bail "the stack did not start"
fi
# portald runs as STACK_USER: it reads these on the SIGHUP that switches.
stack_secret "$tmp/secrets/stripe-sk" "$tmp/secrets/stripe-whsec" "$tmp/secrets/square-token" ||
	bail "cannot share the processor secrets with portald's user"

mkdir -p "$tmp/t"
cp "$top_srcdir/tests/e2e/helpers.mjs" "$top_srcdir/tests/procs/$testfile" "$tmp/t/"
ln -s "$modules" "$tmp/t/node_modules"
export STACK_URL STACK_DIR SIM_URL STACK_PORTALD_PID PORTAL_CONFIG PORTAL_DB_SOCKET
export PORTALCTL STRIPE_SIM_URL="http://127.0.0.1:$port"
export STRIPE_SECRET_FILE="$tmp/secrets/stripe-sk" STRIPE_WHSEC_FILE="$tmp/secrets/stripe-whsec"
export STRIPE_JS="$(origin stripe js)" STRIPE_HOOKS="$(origin stripe hooks)" STRIPE_API="$(origin stripe api)"
export SQUARE_WEB="$(origin square web)" SQUARE_PCI="$(origin square pci)" SQUARE_API="$(origin square api)"
export SQUARE_TOKEN_FILE="$tmp/secrets/square-token"
export HOME="$tmp" XDG_CONFIG_HOME="$tmp/.config" XDG_CACHE_HOME="$tmp/.cache" TMPDIR="$tmp"
cd "$tmp/t" || bail "cd"
timeout 300 node --test --test-reporter=tap --test-timeout=240000 "./$testfile"
rc=$?
[ "$rc" = 0 ] || comment_logs
exit "$rc"
