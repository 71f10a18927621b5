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
	S_MIG_EXISTS,
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
	S_SESS_CLIENT_GET,
	S_SESS_TOUCH,
	S_SESS_DEL,
	S_SESS_DEL_USER,
	S_SESS_DEL_EXPIRED,
	S_THR_GET,
	S_THR_FAIL,
	S_THR_CLEAR,
	S_AUDIT_INS,
	S_AUDIT_LIST,
	/* billing (app/db/db_billing.c; SQL in app/db/db_billing_sql.h) */
	S_BILL_CLIENT_LOCK,
	S_BILL_CLIENT_BY_EMAIL,
	S_BILL_COUNTER_INIT,
	S_BILL_COUNTER_GET,
	S_BILL_COUNTER_SET,
	S_BILL_INV_INS,
	S_BILL_LINE_INS,
	S_BILL_INV_LIST,
	S_BILL_INV_LIST_ALL,
	S_BILL_INV_GET,
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
	S_BILL_CLIENT_FLAGS,
	S_BILL_ATT_OUTCOME,
	S_BILL_ATT_ACTION,
	S_BILL_SETUP_INS,
	S_BILL_SETUP_GET,
	S_BILL_SETUP_SET,
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
	/* billing documents (app/db/db_docs.c; SQL in app/db/db_docs_sql.h) */
	S_DOC_PROVIDER_PUT,
	S_DOC_PROVIDER_DEFAULT,
	S_DOC_PROVIDER_GET,
	S_DOC_PROVIDER_BY_NPI,
	S_DOC_PROFILE_PUT,
	S_DOC_PROFILE_GET,
	S_DOC_INVOICE_BY_NUMBER,
	S_DOC_INVOICE_LIST,
	S_DOC_INVOICE_LINES,
	S_DOC_LINES_ON_DATE,
	S_DOC_SUPERBILL_LINES,
	S_DOC_LINE_FIND,
	S_DOC_CODE_PUT,
	S_DOC_DOCUMENT_INSERT,
	S_DOC_DOCUMENT_GET,
	S_DOC_DOCUMENT_LIST,
	S_DOC_DOCUMENT_SHARE,
	S_DOC_SUPERBILL_ADD,
	S_DOC_RECEIPT_LIST,
	S_DOC_PAYMENT_APPLIED,
	S_DOC_LEDGER,
	S_DOC_BALANCE_BEFORE,
	S_DOC_ENTRY_LIST,
	/* AutoPay (app/db/db_autopay.c; SQL in app/db/db_autopay_sql.h) */
	S_AP_ENROLL_GET,
	S_AP_ENROLL_LIST,
	S_AP_ENROLL_OFF_LIST,
	S_AP_ENROLL_UPSERT,
	S_AP_ENROLL_OFF,
	S_AP_ENROLL_CLAIM,
	S_AP_ENROLL_NOTE,
	S_AP_WINDOW_GET,
	S_AP_WINDOW_SET,
	S_AP_DUE_LIST,
	S_AP_CHARGE_INS,
	S_AP_CHARGE_GET,
	S_AP_CHARGE_THROUGH,
	S_AP_CHARGE_RECENT,
	S_AP_CHARGE_LAST,
	S_AP_RUN_INS,
	S_AP_RUN_FINISH,
	S_AP_RUN_LIST,
	S_AP_NIGHT_TOTALS,
	/* mail (app/db/db_mail.c; SQL in app/db/db_mail_sql.h) */
	S_MAIL_INS,
	S_MAIL_PICK,
	S_MAIL_CLAIM,
	S_MAIL_GET,
	S_MAIL_SENT,
	S_MAIL_FAIL,
	S_MAIL_RETRY,
	S_MAIL_COUNTS,
	S_MAIL_UNSENT,
	S_RESET_INS,
	S_RESET_FIND,
	S_RESET_LOCK,
	S_RESET_MARK,
	S_RESET_SET_PW,
	S_MAIL_CARDS_EXPIRING,
	/* db init (app/db/db_admin.c; SQL in app/db/db_admin_sql.h) */
	S_ADM_DB_EXISTS,
	S_ADM_USER_EXISTS,
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
	uint64_t statements; /* statements sent since db_open */
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

/* The flags of a statement table entry (the third field, in db.c and the
 * *_sql.h files it includes; a plain 1 or 0 there is DB_SAFE or none).
 * DB_SAFE: may run again after the connection was lost once the statement
 * had been sent. DB_INVAL_*: server errors that are PS_INVALID besides the
 * usual bad value (1292, 1366). */
#define DB_SAFE        0x1
#define DB_INVAL_CHECK 0x2 /* a CHECK constraint failed (4025) */
#define DB_INVAL_LONG  0x4 /* a value too long for its column (1406) */

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

/* Defines the usual row callback of a list: struct NAME_ctx holds the row
 * (of type T, which the columns of the struct q point into) and the
 * caller's fn and arg; static NAME_row(rowarg), for struct q's row with a
 * struct NAME_ctx as rowarg, hands each fetched row to fn and returns what
 * fn returns (non-zero stops the list). Use at file scope, followed by a
 * semicolon. */
#define DB_ROW_FORWARD(NAME, T)                \
	struct NAME##_ctx {                    \
		T row;                         \
		int (*fn)(void *, const T *);  \
		void *arg;                     \
	};                                     \
	static int NAME##_row(void *p)         \
	{                                      \
		struct NAME##_ctx *x = p;      \
                                               \
		return x->fn(x->arg, &x->row); \
	}                                      \
	struct NAME##_ctx

/* Runs q on db with the reconnect, re-prepare and deadlock rules described
 * in db.h: q's statement is prepared once per connection from the shared
 * table and kept. Returns a status as described there; db->err says why. */
enum pstatus db_run(struct db *db, struct q *q);

/* Returns 1 if s is NULL or at most max bytes long; else sets db's error
 * ("WHAT longer than MAX bytes") and returns 0. */
int db_fits(struct db *db, const char *what, const char *s, size_t max);

/* Sets db's error message. */
void db_set_err(struct db *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
