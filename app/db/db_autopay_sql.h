/* db_autopay_sql.h: the SQL of the AutoPay statements (app/db/db_autopay.c), as
 * designated initializers of db.c's statement table; included only there,
 * inside the table. Fields: name, SQL and flags
 * (db_int.h): DB_SAFE if it may run again after a lost connection, and
 * DB_INVAL_* for the errors that are PS_INVALID beyond the usual ones (a
 * CHECK constraint). */
/* clang-format off */
#define AP_ENROLL_COLS                                                        \
	"SELECT e.client_id, c.email, c.first_name, c.last_name, e.enabled,"  \
	" e.enrolled_at, COALESCE(e.disabled_at, 0),"                         \
	" COALESCE(e.disabled_reason, ''),"                                   \
	" COALESCE(DATE_FORMAT(e.disabled_on, '%Y-%m-%d'), ''),"              \
	" e.failed_nights,"                                                   \
	" COALESCE(DATE_FORMAT(e.last_run_on, '%Y-%m-%d'), ''),"              \
	" COALESCE(e.last_status, '')"                                        \
	" FROM autopay_enrollments e JOIN clients c ON c.id = e.client_id "

[S_AP_ENROLL_GET] = {"autopay enrollment get",
    AP_ENROLL_COLS "WHERE e.practice_id = ? AND e.client_id = ?",
    DB_SAFE | DB_INVAL_CHECK},
[S_AP_ENROLL_LIST] = {"autopay enrollment list",
    AP_ENROLL_COLS "WHERE e.practice_id = ? AND (? = 1 OR e.enabled = 1)"
    " ORDER BY c.last_name, c.first_name, c.id",
    DB_SAFE | DB_INVAL_CHECK},
[S_AP_ENROLL_OFF_LIST] = {"autopay turned off list",
    AP_ENROLL_COLS "WHERE e.practice_id = ? AND e.enabled = 0"
    " AND e.disabled_reason = 'failures' AND e.disabled_on = ?"
    " ORDER BY c.last_name, c.first_name, c.id",
    DB_SAFE | DB_INVAL_CHECK},
/* Assignments run left to right, each seeing the ones before: the
 * enrollment restarts (enrolled_at, failed_nights) only when it was off. */
[S_AP_ENROLL_UPSERT] = {"autopay enroll",
    "INSERT INTO autopay_enrollments (practice_id, client_id, enabled,"
    " enrolled_at, updated_at) VALUES (?, ?, 1, ?, ?)"
    " ON DUPLICATE KEY UPDATE"
    " enrolled_at = IF(enabled = 1, enrolled_at, VALUES(enrolled_at)),"
    " failed_nights = IF(enabled = 1, failed_nights, 0),"
    " disabled_at = NULL, disabled_reason = NULL, disabled_on = NULL,"
    " updated_at = IF(enabled = 1, updated_at, VALUES(updated_at)),"
    " enabled = 1",
    DB_SAFE | DB_INVAL_CHECK},
[S_AP_ENROLL_OFF] = {"autopay unenroll",
    "UPDATE autopay_enrollments SET enabled = 0, disabled_at = ?,"
    " disabled_reason = ?, disabled_on = ?, updated_at = ?"
    " WHERE practice_id = ? AND client_id = ? AND enabled = 1",
    DB_SAFE | DB_INVAL_CHECK},
[S_AP_ENROLL_CLAIM] = {"autopay claim",
    "SELECT id FROM autopay_enrollments WHERE practice_id = ?"
    " AND client_id = ? AND enabled = 1 FOR UPDATE SKIP LOCKED",
    DB_INVAL_CHECK},
[S_AP_ENROLL_NOTE] = {"autopay enrollment note",
    "UPDATE autopay_enrollments SET last_run_on = ?, last_status = ?,"
    " failed_nights = ?, updated_at = ?"
    " WHERE practice_id = ? AND client_id = ?",
    DB_INVAL_CHECK},
