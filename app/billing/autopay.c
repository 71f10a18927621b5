/* autopay.c: AutoPay (autopay.h): enrollment, the client's notice, the
 * night window, the batch with its pool of workers, and the report. */
#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "billing/autopay.h"
#include "billing/billing_int.h"
#include "mail/mail.h"
#include "db/db_autopay.h"
#include "db/db_billing.h"
#include "gw/gw.h"

/* Tries of a charge the processor did not take (RETRYABLE), same key. */
#define AP_TRIES 3

/* ---- small helpers ---- */

/* The display form of a card brand ("visa" -> "Visa"). */
static void
brand_name(const char *b, char *out, size_t outsz)
{
	static const struct {
		const char *id, *name;
	} names[] = {{"visa", "Visa"}, {"mastercard", "Mastercard"},
	    {"amex", "American Express"},
	    {"american_express", "American Express"}, {"discover", "Discover"},
	    {"jcb", "JCB"}, {"diners", "Diners Club"},
	    {"unionpay", "UnionPay"}};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(b, names[i].id) == 0) {
			billing_copy(out, outsz, names[i].name);
			return;
		}
	billing_copy(out, outsz, b[0] ? b : "Card");
	if (out[0] != '\0')
		out[0] = (char)toupper((unsigned char)out[0]);
}

