/* db_mail.c: the outbox and password reset queries (db_mail.h) over db.c's
 * statement runner (db_run); the SQL text is in db_mail_sql.h. */
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "db/db_int.h"
#include "db/db_mail.h"

enum pstatus
dbm_queue(struct db *db, const struct dbm_new *m, int64_t now, int *queued)
{
	struct arg a[] = {AI(m->practice_id), AIN(m->client_id), AS(m->kind),
	    AS(m->to), AI(m->client_id), AI(m->practice_id), AS(m->params),
	    AS(m->secret_box), AS(m->dedupe_key), AI(now), AI(now)};
	struct q q = {.id = S_MAIL_INS, .a = a, .na = 11};
	enum pstatus st;

	if (queued != NULL)
		*queued = 0;
	if (!db_fits(db, "mail kind", m->kind, DBM_KIND_MAX) ||
	    !db_fits(db, "mail recipient", m->to, DB_EMAIL_MAX) ||
	    !db_fits(db, "mail params", m->params, DBM_PARAMS_MAX) ||
	    !db_fits(db, "mail secret", m->secret_box, DBM_BOX_MAX) ||
	    !db_fits(db, "mail dedupe key", m->dedupe_key, DBM_DEDUPE_MAX))
		return PS_INVALID;
	st = db_run(db, &q);
	/* A duplicate dedupe_key fails only this statement, not the
	 * caller's transaction: the message was queued before. */
	if (st == PS_CONFLICT)
		return PS_OK;
	/* to_addr is NOT NULL: no client to take the address from is a
	 * refused insert, which db_run reports as PS_INVALID or PS_ERROR. */
	if (st != PS_OK && m->to == NULL && m->client_id != 0) {
		db_set_err(db, "mail queue: no client %lld in practice %lld",
		    (long long)m->client_id, (long long)m->practice_id);
		st = PS_NOTFOUND;
	}
	if (st == PS_OK && queued != NULL)
		*queued = 1;
	return st;
}

static void
msg_cols(struct dbm_msg *m, struct col *c)
{
	size_t i = 0;

	c[i++] = (struct col){C_I64, &m->id, 0};
	c[i++] = (struct col){C_I64, &m->practice_id, 0};
	c[i++] = (struct col){C_I64, &m->client_id, 0};
	c[i++] =
	    (struct col){C_STR, m->practice_slug, sizeof(m->practice_slug)};
	c[i++] = (struct col){C_STR, m->kind, sizeof(m->kind)};
	c[i++] = (struct col){C_STR, m->to, sizeof(m->to)};
	c[i++] = (struct col){C_STR, m->first_name, sizeof(m->first_name)};
	c[i++] = (struct col){C_STR, m->last_name, sizeof(m->last_name)};
	c[i++] = (struct col){C_STR, m->params, sizeof(m->params)};
	c[i++] = (struct col){C_STR, m->secret_box, sizeof(m->secret_box)};
	c[i++] = (struct col){C_I64, &m->attempts, 0};
	c[i++] = (struct col){C_I64, &m->created_at, 0};
}
#define MSG_NCOLS 12

struct claim_tx {
	int64_t due_at, stale_before, now, id;
};

static enum pstatus
claim_fn(struct db *db, void *arg)
{
	struct claim_tx *t = arg;
	struct arg a[] = {AI(t->due_at), AI(t->stale_before)};
	struct col c[] = {{C_I64, &t->id, 0}};
	struct q q = {.id = S_MAIL_PICK, .a = a, .na = 2, .c = c, .nc = 1};
	struct arg b[] = {AI(t->now), AI(0)};
	struct q u = {.id = S_MAIL_CLAIM, .a = b, .na = 2};
	enum pstatus st;

	t->id = 0;
	if ((st = db_run(db, &q)) != PS_OK)
		return st;
	if (q.rows == 0)
		return PS_NOTFOUND;
	b[1] = AI(t->id);
	if ((st = db_run(db, &u)) == PS_OK && u.affected != 1)
		st = PS_RETRY; /* taken between the two: pick again */
	return st;
}