[S_AP_WINDOW_GET] = {"autopay window get",
    "SELECT start_min, end_min FROM autopay_windows WHERE practice_id = ?",
    DB_SAFE | DB_INVAL_CHECK},
[S_AP_WINDOW_SET] = {"autopay window set",
    "INSERT INTO autopay_windows (practice_id, start_min, end_min,"
    " updated_at) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
    " start_min = VALUES(start_min), end_min = VALUES(end_min),"
    " updated_at = VALUES(updated_at)",
    DB_SAFE | DB_INVAL_CHECK},
/* Per enrolled client: the balance as billing computes it (over invoices,
 * what is due and positive), the newest invoice, what a succeeded AutoPay
 * charge covered, and the night's charge. */
[S_AP_DUE_LIST] = {"autopay due list",
    "SELECT e.client_id, c.email,"
    " CAST(COALESCE(SUM(GREATEST(t.total - t.paid, 0)), 0) AS SIGNED),"
    " CAST(COALESCE(MAX(t.id), 0) AS SIGNED),"
    " CAST(COALESCE((SELECT MAX(ac.through_invoice_id)"
    " FROM autopay_charges ac JOIN payment_attempts pa"
    " ON pa.id = ac.attempt_id WHERE ac.practice_id = e.practice_id"
    " AND ac.client_id = e.client_id AND pa.status = 'succeeded'), 0)"
    " AS SIGNED),"
    " COALESCE((SELECT ac.attempt_id FROM autopay_charges ac"
    " WHERE ac.practice_id = e.practice_id AND ac.client_id = e.client_id"
    " AND ac.run_on = ?), 0),"
    " COALESCE((SELECT pa.status FROM autopay_charges ac"
    " JOIN payment_attempts pa ON pa.id = ac.attempt_id"
    " WHERE ac.practice_id = e.practice_id AND ac.client_id = e.client_id"
    " AND ac.run_on = ?), '')"
    " FROM autopay_enrollments e JOIN clients c ON c.id = e.client_id"
    " LEFT JOIN (SELECT i.id, i.client_id,"
    " COALESCE((SELECT SUM(l.amount) FROM invoice_lines l"
    " WHERE l.invoice_id = i.id), 0) AS total,"
    " COALESCE((SELECT SUM(a.amount) FROM allocations a"
    " WHERE a.invoice_id = i.id), 0)"
    " - COALESCE((SELECT SUM(r.amount) FROM refunds r"
    " WHERE r.invoice_id = i.id AND r.status = 'succeeded'), 0) AS paid"
    " FROM invoices i WHERE i.practice_id = ?) t"
    " ON t.client_id = e.client_id"
    " WHERE e.practice_id = ? AND e.enabled = 1"
    " GROUP BY e.client_id, c.email ORDER BY e.client_id",
    DB_SAFE | DB_INVAL_CHECK},
#define AP_CHARGE_COLS                                                        \
	"SELECT ac.id, ac.client_id, DATE_FORMAT(ac.run_on, '%Y-%m-%d'),"     \
	" ac.attempt_id, ac.amount, ac.through_invoice_id, ac.runner,"        \
	" ac.created_at"
