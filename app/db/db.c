/* db.c: the engine of app/db (db.h): MariaDB connection, lazily prepared
 * statement cache, the statement runner with its reconnect and deadlock
 * handling, and transactions. The queries are in db_core.c and the other
 * db_*.c files. */
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
#include "db/db_migrate_sql.h"
#include "db/db_core_sql.h"
#include "db/db_billing_sql.h"
#include "db/db_docs_sql.h"
#include "db/db_autopay_sql.h"
#include "db/db_mail_sql.h"
#include "db/db_admin_sql.h"
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