enum pstatus
dbm_claim(struct db *db, int64_t due_at, int64_t stale_before, int64_t now,
    struct dbm_msg *out)
{
	struct claim_tx t = {due_at, stale_before, now, 0};
	struct arg a[1];
	struct col c[MSG_NCOLS];
	struct q q = {
	    .id = S_MAIL_GET, .a = a, .na = 1, .c = c, .nc = MSG_NCOLS};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	if ((st = db_tx(db, claim_fn, &t)) != PS_OK)
		return st;
	a[0] = AI(t.id);
	msg_cols(out, c);
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dbm_sent(struct db *db, int64_t id, int64_t now)
{
	struct arg a[] = {AI(now), AI(id)};
	struct q q = {.id = S_MAIL_SENT, .a = a, .na = 2};
	enum pstatus st;

	if ((st = db_run(db, &q)) == PS_OK && q.affected == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dbm_failed(struct db *db, int64_t id, int64_t next_at, const char *err)
{
	char e[DBM_ERR_MAX + 1];
	struct arg a[] = {
	    AI(next_at), AI(next_at), AI(next_at), AS(e), AI(next_at), AI(id)};
	struct q q = {.id = S_MAIL_FAIL, .a = a, .na = 6};
	enum pstatus st;

	snprintf(e, sizeof(e), "%s", err != NULL ? err : "");
	if ((st = db_run(db, &q)) == PS_OK && q.affected == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dbm_retry_now(struct db *db, int64_t now, int64_t *n)
{
	struct arg a[] = {AI(now)};
	struct q q = {.id = S_MAIL_RETRY, .a = a, .na = 1};
	enum pstatus st = db_run(db, &q);

	if (n != NULL)
		*n = st == PS_OK ? q.affected : 0;
	return st;
}

struct counts_ctx {
	char status[16];
	int64_t n;
	struct dbm_counts *out;
};

static int
counts_row(void *p)
{
	struct counts_ctx *x = p;

	if (strcmp(x->status, "queued") == 0)
		x->out->queued = x->n;
	else if (strcmp(x->status, "sending") == 0)
		x->out->sending = x->n;
	else if (strcmp(x->status, "sent") == 0)
		x->out->sent = x->n;
	else if (strcmp(x->status, "failed") == 0)
		x->out->failed = x->n;
	return 0;
}

enum pstatus
dbm_counts(struct db *db, struct dbm_counts *out)
{
	struct counts_ctx x;
	struct col c[] = {
	    {C_STR, x.status, sizeof(x.status)}, {C_I64, &x.n, 0}};
	struct q q = {.id = S_MAIL_COUNTS,
	    .c = c,
	    .nc = 2,
	    .row = counts_row,
	    .rowarg = &x};

	memset(out, 0, sizeof(*out));
	memset(&x, 0, sizeof(x));
	x.out = out;
	return db_run(db, &q);
}

DB_ROW_FORWARD(unsent, struct dbm_row);

enum pstatus
dbm_unsent_list(struct db *db, int limit,
    int (*fn)(void *arg, const struct dbm_row *row), void *arg)
{
	struct unsent_ctx x;
	struct arg a[] = {AI(limit)};
	struct col c[9];
	struct q q = {.id = S_MAIL_UNSENT,
	    .a = a,
	    .na = 1,
	    .c = c,
	    .nc = 9,
	    .row = unsent_row,
	    .rowarg = &x};
	struct dbm_row *r = &x.row;
	size_t i = 0;

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	c[i++] = (struct col){C_I64, &r->id, 0};
	c[i++] =
	    (struct col){C_STR, r->practice_slug, sizeof(r->practice_slug)};
	c[i++] = (struct col){C_STR, r->kind, sizeof(r->kind)};
	c[i++] = (struct col){C_STR, r->to, sizeof(r->to)};
	c[i++] = (struct col){C_STR, r->status, sizeof(r->status)};
	c[i++] = (struct col){C_I64, &r->attempts, 0};
	c[i++] = (struct col){C_I64, &r->next_attempt_at, 0};
	c[i++] = (struct col){C_STR, r->last_error, sizeof(r->last_error)};
	c[i++] = (struct col){C_I64, &r->created_at, 0};
	return db_run(db, &q);
}

DB_ROW_FORWARD(cards, struct dbm_card);

enum pstatus
dbm_cards_expiring(struct db *db, int64_t practice_id, int month, int year,
    int (*fn)(void *arg, const struct dbm_card *card), void *arg)
{
	struct cards_ctx x;
	struct arg a[] = {AI(practice_id), AI(month), AI(year)};
	struct col c[] = {{C_I64, &x.row.id, 0}, {C_I64, &x.row.client_id, 0},
	    {C_STR, x.row.brand, sizeof(x.row.brand)},
	    {C_STR, x.row.last4, sizeof(x.row.last4)}};
	struct q q = {.id = S_MAIL_CARDS_EXPIRING,
	    .a = a,
	    .na = 3,
	    .c = c,
	    .nc = 4,
	    .row = cards_row,
	    .rowarg = &x};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	return db_run(db, &q);
}

/* ---- password reset links ---- */

enum pstatus
dbm_reset_create(struct db *db, int64_t user_id, const char *token_hash,
    int64_t expires, int64_t now)
{
	struct arg a[] = {AI(user_id), AS(token_hash), AI(expires), AI(now)};
	struct q q = {.id = S_RESET_INS, .a = a, .na = 4};

	return db_run(db, &q);
}

enum pstatus
dbm_reset_find(struct db *db, const char *token_hash, int64_t now,
    int64_t *user_id, int64_t *practice_id)
{
	struct arg a[] = {AS(token_hash), AI(now)};
	struct col c[] = {{C_I64, user_id, 0}, {C_I64, practice_id, 0}};
	struct q q = {.id = S_RESET_FIND, .a = a, .na = 2, .c = c, .nc = 2};
	enum pstatus st;

	*user_id = 0;
	*practice_id = 0;
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

struct use_tx {
	const char *hash, *pwhash;
	int64_t now, id, user_id;
};

static enum pstatus
use_fn(struct db *db, void *arg)
{
	struct use_tx *t = arg;
	struct arg a[] = {AS(t->hash), AI(t->now)};
	struct col c[] = {{C_I64, &t->id, 0}, {C_I64, &t->user_id, 0}};
	struct q q = {.id = S_RESET_LOCK, .a = a, .na = 2, .c = c, .nc = 2};
	struct arg b[] = {AI(t->now), AI(0)};
	struct q mark = {.id = S_RESET_MARK, .a = b, .na = 2};
	struct arg d[] = {AS(t->pwhash), AI(t->now), AI(0)};
	struct q pw = {.id = S_RESET_SET_PW, .a = d, .na = 3};
	enum pstatus st;

	if ((st = db_run(db, &q)) != PS_OK)
		return st;
	if (q.rows == 0)
		return PS_NOTFOUND;
	b[1] = AI(t->id);
	if ((st = db_run(db, &mark)) != PS_OK)
		return st;
	if (mark.affected != 1)
		return PS_NOTFOUND;
	d[2] = AI(t->user_id);
	return db_run(db, &pw);
}

enum pstatus
dbm_reset_use(struct db *db, const char *token_hash, int64_t now,
    const char *pwhash, int64_t *user_id)
{
	struct use_tx t = {token_hash, pwhash, now, 0, 0};
	enum pstatus st = db_tx(db, use_fn, &t);

	*user_id = st == PS_OK ? t.user_id : 0;
	return st;
}
