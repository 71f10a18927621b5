/* docs.c: billing documents (docs.h): loading invoices, statements,
 * superbills and receipts from the database into struct pdf_doc, the
 * sharing rules, the client's document list, Payment History and its CSV,
 * and the clinician's actions. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db_billing.h"
#include "docs/docs.h"
#include "mail/mail.h"

/* ---- small helpers ---- */

const char *
docs_kind_title(enum docs_kind kind)
{
	switch (kind) {
	case DOCS_INVOICE:
		return "Invoice";
	case DOCS_STATEMENT:
		return "Statement";
	case DOCS_SUPERBILL:
		return "Superbill";
	case DOCS_RECEIPT:
		return "Receipt";
	}
	return "Document";
}

enum pstatus
docs_number_kind(const char *number, enum docs_kind *kind)
{
	static const struct {
		const char *prefix;
		enum docs_kind kind;
	} kinds[] = {
	    {"INV-", DOCS_INVOICE},
	    {"ST-", DOCS_STATEMENT},
	    {"SB-", DOCS_SUPERBILL},
	    {"RCT-", DOCS_RECEIPT},
	};
	size_t i, plen, n;
	const char *d;

	if (number == NULL)
		return PS_INVALID;
	n = strlen(number);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		plen = strlen(kinds[i].prefix);
		if (strncmp(number, kinds[i].prefix, plen) != 0)
			continue;
		if (n == plen || n > plen + 12)
			return PS_INVALID;
		for (d = number + plen; *d != '\0'; d++)
			if (!isdigit((unsigned char)*d))
				return PS_INVALID;
		*kind = kinds[i].kind;
		return PS_OK;
	}
	return PS_INVALID;
}

int
docs_date_valid(const char *d)
{
	static const int mdays[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, day, i, leap;

	if (d == NULL || strlen(d) != 10)
		return 0;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7 ? d[i] != '-'
		                     : !isdigit((unsigned char)d[i]))
			return 0;
	}
	y = atoi(d);
	m = atoi(d + 5);
	day = atoi(d + 8);
	if (y < 1900 || m < 1 || m > 12 || day < 1)
		return 0;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return day <= mdays[m - 1] + (m == 2 && leap);
}

int
docs_npi_valid(const char *s)
{
	/* Luhn over "80840" + the first nine digits; the tenth checks. */
	int sum = 24, i, d; /* 24: the prefix 80840's contribution */

	if (s == NULL || strlen(s) != 10)
		return 0;
	for (i = 0; i < 10; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	for (i = 8; i >= 0; i--) {
		d = s[i] - '0';
		if ((8 - i) % 2 == 0) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return (10 - sum % 10) % 10 == s[9] - '0';
}

/* The day of instant t in the practice's time zone, as YYYY-MM-DD into
 * out[11]. */
static void
day_of(const struct docs_who *w, int64_t t, char out[11])
{
	tz_day(w->practice != NULL ? w->practice->tz : NULL, t, out);
}

/* ymd (valid) plus days into out[11] (calendar days: no time zone). */
static void
date_add(const char *ymd, int days, char out[11])
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(ymd) - 1900;
	tm.tm_mon = atoi(ymd + 5) - 1;
	tm.tm_mday = atoi(ymd + 8) + days;
	tm.tm_hour = 12;
	tz_day(NULL, (int64_t)timegm(&tm), out);
}

/* The first instant of day ymd in the practice's time zone. */
static int64_t
day_start(const struct docs_who *w, const char *ymd)
{
	return tz_day_start(w->practice != NULL ? w->practice->tz : NULL, ymd);
}

/* The client's balance before day ymd (the practice's time zone). */
static enum pstatus
balance_before(const struct docs_who *w, int64_t client_id, const char *ymd,
    int64_t *balance)
{
	return dbd_balance_before(
	    w->db, w->practice_id, client_id, ymd, day_start(w, ymd), balance);
}

struct ledger_acc {
	const struct docs_who *w;
	struct dbd_entry *e;
	size_t n, cap;
	int nomem;
};

static int
ledger_one(void *arg, const struct dbd_entry *row)
{
	struct ledger_acc *x = arg;
	struct dbd_entry *np;

	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 32;

		if ((np = realloc(x->e, cap * sizeof(*np))) == NULL) {
			x->nomem = 1;
			return 1;
		}
		x->e = np;
		x->cap = cap;
	}
	x->e[x->n] = *row;
	if (row->kind != DBD_E_INVOICE)
		day_of(x->w, row->at, x->e[x->n].date);
	x->n++;
	return 0;
}

/* Oldest first: by day, invoices before payments before refunds, then by
 * instant and id. */
static int
ledger_cmp(const void *pa, const void *pb)
{
	const struct dbd_entry *a = pa, *b = pb;
	int c;

	if ((c = strcmp(a->date, b->date)) != 0)
		return c;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Calls fn(arg, row) for the client's ledger from day `from` to day `to`
 * (inclusive, in the practice's time zone), every row dated (payments
 * and refunds by the local day of their instant), oldest first. PS_OK,
 * PS_NOMEM, and dbd_ledger()'s statuses. */
static enum pstatus
ledger(const struct docs_who *w, int64_t client_id, const char *from,
    const char *to, int (*fn)(void *arg, const struct dbd_entry *row),
    void *arg)
{
	struct ledger_acc x;
	char after[11];
	enum pstatus st;
	size_t i;

	memset(&x, 0, sizeof(x));
	x.w = w;
	date_add(to, 1, after);
	st = dbd_ledger(w->db, w->practice_id, client_id, from, to,
	    day_start(w, from), day_start(w, after), ledger_one, &x);
	if (st == PS_OK && x.nomem)
		st = PS_NOMEM;
	if (st == PS_OK) {
		if (x.n > 1)
			qsort(x.e, x.n, sizeof(*x.e), ledger_cmp);
		for (i = 0; i < x.n && fn(arg, &x.e[i]) == 0; i++)
			;
	}
	free(x.e);
	return st;
}

char *
docs_date_us(const char *ymd, char out[11])
{
	if (docs_date_valid(ymd))
		snprintf(out, 11, "%.2s/%.2s/%.4s", ymd + 5, ymd + 8, ymd);
	else
		snprintf(out, 11, "%s", ymd != NULL ? ymd : "");
	return out;
}

/* An arena copy of s ("" for NULL); NULL when out of memory. */
static const char *
adup(struct arena *a, const char *s)
{
	if (s == NULL)
		s = "";
	return arena_strndup(a, s, strlen(s));
}

/* An arena copy of the US date of ymd. */
static const char *
adate(struct arena *a, const char *ymd)
{
	char d[11];

	return adup(a, docs_date_us(ymd, d));
}

/* The brand as people write it ("visa" -> "Visa"). */
static const char *
brand_name(const char *b)
{
	static const struct {
		const char *key, *name;
	} names[] = {
	    {"visa", "Visa"},
	    {"mastercard", "Mastercard"},
	    {"amex", "American Express"},
	    {"discover", "Discover"},
	    {"jcb", "JCB"},
	    {"diners", "Diners Club"},
	    {"unionpay", "UnionPay"},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(b, names[i].key) == 0)
			return names[i].name;
	return *b != '\0' ? b : "Card";
}

/* "Visa ending in 4242" (or "Card") into out. */
static void
card_text(const char *brand, const char *last4, char *out, size_t outsz)
{
	if (last4[0] != '\0')
		snprintf(
		    out, outsz, "%s ending in %s", brand_name(brand), last4);
	else
		snprintf(out, outsz, "%s", brand_name(brand));
}

/* A growable array in an arena (old storage is left to the arena). */
struct avec {
	void *p;
	size_t n, cap, size;
};

/* Returns a zeroed new element of v, or NULL when out of memory. */
static void *
avec_push(struct arena *a, struct avec *v)
{
	void *np;

	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;

		if ((np = arena_alloc(a, cap * v->size)) == NULL)
			return NULL;
		if (v->n > 0)
			memcpy(np, v->p, v->n * v->size);
		v->p = np;
		v->cap = cap;
	}
	return (char *)v->p + v->size * v->n++;
}