static void audit(struct db *db, int64_t practice_id, int64_t client_id,
    enum db_actor actor, const char *action, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Writes an audit row; a failure is logged (the money rows are the
 * record, the audit row the trail). */
static void
audit(struct db *db, int64_t practice_id, int64_t client_id,
    enum db_actor actor, const char *action, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (db_audit(db, practice_id, client_id, 0, actor, action, detail,
	        NULL) != PS_OK)
		log_error("event=audit_failed action=%s practice_id=%" PRId64
		          " client_id=%" PRId64 " error=\"%s\"",
		    action, practice_id, client_id, db_errmsg(db));
}

/* The client's default usable card at one processor account (each
 * account keeps its own default). */
struct card_pick {
	const char *plugin;  /* NULL: any processor */
	const char *account; /* with plugin */
	struct dbb_card k;
	int found;
	int elsewhere; /* a usable card of another processor account exists */
};

static int
card_pick_row(void *arg, const struct dbb_card *k)
{
	struct card_pick *x = arg;

	if (k->disabled_at != 0)
		return 0;
	if (x->plugin != NULL &&
	    (strcmp(k->plugin, x->plugin) != 0 ||
	        (k->account[0] != '\0' &&
	            strcmp(k->account, x->account) != 0))) {
		x->elsewhere = 1;
		return 0;
	}
	if (k->is_default) {
		x->k = *k;
		x->found = 1;
		return 1;
	}
	return 0;
}

/* Picks the default card at gw's processor account (any when gw is
 * NULL) into *out. */
static enum pstatus
default_card(struct db *db, int64_t practice_id, int64_t client_id,
    struct gw_instance *gw, struct card_pick *out)
{
	static char none[1];
	char account[BILL_ACCOUNT_SIZE];
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	if (gw != NULL) {
		billing_account(gw, account);
		out->plugin = gw_instance_plugin(gw)->name;
		out->account = account;
	}
	st = dbb_card_list(db, practice_id, client_id, 0, card_pick_row, out);
	out->plugin = out->account = none; /* not valid after the call */
	return st;
}

/* What the client owes: the sum over invoices of what is due, and the
 * newest invoice. */
struct owed {
	int64_t due;
	int64_t max_invoice;
};

static int
owed_row(void *arg, const struct dbb_invoice *r)
{
	struct owed *x = arg;

	if (r->total > r->paid)
		x->due += r->total - r->paid;
	if (r->id > x->max_invoice)
		x->max_invoice = r->id;
	return 0;
}

static enum pstatus
owed(struct db *db, int64_t practice_id, int64_t client_id, struct owed *out)
{
	memset(out, 0, sizeof(*out));
	return dbb_invoice_list(db, practice_id, client_id, 0, owed_row, out);
}

/* ---- enrollment ---- */

enum pstatus
autopay_enroll(const struct billing_who *w, char *msg, size_t msgsz)
{
	struct card_pick cp;
	char brand[32], today[11];
	int was_on = 0;
	enum pstatus st;

	errbuf_set(msg, msgsz, "%s", "");
	if (w->practice == NULL || !w->practice->online_payments ||
	    w->practice->gateway == NULL) {
		errbuf_set(msg, msgsz,
		    "AutoPay needs Online Payments: turn online_payments on "
		    "and configure a gateway for practice %s first.",
		    w->practice && w->practice->slug ? w->practice->slug : "?");
		audit(w->db, w->practice_id, w->client_id, w->actor,
		    "autopay.enroll_refused", "online payments are off");
		return PS_DENIED;
	}
	if ((st = default_card(
	         w->db, w->practice_id, w->client_id, w->gw, &cp)) != PS_OK) {
		errbuf_set(msg, msgsz, "%s", db_errmsg(w->db));
		return PS_ERROR;
	}
	if (!cp.found) {
		errbuf_set(msg, msgsz,
		    "The client has no default card on file: AutoPay charges "
		    "the default card, so the client must add one (Payment "
		    "Methods) before enrolling.");
		audit(w->db, w->practice_id, w->client_id, w->actor,
		    "autopay.enroll_refused", "no default card");
		return PS_INVALID;
	}
	if (billing_card_expired(cp.k.exp_month, cp.k.exp_year,
	        tz_day(w->practice != NULL ? w->practice->tz : NULL, w->now,
	            today))) {
		brand_name(cp.k.brand, brand, sizeof(brand));
		errbuf_set(msg, msgsz,
		    "The client's default card, %s ending in %s, expired "
		    "%02d/%04d: AutoPay charges the default card, so the "
		    "client must add a new one (Payment Methods) before "
		    "enrolling.",
		    brand, cp.k.last4, (int)cp.k.exp_month, (int)cp.k.exp_year);
		audit(w->db, w->practice_id, w->client_id, w->actor,
		    "autopay.enroll_refused", "default card expired");
		return PS_INVALID;
	}
	st = dba_enroll(w->db, w->practice_id, w->client_id, w->now, &was_on);
	if (st != PS_OK) {
		errbuf_set(msg, msgsz, "%s", db_errmsg(w->db));
		return PS_ERROR;
	}
	brand_name(cp.k.brand, brand, sizeof(brand));
	if (was_on) {
		errbuf_set(msg, msgsz,
		    "AutoPay was on already, using %s ending in %s.", brand,
		    cp.k.last4);
		return PS_OK;
	}
	errbuf_set(msg, msgsz, "AutoPay is on, using %s ending in %s.", brand,
	    cp.k.last4);
	audit(w->db, w->practice_id, w->client_id, w->actor, "autopay.enroll",
	    "card=%" PRId64 " brand=%s last4=%s", cp.k.id, cp.k.brand,
	    cp.k.last4);
	return PS_OK;
}

enum pstatus
autopay_unenroll(const struct billing_who *w, char *msg, size_t msgsz)
{
	enum pstatus st;

	st = dba_unenroll(
	    w->db, w->practice_id, w->client_id, "clinician", NULL, w->now);
	if (st == PS_NOTFOUND) {
		errbuf_set(msg, msgsz, "AutoPay was not on for this client.");
		return PS_NOTFOUND;
	}
	if (st != PS_OK) {
		errbuf_set(msg, msgsz, "%s", db_errmsg(w->db));
		return PS_ERROR;
	}
	errbuf_set(msg, msgsz, "AutoPay is off.");
	audit(w->db, w->practice_id, w->client_id, w->actor, "autopay.unenroll",
	    "by the clinician");
	return PS_OK;
}

/* ---- the client's notice ---- */

enum pstatus
autopay_client_status(struct db *db, int64_t practice_id, int64_t client_id,
    const char *currency, const char *today, struct autopay_status *out)
{
	return autopay_client_status_at(
	    db, practice_id, client_id, currency, NULL, today, out);
}

enum pstatus
autopay_client_status_at(struct db *db, int64_t practice_id, int64_t client_id,
    const char *currency, struct gw_instance *gw, const char *today,
    struct autopay_status *out)
{
	struct dba_enrollment e;
	struct dba_last_charge lc;
	struct card_pick cp;
	struct owed ow;
	char amt[64];
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	if (currency == NULL)
		currency = "USD";
	st = dba_enrollment_get(db, practice_id, client_id, &e);
	if (st == PS_NOTFOUND)
		return PS_OK;
	if (st != PS_OK)
		return PS_ERROR;
	out->enrolled = e.enabled != 0;
	out->turned_off =
	    !e.enabled && strcmp(e.disabled_reason, "failures") == 0;
	out->failed_nights = e.failed_nights;
	if (default_card(db, practice_id, client_id, gw, &cp) != PS_OK)
		return PS_ERROR;
	out->card_elsewhere = !cp.found && cp.elsewhere;
	if (cp.found) {
		out->has_card = 1;
		out->card_expired =
		    billing_card_expired(cp.k.exp_month, cp.k.exp_year, today);
		brand_name(
		    cp.k.brand, out->card_brand, sizeof(out->card_brand));
		billing_copy(
		    out->card_last4, sizeof(out->card_last4), cp.k.last4);
	}
	st = dba_last_charge(db, practice_id, client_id, &lc);
	if (st != PS_OK && st != PS_NOTFOUND)
		return PS_ERROR;
	if (st == PS_OK) {
		billing_copy(
		    out->last_run_on, sizeof(out->last_run_on), lc.c.run_on);
		billing_copy(
		    out->last_status, sizeof(out->last_status), lc.status);
		if (strcmp(lc.status, "requires_action") == 0 &&
		    lc.paid_after == 0) {
			if (owed(db, practice_id, client_id, &ow) != PS_OK)
				return PS_ERROR;
			if (ow.due > 0) {
				out->action_required = 1;
				out->action_amount = ow.due;
				out->action_attempt = lc.c.attempt_id;
			}
		}
	}
	if (out->enrolled && out->has_card && out->card_expired)
		snprintf(out->notice, sizeof(out->notice),
		    "AutoPay is on, but your default card, %s ending in %s, "
		    "has expired, so AutoPay can't charge it. Please add a "
		    "new card or make another card your default.",
		    out->card_brand, out->card_last4);
	else if (out->enrolled && out->has_card)
		snprintf(out->notice, sizeof(out->notice),
		    "AutoPay is on, using %s ending in %s.", out->card_brand,
		    out->card_last4);
	else if (out->enrolled && out->card_elsewhere)
		snprintf(out->notice, sizeof(out->notice),
		    "AutoPay is on, but your saved cards belong to your "
		    "clinician's previous card processor, so AutoPay can't "
		    "charge them. Please add a new card.");
	else if (out->enrolled)
		snprintf(out->notice, sizeof(out->notice),
		    "AutoPay is on, but you have no default card for it to "
		    "charge. Add a card or make one your default.");
	else if (out->turned_off)
		snprintf(out->notice, sizeof(out->notice),
		    "AutoPay was turned off after %d declined nights. Please "
		    "pay your balance here or contact the practice.",
		    AUTOPAY_FAILED_NIGHTS);
	if (out->action_required) {
		money_format(out->action_amount, currency, amt, sizeof(amt));
		snprintf(out->action, sizeof(out->action),
		    "Your bank needs you to confirm the AutoPay charge of "
		    "your balance of %s. Please confirm it now; you will not "
		    "be charged twice.",
		    amt);
	}
	return PS_OK;
}

/* ---- the night window ---- */

enum pstatus
autopay_window(struct db *db, const struct practice_conf *pc,
    int64_t practice_id, int64_t now, int *inside,
    char run_on[AUTOPAY_DATE_SIZE], int64_t *start, int64_t *end, char *err,
    size_t errsz)
{
	struct tm tm;
	int64_t mins;
	enum pstatus st;

	*inside = 0;
	run_on[0] = '\0';
	*start = AUTOPAY_WINDOW_START;
	*end = AUTOPAY_WINDOW_END;
	st = dba_window_get(db, practice_id, start, end);
	if (st == PS_NOTFOUND) {
		*start = AUTOPAY_WINDOW_START;
		*end = AUTOPAY_WINDOW_END;
	} else if (st != PS_OK) {
		errbuf_set(err, errsz, "%s", db_errmsg(db));
		return PS_ERROR;
	}
	/* The practice's zone, read once at load: no process-wide TZ. */
	tz_tm(pc->tz, now, &tm);
	mins = tm.tm_hour * 60 + tm.tm_min;
	if (*start < *end)
		*inside = mins >= *start && mins < *end;
	else
		*inside = mins >= *start || mins < *end;
	if (*start > *end && mins >= *start) {
		/* Before midnight: the night is named by tomorrow's date. */
		tm.tm_mday += 1;
		tm.tm_isdst = -1;
		timegm(&tm); /* normalizes the fields */
	}
	strftime(run_on, AUTOPAY_DATE_SIZE, "%Y-%m-%d", &tm);
	return PS_OK;
}

/* ---- the batch: shared state ---- */

struct job {
	int64_t client_id;
	char email[DB_EMAIL_MAX + 1];
};

struct batch {
	const struct practice_conf *pc;
	int64_t practice_id;
	struct gw_instance *gw;
	const char *plugin;
	const struct autopay_opts *o;
	char run_on[AUTOPAY_DATE_SIZE];
	char compact[9]; /* YYYYMMDD */
	char desc[160];  /* the charge's description, the same every time */
	int64_t now;

	struct job *jobs;
	size_t njobs, cap;
	int nomem;
	atomic_size_t next;
	atomic_size_t done;
	atomic_int running;

	pthread_mutex_t lock; /* guards sum */
	struct autopay_summary *sum;
	char err[512];
};

/* 1 when the night's run has work for r: a charge to make or to settle. */
static int
due_tonight(const struct dba_due *r)
{
	int open_tonight =
	    r->tonight != 0 && billing_is_open(r->tonight_status);

	if (r->tonight != 0 && !open_tonight)
		return 0; /* the night's charge is settled */
	if (!open_tonight && (r->balance <= 0 || r->max_invoice <= r->through))
		return 0;
	return 1;
}

static int
job_add(void *arg, const struct dba_due *r)
{
	struct batch *b = arg;
	struct job *nu;

	if (!due_tonight(r))
		return 0;
	if (b->njobs == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 256;
		if ((nu = realloc(b->jobs, b->cap * sizeof(*nu))) == NULL) {
			b->nomem = 1;
			return 1;
		}
		b->jobs = nu;
	}
	b->jobs[b->njobs].client_id = r->client_id;
	billing_copy(
	    b->jobs[b->njobs].email, sizeof(b->jobs[b->njobs].email), r->email);
	b->njobs++;
	return 0;
}

/* ---- step 1: check under the client's lock and commit the attempt ---- */

enum step1_kind {
	S1_NEW,    /* a new attempt (or, dry run, one would be made) */
	S1_RESUME, /* the night's attempt is open: settle it */
	S1_DONE,   /* the night's charge is settled */
	S1_SKIP,   /* not due, or not chargeable now: reason */
};

struct step1 {
	const struct batch *b;
	int64_t client_id;
	int dry;
	/* out */
	enum step1_kind kind;
	const char *reason;
	struct dbb_attempt a;
	struct dbb_card card;
	struct dba_charge ch;
};

static enum pstatus
step1_fn(struct db *db, void *arg)
{
	struct step1 *t = arg;
	const struct batch *b = t->b;
	int64_t pid = b->practice_id, cid = t->client_id, open = 0, through = 0;
	struct card_pick cp;
	struct owed ow;
	enum pstatus st;

	t->kind = S1_SKIP;
	t->reason = "";
	memset(&t->a, 0, sizeof(t->a));
	memset(&t->card, 0, sizeof(t->card));
	memset(&t->ch, 0, sizeof(t->ch));
	if ((st = dbb_client_lock(db, pid, cid)) != PS_OK)
		return st;
	st = dba_charge_get(db, pid, cid, b->run_on, &t->ch);
	if (st == PS_OK) {
		if ((st = dbb_attempt_get(
		         db, pid, t->ch.attempt_id, 0, &t->a)) != PS_OK)
			return st;
		if (!billing_is_open(t->a.status)) {
			t->kind = S1_DONE;
			t->reason = "charged already this night";
			return PS_OK;
		}
		t->kind = S1_RESUME;
		if (t->a.payment_method_id != 0) {
			st = dbb_card_get(
			    db, pid, cid, t->a.payment_method_id, &t->card);
			if (st != PS_OK && st != PS_NOTFOUND)
				return st;
		}
		return PS_OK;
	}
	if (st != PS_NOTFOUND)
		return st;
	if ((st = dbb_attempt_open_count(db, pid, cid, &open)) != PS_OK)
		return st;
	if (open > 0) {
		t->reason = "a payment is pending or unknown: left to "
		            "reconcile";
		return PS_OK;
	}
	if ((st = owed(db, pid, cid, &ow)) != PS_OK)
		return st;
	if ((st = dba_charge_through(db, pid, cid, &through)) != PS_OK)
		return st;
	if (ow.due <= 0) {
		t->reason = "nothing due";
		return PS_OK;
	}
	if (ow.max_invoice <= through) {
		t->reason = "no invoice since the last AutoPay charge";
		return PS_OK;
	}
	if ((st = default_card(db, pid, cid, b->gw, &cp)) != PS_OK)
		return st;
	if (!cp.found) {
		t->reason = cp.elsewhere
		                ? "the cards on file belong to another "
		                  "processor or account"
		                : "no default card";
		return PS_OK;
	}
	if (billing_card_expired(cp.k.exp_month, cp.k.exp_year, b->run_on)) {
		t->reason = "the default card has expired";
		return PS_OK;
	}
	t->card = cp.k;
	t->kind = S1_NEW;
	t->a.practice_id = pid;
	t->a.client_id = cid;
	billing_copy(t->a.target, sizeof(t->a.target), "balance");
	t->a.amount = ow.due;
	billing_copy(
	    t->a.currency, sizeof(t->a.currency), billing_currency(b->pc));
	billing_copy(t->a.plugin, sizeof(t->a.plugin), b->plugin);
	billing_copy(t->a.account, sizeof(t->a.account), cp.k.account);
	billing_copy(t->a.source, sizeof(t->a.source), "card");
	t->a.payment_method_id = cp.k.id;
	t->a.off_session = 1;
	if (t->dry)
		return PS_OK;
	/* The night's key: "portal-<slug>-ap-<client>-<YYYYMMDD>". */
	if ((st = billing_attempt_insert(
	         db, b->pc, &t->a, "ap", cid, b->compact, b->now)) != PS_OK)
		return st;
	t->ch.client_id = cid;
	billing_copy(t->ch.run_on, sizeof(t->ch.run_on), b->run_on);
	t->ch.attempt_id = t->a.id;
	t->ch.amount = ow.due;
	t->ch.through_invoice_id = ow.max_invoice;
	billing_copy(t->ch.runner, sizeof(t->ch.runner),
	    b->o->runner ? b->o->runner : "");
	return dba_charge_insert(db, pid, &t->ch, b->now);
}

/* ---- one client ---- */

/* Asks the processor: a new attempt is charged; a resumed one is looked
 * up first and charged again under its own key only when the processor
 * never saw it. */
static int32_t
charge(const struct batch *b, const struct step1 *t, int resume,
    struct pgw_payment *pay, struct pgw_result *gr, char *err, size_t errsz)
{
	struct pgw_charge_req cr;
	struct pgw_lookup_req lr;
	int32_t gs;
	int i;

	if (resume) {
		memset(&lr, 0, sizeof(lr));
		lr.size = sizeof(lr);
		lr.idempotency_key = t->a.idempotency_key;
		lr.payment_ref =
		    t->a.processor_ref[0] ? t->a.processor_ref : NULL;
		memset(pay, 0, sizeof(*pay));
		gs = gw_lookup(b->gw, &lr, pay, gr, err, errsz);
		if (gs != PGW_NOT_FOUND)
			return gs == PGW_RETRYABLE || gs == PGW_ERROR
			           ? PGW_UNKNOWN
			           : gs;
		if (t->card.processor_pm[0] == '\0')
			return PGW_UNKNOWN;
	}
	memset(&cr, 0, sizeof(cr));
	cr.size = sizeof(cr);
	cr.amount = t->a.amount;
	cr.currency = t->a.currency;
	cr.idempotency_key = t->a.idempotency_key;
	cr.customer_id = t->card.customer_ref[0] ? t->card.customer_ref : NULL;
	cr.payment_method = t->card.processor_pm;
	cr.off_session = 1;
	cr.description = b->desc;
	for (i = 0; i < AP_TRIES; i++) {
		if (i > 0)
			billing_sleep_ms(500L * i * i);
		memset(pay, 0, sizeof(*pay));
		gs = gw_charge(b->gw, &cr, pay, gr, err, errsz);
		if (gs != PGW_RETRYABLE)
			break;
	}
	return gs;
}

struct worker {
	struct batch *b;
	struct db *db; /* the charges */
	struct db *lk; /* the claims */
	pthread_t th;
	int started;
};

#define ADD(f, v)                               \
	do {                                    \
		pthread_mutex_lock(&b->lock);   \
		b->sum->f += (v);               \
		pthread_mutex_unlock(&b->lock); \
	} while (0)

/* Queues, in the claim's transaction on db (with the unenrollment), the
 * "AutoPay turned off" mails to the client and to the practice. */
static enum pstatus
queue_turned_off(struct db *db, const struct batch *b, const struct job *j,
    const struct dba_enrollment *e, int64_t failed)
{
	char key[96];
	struct mail_params p;
	struct mail_new m = {.practice_id = b->practice_id,
	    .client_id = j->client_id,
	    .kind = MAIL_AUTOPAY_OFF,
	    .params = &p,
	    .dedupe_key = key};
	enum pstatus st;

	mail_params_init(&p);
	mail_param(&p, "nights", "%" PRId64, failed);
	snprintf(key, sizeof(key), "autopay-off:%" PRId64 ":%s", j->client_id,
	    b->run_on);
	if ((st = mail_queue(db, &m, b->now, NULL)) != PS_OK ||
	    b->pc->email == NULL)
		return st;
	mail_param(&p, "client", "%s %s", e->first_name, e->last_name);
	m.kind = MAIL_AUTOPAY_OFF_STAFF;
	m.to = b->pc->email;
	snprintf(key, sizeof(key), "autopay-off-staff:%" PRId64 ":%s",
	    j->client_id, b->run_on);
	return mail_queue(db, &m, b->now, NULL);
}

/* Claims, charges and records one client. */
static void
one_client(struct worker *wk, const struct job *j)
{
	struct batch *b = wk->b;
	int64_t pid = b->practice_id, cid = j->client_id, failed = 0;
	struct step1 t;
	struct bill_gw_outcome oc;
	struct dbb_attempt end;
	char receipt[DBB_NUMBER_MAX + 1] = "";
	int recorded = 0;
	struct pgw_payment pay;
	struct pgw_result gr;
	struct dba_enrollment e;
	char err[512] = "", amt[64];
	int got = 0, resume;
	int32_t gs;
	enum pstatus st;

	if ((st = db_begin(wk->lk)) != PS_OK ||
	    (st = dba_enrollment_claim(wk->lk, pid, cid, &got)) != PS_OK) {
		log_error("event=autopay_claim_failed practice_id=%" PRId64
		          " client_id=%" PRId64 " error=\"%s\"",
		    pid, cid, db_errmsg(wk->lk));
		db_rollback(wk->lk);
		ADD(skipped, 1);
		return;
	}
	if (!got) {
		/* Another runner holds it, or AutoPay ended meanwhile. */
		db_rollback(wk->lk);
		ADD(skipped, 1);
		return;
	}
	memset(&t, 0, sizeof(t));
	t.b = b;
	t.client_id = cid;
	if ((st = db_tx(wk->db, step1_fn, &t)) != PS_OK) {
		log_error("event=autopay_step1_failed practice_id=%" PRId64
		          " client_id=%" PRId64 " error=\"%s\"",
		    pid, cid, db_errmsg(wk->db));
		db_rollback(wk->lk);
		ADD(skipped, 1);
		return;
	}
	if (t.kind == S1_DONE || t.kind == S1_SKIP) {
		/* Nothing due is the ordinary case; the others are worth a
		 * line (a card missing, an attempt waiting for reconcile). */
		log_kv(t.kind == S1_DONE ||
		               strcmp(t.reason, "nothing due") == 0 ||
		               strncmp(t.reason, "no invoice", 10) == 0
		           ? LOG_LVL_DEBUG
		           : LOG_LVL_INFO,
		    "event=autopay_skip practice_id=%" PRId64
		    " client_id=%" PRId64 " email=%s night=%s reason=\"%s\"",
		    pid, cid, j->email, b->run_on, t.reason);
		db_rollback(wk->lk);
		ADD(skipped, 1);
		return;
	}
	resume = t.kind == S1_RESUME;
	if (!resume)
		audit(wk->db, pid, cid, DB_ACTOR_SYSTEM, "payment.attempt",
		    "attempt=%" PRId64 " amount=%" PRId64
		    " target=balance source=card card=%" PRId64 " autopay=%s",
		    t.a.id, t.a.amount, t.a.payment_method_id, b->run_on);

	/* Step 2: the processor, under the night's key. */
	gs = charge(b, &t, resume, &pay, &gr, err, sizeof(err));
	if (gs != PGW_SUCCEEDED)
		log_info("event=autopay_charge attempt_id=%" PRId64
		         " status=%s code=%s resumed=%d error=\"%s\"",
		    t.a.id, gw_status_str(gs), gr.code, resume, err);

	/* Step 3: record it. */
	memset(&oc, 0, sizeof(oc));
	oc.gs = gs == PGW_NOT_FOUND ? PGW_ERROR : gs;
	oc.pay = &pay;
	oc.code = pay.decline_code[0] ? pay.decline_code : gr.code;
	/* The client was not there to confirm: the attempt keeps the
	 * fixed confirmation text, not the processor's. */
	oc.message = gs == PGW_REQUIRES_ACTION ? "" : gr.message;
	oc.resumed = resume;
	oc.stored_card = 1;
	if ((st = billing_apply_outcome(wk->db, &t.a, &oc, b->now, &end,
	         receipt, &recorded)) != PS_OK) {
		/* The attempt stays open: a later run or reconcile
		 * settles it. */
		log_error("event=autopay_step3_failed attempt_id=%" PRId64
		          " gateway=%s error=\"%s\"",
		    t.a.id, gw_status_str(gs), db_errmsg(wk->db));
		db_rollback(wk->lk);
		ADD(unknown, 1);
		ADD(unknown_amount, t.a.amount);
		return;
	}
	if (!recorded)
		receipt[0] = '\0'; /* recorded by a webhook or reconcile */
	money_format(end.amount, end.currency, amt, sizeof(amt));
	if (strcmp(end.status, "succeeded") == 0) {
		ADD(succeeded, 1);
		ADD(succeeded_amount, end.amount);
	} else if (strcmp(end.status, "declined") == 0) {
		ADD(declined, 1);
		ADD(declined_amount, end.amount);
	} else if (strcmp(end.status, "requires_action") == 0) {
		ADD(action_required, 1);
		ADD(action_amount, end.amount);
	} else if (billing_is_open(end.status)) {
		ADD(unknown, 1);
		ADD(unknown_amount, end.amount);
	} else {
		ADD(not_sent, 1);
	}
	audit(wk->db, pid, cid, DB_ACTOR_SYSTEM,
	    strcmp(end.status, "succeeded") == 0  ? "autopay.succeeded"
	    : strcmp(end.status, "declined") == 0 ? "autopay.declined"
	    : strcmp(end.status, "requires_action") == 0
	        ? "autopay.requires_action"
	    : billing_is_open(end.status) ? "autopay.unknown"
	                                  : "autopay.not_sent",
	    "attempt=%" PRId64 " amount=%" PRId64 " night=%s status=%s "
	    "code=%s%s%s%s",
	    end.id, end.amount, b->run_on, end.status, end.decline_code,
	    receipt[0] ? " receipt=" : "", receipt, resume ? " resumed=1" : "");

	/* The failed nights in a row, from the charges themselves. */
	memset(&e, 0, sizeof(e));
	if (dba_enrollment_get(wk->db, pid, cid, &e) != PS_OK ||
	    dba_failed_nights(wk->db, pid, cid, e.enrolled_at, &failed) !=
	        PS_OK) {
		log_error("event=autopay_history_failed practice_id=%" PRId64
		          " client_id=%" PRId64 " error=\"%s\"",
		    pid, cid, db_errmsg(wk->db));
		failed = 0;
	}
	if (failed >= AUTOPAY_FAILED_NIGHTS) {
		st = dba_unenroll(
		    wk->lk, pid, cid, "failures", b->run_on, b->now);
		if (st == PS_OK) {
			ADD(turned_off, 1);
			log_warn("event=autopay_turned_off practice=%s "
			         "practice_id=%" PRId64 " client_id=%" PRId64
			         " email=%s failed_nights=%" PRId64
			         " night=%s: AutoPay is off for this client; "
			         "the clinician is told in the report",
			    b->pc->slug, pid, cid, j->email, failed, b->run_on);
			audit(wk->lk, pid, cid, DB_ACTOR_SYSTEM,
			    "autopay.turned_off",
			    "failed_nights=%" PRId64 " night=%s last=%s",
			    failed, b->run_on, end.status);
			st = queue_turned_off(wk->lk, b, j, &e, failed);
			if (st != PS_OK)
				log_error("event=autopay_mail_failed "
				          "client_id=%" PRId64 " error=\"%s\"",
				    cid, db_errmsg(wk->lk));
		}
	}
	if (dba_enrollment_note(wk->lk, pid, cid, b->run_on, end.status, failed,
	        b->now) != PS_OK ||
	    db_commit(wk->lk) != PS_OK) {
		log_error("event=autopay_note_failed practice_id=%" PRId64
		          " client_id=%" PRId64 " error=\"%s\"",
		    pid, cid, db_errmsg(wk->lk));
		db_rollback(wk->lk);
	}
}

static void *
worker_main(void *arg)
{
	struct worker *wk = arg;
	struct batch *b = wk->b;
	size_t i;

	while ((i = atomic_fetch_add(&b->next, 1)) < b->njobs) {
		one_client(wk, &b->jobs[i]);
		atomic_fetch_add(&b->done, 1);
	}
	atomic_fetch_sub(&b->running, 1);
	return NULL;
}

/* ---- progress ---- */

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
draw(struct batch *b, double t0, int final)
{
	FILE *f = b->o->progress;
	size_t done = atomic_load(&b->done), n = b->njobs;
	double el = mono() - t0, rate = el > 0 ? (double)done / el : 0;
	double left = rate > 0 ? (double)(n - done) / rate : 0;
	int width = 30, fill = n ? (int)((double)done * width / (double)n) : 0;
	int64_t ok, dec;
	char eta[16] = "--:--";

	pthread_mutex_lock(&b->lock);
	ok = b->sum->succeeded;
	dec = b->sum->declined;
	pthread_mutex_unlock(&b->lock);
	if (rate > 0)
		snprintf(eta, sizeof(eta), "%02d:%02d", (int)left / 60 % 100,
		    (int)left % 60);
	fprintf(f,
	    "\r[%.*s%*s] %zu/%zu  %" PRId64 " paid  %" PRId64
	    " declined  %.1f/s  %s left ",
	    fill, "##############################", width - fill, "", done, n,
	    ok, dec, rate, eta);
	if (final)
		fputc('\n', f);
	fflush(f);
}

/* ---- the run ---- */

static void
close_workers(struct worker *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		db_close(w[i].db);
		db_close(w[i].lk);
	}
	free(w);
}

