#!/usr/bin/env bash
# tests/payments/crash.sh: the crash test and the double-submit test of a
# payment, through the whole stack (nginx, portald, MariaDB, the sandbox
# plugin and its simulator; tests/lib/stack.sh). TAP out.
#
# Crash: a client signs in (curl, cookies and CSRF from the forms) and posts
# the pay form of an invoice while the simulator's `timeout` fault holds the
# answer to the charge it has recorded. Once the charge is in the
# simulator's ledger, every portald worker is killed with SIGKILL: the
# attempt is left 'pending' (the outcome was never recorded). Then
# `portalctl payments reconcile` must find the charge: exactly one charge
# in the ledger and the invoice paid exactly once.
#
# Double submit: two concurrent POSTs of the same pay form (same one-time
# form key) while the processor is slow: one charge, the invoice paid once,
# both answered; a later resubmit charges nothing either.
#
# Registered in TESTS by app/billing/local.mk. PAYMENTS_KEEP=1 keeps the
# stack dir.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

n=0
failed=0
bail() {
	echo "Bail out! $*"
	exit 1
}

for t in curl node; do
	command -v "$t" >/dev/null 2>&1 || bail "$t is not installed"
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/portal-pay.XXXXXX") || bail "mktemp failed"
chmod 0755 "$tmp"
# shellcheck source=tests/lib/stack.sh
source "$top_srcdir/tests/lib/stack.sh" || bail "cannot source tests/lib/stack.sh"
# shellcheck source=tests/lib/tap.sh
source "$top_srcdir/tests/lib/tap.sh" || { echo "Bail out! cannot source tests/lib/tap.sh"; exit 1; }

bg_pids=
cleanup() {
	local p
	for p in $bg_pids; do
		kill "$p" 2>/dev/null
	done
	stack_stop >/dev/null 2>&1
	if [ -n "${PAYMENTS_KEEP:-}" ]; then
		echo "# kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

comment_logs() {
	local f
	for f in "$STACK_DIR/log/portald.log" "$STACK_DIR/log/sandbox-sim.log"; do
		[ -s "$f" ] || continue
		echo "# --- last lines of $f"
		tail -n 20 "$f" | sed 's/^/# /'
	done
}

sql() {
	_mariadb_client "$PORTAL_DB_SOCKET" "${PORTAL_DB_NAME:-portal}" -N -e "$1" 2>&1
}

# ledger_count [KEY]: charges in the simulator's ledger (under KEY).
ledger_count() {
	curl -s "$SIM_URL/__admin/ledger" | node -e '
let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
  const key = process.argv[1];
  const c = JSON.parse(s).charges.filter((x) => !key || x.idempotency_key === key);
  console.log(c.length);
});' "${1:-}"
}

fault() {
	curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' \
		-d "$1" "$SIM_URL/__admin/faults"
}

