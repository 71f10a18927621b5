/* autopay.c: the AutoPay queries (db_autopay.h) with a small runner of
 * their own: each statement is prepared, run and closed per call, with the
 * lost-connection and deadlock rules of db.h (db.c's cached statement
 * table is private to it). */
#include <stdio.h>
#include <string.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "db/db.h"
#include "db/db_autopay.h"
#include "db/db_int.h"

#ifndef ER_CONNECTION_KILLED
#define ER_CONNECTION_KILLED 1927
#endif

/* One statement of this file: a name for messages, its SQL and whether it
 * may run again after the connection was lost once it had been sent. */
struct astmt {
	const char *name;
	const char *sql;
	int safe;
};

/* One run: as struct q of db_int.h, with the statement itself. */
struct aq {
	const struct astmt *s;
	const struct arg *a;
	size_t na;
	const struct col *c;
	size_t nc;
	int (*row)(void *rowarg);
	void *rowarg;
	uint64_t rows;
	int64_t affected;
	int64_t insert_id;
};

static int
lost(unsigned int e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST ||
	       e == CR_SERVER_LOST_EXTENDED || e == ER_CONNECTION_KILLED ||
	       e == 4031;
}

/* Prepares, binds, runs and closes q's statement once on db->my. On a
 * server or client failure *errnum is its number (0 for local ones). */
static enum pstatus
aexec(struct db *db, struct aq *q, unsigned int *errnum)
{
	MYSQL_STMT *s;
	MYSQL_BIND pb[Q_MAXARGS], rb[Q_MAXCOLS];
	unsigned long plen[Q_MAXARGS], rlen[Q_MAXCOLS];
	my_bool rnull[Q_MAXCOLS], rerr[Q_MAXCOLS];
	long long ival[Q_MAXCOLS];
	size_t i;
	int rc;
	enum pstatus st = PS_ERROR;

	*errnum = 0;
	q->rows = 0;
	q->affected = 0;
	q->insert_id = 0;
	if (q->na > Q_MAXARGS || q->nc > Q_MAXCOLS) {
		db_set_err(
		    db, "%s: too many parameters or columns", q->s->name);
		return PS_ERROR;
	}
	if ((s = mysql_stmt_init(db->my)) == NULL) {
		db_set_err(db, "%s: cannot allocate a statement", q->s->name);
		return PS_NOMEM;
	}
	if (mysql_stmt_prepare(s, q->s->sql, strlen(q->s->sql)) != 0)
		goto fail;
	if (mysql_stmt_param_count(s) != q->na) {
		db_set_err(db, "%s: %lu parameters, %zu given", q->s->name,
		    mysql_stmt_param_count(s), q->na);
		goto out;
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
	if (q->na > 0 && mysql_stmt_bind_param(s, pb) != 0)
		goto fail;
	if (mysql_stmt_execute(s) != 0)
		goto fail;
	q->affected = (int64_t)mysql_stmt_affected_rows(s);
	q->insert_id = (int64_t)mysql_stmt_insert_id(s);
	if (mysql_stmt_field_count(s) == 0) {
		st = PS_OK;
		goto out;
	}
	if (mysql_stmt_field_count(s) != q->nc) {
		db_set_err(db, "%s: %u columns, %zu expected", q->s->name,
		    mysql_stmt_field_count(s), q->nc);
		goto out;
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
		goto fail;
	/* Buffer the rows so a row callback may run other statements. */
	if (mysql_stmt_store_result(s) != 0)
		goto fail;
	for (;;) {
		rc = mysql_stmt_fetch(s);
		if (rc == MYSQL_NO_DATA)
			break;
		if (rc == 1)
			goto fail;
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
				    q->s->name, i, q->c[i].sz - 1);
				goto out;
			}
			((char *)q->c[i].p)[rlen[i]] = '\0';
		}
		if (rc == MYSQL_DATA_TRUNCATED) {
			db_set_err(
			    db, "%s: integer column out of range", q->s->name);
			goto out;
		}
		q->rows++;
		if (q->row != NULL) {
			if (q->row(q->rowarg) != 0)
				break;
		} else if (q->rows == 1)
			break;
	}
	st = PS_OK;
	goto out;
fail:
	*errnum = mysql_stmt_errno(s);
	db_set_err(db, "%s: %s (%u)", q->s->name, mysql_stmt_error(s), *errnum);
