#!/usr/bin/env bash
# tests/integration/billing.sh: integration tests of billing against a real,
# throwaway MariaDB (tests/lib/mariadb.sh) and the real sandbox simulator
# (tests/sim/sandbox-sim.mjs on a free port) through the real sandbox plugin:
# the Check suite tests/integration/check_billing, then portalctl's billing
# commands end to end (invoices, cards, payments, reconcile, demo seed).
# Prints TAP; stops only what it started (the server and the simulator, by
# pid) on exit.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
export top_srcdir top_builddir

# shellcheck source=tests/lib/mariadb.sh
. "$top_srcdir/tests/lib/mariadb.sh"
# shellcheck source=tests/lib/tap.sh
source "$top_srcdir/tests/lib/tap.sh" || { echo "Bail out! cannot source tests/lib/tap.sh"; exit 1; }

tmp=$(mktemp -d /tmp/portal-bill.XXXXXX) || { echo "Bail out! mktemp failed"; exit 1; }
chmod 700 "$tmp"
sim_pid=
cleanup() {
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
whsec="whsec_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
(umask 077 && printf '%s\n' "$secret" >"$tmp/sim-secret" &&
	printf '%s\n' "$whsec" >"$tmp/sim-whsec")

if ! mariadb_start "$tmp/db" 2>"$tmp/start.err"; then
	bail "MariaDB did not start: $(tr '\n' ' ' <"$tmp/start.err")"
fi

node "$top_srcdir/tests/sim/sandbox-sim.mjs" --port 0 --secret-key "$secret" \
	--webhook-secret "$whsec" >"$tmp/sim.out" 2>"$tmp/sim.log" &
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
export SIM_URL

# ---- the Check suite, renumbered into this script's TAP stream ----
CK_TAP_LOG_FILE_NAME=- CK_VERBOSITY=normal PORTAL_DB_SOCKET=$PORTAL_DB_SOCKET \
	PLUGIN_DIR="$tmp/plugins" SIM_SECRET_FILE="$tmp/sim-secret" \
	SIM_WEBHOOK_SECRET_FILE="$tmp/sim-whsec" \
	"$top_builddir/tests/integration/check_billing" >"$tmp/check.out" 2>"$tmp/check.err"
rc=$?
seen=0
while IFS= read -r line; do
	case $line in
	"ok "*)
		seen=$((seen + 1))
		ok "check_billing: ${line#ok * - }"
		;;
	"not ok "*)
		seen=$((seen + 1))
		not_ok "check_billing: ${line#not ok * - }"
		;;
	*) [ -n "$line" ] && echo "# $line" ;;
	esac
done <"$tmp/check.out"
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	not_ok "check_billing exited with status $rc" "$(tail -30 "$tmp/check.err")"
elif [ "$seen" -eq 0 ]; then
	not_ok "check_billing ran no test" "$(tail -30 "$tmp/check.err")"
fi

# ---- portalctl end to end ----
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

if pc db migrate --sql-dir "$top_srcdir/sql" >"$tmp/out" 2>&1 &&
    grep -q '^applied 0002_billing.sql' "$tmp/out" &&
    grep -q '^applied 0003_processor_events.sql' "$tmp/out"; then
	ok "portalctl db migrate applies 0002_billing.sql and 0003_processor_events.sql"
else
	not_ok "portalctl db migrate applies the billing migrations" "$(cat "$tmp/out")"
fi

printf 'demo-password-1\n' >"$tmp/pw"
if pc demo seed --email client@example.org --password-file "$tmp/pw" >"$tmp/out" 2>&1 &&
    grep -q '3 demo invoices added' "$tmp/out" &&
    pc demo seed --email client@example.org --password-file "$tmp/pw" >"$tmp/out2" 2>&1 &&
    grep -q 'exist already' "$tmp/out2" &&
    [ "$(sql "SELECT COUNT(*) FROM invoices")" = 3 ] &&
    [ "$(sql "SELECT SUM(amount) FROM invoice_lines")" = 36500 ]; then
	ok "portalctl demo seed adds three unpaid invoices once (\$120.00, \$95.00, \$150.00)"