static void
audit(const struct docs_who *w, int64_t client_id, const char *action,
    const char *detail)
{
	db_audit(w->db, w->practice_id, client_id, w->user_id, w->actor, action,
	    detail, w->ip);
}

/* ---- the common heading ---- */

static enum pstatus
fill_practice(const struct docs_who *w, struct arena *a, struct pdf_doc *doc)
{
	const struct practice_conf *p = w->practice;
	const struct conf_address *ad = &p->address;
	size_t k = 0;

	doc->currency = p->currency ? p->currency : "USD";
	doc->practice.name = p->name;
	if (ad->line1 != NULL && ad->line1[0] != '\0')
		doc->practice.address[k++] = ad->line1;
	if (ad->line2 != NULL && ad->line2[0] != '\0')
		doc->practice.address[k++] = ad->line2;
	if (ad->city != NULL && ad->city[0] != '\0') {
		doc->practice.address[k++] = arena_printf(a, "%s, %s %s",
		    ad->city, ad->region ? ad->region : "",
		    ad->postal_code ? ad->postal_code : "");
		if (doc->practice.address[k - 1] == NULL)
			return PS_NOMEM;
	}
	doc->practice.phone = p->phone;
	doc->practice.email = p->email;
	doc->practice.npi = p->npi;
	doc->practice.tax_id = p->tax_id;
	return PS_OK;
}

/* The client's name and address (and, for superbills, date of birth and
 * insurance). */
static enum pstatus
fill_client(const struct docs_who *w, int64_t client_id, struct arena *a,
    struct pdf_doc *doc)
{
	struct db_client c;
	struct dbd_profile p;
	enum pstatus st;
	size_t k = 0;

	if ((st = db_client_get(w->db, w->practice_id, client_id, &c)) != PS_OK)
		return st;
	if ((st = dbd_profile_get(w->db, w->practice_id, client_id, &p)) !=
	    PS_OK)
		return st;
	if ((doc->client.name = arena_printf(
	         a, "%s %s", c.first_name, c.last_name)) == NULL)
		return PS_NOMEM;
	if (p.address1[0] != '\0')
		doc->client.address[k++] = adup(a, p.address1);
	if (p.address2[0] != '\0')
		doc->client.address[k++] = adup(a, p.address2);
	if (p.city[0] != '\0')
		doc->client.address[k++] = arena_printf(
		    a, "%s, %s %s", p.city, p.region, p.postal_code);
	if (p.dob[0] != '\0')
		doc->client.dob = adate(a, p.dob);
	if (p.insurer[0] != '\0')
		doc->client.insurer = adup(a, p.insurer);
	if (p.member_id[0] != '\0')
		doc->client.member_id = adup(a, p.member_id);
	return PS_OK;
}

/* The provider id (0: the default) into doc->provider; a missing provider
 * is fine (PS_OK, nothing set) unless required. */
static enum pstatus
fill_provider(const struct docs_who *w, int64_t id, int required,
    struct arena *a, struct pdf_doc *doc)
{
	struct dbd_provider p;
	enum pstatus st;

	st = dbd_provider_get(w->db, w->practice_id, id, &p);
	if (st == PS_NOTFOUND && !required)
		return PS_OK;
	if (st != PS_OK)
		return st;
	doc->provider.name = adup(a, p.name);
	doc->provider.credentials =
	    p.credentials[0] ? adup(a, p.credentials) : NULL;
	doc->provider.npi = adup(a, p.npi);
	doc->provider.org_npi = p.org_npi[0] ? adup(a, p.org_npi) : NULL;
	doc->provider.tax_id = adup(a, p.tax_id);
	doc->provider.licence = p.licence[0] ? adup(a, p.licence) : NULL;
	doc->provider.taxonomy = p.taxonomy[0] ? adup(a, p.taxonomy) : NULL;
	return PS_OK;
}

/* ---- invoices ---- */

static int
inv_one(void *arg, const struct dbd_invoice *r)
{
	struct dbd_invoice *out = arg;

	*out = *r;
	return 1;
}

struct lines_acc {
	struct arena *a;
	struct avec v; /* of struct dbd_line */
	int nomem;
};

static int
line_acc(void *arg, const struct dbd_line *r)
{
	struct lines_acc *x = arg;
	struct dbd_line *l;

	if ((l = avec_push(x->a, &x->v)) == NULL) {
		x->nomem = 1;
		return 1;
	}
	*l = *r;
	return 0;
}

static enum pstatus
load_invoice(const struct docs_who *w, const char *number, struct arena *a,
    struct pdf_doc *doc, char *err, size_t errsz)
{
	struct dbd_invoice inv;
	struct lines_acc x = {a, {NULL, 0, 0, sizeof(struct dbd_line)}, 0};
	struct pdf_line *pl;
	int64_t id = 0, cid = 0;
	enum pstatus st;
	size_t i;

	st = dbd_invoice_by_number(w->db, w->practice_id, number, &id, &cid);
	if (st != PS_OK)
		return st;
	if (cid != w->client_id)
		return PS_NOTFOUND;
	memset(&inv, 0, sizeof(inv));
	st = dbd_invoice_list(
	    w->db, w->practice_id, w->client_id, id, inv_one, &inv);
	if (st != PS_OK)
		return st;
	if (inv.id == 0)
		return PS_NOTFOUND;
	st = dbd_invoice_lines(
	    w->db, w->practice_id, w->client_id, id, line_acc, &x);
	if (st != PS_OK)
		return st;
	if (x.nomem)
		return PS_NOMEM;
	doc->kind = PDF_INVOICE;
	doc->number = adup(a, inv.number);
	doc->issue_date = adate(a, inv.issued_on);
	if (inv.due_on[0] != '\0')
		doc->due_date = adate(a, inv.due_on);
	doc->amount_paid = inv.paid;
	if ((pl = arena_alloc(a, (x.v.n + 1) * sizeof(*pl))) == NULL)
		return PS_NOMEM;
	for (i = 0; i < x.v.n; i++) {
		const struct dbd_line *l = (const struct dbd_line *)x.v.p + i;

		pl[i].date = adate(a, l->date);
		pl[i].description = l->quantity > 1
		                        ? arena_printf(a, "%s (x%" PRId64 ")",
		                              l->description, l->quantity)
		                        : adup(a, l->description);
		pl[i].units = (int)l->quantity;
		pl[i].fee = l->amount;
		pl[i].paid = l->paid;
	}
	doc->lines = pl;
	doc->nlines = x.v.n;
	if (inv.total - inv.paid > 0 && w->practice->online_payments)
		doc->note = "Pay online in the client portal under Billing & "
		            "Payments.";
	if ((st = fill_provider(w, 0, 0, a, doc)) != PS_OK)
		return st;
	(void)err;
	(void)errsz;
	return fill_client(w, w->client_id, a, doc);
}

