#!/usr/bin/env bash
# tests/bench/statement_bench.sh: the time to render a 10-page statement
# from the database (make bench-statement). A benchmark, not a test: it
# starts a private stack (tests/lib/stack.sh), gives one client 215
# invoices (a ten-page statement), shares a statement
# of them and runs tests/bench/statement_bench, which times loading it
# from MariaDB and rendering the PDF. Then it stops what it started.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
tmp=$(mktemp -d "${TMPDIR:-/tmp}/portal-stbench.XXXXXX") || exit 1
chmod 0755 "$tmp"
# shellcheck source=tests/lib/stack.sh
source "$top_srcdir/tests/lib/stack.sh" || exit 1
trap 'stack_stop >/dev/null 2>&1; rm -rf "$tmp"' EXIT
export STACK_WORKERS=1 STACK_THREADS=1
stack_start "$tmp/stack" || exit 1
email=bench@example.org
stack_portalctl client create --practice demo --email "$email" --first 'José' \
	--last 'Ñúñez' >/dev/null || exit 1
sql() {
	_mariadb_client "$PORTAL_DB_SOCKET" "${PORTAL_DB_NAME:-portal}" -N -e "$1"
}
cid=$(sql "SELECT id FROM clients WHERE email = '$email'")
pid=$(sql "SELECT practice_id FROM clients WHERE email = '$email'")
{
	for i in $(seq 1 215); do
		d=$(date -u -d "$((400 - i)) days ago" +%Y-%m-%d)
		printf "INSERT INTO invoices (practice_id, client_id, number, issued_on, created_at) VALUES (%s, %s, 'INV-B%05d', '%s', 0);\n" "$pid" "$cid" "$i" "$d"
		printf "INSERT INTO invoice_lines (practice_id, client_id, invoice_id, line_no, date_of_service, description, quantity, unit_amount, amount) VALUES (%s, %s, LAST_INSERT_ID(), 1, '%s', 'Séance de psychothérapie, 53 minutes (90837)', 1, %d, %d);\n" "$pid" "$cid" "$d" $((15000 + i % 7 * 1000)) $((15000 + i % 7 * 1000))
	done
} >"$tmp/data.sql"
_mariadb_client "$PORTAL_DB_SOCKET" "${PORTAL_DB_NAME:-portal}" <"$tmp/data.sql" || exit 1
from=$(date -u -d '400 days ago' +%Y-%m-%d)
to=$(date -u +%Y-%m-%d)
num=$(stack_portalctl statement create --practice demo --email "$email" --from "$from" --to "$to" |
	grep -o 'ST-[0-9]*' | head -n 1)
stack_portalctl document share --practice demo --number "$num" >/dev/null || exit 1
"$top_builddir/tests/bench/statement_bench" "$PORTAL_CONFIG" demo "$email" "$num" "${RUNS:-30}"