out:
	mysql_stmt_close(s);
	return st;
}

/* Runs q with db.h's rules: a lost connection is reconnected (through
 * db_ping) and a read or safe write retried once; inside a transaction it
 * is PS_RETRY (the transaction died with it); a write that may have run is
 * PS_UNKNOWN. A deadlock is PS_RETRY in a transaction, repeated otherwise.
 * A duplicate key is PS_CONFLICT. */
static enum pstatus
arun(struct db *db, struct aq *q)
{
	unsigned int e = 0;
	int tries = 0, in_tx = db->in_tx;
	enum pstatus st;

again:
	if (db->my == NULL && (st = db_ping(db)) != PS_OK)
		return in_tx ? PS_RETRY : st;
	st = aexec(db, q, &e);
	if (st == PS_OK || e == 0)
		return st;
	if (lost(e)) {
		/* db_ping notices the loss and reconnects (ending any
		 * transaction, which the server rolled back). */
		st = db_ping(db);
		if (in_tx)
			return PS_RETRY;
		if (st != PS_OK)
			return e == CR_SERVER_GONE_ERROR || q->s->safe
			           ? PS_ERROR
			           : PS_UNKNOWN;
		if ((e == CR_SERVER_GONE_ERROR || q->s->safe) && tries++ == 0)
			goto again;
		db_set_err(db,
		    "%s: connection lost after the statement was sent; "
		    "outcome unknown",
		    q->s->name);
		return PS_UNKNOWN;
	}
	if (e == ER_LOCK_DEADLOCK || e == ER_LOCK_WAIT_TIMEOUT) {
		if (e == ER_LOCK_DEADLOCK && !in_tx && tries++ < 3)
			goto again;
		return PS_RETRY;
	}
	if (e == ER_DUP_ENTRY)
		return PS_CONFLICT;
	if (e == ER_TRUNCATED_WRONG_VALUE || e == 1366 ||
	    e == 4025 /* CHECK constraint */)
		return PS_INVALID;
	return PS_ERROR;
}

/* ---- the statements ---- */

#define ENROLL_COLS                                                          \
	"SELECT e.client_id, c.email, c.first_name, c.last_name, e.enabled," \
	" e.enrolled_at, COALESCE(e.disabled_at, 0),"                        \
	" COALESCE(e.disabled_reason, ''),"                                  \
	" COALESCE(DATE_FORMAT(e.disabled_on, '%Y-%m-%d'), ''),"             \
	" e.failed_nights,"                                                  \
	" COALESCE(DATE_FORMAT(e.last_run_on, '%Y-%m-%d'), ''),"             \
	" COALESCE(e.last_status, '')"                                       \
	" FROM autopay_enrollments e JOIN clients c ON c.id = e.client_id "

static const struct astmt S_ENROLL_GET = {"autopay enrollment get",
    ENROLL_COLS "WHERE e.practice_id = ? AND e.client_id = ?", 1};
static const struct astmt S_ENROLL_LIST = {"autopay enrollment list",
    ENROLL_COLS "WHERE e.practice_id = ? AND (? = 1 OR e.enabled = 1)"
                " ORDER BY c.last_name, c.first_name, c.id",
    1};
static const struct astmt S_ENROLL_OFF_LIST = {"autopay turned off list",
    ENROLL_COLS "WHERE e.practice_id = ? AND e.enabled = 0"
                " AND e.disabled_reason = 'failures' AND e.disabled_on = ?"
                " ORDER BY c.last_name, c.first_name, c.id",
    1};
/* Assignments run left to right, each seeing the ones before: the
 * enrollment restarts (enrolled_at, failed_nights) only when it was off. */
static const struct astmt S_ENROLL_UPSERT = {"autopay enroll",
    "INSERT INTO autopay_enrollments (practice_id, client_id, enabled,"
    " enrolled_at, updated_at) VALUES (?, ?, 1, ?, ?)"
    " ON DUPLICATE KEY UPDATE"
    " enrolled_at = IF(enabled = 1, enrolled_at, VALUES(enrolled_at)),"
    " failed_nights = IF(enabled = 1, failed_nights, 0),"
    " disabled_at = NULL, disabled_reason = NULL, disabled_on = NULL,"
    " updated_at = IF(enabled = 1, updated_at, VALUES(updated_at)),"
    " enabled = 1",
    1};