/* ---- statements ---- */

struct items_acc {
	struct arena *a;
	struct avec v; /* of struct pdf_item */
	int64_t delta;
	int nomem;
};

static int
item_acc(void *arg, const struct dbd_entry *e)
{
	struct items_acc *x = arg;
	struct pdf_item *it;
	char card[64];

	if ((it = avec_push(x->a, &x->v)) == NULL) {
		x->nomem = 1;
		return 1;
	}
	it->date = adate(x->a, e->date);
	it->ref = e->number[0] ? adup(x->a, e->number) : NULL;
	it->amount = e->amount;
	card_text(e->brand, e->last4, card, sizeof(card));
	switch (e->kind) {
	case DBD_E_INVOICE:
		it->kind = PDF_ITEM_INVOICE;
		it->description = adup(x->a, e->description);
		x->delta += e->amount;
		break;
	case DBD_E_PAYMENT:
		it->kind = PDF_ITEM_PAYMENT;
		it->description = arena_printf(x->a, "Payment, %s", card);
		x->delta -= e->amount;
		break;
	default:
		it->kind = PDF_ITEM_REFUND;
		it->description = arena_printf(x->a, "Refund to %s", card);
		x->delta += e->amount;
		break;
	}
	if (it->description == NULL || it->date == NULL)
		x->nomem = 1;
	return x->nomem;
}

/* Fills the period, balances and items of statement d. */
static enum pstatus
statement_body(const struct docs_who *w, const struct dbd_document *d,
    struct arena *a, struct pdf_doc *doc)
{
	struct items_acc x = {a, {NULL, 0, 0, sizeof(struct pdf_item)}, 0, 0};
	enum pstatus st;

	st = balance_before(
	    w, d->client_id, d->period_start, &doc->begin_balance);
	if (st != PS_OK)
		return st;
	st = ledger(
	    w, d->client_id, d->period_start, d->period_end, item_acc, &x);
	if (st != PS_OK)
		return st;
	if (x.nomem)
		return PS_NOMEM;
	doc->items = x.v.p;
	doc->nitems = x.v.n;
	doc->end_balance = doc->begin_balance + x.delta;
	return PS_OK;
}

/* Reads statement or superbill number of the client (shared only in the
 * client's view). */
static enum pstatus
get_document(const struct docs_who *w, const char *number, const char *kind,
    struct dbd_document *d)
{
	enum pstatus st;

	if (w->client_id == 0)
		return PS_NOTFOUND;
	st = dbd_document_get(w->db, w->practice_id, w->client_id, number, d);
	if (st != PS_OK)
		return st;
	if (strcmp(d->kind, kind) != 0 || d->client_id != w->client_id ||
	    (w->client_view && !d->shared))
		return PS_NOTFOUND;
	return PS_OK;
}

static enum pstatus
load_statement(const struct docs_who *w, const char *number, struct arena *a,
    struct pdf_doc *doc)
{
	struct dbd_document d;
	enum pstatus st;

	if ((st = get_document(w, number, "statement", &d)) != PS_OK)
		return st;
	doc->kind = PDF_STATEMENT;
	doc->number = adup(a, d.number);
	doc->issue_date = adate(a, d.issued_on);
	doc->period_start = adate(a, d.period_start);
	doc->period_end = adate(a, d.period_end);
	if ((st = statement_body(w, &d, a, doc)) != PS_OK)
		return st;
	if ((st = fill_provider(w, 0, 0, a, doc)) != PS_OK)
		return st;
	if (doc->end_balance > 0 && w->practice->online_payments)
		doc->note = "Pay online in the client portal under Billing & "
		            "Payments.";
	return fill_client(w, w->client_id, a, doc);
}

/* ---- superbills ---- */

/* Descriptions of the ICD-10-CM codes therapists use most (CMS ICD-10-CM
 * tabular list); other codes print without one. */
static const char *
dx_text(const char *code)
{
	static const struct {
		const char *code, *text;
	} dx[] = {
	    {"F32.0", "Major depressive disorder, single episode, mild"},
	    {"F32.1", "Major depressive disorder, single episode, moderate"},
	    {"F32.9", "Major depressive disorder, single episode, "
	              "unspecified"},
	    {"F33.0", "Major depressive disorder, recurrent, mild"},
	    {"F33.1", "Major depressive disorder, recurrent, moderate"},
	    {"F34.1", "Dysthymic disorder"},
	    {"F40.10", "Social phobia, unspecified"},
	    {"F41.0", "Panic disorder without agoraphobia"},
	    {"F41.1", "Generalized anxiety disorder"},
	    {"F41.9", "Anxiety disorder, unspecified"},
	    {"F42.2", "Mixed obsessional thoughts and acts"},
	    {"F43.10", "Post-traumatic stress disorder, unspecified"},
	    {"F43.12", "Post-traumatic stress disorder, chronic"},
	    {"F43.20", "Adjustment disorder, unspecified"},
	    {"F43.21", "Adjustment disorder with depressed mood"},
	    {"F43.22", "Adjustment disorder with anxiety"},
	    {"F43.23", "Adjustment disorder with mixed anxiety and depressed "
	               "mood"},
	    {"F50.2", "Bulimia nervosa"},
	    {"F90.0", "Attention-deficit hyperactivity disorder, "
	              "predominantly inattentive type"},
	    {"Z63.0", "Problems in relationship with spouse or partner"},
	};
	size_t i;

	for (i = 0; i < sizeof(dx) / sizeof(dx[0]); i++)
		if (strcmp(dx[i].code, code) == 0)
			return dx[i].text;
	return NULL;
}

/* Adds the ICD codes of icd ("F41.1,F32.0") to the superbill's list
 * dx[0..*ndx) and sets the line's pointers. PS_INVALID past PDF_DX_MAX. */
static enum pstatus
add_dx(struct arena *a, const char *icd, struct pdf_dx *dx, size_t *ndx,
    unsigned char ptr[PDF_DX_PER_LINE], char *err, size_t errsz)
{
	char buf[40], *save = NULL, *tok;
	size_t k = 0, j;

	snprintf(buf, sizeof(buf), "%s", icd);
	for (tok = strtok_r(buf, ",", &save);
	     tok != NULL && k < PDF_DX_PER_LINE;
	     tok = strtok_r(NULL, ",", &save)) {
		for (j = 0; j < *ndx; j++)
			if (strcmp(dx[j].code, tok) == 0)
				break;
		if (j == *ndx) {
			if (*ndx == PDF_DX_MAX) {
				errbuf_set(err, errsz,
				    "more than %d diagnosis codes on one "
				    "superbill; make two superbills",
				    PDF_DX_MAX);
				return PS_INVALID;
			}
			if ((dx[j].code = adup(a, tok)) == NULL)
				return PS_NOMEM;
			dx[j].description = dx_text(tok);
			(*ndx)++;
		}
		ptr[k++] = (unsigned char)(j + 1);
	}
	return PS_OK;
}

/* Modifiers as printed: "95,GT" -> "95 GT". */
static const char *
mods_text(struct arena *a, const char *m)
{
	char *s;
	size_t i;

	if (m[0] == '\0')
		return NULL;
	if ((s = (char *)adup(a, m)) == NULL)
		return NULL;
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] == ',')
			s[i] = ' ';
	return s;
}