/* The dry run: step 1 under the lock, rolled back; one line per client. */
static enum pstatus
dry_run(struct db *db, struct batch *b)
{
	struct step1 t;
	char amt[64], brand[32];
	size_t i;
	enum pstatus st = PS_OK;
	FILE *out = b->o->out;

	for (i = 0; i < b->njobs; i++) {
		memset(&t, 0, sizeof(t));
		t.b = b;
		t.client_id = b->jobs[i].client_id;
		t.dry = 1;
		if ((st = db_begin(db)) != PS_OK)
			break;
		st = step1_fn(db, &t);
		db_rollback(db);
		if (st != PS_OK)
			break;
		if (t.kind == S1_NEW) {
			b->sum->would_charge++;
			b->sum->would_amount += t.a.amount;
			money_format(
			    t.a.amount, t.a.currency, amt, sizeof(amt));
			brand_name(t.card.brand, brand, sizeof(brand));
			if (out != NULL)
				fprintf(out,
				    "would charge %s %s (%s ending in %s)\n",
				    b->jobs[i].email, amt, brand, t.card.last4);
		} else if (t.kind == S1_RESUME) {
			money_format(
			    t.a.amount, t.a.currency, amt, sizeof(amt));
			if (out != NULL)
				fprintf(out,
				    "would settle %s %s (attempt %" PRId64
				    " of this night is %s)\n",
				    b->jobs[i].email, amt, t.a.id, t.a.status);
		} else {
			b->sum->skipped++;
			if (out != NULL)
				fprintf(out, "would skip %s: %s\n",
				    b->jobs[i].email, t.reason);
		}
	}
	return st;
}