else
	not_ok "portalctl demo seed adds three unpaid invoices once" "$(cat "$tmp/out" "$tmp/out2" 2>/dev/null)"
fi
if ! sql "SELECT description FROM invoice_lines" | grep -E -q '[0-9]{5}|F[0-9]{2}\.|Z[0-9]{2}'; then
	ok "demo invoice descriptions carry no CPT or diagnosis codes"
else
	not_ok "demo invoice descriptions carry no CPT or diagnosis codes" "$(sql "SELECT description FROM invoice_lines")"
fi

pc client create --practice demo --email jordan.lee@example.org --first Jordan --last Lee >/dev/null 2>&1
number=$(pc invoice create --practice demo --email Jordan.Lee@example.org \
	--line "2026-03-02|Intake assessment (60 min)|150.00" \
	--line "2026-03-09|Individual therapy session (50 min)|120|2" \
	--issued 2026-03-10 --due 2026-04-30 2>"$tmp/err")
if [ "$number" = "INV-000004" ] &&
    [ "$(sql "SELECT SUM(amount) FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE i.number = 'INV-000004'")" = 39000 ]; then
	ok "portalctl invoice create prints the next number; lines with quantities add up"
else
	not_ok "portalctl invoice create prints the next number" "number=$number" "$(cat "$tmp/err")"
fi
for bad in "2026-02-30|x|10" "2026-03-01|x|ten" "2026-03-01|x" "2026-03-01||10"; do
	if pc invoice create --practice demo --email jordan.lee@example.org --line "$bad" >"$tmp/out" 2>"$tmp/err"; then
		not_ok "portalctl invoice create refuses --line \"$bad\"" "$(cat "$tmp/out")"
	elif [ "$(wc -l <"$tmp/err")" -ge 1 ] && [ ! -s "$tmp/out" ]; then
		ok "portalctl invoice create refuses --line \"$bad\""
	else
		not_ok "portalctl invoice create refuses --line \"$bad\"" "$(cat "$tmp/err")"
	fi
done
if pc invoice create --practice demo --email nobody@example.org --line "2026-03-01|x|10" >/dev/null 2>"$tmp/err"; then
	not_ok "portalctl invoice create refuses an unknown client"
elif grep -q 'no client with email nobody@example.org' "$tmp/err"; then
	ok "portalctl invoice create refuses an unknown client, naming the email"
else
	not_ok "portalctl invoice create refuses an unknown client" "$(cat "$tmp/err")"
fi
if pc invoice list --practice demo >"$tmp/out" 2>&1 &&
    grep -E -q '^INV-000001 +client@example.org .* +\$120\.00 +\$0\.00 +\$120\.00 +unpaid$' "$tmp/out" &&
    grep -E -q '^INV-000004 +jordan.lee@example.org +2026-03-10 +2026-04-30 +\$390\.00 ' "$tmp/out" &&
    grep -q '^4 invoices, \$755.00 due$' "$tmp/out"; then
	ok "portalctl invoice list shows totals, paid, due and status"
else
	not_ok "portalctl invoice list shows totals, paid, due and status" "$(cat "$tmp/out")"
fi
if pc invoice list --practice demo --email jordan.lee@example.org >"$tmp/out" 2>&1 &&
    ! grep -q client@example.org "$tmp/out" && grep -q INV-000004 "$tmp/out"; then
	ok "portalctl invoice list --email shows one client's invoices"
else
	not_ok "portalctl invoice list --email shows one client's invoices" "$(cat "$tmp/out")"
fi

# A card saved and an attempt left 'unknown' by a crash: charge at the
# simulator under a key, then record the attempt as step 1 would have.
cid=$(sql "SELECT id FROM clients WHERE email = 'client@example.org'")
pid=$(sql "SELECT id FROM practices WHERE slug = 'demo'")
tok=$(curl -s -X POST -H 'content-type: application/json' -d '{"number":"4242424242424242"}' \
	"$SIM_URL/__test/tokens" | sed -n 's/.*"id":"\(tok_[a-z0-9]*\)".*/\1/p')