# A browser, as far as the portal can tell: cookies kept by hand (curl
# does not send __Host- cookies over plain http), CSRF from the forms.
cookies=
# get PATH OUT: GET with the cookies; updates them; sets code to the
# status (not in a subshell, so the cookies stay).
get() {
	code=$(curl -s -D "$2.h" -o "$2" -w '%{http_code}' ${cookies:+-H "Cookie: $cookies"} "$STACK_URL$1")
	take_cookies "$2.h"
}
# post PATH OUT ARGS...: POST a form (ARGS are --data-urlencode k=v);
# the answer's headers go to OUT.h. Prints the status.
post() {
	local path=$1 out=$2 code
	shift 2
	code=$(curl -s -D "$out.h" -o "$out" -w '%{http_code}' ${cookies:+-H "Cookie: $cookies"} \
		"$@" "$STACK_URL$path")
	echo "$code"
}
# take_cookies HEADERS: keeps the cookies a response set.
take_cookies() {
	local line name val jar=$cookies
	while IFS= read -r line; do
		line=${line%$'\r'}
		case ${line,,} in
		set-cookie:*)
			line=${line#*: }
			line=${line%%;*}
			name=${line%%=*}
			val=${line#*=}
			jar=$(printf '%s' "$jar" | tr ';' '\n' | sed 's/^ //' | grep -v "^$name=" | paste -sd ';' -)
			jar="${jar:+$jar; }$name=$val"
			;;
		esac
	done <"$1"
	cookies=$(printf '%s' "$jar" | sed 's/;\([^ ]\)/; \1/g')
}
# field NAME FILE: the value of the hidden input NAME in an HTML file.
field() {
	sed -n "s/.*name=\"$1\" value=\"\([^\"]*\)\".*/\1/p" "$2" | head -n 1
}
token() {
	curl -s -X POST -H 'content-type: application/json' -d "{\"number\":\"$1\"}" \
		"$SIM_URL/__test/tokens" | sed -n 's/.*"id":"\(tok_[a-z0-9]*\)".*/\1/p'
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

echo "1..17"

export STACK_WORKERS=2 STACK_THREADS=4 STACK_LOG_LEVEL=info
if ! stack_start "$tmp/stack" 2>"$tmp/stack-start.err"; then
	sed 's/^/# /' "$tmp/stack-start.err"
	bail "the stack did not start"
fi
[ -n "${SIM_URL:-}" ] || bail "stack_start did not start the simulator (no SIM_URL)"

email=crash@example.org
printf 'crash-test-password-1\n' >"$tmp/pw"
stack_portalctl demo seed --email "$email" --password-file "$tmp/pw" --practice demo \
	>"$tmp/seed.out" 2>&1 || { sed 's/^/# /' "$tmp/seed.out"; bail "portalctl demo seed failed"; }
cid=$(sql "SELECT id FROM clients WHERE email = '$email'")
read -r inv1 num1 <<<"$(sql "SELECT id, number FROM invoices WHERE client_id = $cid ORDER BY id LIMIT 1")"
read -r inv2 num2 <<<"$(sql "SELECT id, number FROM invoices WHERE client_id = $cid ORDER BY id LIMIT 1 OFFSET 1")"
[ -n "$inv1" ] && [ -n "$inv2" ] || bail "demo seed made no invoices: $(cat "$tmp/seed.out")"

# ---- sign in ----
get /login "$tmp/login.html"
csrf=$(field csrf "$tmp/login.html")
lcode=$(post /login "$tmp/out.html" --data-urlencode "csrf=$csrf" \
	--data-urlencode "email=$email" --data-urlencode "password=crash-test-password-1")
take_cookies "$tmp/out.html.h"
get /billing "$tmp/billing.html"
grep -q "$num1" "$tmp/billing.html"
ok $? "the client signs in and sees invoice $num1 on Billing & Payments" \
    "login: $lcode, /billing: $code" "$(head -c 600 "$tmp/billing.html")"

# ---- the crash ----
get "/billing/pay?invoice=$inv1" "$tmp/pay1.html"
fk1=$(field form_key "$tmp/pay1.html")
csrf=$(field csrf "$tmp/pay1.html")
amount=$(field amount "$tmp/pay1.html")
[ "$code" = 200 ] && [ -n "$fk1" ] && [ "$amount" = 12000 ] && grep -q 'Pay \$120.00' "$tmp/pay1.html"
ok $? "the pay page of $num1 offers \"Pay \$120.00\" with a one-time form key" \
    "status $code, form_key '$fk1', amount '$amount'"

before=$(ledger_count)
fcode=$(fault '{"timeout": true, "count": 1}')
tok=$(token 4242424242424242)
post /billing/pay "$tmp/crash.html" --max-time 60 --data-urlencode "csrf=$csrf" \
	--data-urlencode "form_key=$fk1" --data-urlencode "amount=$amount" \
	--data-urlencode "target=invoice" --data-urlencode "invoice=$inv1" \
	--data-urlencode "card=new" --data-urlencode "token=$tok" \
	>"$tmp/crash.code" &
post_pid=$!
bg_pids="$post_pid"
charged() { [ "$(ledger_count)" -gt "$before" ]; }
wait_until 15 charged
ok $? "the processor records the charge and holds its answer (fault timeout)" \
    "fault: $fcode; ledger before: $before, now: $(ledger_count)"
attempt_status=$(sql "SELECT status FROM payment_attempts WHERE client_id = $cid AND form_key = '$fk1'")
workers=$(pgrep -P "$STACK_PORTALD_PID" | tr '\n' ' ')
for p in $workers; do
	kill -KILL "$p" 2>/dev/null
done
wait "$post_pid"
bg_pids=
gone() {
	local p
	for p in $workers; do
		[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = "" ] ||
			[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = Z ] || return 1
	done
}
wait_until 5 gone
[ -n "$workers" ] && [ "$attempt_status" = pending ]
ok $? "every portald worker is SIGKILLed while the attempt is 'pending' (charged, not recorded)" \
    "workers: ${workers:-none}; attempt: ${attempt_status:-none}; POST answered $(cat "$tmp/crash.code")"
fault '{}' >/dev/null
key=$(sql "SELECT idempotency_key FROM payment_attempts WHERE client_id = $cid AND form_key = '$fk1'")
[ "$(sql "SELECT COUNT(*) FROM payments p JOIN payment_attempts a ON a.id = p.attempt_id WHERE a.form_key = '$fk1'")" = 0 ] &&
    [ "$(ledger_count "$key")" = 1 ]
ok $? "before reconcile: one charge under the attempt's key, no payment recorded" "key: $key"

stack_portalctl payments reconcile --practice demo --min-age 0 >"$tmp/rec.out" 2>&1
rc=$?
[ $rc = 0 ] && grep -q 'practice demo: 1 resolved, 0 left' "$tmp/rec.out" &&
    grep -q -- '-> succeeded, receipt RCT-' "$tmp/rec.out"
ok $? "portalctl payments reconcile finds the charge and records it" "rc=$rc" "$(cat "$tmp/rec.out")"
[ "$(ledger_count "$key")" = 1 ] && [ "$(ledger_count)" = $((before + 1)) ]
ok $? "exactly one charge in the simulator's ledger" \
    "under the key: $(ledger_count "$key"); in all: $(ledger_count) (before: $before)"
[ "$(sql "SELECT CONCAT(COUNT(*), ' ', COALESCE(SUM(amount), 0)) FROM allocations WHERE invoice_id = $inv1")" = "1 12000" ] &&
    [ "$(sql "SELECT COUNT(*) FROM payments WHERE client_id = $cid")" = 1 ] &&
    [ "$(sql "SELECT COUNT(*) FROM receipts WHERE client_id = $cid")" = 1 ] &&
    stack_portalctl invoice list --practice demo --email "$email" >"$tmp/list.out" 2>&1 &&
    grep -E -q "^$num1 .* +\\\$120\\.00 +\\\$120\\.00 +\\\$0\\.00 +paid\$" "$tmp/list.out"
ok $? "the invoice is paid exactly once (one allocation, one payment, one receipt)" \
    "$(cat "$tmp/list.out")" "$(sql "SELECT * FROM allocations")"
stack_portalctl payments reconcile --practice demo --min-age 0 >"$tmp/rec2.out" 2>&1
[ "$(ledger_count)" = $((before + 1)) ] && grep -q '0 resolved, 0 left' "$tmp/rec2.out" &&
    [ "$(sql "SELECT COUNT(*) FROM payments WHERE client_id = $cid")" = 1 ]
ok $? "a second reconcile changes nothing" "$(cat "$tmp/rec2.out")"

# The master replaced its workers; the client sees the invoice paid.
up() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$STACK_URL/login")" = 200 ]; }
wait_until 10 up
get /billing "$tmp/billing2.html"
[ "$code" = 200 ] && ! grep -q "$num1" "$tmp/billing2.html" && grep -q "$num2" "$tmp/billing2.html"
ok $? "after the restart the client's Billing & Payments no longer lists $num1" "status $code"