enum pstatus
autopay_run(struct db *db, const struct practice_conf *pc, int64_t practice_id,
    struct gw_instance *gw, const struct autopay_opts *o,
    struct autopay_summary *sum, char *err, size_t errsz)
{
	struct batch b;
	struct worker *w = NULL;
	struct dba_run run;
	const struct pgw_plugin *pl;
	char derr[512], amt[6][64];
	int64_t start = 0, end = 0;
	size_t i, nw = 0;
	int inside = 0, pool;
	double t0;
	enum pstatus st = PS_ERROR;

	memset(sum, 0, sizeof(*sum));
	memset(&b, 0, sizeof(b));
	memset(&run, 0, sizeof(run));
	pthread_mutex_init(&b.lock, NULL);
	b.pc = pc;
	b.practice_id = practice_id;
	b.gw = gw;
	b.o = o;
	b.sum = sum;
	b.now = o->now ? o->now : (int64_t)time(NULL);
	t0 = mono();
	if (!pc->online_payments || pc->gateway == NULL || gw == NULL) {
		errbuf_set(err, errsz,
		    "practice %s: Online Payments are off or its gateway did "
		    "not start: AutoPay charges nobody",
		    pc->slug);
		st = PS_DENIED;
		goto out;
	}
	pl = gw_instance_plugin(gw);
	b.plugin = pl->name;
	if (o->run_on != NULL) {
		if (!billing_date_ok(o->run_on)) {
			errbuf_set(err, errsz,
			    "--date \"%s\" is not a YYYY-MM-DD date",
			    o->run_on);
			st = PS_INVALID;
			goto out;
		}
		billing_copy(b.run_on, sizeof(b.run_on), o->run_on);
	} else {
		st = autopay_window(db, pc, practice_id, b.now, &inside,
		    b.run_on, &start, &end, err, errsz);
		if (st != PS_OK)
			goto out;
		if (!inside && !o->force) {
			billing_copy(
			    sum->run_on, sizeof(sum->run_on), b.run_on);
			sum->outside_window = 1;
			log_info("event=autopay_outside_window practice=%s "
			         "window=%02d:%02d-%02d:%02d tz=%s",
			    pc->slug, (int)(start / 60), (int)(start % 60),
			    (int)(end / 60), (int)(end % 60),
			    pc->timezone ? pc->timezone : "UTC");
			st = PS_OK;
			goto out;
		}
	}
	billing_copy(sum->run_on, sizeof(sum->run_on), b.run_on);
	snprintf(b.compact, sizeof(b.compact), "%.4s%.2s%.2s", b.run_on,
	    b.run_on + 5, b.run_on + 8);
	snprintf(b.desc, sizeof(b.desc), "%s AutoPay balance",
	    pc->name ? pc->name : "Practice");
	if (!(pl->caps & PGW_CAP_OFF_SESSION)) {
		errbuf_set(err, errsz,
		    "practice %s: plugin %s cannot charge off-session: "
		    "AutoPay charges nobody",
		    pc->slug, pl->name);
		st = PS_DENIED;
		goto out;
	}

