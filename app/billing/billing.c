/* billing.c: balances, invoices, cards on file and crash-safe payments
 * (billing.h; DESIGN.md "A payment, crash-safely"). */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "billing/billing.h"
#include "billing/billing_int.h"
#include "mail/mail.h"
#include "crypto/crypto.h"
#include "db/db_billing.h"
#include "gw/gw.h"

/* How long a resubmitted form waits for its first submission's charge. */
#define REPLAY_WAIT_MS 3000
#define REPLAY_STEP_MS 100

static const char MSG_PROCESSING[] =
    "Your payment is being processed. Your balance will be updated as soon "
    "as the card processor confirms it; you will not be charged twice.";
static const char MSG_UNAVAILABLE[] =
    "The card processor could not be reached. Nothing was charged. Please "
    "try again in a few minutes.";
static const char MSG_DECLINED[] = "Your card was declined.";
static const char MSG_ACTION[] = "Your bank needs you to confirm this payment.";
static const char MSG_OFF[] = "Online payments are not available.";
/* A one-time card token the processor refused as such (unknown, expired,
 * spent): PGW_CODE_TOKEN_INVALID. */
static const char MSG_TOKEN_EXPIRED[] =
    "That card entry expired. Please enter the card again.";

const char *
billing_outcome_str(enum bill_outcome o)
{
	switch (o) {
	case BILL_PAID:
		return "Paid";
	case BILL_DECLINED:
		return "Declined";
	case BILL_REQUIRES_ACTION:
		return "Needs your confirmation";
	case BILL_PROCESSING:
		return "Processing";
	case BILL_UNAVAILABLE:
		return "Not charged";
	case BILL_TOKEN_EXPIRED:
		return "Card entry expired";
	}
	return "Unknown";
}

enum pstatus
billing_form_key_new(char out[BILL_FORM_KEY_SIZE])
{
	return crypto_token_new(out) == PS_OK ? PS_OK : PS_ERROR;
}

/* ---- small helpers ---- */

/* 1 when k is a well-formed form key. */
static int
form_key_ok(const char *k)
{
	size_t i, n = strlen(k);

	if (n < 16 || n > DBB_FORMKEY_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)k[i]) && k[i] != '-' && k[i] != '_')
			return 0;
	return 1;
}

/* 1 when t looks like a processor token: 1..255 printable ASCII bytes. */
static int
token_ok(const char *t)
{
	size_t i, n = strlen(t);

	if (n == 0 || n > 255)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return 0;
	return 1;
}

/* 1 when d is a real YYYY-MM-DD date (billing_int.h). */
int
billing_date_ok(const char *d)
{
	static const int mdays[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int i, y, m, day, leap;

	if (d == NULL || strlen(d) != 10)
		return 0;
	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? d[i] != '-'
		                     : !isdigit((unsigned char)d[i]))
			return 0;
	y = atoi(d);
	m = atoi(d + 5);
	day = atoi(d + 8);
	if (y < 1900 || y > 9999 || m < 1 || m > 12)
		return 0;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return day >= 1 && day <= mdays[m - 1] + (m == 2 && leap);
}

/* Copies src (NULL = "") into dst[dstsz], truncated, NUL-terminated
 * (billing_int.h). */
void
billing_copy(char *dst, size_t dstsz, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (dstsz == 0)
		return;
	if (n >= dstsz)
		n = dstsz - 1;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The practice's currency (billing_int.h). */
const char *
billing_currency(const struct practice_conf *pc)
{
	return pc != NULL && pc->currency != NULL ? pc->currency : "USD";
}

static const char *
slug_of(const struct practice_conf *pc)
{
	return pc != NULL && pc->slug != NULL ? pc->slug : "practice";
}

static void audit(const struct billing_who *w, const char *action,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Writes an audit row for w (failures are logged, not returned: the money
 * rows are the record; the audit row is the trail). */
static void
audit(const struct billing_who *w, const char *action, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (db_audit(w->db, w->practice_id, w->client_id, w->user_id, w->actor,
	        action, detail, w->ip) != PS_OK)
		log_error("event=audit_failed action=%s practice_id=%" PRId64
		          " client_id=%" PRId64 " error=\"%s\"",
		    action, w->practice_id, w->client_id, db_errmsg(w->db));
}

/* Random lower-case hex of nbytes bytes into out[2 * nbytes + 1]. */
static enum pstatus
rand_hex(char *out, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[32];
	size_t i;

	if (nbytes > sizeof(b) || crypto_random(b, nbytes) != PS_OK)
		return PS_ERROR;
	for (i = 0; i < nbytes; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * nbytes] = '\0';
	return PS_OK;
}

/* Writes "portal-<slug>-<what>-<id>-<rnd>" into out[outsz], shortening the
 * slug so the key fits BILL_KEY_MAX (Square allows 45 characters). rnd may
 * be "" (then no trailing part). */
static void
make_key(char *out, size_t outsz, const char *slug, const char *what,
    int64_t id, const char *rnd)
{
	struct buf b = {NULL, 0, 0};
	char tail[96];
	int n, room;

	n = snprintf(tail, sizeof(tail), "-%s-%" PRId64 "%s%s", what, id,
	    rnd[0] ? "-" : "", rnd);
	room = BILL_KEY_MAX - (int)strlen("portal-") - n;
	if (room < 1)
		buf_printf(&b, "portal%s", tail);
	else
		buf_printf(&b, "portal-%.*s%s", room, slug, tail);
	billing_copy(out, outsz, b.p != NULL ? b.p : "portal-key");
	buf_free(&b);
}

/* ---- balance and invoices ---- */

struct sum_ctx {
	struct bill_summary *s;
	size_t cap;
	enum pstatus st;
};

static void
to_invoice(const struct dbb_invoice *r, struct bill_invoice *v)
{
	memset(v, 0, sizeof(*v));
	v->id = r->id;
	billing_copy(v->number, sizeof(v->number), r->number);
	billing_copy(v->issued_on, sizeof(v->issued_on), r->issued_on);
	billing_copy(v->due_on, sizeof(v->due_on), r->due_on);
	billing_copy(v->description, sizeof(v->description), r->description);
	v->total = r->total;
	v->paid = r->paid;
	v->due = r->total - r->paid > 0 ? r->total - r->paid : 0;
}

static int
sum_row(void *arg, const struct dbb_invoice *r)
{
	struct sum_ctx *x = arg;
	struct bill_summary *s = x->s;
	struct bill_invoice v, *nu;

	to_invoice(r, &v);
	if (v.due <= 0)
		return 0;
	s->balance += v.due;
	if (s->nunpaid == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 8;
		if ((nu = realloc(s->unpaid, x->cap * sizeof(*nu))) == NULL) {
			x->st = PS_NOMEM;
			return 1;
		}
		s->unpaid = nu;
	}
	s->unpaid[s->nunpaid++] = v;
	return 0;
}

enum pstatus
billing_summary(const struct billing_who *w, struct bill_summary *out)
{
	struct sum_ctx x = {out, 0, PS_OK};
	int64_t open = 0, autopay = 0;
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	st = dbb_invoice_list(
	    w->db, w->practice_id, w->client_id, 0, sum_row, &x);
	if (st == PS_OK)
		st = x.st;
	if (st == PS_OK)
		st = dbb_client_flags(
		    w->db, w->practice_id, w->client_id, &open, &autopay);
	if (st != PS_OK) {
		log_error("event=billing_summary_failed practice_id=%" PRId64
		          " client_id=%" PRId64 " error=\"%s\"",
		    w->practice_id, w->client_id, db_errmsg(w->db));
		billing_summary_free(out);
		return st == PS_NOMEM ? PS_NOMEM : PS_ERROR;
	}
	out->has_pending = open > 0;
	out->has_autopay = autopay > 0;
	return PS_OK;
}

void
billing_summary_free(struct bill_summary *s)
{
	if (s == NULL)
		return;
	free(s->unpaid);
	memset(s, 0, sizeof(*s));
}

struct one_ctx {
	struct bill_invoice *v;
	int found;
};

static int
one_row(void *arg, const struct dbb_invoice *r)
{
	struct one_ctx *x = arg;

	to_invoice(r, x->v);
	x->found = 1;
	return 1;
}

enum pstatus
billing_invoice(
    const struct billing_who *w, int64_t invoice_id, struct bill_invoice *out)
{
	struct one_ctx x = {out, 0};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	if (invoice_id <= 0 || w->client_id <= 0)
		return PS_NOTFOUND;
	st = dbb_invoice_list(
	    w->db, w->practice_id, w->client_id, invoice_id, one_row, &x);
	if (st != PS_OK)
		return PS_ERROR;
	return x.found ? PS_OK : PS_NOTFOUND;
}

/* ---- invoices (clinician) ---- */

struct inv_tx {
	const struct billing_who *w;
	const char *issued_on, *due_on;
	const struct bill_line *lines;
	size_t n;
	int64_t id;
	char number[BILL_NUMBER_MAX];
};

static enum pstatus
inv_fn(struct db *db, void *arg)
{
	struct inv_tx *t = arg;
	const struct billing_who *w = t->w;
	int64_t seq;
	size_t i;
	enum pstatus st;

	if ((st = dbb_client_lock(db, w->practice_id, w->client_id)) != PS_OK)
		return st;
	if ((st = dbb_next_number(db, w->practice_id, "invoice", &seq)) !=
	    PS_OK)
		return st;
	snprintf(t->number, sizeof(t->number), "INV-%06" PRId64, seq);
	st = dbb_invoice_insert(db, w->practice_id, w->client_id, t->number,
	    t->issued_on, t->due_on, w->now, &t->id);
	for (i = 0; st == PS_OK && i < t->n; i++) {
		const struct bill_line *l = &t->lines[i];

		st = dbb_line_insert(db, w->practice_id, w->client_id, t->id,
		    (int)i + 1, l->date_of_service, l->description,
		    l->quantity > 0 ? l->quantity : 1, l->unit_amount);
	}
	if (st == PS_OK) {
		/* An invoice is the client's to see at once: say so. */
		struct mail_params p;
		struct mail_new m = {.practice_id = w->practice_id,
		    .client_id = w->client_id,
		    .kind = MAIL_DOC_SHARED,
		    .params = &p};

		mail_params_init(&p);
		mail_param(&p, "doc", "invoice");
		mail_param(&p, "number", "%s", t->number);
		st = mail_queue(db, &m, w->now, NULL);
	}
	return st;
}

enum pstatus
billing_invoice_create(const struct billing_who *w, const char *issued_on,
    const char *due_on, const struct bill_line *lines, size_t n, int64_t *id,
    char number[BILL_NUMBER_MAX], char *msg, size_t msgsz)
{
	struct inv_tx t;
	int64_t total = 0;
	size_t i;
	enum pstatus st;

	memset(&t, 0, sizeof(t));
	*id = 0;
	if (number != NULL)
		number[0] = '\0';
	errbuf_set(msg, msgsz, "%s", "");
	if (n == 0 || n > 100) {
		errbuf_set(msg, msgsz, "an invoice needs 1 to 100 lines");
		return PS_INVALID;
	}
	if (!billing_date_ok(issued_on) ||
	    (due_on != NULL && !billing_date_ok(due_on))) {
		errbuf_set(msg, msgsz, "dates are YYYY-MM-DD");
		return PS_INVALID;
	}
	if (due_on != NULL && strcmp(due_on, issued_on) < 0) {
		errbuf_set(msg, msgsz, "the due date is before the issue date");
		return PS_INVALID;
	}
	for (i = 0; i < n; i++) {
		const struct bill_line *l = &lines[i];
		int64_t q = l->quantity > 0 ? l->quantity : 1;

		if (!billing_date_ok(l->date_of_service)) {
			errbuf_set(msg, msgsz,
			    "line %zu: the date of service is not "
			    "YYYY-MM-DD",
			    i + 1);
			return PS_INVALID;
		}
		if (l->description == NULL || l->description[0] == '\0' ||
		    strlen(l->description) > DBB_DESC_MAX ||
		    !utf8_valid(l->description, strlen(l->description))) {
			errbuf_set(msg, msgsz,
			    "line %zu: the description must be 1 to %d "
			    "bytes of UTF-8",
			    i + 1, DBB_DESC_MAX);
			return PS_INVALID;
		}
		if (l->unit_amount < 0 || l->unit_amount > 100000000 ||
		    q > 1000) {
			errbuf_set(
			    msg, msgsz, "line %zu: amount out of range", i + 1);
			return PS_INVALID;
		}
		total += q * l->unit_amount;
	}
	if (total <= 0) {
		errbuf_set(msg, msgsz, "the invoice total is 0");
		return PS_INVALID;
	}
	t.w = w;
	t.issued_on = issued_on;
	t.due_on = due_on;
	t.lines = lines;
	t.n = n;
	st = db_tx(w->db, inv_fn, &t);
	if (st == PS_NOTFOUND) {
		errbuf_set(msg, msgsz, "no such client");
		return PS_NOTFOUND;
	}
	if (st != PS_OK) {
		errbuf_set(msg, msgsz, "%s", db_errmsg(w->db));
		return st == PS_INVALID ? PS_INVALID : PS_ERROR;
	}
	*id = t.id;
	if (number != NULL)
		billing_copy(number, BILL_NUMBER_MAX, t.number);
	audit(w, "invoice.create", "invoice=%s id=%" PRId64 " total=%" PRId64,
	    t.number, t.id, total);
	return PS_OK;
}

/* ---- processor accounts ---- */

static int
value_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pgw_value *)a)->name,
	    ((const struct pgw_value *)b)->name);
}