/* Fills the superbill lines (and dx) of document d from its invoice
 * lines. */
static enum pstatus
superbill_body(const struct docs_who *w, const struct dbd_document *d,
    struct arena *a, struct pdf_doc *doc, char *err, size_t errsz)
{
	struct lines_acc x = {a, {NULL, 0, 0, sizeof(struct dbd_line)}, 0};
	struct pdf_line *pl;
	struct pdf_dx *dx;
	size_t i, ndx = 0;
	enum pstatus st;

	st = dbd_superbill_lines(
	    w->db, w->practice_id, d->client_id, d->id, line_acc, &x);
	if (st != PS_OK)
		return st;
	if (x.nomem)
		return PS_NOMEM;
	pl = arena_alloc(a, (x.v.n + 1) * sizeof(*pl));
	dx = arena_alloc(a, PDF_DX_MAX * sizeof(*dx));
	if (pl == NULL || dx == NULL)
		return PS_NOMEM;
	for (i = 0; i < x.v.n; i++) {
		const struct dbd_line *l = (const struct dbd_line *)x.v.p + i;

		pl[i].date = adate(a, l->date);
		pl[i].description = adup(a, l->description);
		pl[i].pos = adup(a, l->pos);
		pl[i].cpt = adup(a, l->cpt);
		pl[i].modifiers = mods_text(a, l->modifiers);
		pl[i].units = l->units > 0 ? (int)l->units : 1;
		pl[i].fee = l->amount;
		pl[i].paid = l->paid;
		st = add_dx(a, l->icd, dx, &ndx, pl[i].dx, err, errsz);
		if (st != PS_OK)
			return st;
	}
	doc->lines = pl;
	doc->nlines = x.v.n;
	doc->dx = dx;
	doc->ndx = ndx;
	return PS_OK;
}

static enum pstatus
load_superbill(const struct docs_who *w, const char *number, struct arena *a,
    struct pdf_doc *doc, char *err, size_t errsz)
{
	struct dbd_document d;
	enum pstatus st;

	if ((st = get_document(w, number, "superbill", &d)) != PS_OK)
		return st;
	doc->kind = PDF_SUPERBILL;
	doc->number = adup(a, d.number);
	doc->issue_date = adate(a, d.issued_on);
	doc->period_start = adate(a, d.period_start);
	doc->period_end = adate(a, d.period_end);
	if ((st = fill_provider(w, d.provider_id, 1, a, doc)) != PS_OK) {
		if (st == PS_NOTFOUND) {
			errbuf_set(
			    err, errsz, "superbill %s: no provider", number);
			st = PS_INVALID;
		}
		return st;
	}
	if ((st = fill_client(w, w->client_id, a, doc)) != PS_OK)
		return st;
	return superbill_body(w, &d, a, doc, err, errsz);
}

/* ---- receipts ---- */

static int
rct_one(void *arg, const struct dbd_receipt *r)
{
	*(struct dbd_receipt *)arg = *r;
	return 1;
}

struct applied_acc {
	struct arena *a;
	struct avec v; /* of struct pdf_applied */
	int nomem;
};

static int
applied_acc(void *arg, const struct dbd_applied *r)
{
	struct applied_acc *x = arg;
	struct pdf_applied *p;

	if ((p = avec_push(x->a, &x->v)) == NULL) {
		x->nomem = 1;
		return 1;
	}
	p->number = adup(x->a, r->number);
	p->date = adate(x->a, r->issued_on);
	p->amount = r->amount;
	return 0;
}

static enum pstatus
load_receipt(const struct docs_who *w, const char *number, struct arena *a,
    struct pdf_doc *doc)
{
	struct dbd_receipt r;
	struct applied_acc x = {a, {NULL, 0, 0, sizeof(struct pdf_applied)}, 0};
	char day[11];
	enum pstatus st;

	if (w->client_id == 0)
		return PS_NOTFOUND;
	memset(&r, 0, sizeof(r));
	st = dbd_receipt_list(
	    w->db, w->practice_id, w->client_id, number, rct_one, &r);
	if (st != PS_OK)
		return st;
	if (r.id == 0)
		return PS_NOTFOUND;
	st = dbd_payment_applied(
	    w->db, w->practice_id, w->client_id, r.payment_id, applied_acc, &x);
	if (st != PS_OK)
		return st;
	if (x.nomem)
		return PS_NOMEM;
	doc->kind = PDF_RECEIPT;
	doc->number = adup(a, r.number);
	day_of(w, r.issued_at, day);
	doc->issue_date = adate(a, day);
	doc->payment.amount = r.amount;
	day_of(w, r.paid_at, day);
	doc->payment.date = adate(a, day);
	doc->payment.brand = adup(a, brand_name(r.brand));
	doc->payment.last4 = r.last4[0] ? adup(a, r.last4) : NULL;
	doc->payment.reference =
	    r.processor_ref[0] ? adup(a, r.processor_ref) : NULL;
	doc->applied = x.v.p;
	doc->napplied = x.v.n;
	doc->note = "Thank you for your payment.";
	return fill_client(w, w->client_id, a, doc);
}

/* ---- loading and rendering ---- */

enum pstatus
docs_load(const struct docs_who *w, const char *number, struct arena *a,
    struct pdf_doc *doc, char *err, size_t errsz)
{
	enum docs_kind kind;
	enum pstatus st;

	memset(doc, 0, sizeof(*doc));
	if (docs_number_kind(number, &kind) != PS_OK || w->client_id == 0)
		return PS_NOTFOUND;
	if ((st = fill_practice(w, a, doc)) != PS_OK)
		return st;
	switch (kind) {
	case DOCS_INVOICE:
		st = load_invoice(w, number, a, doc, err, errsz);
		break;
	case DOCS_STATEMENT:
		st = load_statement(w, number, a, doc);
		break;
	case DOCS_SUPERBILL:
		st = load_superbill(w, number, a, doc, err, errsz);
		break;
	case DOCS_RECEIPT:
		st = load_receipt(w, number, a, doc);
		break;
	}
	if (st != PS_OK && st != PS_NOTFOUND && st != PS_INVALID &&
	    st != PS_NOMEM)
		errbuf_set(
		    err, errsz, "document %s: %s", number, db_errmsg(w->db));
	return st;
}

enum pstatus
docs_pdf(const struct docs_who *w, const char *number, struct arena *a,
    struct buf *out, char *err, size_t errsz)
{
	struct pdf_doc doc;
	enum pstatus st;

	/* Once per process (pthread_once inside); portald's master never
	 * renders, so this first runs in a worker, after fork(). */
	if ((st = pdf_global_init(err, errsz)) != PS_OK)
		return st;
	if ((st = docs_load(w, number, a, &doc, err, errsz)) != PS_OK)
		return st;
	return pdf_render(&doc, out, err, errsz);
}

void
docs_filename(const struct pdf_doc *doc, char *out, size_t outsz)
{
	const char *t = pdf_kind_title(doc->kind);
	size_t i;

	snprintf(out, outsz, "%s-%s.pdf", t, doc->number ? doc->number : "");
	for (i = 0; out[i] != '\0'; i++) {
		out[i] = (char)tolower((unsigned char)out[i]);
		if (!isalnum((unsigned char)out[i]) && out[i] != '.' &&
		    out[i] != '-')
			out[i] = '-';
	}
	/* The number keeps its capitals ("invoice-INV-000001.pdf"). */
	if (doc->number != NULL && strlen(t) + 1 + strlen(doc->number) < outsz)
		memcpy(out + strlen(t) + 1, doc->number, strlen(doc->number));
}

