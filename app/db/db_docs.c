/* db_docs.c: the billing-document queries of db_docs.h over db.c's statement
 * runner (db_run); the SQL text is in db_docs_sql.h. */
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "db/db_docs.h"
#include "db/db_int.h"

#define NA(x) (sizeof(x) / sizeof((x)[0]))

/* ---- providers ---- */

enum pstatus
dbd_provider_put(struct db *db, int64_t practice_id,
    const struct dbd_provider *p, int64_t now, int64_t *id)
{
	struct arg a[] = {AI(practice_id), AS(p->name), AS(p->credentials),
	    AS(p->npi), AS(p->org_npi[0] ? p->org_npi : NULL), AS(p->tax_id),
	    AS(p->licence), AS(p->taxonomy), AI(now), AI(now)};
	struct q q = {.id = S_DOC_PROVIDER_PUT, .a = a, .na = NA(a)};
	enum pstatus st;

	*id = 0;
	if ((st = db_run(db, &q)) == PS_OK)
		*id = q.insert_id;
	return st;
}

enum pstatus
dbd_provider_set_default(struct db *db, int64_t practice_id, int64_t id)
{
	struct dbd_provider p;
	struct arg a[] = {AI(id), AI(practice_id)};
	struct q q = {.id = S_DOC_PROVIDER_DEFAULT, .a = a, .na = NA(a)};
	enum pstatus st;

	if (id == 0)
		return PS_NOTFOUND;
	if ((st = dbd_provider_get(db, practice_id, id, &p)) != PS_OK)
		return st;
	return db_run(db, &q);
}

enum pstatus
dbd_provider_get(
    struct db *db, int64_t practice_id, int64_t id, struct dbd_provider *out)
{
	struct arg a[] = {AI(practice_id), AI(id), AI(id)};
	struct col c[] = {{C_I64, &out->id, 0},
	    {C_STR, out->name, sizeof(out->name)},
	    {C_STR, out->credentials, sizeof(out->credentials)},
	    {C_STR, out->npi, sizeof(out->npi)},
	    {C_STR, out->org_npi, sizeof(out->org_npi)},
	    {C_STR, out->tax_id, sizeof(out->tax_id)},
	    {C_STR, out->licence, sizeof(out->licence)},
	    {C_STR, out->taxonomy, sizeof(out->taxonomy)},
	    {C_I64, &out->is_default, 0}};
	struct q q = {
	    .id = S_DOC_PROVIDER_GET, .a = a, .na = NA(a), .c = c, .nc = NA(c)};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dbd_provider_by_npi(
    struct db *db, int64_t practice_id, const char *npi, int64_t *id)
{
	struct arg a[] = {AI(practice_id), AS(npi)};
	struct col c[] = {{C_I64, id, 0}};
	struct q q = {.id = S_DOC_PROVIDER_BY_NPI,
	    .a = a,
	    .na = NA(a),
	    .c = c,
	    .nc = NA(c)};
	enum pstatus st;

