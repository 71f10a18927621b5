/* db_core_sql.h: the SQL of the core statements (app/db/db_core.c), as
 * designated initializers of db.c's statement table; included only there,
 * inside the table. Fields: name, SQL, flags (DB_* of db_int.h). */
/* clang-format off */
[S_PRACTICE_UPSERT] = {"practice upsert",
    "INSERT INTO practices (slug, name, created_at)"
    " VALUES (?, ?, UNIX_TIMESTAMP())"
    " ON DUPLICATE KEY UPDATE name = VALUES(name)",
    1},
[S_PRACTICE_ID] = {"practice by slug",
    "SELECT id FROM practices WHERE slug = ?", 1},
[S_CLIENT_INS] = {"client insert",
    "INSERT INTO clients (practice_id, first_name, last_name, email,"
    " date_of_birth, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    0},
[S_CLIENT_GET] = {"client get",
    "SELECT id, practice_id, first_name, last_name, email,"
    " COALESCE(DATE_FORMAT(date_of_birth, '%Y-%m-%d'), ''), created_at"
    " FROM clients WHERE practice_id = ? AND id = ?",
    1},
[S_CLIENT_LIST] = {"client list",
    "SELECT c.id, c.practice_id, c.first_name, c.last_name, c.email,"
    " COALESCE(DATE_FORMAT(c.date_of_birth, '%Y-%m-%d'), ''),"
    " c.created_at, p.slug, COALESCE(u.id, 0),"
    " u.password_hash IS NOT NULL,"
    " IF(u.invite_token_hash IS NULL, 0,"
    " COALESCE(u.invite_expires_at, 0))"
    " FROM clients c JOIN practices p ON p.id = c.practice_id"
    " LEFT JOIN portal_users u ON u.client_id = c.id"
    " WHERE (? = 0 OR c.practice_id = ?)"
    " ORDER BY p.slug, c.last_name, c.first_name, c.id",
    1},
[S_USER_INS] = {"user insert",
    "INSERT INTO portal_users (practice_id, client_id, email,"
    " invite_token_hash, invite_expires_at, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?)",
    0},
#define USER_COLS                                                            \
	"SELECT id, practice_id, client_id, email,"                          \
	" COALESCE(password_hash, ''), password_hash IS NOT NULL,"           \
	" IF(invite_token_hash IS NULL, 0, COALESCE(invite_expires_at, 0))," \
	" COALESCE(password_set_at, 0) FROM portal_users "
[S_USER_BY_EMAIL] = {"user by email", USER_COLS "WHERE email = ?", 1},
[S_USER_BY_ID] = {"user by id",
    USER_COLS "WHERE practice_id = ? AND id = ?", 1},
[S_USER_BY_INVITE] = {"user by invitation",
    USER_COLS "WHERE invite_token_hash = ? AND invite_expires_at > ?", 1},
[S_USER_SET_INVITE] = {"user set invitation",
    "UPDATE portal_users SET invite_token_hash = ?,"
    " invite_expires_at = ? WHERE id = ?",
    1},
[S_USER_SET_PW] = {"user set password",
    "UPDATE portal_users SET password_hash = ?, password_set_at = ?,"
    " invite_token_hash = NULL, invite_expires_at = NULL WHERE id = ?",
    1},
[S_USER_ACCEPT] = {"user accept invitation",
    "UPDATE portal_users SET password_hash = ?, password_set_at = ?,"
    " invite_token_hash = NULL, invite_expires_at = NULL"
    " WHERE id = ? AND invite_token_hash = ? AND invite_expires_at > ?",
    0},
[S_SESS_INS] = {"session insert",
    "INSERT INTO sessions (token_hash, user_id, practice_id, client_id,"
    " created_at, last_seen_at, ip) VALUES (?, ?, ?, ?, ?, ?, ?)",
    0},
[S_SESS_GET] = {"session get",
    "SELECT id, user_id, practice_id, client_id, created_at,"
    " last_seen_at FROM sessions WHERE token_hash = ?",
    1},
/* The session and its client in one round trip (every signed-in
 * page starts with it): sessions_token, then the clients primary key,
 * practice checked against the session's. */
[S_SESS_CLIENT_GET] = {"session and client get",
    "SELECT s.id, s.user_id, s.practice_id, s.client_id, s.created_at,"
    " s.last_seen_at, c.id, c.practice_id, c.first_name, c.last_name,"
    " c.email, COALESCE(DATE_FORMAT(c.date_of_birth, '%Y-%m-%d'), ''),"
    " c.created_at FROM sessions s JOIN clients c ON c.id = s.client_id"
    " AND c.practice_id = s.practice_id WHERE s.token_hash = ?",
    1},
[S_SESS_TOUCH] = {"session touch",
    "UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, ?)"
    " WHERE id = ?",
    1},
[S_SESS_DEL] = {"session delete",
    "DELETE FROM sessions WHERE token_hash = ?", 1},
[S_SESS_DEL_USER] = {"session delete user",
    "DELETE FROM sessions WHERE user_id = ?", 1},
[S_SESS_DEL_EXPIRED] = {"session delete expired",
    "DELETE FROM sessions WHERE last_seen_at <= ? OR created_at <= ?", 1},
[S_THR_GET] = {"throttle get",
    "SELECT failures, window_start, locked_until FROM login_throttle"
    " WHERE scope = ? AND subject = ?",
    1},
/* MariaDB evaluates the assignments of ON DUPLICATE KEY UPDATE left
 * to right, each seeing the columns already assigned: locked_until
 * first (from the old failures and window), window_start last. */
[S_THR_FAIL] = {"throttle fail",
    "INSERT INTO login_throttle (scope, subject, failures,"
    " window_start, locked_until) VALUES (?, ?, 1, ?, IF(1 >= ?, ?, 0))"
    " ON DUPLICATE KEY UPDATE"
    " locked_until = IF(window_start + ? <= ?,"
    " IF(1 >= ?, ?, locked_until),"
    " IF(failures + 1 >= ?, ?, locked_until)),"
    " failures = IF(window_start + ? <= ?, 1, failures + 1),"
    " window_start = IF(window_start + ? <= ?, ?, window_start)",
    0},
[S_THR_CLEAR] = {"throttle clear",
    "DELETE FROM login_throttle WHERE scope = ? AND subject = ?", 1},
[S_AUDIT_INS] = {"audit insert",
    "INSERT INTO audit_log (at, practice_id, client_id, user_id,"
    " actor, action, detail, ip)"
    " VALUES (UNIX_TIMESTAMP(), ?, ?, ?, ?, ?, ?, ?)",
    0},
[S_AUDIT_LIST] = {"audit list",
    "SELECT id, at, practice_id, COALESCE(client_id, 0),"
    " COALESCE(user_id, 0), actor, action, detail, COALESCE(ip, '')"
    " FROM audit_log WHERE practice_id = ? AND (? = 0 OR client_id = ?)"
    " ORDER BY id DESC LIMIT ?",
    1},
    /* clang-format on */