void
billing_account(struct gw_instance *gw, char out[BILL_ACCOUNT_SIZE])
{
	struct pgw_widget wd;
	struct pgw_value v[PGW_WIDGET_VALUES_MAX];
	struct pgw_result res;
	struct buf b = {NULL, 0, 0};
	char err[256], hex[CRYPTO_HEX_SIZE];
	size_t n, i;

	out[0] = '\0';
	if (gw == NULL)
		return;
	memset(&wd, 0, sizeof(wd));
	if (gw_card_widget(gw, &wd, &res, err, sizeof(err)) != PGW_SUCCEEDED)
		return;
	n = wd.nvalues <= PGW_WIDGET_VALUES_MAX ? wd.nvalues : 0;
	memcpy(v, wd.values, n * sizeof(v[0]));
	if (n == 0 && wd.public_key[0] != '\0') {
		/* A 1.0 plugin: the host's own mapping of its key. */
		memset(&v[0], 0, sizeof(v[0]));
		billing_copy(v[0].name, sizeof(v[0].name), "publishable_key");
		billing_copy(v[0].value, sizeof(v[0].value), wd.public_key);
		n = 1;
	}
	qsort(v, n, sizeof(v[0]), value_cmp);
	buf_printf(&b, "%s\n", gw_instance_plugin(gw)->name);
	for (i = 0; i < n; i++)
		buf_printf(&b, "%.*s=%.*s\n", (int)sizeof(v[i].name), v[i].name,
		    (int)sizeof(v[i].value), v[i].value);
	if (b.p != NULL) {
		crypto_sha256_hex(b.p, b.n, hex);
		billing_copy(out, BILL_ACCOUNT_SIZE, hex);
	}
	buf_free(&b);
}

int
billing_card_here(
    struct gw_instance *gw, const char *plugin, const char *account)
{
	char here[BILL_ACCOUNT_SIZE];

	if (gw == NULL || strcmp(gw_instance_plugin(gw)->name, plugin) != 0)
		return 0;
	if (account[0] == '\0')
		return 1;
	billing_account(gw, here);
	return strcmp(here, account) == 0;
}

/* ---- cards ---- */

int
billing_card_expired(int64_t exp_month, int64_t exp_year, const char *today)
{
	int64_t y = 0, m = 0;

	if (today == NULL || strlen(today) < 7 ||
	    util_strtonum(today, 4, 1, 9999, &y, NULL, 0) != PS_OK ||
	    util_strtonum(today + 5, 2, 1, 12, &m, NULL, 0) != PS_OK)
		return 0; /* no date to judge by */
	if (exp_month < 1 || exp_month > 12)
		return 1;
	return exp_year * 12 + exp_month < y * 12 + m;
}

/* The practice's date at w->now into day[11]. */
static const char *
who_today(const struct billing_who *w, char day[11])
{
	return tz_day(
	    w->practice != NULL ? w->practice->tz : NULL, w->now, day);
}

/* Fills *c from k; today (the practice's date, or NULL) judges expiry. */
static void
to_card(const struct dbb_card *k, const char *today, struct bill_card *c)
{
	memset(c, 0, sizeof(*c));
	c->id = k->id;
	billing_copy(c->brand, sizeof(c->brand), k->brand);
	billing_copy(c->last4, sizeof(c->last4), k->last4);
	c->exp_month = (int)k->exp_month;
	c->exp_year = (int)k->exp_year;
	c->is_default = k->is_default != 0;
	c->expired = billing_card_expired(k->exp_month, k->exp_year, today);
}

struct cards_ctx {
	struct bill_card *v;
	size_t n, cap;
	enum pstatus st;
	const char *plugin;  /* NULL: every card */
	const char *account; /* with plugin */
	size_t elsewhere;    /* cards left out */
	char today[11];      /* the practice's date, for expiry */
};

/* 1 when card k belongs to the processor account of x (or x has none). */
static int
card_ours(const struct cards_ctx *x, const struct dbb_card *k)
{
	return x->plugin == NULL ||
	       (strcmp(k->plugin, x->plugin) == 0 &&
	           (k->account[0] == '\0' ||
	               strcmp(k->account, x->account) == 0));
}

static int
cards_row(void *arg, const struct dbb_card *k)
{
	struct cards_ctx *x = arg;
	struct bill_card *nu;

	if (!card_ours(x, k)) {
		x->elsewhere++;
		return 0;
	}
	if (x->v == NULL && x->cap == SIZE_MAX)
		return 0; /* counting only */
	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 4;
		if ((nu = realloc(x->v, x->cap * sizeof(*nu))) == NULL) {
			x->st = PS_NOMEM;
			return 1;
		}
		x->v = nu;
	}
	to_card(k, x->today, &x->v[x->n++]);
	return 0;
}

enum pstatus
billing_cards(const struct billing_who *w, struct bill_card **out, size_t *n)
{
	struct cards_ctx x = {NULL, 0, 0, PS_OK, NULL, NULL, 0, ""};
	char account[BILL_ACCOUNT_SIZE];
	enum pstatus st;

	*out = NULL;
	*n = 0;
	who_today(w, x.today);
	if (w->gw != NULL) {
		billing_account(w->gw, account);
		x.plugin = gw_instance_plugin(w->gw)->name;
		x.account = account;
	}
	st = dbb_card_list(
	    w->db, w->practice_id, w->client_id, 0, cards_row, &x);
	if (st == PS_OK)
		st = x.st;
	if (st != PS_OK) {
		free(x.v);
		return st == PS_NOMEM ? PS_NOMEM : PS_ERROR;
	}
	*out = x.v;
	*n = x.n;
	return PS_OK;
}

enum pstatus
billing_cards_elsewhere(const struct billing_who *w, size_t *n)
{
	struct cards_ctx x = {NULL, 0, SIZE_MAX, PS_OK, NULL, NULL, 0, ""};
	char account[BILL_ACCOUNT_SIZE];
	enum pstatus st;

	*n = 0;
	if (w->gw == NULL)
		return PS_OK;
	billing_account(w->gw, account);
	x.plugin = gw_instance_plugin(w->gw)->name;
	x.account = account;
	st = dbb_card_list(
	    w->db, w->practice_id, w->client_id, 0, cards_row, &x);
	if (st != PS_OK)
		return PS_ERROR;
	*n = x.elsewhere;
	return PS_OK;
}

/* Finds or creates the processor customer of the client at the instance's
 * plugin and account into ref[DBB_REF_MAX + 1]. Returns PS_OK, or
 * PS_RETRY/PS_UNKNOWN/PS_ERROR with the gateway's reason logged. */
static enum pstatus
ensure_customer(const struct billing_who *w, const char *plugin,
    const char *account, char *ref)
{
	struct pgw_customer_req req;
	struct pgw_customer cus;
	struct pgw_result res;
	char err[256], key[BILL_KEY_MAX + 1], reference[96], rnd[17],
	    name[2 * DB_NAME_MAX + 2];
	struct db_client cl;
	int32_t gs;
	enum pstatus st;

	st = dbb_customer_get(
	    w->db, w->practice_id, w->client_id, plugin, account, ref);
	if (st != PS_NOTFOUND)
		return st == PS_OK ? PS_OK : PS_ERROR;
	/* A random part keeps two installations with the same slug and
	 * client ids (staging and production on one processor account)
	 * apart; a crash between the answer and our insert costs at most an
	 * unused customer at the processor. */
	if (rand_hex(rnd, 8) != PS_OK)
		return PS_ERROR;
	make_key(
	    key, sizeof(key), slug_of(w->practice), "cus", w->client_id, rnd);
	snprintf(reference, sizeof(reference), "%s:client:%" PRId64,
	    slug_of(w->practice), w->client_id);
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.idempotency_key = key;
	req.reference = reference;
	/* Some processors (Square) want a name or an email with a customer. */
	memset(&cl, 0, sizeof(cl));
	if (db_client_get(w->db, w->practice_id, w->client_id, &cl) == PS_OK) {
		snprintf(
		    name, sizeof(name), "%s %s", cl.first_name, cl.last_name);
		req.name = name;
		req.email = cl.email[0] ? cl.email : NULL;
	}
	memset(&cus, 0, sizeof(cus));
	gs = gw_create_customer(w->gw, &req, &cus, &res, err, sizeof(err));
	if (gs != PGW_SUCCEEDED || cus.id[0] == '\0') {
		log_warn("event=billing_customer_failed practice_id=%" PRId64
		         " client_id=%" PRId64 " status=%s error=\"%s\"",
		    w->practice_id, w->client_id, gw_status_str(gs), err);
		return gs == PGW_RETRYABLE ? PS_RETRY
		       : gs == PGW_UNKNOWN ? PS_UNKNOWN
		                           : PS_ERROR;
	}
	if (dbb_customer_put(w->db, w->practice_id, w->client_id, plugin,
	        account, cus.id, w->now) != PS_OK ||
	    dbb_customer_get(w->db, w->practice_id, w->client_id, plugin,
	        account, ref) != PS_OK) {
		log_error(
		    "event=billing_customer_store_failed practice_id=%" PRId64
		    " client_id=%" PRId64 " error=\"%s\"",
		    w->practice_id, w->client_id, db_errmsg(w->db));
		return PS_ERROR;
	}
	return PS_OK;
}