	/* Who is due (a plain read; each charge re-checks under locks). */
	st = dba_due_list(db, practice_id, b.run_on, job_add, &b);
	if (st == PS_OK && b.nomem)
		st = PS_NOMEM;
	if (st != PS_OK) {
		errbuf_set(err, errsz, "due list: %s", db_errmsg(db));
		st = PS_ERROR;
		goto out;
	}
	sum->due = (int64_t)b.njobs;
	billing_copy(run.run_on, sizeof(run.run_on), b.run_on);
	billing_copy(
	    run.runner, sizeof(run.runner), o->runner ? o->runner : "");
	run.dry_run = o->dry_run;
	if (dba_run_insert(db, practice_id, &run, b.now) != PS_OK) {
		errbuf_set(err, errsz, "run row: %s", db_errmsg(db));
		st = PS_ERROR;
		goto out;
	}
	sum->run_id = run.id;

	if (o->dry_run) {
		if ((st = dry_run(db, &b)) != PS_OK) {
			errbuf_set(err, errsz, "dry run: %s", db_errmsg(db));
			st = PS_ERROR;
			goto out;
		}
	} else if (b.njobs > 0) {
		pool = o->pool > 0 ? o->pool : AUTOPAY_POOL_DEFAULT;
		if (pool > AUTOPAY_POOL_MAX)
			pool = AUTOPAY_POOL_MAX;
		if ((size_t)pool > b.njobs)
			pool = (int)b.njobs;
		if (!(pl->caps & PGW_CAP_THREADSAFE))
			log_warn("event=autopay_serialized plugin=%s: the "
			         "plugin is not thread-safe; the host runs "
			         "its charges one at a time",
			    pl->name);
		if ((w = calloc((size_t)pool, sizeof(*w))) == NULL) {
			st = PS_NOMEM;
			errbuf_set(err, errsz, "out of memory");
			goto out;
		}
		for (nw = 0; nw < (size_t)pool; nw++) {
			w[nw].b = &b;
			if (db_open(o->dbp, &w[nw].db, derr, sizeof(derr)) !=
			        PS_OK ||
			    db_open(o->dbp, &w[nw].lk, derr, sizeof(derr)) !=
			        PS_OK) {
				errbuf_set(
				    err, errsz, "worker %zu: %s", nw, derr);
				db_close(w[nw].db);
				w[nw].db = NULL;
				break;
			}
		}
		if (nw == 0) {
			st = PS_ERROR;
			goto out;
		}
		if (nw < (size_t)pool)
			log_warn("event=autopay_pool_short wanted=%d got=%zu "
			         "error=\"%s\"",
			    pool, nw, err);
		err[0] = '\0';
		atomic_store(&b.running, (int)nw);
		for (i = 0; i < nw; i++) {
			if (pthread_create(
			        &w[i].th, NULL, worker_main, &w[i]) != 0) {
				atomic_fetch_sub(&b.running, 1);
				continue;
			}
			w[i].started = 1;
		}
		while (atomic_load(&b.running) > 0) {
			if (o->progress != NULL)
				draw(&b, t0, 0);
			billing_sleep_ms(o->progress != NULL ? 200 : 50);
		}
		for (i = 0; i < nw; i++)
			if (w[i].started)
				pthread_join(w[i].th, NULL);
		if (o->progress != NULL)
			draw(&b, t0, 1);
		if (atomic_load(&b.done) < b.njobs) {
			errbuf_set(err, errsz, "no worker could run");
			st = PS_ERROR;
			goto out;
		}
	}
	run.due = sum->due;
	run.succeeded = sum->succeeded;
	run.succeeded_amount = sum->succeeded_amount;
	run.declined = sum->declined;
	run.declined_amount = sum->declined_amount;
	run.action_required = sum->action_required;
	run.action_amount = sum->action_amount;
	run.unknown = sum->unknown;
	run.unknown_amount = sum->unknown_amount;
	run.not_sent = sum->not_sent;
	run.skipped = sum->skipped;
	run.turned_off = sum->turned_off;
	if (dba_run_finish(db, practice_id, &run, (int64_t)time(NULL)) != PS_OK)
		log_error("event=autopay_run_row_failed run_id=%" PRId64
		          " error=\"%s\"",
		    run.id, db_errmsg(db));
	st = PS_OK;
out:
	sum->seconds = mono() - t0;
	if (st == PS_OK && !sum->outside_window) {
		money_format(sum->succeeded_amount, billing_currency(pc),
		    amt[0], sizeof(amt[0]));
		money_format(sum->declined_amount, billing_currency(pc), amt[1],
		    sizeof(amt[1]));
		money_format(sum->action_amount, billing_currency(pc), amt[2],
		    sizeof(amt[2]));
		money_format(sum->unknown_amount, billing_currency(pc), amt[3],
		    sizeof(amt[3]));
		money_format(sum->would_amount, billing_currency(pc), amt[4],
		    sizeof(amt[4]));
		log_info(
		    "event=autopay_run practice=%s night=%s run_id=%" PRId64
		    " dry_run=%d due=%" PRId64 " succeeded=%" PRId64
		    " succeeded_amount=\"%s\" declined=%" PRId64
		    " declined_amount=\"%s\" action_required=%" PRId64
		    " action_amount=\"%s\" unknown=%" PRId64
		    " unknown_amount=\"%s\" not_sent=%" PRId64
		    " skipped=%" PRId64 " turned_off=%" PRId64
		    " would_charge=%" PRId64 " would_amount=\"%s\""
		    " seconds=%.1f",
		    pc->slug, sum->run_on, sum->run_id, o->dry_run, sum->due,
		    sum->succeeded, amt[0], sum->declined, amt[1],
		    sum->action_required, amt[2], sum->unknown, amt[3],
		    sum->not_sent, sum->skipped, sum->turned_off,
		    sum->would_charge, amt[4], sum->seconds);
	}
	if (w != NULL)
		close_workers(w, nw);
	free(b.jobs);
	pthread_mutex_destroy(&b.lock);
	return st;
}