static const struct astmt S_ENROLL_OFF = {"autopay unenroll",
    "UPDATE autopay_enrollments SET enabled = 0, disabled_at = ?,"
    " disabled_reason = ?, disabled_on = ?, updated_at = ?"
    " WHERE practice_id = ? AND client_id = ? AND enabled = 1",
    1};
static const struct astmt S_ENROLL_CLAIM = {"autopay claim",
    "SELECT id FROM autopay_enrollments WHERE practice_id = ?"
    " AND client_id = ? AND enabled = 1 FOR UPDATE SKIP LOCKED",
    0};
static const struct astmt S_ENROLL_NOTE = {"autopay enrollment note",
    "UPDATE autopay_enrollments SET last_run_on = ?, last_status = ?,"
    " failed_nights = ?, updated_at = ?"
    " WHERE practice_id = ? AND client_id = ?",
    0};
static const struct astmt S_WINDOW_GET = {"autopay window get",
    "SELECT start_min, end_min FROM autopay_windows WHERE practice_id = ?", 1};
static const struct astmt S_WINDOW_SET = {"autopay window set",
    "INSERT INTO autopay_windows (practice_id, start_min, end_min,"
    " updated_at) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
    " start_min = VALUES(start_min), end_min = VALUES(end_min),"
    " updated_at = VALUES(updated_at)",
    1};
/* Per enrolled client: the balance as billing computes it (over invoices,
 * what is due and positive), the newest invoice, what a succeeded AutoPay
 * charge covered, and the night's charge. */
static const struct astmt S_DUE_LIST = {"autopay due list",
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
    1};
#define CHARGE_COLS                                                       \
	"SELECT ac.id, ac.client_id, DATE_FORMAT(ac.run_on, '%Y-%m-%d')," \
	" ac.attempt_id, ac.amount, ac.through_invoice_id, ac.runner,"    \
	" ac.created_at"
