/* db_int.h: internals shared by the files of app/db (the connection, the
 * statement table and the statement runner). Not for use outside app/db. */
#ifndef PORTAL_DB_INT_H
#define PORTAL_DB_INT_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include <mysql.h>

#include "db/db.h"

/* Every prepared statement, one slot each in struct db's cache. */
enum stmt_id {
	S_PING,
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_MIG_TABLE,
	S_MIG_HAS,
	S_MIG_ADD,
	S_PRACTICE_UPSERT,
	S_PRACTICE_ID,
	S_CLIENT_INS,
	S_CLIENT_GET,
	S_CLIENT_LIST,
	S_USER_INS,
	S_USER_BY_EMAIL,
	S_USER_BY_ID,
	S_USER_BY_INVITE,
	S_USER_SET_INVITE,
	S_USER_SET_PW,
	S_USER_ACCEPT,
	S_SESS_INS,
	S_SESS_GET,
	S_SESS_TOUCH,
	S_SESS_DEL,
	S_SESS_DEL_USER,
	S_SESS_DEL_EXPIRED,
	S_THR_GET,
	S_THR_FAIL,
	S_THR_CLEAR,
	S_AUDIT_INS,
	S_AUDIT_LIST,
	/* billing (app/db/billing.c; SQL in app/db/billing_sql.h) */
	S_BILL_CLIENT_LOCK,
	S_BILL_CLIENT_BY_EMAIL,
	S_BILL_COUNTER_INIT,
	S_BILL_COUNTER_GET,
	S_BILL_COUNTER_SET,
	S_BILL_INV_INS,
	S_BILL_LINE_INS,
	S_BILL_INV_LIST,
	S_BILL_INV_COUNT,
	S_BILL_CUST_GET,
	S_BILL_CUST_PUT,
	S_BILL_PM_INS,
	S_BILL_PM_BY_REF,
	S_BILL_PM_GET,
	S_BILL_PM_LIST,
	S_BILL_PM_CLEAR_DEFAULT,
	S_BILL_PM_SET_DEFAULT,
	S_BILL_PM_HAS_DEFAULT,
	S_BILL_PM_DISABLE,
	S_BILL_ATT_INS,
	S_BILL_ATT_SET_KEY,
	S_BILL_ATT_GET,
	S_BILL_ATT_LOCK,
	S_BILL_ATT_BY_FORM,
	S_BILL_ATT_OPEN,
	S_BILL_ATT_OUTCOME,
	S_BILL_ATT_STALE,
	S_BILL_ATT_LIST,
	S_BILL_PAY_INS,
	S_BILL_PAY_BY_ATT,
	S_BILL_ALLOC_INS,
	S_BILL_RCPT_INS,
	S_BILL_RCPT_BY_ATT,
	S_BILL_ATT_BY_KEY,
	S_BILL_EVT_HAS,
	S_BILL_EVT_INS,
	S__COUNT
};

struct db {
	MYSQL *my;                /* NULL after a failed reconnect */
	MYSQL_STMT *st[S__COUNT]; /* prepared lazily; NULL = not yet */
	char *socket, *host, *user, *password, *name;
	unsigned int port;
	unsigned int timeout;
	int in_tx;
	unsigned int reconnects;
	char err[512];
};

/* A statement argument: a 64-bit integer, or a string (NULL = SQL NULL). */
struct arg {
	enum { A_I64, A_STR } t;
	int64_t i;
	const char *s;
};
#define AI(v) ((struct arg){A_I64, (int64_t)(v), NULL})
#define AS(v) ((struct arg){A_STR, 0, (v)})
/* An optional id: 0 is stored as NULL. */
#define AIN(v)                                              \
	((v) != 0 ? (struct arg){A_I64, (int64_t)(v), NULL} \
	          : (struct arg){A_STR, 0, NULL})

/* A result column: into an int64_t (NULL reads 0) or a char array of sz
 * bytes (NULL reads ""; a longer value is an error). */
struct col {
	enum { C_I64, C_STR } t;
	void *p;
	size_t sz;
};

#define Q_MAXARGS 32
#define Q_MAXCOLS 32

/* One run of a statement. Without row, a read keeps its first row in the
 * columns; with row, row(rowarg) runs after each row is fetched and stops
 * the loop by returning non-zero. */
struct q {
	enum stmt_id id;
	const struct arg *a;
	size_t na;
	const struct col *c;
	size_t nc;
	int (*row)(void *rowarg);
	void *rowarg;
	uint64_t rows;     /* out: rows fetched */
	int64_t affected;  /* out: affected (matched) rows */
	int64_t insert_id; /* out: AUTO_INCREMENT value of an insert */
};

/* Runs q on db with the reconnect, re-prepare and deadlock rules described
 * in db.h. Returns a status as described there; db->err says why. */
enum pstatus db_run(struct db *db, struct q *q);

/* Returns 1 if s is NULL or at most max bytes long; else sets db's error
 * ("WHAT longer than MAX bytes") and returns 0. */
int db_fits(struct db *db, const char *what, const char *s, size_t max);

/* Sets db's error message. */
void db_set_err(struct db *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
