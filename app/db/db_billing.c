/* db_billing.c: the billing queries (db_billing.h) over db.c's statement
 * runner; the SQL text is in db_billing_sql.h. */
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "db/db_billing.h"
#include "db/db_int.h"

/* ---- clients ---- */

enum pstatus
dbb_client_lock(struct db *db, int64_t practice_id, int64_t client_id)
{
	int64_t id = 0;
	struct arg a[] = {AI(practice_id), AI(client_id)};
	struct col c[] = {{C_I64, &id, 0}};
	struct q q = {
	    .id = S_BILL_CLIENT_LOCK, .a = a, .na = 2, .c = c, .nc = 1};
	enum pstatus st;

	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dbb_client_by_email(
    struct db *db, int64_t practice_id, const char *email, int64_t *client_id)
{
	struct arg a[] = {AI(practice_id), AS(email)};
	struct col c[] = {{C_I64, client_id, 0}};
	struct q q = {
	    .id = S_BILL_CLIENT_BY_EMAIL, .a = a, .na = 2, .c = c, .nc = 1};
	enum pstatus st;

	*client_id = 0;
	if (email == NULL || !db_fits(db, "email", email, DB_EMAIL_MAX))
		return PS_NOTFOUND;
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

/* ---- document numbers ---- */

enum pstatus
dbb_next_number(
    struct db *db, int64_t practice_id, const char *kind, int64_t *out)
{
	struct arg a[] = {AI(practice_id), AS(kind)};
	struct q init = {.id = S_BILL_COUNTER_INIT, .a = a, .na = 2};
	struct col c[] = {{C_I64, out, 0}};
	struct q get = {
	    .id = S_BILL_COUNTER_GET, .a = a, .na = 2, .c = c, .nc = 1};
	int64_t next;
	struct arg sa[] = {AI(0), AI(practice_id), AS(kind)};
	struct q set = {.id = S_BILL_COUNTER_SET, .a = sa, .na = 3};
	enum pstatus st;

	*out = 0;
	if ((st = db_run(db, &init)) != PS_OK)
		return st;
	if ((st = db_run(db, &get)) != PS_OK)
		return st;
	if (get.rows == 0 || *out < 1) {
		db_set_err(db, "counter %s of practice %lld missing", kind,
		    (long long)practice_id);
		return PS_ERROR;
	}
	next = *out + 1;
	sa[0] = AI(next);
	return db_run(db, &set);
}

/* ---- invoices ---- */

enum pstatus
dbb_invoice_insert(struct db *db, int64_t practice_id, int64_t client_id,
    const char *number, const char *issued_on, const char *due_on, int64_t now,
    int64_t *id)
{
	struct arg a[] = {AI(practice_id), AI(client_id), AS(number),
	    AS(issued_on), AS(due_on), AI(now)};
	struct q q = {.id = S_BILL_INV_INS, .a = a, .na = 6};
	enum pstatus st;

	*id = 0;
	if (!db_fits(db, "invoice number", number, DBB_NUMBER_MAX) ||
	    !db_fits(db, "issue date", issued_on, 10) ||
	    !db_fits(db, "due date", due_on, 10))
		return PS_INVALID;
	if ((st = db_run(db, &q)) == PS_OK)
		*id = q.insert_id;
	return st;
}

enum pstatus
dbb_line_insert(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t invoice_id, int line_no, const char *date_of_service,
    const char *description, int64_t quantity, int64_t unit_amount)
{
	struct arg a[] = {AI(practice_id), AI(client_id), AI(invoice_id),
	    AI(line_no), AS(date_of_service), AS(description), AI(quantity),
	    AI(unit_amount), AI(quantity * unit_amount)};
	struct q q = {.id = S_BILL_LINE_INS, .a = a, .na = 9};

	if (!db_fits(db, "date of service", date_of_service, 10) ||
	    !db_fits(db, "description", description, DBB_DESC_MAX))
		return PS_INVALID;
	if (quantity < 1 || quantity > 1000 || unit_amount < 0 ||
	    unit_amount > INT64_MAX / 1000) {
		db_set_err(db, "invoice line: quantity or amount out of range");
		return PS_INVALID;
	}
	return db_run(db, &q);
}

DB_ROW_FORWARD(inv, struct dbb_invoice);

enum pstatus
dbb_invoice_list(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t invoice_id, int (*fn)(void *arg, const struct dbb_invoice *row),
    void *arg)
{
	struct inv_ctx x;
	struct dbb_invoice *r = &x.row;
	struct arg a[] = {AI(practice_id), AI(client_id), AI(invoice_id)};
	struct col c[] = {{C_I64, &r->id, 0}, {C_I64, &r->client_id, 0},
	    {C_STR, r->number, sizeof(r->number)},
	    {C_STR, r->issued_on, sizeof(r->issued_on)},
	    {C_STR, r->due_on, sizeof(r->due_on)},
	    {C_STR, r->description, sizeof(r->description)},
	    {C_I64, &r->total, 0}, {C_I64, &r->paid, 0}, {C_I64, &r->nlines, 0},
	    {C_STR, r->email, sizeof(r->email)}};
	struct q q = {.id = S_BILL_INV_LIST,
	    .a = a,
	    .na = 2,
	    .c = c,
	    .nc = 10,
	    .row = inv_row,
	    .rowarg = &x};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	if (client_id == 0 && invoice_id != 0) {
		db_set_err(db, "invoice list: an invoice id needs a client id");
		return PS_ERROR;
	}
	if (client_id == 0) {
		q.id = S_BILL_INV_LIST_ALL;
		q.na = 1;
	} else if (invoice_id != 0) {
		q.id = S_BILL_INV_GET;
		q.na = 3;
	}
	return db_run(db, &q);
}

enum pstatus
dbb_invoice_count(
    struct db *db, int64_t practice_id, int64_t client_id, int64_t *n)
{
	struct arg a[] = {AI(practice_id), AI(client_id)};
	struct col c[] = {{C_I64, n, 0}};
	struct q q = {.id = S_BILL_INV_COUNT, .a = a, .na = 2, .c = c, .nc = 1};

	*n = 0;
	return db_run(db, &q);
}

/* ---- processor customers ---- */

enum pstatus
dbb_customer_get(struct db *db, int64_t practice_id, int64_t client_id,
    const char *plugin, const char *account, char *ref)
{
	struct arg a[] = {
	    AI(practice_id), AI(client_id), AS(plugin), AS(account)};
	struct col c[] = {{C_STR, ref, DBB_REF_MAX + 1}};
	struct q q = {.id = S_BILL_CUST_GET, .a = a, .na = 4, .c = c, .nc = 1};
	enum pstatus st;

	ref[0] = '\0';
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dbb_customer_put(struct db *db, int64_t practice_id, int64_t client_id,
    const char *plugin, const char *account, const char *ref, int64_t now)
{
	struct arg a[] = {AI(practice_id), AI(client_id), AS(plugin),
	    AS(account), AS(ref), AI(now)};
	struct q q = {.id = S_BILL_CUST_PUT, .a = a, .na = 6};

	if (!db_fits(db, "plugin", plugin, DBB_PLUGIN_MAX) ||
	    !db_fits(db, "account", account, DBB_ACCOUNT_MAX) ||
	    !db_fits(db, "customer id", ref, DBB_REF_MAX))
		return PS_INVALID;
	return db_run(db, &q);
}

/* ---- cards ---- */

static void
card_cols(struct dbb_card *k, struct col *c)
{
	c[0] = (struct col){C_I64, &k->id, 0};
	c[1] = (struct col){C_I64, &k->client_id, 0};
	c[2] = (struct col){C_STR, k->plugin, sizeof(k->plugin)};
	c[3] = (struct col){C_STR, k->customer_ref, sizeof(k->customer_ref)};
	c[4] = (struct col){C_STR, k->processor_pm, sizeof(k->processor_pm)};
	c[5] = (struct col){C_STR, k->brand, sizeof(k->brand)};
	c[6] = (struct col){C_STR, k->last4, sizeof(k->last4)};
	c[7] = (struct col){C_I64, &k->exp_month, 0};
	c[8] = (struct col){C_I64, &k->exp_year, 0};
	c[9] = (struct col){C_I64, &k->is_default, 0};
	c[10] = (struct col){C_I64, &k->created_at, 0};
	c[11] = (struct col){C_I64, &k->disabled_at, 0};
	c[12] = (struct col){C_STR, k->account, sizeof(k->account)};
}

enum pstatus
dbb_card_insert(struct db *db, int64_t practice_id, int64_t client_id,
    const struct dbb_card *k, int64_t now, int64_t *id)
{
	struct arg a[] = {AI(practice_id), AI(client_id), AS(k->plugin),
	    AS(k->account), AS(k->customer_ref), AS(k->processor_pm),
	    AS(k->brand), AS(k->last4), AI(k->exp_month), AI(k->exp_year),
	    AI(now)};
	struct q q = {.id = S_BILL_PM_INS, .a = a, .na = 11};
	struct arg ra[] = {AI(practice_id), AS(k->plugin), AS(k->processor_pm)};
	struct col rc[] = {{C_I64, id, 0}};
	struct q rq = {
	    .id = S_BILL_PM_BY_REF, .a = ra, .na = 3, .c = rc, .nc = 1};
	enum pstatus st;

	*id = 0;
	st = db_run(db, &q);
	if (st == PS_OK) {
		*id = q.insert_id;
		return PS_OK;
	}
	if (st != PS_CONFLICT)
		return st;
	if ((st = db_run(db, &rq)) == PS_OK && rq.rows == 0) {
		db_set_err(db, "card insert: conflicting row not found");
		st = PS_ERROR;
	}
	return st;
}

enum pstatus
dbb_card_get(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t card_id, struct dbb_card *out)
{
	struct arg a[] = {AI(practice_id), AI(client_id), AI(card_id)};
	struct col c[13];
	struct q q = {.id = S_BILL_PM_GET, .a = a, .na = 3, .c = c, .nc = 13};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	card_cols(out, c);
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

DB_ROW_FORWARD(card, struct dbb_card);

enum pstatus
dbb_card_list(struct db *db, int64_t practice_id, int64_t client_id,
    int with_disabled, int (*fn)(void *arg, const struct dbb_card *row),
    void *arg)
{
	struct card_ctx x;
	struct arg a[] = {
	    AI(practice_id), AI(client_id), AI(with_disabled ? 1 : 0)};
	struct col c[13];
	struct q q = {.id = S_BILL_PM_LIST,
	    .a = a,
	    .na = 3,
	    .c = c,
	    .nc = 13,
	    .row = card_row,
	    .rowarg = &x};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	card_cols(&x.row, c);
	return db_run(db, &q);
}

enum pstatus
dbb_card_set_default(
    struct db *db, int64_t practice_id, int64_t client_id, int64_t card_id)
{
	struct dbb_card k;
	struct arg ca[] = {AI(practice_id), AI(client_id), AS(k.plugin),
	    AS(k.account), AS(k.account)};
	struct q clear = {.id = S_BILL_PM_CLEAR_DEFAULT, .a = ca, .na = 5};
	struct arg sa[] = {AI(practice_id), AI(client_id), AI(card_id)};
	struct q set = {.id = S_BILL_PM_SET_DEFAULT, .a = sa, .na = 3};
	enum pstatus st;

	if ((st = dbb_card_get(db, practice_id, client_id, card_id, &k)) !=
	    PS_OK)
		return st;
	if (k.disabled_at != 0)
		return PS_NOTFOUND;
	if ((st = db_run(db, &clear)) != PS_OK)
		return st;
	if ((st = db_run(db, &set)) == PS_OK && set.affected == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dbb_card_has_default(struct db *db, int64_t practice_id, int64_t client_id,
    const char *plugin, const char *account, int *yes)
{
	int64_t n = 0;
	struct arg a[] = {AI(practice_id), AI(client_id), AS(plugin),
	    AS(account), AS(account)};
	struct col c[] = {{C_I64, &n, 0}};
	struct q q = {
	    .id = S_BILL_PM_HAS_DEFAULT, .a = a, .na = 5, .c = c, .nc = 1};
	enum pstatus st;

	st = db_run(db, &q);
	*yes = st == PS_OK && n > 0;
	return st;
}

enum pstatus
dbb_card_disable(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t card_id, int64_t now)
{
	struct arg a[] = {AI(now), AI(practice_id), AI(client_id), AI(card_id)};
	struct q q = {.id = S_BILL_PM_DISABLE, .a = a, .na = 4};
	enum pstatus st;

	if ((st = db_run(db, &q)) == PS_OK && q.affected == 0)
		st = PS_NOTFOUND;
	return st;
}

/* ---- attempts ---- */

static void
attempt_cols(struct dbb_attempt *t, struct col *c)
{
	size_t i = 0;

	c[i++] = (struct col){C_I64, &t->id, 0};
	c[i++] = (struct col){C_I64, &t->practice_id, 0};
	c[i++] = (struct col){C_I64, &t->client_id, 0};
	c[i++] = (struct col){C_I64, &t->user_id, 0};
	c[i++] = (struct col){C_STR, t->form_key, sizeof(t->form_key)};
	c[i++] =
	    (struct col){C_STR, t->idempotency_key, sizeof(t->idempotency_key)};
	c[i++] = (struct col){C_STR, t->target, sizeof(t->target)};
	c[i++] = (struct col){C_I64, &t->invoice_id, 0};
	c[i++] = (struct col){C_I64, &t->amount, 0};
	c[i++] = (struct col){C_STR, t->currency, sizeof(t->currency)};
	c[i++] = (struct col){C_STR, t->plugin, sizeof(t->plugin)};
	c[i++] = (struct col){C_STR, t->source, sizeof(t->source)};
	c[i++] = (struct col){C_I64, &t->payment_method_id, 0};
	c[i++] = (struct col){C_I64, &t->save_card, 0};
	c[i++] = (struct col){C_I64, &t->make_default, 0};
	c[i++] = (struct col){C_I64, &t->off_session, 0};
	c[i++] = (struct col){C_STR, t->status, sizeof(t->status)};
	c[i++] =
	    (struct col){C_STR, t->processor_ref, sizeof(t->processor_ref)};
	c[i++] = (struct col){C_STR, t->decline_code, sizeof(t->decline_code)};
	c[i++] = (struct col){C_STR, t->message, sizeof(t->message)};
	c[i++] = (struct col){C_I64, &t->created_at, 0};
	c[i++] = (struct col){C_I64, &t->updated_at, 0};
	c[i++] = (struct col){C_STR, t->account, sizeof(t->account)};
	c[i++] = (struct col){C_STR, t->action_ref, sizeof(t->action_ref)};
	c[i++] = (struct col){C_STR, t->token, sizeof(t->token)};
}
#define ATTEMPT_NCOLS 25

enum pstatus
dbb_attempt_insert(
    struct db *db, const struct dbb_attempt *t, int64_t now, int64_t *id)
{
	const char *fk = t->form_key[0] != '\0' ? t->form_key : NULL;
	struct arg a[] = {AI(t->practice_id), AI(t->client_id), AIN(t->user_id),
	    AS(fk), AS(t->target), AIN(t->invoice_id), AI(t->amount),
	    AS(t->currency), AS(t->plugin), AS(t->account), AS(t->source),
	    AIN(t->payment_method_id), AI(t->save_card ? 1 : 0),
	    AI(t->make_default ? 1 : 0), AI(t->off_session ? 1 : 0), AI(now),
	    AI(now)};
	struct q q = {.id = S_BILL_ATT_INS, .a = a, .na = 17};
	enum pstatus st;

	*id = 0;
	if ((st = db_run(db, &q)) == PS_OK)
		*id = q.insert_id;
	return st;
}

enum pstatus
dbb_attempt_set_key(struct db *db, int64_t id, const char *key)
{
	struct arg a[] = {AS(key), AI(id)};
	struct q q = {.id = S_BILL_ATT_SET_KEY, .a = a, .na = 2};
	enum pstatus st;

	if (!db_fits(db, "idempotency key", key, DBB_KEY_MAX))
		return PS_INVALID;
	if ((st = db_run(db, &q)) == PS_OK && q.affected == 0) {
		db_set_err(db, "attempt %lld has a key already", (long long)id);
		st = PS_CONFLICT;
	}
	return st;
}

static enum pstatus
attempt_one(struct db *db, enum stmt_id sid, struct arg *a, size_t na,
    struct dbb_attempt *out)
{
	struct col c[ATTEMPT_NCOLS];
	struct q q = {.id = sid, .a = a, .na = na, .c = c, .nc = ATTEMPT_NCOLS};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	attempt_cols(out, c);
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dbb_attempt_get(struct db *db, int64_t practice_id, int64_t id, int lock,
    struct dbb_attempt *out)
{
	struct arg a[] = {AI(practice_id), AI(id)};

	return attempt_one(
	    db, lock ? S_BILL_ATT_LOCK : S_BILL_ATT_GET, a, 2, out);
}

enum pstatus
dbb_attempt_by_form(struct db *db, int64_t practice_id, int64_t client_id,
    const char *form_key, struct dbb_attempt *out)
{
	struct arg a[] = {AI(practice_id), AI(client_id), AS(form_key)};

	if (form_key == NULL ||
	    !db_fits(db, "form key", form_key, DBB_FORMKEY_MAX)) {
		memset(out, 0, sizeof(*out));
		return PS_NOTFOUND;
	}
	return attempt_one(db, S_BILL_ATT_BY_FORM, a, 3, out);
}

enum pstatus
dbb_attempt_by_key(struct db *db, int64_t practice_id, const char *key,
    struct dbb_attempt *out)
{
	struct arg a[] = {AI(practice_id), AS(key)};

	if (key == NULL || !db_fits(db, "idempotency key", key, DBB_KEY_MAX)) {
		memset(out, 0, sizeof(*out));
		return PS_NOTFOUND;
	}
	return attempt_one(db, S_BILL_ATT_BY_KEY, a, 2, out);
}

enum pstatus
dbb_attempt_open_count(
    struct db *db, int64_t practice_id, int64_t client_id, int64_t *n)
{
	struct arg a[] = {AI(practice_id), AI(client_id)};
	struct col c[] = {{C_I64, n, 0}};
	struct q q = {.id = S_BILL_ATT_OPEN, .a = a, .na = 2, .c = c, .nc = 1};

	*n = 0;
	return db_run(db, &q);
}

/* ---- card setups ---- */

enum pstatus
dbb_setup_insert(struct db *db, int64_t practice_id, int64_t client_id,
    const struct dbb_setup *s, int64_t now, int64_t *id)
{
	struct arg a[] = {AI(practice_id), AI(client_id), AS(s->plugin),
	    AS(s->account), AS(s->customer_ref), AS(s->token),
	    AS(s->idempotency_key), AS(s->action_ref),
	    AI(s->make_default ? 1 : 0), AI(now), AI(now)};
	struct q q = {.id = S_BILL_SETUP_INS, .a = a, .na = 11};
	enum pstatus st;

	*id = 0;
	if ((st = db_run(db, &q)) == PS_OK)
		*id = q.insert_id;
	return st;
}

enum pstatus
dbb_setup_get(struct db *db, int64_t practice_id, int64_t client_id, int64_t id,
    struct dbb_setup *out)
{
	struct arg a[] = {AI(practice_id), AI(client_id), AI(id)};
	struct col c[] = {{C_I64, &out->id, 0},
	    {C_STR, out->plugin, sizeof(out->plugin)},
	    {C_STR, out->account, sizeof(out->account)},
	    {C_STR, out->customer_ref, sizeof(out->customer_ref)},
	    {C_STR, out->token, sizeof(out->token)},
	    {C_STR, out->idempotency_key, sizeof(out->idempotency_key)},
	    {C_STR, out->action_ref, sizeof(out->action_ref)},
	    {C_I64, &out->make_default, 0},
	    {C_STR, out->status, sizeof(out->status)}};
	struct q q = {.id = S_BILL_SETUP_GET, .a = a, .na = 3, .c = c, .nc = 9};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dbb_setup_set(struct db *db, int64_t practice_id, int64_t client_id, int64_t id,
    const char *status, const char *action_ref, int64_t card_id, int64_t now)
{
	struct arg a[] = {AS(status), AS(action_ref), AIN(card_id), AI(now),
	    AI(practice_id), AI(client_id), AI(id)};
	struct q q = {.id = S_BILL_SETUP_SET, .a = a, .na = 7};

	if (!db_fits(db, "action reference", action_ref, DBB_REF_MAX))
		return PS_INVALID;
	return db_run(db, &q);
}

enum pstatus
dbb_attempt_set_action(
    struct db *db, int64_t id, const char *action_ref, const char *token)
{
	struct arg a[] = {AS(action_ref), AS(token), AI(id)};
	struct q q = {.id = S_BILL_ATT_ACTION, .a = a, .na = 3};

	if (!db_fits(db, "action reference", action_ref, DBB_REF_MAX) ||
	    !db_fits(db, "token", token, DBB_TOKEN_MAX))
		return PS_INVALID;
	return db_run(db, &q);
}

enum pstatus
dbb_client_flags(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t *open, int64_t *autopay)
{
	struct arg a[] = {
	    AI(practice_id), AI(client_id), AI(practice_id), AI(client_id)};
	struct col c[] = {{C_I64, open, 0}, {C_I64, autopay, 0}};
	struct q q = {
	    .id = S_BILL_CLIENT_FLAGS, .a = a, .na = 4, .c = c, .nc = 2};

	*open = 0;
	*autopay = 0;
	return db_run(db, &q);
}

enum pstatus
dbb_attempt_set_outcome(struct db *db, int64_t id, const char *status,
    const char *processor_ref, const char *decline_code, const char *message,
    int64_t now)
{
	char msg[DBB_MSG_MAX + 1];
	struct arg a[] = {AS(status), AS(processor_ref), AS(decline_code),
	    AS(message != NULL ? msg : NULL), AI(now), AI(id)};
	struct q q = {.id = S_BILL_ATT_OUTCOME, .a = a, .na = 6};
	enum pstatus st;
	size_t n;

	if (!db_fits(db, "processor reference", processor_ref, DBB_REF_MAX) ||
	    !db_fits(db, "decline code", decline_code, DBB_CODE_MAX))
		return PS_INVALID;
	if (message != NULL) {
		/* Cut at a character boundary to fit the column. */
		n = strlen(message);
		if (n > DBB_MSG_MAX) {
			n = DBB_MSG_MAX;
			while (
			    n > 0 && ((unsigned char)message[n] & 0xc0) == 0x80)
				n--;
		}
		memcpy(msg, message, n);
		msg[n] = '\0';
	}
	if ((st = db_run(db, &q)) == PS_OK && q.affected == 0)
		st = PS_NOTFOUND;
	return st;
}

struct stale_ctx {
	int64_t id;
	int (*fn)(void *, int64_t);
	void *arg;
};

static int
stale_row(void *p)
{
	struct stale_ctx *x = p;

	return x->fn(x->arg, x->id);
}

enum pstatus
dbb_attempt_stale(struct db *db, int64_t practice_id, int64_t before,
    int (*fn)(void *arg, int64_t id), void *arg)
{
	struct stale_ctx x = {0, fn, arg};
	struct arg a[] = {AI(practice_id), AI(before)};
	struct col c[] = {{C_I64, &x.id, 0}};
	struct q q = {.id = S_BILL_ATT_STALE,
	    .a = a,
	    .na = 2,
	    .c = c,
	    .nc = 1,
	    .row = stale_row,
	    .rowarg = &x};

	return db_run(db, &q);
}

DB_ROW_FORWARD(alist, struct dbb_attempt_row);

enum pstatus
dbb_attempt_list(struct db *db, int64_t practice_id, int64_t client_id,
    int (*fn)(void *arg, const struct dbb_attempt_row *row), void *arg)
{
	struct alist_ctx x;
	struct arg a[] = {AI(practice_id), AI(client_id), AI(client_id)};
	struct col c[ATTEMPT_NCOLS + 2];
	struct q q = {.id = S_BILL_ATT_LIST,
	    .a = a,
	    .na = 3,
	    .c = c,
	    .nc = ATTEMPT_NCOLS + 2,
	    .row = alist_row,
	    .rowarg = &x};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	attempt_cols(&x.row.a, c);
	c[ATTEMPT_NCOLS] =
	    (struct col){C_STR, x.row.email, sizeof(x.row.email)};
	c[ATTEMPT_NCOLS + 1] =
	    (struct col){C_STR, x.row.receipt, sizeof(x.row.receipt)};
	return db_run(db, &q);
}

/* ---- payments ---- */

enum pstatus
dbb_payment_insert(struct db *db, const struct dbb_payment *p, int64_t *id)
{
	struct arg a[] = {AI(p->practice_id), AI(p->client_id),
	    AI(p->attempt_id), AI(p->amount), AS(p->currency),
	    AS(p->processor_ref), AIN(p->payment_method_id),
	    AS(p->card_brand ? p->card_brand : ""),
	    AS(p->card_last4 ? p->card_last4 : ""), AI(p->paid_at)};
	struct q q = {.id = S_BILL_PAY_INS, .a = a, .na = 10};
	enum pstatus st;

	*id = 0;
	if (!db_fits(
	        db, "processor reference", p->processor_ref, DBB_REF_MAX) ||
	    !db_fits(db, "card brand", p->card_brand, 24) ||
	    !db_fits(db, "card last 4", p->card_last4, 4))
		return PS_INVALID;
	if ((st = db_run(db, &q)) == PS_OK)
		*id = q.insert_id;
	return st;
}

enum pstatus
dbb_payment_by_attempt(struct db *db, int64_t attempt_id, int64_t *id)
{
	struct arg a[] = {AI(attempt_id)};
	struct col c[] = {{C_I64, id, 0}};
	struct q q = {
	    .id = S_BILL_PAY_BY_ATT, .a = a, .na = 1, .c = c, .nc = 1};
	enum pstatus st;

	*id = 0;
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dbb_allocation_insert(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t payment_id, int64_t invoice_id, int64_t amount)
{
	struct arg a[] = {AI(practice_id), AI(client_id), AI(payment_id),
	    AI(invoice_id), AI(amount)};
	struct q q = {.id = S_BILL_ALLOC_INS, .a = a, .na = 5};

	return db_run(db, &q);
}

enum pstatus
dbb_receipt_insert(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t payment_id, const char *number, int64_t now)
{
	struct arg a[] = {AI(practice_id), AI(client_id), AI(payment_id),
	    AS(number), AI(now)};
	struct q q = {.id = S_BILL_RCPT_INS, .a = a, .na = 5};

	if (!db_fits(db, "receipt number", number, DBB_NUMBER_MAX))
		return PS_INVALID;
	return db_run(db, &q);
}

enum pstatus
dbb_receipt_by_attempt(struct db *db, int64_t attempt_id, char *number)
{
	struct arg a[] = {AI(attempt_id)};
	struct col c[] = {{C_STR, number, DBB_NUMBER_MAX + 1}};
	struct q q = {
	    .id = S_BILL_RCPT_BY_ATT, .a = a, .na = 1, .c = c, .nc = 1};
	enum pstatus st;

	number[0] = '\0';
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

/* ---- processor events ---- */

enum pstatus
dbb_event_seen(struct db *db, int64_t practice_id, const char *plugin,
    const char *event_id, int *seen)
{
	int64_t n = 0;
	struct arg a[] = {AI(practice_id), AS(plugin), AS(event_id)};
	struct col c[] = {{C_I64, &n, 0}};
	struct q q = {.id = S_BILL_EVT_HAS, .a = a, .na = 3, .c = c, .nc = 1};
	enum pstatus st;

	*seen = 0;
	if (!db_fits(db, "event id", event_id, DBB_REF_MAX))
		return PS_INVALID;
	st = db_run(db, &q);
	*seen = st == PS_OK && n > 0;
	return st;
}

enum pstatus
dbb_event_insert(struct db *db, int64_t practice_id, const char *plugin,
    const char *event_id, const char *type_name, const char *payment_ref,
    int64_t attempt_id, int64_t now)
{
	struct arg a[] = {AI(practice_id), AS(plugin), AS(event_id),
	    AS(type_name), AS(payment_ref), AIN(attempt_id), AI(now)};
	struct q q = {.id = S_BILL_EVT_INS, .a = a, .na = 7};

	if (!db_fits(db, "event id", event_id, DBB_REF_MAX) ||
	    !db_fits(db, "event type", type_name, 64) ||
	    !db_fits(db, "payment reference", payment_ref, DBB_REF_MAX))
		return PS_INVALID;
	return db_run(db, &q);
}