# ---- double submit ----
get "/billing/pay?invoice=$inv2" "$tmp/pay2.html"
fk2=$(field form_key "$tmp/pay2.html")
csrf=$(field csrf "$tmp/pay2.html")
amount=$(field amount "$tmp/pay2.html")
[ "$code" = 200 ] && [ -n "$fk2" ] && [ "$amount" = 9500 ]
ok $? "the pay page of $num2 asks for \$95.00" "status $code, amount $amount"
before=$(ledger_count)
fault '{"latency_ms": 800}' >/dev/null
tok=$(token 4242424242424242)
for i in 1 2; do
	post /billing/pay "$tmp/double$i.html" --max-time 60 --data-urlencode "csrf=$csrf" \
		--data-urlencode "form_key=$fk2" --data-urlencode "amount=$amount" \
		--data-urlencode "target=invoice" --data-urlencode "invoice=$inv2" \
		--data-urlencode "card=new" --data-urlencode "token=$tok" \
		>"$tmp/double$i.code" &
	bg_pids="$bg_pids $!"
done
wait $bg_pids
bg_pids=
fault '{}' >/dev/null
c1=$(cat "$tmp/double1.code")
c2=$(cat "$tmp/double2.code")
[ "$c1" = 200 ] && [ "$c2" = 200 ] && grep -q '\$95.00' "$tmp/double1.html" &&
    grep -q '\$95.00' "$tmp/double2.html"