/* ---- the client's list ---- */

struct list_acc {
	const struct docs_who *w;
	struct docs_entry *e;
	size_t n, cap;
	int nomem;
	enum pstatus st;
};

static struct docs_entry *
list_push(struct list_acc *x)
{
	struct docs_entry *np;

	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 16;

		if ((np = realloc(x->e, cap * sizeof(*np))) == NULL) {
			x->nomem = 1;
			return NULL;
		}
		x->e = np;
		x->cap = cap;
	}
	memset(&x->e[x->n], 0, sizeof(x->e[x->n]));
	return &x->e[x->n++];
}

static int
list_entry(void *arg, const struct dbd_doc_entry *r)
{
	struct list_acc *x = arg;
	struct docs_entry *e;

	if ((e = list_push(x)) == NULL)
		return 1;
	snprintf(e->number, sizeof(e->number), "%s", r->number);
	snprintf(e->date, sizeof(e->date), "%s", r->date);
	e->amount = r->amount;
	e->shared = r->shared != 0;
	switch (r->kind) {
	case 0:
		e->kind = DOCS_INVOICE;
		e->paid = r->amount - r->paid <= 0;
		break;
	case 1:
		e->kind = DOCS_STATEMENT;
		e->paid = r->amount <= 0;
		break;
	case 2:
		e->kind = DOCS_SUPERBILL;
		e->paid = r->paid >= r->amount;
		break;
	default:
		e->kind = DOCS_RECEIPT;
		day_of(x->w, r->at, e->date);
		e->paid = 1;
		e->shared = 1;
		break;
	}
	return 0;
}

/* Newest first; on one day receipts, then statements, superbills,
 * invoices; then by number, highest first. */
static int
entry_cmp(const void *pa, const void *pb)
{
	const struct docs_entry *a = pa, *b = pb;
	int c;

	if ((c = strcmp(b->date, a->date)) != 0)
		return c;
	if (a->kind != b->kind)
		return (int)b->kind - (int)a->kind;
	return strcmp(b->number, a->number);
}

enum pstatus
docs_list(const struct docs_who *w, struct docs_entry **out, size_t *n)
{
	struct list_acc x;
	enum pstatus st;

	*out = NULL;
	*n = 0;
	memset(&x, 0, sizeof(x));
	x.w = w;
	x.st = PS_OK;
	/* One statement for the whole list (a page a client opens often). */
	st = dbd_doc_list(w->db, w->practice_id, w->client_id, w->client_view,
	    list_entry, &x);
	if (st == PS_OK && x.nomem)
		st = PS_NOMEM;
	if (st != PS_OK) {
		free(x.e);
		return st;
	}
	if (x.n > 1)
		qsort(x.e, x.n, sizeof(*x.e), entry_cmp);
	*out = x.e;
	*n = x.n;
	return PS_OK;
}

/* ---- Payment History ---- */

enum pstatus
docs_range(const char *from, const char *to, const struct tz_zone *tz,
    int64_t now, char from_out[11], char to_out[11], char *msg, size_t msgsz)
{
	char dfrom[11], dto[11];
	struct tm tm;

	/* The default: the 12 months up to today in the practice's zone. */
	tz_day(tz, now, dto);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(dto) - 1900 - 1;
	tm.tm_mon = atoi(dto + 5) - 1;
	tm.tm_mday = atoi(dto + 8) + 1;
	tm.tm_hour = 12;
	tz_day(NULL, (int64_t)timegm(&tm), dfrom);
	snprintf(from_out, 11, "%s", dfrom);
	snprintf(to_out, 11, "%s", dto);
	if (from != NULL && from[0] != '\0' && !docs_date_valid(from)) {
		errbuf_set(msg, msgsz,
		    "The start date isn't a date. Enter it as YYYY-MM-DD, "
		    "for example %s.",
		    dfrom);
		return PS_INVALID;
	}
	if (to != NULL && to[0] != '\0' && !docs_date_valid(to)) {
		errbuf_set(msg, msgsz,
		    "The end date isn't a date. Enter it as YYYY-MM-DD, for "
		    "example %s.",
		    dto);
		return PS_INVALID;
	}
	if (from != NULL && from[0] != '\0')
		snprintf(dfrom, sizeof(dfrom), "%s", from);
	if (to != NULL && to[0] != '\0')
		snprintf(dto, sizeof(dto), "%s", to);
	if (strcmp(dfrom, dto) > 0) {
		errbuf_set(msg, msgsz,
		    "The start date (%s) is after the end date (%s). Choose "
		    "a start date on or before the end date.",
		    dfrom, dto);
		return PS_INVALID;
	}
	snprintf(from_out, 11, "%s", dfrom);
	snprintf(to_out, 11, "%s", dto);
	return PS_OK;
}

struct hist_acc {
	struct docs_history *h;
	size_t cap;
	int nomem;
};

static int
hist_row(void *arg, const struct dbd_entry *e)
{
	struct hist_acc *x = arg;
	struct docs_history *h = x->h;
	struct docs_hist_row *r;
	char card[64];

	if (h->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 32;
		struct docs_hist_row *np;

		if ((np = realloc(h->rows, cap * sizeof(*np))) == NULL) {
			x->nomem = 1;
			return 1;
		}
		h->rows = np;
		x->cap = cap;
	}
	r = &h->rows[h->n++];
	memset(r, 0, sizeof(*r));
	r->kind = (enum dbd_entry_kind)e->kind;
	snprintf(r->date, sizeof(r->date), "%s", e->date);
	snprintf(r->number, sizeof(r->number), "%s", e->number);
	r->amount = e->amount;
	card_text(e->brand, e->last4, card, sizeof(card));
	switch (r->kind) {
	case DBD_E_INVOICE:
		snprintf(r->description, sizeof(r->description), "%s",
		    e->description);
		r->due = e->amount - e->paid > 0 ? e->amount - e->paid : 0;
		h->invoiced += e->amount;
		break;
	case DBD_E_PAYMENT:
		snprintf(r->description, sizeof(r->description), "Payment, %s",
		    card);
		h->paid += e->amount;
		break;
	default:
		snprintf(r->description, sizeof(r->description), "Refund to %s",
		    card);
		h->refunded += e->amount;
		break;
	}
	return 0;
}

enum pstatus
docs_history(const struct docs_who *w, const char *from, const char *to,
    struct docs_history *h)
{
	struct hist_acc x;
	enum pstatus st;
	size_t i;

	memset(h, 0, sizeof(*h));
	if (!docs_date_valid(from) || !docs_date_valid(to) ||
	    strcmp(from, to) > 0)
		return PS_INVALID;
	snprintf(h->from, sizeof(h->from), "%s", from);
	snprintf(h->to, sizeof(h->to), "%s", to);
	memset(&x, 0, sizeof(x));
	x.h = h;
	st = ledger(w, w->client_id, from, to, hist_row, &x);
	if (st == PS_OK && x.nomem)
		st = PS_NOMEM;
	if (st != PS_OK) {
		docs_history_free(h);
		return st;
	}
	/* The ledger is oldest first; the page shows the newest first. */
	for (i = 0; i < h->n / 2; i++) {
		struct docs_hist_row t = h->rows[i];

		h->rows[i] = h->rows[h->n - 1 - i];
		h->rows[h->n - 1 - i] = t;
	}
	return PS_OK;
}