key="portal-demo-att-crash-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
code=$(curl -s -o "$tmp/charge.json" -w '%{http_code}' -X POST \
	-H "Authorization: Bearer $secret" -H 'content-type: application/json' \
	-H "Idempotency-Key: $key" -d "{\"amount\":12000,\"currency\":\"usd\",\"token\":\"$tok\"}" \
	"$SIM_URL/v1/charges")
inv1=$(sql "SELECT id FROM invoices WHERE number = 'INV-000001'")
sql "INSERT INTO payment_attempts (practice_id, client_id, form_key, idempotency_key, target, invoice_id, amount, currency, plugin, source, status, created_at, updated_at) VALUES ($pid, $cid, 'crash-form-key-000001', '$key', 'invoice', $inv1, 12000, 'USD', 'sandbox', 'token', 'pending', UNIX_TIMESTAMP() - 900, UNIX_TIMESTAMP() - 900)" >/dev/null
# And one that never reached the processor.
sql "INSERT INTO payment_attempts (practice_id, client_id, idempotency_key, target, amount, currency, plugin, source, status, created_at, updated_at) VALUES ($pid, $cid, 'portal-demo-att-never-sent', 'balance', 36500, 'USD', 'sandbox', 'token', 'unknown', UNIX_TIMESTAMP() - 900, UNIX_TIMESTAMP() - 900)" >/dev/null
if [ "$code" = 200 ] && pc payments list --practice demo >"$tmp/out" 2>&1 &&
    grep -E -q 'client@example.org +\$120\.00 +invoice [0-9]+ +pending' "$tmp/out"; then
	ok "portalctl payments list shows an attempt left pending"
else
	not_ok "portalctl payments list shows an attempt left pending" "code=$code" "$(cat "$tmp/out")"
fi
pc payments reconcile --practice demo --min-age 3600 >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q 'practice demo: 0 resolved, 0 left' "$tmp/out" &&
    [ "$(sql "SELECT COUNT(*) FROM payment_attempts WHERE status IN ('pending','unknown')")" = 2 ]; then
	ok "portalctl payments reconcile --min-age leaves younger attempts alone"
else
	not_ok "portalctl payments reconcile --min-age leaves younger attempts alone" "rc=$rc" "$(cat "$tmp/out")"
fi
pc payments reconcile --min-age 60 >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 0 ] && grep -q 'practice demo: 2 resolved, 0 left' "$tmp/out" &&
    grep -q 'SUCCEEDED -> succeeded, receipt RCT-000001' "$tmp/out" &&
    grep -q 'NOT_FOUND -> failed' "$tmp/out" &&
    grep -q 'practice harbor-family:' "$tmp/out"; then
	ok "portalctl payments reconcile records the charge the crash left and fails the one never sent"
else
	not_ok "portalctl payments reconcile settles both attempts" "rc=$rc" "$(cat "$tmp/out" "$tmp/err")"
fi
charges=$(curl -s "$SIM_URL/__admin/ledger" | grep -o "\"idempotency_key\":\"$key\"" | wc -l)
if [ "$charges" = 1 ] &&
    [ "$(sql "SELECT CONCAT(COUNT(*), ' ', SUM(amount)) FROM allocations WHERE invoice_id = $inv1")" = "1 12000" ] &&
    pc invoice list --practice demo --email client@example.org >"$tmp/out" 2>&1 &&
    grep -E -q '^INV-000001 .* +\$120\.00 +\$120\.00 +\$0\.00 +paid$' "$tmp/out"; then
	ok "after reconcile: one charge in the ledger, the invoice paid once"
else
	not_ok "after reconcile: one charge in the ledger, the invoice paid once" "charges=$charges" "$(cat "$tmp/out")"
fi
pc payments reconcile --min-age 0 >"$tmp/out" 2>&1
if grep -q 'practice demo: 0 resolved, 0 left' "$tmp/out" &&
    [ "$(sql "SELECT COUNT(*) FROM payments")" = 1 ] &&
    [ "$(sql "SELECT COUNT(*) FROM receipts")" = 1 ]; then
	ok "a second reconcile records nothing twice"
else
	not_ok "a second reconcile records nothing twice" "$(cat "$tmp/out")"