/* ---- the report ---- */

struct report_ctx {
	const struct practice_conf *pc;
	FILE *out;
	char night[AUTOPAY_DATE_SIZE];
	int nights;
};

static const char *
status_label(const char *s)
{
	if (strcmp(s, "succeeded") == 0)
		return "succeeded";
	if (strcmp(s, "declined") == 0)
		return "declined";
	if (strcmp(s, "requires_action") == 0)
		return "action required";
	if (strcmp(s, "failed") == 0)
		return "not sent";
	return "unknown";
}

static int
night_row(void *arg, const struct dba_night *r)
{
	struct report_ctx *x = arg;
	char amt[64];

	if (strcmp(x->night, r->run_on) != 0) {
		billing_copy(x->night, sizeof(x->night), r->run_on);
		x->nights++;
		fprintf(x->out, "night %s\n", r->run_on);
	}
	money_format(r->amount, billing_currency(x->pc), amt, sizeof(amt));
	fprintf(x->out, "  %-16s %6" PRId64 " %14s%s\n",
	    status_label(r->status), r->count, amt,
	    billing_is_open(r->status) ? "  (left to payments reconcile)" : "");
	return 0;
}

static int
run_row(void *arg, const struct dba_run *r)
{
	struct report_ctx *x = arg;
	char a[4][64];
	const char *cur = billing_currency(x->pc);

	money_format(r->succeeded_amount, cur, a[0], sizeof(a[0]));
	money_format(r->declined_amount, cur, a[1], sizeof(a[1]));
	money_format(r->action_amount, cur, a[2], sizeof(a[2]));
	money_format(r->unknown_amount, cur, a[3], sizeof(a[3]));
	fprintf(x->out,
	    "run %" PRId64 " night %s by %s%s%s: due %" PRId64
	    ", succeeded %" PRId64 " %s, declined %" PRId64 " %s, action "
	    "required %" PRId64 " %s, unknown %" PRId64 " %s, not sent %" PRId64
	    ", skipped %" PRId64 ", turned off %" PRId64 "\n",
	    r->id, r->run_on, r->runner[0] ? r->runner : "?",
	    r->dry_run ? " (dry run)" : "",
	    r->finished_at ? "" : " (did not finish)", r->due, r->succeeded,
	    a[0], r->declined, a[1], r->action_required, a[2], r->unknown, a[3],
	    r->not_sent, r->skipped, r->turned_off);
	return 0;
}