void
docs_history_free(struct docs_history *h)
{
	free(h->rows);
	h->rows = NULL;
	h->n = 0;
}

/* Appends one CSV cell (quoted when needed, formula-safe). */
static enum pstatus
csv_cell(struct buf *b, const char *s, int last)
{
	enum pstatus st = PS_OK;
	int quote = strpbrk(s, ",\"\r\n") != NULL;
	int formula = s[0] == '=' || s[0] == '+' || s[0] == '-' ||
	              s[0] == '@' || s[0] == '\t' || s[0] == '\r';

	if (quote || formula)
		st = buf_puts(b, "\"");
	if (st == PS_OK && formula)
		st = buf_puts(b, "'");
	for (; st == PS_OK && *s != '\0'; s++)
		st = *s == '"' ? buf_puts(b, "\"\"") : buf_append(b, s, 1);
	if (st == PS_OK && (quote || formula))
		st = buf_puts(b, "\"");
	if (st == PS_OK)
		st = buf_puts(b, last ? "\r\n" : ",");
	return st;
}

enum pstatus
docs_history_csv(
    const struct docs_history *h, const char *currency, struct buf *out)
{
	static const char *const types[] = {"Invoice", "Payment", "Refund"};
	char head[128], amt[32], due[32];
	enum pstatus st;
	size_t i;

	snprintf(head, sizeof(head),
	    "Date,Type,Number,Description,Amount (%s),Balance due (%s)\r\n",
	    currency ? currency : "USD", currency ? currency : "USD");
	st = buf_puts(out, head);
	for (i = 0; st == PS_OK && i < h->n; i++) {
		const struct docs_hist_row *r = &h->rows[i];

		st = csv_cell(out, r->date, 0);
		if (st == PS_OK)
			st =
			    csv_cell(out, types[r->kind <= 2 ? r->kind : 0], 0);
		if (st == PS_OK)
			st = csv_cell(out, r->number, 0);
		if (st == PS_OK)
			st = csv_cell(out, r->description, 0);
		if (st == PS_OK)
			st = csv_cell(out,
			    money_plain(r->amount, currency, amt, sizeof(amt)),
			    0);
		if (st == PS_OK)
			st = csv_cell(out,
			    r->kind == DBD_E_INVOICE
			        ? money_plain(
			              r->due, currency, due, sizeof(due))
			        : "",
			    1);
	}
	return st;
}

/* ---- clinician actions ---- */

struct create_tx {
	const struct docs_who *w;
	struct dbd_document d;
	const char *prefix;
	const int64_t *lines;
	size_t nlines;
	int64_t id;
};

static enum pstatus
create_fn(struct db *db, void *arg)
{
	struct create_tx *t = arg;
	int64_t seq = 0;
	enum pstatus st;
	size_t i;

	st = dbb_next_number(db, t->w->practice_id, t->d.kind, &seq);
	if (st != PS_OK)
		return st;
	snprintf(
	    t->d.number, sizeof(t->d.number), "%s-%06" PRId64, t->prefix, seq);
	st = dbd_document_insert(
	    db, t->w->practice_id, &t->d, t->w->now, &t->id);
	for (i = 0; st == PS_OK && i < t->nlines; i++)
		st = dbd_superbill_add(db, t->id, t->lines[i]);
	return st;
}

/* Checks that the client of w exists. */
static enum pstatus
client_exists(const struct docs_who *w, char *msg, size_t msgsz)
{
	struct db_client c;
	enum pstatus st;

	st = db_client_get(w->db, w->practice_id, w->client_id, &c);
	if (st == PS_NOTFOUND)
		errbuf_set(msg, msgsz, "no such client in this practice");
	else if (st != PS_OK)
		errbuf_set(msg, msgsz, "%s", db_errmsg(w->db));
	return st;
}

enum pstatus
docs_statement_create(const struct docs_who *w, const char *from,
    const char *to, char number[DOCS_NUMBER_MAX + 1], char *msg, size_t msgsz)
{
	struct create_tx t;
	char after[11];
	enum pstatus st;

	number[0] = '\0';
	if (!docs_date_valid(from) || !docs_date_valid(to)) {
		errbuf_set(
		    msg, msgsz, "--from and --to must be dates as YYYY-MM-DD");
		return PS_INVALID;
	}
	if (strcmp(from, to) > 0) {
		errbuf_set(msg, msgsz,
		    "the period starts (%s) after it ends "
		    "(%s)",
		    from, to);
		return PS_INVALID;
	}
	if ((st = client_exists(w, msg, msgsz)) != PS_OK)
		return st;
	memset(&t, 0, sizeof(t));
	t.w = w;
	t.prefix = "ST";
	t.d.client_id = w->client_id;
	snprintf(t.d.kind, sizeof(t.d.kind), "statement");
	day_of(w, w->now, t.d.issued_on);
	snprintf(t.d.period_start, sizeof(t.d.period_start), "%s", from);
	snprintf(t.d.period_end, sizeof(t.d.period_end), "%s", to);
	date_add(t.d.period_end, 1, after);
	t.d.period_end_at = day_start(w, after);
	if ((st = db_tx(w->db, create_fn, &t)) != PS_OK) {
		errbuf_set(msg, msgsz, "%s", db_errmsg(w->db));
		return st;
	}
	snprintf(number, DOCS_NUMBER_MAX + 1, "%s", t.d.number);
	audit(w, w->client_id, "doc.statement.create", number);
	return PS_OK;
}

struct sb_acc {
	struct avec v; /* of int64_t line ids */
	struct arena *a;
	const char *date;
	int found;
	char missing[256];
	char dx[PDF_DX_MAX + 1][9]; /* distinct ICD codes seen */
	size_t ndx;
	int nomem;
};

static int
sb_line(void *arg, const struct dbd_line *l)
{
	struct sb_acc *x = arg;
	int64_t *id;

	x->found++;
	if (!l->coded) {
		snprintf(x->missing, sizeof(x->missing),
		    "line %" PRId64 " of %s on %s has no service code "
		    "(portalctl service code --invoice %s --line %" PRId64
		    " --cpt ... --pos ... --icd ...)",
		    l->line_no, l->invoice_number, l->date, l->invoice_number,
		    l->line_no);
		return 1;
	}
	if ((id = avec_push(x->a, &x->v)) == NULL) {
		x->nomem = 1;
		return 1;
	}
	*id = l->id;
	{
		char buf[40], *save = NULL, *tok;
		size_t j;

		snprintf(buf, sizeof(buf), "%s", l->icd);
		for (tok = strtok_r(buf, ",", &save); tok != NULL;
		     tok = strtok_r(NULL, ",", &save)) {
			for (j = 0; j < x->ndx; j++)
				if (strcmp(x->dx[j], tok) == 0)
					break;
			if (j == x->ndx && x->ndx <= PDF_DX_MAX)
				snprintf(x->dx[x->ndx++], sizeof(x->dx[0]),
				    "%s", tok);
		}
	}
	return 0;
}