[S_AP_CHARGE_INS] = {"autopay charge insert",
    "INSERT INTO autopay_charges (practice_id, client_id, run_on,"
    " attempt_id, amount, through_invoice_id, runner, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    DB_INVAL_CHECK},
[S_AP_CHARGE_GET] = {"autopay charge get",
    AP_CHARGE_COLS " FROM autopay_charges ac WHERE ac.practice_id = ?"
    " AND ac.client_id = ? AND ac.run_on = ?",
    DB_SAFE | DB_INVAL_CHECK},
[S_AP_CHARGE_THROUGH] = {"autopay charge through",
    "SELECT CAST(COALESCE(MAX(ac.through_invoice_id), 0) AS SIGNED)"
    " FROM autopay_charges ac JOIN payment_attempts pa"
    " ON pa.id = ac.attempt_id WHERE ac.practice_id = ?"
    " AND ac.client_id = ? AND pa.status = 'succeeded'",
    DB_SAFE | DB_INVAL_CHECK},
[S_AP_CHARGE_RECENT] = {"autopay charge history",
    "SELECT pa.status FROM autopay_charges ac JOIN payment_attempts pa"
    " ON pa.id = ac.attempt_id WHERE ac.practice_id = ?"
    " AND ac.client_id = ? AND ac.created_at >= ?"
    " AND ac.attempt_id > COALESCE((SELECT MAX(p.attempt_id)"
    " FROM payments p WHERE p.practice_id = ac.practice_id"
    " AND p.client_id = ac.client_id), 0)"
    " AND pa.status IN ('succeeded', 'declined', 'requires_action')"
    " ORDER BY ac.run_on DESC LIMIT 100",
    DB_SAFE | DB_INVAL_CHECK},
[S_AP_CHARGE_LAST] = {"autopay last charge",
    AP_CHARGE_COLS ", pa.status, COALESCE(pa.message, ''),"
    " (SELECT COUNT(*) FROM payments p WHERE p.practice_id ="
    " ac.practice_id AND p.client_id = ac.client_id"
    " AND p.attempt_id <> ac.attempt_id"
    " AND p.paid_at >= pa.created_at)"
    " FROM autopay_charges ac JOIN payment_attempts pa"
    " ON pa.id = ac.attempt_id WHERE ac.practice_id = ?"
    " AND ac.client_id = ? ORDER BY ac.run_on DESC LIMIT 1",
    DB_SAFE | DB_INVAL_CHECK},
#define AP_RUN_COLS                                                           \
	"SELECT id, DATE_FORMAT(run_on, '%Y-%m-%d'), runner, dry_run,"        \
	" started_at, COALESCE(finished_at, 0), due, succeeded,"              \
	" succeeded_amount, declined, declined_amount, action_required,"      \
	" action_amount, unknown, unknown_amount, not_sent, skipped,"         \
	" turned_off FROM autopay_runs "
[S_AP_RUN_INS] = {"autopay run insert",
    "INSERT INTO autopay_runs (practice_id, run_on, runner, dry_run,"
    " started_at) VALUES (?, ?, ?, ?, ?)",
    DB_INVAL_CHECK},
[S_AP_RUN_FINISH] = {"autopay run finish",
    "UPDATE autopay_runs SET finished_at = ?, due = ?, succeeded = ?,"
    " succeeded_amount = ?, declined = ?, declined_amount = ?,"
    " action_required = ?, action_amount = ?, unknown = ?,"
    " unknown_amount = ?, not_sent = ?, skipped = ?, turned_off = ?"
    " WHERE practice_id = ? AND id = ?",
    DB_SAFE | DB_INVAL_CHECK},
[S_AP_RUN_LIST] = {"autopay run list",
    AP_RUN_COLS "WHERE practice_id = ? AND (? IS NULL OR run_on = ?)"
    " ORDER BY id DESC LIMIT ?",
    DB_SAFE | DB_INVAL_CHECK},
[S_AP_NIGHT_TOTALS] = {"autopay night totals",
    "SELECT DATE_FORMAT(ac.run_on, '%Y-%m-%d'), pa.status, COUNT(*),"
    " CAST(SUM(ac.amount) AS SIGNED) FROM autopay_charges ac"
    " JOIN payment_attempts pa ON pa.id = ac.attempt_id"
    " JOIN (SELECT DISTINCT run_on FROM autopay_charges"
    " WHERE practice_id = ? AND (? IS NULL OR run_on = ?)"
    " ORDER BY run_on DESC LIMIT ?) n ON n.run_on = ac.run_on"
    " WHERE ac.practice_id = ? GROUP BY ac.run_on, pa.status"
    " ORDER BY ac.run_on DESC, pa.status",
    DB_SAFE | DB_INVAL_CHECK},
#undef AP_ENROLL_COLS
#undef AP_CHARGE_COLS
#undef AP_RUN_COLS
    /* clang-format on */