struct save_tx {
	int64_t practice_id, client_id;
	const struct dbb_card *card;
	int make_default;
	int64_t now;
	int64_t setup_id; /* the card setup it completes, or 0 */
	int64_t id;
	struct dbb_card stored;
};

/* Stores a card and, when asked or when the client has no default at the
 * card's processor account, makes it the default there. In a
 * transaction. */
static enum pstatus
store_card(struct db *db, int64_t practice_id, int64_t client_id,
    const struct dbb_card *card, int make_default, int64_t now, int64_t *id)
{
	int has = 0;
	enum pstatus st;

	st = dbb_card_insert(db, practice_id, client_id, card, now, id);
	if (st == PS_OK)
		st = dbb_card_has_default(db, practice_id, client_id,
		    card->plugin, card->account, &has);
	if (st == PS_OK && (make_default || !has))
		st = dbb_card_set_default(db, practice_id, client_id, *id);
	return st;
}

static enum pstatus
save_fn(struct db *db, void *arg)
{
	struct save_tx *t = arg;
	enum pstatus st;

	if ((st = dbb_client_lock(db, t->practice_id, t->client_id)) != PS_OK)
		return st;
	st = store_card(db, t->practice_id, t->client_id, t->card,
	    t->make_default, t->now, &t->id);
	if (st == PS_OK && t->setup_id != 0)
		st = dbb_setup_set(db, t->practice_id, t->client_id,
		    t->setup_id, "succeeded", NULL, t->id, t->now);
	if (st == PS_OK)
		st = dbb_card_get(
		    db, t->practice_id, t->client_id, t->id, &t->stored);
	return st;
}

/* Copies the next action of res into act for attempt or setup id. */
static void
action_of(const struct pgw_result *res, int64_t id, struct bill_action *act)
{
	const struct pgw_next_action *na = &res->action;
	uint32_t n = na->nvalues <= PGW_ACTION_VALUES_MAX ? na->nvalues : 0;

	memset(act, 0, sizeof(*act));
	act->id = id;
	act->type = na->type;
	billing_copy(act->kind, sizeof(act->kind), na->kind);
	billing_copy(act->url, sizeof(act->url), na->url);
	act->nvalues = n;
	memcpy(act->values, na->values, n * sizeof(act->values[0]));
}

/* 1 when res carries a next action the client's page can perform. */
static int
has_action(const struct pgw_result *res)
{
	return res->action.type != PGW_ACTION_NONE &&
	       res->action.ref[0] != '\0';
}

/* The card save's answer gs (res, card) into the client's outcome: a card
 * stored (PS_OK, out), a challenge kept as setup setup_id (PS_OK, act;
 * setup_id 0: a new setup from req is stored), or the refusal (msg). */
static enum pstatus
save_outcome(const struct billing_who *w, const char *plugin,
    const char *account, const struct pgw_save_card_req *req, int make_default,
    int32_t gs, const struct pgw_result *res, const struct pgw_card *card,
    const char *err, int64_t setup_id, struct bill_card *out,
    struct bill_action *act, char *msg, size_t msgsz)
{
	char day[11];
	struct dbb_card k;
	struct dbb_setup su;
	struct save_tx t;
	enum pstatus st;

	switch (gs) {
	case PGW_SUCCEEDED:
		break;
	case PGW_REQUIRES_ACTION:
		if (act != NULL && has_action(res)) {
			if (setup_id == 0) {
				memset(&su, 0, sizeof(su));
				billing_copy(
				    su.plugin, sizeof(su.plugin), plugin);
				billing_copy(
				    su.account, sizeof(su.account), account);
				billing_copy(su.customer_ref,
				    sizeof(su.customer_ref), req->customer_id);
				billing_copy(
				    su.token, sizeof(su.token), req->token);
				billing_copy(su.idempotency_key,
				    sizeof(su.idempotency_key),
				    req->idempotency_key);
				billing_copy(su.action_ref,
				    sizeof(su.action_ref), res->action.ref);
				su.make_default = make_default != 0;
				st = dbb_setup_insert(w->db, w->practice_id,
				    w->client_id, &su, w->now, &setup_id);
			} else
				st = dbb_setup_set(w->db, w->practice_id,
				    w->client_id, setup_id, "requires_action",
				    res->action.ref, 0, w->now);
			if (st != PS_OK) {
				errbuf_set(msg, msgsz,
				    "Your card could not be saved. Please try "
				    "again or contact the practice.");
				return PS_ERROR;
			}
			action_of(res, setup_id, act);
			audit(w, "card.save_requires_action", "setup=%" PRId64,
			    setup_id);
			return PS_OK;
		}
		/* FALLTHROUGH */
	case PGW_DECLINED:
		if (strcmp(res->code, PGW_CODE_TOKEN_INVALID) == 0) {
			/* Not the card's fault nor an outage: the entry is
			 * stale. A client can cause it (a reloaded form), so
			 * a warning, not an error. */
			errbuf_set(msg, msgsz, "%s", MSG_TOKEN_EXPIRED);
			if (setup_id != 0)
				dbb_setup_set(w->db, w->practice_id,
				    w->client_id, setup_id, "failed", NULL, 0,
				    w->now);
			audit(w, "card.save_refused", "code=%s", res->code);
			log_warn("event=card_token_invalid practice_id=%" PRId64
			         " client_id=%" PRId64 " http_status=%d",
			    w->practice_id, w->client_id,
			    (int)res->http_status);
			return PS_INVALID;
		}
		errbuf_set(msg, msgsz, "%s",
		    res->message[0] ? res->message : MSG_DECLINED);
		if (setup_id != 0)
			dbb_setup_set(w->db, w->practice_id, w->client_id,
			    setup_id, "failed", NULL, 0, w->now);
		audit(w, "card.save_declined", "code=%s", res->code);
		return PS_DECLINED;
	case PGW_RETRYABLE:
	case PGW_UNKNOWN:
		errbuf_set(msg, msgsz,
		    "The card processor could not be reached. Please try "
		    "again in a few minutes.");
		audit(w, "card.save_failed", "status=%s", gw_status_str(gs));
		log_warn("event=card_save_failed practice_id=%" PRId64
		         " client_id=%" PRId64 " status=%s error=\"%s\"",
		    w->practice_id, w->client_id, gw_status_str(gs), err);
		return gs == PGW_RETRYABLE ? PS_RETRY : PS_UNKNOWN;
	default:
		errbuf_set(msg, msgsz,
		    "Your card could not be saved. Please "
		    "try again or contact the practice.");
		audit(w, "card.save_failed", "status=%s", gw_status_str(gs));
		log_error("event=card_save_failed practice_id=%" PRId64
		          " client_id=%" PRId64 " status=%s error=\"%s\"",
		    w->practice_id, w->client_id, gw_status_str(gs), err);
		return PS_ERROR;
	}
	memset(&k, 0, sizeof(k));
	billing_copy(k.plugin, sizeof(k.plugin), plugin);
	billing_copy(k.account, sizeof(k.account), account);
	billing_copy(k.customer_ref, sizeof(k.customer_ref), req->customer_id);
	billing_copy(
	    k.processor_pm, sizeof(k.processor_pm), card->payment_method);
	billing_copy(k.brand, sizeof(k.brand), card->brand);
	billing_copy(k.last4, sizeof(k.last4), card->last4);
	k.exp_month = card->exp_month;
	k.exp_year = card->exp_year;
	memset(&t, 0, sizeof(t));
	t.practice_id = w->practice_id;
	t.client_id = w->client_id;
	t.card = &k;
	t.make_default = make_default;
	t.now = w->now;
	t.setup_id = setup_id;
	st = PS_ERROR;
	if (k.processor_pm[0] == '\0' ||
	    (st = db_tx(w->db, save_fn, &t)) != PS_OK) {
		log_error("event=card_store_failed practice_id=%" PRId64
		          " client_id=%" PRId64 " error=\"%s\"",
		    w->practice_id, w->client_id, db_errmsg(w->db));
		errbuf_set(msg, msgsz,
		    "Your card could not be saved. Please "
		    "try again or contact the practice.");
		audit(w, "card.save_failed", "store: %s", pstatus_str(st));
		return PS_ERROR;
	}
	to_card(&t.stored, who_today(w, day), out);
	audit(w, "card.save", "card=%" PRId64 " brand=%s last4=%s default=%d",
	    out->id, out->brand, out->last4, out->is_default);
	return PS_OK;
}

enum pstatus
billing_card_save(const struct billing_who *w, const char *token,
    int make_default, struct bill_card *out, char *msg, size_t msgsz)
{
	return billing_card_save_action(
	    w, token, make_default, out, NULL, msg, msgsz);
}