enum pstatus
docs_superbill_create(const struct docs_who *w, const char *const *dates,
    size_t n, const char *npi, char number[DOCS_NUMBER_MAX + 1], char *msg,
    size_t msgsz)
{
	struct create_tx t;
	struct sb_acc x;
	struct dbd_profile prof;
	struct dbd_provider prov;
	struct arena *a = NULL;
	const char *lo = NULL, *hi = NULL;
	char after[11];
	enum pstatus st;
	size_t i;

	number[0] = '\0';
	memset(&t, 0, sizeof(t));
	memset(&x, 0, sizeof(x));
	if (n == 0) {
		errbuf_set(msg, msgsz, "no dates of service given");
		return PS_INVALID;
	}
	if ((st = client_exists(w, msg, msgsz)) != PS_OK)
		return st;
	if (npi != NULL) {
		st = dbd_provider_by_npi(
		    w->db, w->practice_id, npi, &t.d.provider_id);
		if (st == PS_NOTFOUND)
			errbuf_set(msg, msgsz,
			    "no provider with NPI %s (portalctl provider set)",
			    npi);
		if (st != PS_OK)
			return st == PS_NOTFOUND ? PS_INVALID : st;
	} else {
		st = dbd_provider_get(w->db, w->practice_id, 0, &prov);
		if (st == PS_NOTFOUND) {
			errbuf_set(msg, msgsz,
			    "the practice has no provider for superbills "
			    "(portalctl provider set)");
			return PS_INVALID;
		}
		if (st != PS_OK)
			return st;
		t.d.provider_id = prov.id;
	}
	st = dbd_profile_get(w->db, w->practice_id, w->client_id, &prof);
	if (st != PS_OK)
		return st;
	if (prof.dob[0] == '\0') {
		errbuf_set(msg, msgsz,
		    "the client has no date of birth, which a superbill "
		    "needs (portalctl client profile --dob)");
		return PS_INVALID;
	}
	if ((a = arena_new()) == NULL)
		return PS_NOMEM;
	x.a = a;
	x.v.size = sizeof(int64_t);
	for (i = 0; i < n; i++) {
		if (!docs_date_valid(dates[i])) {
			errbuf_set(msg, msgsz,
			    "\"%s\" is not a date as YYYY-MM-DD", dates[i]);
			st = PS_INVALID;
			goto out;
		}
		x.date = dates[i];
		x.found = 0;
		st = dbd_lines_on_date(
		    w->db, w->practice_id, w->client_id, dates[i], sb_line, &x);
		if (st != PS_OK)
			goto out;
		if (x.nomem) {
			st = PS_NOMEM;
			goto out;
		}
		if (x.missing[0] != '\0') {
			errbuf_set(msg, msgsz, "%s", x.missing);
			st = PS_INVALID;
			goto out;
		}
		if (x.found == 0) {
			errbuf_set(msg, msgsz,
			    "the client has no invoiced service on %s",
			    dates[i]);
			st = PS_INVALID;
			goto out;
		}
		if (lo == NULL || strcmp(dates[i], lo) < 0)
			lo = dates[i];
		if (hi == NULL || strcmp(dates[i], hi) > 0)
			hi = dates[i];
	}
	t.w = w;
	t.prefix = "SB";
	t.d.client_id = w->client_id;
	snprintf(t.d.kind, sizeof(t.d.kind), "superbill");
	day_of(w, w->now, t.d.issued_on);
	snprintf(t.d.period_start, sizeof(t.d.period_start), "%s", lo);
	snprintf(t.d.period_end, sizeof(t.d.period_end), "%s", hi);
	date_add(t.d.period_end, 1, after);
	t.d.period_end_at = day_start(w, after);
	t.lines = x.v.p;
	t.nlines = x.v.n;
	if (x.ndx > PDF_DX_MAX) {
		errbuf_set(msg, msgsz,
		    "those dates have more than %d diagnosis codes, more than "
		    "one superbill holds; make two superbills",
		    PDF_DX_MAX);
		st = PS_INVALID;
		goto out;
	}
	if ((st = db_tx(w->db, create_fn, &t)) != PS_OK) {
		errbuf_set(msg, msgsz, "%s", db_errmsg(w->db));
		goto out;
	}
	snprintf(number, DOCS_NUMBER_MAX + 1, "%s", t.d.number);
	audit(w, w->client_id, "doc.superbill.create", number);
out:
	arena_free(a);
	return st;
}

struct share_tx {
	const struct docs_who *w;
	const struct dbd_document *d;
	int shared;
};

/* Shares (or not) the document and, the first time it is shared, queues
 * the client's "new statement/superbill" mail with it. */
static enum pstatus
share_fn(struct db *db, void *arg)
{
	struct share_tx *t = arg;
	struct mail_params p;
	char key[64];
	struct mail_new m = {.practice_id = t->w->practice_id,
	    .client_id = t->d->client_id,
	    .kind = MAIL_DOC_SHARED,
	    .params = &p,
	    .dedupe_key = key};
	enum pstatus st;

	st = dbd_document_share(
	    db, t->w->practice_id, t->d->id, t->shared, t->w->now);
	if (st != PS_OK || !t->shared)
		return st;
	mail_params_init(&p);
	mail_param(&p, "doc", "%s", t->d->kind);
	mail_param(&p, "number", "%s", t->d->number);
	snprintf(key, sizeof(key), "doc-shared:%lld", (long long)t->d->id);
	return mail_queue(db, &m, t->w->now, NULL);
}

enum pstatus
docs_share(const struct docs_who *w, const char *number, int shared, char *msg,
    size_t msgsz)
{
	enum docs_kind kind;
	struct dbd_document d;
	enum pstatus st;

	if (docs_number_kind(number, &kind) != PS_OK) {
		errbuf_set(msg, msgsz,
		    "\"%s\" is not a document number (ST- or SB-)",
		    number ? number : "");
		return PS_INVALID;
	}
	if (kind == DOCS_INVOICE || kind == DOCS_RECEIPT) {
		errbuf_set(msg, msgsz,
		    "%s: %ss are always visible to their client; only "
		    "statements and superbills are shared",
		    number, kind == DOCS_INVOICE ? "invoice" : "receipt");
		return PS_INVALID;
	}
	st = dbd_document_get(w->db, w->practice_id, 0, number, &d);
	if (st == PS_OK) {
		struct share_tx t = {w, &d, shared};

		st = db_tx(w->db, share_fn, &t);
	}
	if (st == PS_NOTFOUND)
		errbuf_set(
		    msg, msgsz, "no document %s in this practice", number);
	else if (st != PS_OK)
		errbuf_set(msg, msgsz, "%s", db_errmsg(w->db));
	else
		audit(w, d.client_id, shared ? "doc.share" : "doc.unshare",
		    number);
	return st;
}

/* Upper-cases s in place; returns 1 when every character is in [0-9A-Z]
 * or one of extra. */
static int
upper_alnum(char *s, const char *extra)
{
	for (; *s != '\0'; s++) {
		*s = (char)toupper((unsigned char)*s);
		if (!isdigit((unsigned char)*s) && !(*s >= 'A' && *s <= 'Z') &&
		    strchr(extra, *s) == NULL)
			return 0;
	}
	return 1;
}

/* Returns 1 when c is an ICD-10-CM code: a letter, a digit, a digit or
 * letter, then optionally '.' and one to four digits or letters. */
static int
icd_valid(const char *c)
{
	size_t n = strlen(c), i;

	if (n < 3 || !(c[0] >= 'A' && c[0] <= 'Z') ||
	    !isdigit((unsigned char)c[1]) || !isalnum((unsigned char)c[2]))
		return 0;
	if (n == 3)
		return 1;
	if (c[3] != '.' || n < 5 || n > 8)
		return 0;
	for (i = 4; i < n; i++)
		if (!isalnum((unsigned char)c[i]))
			return 0;
	return 1;
}

