#!/bin/sh
# switch.sh: TAP: the acceptance test of switching a practice's processor:
# a private stack (tests/lib/stack.sh) with the sandbox, stripe and square
# plugins and the Stripe simulator; switch.test.mjs edits the demo practice's
# YAML from sandbox to stripe, sends SIGHUP and pays through Stripe in
# headless Chromium. Needs what tests/e2e/run.sh needs (playwright-core in
# $NODE_MODULES, /usr/bin/chromium, nginx, MariaDB).
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -u
: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
modules=${NODE_MODULES:-$top_srcdir/tests/e2e/node_modules}

bail() {
	echo "1..0 # SKIP not reached"
	echo "Bail out! $*"
	exit 1
}
[ -f "$modules/playwright-core/package.json" ] ||
	bail "playwright-core is not in $modules: run 'npm ci' in tests/e2e"
command -v node >/dev/null || bail "node is not installed"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || bail "${CHROMIUM:-/usr/bin/chromium} is not installed"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/portal-switch.XXXXXX") || bail "mktemp failed"
chmod 0755 "$tmp"
sim_pid=
source "$top_srcdir/tests/lib/stack.sh" || bail "cannot source tests/lib/stack.sh"
comment_logs() {
	local f
	for f in "$tmp"/stack/log/*.log "$tmp"/stripe-sim.log; do
		[ -s "$f" ] || continue
		echo "# --- last lines of $f"
		tail -n 30 "$f" | sed 's/^/# /'
	done
}
cleanup() {
	stack_stop >/dev/null 2>&1
	if [ -n "$sim_pid" ]; then
		kill "$sim_pid" 2>/dev/null
		wait "$sim_pid" 2>/dev/null
	fi
	[ -n "${SWITCH_KEEP:-}" ] && echo "# kept $tmp" || rm -rf "$tmp"
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
	printf 'whsec_%s\n' "$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" >"$tmp/secrets/stripe-whsec")

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

export STACK_PLUGINS="$tmp/plugins"
if ! stack_start "$tmp/stack" 2>"$tmp/stack-start.err"; then
	sed 's/^/# /' "$tmp/stack-start.err"
	comment_logs
	bail "the stack did not start"
fi

mkdir -p "$tmp/t"
cp "$top_srcdir/tests/e2e/helpers.mjs" "$top_srcdir/tests/procs/switch.test.mjs" "$tmp/t/"
ln -s "$modules" "$tmp/t/node_modules"
export STACK_URL STACK_DIR STACK_RUNTIME SIM_URL STACK_PORTALD_PID PORTAL_CONFIG PORTAL_DB_SOCKET
export PORTALCTL STRIPE_SIM_URL="http://127.0.0.1:$port"
export STRIPE_SECRET_FILE="$tmp/secrets/stripe-sk" STRIPE_WHSEC_FILE="$tmp/secrets/stripe-whsec"
export HOME="$tmp" XDG_CONFIG_HOME="$tmp/.config" XDG_CACHE_HOME="$tmp/.cache" TMPDIR="$tmp"
cd "$tmp/t" || bail "cd"
timeout 300 node --test --test-reporter=tap --test-timeout=180000 ./switch.test.mjs
rc=$?
[ "$rc" = 0 ] || comment_logs
exit "$rc"