enum pstatus
billing_card_save_action(const struct billing_who *w, const char *token,
    int make_default, struct bill_card *out, struct bill_action *act, char *msg,
    size_t msgsz)
{
	const struct pgw_plugin *pl;
	struct pgw_save_card_req req;
	struct pgw_card card;
	struct pgw_result res;
	char ref[DBB_REF_MAX + 1], key[BILL_KEY_MAX + 1], rnd[17],
	    hex[CRYPTO_HEX_SIZE], err[256] = "", account[BILL_ACCOUNT_SIZE];
	int32_t gs;
	int tries;
	enum pstatus st = PS_ERROR;

	memset(out, 0, sizeof(*out));
	if (act != NULL)
		memset(act, 0, sizeof(*act));
	errbuf_set(msg, msgsz, "%s", "");
	if (w->gw == NULL || w->practice == NULL ||
	    !w->practice->online_payments) {
		errbuf_set(msg, msgsz, "%s", MSG_OFF);
		audit(w, "card.save_denied", "online payments are off");
		return PS_DENIED;
	}
	if (token == NULL || !token_ok(token)) {
		errbuf_set(msg, msgsz,
		    "The card could not be read. Please "
		    "enter it again.");
		audit(w, "card.save_invalid", "bad token");
		return PS_INVALID;
	}
	pl = gw_instance_plugin(w->gw);
	billing_account(w->gw, account);
	if ((st = ensure_customer(w, pl->name, account, ref)) != PS_OK) {
		errbuf_set(msg, msgsz, "%s",
		    st == PS_ERROR ? "Your card could not be saved. Please "
		                     "try again or contact the practice."
		                   : "The card processor could not be reached. "
		                     "Please try again in a few minutes.");
		audit(w, "card.save_failed", "customer: %s", pstatus_str(st));
		return st;
	}
	/* The key is the token's: a second post of one token (a double
	 * click, a resubmitted form) gets the processor's stored answer,
	 * the same payment method, which dbb_card_insert() finds stored
	 * already, so the card is saved once and the client is told it is
	 * saved. The token's hash, not the token, goes into the key. */
	crypto_sha256_hex(token, strlen(token), hex);
	snprintf(rnd, sizeof(rnd), "%.16s", hex);
	make_key(
	    key, sizeof(key), slug_of(w->practice), "card", w->client_id, rnd);
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.customer_id = ref;
	req.token = token;
	req.idempotency_key = key;
	/* While the first post is still with the processor, a second one
	 * is answered 409 (Stripe idempotency: "request in progress"; the
	 * plugin says UNKNOWN): ask again with the same key, a few seconds
	 * at most, as the pay page does. */
	for (tries = 0;; tries++) {
		memset(&card, 0, sizeof(card));
		memset(&res, 0, sizeof(res));
		gs = gw_save_card(w->gw, &req, &card, &res, err, sizeof(err));
		if (gs != PGW_UNKNOWN || res.http_status != 409 || tries >= 20)
			break;
		usleep(250000);
	}
	return save_outcome(w, pl->name, account, &req, make_default, gs, &res,
	    &card, err, 0, out, act, msg, msgsz);
}

enum pstatus
billing_card_setup_complete(const struct billing_who *w, int64_t setup_id,
    const char *action_result, struct bill_card *out, struct bill_action *act,
    char *msg, size_t msgsz)
{
	struct dbb_setup su;
	struct pgw_save_card_req req;
	struct pgw_complete_req cr;
	struct pgw_card card;
	struct pgw_result res;
	char err[256] = "", account[BILL_ACCOUNT_SIZE];
	int32_t gs;
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	memset(act, 0, sizeof(*act));
	errbuf_set(msg, msgsz, "%s", "");
	if (w->gw == NULL || w->practice == NULL ||
	    !w->practice->online_payments) {
		errbuf_set(msg, msgsz, "%s", MSG_OFF);
		return PS_DENIED;
	}
	billing_account(w->gw, account);
	st = dbb_setup_get(w->db, w->practice_id, w->client_id, setup_id, &su);
	if (st != PS_OK)
		return st == PS_NOTFOUND ? PS_NOTFOUND : PS_ERROR;
	if (strcmp(su.status, "requires_action") != 0 ||
	    strcmp(su.plugin, gw_instance_plugin(w->gw)->name) != 0 ||
	    strcmp(su.account, account) != 0)
		return PS_NOTFOUND;
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.customer_id = su.customer_ref;
	req.token = su.token;
	req.idempotency_key = su.idempotency_key;
	memset(&cr, 0, sizeof(cr));
	cr.size = sizeof(cr);
	cr.ref = su.action_ref;
	cr.action_result =
	    action_result != NULL && action_result[0] ? action_result : NULL;
	cr.save = &req;
	memset(&card, 0, sizeof(card));
	gs = gw_complete_save_card(w->gw, &cr, &card, &res, err, sizeof(err));
	return save_outcome(w, su.plugin, su.account, &req,
	    (int)su.make_default, gs, &res, &card, err, setup_id, out, act, msg,
	    msgsz);
}

struct def_tx {
	int64_t practice_id, client_id, card_id;
};

static enum pstatus
def_fn(struct db *db, void *arg)
{
	struct def_tx *t = arg;
	enum pstatus st;

	if ((st = dbb_client_lock(db, t->practice_id, t->client_id)) != PS_OK)
		return st;
	return dbb_card_set_default(
	    db, t->practice_id, t->client_id, t->card_id);
}

enum pstatus
billing_card_set_default(const struct billing_who *w, int64_t card_id)
{
	struct def_tx t = {w->practice_id, w->client_id, card_id};
	struct dbb_card k;
	char day[11];
	enum pstatus st;

	if (card_id <= 0)
		return PS_NOTFOUND;
	st = dbb_card_get(w->db, w->practice_id, w->client_id, card_id, &k);
	if (st == PS_OK && k.disabled_at == 0 &&
	    billing_card_expired(k.exp_month, k.exp_year, who_today(w, day))) {
		audit(w, "card.default_refused",
		    "card=%" PRId64 " expired %02d/%04d", card_id,
		    (int)k.exp_month, (int)k.exp_year);
		return PS_INVALID;
	}
	if (st != PS_OK && st != PS_NOTFOUND)
		return PS_ERROR;
	st = db_tx(w->db, def_fn, &t);
	if (st == PS_OK)
		audit(w, "card.default", "card=%" PRId64, card_id);
	else if (st == PS_NOTFOUND)
		audit(w, "card.default_refused",
		    "card=%" PRId64 " not the client's", card_id);
	return st == PS_OK || st == PS_NOTFOUND ? st : PS_ERROR;
}

enum pstatus
billing_card_disable(const struct billing_who *w, int64_t card_id)
{
	enum pstatus st;

	if (card_id <= 0)
		return PS_NOTFOUND;
	st = dbb_card_disable(
	    w->db, w->practice_id, w->client_id, card_id, w->now);
	if (st == PS_OK)
		audit(w, "card.disable", "card=%" PRId64, card_id);
	return st == PS_OK || st == PS_NOTFOUND ? st : PS_ERROR;
}

/* ---- payments: applying an outcome (step 3, and reconcile) ---- */

/* The client's unpaid invoices, oldest first. */
struct alloc_ctx {
	struct {
		int64_t id, due;
	} * inv;
	size_t n, cap;
	int nomem;
};

static int
alloc_row(void *arg, const struct dbb_invoice *r)
{
	struct alloc_ctx *x = arg;
	int64_t due = r->total - r->paid;
	void *nu;

	if (due <= 0)
		return 0;
	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 16;
		if ((nu = realloc(x->inv, x->cap * sizeof(*x->inv))) == NULL) {
			x->nomem = 1;
			return 1;
		}
		x->inv = nu;
	}
	x->inv[x->n].id = r->id;
	x->inv[x->n].due = due;
	x->n++;
	return 0;
}

/* Applies amount of payment_id to the client's invoices: the target
 * invoice first (when first), then the others oldest first. In a
 * transaction, the client locked. */
static enum pstatus
allocate(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t payment_id, int64_t first, int64_t amount)
{
	struct alloc_ctx x = {NULL, 0, 0, 0};
	int64_t left = amount, part;
	size_t i;
	int pass;
	enum pstatus st;

	st = dbb_invoice_list(db, practice_id, client_id, 0, alloc_row, &x);
	if (st == PS_OK && x.nomem)
		st = PS_NOMEM;
	for (pass = 0; st == PS_OK && pass < 2 && left > 0; pass++) {
		for (i = 0; st == PS_OK && i < x.n && left > 0; i++) {
			if ((pass == 0) != (x.inv[i].id == first))
				continue;
			part = x.inv[i].due < left ? x.inv[i].due : left;
			if (part <= 0)
				continue;
			st = dbb_allocation_insert(db, practice_id, client_id,
			    payment_id, x.inv[i].id, part);
			x.inv[i].due -= part;
			left -= part;
		}
	}
	if (st == PS_OK && left > 0)
		log_warn("event=payment_unapplied practice_id=%" PRId64
		         " client_id=%" PRId64 " payment_id=%" PRId64
		         " unapplied=%" PRId64,
		    practice_id, client_id, payment_id, left);
	free(x.inv);
	return st;
}

struct apply_tx {
	int64_t practice_id, client_id, attempt_id;
	const struct bill_gw_outcome *o;
	int64_t now;
	/* out */
	struct dbb_attempt a; /* the attempt as it ends */
	char receipt[DBB_NUMBER_MAX + 1];
	int recorded; /* 1: this run recorded the payment */
};

/* Queues the receipt mail of payment pay_id in the payment's transaction
 * (an AutoPay charge's says so); one per payment. */
static enum pstatus
queue_receipt(struct db *db, const struct apply_tx *t, int64_t pay_id)
{
	char key[64];
	struct mail_params p;
	struct mail_new m = {.practice_id = t->practice_id,
	    .client_id = t->client_id,
	    .kind = t->a.off_session ? MAIL_AUTOPAY_PAID : MAIL_RECEIPT,
	    .params = &p,
	    .dedupe_key = key};

	snprintf(key, sizeof(key), "receipt:%" PRId64, pay_id);
	mail_params_init(&p);
	mail_param(&p, "number", "%s", t->receipt);
	mail_param(&p, "amount", "%" PRId64, t->a.amount);
	mail_param(&p, "currency", "%s", t->a.currency);
	return mail_queue(db, &m, t->now, NULL);
}

/* Queues the client's notice of an AutoPay charge that was declined or
 * that needs them to authenticate, with the outcome; one per attempt. */
static enum pstatus
queue_autopay_notice(struct db *db, const struct apply_tx *t, int declined)
{
	char key[64];
	struct mail_params p;
	struct mail_new m = {.practice_id = t->practice_id,
	    .client_id = t->client_id,
	    .kind = declined ? MAIL_AUTOPAY_DECLINED : MAIL_AUTOPAY_ACTION,
	    .params = &p,
	    .dedupe_key = key};

	snprintf(key, sizeof(key), "autopay-outcome:%" PRId64, t->a.id);
	mail_params_init(&p);
	mail_param(&p, "amount", "%" PRId64, t->a.amount);
	mail_param(&p, "currency", "%s", t->a.currency);
	return mail_queue(db, &m, t->now, NULL);
}