fi
if [ "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'payment.reconcile'")" = 2 ]; then
	ok "reconcile writes an audit row per attempt"
else
	not_ok "reconcile writes an audit row per attempt"
fi

# An attempt made through a processor the practice no longer uses is left
# open, reported, and the exit status says so.
sql "INSERT INTO payment_attempts (practice_id, client_id, idempotency_key, target, amount, currency, plugin, source, status, created_at, updated_at) VALUES ($pid, $cid, 'portal-demo-att-other-plugin', 'balance', 500, 'USD', 'oldproc', 'token', 'unknown', UNIX_TIMESTAMP() - 900, UNIX_TIMESTAMP() - 900)" >/dev/null
pc payments reconcile --practice demo --min-age 60 >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 3 ] && grep -q 'left unknown: processor oldproc is not loaded' "$tmp/out" &&
    grep -q 'practice demo: 0 resolved, 1 left' "$tmp/out"; then
	ok "portalctl payments reconcile exits 3 and names an attempt it cannot settle"
else
	not_ok "portalctl payments reconcile exits 3 and names an attempt it cannot settle" "rc=$rc" "$(cat "$tmp/out")"
fi
sql "UPDATE payment_attempts SET status = 'failed' WHERE plugin = 'oldproc'" >/dev/null

# Cards: save one through the plugin? Not from the CLI (clients do that);
# insert as the pages would and check list/disable.
sql "INSERT INTO payment_methods (practice_id, client_id, plugin, customer_ref, processor_pm, brand, last4, exp_month, exp_year, is_default, created_at) VALUES ($pid, $cid, 'sandbox', 'cus_x', 'pm_demo1', 'visa', '4242', 12, 2030, 1, UNIX_TIMESTAMP())" >/dev/null
card=$(sql "SELECT id FROM payment_methods WHERE processor_pm = 'pm_demo1'")
if pc card list --practice demo --email client@example.org >"$tmp/out" 2>&1 &&
    grep -E -q "^$card +visa +4242 +12/2030 +yes +active$" "$tmp/out"; then
	ok "portalctl card list shows brand, last 4, expiry, default"
else
	not_ok "portalctl card list shows brand, last 4, expiry, default" "$(cat "$tmp/out")"
fi
if pc card disable --practice demo --email jordan.lee@example.org --card "$card" >"$tmp/out" 2>"$tmp/err"; then
	not_ok "portalctl card disable refuses another client's card"
elif grep -q "has no usable card $card" "$tmp/err"; then
	ok "portalctl card disable refuses another client's card"
else
	not_ok "portalctl card disable refuses another client's card" "$(cat "$tmp/err")"
fi
if pc card disable --practice demo --email client@example.org --card "$card" >"$tmp/out" 2>&1 &&
    pc card list --practice demo --email client@example.org >"$tmp/out" 2>&1 &&
    grep -E -q "^$card +visa +4242 +12/2030 +no +disabled$" "$tmp/out" &&
    [ "$(sql "SELECT actor FROM audit_log WHERE action = 'card.disable'")" = clinician ]; then
	ok "portalctl card disable disables it, audited as the clinician"
else
	not_ok "portalctl card disable disables it, audited as the clinician" "$(cat "$tmp/out")"
fi

# No test card number anywhere in the database or the logs.
mariadb-dump --no-defaults --socket="$PORTAL_DB_SOCKET" -uroot --all-databases >"$tmp/dump.sql" 2>/dev/null ||
	mysqldump --no-defaults --socket="$PORTAL_DB_SOCKET" -uroot --all-databases >"$tmp/dump.sql" 2>/dev/null
if [ -s "$tmp/dump.sql" ] &&
    ! grep -E -q '4242 ?4242 ?4242 ?4242|4000 ?0000 ?0000 ?0002|4000 ?0000 ?0000 ?9995|4000 ?0000 ?0000 ?0341' \
	"$tmp/dump.sql" "$tmp/sim.log" "$tmp/check.err" "$tmp/check.out"; then
	ok "no test card number in the database dump or the logs"
else
	not_ok "no test card number in the database dump or the logs"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
