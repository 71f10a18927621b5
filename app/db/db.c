/* db.c: MariaDB connection, lazily prepared statement cache, reconnect and
 * deadlock handling, transactions and the portal's queries. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "db/db.h"
#include "db/db_int.h"

/* Server errors that mean the connection is gone (beyond the client's
 * CR_SERVER_GONE_ERROR/CR_SERVER_LOST). */
#ifndef ER_CONNECTION_KILLED
#define ER_CONNECTION_KILLED 1927
#endif
#define ER_CLIENT_INTERACTION_TIMEOUT_ 4031

/* How many times an autocommit statement that hit a deadlock is run. */
#define DEADLOCK_TRIES 3
/* How many times db_tx runs its function. */
#define TX_TRIES 5

/* The statement table: SQL text and flags (DB_* of db_int.h): DB_SAFE (1)
 * if the statement may be run again after the connection was lost once it
 * had been sent (reads and idempotent writes), DB_INVAL_* for further
 * server errors that are PS_INVALID. Indexed by enum stmt_id. */
static const struct stmt_def {
	const char *name;
	const char *sql;
	unsigned int flags;
} stmts[S__COUNT] = {
    [S_PING] = {"ping", "SELECT 1", 1},
    [S_BEGIN] = {"begin", "START TRANSACTION", 1},
    [S_COMMIT] = {"commit", "COMMIT", 0},
    [S_ROLLBACK] = {"rollback", "ROLLBACK", 1},
    [S_MIG_TABLE] = {"migrations table",
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INT UNSIGNED NOT NULL, name VARCHAR(255) NOT NULL,"
        " applied_at BIGINT NOT NULL, PRIMARY KEY (version))"
        " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        " COLLATE=utf8mb4_unicode_ci",
        1},
    [S_MIG_HAS] = {"migration applied",
        "SELECT version FROM schema_migrations WHERE version = ?", 1},
    [S_MIG_ADD] = {"migration record",
        "INSERT INTO schema_migrations (version, name, applied_at)"
        " VALUES (?, ?, UNIX_TIMESTAMP())",
        0},
    [S_MIG_EXISTS] = {"migrations table exists",
        "SELECT COUNT(*) FROM information_schema.tables"
        " WHERE table_schema = DATABASE()"
        " AND table_name = 'schema_migrations'",
        1},
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
#include "db/billing_sql.h"
#include "db/docs_sql.h"
#include "db/autopay_sql.h"
#include "db/mail_sql.h"
};

/* ---- connection ---- */

void
db_set_err(struct db *db, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(db->err, sizeof(db->err), fmt, ap);
	va_end(ap);
}

static int
conn_lost(unsigned int e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST ||
	       e == CR_SERVER_LOST_EXTENDED || e == ER_CONNECTION_KILLED ||
	       e == ER_CLIENT_INTERACTION_TIMEOUT_;
}

/* Frees the statements and the connection (in that order of validity:
 * mysql_close detaches the statements, which then close locally). */
static void
disconnect(struct db *db)
{
	size_t i;

	if (db->my != NULL) {
		mysql_close(db->my);
		db->my = NULL;
	}
	for (i = 0; i < S__COUNT; i++) {
		if (db->st[i] != NULL) {
			mysql_stmt_close(db->st[i]);
			db->st[i] = NULL;
		}
	}
	db->in_tx = 0;
}

static enum pstatus
connect_raw(struct db *db)
{
	MYSQL *my;
	my_bool no = 0;
	unsigned int ct = db->timeout, rwt = db->timeout * 6;
	const char *init = "SET time_zone = '+00:00', sql_mode = "
	                   "'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
	                   "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'";
	const char *where = db->socket ? db->socket
	                    : db->host ? db->host
	                               : "localhost";

	if ((my = mysql_init(NULL)) == NULL) {
		db_set_err(db, "mysql_init: out of memory");
		return PS_NOMEM;
	}
	mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(my, MYSQL_INIT_COMMAND, init);
	mysql_options(my, MYSQL_OPT_RECONNECT, &no);
	mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &rwt);
	mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &rwt);
	if (mysql_real_connect(my, db->socket ? NULL : db->host, db->user,
	        db->password, db->name, db->port, db->socket,
	        CLIENT_FOUND_ROWS) == NULL) {
		db_set_err(db,
		    "cannot connect to MariaDB at %s (database %s): %s", where,
		    db->name, mysql_error(my));
		mysql_close(my);
		return PS_ERROR;
	}
	db->my = my;
	return PS_OK;
}

static enum pstatus
reconnect(struct db *db)
{
	enum pstatus st;

	disconnect(db);
	if ((st = connect_raw(db)) == PS_OK)
		db->reconnects++;
	return st;
}