static enum pstatus
record_payment(struct db *db, struct apply_tx *t)
{
	const struct pgw_payment *pay = t->o->pay;
	struct dbb_payment p;
	struct dbb_card k, card;
	int64_t pm_id = t->a.payment_method_id, pay_id, seq;
	const char *brand = "", *last4 = "";
	enum pstatus st;

	memset(&card, 0, sizeof(card));
	if (pm_id != 0 && dbb_card_get(db, t->practice_id, t->client_id, pm_id,
	                      &card) == PS_OK) {
		brand = card.brand;
		last4 = card.last4;
	}
	if (!t->o->stored_card && pay != NULL && pay->card.last4[0] != '\0') {
		brand = pay->card.brand;
		last4 = pay->card.last4;
	}
	if (t->a.save_card && pay != NULL &&
	    pay->card.payment_method[0] != '\0') {
		memset(&k, 0, sizeof(k));
		billing_copy(k.plugin, sizeof(k.plugin), t->a.plugin);
		billing_copy(k.account, sizeof(k.account), t->a.account);
		st = dbb_customer_get(db, t->practice_id, t->client_id,
		    t->a.plugin, t->a.account, k.customer_ref);
		if (st != PS_OK && st != PS_NOTFOUND)
			return st;
		billing_copy(k.processor_pm, sizeof(k.processor_pm),
		    pay->card.payment_method);
		billing_copy(k.brand, sizeof(k.brand), pay->card.brand);
		billing_copy(k.last4, sizeof(k.last4), pay->card.last4);
		k.exp_month = pay->card.exp_month;
		k.exp_year = pay->card.exp_year;
		st = store_card(db, t->practice_id, t->client_id, &k,
		    (int)t->a.make_default, t->now, &pm_id);
		if (st != PS_OK)
			return st;
	}
	if (pay != NULL && pay->amount != 0 && pay->amount != t->a.amount)
		log_error("event=payment_amount_mismatch attempt_id=%" PRId64
		          " expected=%" PRId64 " processor=%" PRId64,
		    t->a.id, t->a.amount, pay->amount);
	memset(&p, 0, sizeof(p));
	p.practice_id = t->practice_id;
	p.client_id = t->client_id;
	p.attempt_id = t->a.id;
	p.amount = t->a.amount;
	p.currency = t->a.currency;
	p.processor_ref = pay != NULL && pay->ref[0] ? pay->ref
	                  : t->a.processor_ref[0]    ? t->a.processor_ref
	                                             : t->a.idempotency_key;
	p.payment_method_id = pm_id;
	p.card_brand = brand;
	p.card_last4 = last4;
	p.paid_at = t->now;
	if ((st = dbb_payment_insert(db, &p, &pay_id)) != PS_OK)
		return st;
	st = allocate(db, t->practice_id, t->client_id, pay_id,
	    strcmp(t->a.target, "invoice") == 0 ? t->a.invoice_id : 0,
	    t->a.amount);
	if (st != PS_OK)
		return st;
	if ((st = dbb_next_number(db, t->practice_id, "receipt", &seq)) !=
	    PS_OK)
		return st;
	snprintf(t->receipt, sizeof(t->receipt), "RCT-%06" PRId64, seq);
	if ((st = dbb_receipt_insert(db, t->practice_id, t->client_id, pay_id,
	         t->receipt, t->now)) != PS_OK)
		return st;
	if ((st = queue_receipt(db, t, pay_id)) != PS_OK)
		return st;
	st = dbb_attempt_set_outcome(db, t->a.id, "succeeded",
	    pay != NULL && pay->ref[0] ? pay->ref : NULL, NULL, NULL, t->now);
	t->recorded = st == PS_OK;
	return st;
}

/* 1 when an attempt's status is open (billing_int.h). */
int
billing_is_open(const char *status)
{
	return strcmp(status, "pending") == 0 || strcmp(status, "unknown") == 0;
}

static enum pstatus
apply_fn(struct db *db, void *arg)
{
	struct apply_tx *t = arg;
	const struct bill_gw_outcome *o = t->o;
	const char *ref = o->pay != NULL && o->pay->ref[0] ? o->pay->ref : NULL;
	const char *status = NULL, *msg = NULL, *code = NULL;
	int open;
	enum pstatus st;

	t->receipt[0] = '\0';
	t->recorded = 0;
	if ((st = dbb_client_lock(db, t->practice_id, t->client_id)) != PS_OK)
		return st;
	if ((st = dbb_attempt_get(
	         db, t->practice_id, t->attempt_id, 1, &t->a)) != PS_OK)
		return st;
	if (strcmp(t->a.status, "succeeded") == 0) {
		/* Recorded already (a webhook, reconcile or a replay). */
		dbb_receipt_by_attempt(db, t->a.id, t->receipt);
		return PS_OK;
	}
	/* A completion may settle an attempt waiting for the client. */
	open = billing_is_open(t->a.status) ||
	       (o->completing && strcmp(t->a.status, "requires_action") == 0);
	if (o->gs == PGW_SUCCEEDED) {
		if (!open)
			log_error(
			    "event=payment_late_success attempt_id=%" PRId64
			    " was=%s: the processor charged after the "
			    "attempt was settled; recording the payment",
			    t->a.id, t->a.status);
		if ((st = record_payment(db, t)) != PS_OK)
			return st;
		return dbb_attempt_get(db, t->practice_id, t->a.id, 0, &t->a);
	}
	if (!open)
		return PS_OK; /* settled already; keep that outcome */
	switch (o->gs) {
	case PGW_DECLINED:
		status = "declined";
		code = o->code[0] ? o->code : "declined";
		msg = o->message[0] ? o->message : MSG_DECLINED;
		break;
	case PGW_REQUIRES_ACTION:
		status = "requires_action";
		code = o->code[0] ? o->code : "requires_action";
		msg = o->message[0] ? o->message : MSG_ACTION;
		break;
	case PGW_PENDING:
		status = "pending";
		break;
	case PGW_UNKNOWN:
		status = "unknown";
		break;
	case PGW_NOT_FOUND:
		status = "failed";
		code = "not_found";
		msg = "Nothing was charged.";
		break;
	default: /* RETRYABLE, ERROR: this request did nothing */
		if (o->resumed) {
			/* The attempt's earlier request may have charged. */
			status = "unknown";
			break;
		}
		status = "failed";
		code = o->code[0] ? o->code : "not_processed";
		msg = "Nothing was charged.";
		break;
	}
	st = dbb_attempt_set_outcome(
	    db, t->a.id, status, ref, code, msg, t->now);
	if (st == PS_OK && t->a.off_session &&
	    (o->gs == PGW_DECLINED || o->gs == PGW_REQUIRES_ACTION))
		st = queue_autopay_notice(db, t, o->gs == PGW_DECLINED);
	if (st == PS_OK)
		st = dbb_attempt_get(db, t->practice_id, t->a.id, 0, &t->a);
	return st;
}

/* Fills res from the attempt as stored. */
static void
result_of(struct db *db, const struct dbb_attempt *a, const char *receipt,
    struct bill_pay_result *res)
{
	char amt[64];

	res->attempt_id = a->id;
	res->amount = a->amount;
	res->receipt_number[0] = '\0';
	if (strcmp(a->status, "succeeded") == 0) {
		res->outcome = BILL_PAID;
		if (receipt != NULL && receipt[0] != '\0')
			billing_copy(res->receipt_number,
			    sizeof(res->receipt_number), receipt);
		else {
			char r[DBB_NUMBER_MAX + 1];

			if (dbb_receipt_by_attempt(db, a->id, r) == PS_OK)
				billing_copy(res->receipt_number,
				    sizeof(res->receipt_number), r);
		}
		money_format(a->amount, a->currency, amt, sizeof(amt));
		snprintf(res->message, sizeof(res->message),
		    "Payment of %s received. Thank you.", amt);
	} else if (strcmp(a->status, "declined") == 0 &&
	           strcmp(a->decline_code, PGW_CODE_TOKEN_INVALID) == 0) {
		res->outcome = BILL_TOKEN_EXPIRED;
		billing_copy(
		    res->message, sizeof(res->message), MSG_TOKEN_EXPIRED);
	} else if (strcmp(a->status, "declined") == 0) {
		res->outcome = BILL_DECLINED;
		billing_copy(res->message, sizeof(res->message),
		    a->message[0] ? a->message : MSG_DECLINED);
	} else if (strcmp(a->status, "requires_action") == 0) {
		res->outcome = BILL_REQUIRES_ACTION;
		billing_copy(res->message, sizeof(res->message),
		    a->message[0] ? a->message : MSG_ACTION);
	} else if (strcmp(a->status, "failed") == 0) {
		res->outcome = BILL_UNAVAILABLE;
		billing_copy(
		    res->message, sizeof(res->message), MSG_UNAVAILABLE);
	} else {
		res->outcome = BILL_PROCESSING;
		billing_copy(
		    res->message, sizeof(res->message), MSG_PROCESSING);
	}
}

/* Step 3: records the processor's word on an attempt (billing_int.h). */
enum pstatus
billing_apply_outcome(struct db *db, const struct dbb_attempt *a,
    const struct bill_gw_outcome *o, int64_t now, struct dbb_attempt *end,
    char receipt[DBB_NUMBER_MAX + 1], int *recorded)
{
	struct apply_tx t;
	enum pstatus st;

	memset(&t, 0, sizeof(t));
	t.practice_id = a->practice_id;
	t.client_id = a->client_id;
	t.attempt_id = a->id;
	t.o = o;
	t.now = now;
	st = db_tx(db, apply_fn, &t);
	if (st == PS_OK) {
		*end = t.a;
		billing_copy(receipt, DBB_NUMBER_MAX + 1, t.receipt);
		if (recorded != NULL)
			*recorded = t.recorded;
	}
	return st;
}

static void keep_action(const struct billing_who *w,
    const struct dbb_attempt *end, const struct pgw_result *gr,
    const char *token, struct bill_pay_result *res);

/* ---- payments: steps 1 and 2 ---- */

/* Returns 1 when the payment keeps its new card: "Save card for future
 * payments" or "Make default" (a default card must be a saved one, so
 * ticking it alone saves the card too, as the pay form says). */
static int
keeps_card(const struct bill_pay_req *r)
{
	return r->card_id == 0 && r->token != NULL &&
	       (r->save_card || r->make_default);
}

struct pay_tx {
	const struct billing_who *w;
	const struct bill_pay_req *req;
	const char *plugin;
	const char *account; /* the processor account (billing_account) */
	const char *rnd;
	/* out */
	int replay;  /* the form key had an attempt: a */
	int busy;    /* another attempt is open */
	int foreign; /* the card belongs to another processor account */
	int expired; /* the card is past its expiry month */
	struct dbb_attempt a;
	struct dbb_card card; /* the saved card charged */
	char invoice_number[DBB_NUMBER_MAX + 1];
	int64_t due;
};

struct due_ctx {
	int64_t due;
	int found;
	char number[DBB_NUMBER_MAX + 1];
};

static int
due_row(void *arg, const struct dbb_invoice *r)
{
	struct due_ctx *x = arg;

	if (r->total > r->paid)
		x->due += r->total - r->paid;
	x->found = 1;
	billing_copy(x->number, sizeof(x->number), r->number);
	return 0;
}