enum pstatus
docs_code_set(const struct docs_who *w, const char *number, int64_t line_no,
    const char *pos, const char *cpt, const char *modifiers, const char *icd,
    int64_t units, char *msg, size_t msgsz)
{
	char c[8], m[16], codes[64], norm[40], *save = NULL, *tok;
	int64_t line_id = 0, cid = 0;
	size_t k = 0;
	enum pstatus st;

	if (pos == NULL || strlen(pos) != 2 ||
	    !isdigit((unsigned char)pos[0]) ||
	    !isdigit((unsigned char)pos[1])) {
		errbuf_set(msg, msgsz,
		    "--pos must be a two-digit place-of-service code (11 "
		    "office, 02 or 10 telehealth)");
		return PS_INVALID;
	}
	snprintf(c, sizeof(c), "%s", cpt ? cpt : "");
	if (strlen(c) != 5 || !upper_alnum(c, "") ||
	    !isdigit((unsigned char)c[0])) {
		errbuf_set(msg, msgsz,
		    "--cpt must be a five-character CPT "
		    "code such as 90834");
		return PS_INVALID;
	}
	m[0] = '\0';
	if (modifiers != NULL && modifiers[0] != '\0') {
		size_t i, run = 0, nm = 0;

		snprintf(m, sizeof(m), "%s", modifiers);
		if (strlen(modifiers) > 11 || !upper_alnum(m, ","))
			goto bad_mod;
		for (i = 0; i <= strlen(m); i++) {
			if (m[i] == ',' || m[i] == '\0') {
				if (run != 2)
					goto bad_mod;
				run = 0;
				nm++;
			} else
				run++;
		}
		if (nm > 4)
			goto bad_mod;
	}
	snprintf(codes, sizeof(codes), "%s", icd ? icd : "");
	norm[0] = '\0';
	if (strlen(icd ? icd : "") >= sizeof(codes) ||
	    !upper_alnum(codes, ".,"))
		goto bad_icd;
	for (tok = strtok_r(codes, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!icd_valid(tok) || ++k > PDF_DX_PER_LINE)
			goto bad_icd;
		if (strlen(norm) + strlen(tok) + 2 > sizeof(norm))
			goto bad_icd;
		if (norm[0] != '\0')
			strcat(norm, ",");
		strcat(norm, tok);
	}
	if (k == 0)
		goto bad_icd;
	if (units < 1 || units > 99) {
		errbuf_set(msg, msgsz, "--units must be 1 to 99");
		return PS_INVALID;
	}
	st = dbd_line_find(
	    w->db, w->practice_id, number, line_no, &line_id, &cid);
	if (st == PS_NOTFOUND) {
		errbuf_set(msg, msgsz, "invoice %s has no line %" PRId64,
		    number, line_no);
		return st;
	}
	if (st == PS_OK)
		st = dbd_code_put(w->db, w->practice_id, cid, line_id, pos, c,
		    m, norm, units, w->now);
	if (st != PS_OK)
		errbuf_set(msg, msgsz, "%s", db_errmsg(w->db));
	else
		audit(w, cid, "doc.code.set", number);
	return st;
bad_mod:
	errbuf_set(msg, msgsz,
	    "--modifier takes up to four two-character modifiers separated "
	    "by commas, e.g. 95 or 95,GT");
	return PS_INVALID;
bad_icd:
	errbuf_set(msg, msgsz,
	    "--icd takes one to four ICD-10-CM codes separated by commas, "
	    "e.g. F41.1,F32.0");
	return PS_INVALID;
}

enum pstatus
docs_provider_set(const struct docs_who *w, const struct dbd_provider *p,
    int make_default, int64_t *idp, char *msg, size_t msgsz)
{
	struct dbd_provider cur;
	int64_t id = 0;
	size_t i;
	enum pstatus st;

	if (idp != NULL)
		*idp = 0;
	if (p->name[0] == '\0') {
		errbuf_set(msg, msgsz, "--name is required");
		return PS_INVALID;
	}
	if (!docs_npi_valid(p->npi)) {
		errbuf_set(msg, msgsz,
		    "--npi \"%s\" is not a valid NPI (10 digits with a check "
		    "digit)",
		    p->npi);
		return PS_INVALID;
	}
	if (p->org_npi[0] != '\0' && !docs_npi_valid(p->org_npi)) {
		errbuf_set(msg, msgsz, "--org-npi \"%s\" is not a valid NPI",
		    p->org_npi);
		return PS_INVALID;
	}
	for (i = 0; i < 10; i++)
		if (i == 2 ? p->tax_id[i] != '-'
		           : !isdigit((unsigned char)p->tax_id[i]))
			break;
	if (i != 10 || p->tax_id[10] != '\0') {
		errbuf_set(msg, msgsz, "--tax-id must be an EIN as NN-NNNNNNN");
		return PS_INVALID;
	}
	if (p->taxonomy[0] != '\0') {
		char t[11];

		snprintf(t, sizeof(t), "%s", p->taxonomy);
		if (strlen(p->taxonomy) != 10 || !upper_alnum(t, "") ||
		    t[9] != 'X' || strcmp(t, p->taxonomy) != 0) {
			errbuf_set(msg, msgsz,
			    "--taxonomy must be a 10-character NUCC code "
			    "ending in X, e.g. 101YM0800X");
			return PS_INVALID;
		}
	}
	if (!utf8_valid(p->name, strlen(p->name)) ||
	    !utf8_valid(p->credentials, strlen(p->credentials)) ||
	    !utf8_valid(p->licence, strlen(p->licence))) {
		errbuf_set(msg, msgsz, "text is not valid UTF-8");
		return PS_INVALID;
	}
	st = dbd_provider_put(w->db, w->practice_id, p, w->now, &id);
	if (st == PS_OK) {
		st = dbd_provider_get(w->db, w->practice_id, 0, &cur);
		if (st == PS_OK && (make_default || !cur.is_default))
			st =
			    dbd_provider_set_default(w->db, w->practice_id, id);
	}
	if (st != PS_OK) {
		errbuf_set(msg, msgsz, "%s", db_errmsg(w->db));
		return st;
	}
	if (idp != NULL)
		*idp = id;
	audit(w, 0, "doc.provider.set", p->npi);
	return PS_OK;
}

enum pstatus
docs_profile_set(const struct docs_who *w, const struct dbd_profile *p,
    char *msg, size_t msgsz)
{
	char today[11];
	enum pstatus st;

	day_of(w, w->now, today);
	if (p->dob[0] != '\0' &&
	    (!docs_date_valid(p->dob) || strcmp(p->dob, today) > 0)) {
		errbuf_set(
		    msg, msgsz, "--dob must be a past date as YYYY-MM-DD");
		return PS_INVALID;
	}
	st = dbd_profile_put(w->db, w->practice_id, w->client_id, p, w->now);
	if (st == PS_NOTFOUND)
		errbuf_set(msg, msgsz, "no such client in this practice");
	else if (st == PS_INVALID)
		errbuf_set(
		    msg, msgsz, "a field is too long: %s", db_errmsg(w->db));
	else if (st != PS_OK)
		errbuf_set(msg, msgsz, "%s", db_errmsg(w->db));
	else
		audit(w, w->client_id, "doc.profile.set", "");
	return st;
}