ok $? "both submissions are answered with the payment of \$95.00" "statuses $c1 $c2" \
    "$(grep -o '<h1>[^<]*</h1>' "$tmp/double1.html" "$tmp/double2.html")"
key2=$(sql "SELECT idempotency_key FROM payment_attempts WHERE client_id = $cid AND form_key = '$fk2'")
[ "$(sql "SELECT COUNT(*) FROM payment_attempts WHERE client_id = $cid AND form_key = '$fk2'")" = 1 ] &&
    [ "$(ledger_count "$key2")" = 1 ] && [ "$(ledger_count)" = $((before + 1)) ]
ok $? "the double submit leaves exactly one charge in the ledger" \
    "attempts: $(sql "SELECT COUNT(*) FROM payment_attempts WHERE form_key = '$fk2'"); ledger: $(ledger_count) (before: $before)"
[ "$(sql "SELECT CONCAT(COUNT(*), ' ', COALESCE(SUM(amount), 0)) FROM allocations WHERE invoice_id = $inv2")" = "1 9500" ] &&
    [ "$(sql "SELECT COUNT(*) FROM receipts WHERE client_id = $cid")" = 2 ]
ok $? "the double-submitted invoice is paid exactly once" "$(sql "SELECT * FROM allocations WHERE invoice_id = $inv2")"

# The same form once more, later (back button, resubmit): no new charge.
code=$(post /billing/pay "$tmp/again.html" --max-time 60 --data-urlencode "csrf=$csrf" \
	--data-urlencode "form_key=$fk2" --data-urlencode "amount=$amount" \
	--data-urlencode "target=invoice" --data-urlencode "invoice=$inv2" \
	--data-urlencode "card=new" --data-urlencode "token=$tok")
[ "$code" = 200 ] && [ "$(ledger_count)" = $((before + 1)) ] &&
    [ "$(sql "SELECT COUNT(*) FROM payments WHERE client_id = $cid")" = 2 ]
ok $? "a later resubmit of the same form shows the payment and charges nothing" "status $code"

# A tampered amount is refused, nothing charged.
get /billing/pay "$tmp/pay3.html"
fk3=$(field form_key "$tmp/pay3.html")
csrf3=$(field csrf "$tmp/pay3.html")
code=$(post /billing/pay "$tmp/tamper.html" --data-urlencode "csrf=$csrf3" \
	--data-urlencode "form_key=$fk3" --data-urlencode "amount=100" \
	--data-urlencode "target=balance" --data-urlencode "card=new" \
	--data-urlencode "token=$(token 4242424242424242)")
[ "$code" = 400 ] && [ "$(ledger_count)" = $((before + 1)) ] &&
    [ "$(sql "SELECT COUNT(*) FROM payment_attempts WHERE form_key = '$fk3'")" = 0 ]
ok $? "a tampered partial amount is refused with nothing charged" "status $code"

# No card number in any log or the database.
mariadb-dump --no-defaults --socket="$PORTAL_DB_SOCKET" -uroot --all-databases >"$tmp/dump.sql" 2>/dev/null
! grep -E -q '4242 ?4242 ?4242 ?4242' "$tmp/dump.sql" "$STACK_DIR"/log/*.log
ok $? "no card number in the database dump or the stack's logs"

[ "$failed" = 0 ] || comment_logs
exit $((failed > 0))