static enum pstatus
pay_fn(struct db *db, void *arg)
{
	struct pay_tx *t = arg;
	const struct billing_who *w = t->w;
	const struct bill_pay_req *r = t->req;
	struct due_ctx d;
	int64_t open = 0;
	char day[11];
	enum pstatus st;

	t->replay = t->busy = t->foreign = t->expired = 0;
	t->due = 0;
	memset(&t->a, 0, sizeof(t->a));
	if ((st = dbb_client_lock(db, w->practice_id, w->client_id)) != PS_OK)
		return st;
	if (r->form_key != NULL) {
		st = dbb_attempt_by_form(
		    db, w->practice_id, w->client_id, r->form_key, &t->a);
		if (st == PS_OK) {
			t->replay = 1;
			return PS_OK;
		}
		if (st != PS_NOTFOUND)
			return st;
	}
	if ((st = dbb_attempt_open_count(
	         db, w->practice_id, w->client_id, &open)) != PS_OK)
		return st;
	if (open > 0) {
		t->busy = 1;
		return PS_CONFLICT;
	}
	memset(&d, 0, sizeof(d));
	st = dbb_invoice_list(db, w->practice_id, w->client_id,
	    r->target == BILL_INVOICE ? r->invoice_id : 0, due_row, &d);
	if (st != PS_OK)
		return st;
	if (r->target == BILL_INVOICE && !d.found)
		return PS_NOTFOUND;
	if (r->target == BILL_INVOICE)
		billing_copy(
		    t->invoice_number, sizeof(t->invoice_number), d.number);
	t->due = d.due;
	if (d.due <= 0 || r->amount != d.due)
		return PS_INVALID;
	memset(&t->card, 0, sizeof(t->card));
	if (r->card_id != 0) {
		st = dbb_card_get(
		    db, w->practice_id, w->client_id, r->card_id, &t->card);
		if (st != PS_OK)
			return st;
		if (t->card.disabled_at != 0)
			return PS_NOTFOUND;
		if (strcmp(t->card.plugin, t->plugin) != 0 ||
		    (t->card.account[0] != '\0' &&
		        strcmp(t->card.account, t->account) != 0)) {
			/* Its token is valid only at the processor account
			 * it was saved with: never charged here. */
			t->foreign = 1;
			return PS_INVALID;
		}
		if (billing_card_expired(t->card.exp_month, t->card.exp_year,
		        who_today(w, day))) {
			t->expired = 1;
			return PS_INVALID;
		}
	}
	t->a.practice_id = w->practice_id;
	t->a.client_id = w->client_id;
	t->a.user_id = w->user_id;
	billing_copy(t->a.form_key, sizeof(t->a.form_key),
	    r->form_key ? r->form_key : "");
	billing_copy(t->a.target, sizeof(t->a.target),
	    r->target == BILL_INVOICE ? "invoice" : "balance");
	t->a.invoice_id = r->target == BILL_INVOICE ? r->invoice_id : 0;
	t->a.amount = r->amount;
	billing_copy(t->a.currency, sizeof(t->a.currency),
	    billing_currency(w->practice));
	billing_copy(t->a.plugin, sizeof(t->a.plugin), t->plugin);
	billing_copy(t->a.account, sizeof(t->a.account), t->account);
	billing_copy(
	    t->a.source, sizeof(t->a.source), r->card_id ? "card" : "token");
	t->a.payment_method_id = r->card_id;
	t->a.save_card = keeps_card(r);
	t->a.make_default = t->a.save_card && r->make_default;
	t->a.off_session = r->off_session != 0;
	return billing_attempt_insert(
	    db, w->practice, &t->a, "att", 0, t->rnd, w->now);
}

/* Step 1's insert of an attempt and its key (billing_int.h). */
enum pstatus
billing_attempt_insert(struct db *db, const struct practice_conf *pc,
    struct dbb_attempt *a, const char *what, int64_t key_id, const char *rnd,
    int64_t now)
{
	char key[BILL_KEY_MAX + 1];
	int64_t id = 0;
	enum pstatus st;

	if ((st = dbb_attempt_insert(db, a, now, &id)) != PS_OK)
		return st;
	make_key(
	    key, sizeof(key), slug_of(pc), what, key_id ? key_id : id, rnd);
	if ((st = dbb_attempt_set_key(db, id, key)) != PS_OK)
		return st;
	a->id = id;
	billing_copy(a->idempotency_key, sizeof(a->idempotency_key), key);
	billing_copy(a->status, sizeof(a->status), "pending");
	a->created_at = a->updated_at = now;
	return PS_OK;
}

/* Sleeps ms milliseconds (billing_int.h). */
void
billing_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* A resubmitted form: waits a little while its first submission is still
 * being charged, then answers with that attempt's result. */
static enum pstatus
replay(const struct billing_who *w, const struct bill_pay_req *req,
    struct dbb_attempt *a, struct bill_pay_result *res)
{
	long waited = 0;

	while (strcmp(a->status, "pending") == 0 && waited < REPLAY_WAIT_MS) {
		billing_sleep_ms(REPLAY_STEP_MS);
		waited += REPLAY_STEP_MS;
		if (dbb_attempt_by_form(w->db, w->practice_id, w->client_id,
		        req->form_key, a) != PS_OK)
			break;
	}
	result_of(w->db, a, NULL, res);
	res->replay = 1;
	audit(w, "payment.replay", "attempt=%" PRId64 " status=%s", a->id,
	    a->status);
	return PS_OK;
}

enum pstatus
billing_pay(const struct billing_who *w, const struct bill_pay_req *req,
    struct bill_pay_result *res)
{
	const struct pgw_plugin *pl;
	struct pay_tx t;
	struct pgw_charge_req cr;
	struct pgw_payment pay;
	struct pgw_result gr;
	struct bill_gw_outcome o;
	struct dbb_attempt end;
	char rnd[17], ref[DBB_REF_MAX + 1] = "", desc[256], amt[64],
	                                account[BILL_ACCOUNT_SIZE],
	                                receipt[DBB_NUMBER_MAX + 1] = "",
	                                err[512] = "";
	int has_token = req->token != NULL && req->token[0] != '\0';
	int32_t gs;
	enum pstatus st;

	memset(res, 0, sizeof(*res));
	memset(&t, 0, sizeof(t));
	if (w->gw == NULL || w->practice == NULL ||
	    !w->practice->online_payments) {
		billing_copy(res->message, sizeof(res->message), MSG_OFF);
		audit(w, "payment.denied", "online payments are off");
		return PS_DENIED;
	}
	if ((req->card_id != 0) == has_token || req->card_id < 0 ||
	    (has_token && !token_ok(req->token)) ||
	    (req->form_key != NULL && !form_key_ok(req->form_key)) ||
	    (req->target != BILL_BALANCE && req->target != BILL_INVOICE) ||
	    (req->target == BILL_INVOICE && req->invoice_id <= 0) ||
	    req->amount <= 0) {
		billing_copy(res->message, sizeof(res->message),
		    "The payment request was not understood. Please start "
		    "again from Billing & Payments.");
		audit(w, "payment.refused", "malformed request");
		return PS_INVALID;
	}
	pl = gw_instance_plugin(w->gw);
	billing_account(w->gw, account);
	/* A new card kept for later needs the processor customer first
	 * (a network call, so not inside the transaction). */
	if (has_token && keeps_card(req) &&
	    (st = ensure_customer(w, pl->name, account, ref)) != PS_OK) {
		res->outcome = BILL_UNAVAILABLE;
		billing_copy(
		    res->message, sizeof(res->message), MSG_UNAVAILABLE);
		audit(
		    w, "payment.unavailable", "customer: %s", pstatus_str(st));
		return PS_OK;
	}
	if (rand_hex(rnd, 4) != PS_OK)
		return PS_ERROR;

	/* Step 1: check and commit the attempt with its key. */
	t.w = w;
	t.req = req;
	t.plugin = pl->name;
	t.account = account;
	t.rnd = rnd;
	st = db_tx(w->db, pay_fn, &t);
	if (st == PS_CONFLICT && !t.busy && req->form_key != NULL &&
	    dbb_attempt_by_form(w->db, w->practice_id, w->client_id,
	        req->form_key, &t.a) == PS_OK) {
		t.replay = 1; /* lost a race for the form key */
		st = PS_OK;
	}
	if (st == PS_OK && t.replay)
		return replay(w, req, &t.a, res);
	if (st != PS_OK) {
		switch (st) {
		case PS_CONFLICT:
			billing_copy(res->message, sizeof(res->message),
			    "Another payment is being processed. Please wait "
			    "a moment before paying again.");
			audit(w, "payment.refused", "another attempt is open");
			return PS_CONFLICT;
		case PS_NOTFOUND:
			billing_copy(res->message, sizeof(res->message),
			    "That invoice or card was not found.");
			audit(w, "payment.refused",
			    "invoice=%" PRId64 " card=%" PRId64
			    " not the client's",
			    req->invoice_id, req->card_id);
			return PS_NOTFOUND;
		case PS_INVALID:
			if (t.foreign) {
				billing_copy(res->message, sizeof(res->message),
				    BILL_MSG_CARD_ELSEWHERE);
				audit(w, "payment.refused",
				    "card=%" PRId64 " belongs to another "
				    "processor account",
				    req->card_id);
				return PS_INVALID;
			}
			if (t.expired) {
				billing_copy(res->message, sizeof(res->message),
				    BILL_MSG_CARD_EXPIRED);
				audit(w, "payment.refused",
				    "card=%" PRId64 " expired %02d/%04d",
				    req->card_id, (int)t.card.exp_month,
				    (int)t.card.exp_year);
				return PS_INVALID;
			}
			if (t.due <= 0)
				billing_copy(res->message, sizeof(res->message),
				    "Nothing is due.");
			else {
				money_format(t.due,
				    billing_currency(w->practice), amt,
				    sizeof(amt));
				snprintf(res->message, sizeof(res->message),
				    "The amount must be the full amount due, "
				    "%s. Partial payments are not accepted.",
				    amt);
			}
			audit(w, "payment.refused",
			    "amount=%" PRId64 " due=%" PRId64, req->amount,
			    t.due);
			return PS_INVALID;
		default:
			log_error(
			    "event=payment_step1_failed practice_id=%" PRId64
			    " client_id=%" PRId64 " error=\"%s\"",
			    w->practice_id, w->client_id, db_errmsg(w->db));
			billing_copy(res->message, sizeof(res->message),
			    "The payment could not be started. Nothing was "
			    "charged. Please try again.");
			return PS_ERROR;
		}
	}
	audit(w, "payment.attempt",
	    "attempt=%" PRId64 " amount=%" PRId64 " target=%s invoice=%" PRId64
	    " source=%s card=%" PRId64,
	    t.a.id, t.a.amount, t.a.target, t.a.invoice_id, t.a.source,
	    t.a.payment_method_id);