static int
off_row(void *arg, const struct dba_enrollment *e)
{
	struct report_ctx *x = arg;

	fprintf(x->out,
	    "  AutoPay turned off for %s %s <%s> after %" PRId64
	    " failed nights\n",
	    e->first_name, e->last_name, e->email, e->failed_nights);
	return 0;
}

struct night_list {
	char (*v)[AUTOPAY_DATE_SIZE];
	size_t n;
};

static int
night_collect(void *arg, const struct dba_night *r)
{
	struct night_list *l = arg;

	if (l->n > 0 && strcmp(l->v[l->n - 1], r->run_on) == 0)
		return 0;
	if (l->n == 7)
		return 1;
	billing_copy(l->v[l->n], AUTOPAY_DATE_SIZE, r->run_on);
	l->n++;
	return 0;
}

enum pstatus
autopay_report(struct db *db, const struct practice_conf *pc,
    int64_t practice_id, const char *run_on, FILE *out)
{
	struct report_ctx x;
	char nights[7][AUTOPAY_DATE_SIZE];
	struct night_list nl = {nights, 0};
	size_t i;
	enum pstatus st;

	memset(&x, 0, sizeof(x));
	x.pc = pc;
	x.out = out;
	fprintf(out, "practice %s (%s)\n", pc->slug, pc->name ? pc->name : "");
	st = dba_night_totals(db, practice_id, run_on, 7, night_row, &x);
	if (st != PS_OK)
		return PS_ERROR;
	if (x.nights == 0)
		fprintf(out, "  no AutoPay charges%s%s\n",
		    run_on ? " on night " : "", run_on ? run_on : "");
	if (dba_night_totals(db, practice_id, run_on, 7, night_collect, &nl) !=
	    PS_OK)
		return PS_ERROR;
	for (i = 0; i < nl.n; i++)
		if (dba_turned_off_list(
		        db, practice_id, nights[i], off_row, &x) != PS_OK)
			return PS_ERROR;
	if (run_on != NULL && nl.n == 0 &&
	    dba_turned_off_list(db, practice_id, run_on, off_row, &x) != PS_OK)
		return PS_ERROR;
	if (dba_run_list(db, practice_id, run_on, 20, run_row, &x) != PS_OK)
		return PS_ERROR;
	return PS_OK;
}

