#!/usr/bin/env bash
# tests/autopay/autopay.sh: AutoPay end to end through portalctl, against a
# real, throwaway MariaDB (tests/lib/mariadb.sh) and the real sandbox
# simulator through the real sandbox plugin. The simulator's ledger
# (/__admin/ledger: every charge it took, by idempotency key) is the
# oracle of who was charged how often. Prints TAP; stops only what it
# started (the server and the simulator, by pid).
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
export top_srcdir top_builddir

# shellcheck source=tests/lib/mariadb.sh
. "$top_srcdir/tests/lib/mariadb.sh"
# shellcheck source=tests/lib/tap.sh
source "$top_srcdir/tests/lib/tap.sh" || { echo "Bail out! cannot source tests/lib/tap.sh"; exit 1; }

tmp=$(mktemp -d /tmp/portal-autopay.XXXXXX) || { echo "Bail out! mktemp failed"; exit 1; }
chmod 700 "$tmp"
sim_pid=
bg_pids=()
cleanup() {
	local p
	for p in "${bg_pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ -n "$sim_pid" ]; then
		kill "$sim_pid" 2>/dev/null
		wait "$sim_pid" 2>/dev/null
	fi
	mariadb_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	tap_at
	shift
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/# /'
	done
}
bail() {
	echo "Bail out! $*"
	exit 1
}

command -v node >/dev/null 2>&1 || bail "node is not installed"
plugin_src="$top_builddir/gateways/sandbox/.libs/sandbox.so"
[ -f "$plugin_src" ] || bail "$plugin_src not built"
mkdir "$tmp/plugins" && cp "$plugin_src" "$tmp/plugins/sandbox.so" &&
	chmod 755 "$tmp/plugins" && chmod 644 "$tmp/plugins/sandbox.so" ||
	bail "cannot copy the plugin"

secret="sk_test_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
(umask 077 && printf '%s\n' "$secret" >"$tmp/sim-secret")

if ! mariadb_start "$tmp/db" 2>"$tmp/start.err"; then
	bail "MariaDB did not start: $(tr '\n' ' ' <"$tmp/start.err")"
fi

node "$top_srcdir/tests/sim/sandbox-sim.mjs" --port 0 --secret-key "$secret" --quiet \
	>"$tmp/sim.out" 2>"$tmp/sim.log" &
sim_pid=$!
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/^listening \([0-9][0-9]*\)$/\1/p' "$tmp/sim.out")
	[ -n "$port" ] && break
	kill -0 "$sim_pid" 2>/dev/null || bail "the simulator exited: $(cat "$tmp/sim.log")"
	sleep 0.1
done
[ -n "$port" ] || bail "the simulator did not start"
SIM_URL="http://127.0.0.1:$port"

portalctl=${PORTALCTL:-$top_builddir/portalctl}
head -c 32 /dev/urandom >"$tmp/secret.key"
chmod 0600 "$tmp/secret.key"
mkdir -p "$tmp/clinicians"
sed -e "s|^  api_base: .*|  api_base: $SIM_URL|" \
	-e "s|^  secret_key_env: .*|  secret_key_file: $tmp/sim-secret|" \
	"$top_srcdir/config/clinicians/demo.yaml" >"$tmp/clinicians/demo.yaml"
sed -e 's/^online_payments: .*/online_payments: off/' \
	"$top_srcdir/config/clinicians/harbor-family.yaml" >"$tmp/clinicians/harbor-family.yaml"
cat >"$tmp/portal.yaml" <<EOC
listen:
  socket: $tmp/portald.sock
database:
  socket: $PORTAL_DB_SOCKET
  user: root
  name: portal
base_url: https://portal.example.org
secret_key_file: $tmp/secret.key
paths:
  templates: $top_srcdir/www/templates
  clinicians: $tmp/clinicians
  plugins: $tmp/plugins