static char *
dup_or_null(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

enum pstatus
db_global_init(void)
{
	return mysql_library_init(0, NULL, NULL) == 0 ? PS_OK : PS_ERROR;
}

void
db_global_end(void)
{
	mysql_library_end();
}

enum pstatus
db_open(const struct db_params *p, struct db **out, char *err, size_t errsz)
{
	struct db *db = NULL;
	enum pstatus st = PS_NOMEM;

	*out = NULL;
	if (p->name == NULL || p->name[0] == '\0') {
		errbuf_set(err, errsz, "database: no database name given");
		st = PS_INVALID;
		goto err;
	}
	if ((db = calloc(1, sizeof(*db))) == NULL)
		goto nomem;
	db->port = p->port;
	db->timeout = p->timeout ? p->timeout : 10;
	if ((p->socket && (db->socket = strdup(p->socket)) == NULL) ||
	    (p->host && (db->host = strdup(p->host)) == NULL) ||
	    (p->user && (db->user = strdup(p->user)) == NULL) ||
	    (p->password && (db->password = strdup(p->password)) == NULL) ||
	    (db->name = dup_or_null(p->name)) == NULL)
		goto nomem;
	if ((st = connect_raw(db)) != PS_OK) {
		errbuf_set(err, errsz, "%s", db->err);
		goto err;
	}
	*out = db;
	return PS_OK;
nomem:
	errbuf_set(err, errsz, "database: out of memory");
	st = PS_NOMEM;
err:
	db_close(db);
	return st;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	disconnect(db);
	if (db->password != NULL) {
		explicit_bzero(db->password, strlen(db->password));
		free(db->password);
	}
	free(db->socket);
	free(db->host);
	free(db->user);
	free(db->name);
	free(db);
}

const char *
db_errmsg(const struct db *db)
{
	return db->err;
}

unsigned long
db_connection_id(struct db *db)
{
	return db->my ? mysql_thread_id(db->my) : 0;
}

unsigned int
db_reconnects(const struct db *db)
{
	return db->reconnects;
}

uint64_t
db_statements(const struct db *db)
{
	return db->statements;
}

/* ---- running statements ---- */

static enum pstatus
prepare(struct db *db, enum stmt_id id, MYSQL_STMT **out)
{
	MYSQL_STMT *s;
	const char *sql = stmts[id].sql;

	*out = NULL;
	if (db->st[id] != NULL) {
		*out = db->st[id];
		return PS_OK;
	}
	if ((s = mysql_stmt_init(db->my)) == NULL) {
		db_set_err(
		    db, "%s: cannot allocate a statement", stmts[id].name);
		return PS_NOMEM;
	}
	if (mysql_stmt_prepare(s, sql, strlen(sql)) != 0) {
		unsigned int e = mysql_stmt_errno(s);

		db_set_err(db, "prepare %s: %s (%u)", stmts[id].name,
		    mysql_stmt_error(s), e);
		mysql_stmt_close(s);
		return conn_lost(e) ? PS_RETRY : PS_ERROR;
	}
	db->st[id] = s;
	*out = s;
	return PS_OK;
}

/* Binds the arguments and runs the statement once; on a failure returns
 * the server's error number in *errnum (0 for local failures). */
static enum pstatus
exec_once(struct db *db, MYSQL_STMT *s, struct q *q, unsigned int *errnum)
{
	MYSQL_BIND pb[Q_MAXARGS], rb[Q_MAXCOLS];
	unsigned long plen[Q_MAXARGS], rlen[Q_MAXCOLS];
	my_bool rnull[Q_MAXCOLS], rerr[Q_MAXCOLS];
	long long ival[Q_MAXCOLS];
	size_t i;
	int rc;
	enum pstatus st = PS_ERROR;

	*errnum = 0;
	if (q->na > Q_MAXARGS || q->nc > Q_MAXCOLS) {
		db_set_err(db, "%s: too many parameters or columns",
		    stmts[q->id].name);
		return PS_ERROR;
	}
	memset(pb, 0, sizeof(pb));
	for (i = 0; i < q->na; i++) {
		const struct arg *a = &q->a[i];

		if (a->t == A_I64) {
			pb[i].buffer_type = MYSQL_TYPE_LONGLONG;
			pb[i].buffer = (void *)&a->i;
		} else if (a->s == NULL) {
			pb[i].buffer_type = MYSQL_TYPE_NULL;
		} else {
			plen[i] = (unsigned long)strlen(a->s);
			pb[i].buffer_type = MYSQL_TYPE_STRING;
			pb[i].buffer = (void *)a->s;
			pb[i].buffer_length = plen[i];
			pb[i].length = &plen[i];
		}
	}
	if (mysql_stmt_param_count(s) != q->na) {
		db_set_err(db, "%s: %lu parameters, %zu given",
		    stmts[q->id].name, mysql_stmt_param_count(s), q->na);
		return PS_ERROR;
	}
	if (q->na > 0 && mysql_stmt_bind_param(s, pb) != 0)
		goto stmt_err;
	db->statements++;
	if (mysql_stmt_execute(s) != 0)
		goto stmt_err;
	q->affected = (int64_t)mysql_stmt_affected_rows(s);
	q->insert_id = (int64_t)mysql_stmt_insert_id(s);
	q->rows = 0;
	if (mysql_stmt_field_count(s) == 0)
		return PS_OK;
	if (mysql_stmt_field_count(s) != q->nc) {
		db_set_err(db, "%s: %u columns, %zu expected",
		    stmts[q->id].name, mysql_stmt_field_count(s), q->nc);
		mysql_stmt_free_result(s);
		return PS_ERROR;
	}
	memset(rb, 0, sizeof(rb));
	for (i = 0; i < q->nc; i++) {
		rb[i].is_null = &rnull[i];
		rb[i].error = &rerr[i];
		rb[i].length = &rlen[i];
		if (q->c[i].t == C_I64) {
			rb[i].buffer_type = MYSQL_TYPE_LONGLONG;
			rb[i].buffer = &ival[i];
		} else {
			rb[i].buffer_type = MYSQL_TYPE_STRING;
			rb[i].buffer = q->c[i].p;
			rb[i].buffer_length = q->c[i].sz - 1;
		}
	}
	if (mysql_stmt_bind_result(s, rb) != 0)
		goto stmt_err;
	/* Buffer the rows so a row callback may run other statements. */
	if (mysql_stmt_store_result(s) != 0)
		goto stmt_err;
	for (;;) {
		rc = mysql_stmt_fetch(s);
		if (rc == MYSQL_NO_DATA)
			break;
		if (rc == 1)
			goto stmt_err_free;
		for (i = 0; i < q->nc; i++) {
			if (q->c[i].t == C_I64) {
				*(int64_t *)q->c[i].p =
				    rnull[i] ? 0 : (int64_t)ival[i];
				continue;
			}
			if (rnull[i])
				rlen[i] = 0;
			if (rc == MYSQL_DATA_TRUNCATED && rerr[i]) {
				db_set_err(db, "%s: column %zu longer than %zu",
				    stmts[q->id].name, i, q->c[i].sz - 1);
				mysql_stmt_free_result(s);
				return PS_ERROR;
			}
			((char *)q->c[i].p)[rlen[i]] = '\0';
		}
		if (rc == MYSQL_DATA_TRUNCATED) {
			db_set_err(db, "%s: integer column out of range",
			    stmts[q->id].name);
			mysql_stmt_free_result(s);
			return PS_ERROR;
		}
		q->rows++;
		if (q->row != NULL) {
			if (q->row(q->rowarg) != 0)
				break;
		} else if (q->rows == 1) {
			/* Single-row reads keep the first row. */
			break;
		}
	}
	mysql_stmt_free_result(s);
	return PS_OK;
stmt_err_free:
	*errnum = mysql_stmt_errno(s);
	db_set_err(
	    db, "%s: %s (%u)", stmts[q->id].name, mysql_stmt_error(s), *errnum);
	mysql_stmt_free_result(s);
	return PS_ERROR;
stmt_err:
	*errnum = mysql_stmt_errno(s);
	db_set_err(
	    db, "%s: %s (%u)", stmts[q->id].name, mysql_stmt_error(s), *errnum);
	if (!conn_lost(*errnum))
		mysql_stmt_free_result(s);
	return st;
}

enum pstatus
db_run(struct db *db, struct q *q)
{
	MYSQL_STMT *s = NULL;
	unsigned int e = 0;
	int lost_once = 0, deadlocks = 0;
	enum pstatus st;

	db->err[0] = '\0';
again:
	if (db->my == NULL) {
		/* A previous reconnect failed: try once more now. */
		if (db->in_tx) {
			db->in_tx = 0;
		}
		if ((st = reconnect(db)) != PS_OK)
			return st;
	}
	st = prepare(db, q->id, &s);
	if (st == PS_RETRY) {
		/* Lost while preparing: nothing was run. */
		goto lost_unsent;
	}
	if (st != PS_OK)
		return st;
	st = exec_once(db, s, q, &e);
	if (st == PS_OK)
		return PS_OK;
	if (conn_lost(e)) {
		/* CR_SERVER_GONE_ERROR: the request could not be written, so
		 * the server never saw it. Anything else: it may have run. */
		if (e == CR_SERVER_GONE_ERROR)
			goto lost_unsent;
		goto lost_sent;
	}
	if (e == ER_LOCK_DEADLOCK || e == ER_LOCK_WAIT_TIMEOUT) {
		/* A deadlock in autocommit mode rolled the statement back: run
		 * it again at once. In a transaction the server rolled it all
		 * back (1213), or the caller must (1205): PS_RETRY, and the
		 * caller (db_tx) reruns the whole of it. A lock wait timeout
		 * outside a transaction is not repeated (it took 50 s). */
		if (e == ER_LOCK_DEADLOCK && !db->in_tx &&
		    ++deadlocks < DEADLOCK_TRIES)
			goto again;
		return PS_RETRY;
	}
	if (e == ER_DUP_ENTRY)
		return PS_CONFLICT;
	if (e == ER_TRUNCATED_WRONG_VALUE || e == 1366 /* incorrect value */)
		return PS_INVALID;
	if ((e == 4025 /* CHECK constraint */ &&
	        (stmts[q->id].flags & DB_INVAL_CHECK)) ||
	    (e == 1406 /* too long */ && (stmts[q->id].flags & DB_INVAL_LONG)))
		return PS_INVALID;
	return PS_ERROR;

lost_unsent:
	if (db->in_tx) {
		/* The transaction died with the connection. */
		reconnect(db);
		return PS_RETRY;
	}
	if (lost_once++ > 0)
		return PS_ERROR;
	if ((st = reconnect(db)) != PS_OK)
		return st;
	goto again;
lost_sent:
	if (db->in_tx) {
		reconnect(db);
		return q->id == S_COMMIT ? PS_UNKNOWN : PS_RETRY;
	}
	if (lost_once++ > 0)
		return PS_ERROR;
	if ((st = reconnect(db)) != PS_OK)
		return (stmts[q->id].flags & DB_SAFE) ? st : PS_UNKNOWN;
	if (stmts[q->id].flags & DB_SAFE)
		goto again;
	db_set_err(db,
	    "%s: connection lost after the statement was sent; "
	    "reconnected, outcome unknown",
	    stmts[q->id].name);
	return PS_UNKNOWN;
}

/* Runs a statement without arguments or results. */
static enum pstatus
run0(struct db *db, enum stmt_id id)
{
	struct q q = {.id = id};

	return db_run(db, &q);
}

enum pstatus
db_ping(struct db *db)
{
	int64_t one = 0;
	struct col c[] = {{C_I64, &one, 0}};
	struct q q = {.id = S_PING, .c = c, .nc = 1};
	enum pstatus st;

	st = db_run(db, &q);
	if (st == PS_OK && q.rows != 1) {
		db_set_err(db, "ping: no answer");
		st = PS_ERROR;
	}
	return st;
}

/* ---- transactions ---- */

enum pstatus
db_begin(struct db *db)
{
	enum pstatus st;

	if (db->in_tx) {
		db_set_err(db, "begin: already in a transaction");
		return PS_ERROR;
	}
	if ((st = run0(db, S_BEGIN)) == PS_OK)
		db->in_tx = 1;
	return st;
}

enum pstatus
db_commit(struct db *db)
{
	enum pstatus st;

	if (!db->in_tx) {
		db_set_err(db, "commit: not in a transaction");
		return PS_ERROR;
	}
	st = run0(db, S_COMMIT);
	if (st != PS_RETRY)
		db->in_tx = 0;
	return st;
}

enum pstatus
db_rollback(struct db *db)
{
	enum pstatus st;
	int was = db->in_tx;

	/* Run ROLLBACK outside the in_tx bookkeeping: a lost connection
	 * has rolled back already, so a failure here changes nothing. */
	db->in_tx = 0;
	if (!was || db->my == NULL)
		return PS_OK;
	st = run0(db, S_ROLLBACK);
	db->in_tx = 0;
	return st;
}

enum pstatus
db_tx(struct db *db, enum pstatus (*fn)(struct db *, void *), void *arg)
{
	enum pstatus st = PS_ERROR;
	int i;

	for (i = 0; i < TX_TRIES; i++) {
		if (i > 0) {
			struct timespec ts = {0, 10000000L * i};

			nanosleep(&ts, NULL);
		}
		if ((st = db_begin(db)) != PS_OK) {
			if (st == PS_RETRY)
				continue;
			return st;
		}
		st = fn(db, arg);
		if (st == PS_OK)
			st = db_commit(db);
		if (st == PS_OK)
			return PS_OK;
		db_rollback(db);
		if (st != PS_RETRY)
			return st;
	}
	return st;
}

/* ---- helpers for the queries ---- */

/* Checks that s (may be NULL when optional) fits max bytes. */
int
db_fits(struct db *db, const char *what, const char *s, size_t max)
{
	if (s != NULL && strlen(s) > max) {
		db_set_err(db, "%s longer than %zu bytes", what, max);
		return 0;
	}
	return 1;
}

static void
lower_copy(char *dst, const char *src, size_t dstsz)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < dstsz; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

static int
is_hash(const char *h)
{
	size_t i;

	for (i = 0; i < DB_HASH_HEX; i++)
		if (!isxdigit((unsigned char)h[i]) ||
		    isupper((unsigned char)h[i]))
			return 0;
	return h[DB_HASH_HEX] == '\0';
}

static int
check_hash(struct db *db, const char *h)
{
	if (h == NULL || !is_hash(h)) {
		db_set_err(db, "token hash is not 64 lowercase hex characters");
		return 0;
	}
	return 1;
}

/* ---- practices ---- */

enum pstatus
db_practice_id(struct db *db, const char *slug, int64_t *id)
{
	struct arg a[] = {AS(slug)};
	struct col c[] = {{C_I64, id, 0}};
	struct q q = {.id = S_PRACTICE_ID, .a = a, .na = 1, .c = c, .nc = 1};
	enum pstatus st;

	*id = 0;
	if (!db_fits(db, "practice slug", slug, DB_SLUG_MAX))
		return PS_INVALID;
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
db_practice_ensure(
    struct db *db, const char *slug, const char *name, int64_t *id)
{
	struct arg a[] = {AS(slug), AS(name)};
	struct q q = {.id = S_PRACTICE_UPSERT, .a = a, .na = 2};
	enum pstatus st;

	*id = 0;
	if (!db_fits(db, "practice slug", slug, DB_SLUG_MAX) ||
	    !db_fits(db, "practice name", name, DB_PRACTICE_MAX))
		return PS_INVALID;
	if ((st = db_run(db, &q)) != PS_OK)
		return st;
	st = db_practice_id(db, slug, id);
	if (st == PS_NOTFOUND) {
		db_set_err(db, "practice %s vanished after insert", slug);
		st = PS_ERROR;
	}
	return st;
}

/* ---- clients ---- */

static void
client_cols(struct db_client *c, struct col *cols)
{
	cols[0] = (struct col){C_I64, &c->id, 0};
	cols[1] = (struct col){C_I64, &c->practice_id, 0};
	cols[2] = (struct col){C_STR, c->first_name, sizeof(c->first_name)};
	cols[3] = (struct col){C_STR, c->last_name, sizeof(c->last_name)};
	cols[4] = (struct col){C_STR, c->email, sizeof(c->email)};
	cols[5] =
	    (struct col){C_STR, c->date_of_birth, sizeof(c->date_of_birth)};
	cols[6] = (struct col){C_I64, &c->created_at, 0};
}

enum pstatus
db_client_create(struct db *db, int64_t practice_id, const char *first,
    const char *last, const char *email, const char *dob, int64_t now,
    int64_t *id)
{
	struct arg a[] = {
	    AI(practice_id), AS(first), AS(last), AS(email), AS(dob), AI(now)};
	struct q q = {.id = S_CLIENT_INS, .a = a, .na = 6};
	enum pstatus st;

	*id = 0;
	if (!db_fits(db, "first name", first, DB_NAME_MAX) ||
	    !db_fits(db, "last name", last, DB_NAME_MAX) ||
	    !db_fits(db, "email", email, DB_EMAIL_MAX) ||
	    !db_fits(db, "date of birth", dob, 10))
		return PS_INVALID;
	if ((st = db_run(db, &q)) == PS_OK)
		*id = q.insert_id;
	return st;
}

enum pstatus
db_client_get(struct db *db, int64_t practice_id, int64_t client_id,
    struct db_client *out)
{
	struct arg a[] = {AI(practice_id), AI(client_id)};
	struct col c[7];
	struct q q = {.id = S_CLIENT_GET, .a = a, .na = 2, .c = c, .nc = 7};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	client_cols(out, c);
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	if (st != PS_OK)
		memset(out, 0, sizeof(*out));
	return st;
}

struct list_ctx {
	struct db_client_info row;
	int64_t hasp;
	int (*fn)(void *, const struct db_client_info *);
	void *arg;
};

static int
list_row(void *p)
{
	struct list_ctx *l = p;

	l->row.has_password = l->hasp != 0;
	return l->fn(l->arg, &l->row);
}

enum pstatus
db_client_list(struct db *db, int64_t practice_id,
    int (*fn)(void *arg, const struct db_client_info *row), void *arg)
{
	struct list_ctx l;
	struct arg a[] = {AI(practice_id), AI(practice_id)};
	struct col c[11];
	struct q q = {.id = S_CLIENT_LIST, .a = a, .na = 2, .c = c, .nc = 11};

	memset(&l, 0, sizeof(l));
	l.fn = fn;
	l.arg = arg;
	client_cols(&l.row.client, c);
	c[7] = (struct col){
	    C_STR, l.row.practice_slug, sizeof(l.row.practice_slug)};
	c[8] = (struct col){C_I64, &l.row.user_id, 0};
	c[9] = (struct col){C_I64, &l.hasp, 0};
	c[10] = (struct col){C_I64, &l.row.invite_expires_at, 0};
	q.row = list_row;
	q.rowarg = &l;
	return db_run(db, &q);
}

/* ---- portal users ---- */

static void
user_cols(struct db_user *u, struct col *c, int64_t *hasp)
{
	c[0] = (struct col){C_I64, &u->id, 0};
	c[1] = (struct col){C_I64, &u->practice_id, 0};
	c[2] = (struct col){C_I64, &u->client_id, 0};
	c[3] = (struct col){C_STR, u->email, sizeof(u->email)};
	c[4] = (struct col){C_STR, u->password_hash, sizeof(u->password_hash)};
	c[5] = (struct col){C_I64, hasp, 0};
	c[6] = (struct col){C_I64, &u->invite_expires_at, 0};
	c[7] = (struct col){C_I64, &u->password_set_at, 0};
}

static enum pstatus
user_get(struct db *db, enum stmt_id id, struct arg *a, size_t na,
    struct db_user *out)
{
	struct col c[8];
	int64_t hasp = 0;
	struct q q = {.id = id, .a = a, .na = na, .c = c, .nc = 8};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	user_cols(out, c, &hasp);
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	if (st != PS_OK)
		memset(out, 0, sizeof(*out));
	else
		out->has_password = hasp != 0;
	return st;
}

enum pstatus
db_user_create(struct db *db, int64_t practice_id, int64_t client_id,
    const char *email, const char *invite_hash, int64_t invite_expires,
    int64_t now, int64_t *id)
{
	char lower[DB_EMAIL_MAX + 1];
	struct arg a[] = {AI(practice_id), AI(client_id), AS(lower),
	    AS(invite_hash), AI(invite_expires), AI(now)};
	struct q q = {.id = S_USER_INS, .a = a, .na = 6};
	enum pstatus st;

	*id = 0;
	if (!db_fits(db, "email", email, DB_EMAIL_MAX))
		return PS_INVALID;
	if (invite_hash != NULL && !check_hash(db, invite_hash))
		return PS_INVALID;
	lower_copy(lower, email, sizeof(lower));
	st = db_run(db, &q);
	if (st == PS_OK)
		*id = q.insert_id;
	return st;
}

enum pstatus
db_user_by_email(struct db *db, const char *email, struct db_user *out)
{
	char lower[DB_EMAIL_MAX + 1];
	struct arg a[] = {AS(lower)};

	if (!db_fits(db, "email", email, DB_EMAIL_MAX)) {
		memset(out, 0, sizeof(*out));
		return PS_NOTFOUND;
	}
	lower_copy(lower, email, sizeof(lower));
	return user_get(db, S_USER_BY_EMAIL, a, 1, out);
}

enum pstatus
db_user_by_id(
    struct db *db, int64_t practice_id, int64_t user_id, struct db_user *out)
{
	struct arg a[] = {AI(practice_id), AI(user_id)};

	return user_get(db, S_USER_BY_ID, a, 2, out);
}

enum pstatus
db_user_by_invite(
    struct db *db, const char *token_hash, int64_t now, struct db_user *out)
{
	struct arg a[] = {AS(token_hash), AI(now)};

	if (token_hash == NULL || !is_hash(token_hash)) {
		memset(out, 0, sizeof(*out));
		return PS_NOTFOUND;
	}
	return user_get(db, S_USER_BY_INVITE, a, 2, out);
}

enum pstatus
db_user_set_invite(struct db *db, int64_t user_id, const char *invite_hash,
    int64_t invite_expires)
{
	struct arg a[] = {AS(invite_hash), AI(invite_expires), AI(user_id)};
	struct q q = {.id = S_USER_SET_INVITE, .a = a, .na = 3};
	enum pstatus st;

	if (!check_hash(db, invite_hash))
		return PS_INVALID;
	if ((st = db_run(db, &q)) == PS_OK && q.affected == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
db_user_set_password(
    struct db *db, int64_t user_id, const char *pwhash, int64_t now)
{
	struct arg a[] = {AS(pwhash), AI(now), AI(user_id)};
	struct q q = {.id = S_USER_SET_PW, .a = a, .na = 3};
	enum pstatus st;

	if (pwhash == NULL ||
	    !db_fits(db, "password hash", pwhash, DB_PWHASH_MAX))
		return PS_INVALID;
	if ((st = db_run(db, &q)) == PS_OK && q.affected == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
db_user_accept_invite(struct db *db, int64_t user_id, const char *token_hash,
    const char *pwhash, int64_t now)
{
	struct arg a[] = {
	    AS(pwhash), AI(now), AI(user_id), AS(token_hash), AI(now)};
	struct q q = {.id = S_USER_ACCEPT, .a = a, .na = 5};
	enum pstatus st;

	if (pwhash == NULL ||
	    !db_fits(db, "password hash", pwhash, DB_PWHASH_MAX))
		return PS_INVALID;
	if (token_hash == NULL || !is_hash(token_hash))
		return PS_NOTFOUND;
	if ((st = db_run(db, &q)) == PS_OK && q.affected == 0)
		st = PS_NOTFOUND;
	return st;
}

/* ---- sessions ---- */

enum pstatus
db_session_create(struct db *db, const char *token_hash,
    const struct db_user *user, int64_t now, const char *ip, int64_t *id)
{
	struct arg a[] = {AS(token_hash), AI(user->id), AI(user->practice_id),
	    AI(user->client_id), AI(now), AI(now), AS(ip)};
	struct q q = {.id = S_SESS_INS, .a = a, .na = 7};
	enum pstatus st;

	if (id != NULL)
		*id = 0;
	if (!check_hash(db, token_hash) || !db_fits(db, "ip", ip, DB_IP_MAX))
		return PS_INVALID;
	if ((st = db_run(db, &q)) == PS_OK && id != NULL)
		*id = q.insert_id;
	return st;
}

enum pstatus
db_session_get(struct db *db, const char *token_hash, struct db_session *out)
{
	struct arg a[] = {AS(token_hash)};
	struct col c[] = {{C_I64, &out->id, 0}, {C_I64, &out->user_id, 0},
	    {C_I64, &out->practice_id, 0}, {C_I64, &out->client_id, 0},
	    {C_I64, &out->created_at, 0}, {C_I64, &out->last_seen_at, 0}};
	struct q q = {.id = S_SESS_GET, .a = a, .na = 1, .c = c, .nc = 6};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	if (token_hash == NULL || !is_hash(token_hash))
		return PS_NOTFOUND;
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	if (st != PS_OK)
		memset(out, 0, sizeof(*out));
	return st;
}

enum pstatus
db_session_client_get(struct db *db, const char *token_hash,
    struct db_session *out, struct db_client *client)
{
	struct arg a[] = {AS(token_hash)};
	struct col c[13] = {{C_I64, &out->id, 0}, {C_I64, &out->user_id, 0},
	    {C_I64, &out->practice_id, 0}, {C_I64, &out->client_id, 0},
	    {C_I64, &out->created_at, 0}, {C_I64, &out->last_seen_at, 0}};
	struct q q = {
	    .id = S_SESS_CLIENT_GET, .a = a, .na = 1, .c = c, .nc = 13};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	memset(client, 0, sizeof(*client));
	client_cols(client, c + 6);
	if (token_hash == NULL || !is_hash(token_hash))
		return PS_NOTFOUND;
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	if (st != PS_OK) {
		memset(out, 0, sizeof(*out));
		memset(client, 0, sizeof(*client));
	}
	return st;
}

enum pstatus
db_session_touch(struct db *db, int64_t id, int64_t now)
{
	struct arg a[] = {AI(now), AI(id)};
	struct q q = {.id = S_SESS_TOUCH, .a = a, .na = 2};
	enum pstatus st;

	if ((st = db_run(db, &q)) == PS_OK && q.affected == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
db_session_delete(struct db *db, const char *token_hash)
{
	struct arg a[] = {AS(token_hash)};
	struct q q = {.id = S_SESS_DEL, .a = a, .na = 1};

	if (token_hash == NULL || !is_hash(token_hash))
		return PS_OK;
	return db_run(db, &q);
}

enum pstatus
db_session_delete_user(struct db *db, int64_t user_id)
{
	struct arg a[] = {AI(user_id)};
	struct q q = {.id = S_SESS_DEL_USER, .a = a, .na = 1};

	return db_run(db, &q);
}

enum pstatus
db_session_delete_expired(struct db *db, int64_t idle, int64_t absolute,
    int64_t now, int64_t *deleted)
{
	struct arg a[] = {AI(now - idle), AI(now - absolute)};
	struct q q = {.id = S_SESS_DEL_EXPIRED, .a = a, .na = 2};
	enum pstatus st;

	if ((st = db_run(db, &q)) == PS_OK && deleted != NULL)
		*deleted = q.affected;
	else if (deleted != NULL)
		*deleted = 0;
	return st;
}

/* ---- login throttling ---- */

static const char *
scope_str(enum db_throttle_scope s)
{
	static const char *const names[] = {[DB_THROTTLE_ACCOUNT] = "account",
	    [DB_THROTTLE_ADDRESS] = "address",
	    [DB_THROTTLE_RESET_ACCOUNT] = "reset_account",
	    [DB_THROTTLE_RESET_ADDRESS] = "reset_address"};

	return names[s];
}

enum pstatus
db_throttle_get(struct db *db, enum db_throttle_scope scope,
    const char *subject, int64_t now, struct db_throttle *out)
{
	int64_t f = 0;
	struct arg a[] = {AS(scope_str(scope)), AS(subject)};
	struct col c[] = {{C_I64, &f, 0}, {C_I64, &out->window_start, 0},
	    {C_I64, &out->locked_until, 0}};
	struct q q = {.id = S_THR_GET, .a = a, .na = 2, .c = c, .nc = 3};
	enum pstatus st;

	(void)now;
	memset(out, 0, sizeof(*out));
	if (subject == NULL || !db_fits(db, "subject", subject, DB_EMAIL_MAX))
		return PS_INVALID;
	st = db_run(db, &q);
	if (st == PS_OK && q.rows == 1)
		out->failures = f > 1000000000 ? 1000000000 : (int)f;
	else
		memset(out, 0, sizeof(*out));
	return st;
}

enum pstatus
db_throttle_fail(struct db *db, enum db_throttle_scope scope,
    const char *subject, int64_t now, int64_t window, int max, int64_t lockout,
    struct db_throttle *out)
{
	int64_t until = now + lockout;
	struct arg a[] = {AS(scope_str(scope)), AS(subject), AI(now), AI(max),
	    AI(until), AI(window), AI(now), AI(max), AI(until), AI(max),
	    AI(until), AI(window), AI(now), AI(window), AI(now), AI(now)};
	struct q q = {.id = S_THR_FAIL, .a = a, .na = 16};
	enum pstatus st;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (subject == NULL || !db_fits(db, "subject", subject, DB_EMAIL_MAX))
		return PS_INVALID;
	if ((st = db_run(db, &q)) != PS_OK)
		return st;
	if (out != NULL)
		st = db_throttle_get(db, scope, subject, now, out);
	return st;
}

enum pstatus
db_throttle_clear(
    struct db *db, enum db_throttle_scope scope, const char *subject)
{
	struct arg a[] = {AS(scope_str(scope)), AS(subject)};
	struct q q = {.id = S_THR_CLEAR, .a = a, .na = 2};

	if (subject == NULL || !db_fits(db, "subject", subject, DB_EMAIL_MAX))
		return PS_INVALID;
	return db_run(db, &q);
}

/* ---- audit log ---- */

static const char *const actors[] = {"client", "clinician", "system"};

enum pstatus
db_audit(struct db *db, int64_t practice_id, int64_t client_id, int64_t user_id,
    enum db_actor actor, const char *action, const char *detail, const char *ip)
{
	char cut[DB_DETAIL_MAX + 1];
	struct arg a[] = {AI(practice_id), AIN(client_id), AIN(user_id),
	    AS(actors[actor <= DB_ACTOR_SYSTEM ? actor : DB_ACTOR_SYSTEM]),
	    AS(action), AS(cut), AS(ip)};
	struct q q = {.id = S_AUDIT_INS, .a = a, .na = 7};
	size_t n;

	if (action == NULL || !db_fits(db, "action", action, DB_ACTION_MAX) ||
	    !db_fits(db, "ip", ip, DB_IP_MAX))
		return PS_INVALID;
	n = detail ? strlen(detail) : 0;
	if (n > DB_DETAIL_MAX) {
		/* Cut at a UTF-8 character boundary. */
		n = DB_DETAIL_MAX;
		while (n > 0 && ((unsigned char)detail[n] & 0xc0) == 0x80)
			n--;
	}
	if (n > 0)
		memcpy(cut, detail, n);
	cut[n] = '\0';
	return db_run(db, &q);
}

struct audit_ctx {
	struct db_audit_row row;
	char actor[16];
	int (*fn)(void *, const struct db_audit_row *);
	void *arg;
};

static int
audit_row(void *p)
{
	struct audit_ctx *x = p;
	int i;

	x->row.actor = DB_ACTOR_SYSTEM;
	for (i = 0; i <= DB_ACTOR_SYSTEM; i++)
		if (strcmp(x->actor, actors[i]) == 0)
			x->row.actor = (enum db_actor)i;
	return x->fn(x->arg, &x->row);
}

enum pstatus
db_audit_list(struct db *db, int64_t practice_id, int64_t client_id, int limit,
    int (*fn)(void *arg, const struct db_audit_row *row), void *arg)
{
	struct audit_ctx x;
	struct arg a[] = {
	    AI(practice_id), AI(client_id), AI(client_id), AI(limit)};
	struct col c[9];
	struct q q = {.id = S_AUDIT_LIST, .a = a, .na = 4, .c = c, .nc = 9};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	c[0] = (struct col){C_I64, &x.row.id, 0};
	c[1] = (struct col){C_I64, &x.row.at, 0};
	c[2] = (struct col){C_I64, &x.row.practice_id, 0};
	c[3] = (struct col){C_I64, &x.row.client_id, 0};
	c[4] = (struct col){C_I64, &x.row.user_id, 0};
	c[5] = (struct col){C_STR, x.actor, sizeof(x.actor)};
	c[6] = (struct col){C_STR, x.row.action, sizeof(x.row.action)};
	c[7] = (struct col){C_STR, x.row.detail, sizeof(x.row.detail)};
	c[8] = (struct col){C_STR, x.row.ip, sizeof(x.row.ip)};
	q.row = audit_row;
	q.rowarg = &x;
	return db_run(db, &q);
}