/* ---- the clinician's evening summary ---- */

struct preview {
	struct db *db;
	int64_t practice_id;
	struct mail_params p;
	int count;
	int64_t total;
	enum pstatus st;
};

static int
preview_row(void *arg, const struct dba_due *r)
{
	struct preview *v = arg;
	struct db_client c;

	if (!due_tonight(r) || r->balance <= 0)
		return 0;
	if (db_client_get(v->db, v->practice_id, r->client_id, &c) != PS_OK) {
		memset(&c, 0, sizeof(c));
		snprintf(c.first_name, sizeof(c.first_name), "client %" PRId64,
		    r->client_id);
	}
	/* A name is the client's, never a card or a code: "|" is the
	 * separator of the line, so a name cannot carry one. */
	for (char *q = c.first_name; *q; q++)
		if (*q == '|')
			*q = '/';
	for (char *q = c.last_name; *q; q++)
		if (*q == '|')
			*q = '/';
	mail_param(&v->p, "line", "%s %s|%" PRId64, c.first_name, c.last_name,
	    r->balance);
	v->count++;
	v->total += r->balance;
	return 0;
}

enum pstatus
autopay_summary_queue(struct db *db, const struct practice_conf *pc,
    int64_t practice_id, const char *run_on, int64_t now, int *count,
    int64_t *total, int *queued, char *err, size_t errsz)
{
	struct preview *v;
	struct mail_params head;
	struct mail_new m;
	char key[96];
	enum pstatus st;

	*count = 0;
	*total = 0;
	*queued = 0;
	if (pc->email == NULL) {
		errbuf_set(err, errsz, "practice %s has no email", pc->slug);
		return PS_INVALID;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		errbuf_set(err, errsz, "out of memory");
		return PS_NOMEM;
	}
	v->db = db;
	v->practice_id = practice_id;
	mail_params_init(&v->p);
	st = dba_due_list(db, practice_id, run_on, preview_row, v);
	if (st != PS_OK) {
		errbuf_set(err, errsz, "%s", db_errmsg(db));
		goto out;
	}
	mail_params_init(&head);
	mail_param(&head, "night", "%s", run_on);
	mail_param(&head, "count", "%d", v->count);
	mail_param(&head, "total", "%" PRId64, v->total);
	mail_param(&head, "currency", "%s", billing_currency(pc));
	if (head.n + v->p.n >= sizeof(head.p)) {
		/* More clients than one message holds: the totals stay
		 * right, the list is cut. */
		mail_param(&head, "line",
		    "(and more: see portalctl autopay "
		    "run --dry-run)|0");
	} else {
		memcpy(head.p + head.n, v->p.p, v->p.n + 1);
		head.n += v->p.n;
	}
	snprintf(key, sizeof(key), "autopay-summary:%" PRId64 ":%s",
	    practice_id, run_on);
	memset(&m, 0, sizeof(m));
	m.practice_id = practice_id;
	m.kind = MAIL_AUTOPAY_SUMMARY;
	m.to = pc->email;
	m.params = &head;
	m.dedupe_key = key;
	if ((st = mail_queue(db, &m, now, queued)) != PS_OK)
		errbuf_set(err, errsz, "%s", db_errmsg(db));
	*count = v->count;
	*total = v->total;
out:
	free(v);
	return st;
}
