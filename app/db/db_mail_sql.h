/* db_mail_sql.h: the SQL of the mail statements (app/db/db_mail.c), as
 * designated initializers of db.c's statement table; included only there,
 * inside the table. Fields: name, SQL and flags (db_int.h). */
/* clang-format off */
[S_MAIL_INS] = {"mail queue",
    "INSERT INTO mail_outbox (practice_id, client_id, kind, to_addr, params,"
    " secret_box, dedupe_key, next_attempt_at, created_at) VALUES (?, ?, ?,"
    " COALESCE(?, (SELECT email FROM clients WHERE id = ?"
    " AND practice_id = ?)), ?, ?, ?, ?, ?)",
    DB_INVAL_LONG},
[S_MAIL_PICK] = {"mail pick",
    "SELECT id FROM mail_outbox WHERE (status = 'queued'"
    " AND next_attempt_at <= ?) OR (status = 'sending' AND claimed_at <= ?)"
    " ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
    0},
[S_MAIL_CLAIM] = {"mail claim",
    "UPDATE mail_outbox SET status = 'sending', claimed_at = ?,"
    " attempts = attempts + 1 WHERE id = ?"
    " AND status IN ('queued', 'sending')",
    0},
[S_MAIL_GET] = {"mail get",
    "SELECT o.id, o.practice_id, COALESCE(o.client_id, 0), p.slug, o.kind,"
    " o.to_addr, COALESCE(c.first_name, ''), COALESCE(c.last_name, ''),"
    " o.params, COALESCE(o.secret_box, ''), o.attempts, o.created_at"
    " FROM mail_outbox o JOIN practices p ON p.id = o.practice_id"
    " LEFT JOIN clients c ON c.id = o.client_id WHERE o.id = ?",
    DB_SAFE},
[S_MAIL_SENT] = {"mail sent",
    "UPDATE mail_outbox SET status = 'sent', sent_at = ?, secret_box = NULL,"
    " last_error = NULL WHERE id = ? AND status = 'sending'",
    DB_SAFE},
[S_MAIL_FAIL] = {"mail failed",
    "UPDATE mail_outbox SET status = IF(? = 0, 'failed', 'queued'),"
    " next_attempt_at = IF(? = 0, next_attempt_at, ?), last_error = ?,"
    " secret_box = IF(? = 0, NULL, secret_box), claimed_at = NULL"
    " WHERE id = ? AND status = 'sending'",
    DB_SAFE | DB_INVAL_LONG},
[S_MAIL_RETRY] = {"mail retry",
    "UPDATE mail_outbox SET status = 'queued', next_attempt_at = ?"
    " WHERE status = 'queued' OR (status = 'failed'"
    " AND kind NOT IN ('invite', 'reset'))",
    DB_SAFE},
[S_MAIL_COUNTS] = {"mail counts",
    "SELECT status, COUNT(*) FROM mail_outbox GROUP BY status",
    DB_SAFE},
[S_MAIL_UNSENT] = {"mail unsent",
    "SELECT o.id, p.slug, o.kind, o.to_addr, o.status, o.attempts,"
    " o.next_attempt_at, COALESCE(o.last_error, ''), o.created_at"
    " FROM mail_outbox o JOIN practices p ON p.id = o.practice_id"
    " WHERE o.status <> 'sent' ORDER BY o.id LIMIT ?",
    DB_SAFE},
[S_RESET_INS] = {"reset insert",
    "INSERT INTO password_resets (user_id, token_hash, expires_at,"
    " created_at) VALUES (?, ?, ?, ?)",
    0},
[S_RESET_FIND] = {"reset find",
    "SELECT r.user_id, u.practice_id FROM password_resets r"
    " JOIN portal_users u ON u.id = r.user_id WHERE r.token_hash = ?"
    " AND r.used_at IS NULL AND r.expires_at > ?",
    DB_SAFE},
[S_RESET_LOCK] = {"reset lock",
    "SELECT id, user_id FROM password_resets WHERE token_hash = ?"
    " AND used_at IS NULL AND expires_at > ? FOR UPDATE",
    0},
[S_RESET_MARK] = {"reset mark used",
    "UPDATE password_resets SET used_at = ? WHERE id = ? AND used_at IS NULL",
    0},
[S_RESET_SET_PW] = {"reset set password",
    "UPDATE portal_users SET password_hash = ?, password_set_at = ?,"
    " invite_token_hash = NULL, invite_expires_at = NULL WHERE id = ?",
    0},
[S_MAIL_CARDS_EXPIRING] = {"cards expiring",
    "SELECT id, client_id, brand, last4 FROM payment_methods"
    " WHERE practice_id = ? AND disabled_at IS NULL AND exp_month = ?"
    " AND exp_year = ? ORDER BY id",
    DB_SAFE},
    /* clang-format on */
