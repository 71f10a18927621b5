#!/bin/sh
# run.sh: the slow-connection flood test: 2,000 slow connections from 127.0.0.3 (not exempt from the limits) against the private stack's nginx while /login is probed from 127.0.0.2.
#
# Not in `make check` (it is a timed load test, and the suite has no timed
# assertions): run it with `make check-slow` (tests/slow/local.mk), or alone
#   top_srcdir=... top_builddir=... tests/slow/run.sh
# It stops by itself: the flood lasts SLOW_SECONDS (default 45, at most 80)
# after a stack start of a few seconds. Passes when at least 95 % of the
# probes answered 200 within 1 s, and nginx never ran out of connections.
# SLOW_CONNECTIONS (default 2000) and SLOW_MODE (headers|body) vary it;
# SLOW_KEEP=1 keeps the stack directory.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"

fail() {
	echo "FAIL: $*"
	exit 1
}

command -v node >/dev/null || fail "node is not installed"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/portal-slow.XXXXXX") || fail "mktemp failed"
chmod 0755 "$tmp"
source "$top_srcdir/tests/lib/stack.sh" || fail "cannot source tests/lib/stack.sh"
cleanup() {
	stack_stop >/dev/null 2>&1
	if [ -n "${SLOW_KEEP:-}" ]; then echo "# kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The node process holds 2,000 sockets and more.
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
stack_start "$tmp/stack" 2>"$tmp/start.err" || { cat "$tmp/start.err"; fail "the stack did not start"; }

out=$tmp/flood.out
node "$here/slowloris.mjs" --url "$STACK_URL/login" \
    --connections "${SLOW_CONNECTIONS:-2000}" --seconds "${SLOW_SECONDS:-45}" \
    --mode "${SLOW_MODE:-headers}" --from 127.0.0.3 --probe-from 127.0.0.2 \
    --probe-timeout-ms 1000 >"$out" 2>&1 || { cat "$out"; fail "slowloris.mjs failed"; }
cat "$out"
line=$(grep '^probes=' "$out" | tail -n 1)
[ -n "$line" ] || fail "no result line from slowloris.mjs"
probes=$(printf '%s\n' "$line" | sed -n 's/^probes=\([0-9]*\) .*/\1/p')
good=$(printf '%s\n' "$line" | sed -n 's/.* good=\([0-9]*\) .*/\1/p')
short=$(grep -c 'worker_connections are not enough' "$STACK_DIR/log/nginx-error.log")
echo "nginx_worker_connections_errors=$short"
[ "${probes:-0}" -ge 20 ] || fail "only ${probes:-0} probes ran"
# good/probes >= 0.95, in integers.
[ $((good * 100)) -ge $((probes * 95)) ] ||
	fail "/login answered 200 within 1 s to $good of $probes probes (< 95 %)"
[ "$short" -eq 0 ] || fail "nginx logged 'worker_connections are not enough' $short times"
echo "PASS: /login answered 200 within 1 s to $good of $probes probes during the flood"
