# tests/bench/seed.sh: the benchmark's practices: SQL generators that seed a
# practice to a real practice's size (INSERT ... SELECT over MariaDB's
# sequence tables, seconds for 100,000 invoices) and give a client a
# history, a 10-page statement and a signed-in session. Sourced by
# tests/bench/run after tests/lib/stack.sh; bash only.
#
#   bench_sql SQL             runs SQL in the stack's database (-N output)
#   bench_practice_id SLUG    prints the practice's id
#   bench_bulk PID CLIENTS INVOICES
#       adds CLIENTS clients (each with a portal account and a session) and
#       INVOICES invoices spread over them to practice PID (rounded up to
#       whole invoices per client), see bench_history; prints the count
#   bench_history PID WHERE PER
#       gives each client of practice PID matching WHERE (SQL on clients c)
#       PER (at most 9) invoices 60 days apart of two lines each; every invoice but the
#       newest is paid (an attempt, a payment, an allocation, a receipt)
#   bench_statement_invoices PID EMAIL N
#       gives the client EMAIL of practice PID N one-line invoices, a day
#       apart (215 make a 10-page statement, as in make bench-statement)
#   bench_session EMAIL       makes a session for the portal user EMAIL and
#                             prints its cookie token

bench_sql() {
	_mariadb_client "$PORTAL_DB_SOCKET" "${PORTAL_DB_NAME:-portal}" -N -e "$1"
}

bench_practice_id() {
	bench_sql "SELECT id FROM practices WHERE slug = '$1'"
}

bench_history() {
	local pid=$1 where=$2 per=$3
	bench_sql "
INSERT INTO invoices (practice_id, client_id, number, issued_on, due_on, created_at)
SELECT c.practice_id, c.id, CONCAT('INV-7', LPAD(c.id, 7, '0'), s.seq),
	CURDATE() - INTERVAL (s.seq * 60) DAY, CURDATE() - INTERVAL (s.seq * 60 - 30) DAY,
	UNIX_TIMESTAMP(CURDATE() - INTERVAL (s.seq * 60) DAY)
FROM clients c JOIN seq_1_to_$per s WHERE c.practice_id = $pid AND ($where);
INSERT INTO invoice_lines (practice_id, client_id, invoice_id, line_no,
	date_of_service, description, quantity, unit_amount, amount)
SELECT i.practice_id, i.client_id, i.id, s.seq, i.issued_on - INTERVAL 1 DAY,
	IF(s.seq = 1, 'Psychotherapy, 53 minutes (90837)', 'Séance familiale (90847)'),
	1, 9000 + 3000 * s.seq, 9000 + 3000 * s.seq
FROM invoices i JOIN clients c ON c.id = i.client_id JOIN seq_1_to_2 s
WHERE i.practice_id = $pid AND i.number LIKE 'INV-7%' AND ($where);
INSERT INTO payment_attempts (practice_id, client_id, form_key, idempotency_key,
	target, invoice_id, amount, currency, plugin, source, status, processor_ref,
	created_at, updated_at)
SELECT i.practice_id, i.client_id, CONCAT('hist-', i.id), CONCAT('hist-', i.id),
	'invoice', i.id, 33000, 'USD', 'sandbox', 'card', 'succeeded',
	CONCAT('ch_hist_', i.id), i.created_at + 86400, i.created_at + 86400
FROM invoices i JOIN clients c ON c.id = i.client_id
WHERE i.practice_id = $pid AND i.number LIKE 'INV-7%' AND i.number NOT LIKE '%1' AND ($where);
INSERT INTO payments (practice_id, client_id, attempt_id, amount, currency,
	processor_ref, card_brand, card_last4, paid_at)
SELECT t.practice_id, t.client_id, t.id, t.amount, t.currency, t.processor_ref,
	'visa', '4242', t.created_at
FROM payment_attempts t JOIN clients c ON c.id = t.client_id
WHERE t.practice_id = $pid AND t.form_key LIKE 'hist-%' AND ($where);
INSERT INTO allocations (practice_id, client_id, payment_id, invoice_id, amount)
SELECT p.practice_id, p.client_id, p.id, t.invoice_id, p.amount
FROM payments p JOIN payment_attempts t ON t.id = p.attempt_id
	JOIN clients c ON c.id = p.client_id
WHERE p.practice_id = $pid AND t.form_key LIKE 'hist-%' AND ($where);
INSERT INTO receipts (practice_id, client_id, payment_id, number, issued_at)
SELECT p.practice_id, p.client_id, p.id, CONCAT('RCT-7', LPAD(p.id, 9, '0')), p.paid_at
FROM payments p JOIN payment_attempts t ON t.id = p.attempt_id
	JOIN clients c ON c.id = p.client_id
WHERE p.practice_id = $pid AND t.form_key LIKE 'hist-%' AND ($where);"
}

