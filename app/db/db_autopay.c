/* db_autopay.c: the AutoPay queries (db_autopay.h) over db.c's statement
 * runner (db_run); the SQL text is in db_autopay_sql.h. */
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "db/db_autopay.h"
#include "db/db_int.h"

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
	struct q q = {.id = S_AP_ENROLL_UPSERT, .a = a, .na = 4};
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
	return db_run(db, &q);
}

enum pstatus
dba_unenroll(struct db *db, int64_t practice_id, int64_t client_id,
    const char *reason, const char *run_on, int64_t now)
{
	struct arg a[] = {AI(now), AS(reason), AS(run_on), AI(now),
	    AI(practice_id), AI(client_id)};
	struct q q = {.id = S_AP_ENROLL_OFF, .a = a, .na = 6};
	enum pstatus st;

	if ((st = db_run(db, &q)) == PS_OK && q.affected == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dba_enrollment_get(struct db *db, int64_t practice_id, int64_t client_id,
    struct dba_enrollment *out)
{
	struct arg a[] = {AI(practice_id), AI(client_id)};
	struct col c[ENROLL_NCOLS];
	struct q q = {
	    .id = S_AP_ENROLL_GET, .a = a, .na = 2, .c = c, .nc = ENROLL_NCOLS};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	enroll_cols(out, c);
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

DB_ROW_FORWARD(enroll, struct dba_enrollment);

static enum pstatus
enroll_each(struct db *db, enum stmt_id id, struct arg *a, size_t na,
    int (*fn)(void *, const struct dba_enrollment *), void *arg)
{
	struct enroll_ctx x;
	struct col c[ENROLL_NCOLS];
	struct q q = {.id = id,
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
	return db_run(db, &q);
}

enum pstatus
dba_enrollment_list(struct db *db, int64_t practice_id, int all,
    int (*fn)(void *arg, const struct dba_enrollment *row), void *arg)
{
	struct arg a[] = {AI(practice_id), AI(all ? 1 : 0)};

	return enroll_each(db, S_AP_ENROLL_LIST, a, 2, fn, arg);
}

enum pstatus
dba_turned_off_list(struct db *db, int64_t practice_id, const char *run_on,
    int (*fn)(void *arg, const struct dba_enrollment *row), void *arg)
{
	struct arg a[] = {AI(practice_id), AS(run_on)};

	return enroll_each(db, S_AP_ENROLL_OFF_LIST, a, 2, fn, arg);
}

enum pstatus
dba_enrollment_claim(
    struct db *db, int64_t practice_id, int64_t client_id, int *got)
{
	int64_t id = 0;
	struct arg a[] = {AI(practice_id), AI(client_id)};
	struct col c[] = {{C_I64, &id, 0}};
	struct q q = {
	    .id = S_AP_ENROLL_CLAIM, .a = a, .na = 2, .c = c, .nc = 1};
	enum pstatus st;

	st = db_run(db, &q);
	*got = st == PS_OK && q.rows > 0;
	return st;
}

enum pstatus
dba_enrollment_note(struct db *db, int64_t practice_id, int64_t client_id,
    const char *run_on, const char *status, int64_t failed_nights, int64_t now)
{
	struct arg a[] = {AS(run_on), AS(status), AI(failed_nights), AI(now),
	    AI(practice_id), AI(client_id)};
	struct q q = {.id = S_AP_ENROLL_NOTE, .a = a, .na = 6};

	if (!db_fits(db, "status", status, DBA_STATUS_MAX))
		return PS_INVALID;
	return db_run(db, &q);
}

/* ---- windows ---- */

enum pstatus
dba_window_get(struct db *db, int64_t practice_id, int64_t *start, int64_t *end)
{
	struct arg a[] = {AI(practice_id)};
	struct col c[] = {{C_I64, start, 0}, {C_I64, end, 0}};
	struct q q = {.id = S_AP_WINDOW_GET, .a = a, .na = 1, .c = c, .nc = 2};
	enum pstatus st;

	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dba_window_set(
    struct db *db, int64_t practice_id, int64_t start, int64_t end, int64_t now)
{
	struct arg a[] = {AI(practice_id), AI(start), AI(end), AI(now)};
	struct q q = {.id = S_AP_WINDOW_SET, .a = a, .na = 4};

	if (start < 0 || start >= 1440 || end <= 0 || end > 1440 ||
	    start == end) {
		db_set_err(db, "window out of range");
		return PS_INVALID;
	}
	return db_run(db, &q);
}

/* ---- due ---- */

DB_ROW_FORWARD(due, struct dba_due);

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
	struct q q = {.id = S_AP_DUE_LIST,
	    .a = a,
	    .na = 4,
	    .c = c,
	    .nc = 7,
	    .row = due_row,
	    .rowarg = &x};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	return db_run(db, &q);
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
	struct q q = {.id = S_AP_CHARGE_INS, .a = a, .na = 8};

	if (!db_fits(db, "runner", c->runner, DBA_RUNNER_MAX))
		return PS_INVALID;
	return db_run(db, &q);
}

enum pstatus
dba_charge_get(struct db *db, int64_t practice_id, int64_t client_id,
    const char *run_on, struct dba_charge *out)
{
	struct arg a[] = {AI(practice_id), AI(client_id), AS(run_on)};
	struct col c[8];
	struct q q = {.id = S_AP_CHARGE_GET, .a = a, .na = 3, .c = c, .nc = 8};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	charge_cols(out, c);
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dba_charge_through(
    struct db *db, int64_t practice_id, int64_t client_id, int64_t *through)
{
	struct arg a[] = {AI(practice_id), AI(client_id)};
	struct col c[] = {{C_I64, through, 0}};
	struct q q = {
	    .id = S_AP_CHARGE_THROUGH, .a = a, .na = 2, .c = c, .nc = 1};

	*through = 0;
	return db_run(db, &q);
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
	struct q q = {.id = S_AP_CHARGE_RECENT,
	    .a = a,
	    .na = 3,
	    .c = c,
	    .nc = 1,
	    .row = fail_row,
	    .rowarg = &x};
	enum pstatus st;

	memset(&x, 0, sizeof(x));
	st = db_run(db, &q);
	*n = x.n;
	return st;
}

enum pstatus
dba_last_charge(struct db *db, int64_t practice_id, int64_t client_id,
    struct dba_last_charge *out)
{
	struct arg a[] = {AI(practice_id), AI(client_id)};
	struct col c[11];
	struct q q = {
	    .id = S_AP_CHARGE_LAST, .a = a, .na = 2, .c = c, .nc = 11};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	charge_cols(&out->c, c);
	c[8] = (struct col){C_STR, out->status, sizeof(out->status)};
	c[9] = (struct col){C_STR, out->message, sizeof(out->message)};
	c[10] = (struct col){C_I64, &out->paid_after, 0};
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
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
	struct q q = {.id = S_AP_RUN_INS, .a = a, .na = 5};
	enum pstatus st;

	r->id = 0;
	if (!db_fits(db, "runner", r->runner, DBA_RUNNER_MAX))
		return PS_INVALID;
	if ((st = db_run(db, &q)) == PS_OK)
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
	struct q q = {.id = S_AP_RUN_FINISH, .a = a, .na = 15};

	return db_run(db, &q);
}

DB_ROW_FORWARD(run, struct dba_run);

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
	struct q q = {.id = S_AP_RUN_LIST,
	    .a = a,
	    .na = 4,
	    .c = c,
	    .nc = 18,
	    .row = run_row,
	    .rowarg = &x};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	return db_run(db, &q);
}

DB_ROW_FORWARD(night, struct dba_night);

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
	struct q q = {.id = S_AP_NIGHT_TOTALS,
	    .a = a,
	    .na = 5,
	    .c = c,
	    .nc = 4,
	    .row = night_row,
	    .rowarg = &x};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	return db_run(db, &q);
}
