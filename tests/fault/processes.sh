#!/bin/sh
# processes.sh: fault tests of portald's process model (worker killed, SIGHUP under load, SIGTERM drain), TAP out.
#
# Starts a private stack (tests/lib/stack.sh) with 2 workers, then:
#   - drives 3 s of concurrent load: every answer 200, no worker dies;
#   - kills a worker with SIGKILL while requests flow: the master forks a
#     replacement and no request fails;
#   - sends SIGHUP while a slow stream of requests flows: none is dropped and
#     the workers are replaced by a new generation, the master stays;
#   - sends SIGHUP with a broken portal.yaml: the site stays up; then with
#     workers: 3: three workers run;
#   - sends SIGTERM to the master: the whole portald process tree is gone
#     within 5 s.
# Registered in TESTS by tests/e2e/local.mk. FAULT_KEEP=1 keeps the stack dir.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"

n=0
failed=0

bail() {
	echo "Bail out! $*"
	exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/portal-fault.XXXXXX") || bail "mktemp failed"
chmod 0755 "$tmp"
source "$top_srcdir/tests/lib/stack.sh" || bail "cannot source tests/lib/stack.sh"
# shellcheck source=tests/lib/tap.sh
source "$top_srcdir/tests/lib/tap.sh" || { echo "Bail out! cannot source tests/lib/tap.sh"; exit 1; }

cleanup() {
	local p
	for p in ${loop_pids:-}; do
		kill "$p" 2>/dev/null
	done
	stack_stop >/dev/null 2>&1
	if [ -n "${FAULT_KEEP:-}" ]; then
		echo "# kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

comment_logs() {
	local f
	for f in "$tmp"/stack/log/portald.log "$tmp"/stack/log/nginx-error.log; do
		[ -s "$f" ] || continue
		echo "# --- last lines of $f"
		tail -n 30 "$f" | sed 's/^/# /'
	done
}

# workers: the pids of the master's live children, sorted, one line; each
# is remembered in $tmp/seen so that none outlives the test.
workers() {
	local p out=
	for p in $(pgrep -P "$STACK_PORTALD_PID" | sort -n); do
		[ -n "$(alive "$p")" ] || continue
		out="$out $p"
		echo "$p" >>"$tmp/seen"
	done
	echo "${out# }"
}

# tree PID: PID and all its descendants.
tree() {
	local c
	echo "$1"
	for c in $(pgrep -P "$1"); do
		tree "$c"
	done
}

# alive PIDS...: prints those still running (zombies count as gone).
alive() {
	local p st
	for p in "$@"; do
		st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) || continue
		[ "$st" = Z ] || printf '%s ' "$p"
	done
}

# request_loop COUNT PAUSE OUT: COUNT sequential GET /login, PAUSE seconds
# apart, one HTTP status per line into OUT (000 = no answer).
request_loop() {
	local _
	: >"$3"
	for _ in $(seq 1 "$1"); do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 3 "$STACK_URL/login" >>"$3" 2>/dev/null ||
			true
		sleep "$2"
	done
}

# check_codes FILE COUNT: true when FILE has COUNT lines, all 200 or 303.
check_codes() {
	[ "$(wc -l <"$1")" -eq "$2" ] && ! grep -qvE '^(200|303)$' "$1"
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s.
wait_until() {
	local t=$(($1 * 10)) _
	shift
	for _ in $(seq 1 "$t"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

echo "1..18"

export STACK_WORKERS=2 STACK_THREADS=4 STACK_LOG_LEVEL=warn
if ! stack_start "$tmp/stack" 2>"$tmp/stack-start.err"; then
	sed 's/^/# /' "$tmp/stack-start.err"
	comment_logs
	bail "the stack did not start"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' "$STACK_URL/login")
ok "$([ "$code" = 200 ] && echo 0 || echo 1)" "the stack serves GET /login" "status $code"

# healthz: prints "STATUS BODY" of GET /healthz (000 = no answer).
healthz() {
	local body code
	body=$(curl -s -o - -w '\n%{http_code}' --max-time 5 "$STACK_URL/healthz" 2>/dev/null)
	code=${body##*$'\n'}
	body=${body%$'\n'*}
	printf '%s %s' "$code" "$(printf '%s' "$body" | head -n 1)"
}
hz=$(healthz)
ok "$([ "$hz" = "200 ok" ] && echo 0 || echo 1)" "GET /healthz answers 200 ok while the database answers" "got: $hz"

# --- concurrent load ----------------------------------------------------
# 32 connections for 3 s on GET /login: every answer 200 and no worker dies
# (the master logs event=worker_died at level warn).
if command -v wrk >/dev/null; then
	wrk -t2 -c32 -d3s "$STACK_URL/login" >"$tmp/wrk.txt" 2>&1
	rc=$?
	bad=$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {
		gsub(/,/, ""); n += $4 + $6 + $8 + $10 } END {print n + 0}' "$tmp/wrk.txt")
	total=$(awk '/requests in/ {print $1}' "$tmp/wrk.txt")
	died=$(grep -c 'event=worker_died' "$STACK_DIR/log/portald.log")
	[ "$rc" = 0 ] && [ "${total:-0}" -gt 0 ] && [ "$bad" = 0 ] && [ "$died" = 0 ]
	ok $? "3 s of 32 concurrent connections on GET /login: all 200, no worker died" \
	    "requests: ${total:-0}; failed or non-2xx: $bad; workers died: $died" \
	    "$(grep 'event=worker_died' "$STACK_DIR/log/portald.log" | head -3)"
else
	ok 1 "3 s of 32 concurrent connections on GET /login" "wrk is not installed (apt-get install wrk)"
fi

# --- a worker killed with SIGKILL --------------------------------------
wait_until 10 test "$(workers | wc -w)" -ge 2
before=$(workers)
ok "$([ "$(echo "$before" | wc -w)" -eq 2 ] && echo 0 || echo 1)" \
    "the master runs 2 workers" "children of $STACK_PORTALD_PID: ${before:-none}"

victim=${before%% *}
request_loop 50 0.02 "$tmp/kill.codes" &
loop_pids=$!
sleep 0.3
kill -KILL "$victim" 2>/dev/null
wait "$loop_pids"
loop_pids=
check_codes "$tmp/kill.codes" 50
ok $? "50 requests while a worker is SIGKILLed are all answered" \
    "statuses: $(sort "$tmp/kill.codes" | uniq -c | tr '\n' ' ')"

replaced() {
	local now
	now=$(workers)
	[ "$(echo "$now" | wc -w)" -eq 2 ] && ! echo " $now " | grep -q " $victim "
}
wait_until 10 replaced
ok $? "the master forks a replacement for the killed worker" \
    "before: $before; killed: $victim; now: $(workers)"
request_loop 20 0 "$tmp/after-kill.codes"
check_codes "$tmp/after-kill.codes" 20
ok $? "requests after the replacement are answered" \
    "statuses: $(sort "$tmp/after-kill.codes" | uniq -c | tr '\n' ' ')"

# --- SIGHUP under a slow stream of requests -----------------------------
master=$STACK_PORTALD_PID
before=$(workers)
request_loop 60 0.05 "$tmp/hup.codes" &
loop_pids=$!
sleep 0.5
kill -HUP "$master"
wait "$loop_pids"
loop_pids=
check_codes "$tmp/hup.codes" 60
ok $? "a SIGHUP during a stream of 60 requests drops none" \
    "statuses: $(sort "$tmp/hup.codes" | uniq -c | tr '\n' ' ')"

new_generation() {
	local now p
	now=$(workers)
	[ "$(echo "$now" | wc -w)" -eq 2 ] || return 1
	for p in $before; do
		echo " $now " | grep -q " $p " && return 1
	done
	return 0
}
wait_until 10 new_generation
ok $? "after SIGHUP the master (same pid) runs a new generation of workers" \
    "master $master alive: $(alive "$master"); before: $before; now: $(workers)"

# --- SIGHUP with a broken portal.yaml -------------------------------------
# A reload that cannot load its config keeps the master and serving workers.
cp "$PORTAL_CONFIG" "$tmp/portal.yaml.good"
echo "no_such_key: 1" >>"$PORTAL_CONFIG"
kill -HUP "$master"
sleep 1
request_loop 20 0 "$tmp/badhup.codes"
check_codes "$tmp/badhup.codes" 20 && [ -n "$(alive "$master")" ] && [ "$(workers | wc -w)" -ge 1 ]
ok $? "a SIGHUP with a broken portal.yaml keeps the master and the site up" \
    "master alive: $(alive "$master"); workers: $(workers)" \
    "statuses: $(sort "$tmp/badhup.codes" | uniq -c | tr '\n' ' ')"
cp "$tmp/portal.yaml.good" "$PORTAL_CONFIG"

# --- SIGHUP applies a changed portal.yaml ----------------------------------
sed -i 's/^  workers: 2$/  workers: 3/' "$PORTAL_CONFIG"
kill -HUP "$master"
three() {
	[ "$(workers | wc -w)" -eq 3 ]
}
wait_until 10 three
ok $? "a SIGHUP after portal.yaml says workers: 3 runs 3 workers" "workers: $(workers)"
request_loop 10 0 "$tmp/three.codes"
check_codes "$tmp/three.codes" 10
ok $? "requests after the reload are answered" \
    "statuses: $(sort "$tmp/three.codes" | uniq -c | tr '\n' ' ')"

# --- /healthz with the database stopped, then back --------------------
mariadb_stop >/dev/null 2>&1
hz=$(healthz)
ok "$([ "${hz%% *}" = 503 ] && echo 0 || echo 1)" "GET /healthz answers 503 with MariaDB stopped" "got: $hz"
if mariadb_start "$tmp/stack/db" >/dev/null 2>"$tmp/db-restart.err"; then
	wait_until 10 sh -c "curl -s --max-time 2 '$STACK_URL/healthz' | grep -qx ok"
	hz=$(healthz)
else
	hz="MariaDB did not restart: $(tail -n 3 "$tmp/db-restart.err")"
fi
ok "$([ "$hz" = "200 ok" ] && echo 0 || echo 1)" "GET /healthz answers 200 again once MariaDB is back (the workers reconnect)" "got: $hz"

# --- /healthz when a processor plugin cannot start ---------------------
# The demo practice's secret key file goes missing and portald reloads:
# the plugin does not start (that practice's online payments are off) and
# /healthz says so; with the file named again it answers ok.
demo=$STACK_DIR/clinicians/demo.yaml
cp "$demo" "$tmp/demo.yaml.orig"
sed -i "s|^\( *secret_key_file:\).*|\1 $STACK_DIR/no-such-key|" "$demo"
kill -HUP "$master"
wait_until 10 sh -c "curl -s --max-time 2 '$STACK_URL/healthz' | grep -q 'plugin failed'"
hz=$(healthz)
ok "$([ "$hz" = "503 a processor plugin failed to start (see the log)" ] &&
    grep -q 'event=gateway_failed practice=demo' "$STACK_DIR/log/portald.log" && echo 0 || echo 1)" \
    "GET /healthz answers 503 when a practice's processor plugin failed to start (logged as gateway_failed)" \
    "got: $hz" "$(grep -c 'secret_key_file' "$demo") secret_key_file line(s) in $demo"
cp "$tmp/demo.yaml.orig" "$demo"
kill -HUP "$master"
wait_until 10 sh -c "curl -s --max-time 2 '$STACK_URL/healthz' | grep -qx ok"
hz=$(healthz)
ok "$([ "$hz" = "200 ok" ] && echo 0 || echo 1)" "GET /healthz answers 200 again once the plugin starts (SIGHUP)" "got: $hz"

# --- SIGTERM drains and exits ------------------------------------------
all=$(tree "$master" | tr '\n' ' ')
kill -TERM "$master"
gone() {
	[ -z "$(alive $all)" ]
}
start=$(date +%s%N)
wait_until 5 gone
rc=$?
took=$((($(date +%s%N) - start) / 1000000))
ok $rc "after SIGTERM the whole portald tree is gone within 5 s" \
    "tree: $all" "still running: $(alive $all)" "took: $took ms"
wait "$master" 2>/dev/null
status=$?
ok "$([ "$status" = 0 ] && echo 0 || echo 1)" "portald exits with status 0 on SIGTERM" \
    "exit status: $status"
STACK_PORTALD_PID=
# Anything left is killed here so nothing outlives the test.
# shellcheck disable=SC2046 # pid lists, split on purpose
for p in $(alive $all $(sort -u "$tmp/seen" 2>/dev/null)); do
	kill -KILL "$p" 2>/dev/null
done

if [ "$failed" != 0 ]; then
	comment_logs
fi
exit 0