	/* Step 2: the processor, with the attempt's key. */
	if (t.invoice_number[0] != '\0')
		snprintf(desc, sizeof(desc), "%s invoice %s",
		    w->practice->name ? w->practice->name : "Payment",
		    t.invoice_number);
	else
		snprintf(desc, sizeof(desc), "%s balance",
		    w->practice->name ? w->practice->name : "Payment");
	memset(&cr, 0, sizeof(cr));
	cr.size = sizeof(cr);
	cr.amount = t.a.amount;
	cr.currency = t.a.currency;
	cr.idempotency_key = t.a.idempotency_key;
	if (req->card_id != 0) {
		cr.customer_id =
		    t.card.customer_ref[0] ? t.card.customer_ref : NULL;
		cr.payment_method = t.card.processor_pm;
	} else {
		cr.token = req->token;
		if (t.a.save_card) {
			cr.customer_id = ref;
			cr.save_card = 1;
		}
	}
	cr.off_session = req->off_session != 0;
	cr.description = desc;
	memset(&pay, 0, sizeof(pay));
	gs = gw_charge(w->gw, &cr, &pay, &gr, err, sizeof(err));
	if (gs != PGW_SUCCEEDED)
		log_info("event=payment_charge attempt_id=%" PRId64
		         " status=%s code=%s error=\"%s\"",
		    t.a.id, gw_status_str(gs), gr.code, err);

	/* Step 3: record the outcome (and the payment) in one
	 * transaction. */
	memset(&o, 0, sizeof(o));
	o.gs = gs == PGW_NOT_FOUND ? PGW_ERROR : gs;
	o.pay = &pay;
	o.code = gr.code;
	o.message = gr.message;
	st =
	    billing_apply_outcome(w->db, &t.a, &o, w->now, &end, receipt, NULL);
	if (st != PS_OK) {
		/* The attempt stays 'pending': reconcile settles it. */
		log_error("event=payment_step3_failed attempt_id=%" PRId64
		          " gateway=%s error=\"%s\"",
		    t.a.id, gw_status_str(gs), db_errmsg(w->db));
		res->outcome = BILL_PROCESSING;
		res->attempt_id = t.a.id;
		res->amount = t.a.amount;
		billing_copy(
		    res->message, sizeof(res->message), MSG_PROCESSING);
		audit(w, "payment.processing",
		    "attempt=%" PRId64 " gateway=%s not recorded", t.a.id,
		    gw_status_str(gs));
		return PS_OK;
	}
	result_of(w->db, &end, receipt, res);
	if (gs == PGW_RETRYABLE || gs == PGW_ERROR)
		res->outcome = BILL_UNAVAILABLE;
	keep_action(w, &end, &gr, req->token, res);
	audit(w,
	    res->outcome == BILL_PAID              ? "payment.succeeded"
	    : res->outcome == BILL_DECLINED        ? "payment.declined"
	    : res->outcome == BILL_TOKEN_EXPIRED   ? "payment.token_expired"
	    : res->outcome == BILL_REQUIRES_ACTION ? "payment.requires_action"
	    : res->outcome == BILL_PROCESSING      ? "payment.processing"
	                                           : "payment.failed",
	    "attempt=%" PRId64 " amount=%" PRId64 " status=%s code=%s%s%s",
	    end.id, end.amount, end.status, end.decline_code,
	    res->receipt_number[0] ? " receipt=" : "", res->receipt_number);
	return PS_OK;
}

/* ---- completing a payment that needs the client (3-D Secure) ---- */

/* An attempt that ends requires_action with a next action keeps what
 * completing it needs (the processor object; a one-time token) and the
 * page gets the action. */
static void
keep_action(const struct billing_who *w, const struct dbb_attempt *end,
    const struct pgw_result *gr, const char *token, struct bill_pay_result *res)
{
	if (res->outcome != BILL_REQUIRES_ACTION || !has_action(gr))
		return;
	if (dbb_attempt_set_action(w->db, end->id, gr->action.ref,
	        token != NULL && token[0] ? token : NULL) != PS_OK) {
		log_error(
		    "event=payment_action_store_failed attempt_id=%" PRId64
		    " error=\"%s\"",
		    end->id, db_errmsg(w->db));
		return;
	}
	action_of(gr, end->id, &res->action);
}

/* The attempt's charge request as first sent (same amount, currency,
 * source, key and description), into cr; strings live in a, k, desc. */
static enum pstatus
original_charge(const struct billing_who *w, const struct dbb_attempt *a,
    struct dbb_card *k, char *cus, char *desc, size_t descsz,
    struct pgw_charge_req *cr)
{
	char num[DBB_NUMBER_MAX + 1] = "";
	struct due_ctx d;
	const char *name = w->practice != NULL && w->practice->name != NULL
	                       ? w->practice->name
	                       : NULL;
	enum pstatus st;

	memset(cr, 0, sizeof(*cr));
	cr->size = sizeof(*cr);
	cr->amount = a->amount;
	cr->currency = a->currency;
	cr->idempotency_key = a->idempotency_key;
	cr->off_session = a->off_session != 0;
	cus[0] = '\0';
	if (strcmp(a->source, "card") == 0) {
		st = dbb_card_get(w->db, w->practice_id, w->client_id,
		    a->payment_method_id, k);
		if (st != PS_OK)
			return st;
		cr->customer_id = k->customer_ref[0] ? k->customer_ref : NULL;
		cr->payment_method = k->processor_pm;
	} else {
		if (a->token[0] == '\0')
			return PS_NOTFOUND;
		cr->token = a->token;
		if (a->save_card) {
			st = dbb_customer_get(w->db, w->practice_id,
			    w->client_id, a->plugin, a->account, cus);
			if (st != PS_OK)
				return st;
			cr->customer_id = cus;
			cr->save_card = 1;
		}
	}
	if (a->off_session)
		snprintf(desc, descsz, "%s AutoPay balance",
		    name ? name : "Practice");
	else {
		if (strcmp(a->target, "invoice") == 0) {
			memset(&d, 0, sizeof(d));
			if (dbb_invoice_list(w->db, w->practice_id,
			        w->client_id, a->invoice_id, due_row,
			        &d) == PS_OK)
				billing_copy(num, sizeof(num), d.number);
		}
		if (num[0] != '\0')
			snprintf(desc, descsz, "%s invoice %s",
			    name ? name : "Payment", num);
		else
			snprintf(desc, descsz, "%s balance",
			    name ? name : "Payment");
	}
	cr->description = desc;
	return PS_OK;
}

/* Loads attempt_id of the client waiting for the client's action at the
 * current processor account. PS_OK, PS_NOTFOUND, PS_DENIED, PS_ERROR. */
static enum pstatus
waiting_attempt(
    const struct billing_who *w, int64_t attempt_id, struct dbb_attempt *a)
{
	char account[BILL_ACCOUNT_SIZE];
	enum pstatus st;

	if (w->gw == NULL || w->practice == NULL ||
	    !w->practice->online_payments)
		return PS_DENIED;
	st = dbb_attempt_get(w->db, w->practice_id, attempt_id, 0, a);
	if (st != PS_OK)
		return st == PS_NOTFOUND ? PS_NOTFOUND : PS_ERROR;
	billing_account(w->gw, account);
	if (a->client_id != w->client_id ||
	    strcmp(a->plugin, gw_instance_plugin(w->gw)->name) != 0 ||
	    (a->account[0] != '\0' && strcmp(a->account, account) != 0))
		return PS_NOTFOUND;
	return PS_OK;
}

/* Records the processor's word gs on attempt a (a completion) and fills
 * res, with the next action when there is one. */
static enum pstatus
complete_outcome(const struct billing_who *w, const struct dbb_attempt *a,
    int32_t gs, const struct pgw_payment *pay, const struct pgw_result *gr,
    struct bill_pay_result *res)
{
	struct bill_gw_outcome o;
	struct dbb_attempt end;
	char receipt[DBB_NUMBER_MAX + 1] = "";
	enum pstatus st;

	memset(&o, 0, sizeof(o));
	o.gs = gs == PGW_NOT_FOUND ? PGW_ERROR : gs;
	o.pay = pay;
	o.code = pay->decline_code[0] ? pay->decline_code : gr->code;
	o.message = gr->message;
	o.completing = 1;
	o.stored_card = strcmp(a->source, "card") == 0;
	/* RETRYABLE/ERROR/UNKNOWN: the attempt waits as it is. */
	if (gs == PGW_RETRYABLE || gs == PGW_ERROR || gs == PGW_UNKNOWN ||
	    gs == PGW_NOT_FOUND) {
		result_of(w->db, a, NULL, res);
		res->outcome = BILL_UNAVAILABLE;
		billing_copy(
		    res->message, sizeof(res->message), MSG_UNAVAILABLE);
		return PS_OK;
	}
	st = billing_apply_outcome(w->db, a, &o, w->now, &end, receipt, NULL);
	if (st != PS_OK) {
		log_error(
		    "event=payment_complete_record_failed attempt_id=%" PRId64
		    " gateway=%s error=\"%s\"",
		    a->id, gw_status_str(gs), db_errmsg(w->db));
		return PS_ERROR;
	}
	result_of(w->db, &end, receipt, res);
	keep_action(w, &end, gr, NULL, res);
	audit(w,
	    res->outcome == BILL_PAID       ? "payment.succeeded"
	    : res->outcome == BILL_DECLINED ? "payment.declined"
	                                    : "payment.requires_action",
	    "attempt=%" PRId64 " completed status=%s%s%s", end.id, end.status,
	    res->receipt_number[0] ? " receipt=" : "", res->receipt_number);
	return PS_OK;
}

/* Asks the processor to complete attempt a with action_result (NULL: to
 * learn its state and next action). */
static enum pstatus
complete_attempt(const struct billing_who *w, const struct dbb_attempt *a,
    const char *action_result, struct bill_pay_result *res)
{
	struct pgw_charge_req cr;
	struct pgw_complete_req q;
	struct pgw_payment pay;
	struct pgw_result gr;
	struct dbb_card k;
	char cus[DBB_REF_MAX + 1], desc[256], err[512] = "";
	int32_t gs;
	enum pstatus st;

	memset(&k, 0, sizeof(k));
	st = original_charge(w, a, &k, cus, desc, sizeof(desc), &cr);
	if (st != PS_OK)
		return st == PS_NOTFOUND ? PS_NOTFOUND : PS_ERROR;
	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.ref = a->action_ref[0] ? a->action_ref : a->processor_ref;
	q.action_result =
	    action_result != NULL && action_result[0] ? action_result : NULL;
	q.charge = &cr;
	memset(&pay, 0, sizeof(pay));
	gs = gw_complete_charge(w->gw, &q, &pay, &gr, err, sizeof(err));
	if (gs != PGW_SUCCEEDED)
		log_info("event=payment_complete attempt_id=%" PRId64
		         " status=%s code=%s error=\"%s\"",
		    a->id, gw_status_str(gs), gr.code, err);
	return complete_outcome(w, a, gs, &pay, &gr, res);
}

enum pstatus
billing_pay_action(const struct billing_who *w, int64_t attempt_id,
    struct bill_pay_result *res)
{
	struct dbb_attempt a;
	struct pgw_lookup_req lr;
	struct pgw_payment pay;
	struct pgw_result gr;
	char err[512] = "";
	int32_t gs;
	enum pstatus st;