static const struct astmt S_CHARGE_INS = {"autopay charge insert",
    "INSERT INTO autopay_charges (practice_id, client_id, run_on,"
    " attempt_id, amount, through_invoice_id, runner, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    0};
static const struct astmt S_CHARGE_GET = {"autopay charge get",
    CHARGE_COLS " FROM autopay_charges ac WHERE ac.practice_id = ?"
                " AND ac.client_id = ? AND ac.run_on = ?",
    1};
static const struct astmt S_CHARGE_THROUGH = {"autopay charge through",
    "SELECT CAST(COALESCE(MAX(ac.through_invoice_id), 0) AS SIGNED)"
    " FROM autopay_charges ac JOIN payment_attempts pa"
    " ON pa.id = ac.attempt_id WHERE ac.practice_id = ?"
    " AND ac.client_id = ? AND pa.status = 'succeeded'",
    1};
static const struct astmt S_CHARGE_RECENT = {"autopay charge history",
    "SELECT pa.status FROM autopay_charges ac JOIN payment_attempts pa"
    " ON pa.id = ac.attempt_id WHERE ac.practice_id = ?"
    " AND ac.client_id = ? AND ac.created_at >= ?"
    " AND pa.status IN ('succeeded', 'declined', 'requires_action')"
    " ORDER BY ac.run_on DESC LIMIT 100",
    1};
static const struct astmt S_CHARGE_LAST = {"autopay last charge",
    CHARGE_COLS ", pa.status, COALESCE(pa.message, ''),"
                " (SELECT COUNT(*) FROM payments p WHERE p.practice_id ="
                " ac.practice_id AND p.client_id = ac.client_id"
                " AND p.attempt_id <> ac.attempt_id"
                " AND p.paid_at >= pa.created_at)"
                " FROM autopay_charges ac JOIN payment_attempts pa"
                " ON pa.id = ac.attempt_id WHERE ac.practice_id = ?"
                " AND ac.client_id = ? ORDER BY ac.run_on DESC LIMIT 1",
    1};
#define RUN_COLS                                                         \
	"SELECT id, DATE_FORMAT(run_on, '%Y-%m-%d'), runner, dry_run,"   \
	" started_at, COALESCE(finished_at, 0), due, succeeded,"         \
	" succeeded_amount, declined, declined_amount, action_required," \
	" action_amount, unknown, unknown_amount, not_sent, skipped,"    \
	" turned_off FROM autopay_runs "
static const struct astmt S_RUN_INS = {"autopay run insert",
    "INSERT INTO autopay_runs (practice_id, run_on, runner, dry_run,"
    " started_at) VALUES (?, ?, ?, ?, ?)",
    0};
static const struct astmt S_RUN_FINISH = {"autopay run finish",
    "UPDATE autopay_runs SET finished_at = ?, due = ?, succeeded = ?,"
    " succeeded_amount = ?, declined = ?, declined_amount = ?,"
    " action_required = ?, action_amount = ?, unknown = ?,"
    " unknown_amount = ?, not_sent = ?, skipped = ?, turned_off = ?"
    " WHERE practice_id = ? AND id = ?",
    1};
static const struct astmt S_RUN_LIST = {"autopay run list",
    RUN_COLS "WHERE practice_id = ? AND (? IS NULL OR run_on = ?)"
             " ORDER BY id DESC LIMIT ?",
    1};
static const struct astmt S_NIGHT_TOTALS = {"autopay night totals",
    "SELECT DATE_FORMAT(ac.run_on, '%Y-%m-%d'), pa.status, COUNT(*),"
    " CAST(SUM(ac.amount) AS SIGNED) FROM autopay_charges ac"
    " JOIN payment_attempts pa ON pa.id = ac.attempt_id"
    " JOIN (SELECT DISTINCT run_on FROM autopay_charges"
    " WHERE practice_id = ? AND (? IS NULL OR run_on = ?)"
    " ORDER BY run_on DESC LIMIT ?) n ON n.run_on = ac.run_on"
    " WHERE ac.practice_id = ? GROUP BY ac.run_on, pa.status"
    " ORDER BY ac.run_on DESC, pa.status",
    1};

/* ---- enrollments ---- */

static void
enroll_cols(struct dba_enrollment *r, struct col *c)
{
	size_t i = 0;

	c[i++] = (struct col){C_I64, &r->client_id, 0};
	c[i++] = (struct col){C_STR, r->email, sizeof(r->email)};
	c[i++] = (struct col){C_STR, r->first_name, sizeof(r->first_name)};
	c[i++] = (struct col){C_STR, r->last_name, sizeof(r->last_name)};
	c[i++] = (struct col){C_I64, &r->enabled, 0};
	c[i++] = (struct col){C_I64, &r->enrolled_at, 0};
	c[i++] = (struct col){C_I64, &r->disabled_at, 0};
	c[i++] =
	    (struct col){C_STR, r->disabled_reason, sizeof(r->disabled_reason)};
	c[i++] = (struct col){C_STR, r->disabled_on, sizeof(r->disabled_on)};
	c[i++] = (struct col){C_I64, &r->failed_nights, 0};
	c[i++] = (struct col){C_STR, r->last_run_on, sizeof(r->last_run_on)};
	c[i++] = (struct col){C_STR, r->last_status, sizeof(r->last_status)};
}
#define ENROLL_NCOLS 12

enum pstatus
dba_enroll(struct db *db, int64_t practice_id, int64_t client_id, int64_t now,
    int *was_on)
{
	struct dba_enrollment r;
	struct arg a[] = {AI(practice_id), AI(client_id), AI(now), AI(now)};
	struct aq q = {.s = &S_ENROLL_UPSERT, .a = a, .na = 4};
	enum pstatus st;

	if (was_on != NULL)
		*was_on = 0;
	st = dba_enrollment_get(db, practice_id, client_id, &r);
	if (st != PS_OK && st != PS_NOTFOUND)
		return st;
	if (st == PS_OK && r.enabled) {
		if (was_on != NULL)
			*was_on = 1;
		return PS_OK;
	}
	return arun(db, &q);
}

enum pstatus
dba_unenroll(struct db *db, int64_t practice_id, int64_t client_id,
    const char *reason, const char *run_on, int64_t now)
{
	struct arg a[] = {AI(now), AS(reason), AS(run_on), AI(now),
	    AI(practice_id), AI(client_id)};
	struct aq q = {.s = &S_ENROLL_OFF, .a = a, .na = 6};
	enum pstatus st;

	if ((st = arun(db, &q)) == PS_OK && q.affected == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dba_enrollment_get(struct db *db, int64_t practice_id, int64_t client_id,
    struct dba_enrollment *out)
{
	struct arg a[] = {AI(practice_id), AI(client_id)};
	struct col c[ENROLL_NCOLS];
	struct aq q = {
	    .s = &S_ENROLL_GET, .a = a, .na = 2, .c = c, .nc = ENROLL_NCOLS};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	enroll_cols(out, c);
	if ((st = arun(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

struct enroll_ctx {
	struct dba_enrollment row;
	int (*fn)(void *, const struct dba_enrollment *);
	void *arg;
};

static int
enroll_row(void *p)
{
	struct enroll_ctx *x = p;

	return x->fn(x->arg, &x->row);
}

static enum pstatus
enroll_each(struct db *db, const struct astmt *s, struct arg *a, size_t na,
    int (*fn)(void *, const struct dba_enrollment *), void *arg)
{
	struct enroll_ctx x;
	struct col c[ENROLL_NCOLS];
	struct aq q = {.s = s,
	    .a = a,
	    .na = na,
	    .c = c,
	    .nc = ENROLL_NCOLS,
	    .row = enroll_row,
	    .rowarg = &x};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	enroll_cols(&x.row, c);
	return arun(db, &q);
}

enum pstatus
dba_enrollment_list(struct db *db, int64_t practice_id, int all,
    int (*fn)(void *arg, const struct dba_enrollment *row), void *arg)
{
	struct arg a[] = {AI(practice_id), AI(all ? 1 : 0)};

	return enroll_each(db, &S_ENROLL_LIST, a, 2, fn, arg);
}

enum pstatus
dba_turned_off_list(struct db *db, int64_t practice_id, const char *run_on,
    int (*fn)(void *arg, const struct dba_enrollment *row), void *arg)
{
	struct arg a[] = {AI(practice_id), AS(run_on)};

	return enroll_each(db, &S_ENROLL_OFF_LIST, a, 2, fn, arg);
}

enum pstatus
dba_enrollment_claim(
    struct db *db, int64_t practice_id, int64_t client_id, int *got)
{
	int64_t id = 0;
	struct arg a[] = {AI(practice_id), AI(client_id)};
	struct col c[] = {{C_I64, &id, 0}};
	struct aq q = {.s = &S_ENROLL_CLAIM, .a = a, .na = 2, .c = c, .nc = 1};
	enum pstatus st;

	st = arun(db, &q);
	*got = st == PS_OK && q.rows > 0;
	return st;
}

enum pstatus
dba_enrollment_note(struct db *db, int64_t practice_id, int64_t client_id,
    const char *run_on, const char *status, int64_t failed_nights, int64_t now)
{
	struct arg a[] = {AS(run_on), AS(status), AI(failed_nights), AI(now),
	    AI(practice_id), AI(client_id)};
	struct aq q = {.s = &S_ENROLL_NOTE, .a = a, .na = 6};

	if (!db_fits(db, "status", status, DBA_STATUS_MAX))
		return PS_INVALID;
	return arun(db, &q);
}

/* ---- windows ---- */

enum pstatus
dba_window_get(struct db *db, int64_t practice_id, int64_t *start, int64_t *end)
{
	struct arg a[] = {AI(practice_id)};
	struct col c[] = {{C_I64, start, 0}, {C_I64, end, 0}};
	struct aq q = {.s = &S_WINDOW_GET, .a = a, .na = 1, .c = c, .nc = 2};
	enum pstatus st;

	if ((st = arun(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dba_window_set(
    struct db *db, int64_t practice_id, int64_t start, int64_t end, int64_t now)
{
	struct arg a[] = {AI(practice_id), AI(start), AI(end), AI(now)};
	struct aq q = {.s = &S_WINDOW_SET, .a = a, .na = 4};

	if (start < 0 || start >= 1440 || end <= 0 || end > 1440 ||
	    start == end) {
		db_set_err(db, "window out of range");
		return PS_INVALID;
	}
	return arun(db, &q);
}

/* ---- due ---- */

struct due_ctx {
	struct dba_due row;
	int (*fn)(void *, const struct dba_due *);
	void *arg;
};

static int
due_row(void *p)
{
	struct due_ctx *x = p;

	return x->fn(x->arg, &x->row);
}

enum pstatus
dba_due_list(struct db *db, int64_t practice_id, const char *run_on,
    int (*fn)(void *arg, const struct dba_due *row), void *arg)
{
	struct due_ctx x;
	struct dba_due *r = &x.row;
	struct arg a[] = {
	    AS(run_on), AS(run_on), AI(practice_id), AI(practice_id)};
	struct col c[] = {{C_I64, &r->client_id, 0},
	    {C_STR, r->email, sizeof(r->email)}, {C_I64, &r->balance, 0},
	    {C_I64, &r->max_invoice, 0}, {C_I64, &r->through, 0},
	    {C_I64, &r->tonight, 0},
	    {C_STR, r->tonight_status, sizeof(r->tonight_status)}};
	struct aq q = {.s = &S_DUE_LIST,
	    .a = a,
	    .na = 4,
	    .c = c,
	    .nc = 7,
	    .row = due_row,
	    .rowarg = &x};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	return arun(db, &q);
}

/* ---- charges ---- */

static void
charge_cols(struct dba_charge *r, struct col *c)
{
	c[0] = (struct col){C_I64, &r->id, 0};
	c[1] = (struct col){C_I64, &r->client_id, 0};
	c[2] = (struct col){C_STR, r->run_on, sizeof(r->run_on)};
	c[3] = (struct col){C_I64, &r->attempt_id, 0};
	c[4] = (struct col){C_I64, &r->amount, 0};
	c[5] = (struct col){C_I64, &r->through_invoice_id, 0};
	c[6] = (struct col){C_STR, r->runner, sizeof(r->runner)};
	c[7] = (struct col){C_I64, &r->created_at, 0};
}

enum pstatus
dba_charge_insert(
    struct db *db, int64_t practice_id, const struct dba_charge *c, int64_t now)
{
	struct arg a[] = {AI(practice_id), AI(c->client_id), AS(c->run_on),
	    AI(c->attempt_id), AI(c->amount), AI(c->through_invoice_id),
	    AS(c->runner), AI(now)};
	struct aq q = {.s = &S_CHARGE_INS, .a = a, .na = 8};

	if (!db_fits(db, "runner", c->runner, DBA_RUNNER_MAX))
		return PS_INVALID;
	return arun(db, &q);
}

enum pstatus
dba_charge_get(struct db *db, int64_t practice_id, int64_t client_id,
    const char *run_on, struct dba_charge *out)
{
	struct arg a[] = {AI(practice_id), AI(client_id), AS(run_on)};
	struct col c[8];
	struct aq q = {.s = &S_CHARGE_GET, .a = a, .na = 3, .c = c, .nc = 8};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	charge_cols(out, c);
	if ((st = arun(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dba_charge_through(
    struct db *db, int64_t practice_id, int64_t client_id, int64_t *through)
{
	struct arg a[] = {AI(practice_id), AI(client_id)};
	struct col c[] = {{C_I64, through, 0}};
	struct aq q = {
	    .s = &S_CHARGE_THROUGH, .a = a, .na = 2, .c = c, .nc = 1};

	*through = 0;
	return arun(db, &q);
}

struct fail_ctx {
	char status[DBA_STATUS_MAX + 1];
	int64_t n;
};

static int
fail_row(void *p)
{
	struct fail_ctx *x = p;

	if (strcmp(x->status, "succeeded") == 0)
		return 1;
	x->n++;
	return 0;
}

enum pstatus
dba_failed_nights(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t since, int64_t *n)
{
	struct fail_ctx x;
	struct arg a[] = {AI(practice_id), AI(client_id), AI(since)};
	struct col c[] = {{C_STR, x.status, sizeof(x.status)}};
	struct aq q = {.s = &S_CHARGE_RECENT,
	    .a = a,
	    .na = 3,
	    .c = c,
	    .nc = 1,
	    .row = fail_row,
	    .rowarg = &x};
	enum pstatus st;

	memset(&x, 0, sizeof(x));
	st = arun(db, &q);
	*n = x.n;
	return st;
}

enum pstatus
dba_last_charge(struct db *db, int64_t practice_id, int64_t client_id,
    struct dba_last_charge *out)
{
	struct arg a[] = {AI(practice_id), AI(client_id)};
	struct col c[11];
	struct aq q = {.s = &S_CHARGE_LAST, .a = a, .na = 2, .c = c, .nc = 11};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	charge_cols(&out->c, c);
	c[8] = (struct col){C_STR, out->status, sizeof(out->status)};
	c[9] = (struct col){C_STR, out->message, sizeof(out->message)};
	c[10] = (struct col){C_I64, &out->paid_after, 0};
	if ((st = arun(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

/* ---- runs ---- */

enum pstatus
dba_run_insert(
    struct db *db, int64_t practice_id, struct dba_run *r, int64_t now)
{
	struct arg a[] = {AI(practice_id), AS(r->run_on), AS(r->runner),
	    AI(r->dry_run ? 1 : 0), AI(now)};
	struct aq q = {.s = &S_RUN_INS, .a = a, .na = 5};
	enum pstatus st;

	r->id = 0;
	if (!db_fits(db, "runner", r->runner, DBA_RUNNER_MAX))
		return PS_INVALID;
	if ((st = arun(db, &q)) == PS_OK)
		r->id = q.insert_id;
	r->started_at = now;
	return st;
}

enum pstatus
dba_run_finish(
    struct db *db, int64_t practice_id, const struct dba_run *r, int64_t now)
{
	struct arg a[] = {AI(now), AI(r->due), AI(r->succeeded),
	    AI(r->succeeded_amount), AI(r->declined), AI(r->declined_amount),
	    AI(r->action_required), AI(r->action_amount), AI(r->unknown),
	    AI(r->unknown_amount), AI(r->not_sent), AI(r->skipped),
	    AI(r->turned_off), AI(practice_id), AI(r->id)};
	struct aq q = {.s = &S_RUN_FINISH, .a = a, .na = 15};

	return arun(db, &q);
}

struct run_ctx {
	struct dba_run row;
	int (*fn)(void *, const struct dba_run *);
	void *arg;
};

static int
run_row(void *p)
{
	struct run_ctx *x = p;

	return x->fn(x->arg, &x->row);
}

enum pstatus
dba_run_list(struct db *db, int64_t practice_id, const char *run_on, int limit,
    int (*fn)(void *arg, const struct dba_run *row), void *arg)
{
	struct run_ctx x;
	struct dba_run *r = &x.row;
	struct arg a[] = {AI(practice_id), AS(run_on), AS(run_on),
	    AI(limit > 0 ? limit : 20)};
	struct col c[] = {{C_I64, &r->id, 0},
	    {C_STR, r->run_on, sizeof(r->run_on)},
	    {C_STR, r->runner, sizeof(r->runner)}, {C_I64, &r->dry_run, 0},
	    {C_I64, &r->started_at, 0}, {C_I64, &r->finished_at, 0},
	    {C_I64, &r->due, 0}, {C_I64, &r->succeeded, 0},
	    {C_I64, &r->succeeded_amount, 0}, {C_I64, &r->declined, 0},
	    {C_I64, &r->declined_amount, 0}, {C_I64, &r->action_required, 0},
	    {C_I64, &r->action_amount, 0}, {C_I64, &r->unknown, 0},
	    {C_I64, &r->unknown_amount, 0}, {C_I64, &r->not_sent, 0},
	    {C_I64, &r->skipped, 0}, {C_I64, &r->turned_off, 0}};
	struct aq q = {.s = &S_RUN_LIST,
	    .a = a,
	    .na = 4,
	    .c = c,
	    .nc = 18,
	    .row = run_row,
	    .rowarg = &x};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	return arun(db, &q);
}

struct night_ctx {
	struct dba_night row;
	int (*fn)(void *, const struct dba_night *);
	void *arg;
};

static int
night_row(void *p)
{
	struct night_ctx *x = p;

	return x->fn(x->arg, &x->row);
}

enum pstatus
dba_night_totals(struct db *db, int64_t practice_id, const char *run_on,
    int limit, int (*fn)(void *arg, const struct dba_night *row), void *arg)
{
	struct night_ctx x;
	struct dba_night *r = &x.row;
	struct arg a[] = {AI(practice_id), AS(run_on), AS(run_on),
	    AI(limit > 0 ? limit : 7), AI(practice_id)};
	struct col c[] = {{C_STR, r->run_on, sizeof(r->run_on)},
	    {C_STR, r->status, sizeof(r->status)}, {C_I64, &r->count, 0},
	    {C_I64, &r->amount, 0}};
	struct aq q = {.s = &S_NIGHT_TOTALS,
	    .a = a,
	    .na = 5,
	    .c = c,
	    .nc = 4,
	    .row = night_row,
	    .rowarg = &x};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	return arun(db, &q);
}
