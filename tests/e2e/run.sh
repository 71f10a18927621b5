#!/bin/sh
# run.sh: the browser end-to-end tests: a private stack (with the sandbox processor simulator), two invited clients, node --test in headless Chromium, TAP out.
#
# Registered in TESTS (tests/e2e/local.mk); run alone with
#   top_srcdir=... top_builddir=... NODE_MODULES=.../node_modules tests/e2e/run.sh
# Needs playwright-core in $NODE_MODULES (npm ci in tests/e2e), /usr/bin/chromium,
# nginx, MariaDB, and portald/portalctl built in $top_builddir. E2E_KEEP=1
# keeps the stack directory (logs, database) for a look afterwards; E2E_FILES
# names the test files to run (default: all). The test
# files run one at a time in name order; zz-leaks.test.mjs, last, looks for
# test card numbers in everything the run left behind.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
modules=${NODE_MODULES:-$top_srcdir/tests/e2e/node_modules}

bail() {
	echo "Bail out! $*"
	exit 1
}

comment_logs() {
	local f
	for f in "$tmp"/stack/log/*.log; do
		[ -s "$f" ] || continue
		echo "# --- last lines of $f"
		tail -n 30 "$f" | sed 's/^/# /'
	done
}

[ -f "$modules/playwright-core/package.json" ] ||
	bail "playwright-core is not in $modules: run 'npm ci' in tests/e2e (or configure --with-node-modules=DIR)"
command -v node >/dev/null || bail "node is not installed"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || bail "${CHROMIUM:-/usr/bin/chromium} is not installed"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/portal-e2e.XXXXXX") || bail "mktemp failed"
chmod 0755 "$tmp"
source "$top_srcdir/tests/lib/stack.sh" || bail "cannot source tests/lib/stack.sh"
source "$top_srcdir/tests/lib/smtp-sink.sh" || bail "cannot source tests/lib/smtp-sink.sh"

cleanup() {
	sink_stop
	stack_stop >/dev/null 2>&1
	if [ -n "${E2E_KEEP:-}" ]; then
		echo "# kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Mail goes to a real SMTP server on loopback (aiosmtpd); mail.test.mjs
# sends it with portalctl mail send and reads what arrived in SINK_DIR.
sink_start "$tmp/sink" || bail "the SMTP sink did not start"
STACK_YAML_EXTRA=$(sink_yaml)
export STACK_YAML_EXTRA
if ! stack_start "$tmp/stack" 2>"$tmp/stack-start.err"; then
	sed 's/^/# /' "$tmp/stack-start.err"
	comment_logs
	bail "the stack did not start"
fi

# Accounts: a seeded demo client with a known password, and two invited
# clients (the main flow, and the throttle test's own account).
demo_password='demo password for e2e 1'
printf '%s' "$demo_password" >"$tmp/demo.pw"
stack_portalctl demo seed --email demo@example.com --password-file "$tmp/demo.pw" \
    >"$tmp/seed.out" 2>&1 || { sed 's/^/# /' "$tmp/seed.out"; bail "portalctl demo seed failed"; }

# invite EMAIL FIRST LAST: prints the invitation link portalctl made.
invite() {
	local out link
	out=$(stack_portalctl client create --practice demo --email "$1" --first "$2" --last "$3" 2>&1) || {
		printf '%s\n' "$out" | sed 's/^/# /' >&2
		return 1
	}
	link=$(printf '%s\n' "$out" | grep -Eo '^https?://[^[:space:]]+/invite/[^[:space:]]+$' | head -n 1)
	[ -n "$link" ] || { printf '%s\n' "$out" | sed 's/^/# /' >&2; return 1; }
	printf '%s\n' "$link"
}
INVITE_URL=$(invite e2e-client@example.com Ada Lovelace 2>&1) || { echo "$INVITE_URL"; bail "portalctl client create failed"; }
INVITE_URL_2=$(invite e2e-throttle@example.com Grace Hopper 2>&1) || { echo "$INVITE_URL_2"; bail "portalctl client create failed"; }

# The tests import playwright-core from $NODE_MODULES, which need not be
# beside them (distcheck): run copies next to a link to it.
mkdir -p "$tmp/e2e"
cp "$here"/*.mjs "$tmp/e2e/"
ln -s "$modules" "$tmp/e2e/node_modules"

export STACK_URL STACK_DIR INVITE_URL INVITE_URL_2
# The card and payment tests make their own clients and invoices with
# portalctl, read the simulator's ledger, reload portald with SIGHUP and
# dump the database when looking for card numbers.
export SIM_URL STACK_PORTALD_PID PORTAL_CONFIG PORTAL_DB_SOCKET
export PORTALCTL=$PORTALCTL SIM_SCRIPT=$top_srcdir/tests/sim/sandbox-sim.mjs
export CLIENT_EMAIL=e2e-client@example.com CLIENT2_EMAIL=e2e-throttle@example.com
export DEMO_EMAIL=demo@example.com DEMO_PASSWORD="$demo_password"
export HOME="$tmp" XDG_CONFIG_HOME="$tmp/.config" XDG_CACHE_HOME="$tmp/.cache"
export TMPDIR="$tmp"
export SINK_DIR

cd "$tmp/e2e" || bail "cd $tmp/e2e"
# E2E_FILES (e.g. "pay.test.mjs zz-leaks.test.mjs") runs only those.
# shellcheck disable=SC2086 # a list of names
timeout 900 node --test --test-reporter=tap --test-concurrency=1 --test-timeout=120000 \
    ${E2E_FILES:-./*.test.mjs}
rc=$?
if [ "$rc" != 0 ]; then
	comment_logs
fi
exit "$rc"