	memset(res, 0, sizeof(*res));
	if ((st = waiting_attempt(w, attempt_id, &a)) != PS_OK)
		return st;
	if (strcmp(a.status, "requires_action") != 0) {
		result_of(w->db, &a, NULL, res);
		return PS_OK;
	}
	/* The processor's current word first (the AutoPay path of
	 * gateway.h: lookup gives the on-session action). */
	memset(&lr, 0, sizeof(lr));
	lr.size = sizeof(lr);
	lr.idempotency_key = a.idempotency_key;
	lr.payment_ref = a.processor_ref[0] ? a.processor_ref : NULL;
	memset(&pay, 0, sizeof(pay));
	gs = gw_lookup(w->gw, &lr, &pay, &gr, err, sizeof(err));
	if (gs == PGW_SUCCEEDED ||
	    (gs == PGW_REQUIRES_ACTION && has_action(&gr)))
		return complete_outcome(w, &a, gs, &pay, &gr, res);
	return complete_attempt(w, &a, NULL, res);
}

enum pstatus
billing_pay_complete(const struct billing_who *w, int64_t attempt_id,
    const char *action_result, struct bill_pay_result *res)
{
	struct dbb_attempt a;
	enum pstatus st;

	memset(res, 0, sizeof(*res));
	if ((st = waiting_attempt(w, attempt_id, &a)) != PS_OK)
		return st;
	if (strcmp(a.status, "requires_action") != 0) {
		/* Settled already (a second submit, a webhook). */
		result_of(w->db, &a, NULL, res);
		res->replay = 1;
		return PS_OK;
	}
	return complete_attempt(w, &a, action_result, res);
}

/* ---- reconcile ---- */

struct ids {
	int64_t *v;
	size_t n, cap;
	int nomem;
};

static int
ids_add(void *arg, int64_t id)
{
	struct ids *x = arg;
	int64_t *nu;

	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 16;
		if ((nu = realloc(x->v, x->cap * sizeof(*nu))) == NULL) {
			x->nomem = 1;
			return 1;
		}
		x->v = nu;
	}
	x->v[x->n++] = id;
	return 0;
}

enum pstatus
billing_reconcile(struct db *db, const struct practice_conf *practice,
    int64_t practice_id, struct gw_instance *gw, int64_t now, int64_t min_age,
    FILE *report, int *resolved, int *left)
{
	struct ids x = {NULL, 0, 0, 0};
	const struct pgw_plugin *pl = gw ? gw_instance_plugin(gw) : NULL;
	int nres = 0, nleft = 0;
	size_t i;
	enum pstatus st;

	if (resolved != NULL)
		*resolved = 0;
	if (left != NULL)
		*left = 0;
	st = dbb_attempt_stale(db, practice_id, now - min_age, ids_add, &x);
	if (st == PS_OK && x.nomem)
		st = PS_NOMEM;
	if (st != PS_OK) {
		free(x.v);
		return PS_ERROR;
	}
	for (i = 0; i < x.n; i++) {
		struct dbb_attempt a, end;
		struct pgw_lookup_req lr;
		struct pgw_payment pay;
		struct pgw_result gr;
		struct bill_gw_outcome o;
		char err[512] = "", receipt[DBB_NUMBER_MAX + 1] = "", amt[64];
		int32_t gs;
		int recorded = 0;
		struct billing_who w;

		if (dbb_attempt_get(db, practice_id, x.v[i], 0, &a) != PS_OK ||
		    !billing_is_open(a.status))
			continue;
		money_format(a.amount, a.currency, amt, sizeof(amt));
		if (pl == NULL || strcmp(pl->name, a.plugin) != 0) {
			nleft++;
			if (report != NULL)
				fprintf(report,
				    "attempt %" PRId64 " (client %" PRId64
				    ", %s): left %s: processor %s is not "
				    "loaded\n",
				    a.id, a.client_id, amt, a.status, a.plugin);
			continue;
		}
		memset(&lr, 0, sizeof(lr));
		lr.size = sizeof(lr);
		lr.idempotency_key = a.idempotency_key;
		lr.payment_ref = a.processor_ref[0] ? a.processor_ref : NULL;
		memset(&pay, 0, sizeof(pay));
		gs = gw_lookup(gw, &lr, &pay, &gr, err, sizeof(err));
		if (gs == PGW_RETRYABLE || gs == PGW_UNKNOWN ||
		    gs == PGW_ERROR || a.idempotency_key[0] == '\0') {
			nleft++;
			if (report != NULL)
				fprintf(report,
				    "attempt %" PRId64 " (client %" PRId64
				    ", %s): left %s: lookup %s: %s\n",
				    a.id, a.client_id, amt, a.status,
				    gw_status_str(gs), err);
			continue;
		}
		memset(&o, 0, sizeof(o));
		o.gs = gs;
		o.pay = &pay;
		o.code = pay.decline_code[0] ? pay.decline_code : gr.code;
		o.message = gr.message;
		st = billing_apply_outcome(
		    db, &a, &o, now, &end, receipt, &recorded);
		if (st != PS_OK) {
			nleft++;
			if (report != NULL)
				fprintf(report,
				    "attempt %" PRId64 " (client %" PRId64
				    ", %s): left %s: cannot record: %s\n",
				    a.id, a.client_id, amt, a.status,
				    db_errmsg(db));
			continue;
		}
		if (billing_is_open(end.status))
			nleft++;
		else
			nres++;
		if (report != NULL)
			fprintf(report,
			    "attempt %" PRId64 " (client %" PRId64
			    ", %s): processor says %s -> %s%s%s\n",
			    a.id, a.client_id, amt, gw_status_str(gs),
			    end.status, receipt[0] ? ", receipt " : "",
			    receipt);
		memset(&w, 0, sizeof(w));
		w.db = db;
		w.practice = practice;
		w.practice_id = practice_id;
		w.client_id = a.client_id;
		w.actor = DB_ACTOR_SYSTEM;
		w.now = now;
		audit(&w, "payment.reconcile",
		    "attempt=%" PRId64 " lookup=%s status=%s%s%s", a.id,
		    gw_status_str(gs), end.status,
		    receipt[0] ? " receipt=" : "", receipt);
	}
	free(x.v);
	if (resolved != NULL)
		*resolved = nres;
	if (left != NULL)
		*left = nleft;
	return PS_OK;
}

/* ---- webhooks ---- */

enum pstatus
billing_webhook(struct db *db, const struct practice_conf *practice,
    int64_t practice_id, struct gw_instance *gw, const char *body,
    size_t body_len, const struct pgw_http_header *headers, size_t nheaders,
    int64_t now, const char **what)
{
	const struct pgw_plugin *pl;
	struct pgw_webhook_req wr;
	struct pgw_event ev;
	struct pgw_lookup_req lr;
	struct pgw_payment pay;
	struct pgw_result gr;
	struct dbb_attempt a, end;
	struct bill_gw_outcome o;
	struct billing_who w;
	char err[512] = "", receipt[DBB_NUMBER_MAX + 1] = "";
	int32_t gs;
	int seen = 0;
	int64_t attempt_id = 0;
	enum pstatus st;
	const char *dummy;

	if (what == NULL)
		what = &dummy;
	*what = "error";
	if (gw == NULL) {
		*what = "no processor";
		return PS_RETRY;
	}
	pl = gw_instance_plugin(gw);
	memset(&wr, 0, sizeof(wr));
	wr.size = sizeof(wr);
	wr.body = body;
	wr.body_len = body_len;
	wr.headers = headers;
	wr.nheaders = nheaders;
	memset(&ev, 0, sizeof(ev));
	gs = gw_webhook(gw, &wr, &ev, &gr, err, sizeof(err));
	if (gs != PGW_SUCCEEDED || ev.id[0] == '\0') {
		log_warn("event=webhook_refused practice_id=%" PRId64
		         " status=%s code=%s error=\"%s\"",
		    practice_id, gw_status_str(gs), gr.code, err);
		*what = "signature or payload refused";
		return gs == PGW_RETRYABLE ? PS_RETRY : PS_DENIED;
	}
	if (dbb_event_seen(db, practice_id, pl->name, ev.id, &seen) != PS_OK)
		return PS_RETRY;
	if (seen) {
		*what = "duplicate";
		return PS_OK;
	}
	*what = "ignored";
	if ((ev.type == PGW_EVENT_PAYMENT_SUCCEEDED ||
	        ev.type == PGW_EVENT_PAYMENT_FAILED ||
	        ev.type == PGW_EVENT_PAYMENT_PENDING) &&
	    ev.payment_ref[0] != '\0') {
		/* The processor's current word, not the event's: events come
		 * out of order. */
		memset(&lr, 0, sizeof(lr));
		lr.size = sizeof(lr);
		lr.payment_ref = ev.payment_ref;
		memset(&pay, 0, sizeof(pay));
		gs = gw_lookup(gw, &lr, &pay, &gr, err, sizeof(err));
		if (gs == PGW_RETRYABLE || gs == PGW_UNKNOWN ||
		    gs == PGW_ERROR) {
			log_warn(
			    "event=webhook_lookup_failed practice_id=%" PRId64
			    " status=%s error=\"%s\"",
			    practice_id, gw_status_str(gs), err);
			*what = "lookup failed";
			return PS_RETRY;
		}
		st = pay.idempotency_key[0] != '\0'
		         ? dbb_attempt_by_key(
		               db, practice_id, pay.idempotency_key, &a)
		         : PS_NOTFOUND;
		if (st != PS_OK && st != PS_NOTFOUND)
			return PS_RETRY;
		if (st == PS_OK && gs != PGW_NOT_FOUND &&
		    strcmp(a.plugin, pl->name) == 0) {
			attempt_id = a.id;
			memset(&o, 0, sizeof(o));
			o.gs = gs;
			o.pay = &pay;
			o.code =
			    pay.decline_code[0] ? pay.decline_code : gr.code;
			o.message = gr.message;
			if (billing_apply_outcome(db, &a, &o, now, &end,
			        receipt, NULL) != PS_OK) {
				log_error(
				    "event=webhook_apply_failed attempt_id=%" PRId64
				    " error=\"%s\"",
				    a.id, db_errmsg(db));
				*what = "not recorded";
				return PS_RETRY;
			}
			*what = end.status;
			memset(&w, 0, sizeof(w));
			w.db = db;
			w.practice = practice;
			w.practice_id = practice_id;
			w.client_id = a.client_id;
			w.actor = DB_ACTOR_SYSTEM;
			w.now = now;
			if (strcmp(a.status, end.status) != 0)
				audit(&w, "payment.webhook",
				    "attempt=%" PRId64
				    " event=%s status=%s%s%s",
				    a.id, ev.type_name, end.status,
				    receipt[0] ? " receipt=" : "", receipt);
		}
	}
	st = dbb_event_insert(db, practice_id, pl->name, ev.id, ev.type_name,
	    ev.payment_ref[0] ? ev.payment_ref : NULL, attempt_id, now);
	if (st == PS_CONFLICT)
		st = PS_OK; /* a concurrent delivery of the same event */
	return st == PS_OK ? PS_OK : PS_RETRY;
}