EOC
pc() {
	"$portalctl" -c "$tmp/portal.yaml" "$@"
}
sql() {
	_mariadb_client "$PORTAL_DB_SOCKET" portal -N -e "$1" 2>&1
}
faults() {
	curl -s -X POST -H 'content-type: application/json' -d "$1" "$SIM_URL/__admin/faults" >/dev/null
}
# ledger: one line per charge the simulator took: "KEY STATUS AMOUNT".
ledger() {
	node -e 'fetch(process.argv[1] + "/__admin/ledger").then((r) => r.json()).then((j) => {
		for (const c of j.charges) console.log(c.idempotency_key, c.status, c.amount, c.currency);
	})' "$SIM_URL"
}
# charged FIRST LAST: "CLIENT COUNT" per client id in [FIRST, LAST] with a
# succeeded charge, from the ledger (keys are portal-demo-ap-CLIENT-NIGHT).
charged() {
	ledger | awk -v lo="$1" -v hi="$2" '$2 == "succeeded" {
		split($1, k, "-"); if (k[3] == "ap" && k[4] + 0 >= lo && k[4] + 0 <= hi) c[k[4]]++
	} END { for (id in c) print id, c[id] }' | sort -n
}
# each_once FIRST LAST: every client in the range charged exactly once.
each_once() {
	local want got
	want=$(seq "$1" "$2" | sed 's/$/ 1/')
	got=$(charged "$1" "$2")
	[ "$want" = "$got" ]
}
seed() {
	node "$top_srcdir/tests/autopay/seed.mjs" --sim "$SIM_URL" --secret-file "$tmp/sim-secret" \
		--practice-id "$pid" "$@" >"$tmp/seed.sql" 2>"$tmp/seed.err" &&
		_mariadb_client "$PORTAL_DB_SOCKET" portal <"$tmp/seed.sql" 2>>"$tmp/seed.err"
}

if pc db migrate --sql-dir "$top_srcdir/sql" >"$tmp/out" 2>&1 &&
    grep -q '^applied 0006_autopay.sql' "$tmp/out"; then
	ok "portalctl db migrate applies 0006_autopay.sql"
else
	bail "migrate failed: $(cat "$tmp/out")"
fi
pc autopay window --practice demo >"$tmp/out" 2>&1 ||
	bail "autopay window: $(cat "$tmp/out")"
pid=$(sql "SELECT id FROM practices WHERE slug = 'demo'")
[ -n "$pid" ] || bail "no practice row"

# ---- enrollment ----
# (clients made by portalctl first: the seeded ones have explicit ids)
pc client create --practice demo --email nocard@example.org --first No --last Card >/dev/null 2>&1
pc client create --practice harbor-family --email off@example.org --first Off --last Line >/dev/null 2>&1
seed --first-id 1000 --count 1 --no-enroll || bail "seed: $(cat "$tmp/seed.err")"
if pc autopay enroll --practice demo --email AP1000@example.org >"$tmp/out" 2>&1 &&
    grep -q '^AutoPay is on, using Visa ending in 4242\.$' "$tmp/out" &&
    [ "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'autopay.enroll' AND actor = 'clinician' AND client_id = 1000")" = 1 ] &&
    pc autopay status --practice demo >"$tmp/out2" 2>&1 &&
    grep -E -q '^ap1000@example.org +Visa \*4242 +on ' "$tmp/out2" &&
    grep -q '^1 client enrolled$' "$tmp/out2" &&
    pc autopay status --practice demo --email ap1000@example.org >"$tmp/out3" 2>&1 &&
    grep -q '^notice: AutoPay is on, using Visa ending in 4242\.$' "$tmp/out3"; then
	ok "autopay enroll turns AutoPay on with the default card, audited; status lists the client; the client's notice names the card"
else
	not_ok "autopay enroll turns AutoPay on, audited; status lists it" "$(cat "$tmp/out" "$tmp/out2" "$tmp/out3" 2>/dev/null)"
fi
if ! pc autopay enroll --practice demo --email nocard@example.org >"$tmp/out" 2>&1 &&
    grep -q 'no default card' "$tmp/out" &&
    [ "$(sql "SELECT COUNT(*) FROM autopay_enrollments e JOIN clients c ON c.id = e.client_id WHERE c.email = 'nocard@example.org'")" = 0 ] &&
    [ "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'autopay.enroll_refused'")" = 1 ]; then
	ok "autopay enroll refuses a client without a default card, saying why (audited)"
else
	not_ok "autopay enroll refuses a client without a default card" "$(cat "$tmp/out")"
fi
if ! pc autopay enroll --practice harbor-family --email off@example.org >"$tmp/out" 2>&1 &&
    grep -q 'AutoPay needs Online Payments' "$tmp/out"; then
	ok "autopay enroll refuses where Online Payments are off"
else
	not_ok "autopay enroll refuses where Online Payments are off" "$(cat "$tmp/out")"
fi