	*id = 0;
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

/* ---- client profiles ---- */

enum pstatus
dbd_profile_put(struct db *db, int64_t practice_id, int64_t client_id,
    const struct dbd_profile *p, int64_t now)
{
	struct arg a[] = {AS(p->dob[0] ? p->dob : NULL), AS(p->address1),
	    AS(p->address2), AS(p->city), AS(p->region), AS(p->postal_code),
	    AS(p->insurer), AS(p->member_id), AI(now), AI(practice_id),
	    AI(client_id)};
	struct q q = {.id = S_DOC_PROFILE_PUT, .a = a, .na = NA(a)};
	enum pstatus st;

	if ((st = db_run(db, &q)) == PS_OK && q.affected == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dbd_profile_get(struct db *db, int64_t practice_id, int64_t client_id,
    struct dbd_profile *out)
{
	struct arg a[] = {AI(practice_id), AI(client_id)};
	struct col c[] = {{C_STR, out->dob, sizeof(out->dob)},
	    {C_STR, out->address1, sizeof(out->address1)},
	    {C_STR, out->address2, sizeof(out->address2)},
	    {C_STR, out->city, sizeof(out->city)},
	    {C_STR, out->region, sizeof(out->region)},
	    {C_STR, out->postal_code, sizeof(out->postal_code)},
	    {C_STR, out->insurer, sizeof(out->insurer)},
	    {C_STR, out->member_id, sizeof(out->member_id)}};
	struct q q = {
	    .id = S_DOC_PROFILE_GET, .a = a, .na = NA(a), .c = c, .nc = NA(c)};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

/* ---- invoices ---- */

enum pstatus
dbd_invoice_by_number(struct db *db, int64_t practice_id, const char *number,
    int64_t *invoice_id, int64_t *client_id)
{
	struct arg a[] = {AI(practice_id), AS(number)};
	struct col c[] = {{C_I64, invoice_id, 0}, {C_I64, client_id, 0}};
	struct q q = {.id = S_DOC_INVOICE_BY_NUMBER,
	    .a = a,
	    .na = NA(a),
	    .c = c,
	    .nc = NA(c)};
	enum pstatus st;

	*invoice_id = *client_id = 0;
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

DB_ROW_FORWARD(inv, struct dbd_invoice);

enum pstatus
dbd_invoice_list(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t invoice_id, int (*fn)(void *arg, const struct dbd_invoice *row),
    void *arg)
{
	struct inv_ctx x;
	struct dbd_invoice *r = &x.row;
	struct arg a[] = {
	    AI(practice_id), AI(client_id), AI(invoice_id), AI(invoice_id)};
	struct col c[] = {{C_I64, &r->id, 0},
	    {C_STR, r->number, sizeof(r->number)},
	    {C_STR, r->issued_on, sizeof(r->issued_on)},
	    {C_STR, r->due_on, sizeof(r->due_on)}, {C_I64, &r->total, 0},
	    {C_I64, &r->paid, 0}};
	struct q q = {.id = S_DOC_INVOICE_LIST,
	    .a = a,
	    .na = NA(a),
	    .c = c,
	    .nc = NA(c),
	    .row = inv_row,
	    .rowarg = &x};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	return db_run(db, &q);
}

DB_ROW_FORWARD(line, struct dbd_line);

/* Runs one of the line queries with arguments a[0..na). */
static enum pstatus
lines_run(struct db *db, enum stmt_id id, struct arg *a, size_t na,
    int (*fn)(void *, const struct dbd_line *), void *arg)
{
	struct line_ctx x;
	struct dbd_line *r = &x.row;
	struct col c[] = {{C_I64, &r->id, 0}, {C_I64, &r->invoice_id, 0},
	    {C_STR, r->invoice_number, sizeof(r->invoice_number)},
	    {C_I64, &r->line_no, 0}, {C_STR, r->date, sizeof(r->date)},
	    {C_STR, r->description, sizeof(r->description)},
	    {C_I64, &r->quantity, 0}, {C_I64, &r->amount, 0},
	    {C_I64, &r->paid, 0}, {C_STR, r->pos, sizeof(r->pos)},
	    {C_STR, r->cpt, sizeof(r->cpt)},
	    {C_STR, r->modifiers, sizeof(r->modifiers)},
	    {C_STR, r->icd, sizeof(r->icd)}, {C_I64, &r->units, 0},
	    {C_I64, &r->coded, 0}};
	struct q q = {.id = id,
	    .a = a,
	    .na = na,
	    .c = c,
	    .nc = NA(c),
	    .row = line_row,
	    .rowarg = &x};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	return db_run(db, &q);
}

enum pstatus
dbd_invoice_lines(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t invoice_id, int (*fn)(void *arg, const struct dbd_line *row),
    void *arg)
{
	struct arg a[] = {AI(practice_id), AI(client_id), AI(invoice_id)};

	return lines_run(db, S_DOC_INVOICE_LINES, a, NA(a), fn, arg);
}

enum pstatus
dbd_lines_on_date(struct db *db, int64_t practice_id, int64_t client_id,
    const char *date, int (*fn)(void *arg, const struct dbd_line *row),
    void *arg)
{
	struct arg a[] = {AI(practice_id), AI(client_id), AS(date)};

	return lines_run(db, S_DOC_LINES_ON_DATE, a, NA(a), fn, arg);
}

enum pstatus
dbd_superbill_lines(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t document_id, int (*fn)(void *arg, const struct dbd_line *row),
    void *arg)
{
	struct arg a[] = {AI(practice_id), AI(client_id), AI(document_id)};

	return lines_run(db, S_DOC_SUPERBILL_LINES, a, NA(a), fn, arg);
}

enum pstatus
dbd_line_find(struct db *db, int64_t practice_id, const char *number,
    int64_t line_no, int64_t *line_id, int64_t *client_id)
{
	struct arg a[] = {AI(practice_id), AS(number), AI(line_no)};
	struct col c[] = {{C_I64, line_id, 0}, {C_I64, client_id, 0}};
	struct q q = {
	    .id = S_DOC_LINE_FIND, .a = a, .na = NA(a), .c = c, .nc = NA(c)};
	enum pstatus st;

	*line_id = *client_id = 0;
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dbd_code_put(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t line_id, const char *pos, const char *cpt, const char *modifiers,
    const char *icd, int64_t units, int64_t now)
{
	struct arg a[] = {AI(line_id), AI(practice_id), AI(client_id), AS(pos),
	    AS(cpt), AS(modifiers), AS(icd), AI(units), AI(now)};
	struct q q = {.id = S_DOC_CODE_PUT, .a = a, .na = NA(a)};

	return db_run(db, &q);
}

/* ---- statements and superbills ---- */

enum pstatus
dbd_document_insert(struct db *db, int64_t practice_id,
    const struct dbd_document *d, int64_t now, int64_t *id)
{
	struct arg a[] = {AI(practice_id), AI(d->client_id), AS(d->kind),
	    AS(d->number), AS(d->issued_on), AS(d->period_start),
	    AS(d->period_end), AI(d->period_end_at), AIN(d->provider_id),
	    AI(now)};
	struct q q = {.id = S_DOC_DOCUMENT_INSERT, .a = a, .na = NA(a)};
	enum pstatus st;

	*id = 0;
	if ((st = db_run(db, &q)) == PS_OK)
		*id = q.insert_id;
	return st;
}

/* The columns of DOC_DOC_COLS (db_docs_sql.h) into *d. */
#define DOC_COLS_OF(d)                                                     \
	{                                                                  \
		{C_I64, &(d)->id, 0}, {C_I64, &(d)->client_id, 0},         \
		    {C_STR, (d)->kind, sizeof((d)->kind)},                 \
		    {C_STR, (d)->number, sizeof((d)->number)},             \
		    {C_STR, (d)->issued_on, sizeof((d)->issued_on)},       \
		    {C_STR, (d)->period_start, sizeof((d)->period_start)}, \
		    {C_STR, (d)->period_end, sizeof((d)->period_end)},     \
		    {C_I64, &(d)->provider_id, 0},                         \
		{                                                          \
			C_I64, &(d)->shared, 0                             \
		}                                                          \
	}

enum pstatus
dbd_document_get(struct db *db, int64_t practice_id, int64_t client_id,
    const char *number, struct dbd_document *out)
{
	struct arg a[] = {
	    AI(practice_id), AI(client_id), AI(client_id), AS(number)};
	struct col c[] = DOC_COLS_OF(out);
	struct q q = {
	    .id = S_DOC_DOCUMENT_GET, .a = a, .na = NA(a), .c = c, .nc = NA(c)};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

DB_ROW_FORWARD(doc, struct dbd_document);

enum pstatus
dbd_document_list(struct db *db, int64_t practice_id, int64_t client_id,
    int shared_only, int (*fn)(void *arg, const struct dbd_document *row),
    void *arg)
{
	struct doc_ctx x;
	struct arg a[] = {
	    AI(practice_id), AI(client_id), AI(shared_only ? 1 : 0)};
	struct col c[] = DOC_COLS_OF(&x.row);
	struct q q = {.id = S_DOC_DOCUMENT_LIST,
	    .a = a,
	    .na = NA(a),
	    .c = c,
	    .nc = NA(c),
	    .row = doc_row,
	    .rowarg = &x};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	return db_run(db, &q);
}

enum pstatus
dbd_document_share(
    struct db *db, int64_t practice_id, int64_t id, int shared, int64_t now)
{
	struct arg a[] = {AI(shared ? 1 : 0), AI(now), AI(practice_id), AI(id)};
	struct q q = {.id = S_DOC_DOCUMENT_SHARE, .a = a, .na = NA(a)};
	enum pstatus st;

	if ((st = db_run(db, &q)) == PS_OK && q.affected == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dbd_superbill_add(struct db *db, int64_t document_id, int64_t line_id)
{
	struct arg a[] = {AI(document_id), AI(line_id)};
	struct q q = {.id = S_DOC_SUPERBILL_ADD, .a = a, .na = NA(a)};

	return db_run(db, &q);
}

/* ---- receipts ---- */

DB_ROW_FORWARD(rct, struct dbd_receipt);

enum pstatus
dbd_receipt_list(struct db *db, int64_t practice_id, int64_t client_id,
    const char *number, int (*fn)(void *arg, const struct dbd_receipt *row),
    void *arg)
{
	struct rct_ctx x;
	struct dbd_receipt *r = &x.row;
	struct arg a[] = {AI(practice_id), AI(client_id), AI(client_id),
	    AS(number), AS(number)};
	struct col c[] = {{C_I64, &r->id, 0}, {C_I64, &r->payment_id, 0},
	    {C_STR, r->number, sizeof(r->number)}, {C_I64, &r->issued_at, 0},
	    {C_I64, &r->amount, 0}, {C_I64, &r->paid_at, 0},
	    {C_STR, r->brand, sizeof(r->brand)},
	    {C_STR, r->last4, sizeof(r->last4)},
	    {C_STR, r->processor_ref, sizeof(r->processor_ref)}};
	struct q q = {.id = S_DOC_RECEIPT_LIST,
	    .a = a,
	    .na = NA(a),
	    .c = c,
	    .nc = NA(c),
	    .row = rct_row,
	    .rowarg = &x};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	return db_run(db, &q);
}

DB_ROW_FORWARD(ent, struct dbd_doc_entry);

enum pstatus
dbd_doc_list(struct db *db, int64_t practice_id, int64_t client_id,
    int client_view, int (*fn)(void *arg, const struct dbd_doc_entry *row),
    void *arg)
{
	struct ent_ctx x;
	struct dbd_doc_entry *r = &x.row;
	int64_t cv = client_view ? 1 : 0;
	struct arg a[] = {AI(practice_id), AI(client_id), AI(practice_id),
	    AI(client_id), AI(cv), AI(practice_id), AI(client_id),
	    AI(client_id)};
	struct col c[] = {{C_I64, &r->kind, 0},
	    {C_STR, r->number, sizeof(r->number)},
	    {C_STR, r->date, sizeof(r->date)}, {C_I64, &r->at, 0},
	    {C_I64, &r->amount, 0}, {C_I64, &r->paid, 0},
	    {C_I64, &r->shared, 0}};
	struct q q = {.id = S_DOC_ENTRY_LIST,
	    .a = a,
	    .na = NA(a),
	    .c = c,
	    .nc = NA(c),
	    .row = ent_row,
	    .rowarg = &x};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	return db_run(db, &q);
}

DB_ROW_FORWARD(app, struct dbd_applied);

enum pstatus
dbd_payment_applied(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t payment_id, int (*fn)(void *arg, const struct dbd_applied *row),
    void *arg)
{
	struct app_ctx x;
	struct dbd_applied *r = &x.row;
	struct arg a[] = {AI(practice_id), AI(client_id), AI(payment_id)};
	struct col c[] = {{C_STR, r->number, sizeof(r->number)},
	    {C_STR, r->issued_on, sizeof(r->issued_on)},
	    {C_I64, &r->amount, 0}};
	struct q q = {.id = S_DOC_PAYMENT_APPLIED,
	    .a = a,
	    .na = NA(a),
	    .c = c,
	    .nc = NA(c),
	    .row = app_row,
	    .rowarg = &x};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	return db_run(db, &q);
}

/* ---- the ledger ---- */

DB_ROW_FORWARD(led, struct dbd_entry);

enum pstatus
dbd_ledger(struct db *db, int64_t practice_id, int64_t client_id,
    const char *from, const char *to, int64_t from_at, int64_t to_at,
    int (*fn)(void *arg, const struct dbd_entry *row), void *arg)
{
	struct led_ctx x;
	struct dbd_entry *r = &x.row;
	struct arg a[] = {AI(practice_id), AI(client_id), AS(from), AS(to),
	    AI(practice_id), AI(client_id), AI(from_at), AI(to_at),
	    AI(practice_id), AI(client_id), AI(from_at), AI(to_at)};
	struct col c[] = {{C_I64, &r->kind, 0},
	    {C_STR, r->date, sizeof(r->date)},
	    {C_STR, r->number, sizeof(r->number)},
	    {C_STR, r->description, sizeof(r->description)},
	    {C_I64, &r->amount, 0}, {C_I64, &r->paid, 0},
	    {C_STR, r->brand, sizeof(r->brand)},
	    {C_STR, r->last4, sizeof(r->last4)}, {C_I64, &r->id, 0},
	    {C_I64, &r->at, 0}};
	struct q q = {.id = S_DOC_LEDGER,
	    .a = a,
	    .na = NA(a),
	    .c = c,
	    .nc = NA(c),
	    .row = led_row,
	    .rowarg = &x};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	return db_run(db, &q);
}

enum pstatus
dbd_balance_before(struct db *db, int64_t practice_id, int64_t client_id,
    const char *before, int64_t before_at, int64_t *balance)
{
	struct arg a[] = {AI(practice_id), AI(client_id), AS(before),
	    AI(practice_id), AI(client_id), AI(before_at), AI(practice_id),
	    AI(client_id), AI(before_at)};
	struct col c[] = {{C_I64, balance, 0}};
	struct q q = {.id = S_DOC_BALANCE_BEFORE,
	    .a = a,
	    .na = NA(a),
	    .c = c,
	    .nc = NA(c)};

	*balance = 0;
	return db_run(db, &q);
}