bench_bulk() {
	local pid=$1 nc=$2 ni=$3 per
	per=$(((ni + nc - 1) / nc))
	bench_sql "
INSERT INTO clients (practice_id, first_name, last_name, email, date_of_birth, created_at)
SELECT $pid, CONCAT('Client', seq), CONCAT('Bulk', LPAD(seq, 6, '0')),
	CONCAT('bulk', seq, '@p$pid.example'), '1980-01-01' + INTERVAL (seq % 15000) DAY,
	UNIX_TIMESTAMP() - 86400 * 400
FROM seq_1_to_$nc;
INSERT INTO portal_users (practice_id, client_id, email, password_hash,
	password_set_at, created_at)
SELECT c.practice_id, c.id, c.email, '\$argon2id\$v=19\$m=65536,t=3,p=1\$none\$none',
	c.created_at, c.created_at
FROM clients c WHERE c.practice_id = $pid AND c.email LIKE 'bulk%';
INSERT INTO sessions (token_hash, user_id, practice_id, client_id, created_at,
	last_seen_at, ip)
SELECT SHA2(CONCAT('bulk-session-', u.id), 256), u.id, u.practice_id, u.client_id,
	UNIX_TIMESTAMP(), UNIX_TIMESTAMP(), '127.0.0.1'
FROM portal_users u WHERE u.practice_id = $pid AND u.email LIKE 'bulk%';" || return 1
	bench_history "$pid" "c.email LIKE 'bulk%'" "$per" || return 1
	bench_sql "SELECT COUNT(*) FROM invoices WHERE practice_id = $pid AND number LIKE 'INV-7%'"
}

bench_statement_invoices() {
	local pid=$1 email=$2 n=$3
	bench_sql "
INSERT INTO invoices (practice_id, client_id, number, issued_on, created_at)
SELECT c.practice_id, c.id, CONCAT('INV-8', LPAD(c.id, 7, '0'), LPAD(s.seq, 3, '0')),
	CURDATE() - INTERVAL (400 - s.seq) DAY, 0
FROM clients c JOIN seq_1_to_$n s WHERE c.practice_id = $pid AND c.email = '$email';
INSERT INTO invoice_lines (practice_id, client_id, invoice_id, line_no,
	date_of_service, description, quantity, unit_amount, amount)
SELECT i.practice_id, i.client_id, i.id, 1, i.issued_on,
	'Séance de psychothérapie, 53 minutes (90837)', 1,
	15000 + (i.id % 7) * 1000, 15000 + (i.id % 7) * 1000
FROM invoices i JOIN clients c ON c.id = i.client_id
WHERE i.practice_id = $pid AND c.email = '$email' AND i.number LIKE 'INV-8%';"
}

bench_session() {
	local tok hash
	tok=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n') || return 1
	hash=$(printf '%s' "$tok" | sha256sum | cut -c1-64)
	bench_sql "INSERT INTO sessions (token_hash, user_id, practice_id, client_id,
	created_at, last_seen_at, ip)
SELECT '$hash', id, practice_id, client_id, UNIX_TIMESTAMP(), UNIX_TIMESTAMP(),
	'127.0.0.1' FROM portal_users WHERE email = '$1'" || return 1
	printf '%s\n' "$tok"
}