# ---- the window ----
h=$((10#$(TZ=America/New_York date +%H)))
shut=$(printf '%02d:00-%02d:00' $(((h + 2) % 24)) $(((h + 3) % 24)))
[ "$shut" = "23:00-00:00" ] && shut="23:00-24:00"
open=$(printf '%02d:00-%02d:00' "$h" $((h + 1)))
if pc autopay window --practice demo --set "$shut" >/dev/null 2>&1 &&
    pc autopay run --practice demo >"$tmp/out" 2>"$tmp/err" &&
    grep -q 'outside its AutoPay window' "$tmp/out" &&
    [ "$(sql "SELECT COUNT(*) FROM payment_attempts")" = 0 ] &&
    pc autopay window --practice demo --set "$open" >/dev/null 2>&1 &&
    pc autopay run --practice demo --dry-run >"$tmp/out2" 2>"$tmp/err" &&
    grep -q '^would charge ap1000@example.org \$120.00 (Visa ending in 4242)$' "$tmp/out2" &&
    pc autopay window --practice demo --set 00:00-02:00 >/dev/null 2>&1; then
	ok "outside the practice's window a run does nothing; inside it, it would charge"
else
	not_ok "the window is kept" "shut=$shut open=$open" "$(cat "$tmp/out" "$tmp/out2" "$tmp/err" 2>/dev/null)"
fi

# ---- dry run, then two runs in a row ----
seed --first-id 1001 --count 5 || bail "seed: $(cat "$tmp/seed.err")"
seed --first-id 1006 --count 1 --no-invoice || bail "seed: $(cat "$tmp/seed.err")"
if pc autopay run --practice demo --date 2026-03-10 --dry-run >"$tmp/out" 2>"$tmp/err" &&
    [ "$(grep -c '^would charge ap10[0-9][0-9]@example.org \$120.00 (Visa ending in 4242)$' "$tmp/out")" = 6 ] &&
    grep -q 'dry run: 6 would be charged \$720.00' "$tmp/out" &&
    ! grep -q ap1006 "$tmp/out" &&
    [ -z "$(ledger)" ] &&
    [ "$(sql "SELECT COUNT(*) FROM payment_attempts")" = 0 ]; then
	ok "--dry-run lists who would be charged and how much, and charges nobody"
else
	not_ok "--dry-run lists and charges nobody" "$(cat "$tmp/out" "$tmp/err")" "$(ledger)"
fi
pc autopay run --practice demo --date 2026-03-10 >"$tmp/out" 2>"$tmp/err"
rc1=$?
pc autopay run --practice demo --date 2026-03-10 >"$tmp/out2" 2>"$tmp/err2"
rc2=$?
if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && each_once 1000 1005 &&
    [ "$(ledger | wc -l)" = 6 ] &&
    grep -q '6 due, 6 succeeded \$720.00' "$tmp/out" &&
    grep -q '0 due, 0 succeeded' "$tmp/out2" &&
    [ "$(sql "SELECT COUNT(*) FROM payments p JOIN receipts r ON r.payment_id = p.id WHERE p.client_id BETWEEN 1000 AND 1005")" = 6 ] &&
    [ "$(sql "SELECT COUNT(*) FROM allocations WHERE client_id BETWEEN 1000 AND 1005 AND amount = 12000")" = 6 ]; then
	ok "two runs in a row charge each due client once (payment, allocation and receipt each)"
else
	not_ok "two runs in a row charge once" "rc=$rc1/$rc2" "$(cat "$tmp/out" "$tmp/err" "$tmp/out2")" "$(ledger)"
fi
if [ "$(sql "SELECT COUNT(*) FROM payment_attempts WHERE client_id = 1006")" = 0 ] && ! ledger | grep -q -- '-ap-1006-'; then
	ok "an enrolled client with nothing invoiced is not charged"
else
	not_ok "an enrolled client with nothing invoiced is not charged" "$(ledger)"
fi
if pc autopay run --practice demo --date 2026-03-11 >"$tmp/out" 2>&1 && grep -q '0 due' "$tmp/out" &&
    [ "$(ledger | wc -l)" = 6 ]; then
	ok "the next night a zero balance is not charged"
else
	not_ok "the next night a zero balance is not charged" "$(cat "$tmp/out")" "$(ledger)"
fi
# A refund leaves a balance without a new invoice: not AutoPay's to take
# back; a new invoice makes the whole balance due again.
pay=$(sql "SELECT id FROM payments WHERE client_id = 1001")
sql "INSERT INTO refunds (practice_id, client_id, payment_id, invoice_id, amount, idempotency_key, status, created_at, updated_at) VALUES ($pid, 1001, $pay, 1001, 5000, 'test-refund-1001', 'succeeded', UNIX_TIMESTAMP(), UNIX_TIMESTAMP())" >/dev/null
if pc autopay run --practice demo --date 2026-03-12 --dry-run >"$tmp/out" 2>&1 && ! grep -q 'would charge ap1001' "$tmp/out" &&
    pc autopay run --practice demo --date 2026-03-12 >"$tmp/out2" 2>&1 && [ "$(ledger | wc -l)" = 6 ]; then
	ok "a balance without an invoice since the last AutoPay charge is not charged"
else
	not_ok "a balance without a new invoice is not charged" "$(cat "$tmp/out" "$tmp/out2")" "$(ledger)"
fi
pc invoice create --practice demo --email ap1001@example.org --line "2026-03-12|Individual therapy session (50 min)|80.00" >/dev/null 2>"$tmp/err" ||
	not_ok "invoice create" "$(cat "$tmp/err")"
if pc autopay run --practice demo --date 2026-03-13 >"$tmp/out" 2>&1 &&
    ledger | grep -q -- '-ap-1001-20260313 succeeded 13000 usd$'; then
	ok "after a new invoice the full balance is charged (\$50.00 left + \$80.00)"
else
	not_ok "after a new invoice the full balance is charged" "$(cat "$tmp/out")" "$(ledger)"
fi

# ---- two runners at once ----
seed --first-id 2001 --count 40 || bail "seed: $(cat "$tmp/seed.err")"
faults '{"latency_ms": 200}'
pc autopay run --practice demo --date 2026-03-14 --pool 4 >"$tmp/r1.out" 2>"$tmp/r1.err" &
p1=$!
pc autopay run --practice demo --date 2026-03-14 --pool 4 >"$tmp/r2.out" 2>"$tmp/r2.err" &
p2=$!
wait $p1
rc1=$?
wait $p2
rc2=$?
faults '{}'
runners=$(sql "SELECT COUNT(DISTINCT runner) FROM autopay_charges WHERE run_on = '2026-03-14'")
if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && each_once 2001 2040 &&
    [ "$(ledger | grep -c -- '-20260314 ')" = 40 ] &&
    [ "$(sql "SELECT COUNT(*) FROM payments WHERE client_id BETWEEN 2001 AND 2040")" = 40 ]; then
	ok "two runners started together charge each of 40 clients once"
else
	not_ok "two runners started together charge each client once" "rc=$rc1/$rc2" \
		"$(cat "$tmp/r1.out" "$tmp/r1.err" "$tmp/r2.out" "$tmp/r2.err")" "$(charged 2001 2040 | awk '$2 != 1')"
fi
s1=$(sed -n 's/.* due, \([0-9]*\) succeeded .*/\1/p' "$tmp/r1.out")
s2=$(sed -n 's/.* due, \([0-9]*\) succeeded .*/\1/p' "$tmp/r2.out")
if [ "$runners" = 2 ] && [ $((s1 + s2)) = 40 ] &&
    [ "$(sql "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'autopay.%' AND action <> 'autopay.succeeded' AND detail LIKE '%night=2026-03-14%'")" = 0 ]; then
	ok "both runners took part of the work and neither touched a charge the other held (SKIP LOCKED)"
else
	not_ok "both runners took part of the work, apart" "runners=$runners s1=$s1 s2=$s2" "$(cat "$tmp/r1.out" "$tmp/r2.out")" \
		"$(sql "SELECT action, detail FROM audit_log WHERE action LIKE 'autopay.%' AND detail LIKE '%night=2026-03-14%' AND action <> 'autopay.succeeded'")"
fi

# ---- SIGKILL midway, then a new run and reconcile ----
seed --first-id 3001 --count 60 || bail "seed: $(cat "$tmp/seed.err")"
faults '{"latency_ms": 200}'
pc autopay run --practice demo --date 2026-03-15 --pool 4 >"$tmp/k.out" 2>"$tmp/k.err" &
pk=$!
bg_pids+=("$pk")
# Kill it once a few charges have started (well before all 60: that takes
# 60 x 200 ms / 4 = 3 s).
for _ in $(seq 1 100); do
	[ "$(sql "SELECT COUNT(*) FROM autopay_charges WHERE run_on = '2026-03-15'")" -ge 8 ] && break
	sleep 0.1
done
sleep 0.3
kill -KILL "$pk" 2>/dev/null
wait "$pk" 2>/dev/null
bg_pids=()
mid=$(sql "SELECT COUNT(*) FROM autopay_charges WHERE run_on = '2026-03-15'")
open_after_kill=$(sql "SELECT COUNT(*) FROM payment_attempts WHERE client_id BETWEEN 3001 AND 3060 AND status IN ('pending', 'unknown')")
pc autopay run --practice demo --date 2026-03-15 --pool 8 >"$tmp/k2.out" 2>"$tmp/k2.err"
rc2=$?
faults '{}'
sleep 0.5
pc payments reconcile --practice demo --min-age 0 >"$tmp/rec.out" 2>&1
rc3=$?
if [ "$mid" -gt 0 ] && [ "$mid" -lt 60 ]; then
	ok "the runner was killed midway ($mid of 60 charges started, $open_after_kill left open)"
else
	not_ok "the runner was killed midway" "mid=$mid" "$(cat "$tmp/k.out" "$tmp/k.err")"
fi
if { [ "$rc2" = 0 ] || [ "$rc2" = 3 ]; } && [ $rc3 -eq 0 ] && each_once 3001 3060 &&
    [ "$(ledger | grep -c -- '-20260315 ')" = 60 ] &&
    [ "$(sql "SELECT COUNT(*) FROM payment_attempts WHERE status IN ('pending', 'unknown')")" = 0 ] &&
    [ "$(sql "SELECT COUNT(*) FROM payments WHERE client_id BETWEEN 3001 AND 3060")" = 60 ] &&
    [ "$(sql "SELECT COUNT(DISTINCT payment_id) FROM receipts WHERE client_id BETWEEN 3001 AND 3060")" = 60 ]; then
	ok "after SIGKILL, a new run and reconcile: every due client charged once, recorded once, nothing pending"
else
	not_ok "after SIGKILL, a new run and reconcile: each charged once, nothing pending" "rc=$rc2/$rc3" \
		"$(cat "$tmp/k2.out" "$tmp/k2.err" "$tmp/rec.out")" "$(charged 3001 3060 | awk '$2 != 1')" \
		"$(sql "SELECT id, client_id, status FROM payment_attempts WHERE status IN ('pending','unknown')")"
fi

# ---- a crash between the attempt's commit and the processor call ----
# 6001: the night's attempt and charge row committed, never sent (the
# runner died in between): the next run sends it under the same key.
# 6002: an earlier night's attempt left unknown: no new key until it is
# reconciled.
seed --first-id 6001 --count 2 || bail "seed: $(cat "$tmp/seed.err")"
for c in 6001:20260327:2026-03-27 6002:20260326:2026-03-26; do
	IFS=: read -r cl k night <<<"$c"
	st=pending
	[ "$cl" = 6002 ] && st=unknown
	sql "INSERT INTO payment_attempts (practice_id, client_id, idempotency_key, target, amount, currency, plugin, source, payment_method_id, off_session, status, created_at, updated_at) SELECT $pid, $cl, 'portal-demo-ap-$cl-$k', 'balance', 12000, 'USD', 'sandbox', 'card', id, 1, '$st', UNIX_TIMESTAMP() - 600, UNIX_TIMESTAMP() - 600 FROM payment_methods WHERE client_id = $cl" >/dev/null
	sql "INSERT INTO autopay_charges (practice_id, client_id, run_on, attempt_id, amount, through_invoice_id, runner, created_at) SELECT $pid, $cl, '$night', id, 12000, $cl, 'crashed', UNIX_TIMESTAMP() - 600 FROM payment_attempts WHERE idempotency_key = 'portal-demo-ap-$cl-$k'" >/dev/null
done
pc autopay run --practice demo --date 2026-03-27 >"$tmp/out" 2>"$tmp/err"
if [ "$(ledger | grep -c -- '^portal-demo-ap-6001-20260327 succeeded 12000 usd$')" = 1 ] &&
    [ "$(ledger | grep -c -- '-ap-6001-')" = 1 ] &&
    [ "$(sql "SELECT status FROM payment_attempts WHERE client_id = 6001")" = succeeded ] &&
    [ "$(sql "SELECT COUNT(*) FROM payments WHERE client_id = 6001")" = 1 ]; then
	ok "an attempt committed but never sent is sent by the next run under the same key, once"
else
	not_ok "an attempt committed but never sent is sent by the next run" "$(cat "$tmp/out" "$tmp/err")" "$(ledger | grep -- -ap-600)"
fi
if ! ledger | grep -q -- '-ap-6002-' &&
    [ "$(sql "SELECT COUNT(*) FROM payment_attempts WHERE client_id = 6002")" = 1 ]; then
	ok "a client with an unknown attempt is not charged under a new key while it is unresolved"
else
	not_ok "an unknown attempt blocks a new key" "$(ledger | grep -- -ap-6002-)"
fi
pc payments reconcile --practice demo --min-age 0 >"$tmp/out" 2>&1
pc autopay run --practice demo --date 2026-03-28 >"$tmp/out2" 2>&1
if grep -q 'NOT_FOUND -> failed' "$tmp/out" &&
    [ "$(ledger | grep -c -- '^portal-demo-ap-6002-20260328 succeeded 12000 usd$')" = 1 ] &&
    [ "$(ledger | grep -c -- '-ap-6002-')" = 1 ]; then
	ok "once reconcile settles it (never reached the processor), the next night charges once"
else
	not_ok "after reconcile the next night charges once" "$(cat "$tmp/out" "$tmp/out2")" "$(ledger | grep -- -ap-6002-)"
fi

# ---- a payment by hand resets the failed nights ----
seed --first-id 4101 --count 1 --card 4000000000000341 || bail "seed: $(cat "$tmp/seed.err")"
for d in 10 11; do
	pc autopay run --practice demo --date 2026-02-$d >"$tmp/r$d.out" 2>"$tmp/r$d.err"
done
n2=$(sql "SELECT failed_nights FROM autopay_enrollments WHERE client_id = 4101")
# The client pays 0.01 by hand after the second failed night (a payment
# row on that night's attempt: later than both failed charges).
sql "INSERT INTO payments (practice_id, client_id, attempt_id, amount, currency, processor_ref, paid_at)
	SELECT ac.practice_id, ac.client_id, ac.attempt_id, 1, 'USD', 'by-hand-4101', UNIX_TIMESTAMP()
	FROM autopay_charges ac WHERE ac.client_id = 4101 ORDER BY ac.attempt_id DESC LIMIT 1" >/dev/null
pc autopay run --practice demo --date 2026-02-12 >"$tmp/r12.out" 2>"$tmp/r12.err"
if [ "$n2" = 2 ] &&
    [ "$(sql "SELECT CONCAT(enabled, ' ', failed_nights) FROM autopay_enrollments WHERE client_id = 4101")" = "1 1" ]; then
	ok "a payment after two failed nights resets the count: the third decline is failed night 1, AutoPay stays on"
else
	not_ok "a payment resets the failed nights" "before: $n2" "$(sql "SELECT * FROM autopay_enrollments WHERE client_id = 4101")" "$(cat "$tmp/r12.out")"
fi
pc autopay unenroll --practice demo --email ap4101@example.org >/dev/null 2>&1 ||
	bail "unenroll ap4101 failed"

# ---- declines: three failed nights turn AutoPay off ----
seed --first-id 4001 --count 1 --card 4000000000000341 || bail "seed: $(cat "$tmp/seed.err")"
for d in 20 21; do
	pc autopay run --practice demo --date 2026-03-$d >"$tmp/d$d.out" 2>"$tmp/d$d.err"
done
if [ "$(sql "SELECT CONCAT(enabled, ' ', failed_nights) FROM autopay_enrollments WHERE client_id = 4001")" = "1 2" ] &&
    [ "$(ledger | grep -c -- '-ap-4001-.* failed ')" = 2 ] &&
    grep -q '1 declined \$120.00' "$tmp/d21.out"; then
	ok "a declined card is recorded and retried the next night under that night's key"
else
	not_ok "a declined card is retried the next night" "$(cat "$tmp/d20.out" "$tmp/d21.out")" "$(ledger | grep -- -ap-4001-)"
fi
pc autopay run --practice demo --date 2026-03-22 >"$tmp/d22.out" 2>"$tmp/d22.err"
pc autopay run --practice demo --date 2026-03-23 >"$tmp/d23.out" 2>"$tmp/d23.err"
if [ "$(sql "SELECT CONCAT(enabled, ' ', disabled_reason, ' ', disabled_on) FROM autopay_enrollments WHERE client_id = 4001")" = "0 failures 2026-03-22" ] &&
    grep -q '1 turned off' "$tmp/d22.out" &&
    grep -q 'event=autopay_turned_off .*client_id=4001' "$tmp/d22.err" &&
    [ "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'autopay.turned_off' AND client_id = 4001")" = 1 ] &&
    [ "$(ledger | grep -c -- '-ap-4001-')" = 3 ] &&
    pc autopay report --practice demo --date 2026-03-22 >"$tmp/rep.out" 2>&1 &&
    grep -q 'AutoPay turned off for Auto Pay4001 <ap4001@example.org> after 3 failed nights' "$tmp/rep.out"; then
	ok "after 3 failed nights AutoPay turns off, logged, audited and in the report; no 4th charge"
else
	not_ok "after 3 failed nights AutoPay turns off" "$(cat "$tmp/d22.out" "$tmp/d22.err" "$tmp/rep.out" 2>/dev/null | tail -20)" \
		"$(sql "SELECT * FROM autopay_enrollments WHERE client_id = 4001")"
fi
if pc autopay status --practice demo --email ap4001@example.org >"$tmp/out" 2>&1 &&
    grep -q '^enrolled: no$' "$tmp/out" && grep -q '^notice: AutoPay was turned off after 3 declined nights' "$tmp/out"; then
	ok "the client's notice says AutoPay was turned off"
else
	not_ok "the client's notice says AutoPay was turned off" "$(cat "$tmp/out")"
fi

# ---- REQUIRES_ACTION: the client is asked to come back ----
seed --first-id 5001 --count 1 --card 4000002760003184 || bail "seed: $(cat "$tmp/seed.err")"
pc autopay run --practice demo --date 2026-03-24 >"$tmp/out" 2>&1
if grep -q '1 action required \$120.00' "$tmp/out" &&
    [ "$(sql "SELECT status FROM payment_attempts WHERE client_id = 5001")" = requires_action ] &&
    pc autopay status --practice demo >"$tmp/out2" 2>&1 &&
    grep -E -q '^ap5001@example.org .*requires_action .* action required$' "$tmp/out2" &&
    pc autopay status --practice demo --email ap5001@example.org >"$tmp/out3" 2>&1 &&
    grep -q '^action: Your bank needs you to confirm the AutoPay charge of your balance of \$120.00. Please confirm it now' "$tmp/out3"; then
	ok "REQUIRES_ACTION is recorded and the client's notice asks them to come back and pay"
else
	not_ok "REQUIRES_ACTION asks the client to come back" "$(cat "$tmp/out" "$tmp/out2" "$tmp/out3")"
fi
# The client pays on-session (as the pay page would record it): the notice goes.
att=$(sql "SELECT id FROM payment_attempts WHERE client_id = 5001")
sql "INSERT INTO payment_attempts (practice_id, client_id, idempotency_key, target, amount, currency, plugin, source, status, created_at, updated_at) VALUES ($pid, 5001, 'test-on-session-5001', 'balance', 12000, 'USD', 'sandbox', 'card', 'succeeded', UNIX_TIMESTAMP() + 1, UNIX_TIMESTAMP() + 1)" >/dev/null
att2=$(sql "SELECT id FROM payment_attempts WHERE idempotency_key = 'test-on-session-5001'")
sql "INSERT INTO payments (practice_id, client_id, attempt_id, amount, currency, processor_ref, paid_at) VALUES ($pid, 5001, $att2, 12000, 'USD', 'ch_test', UNIX_TIMESTAMP() + 1)" >/dev/null
sql "INSERT INTO allocations (practice_id, client_id, payment_id, invoice_id, amount) SELECT $pid, 5001, id, 5001, 12000 FROM payments WHERE attempt_id = $att2" >/dev/null
if [ -n "$att" ] && pc autopay status --practice demo --email ap5001@example.org >"$tmp/out" 2>&1 &&
    grep -q '^action: $' "$tmp/out" && grep -q '^notice: AutoPay is on' "$tmp/out"; then
	ok "once the client has paid, the come-back notice is gone"
else
	not_ok "once the client has paid, the come-back notice is gone" "$(cat "$tmp/out")"
fi

# ---- the report ----
if pc autopay report --practice demo --date 2026-03-10 >"$tmp/out" 2>&1 &&
    grep -E -q '^  succeeded +6 +\$720\.00$' "$tmp/out" &&
    grep -E -q '^run [0-9]+ night 2026-03-10 by .*: due 6, succeeded 6 \$720\.00' "$tmp/out" &&
    grep -E -q '^run [0-9]+ night 2026-03-10 by .* \(dry run\)' "$tmp/out" &&
    pc autopay report --practice demo --date 2026-03-24 >"$tmp/out2" 2>&1 &&
    grep -E -q '^  action required +1 +\$120\.00$' "$tmp/out2"; then
	ok "autopay report gives each night's counts and amounts by outcome, and each run"
else
	not_ok "autopay report gives counts and amounts" "$(cat "$tmp/out" "$tmp/out2")"
fi

# ---- unenroll ----
pc invoice create --practice demo --email ap1002@example.org --line "2026-03-25|Individual therapy session (50 min)|120.00" >/dev/null 2>&1
if pc autopay unenroll --practice demo --email ap1002@example.org >"$tmp/out" 2>&1 &&
    grep -q '^AutoPay is off\.$' "$tmp/out" &&
    pc autopay run --practice demo --date 2026-03-26 >"$tmp/out2" 2>&1 &&
    ! ledger | grep -q -- '-ap-1002-20260326' &&
    ! pc autopay unenroll --practice demo --email ap1002@example.org >/dev/null 2>&1; then
	ok "after unenroll the client is not charged (a second unenroll says it was not on)"
else
	not_ok "unenroll stops AutoPay" "$(cat "$tmp/out" "$tmp/out2")"
fi

# ---- an expired default card ----
# Two enrolled clients whose cards "expired since they were saved": 7001's
# in 02/2026, before the night's month (never charged, skipped with a
# reason), 7002's in 03/2026, the night's own month (still good).
seed --first-id 7001 --count 2 || bail "seed: $(cat "$tmp/seed.err")"
sql "UPDATE payment_methods SET exp_month = 2, exp_year = 2026 WHERE client_id = 7001" >/dev/null
sql "UPDATE payment_methods SET exp_month = 3, exp_year = 2026 WHERE client_id = 7002" >/dev/null
pc autopay run --practice demo --date 2026-03-27 --dry-run >"$tmp/out" 2>"$tmp/err"
rc=$?
pc autopay run --practice demo --date 2026-03-27 >"$tmp/out2" 2>"$tmp/err2"
rc2=$?
pc autopay status --practice demo --email ap7001@example.org >"$tmp/out3" 2>&1
if [ $rc = 0 ] && [ $rc2 = 0 ] &&
    grep -q '^would skip ap7001@example.org: the default card has expired$' "$tmp/out" &&
    grep -q '^would charge ap7002@example.org ' "$tmp/out" &&
    grep -q 'event=autopay_skip .*email=ap7001@example.org .*reason="the default card has expired"' "$tmp/err2" &&
    [ -z "$(charged 7001 7001)" ] && [ "$(charged 7002 7002 | awk '{print $2}')" = 1 ] &&
    [ "$(sql "SELECT COUNT(*) FROM payment_attempts WHERE client_id = 7001")" = 0 ] &&
    grep -q '^notice: AutoPay is on, but your default card, Visa ending in 4242, has expired, so AutoPay can.t charge it\.' "$tmp/out3"; then
	ok "AutoPay skips a default card past its expiry month with the reason, charges one expiring that month, and the client's notice says the card expired"
else
	not_ok "AutoPay skips an expired default card with the reason" "rc=$rc/$rc2" \
	    "$(cat "$tmp/out" "$tmp/err2" "$tmp/out3")" "$(charged 7001 7002)"
fi

# ---- a currency without decimals (JPY) ----
# A practice in Tokyo billing in yen: an invoice of 1200 minor units is
# ¥1,200 (JPY has no decimals), shown so and charged as 1200 JPY.
sed -e 's/^name: .*/name: Tokyo Counseling/' -e 's/^currency: .*/currency: JPY/' \
    -e 's|^timezone: .*|timezone: Asia/Tokyo|' "$tmp/clinicians/demo.yaml" >"$tmp/clinicians/tokyo.yaml"
pc autopay window --practice tokyo >/dev/null 2>&1 || bail "autopay window --practice tokyo: $(pc autopay window --practice tokyo 2>&1)"
usd_pid=$pid
pid=$(sql "SELECT id FROM practices WHERE slug = 'tokyo'")
seed --first-id 8001 --count 1 --amount 1200 --email-prefix jp || bail "seed: $(cat "$tmp/seed.err")"
pid=$usd_pid
pc invoice list --practice tokyo --email jp8001@example.org >"$tmp/out" 2>&1
pc autopay run --practice tokyo --date 2026-03-27 >"$tmp/out2" 2>"$tmp/err2"
rc=$?
jp=$(ledger | grep -- '^portal-tokyo-ap-8001-20260327 ')
if [ $rc = 0 ] && grep -q '¥1,200' "$tmp/out" && ! grep -q '¥1,200\.00\|¥120,000' "$tmp/out" &&
    [ "$jp" = "portal-tokyo-ap-8001-20260327 succeeded 1200 jpy" ] &&
    grep -q '1 due, 1 succeeded ¥1,200' "$tmp/out2" &&
    [ "$(sql "SELECT CONCAT(amount, ' ', currency) FROM payments WHERE client_id = 8001")" = "1200 JPY" ]; then
	ok "a JPY practice: an invoice of ¥1,200 is listed as ¥1,200 and AutoPay charges 1200 JPY (the simulator's ledger), recorded as 1200 JPY"
else
	not_ok "a JPY practice's ¥1,200 is charged as 1200 JPY" "rc=$rc ledger: $jp" "$(cat "$tmp/out" "$tmp/out2" "$tmp/err2")" \
	    "$(sql "SELECT amount, currency FROM payments WHERE client_id = 8001")"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
