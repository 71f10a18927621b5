/* billing.c: the client's card and payment pages: Billing & Payments
 * (balance, unpaid invoices, Pay Now), the confirm-and-pay step, Payment
 * Methods (+ New Card, Make default) and the "Credit card information"
 * form of Documents. The rules are app/billing's; this file is HTTP.
 *
 * Card numbers never reach these handlers: the processor's widget (an
 * iframe from the processor's origin, mounted by www/static/card.js)
 * turns the card into a one-time token, and only the token is posted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "billing/autopay.h"
#include "billing/billing.h"
#include "web/extern.h"

#define MSG_OFF                                                          \
	"Online payments aren't available from your clinician. To pay, " \
	"please contact your clinician's office."
#define MSG_NO_WIDGET                                                      \
	"Card entry isn't available right now. Please try again in a few " \
	"minutes."
#define MSG_ELSEWHERE                                                           \
	"Your saved cards belong to your clinician's previous card processor, " \
	"so they can't be used now. Please add a new card."
#define MSG_ERROR \
	"Something went wrong on our side. Nothing was charged. Please try again."

/* Fills w for the signed-in client of c: every id comes from the session. */
static void
who_init(struct ctx *c, struct billing_who *w)
{
	memset(w, 0, sizeof(*w));
	w->db = c->t->db;
	w->practice = c->practice;
	w->practice_id = c->sess.practice_id;
	w->client_id = c->sess.client_id;
	w->user_id = c->sess.user_id;
	w->actor = DB_ACTOR_CLIENT;
	w->ip = web_ip(c);
	w->gw = app_gateway(c->app, c->practice);
	w->now = c->now;
}

/* Returns 1 when the client's practice takes payments online now. */
static int
online(struct ctx *c)
{
	return c->practice != NULL && c->practice->online_payments &&
	       app_gateway(c->app, c->practice) != NULL;
}

/* Adds an error for field (a form field's id) with msg to c, for the
 * summary and the message next to the field. */
static void
add_err(struct ctx *c, const char *field, const char *msg)
{
	if (c->nerrs >= sizeof(c->errs) / sizeof(c->errs[0]))
		return;
	c->errs[c->nerrs].field = field;
	errbuf_set(
	    c->errs[c->nerrs].msg, sizeof(c->errs[c->nerrs].msg), "%s", msg);
	c->nerrs++;
}

/* Returns the value of the declared parameter name as a C string, or
 * NULL when absent. */
static const char *
param(struct ctx *c, const char *name)
{
	const struct str *s = http_param(&c->params, name);

	return s != NULL ? s->p : NULL;
}

/* Returns 1 when checkbox parameter name is on. */
static int
param_on(struct ctx *c, const char *name)
{
	const char *v = param(c, name);

	return v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "on") == 0);
}

/* Parses parameter name as an integer into *out. Returns 1 on success. */
static int
param_int(struct ctx *c, const char *name, int64_t min, int64_t *out)
{
	const char *v = param(c, name);

	return v != NULL && util_strtonum(v, strlen(v), min, INT64_MAX, out,
	                        NULL, 0) == PS_OK;
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

/* Writes the date ymd ("2026-03-09") as "Mar 9, 2026" into out; anything
 * else is copied as it is. */
static void
date_text(const char *ymd, char *out, size_t outsz)
{
	static const char *mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int64_t m = 0, d = 0;

	if (strlen(ymd) == 10 && ymd[4] == '-' && ymd[7] == '-' &&
	    util_strtonum(ymd + 5, 2, 1, 12, &m, NULL, 0) == PS_OK &&
	    util_strtonum(ymd + 8, 2, 1, 31, &d, NULL, 0) == PS_OK)
		snprintf(out, outsz, "%s %d, %.4s", mon[m - 1], (int)d, ymd);
	else
		snprintf(out, outsz, "%s", ymd);
}

/* Tells the client, in d's "cards_elsewhere", when cards on file were
 * saved at another processor or account and so are not offered. Returns
 * 0, or -1 on a database error. */
static int
cards_elsewhere(struct ctx *c, struct tmpl_val *d)
{
	struct billing_who w;
	size_t n = 0;

	who_init(c, &w);
	if (billing_cards_elsewhere(&w, &n) != PS_OK)
		return -1;
	if (n > 0)
		tv_str(d, "cards_elsewhere", MSG_ELSEWHERE);
	return 0;
}

/* Adds the members of card k to object o: id, brand, last4, exp,
 * is_default, expired. */
static void
card_val(struct tmpl_val *o, const struct bill_card *k)
{
	char exp[16];

	tv_int(o, "id", k->id);
	tv_str(o, "brand", brand_name(k->brand));
	tv_str(o, "last4", k->last4);
	snprintf(exp, sizeof(exp), "%02d/%04d", k->exp_month, k->exp_year);
	tv_str(o, "exp", exp);
	tv_bool(o, "is_default", k->is_default);
	tv_bool(o, "expired", k->expired);
}

/* The page's CSP bit of a widget origin's directive, or 0. */
static unsigned
csp_bit(int32_t directive)
{
	switch (directive) {
	case PGW_CSP_SCRIPT:
		return HTTP_CSP_SCRIPT;
	case PGW_CSP_FRAME:
		return HTTP_CSP_FRAME;
	case PGW_CSP_CONNECT:
		return HTTP_CSP_CONNECT;
	case PGW_CSP_IMG:
		return HTTP_CSP_IMG;
	case PGW_CSP_STYLE:
		return HTTP_CSP_STYLE;
	default:
		return 0;
	}
}

/* Describes the processor's card widget for the page into d.widget (the
 * script, the adapter, its named values) and lets exactly the origins the
 * plugin declares through the page's CSP, each under its own directive.
 * Returns 1, or 0 (logged) when the widget cannot be shown. */
static int
widget(struct ctx *c, struct tmpl_val *d)
{
	struct gw_instance *gw = app_gateway(c->app, c->practice);
	struct pgw_widget wd;
	struct pgw_result res;
	struct tmpl_val *o, *list, *v;
	char err[256] = "", q[300];
	const char *why = NULL;
	enum pgw_status st;
	uint32_t i;

	if (gw == NULL)
		return 0;
	memset(&wd, 0, sizeof(wd));
	st = gw_card_widget(gw, &wd, &res, err, sizeof(err));
	if (st != PGW_SUCCEEDED)
		why = err;
	else if (wd.script_url[0] == '\0')
		why = "no script";
	for (i = 0;
	     why == NULL && i < wd.norigins && i < PGW_WIDGET_ORIGINS_MAX;
	     i++) {
		unsigned bit = csp_bit(wd.origins[i].directive);

		/* A directive the page does not use (font) stays closed. */
		if (bit != 0 && http_response_csp_allow(c->resp,
		                    wd.origins[i].origin, bit) != PS_OK)
			why = "bad widget origin";
	}
	if (why != NULL) {
		log_error("event=card_widget_failed practice=%s status=%s "
		          "error=%s",
		    c->practice->slug, gw_status_str(st),
		    log_value(why, q, sizeof(q)));
		return 0;
	}
	if ((o = tv_child(d, "widget")) == NULL)
		return 0;
	tv_str(o, "script_url", wd.script_url);
	tv_str(o, "key", wd.public_key);
	tv_str(o, "mode", wd.mode);
	tv_str(o, "provider", gw_instance_plugin(gw)->name);
	tv_str(o, "sdk", wd.sdk[0] ? wd.sdk : gw_instance_plugin(gw)->name);
	if ((list = tv_list(o, "values")) != NULL)
		for (i = 0; i < wd.nvalues && i < PGW_WIDGET_VALUES_MAX; i++)
			if ((v = tv_push(list)) != NULL) {
				tv_str(v, "name", wd.values[i].name);
				tv_str(v, "value", wd.values[i].value);
			}
	return 1;
}

/* Renders the page that performs the processor's challenge act in the
 * browser (www/static/card.js) and posts its result to post_to. intro:
 * what is being confirmed; message: an alert or NULL. */
static void
confirm_page(struct ctx *c, const struct bill_action *act, const char *post_to,
    const char *intro, const char *message)
{
	struct tmpl_val *d =
	    web_page_data(c, "Confirm with your bank", "billing");
	struct tmpl_val *o, *list, *v;
	uint32_t i;

	if (d == NULL) {
		web_error(c, 500);
		return;
	}
	tv_str(d, "post_to", post_to);
	tv_str(d, "intro", intro);
	if (message != NULL)
		tv_str(d, "alert", message);
	if ((o = tv_child(d, "next")) != NULL) {
		tv_str(o, "kind", act->kind);
		tv_str(o, "url", act->url);
		if ((list = tv_list(o, "values")) != NULL)
			for (i = 0; i < act->nvalues; i++)
				if ((v = tv_push(list)) != NULL) {
					tv_str(v, "name", act->values[i].name);
					tv_str(
					    v, "value", act->values[i].value);
				}
	}
	if (!widget(c, d))
		tv_str(d, "widget_error", MSG_NO_WIDGET);
	web_render(c, "confirm", d);
}

/* Makes the response a page that says payments are off (403). */
static void
refuse_offline(struct ctx *c)
{
	struct tmpl_val *d = web_page_data(c, "Online payments", "billing");

	c->resp->status = 403;
	if (d == NULL) {
		web_error(c, 500);
		return;
	}
	tv_str(d, "message", MSG_OFF);
	web_render(c, "billing_off", d);
}

/* ---- Billing & Payments ---- */

void
h_billing(struct ctx *c)
{
	struct tmpl_val *d = web_page_data(c, "Billing & Payments", "billing");
	struct billing_who w;
	struct bill_summary s;
	struct autopay_status ap;
	struct tmpl_val *list;
	const char *cur = c->practice->currency;
	const char *v;
	char today[11];
	size_t i;

	memset(&s, 0, sizeof(s));
	if (d == NULL) {
		web_error(c, 500);
		return;
	}
	who_init(c, &w);
	if (billing_summary(&w, &s) != PS_OK) {
		web_error(c, 500);
		return;
	}
	tv_money(d, "balance", s.balance, cur);
	tv_bool(d, "has_balance", s.balance > 0);
	tv_bool(d, "online", online(c));
	tv_bool(d, "processing", s.has_pending);
	tv_bool(d, "can_pay", online(c) && !s.has_pending);
	tv_bool(d, "has_invoices", s.nunpaid > 0);
	tv_str(d, "practice", c->practice->name);
	if ((v = param(c, "paid")) != NULL && strcmp(v, "1") == 0)
		tv_str(d, "notice", "Thank you. Your payment was received.");
	/* AutoPay is the clinician's to switch on; the client sees it
	 * (nothing to read for a client never enrolled). */
	if (s.has_autopay &&
	    autopay_client_status_at(c->t->db, c->sess.practice_id,
	        c->sess.client_id, cur, app_gateway(c->app, c->practice),
	        tz_day(c->practice->tz, c->now, today), &ap) == PS_OK) {
		if (ap.notice[0] != '\0')
			tv_str(d, "autopay_notice", ap.notice);
		if (ap.action_required && ap.action[0] != '\0') {
			char to[96];

			tv_str(d, "autopay_action", ap.action);
			snprintf(to, sizeof(to),
			    "/billing/payments/%lld/confirm",
			    (long long)ap.action_attempt);
			tv_str(d, "autopay_confirm", to);
		}
	}
	if ((list = tv_list(d, "invoices")) != NULL)
		for (i = 0; i < s.nunpaid; i++) {
			const struct bill_invoice *in = &s.unpaid[i];
			struct tmpl_val *o = tv_push(list);
			char date[32];

			if (o == NULL)
				break;
			date_text(in->issued_on, date, sizeof(date));
			tv_int(o, "id", in->id);
			tv_str(o, "number", in->number);
			tv_str(o, "date", date);
			tv_str(o, "due_on", in->due_on);
			tv_str(o, "description", in->description);
			tv_money(o, "due", in->due, cur);
		}
	billing_summary_free(&s);
	web_render(c, "billing", d);
}

/* ---- Paying ---- */

/* What a payment is for, with the amount due now. */
struct pay_target {
	enum bill_target target;
	struct bill_invoice inv; /* BILL_INVOICE */
	int64_t due;
};

/* Loads what is due for the target in c's parameters ("invoice" set: that
 * invoice; else the balance). Returns PS_OK, PS_NOTFOUND or PS_ERROR. */
static enum pstatus
target_load(struct ctx *c, struct pay_target *t)
{
	struct billing_who w;
	struct bill_summary s;
	int64_t id;
	enum pstatus st;

	memset(t, 0, sizeof(*t));
	who_init(c, &w);
	if (param(c, "invoice") != NULL) {
		if (!param_int(c, "invoice", 1, &id))
			return PS_NOTFOUND;
		t->target = BILL_INVOICE;
		if ((st = billing_invoice(&w, id, &t->inv)) != PS_OK)
			return st;
		t->due = t->inv.due;
		return PS_OK;
	}
	memset(&s, 0, sizeof(s));
	t->target = BILL_BALANCE;
	if ((st = billing_summary(&w, &s)) != PS_OK)
		return st;
	t->due = s.balance;
	billing_summary_free(&s);
	return PS_OK;
}

/* Renders the confirm-and-pay form for t with a new one-time form key.
 * chosen: the card id the client picked (0: the default; -1: Add Card).
 * message: an alert (a decline's text) or NULL. */
static void
pay_form(struct ctx *c, const struct pay_target *t, int64_t chosen,
    const char *message)
{
	struct tmpl_val *d = web_page_data(c, "Pay", "billing");
	struct billing_who w;
	struct bill_card *cards = NULL;
	struct tmpl_val *list, *first = NULL;
	const char *cur = c->practice->currency;
	char key[CRYPTO_TOKEN_SIZE], amount[32], button[64], date[32];
	size_t n = 0, i;
	int any_checked = 0;

	if (d == NULL || crypto_token_new(key) != PS_OK) {
		web_error(c, 500);
		return;
	}
	who_init(c, &w);
	if (billing_cards(&w, &cards, &n) != PS_OK) {
		web_error(c, 500);
		return;
	}
	tv_str(d, "form_key", key);
	tv_int(d, "amount_cents", t->due);
	money_format(t->due, cur, amount, sizeof(amount));
	tv_str(d, "amount", amount);
	snprintf(button, sizeof(button), "Pay %s", amount);
	tv_str(d, "button", button);
	if (t->target == BILL_INVOICE) {
		tv_bool(d, "is_invoice", 1);
		tv_int(d, "invoice_id", t->inv.id);
		tv_str(d, "invoice_number", t->inv.number);
		date_text(t->inv.issued_on, date, sizeof(date));
		tv_str(d, "invoice_date", date);
		tv_str(d, "invoice_description", t->inv.description);
	}
	tv_bool(d, "has_cards", n > 0);
	if (cards_elsewhere(c, d) != 0) {
		free(cards);
		web_error(c, 500);
		return;
	}
	if ((list = tv_list(d, "cards")) != NULL)
		for (i = 0; i < n; i++) {
			struct tmpl_val *o = tv_push(list);
			/* An expired card is shown, never preselected. */
			int on =
			    !cards[i].expired &&
			    (chosen > 0 ? cards[i].id == chosen
			                : chosen == 0 && cards[i].is_default);

			if (o == NULL)
				break;
			if (first == NULL && !cards[i].expired)
				first = o;
			card_val(o, &cards[i]);
			tv_bool(o, "checked", on);
			any_checked |= on;
		}
	/* No default flagged (or the chosen card is gone or expired): the
	 * first card that has not expired, billing_cards() listing the
	 * default first. */
	if (!any_checked && chosen != -1 && first != NULL) {
		tv_bool(first, "checked", 1);
		any_checked = 1;
	}
	tv_bool(d, "new_checked", !any_checked);
	tv_bool(d, "save_card", param_on(c, "save_card"));
	tv_bool(d, "make_default", param_on(c, "make_default"));
	free(cards);
	if (message != NULL)
		tv_str(d, "alert", message);
	if (!widget(c, d))
		tv_str(d, "widget_error", MSG_NO_WIDGET);
	web_field_errors(c, d);
	if (c->nerrs > 0 && message == NULL)
		tv_str(d, "alert", "Please check the payment below.");
	web_render(c, "pay", d);
}

void
h_pay_form(struct ctx *c)
{
	struct pay_target t;
	enum pstatus st;

	if (!online(c)) {
		refuse_offline(c);
		return;
	}
	if (c->nerrs > 0) {
		web_error(c, 404);
		return;
	}
	st = target_load(c, &t);
	if (st == PS_NOTFOUND) {
		web_error(c, 404);
		return;
	}
	if (st != PS_OK) {
		web_error(c, 500);
		return;
	}
	if (t.due <= 0) {
		web_redirect(c, "/billing");
		return;
	}
	pay_form(c, &t, 0, NULL);
}

/* Renders the outcome page of a payment that was charged or is being
 * settled. */
static void
pay_done(struct ctx *c, const struct bill_pay_result *r, const char *card)
{
	struct tmpl_val *d = web_page_data(c, "Payment", "billing");
	char amount[32];

	if (d == NULL) {
		web_error(c, 500);
		return;
	}
	money_format(r->amount, c->practice->currency, amount, sizeof(amount));
	tv_str(d, "amount", amount);
	tv_str(d, "card", card);
	if (r->outcome == BILL_PAID) {
		tv_bool(d, "paid", 1);
		tv_str(d, "receipt_number", r->receipt_number);
	} else
		tv_bool(d, "processing", 1);
	web_render(c, "pay_done", d);
}

static void confirm_attempt(
    struct ctx *c, const struct bill_pay_result *r, const char *message);

void
h_pay(struct ctx *c)
{
	struct pay_target t;
	struct bill_pay_req rq;
	struct bill_pay_result r;
	struct billing_who w;
	struct bill_card *cards = NULL;
	char card_text[96], amt[32], msg[400];
	const char *choice, *token;
	int64_t amount = 0, card_id = 0, chosen = 0;
	size_t n = 0, i;
	enum pstatus st;
	int tries;

	if (!online(c)) {
		refuse_offline(c);
		return;
	}
	st = target_load(c, &t);
	if (st == PS_NOTFOUND) {
		web_error(c, 404);
		return;
	}
	if (st != PS_OK) {
		web_error(c, 500);
		return;
	}
	/* A resubmitted form whose key has an attempt gets its result, even
	 * when the balance is paid now: so it is tried before the checks
	 * that depend on what is due. */
	choice = param(c, "card");
	token = param(c, "token");
	if (choice != NULL && strcmp(choice, "new") == 0)
		chosen = -1;
	else if (choice != NULL && !param_int(c, "card", 1, &card_id))
		add_err(c, "card", "Choose a card.");
	chosen = card_id > 0 ? card_id : chosen;
	if (param(c, "amount") == NULL || !param_int(c, "amount", 1, &amount) ||
	    param(c, "form_key") == NULL) {
		/* The hidden fields were changed or removed. */
		c->nerrs = 0;
		c->resp->status = 400;
		money_format(t.due, c->practice->currency, amt, sizeof(amt));
		snprintf(msg, sizeof(msg),
		    "The amount to pay must be the full amount due, %s. "
		    "Partial payments can't be made in the Client Portal. "
		    "Nothing was charged.",
		    amt);
		pay_form(c, &t, chosen, msg);
		return;
	}
	if (c->nerrs == 0 && chosen == -1 && (token == NULL || *token == '\0'))
		add_err(c, "card", "Enter your card details.");
	if (c->nerrs == 0 && choice == NULL)
		add_err(c, "card", "Choose a card.");
	if (c->nerrs > 0) {
		pay_form(c, &t, chosen, NULL);
		return;
	}
	memset(&rq, 0, sizeof(rq));
	rq.target = t.target;
	rq.invoice_id = t.target == BILL_INVOICE ? t.inv.id : 0;
	rq.amount = amount;
	rq.card_id = chosen > 0 ? chosen : 0;
	rq.token = chosen == -1 ? token : NULL;
	rq.save_card = chosen == -1 && param_on(c, "save_card");
	rq.make_default = chosen == -1 && param_on(c, "make_default");
	rq.form_key = param(c, "form_key");
	rq.off_session = 0;

	/* What the client paid with, for the result page. */
	who_init(c, &w);
	snprintf(card_text, sizeof(card_text), "your card");
	if (chosen > 0) {
		if (billing_cards(&w, &cards, &n) != PS_OK) {
			web_error(c, 500);
			return;
		}
		for (i = 0; i < n && cards[i].id != chosen; i++)
			;
		if (i < n)
			snprintf(card_text, sizeof(card_text),
			    "%s ending in %s", brand_name(cards[i].brand),
			    cards[i].last4);
		free(cards);
	} else {
		const char *b = param(c, "card_brand");
		const char *l4 = param(c, "card_last4");

		if (b != NULL && l4 != NULL && strlen(l4) == 4 &&
		    strspn(l4, "0123456789") == 4)
			snprintf(card_text, sizeof(card_text),
			    "%s ending in %s", brand_name(b), l4);
	}

	/* billing_pay() re-checks the amount against what is due (no partial
	 * payments) after looking the form key up: a resubmitted form gets
	 * its first result even when nothing is due any more. */
	memset(&r, 0, sizeof(r));
	st = billing_pay(&w, &rq, &r);
	/* A double submit that arrives while the first is still with the
	 * processor: wait (a few seconds at most) for the first outcome. */
	for (tries = 0; tries < 20 && (st == PS_CONFLICT ||
	                                  (st == PS_OK && r.replay &&
	                                      r.outcome == BILL_PROCESSING));
	     tries++) {
		usleep(250000);
		w.now = (int64_t)time(NULL);
		memset(&r, 0, sizeof(r));
		st = billing_pay(&w, &rq, &r);
	}
	if (st == PS_INVALID && amount != t.due) {
		/* Tampered, or the amount due changed since the form was
		 * shown. */
		c->resp->status = 400;
		money_format(t.due, c->practice->currency, amt, sizeof(amt));
		snprintf(msg, sizeof(msg),
		    "The amount to pay must be the full amount due, %s. "
		    "Partial payments can't be made in the Client Portal. "
		    "Nothing was charged.",
		    amt);
		pay_form(c, &t, chosen, msg);
		return;
	}
	switch (st) {
	case PS_OK:
		break;
	case PS_DENIED:
		refuse_offline(c);
		return;
	case PS_NOTFOUND:
		web_error(c, 404);
		return;
	case PS_CONFLICT:
		c->resp->status = 409;
		pay_form(c, &t, chosen,
		    "Another payment is being processed. Please wait a "
		    "minute, then check Billing & Payments before paying "
		    "again.");
		return;
	case PS_INVALID:
		c->resp->status = 400;
		pay_form(c, &t, chosen,
		    r.message[0] != '\0'
		        ? r.message
		        : "This payment can't be made. Nothing was charged.");
		return;
	default:
		c->resp->status = 500;
		pay_form(c, &t, chosen, MSG_ERROR);
		return;
	}
	switch (r.outcome) {
	case BILL_PAID:
	case BILL_PROCESSING:
		pay_done(c, &r, card_text);
		return;
	case BILL_REQUIRES_ACTION:
		if (r.action.type != PGW_ACTION_NONE) {
			/* The bank's challenge, on this page; then the same
			 * attempt is completed under its key. */
			confirm_attempt(c, &r, NULL);
			return;
		}
		/* FALLTHROUGH */
	case BILL_DECLINED:
	case BILL_UNAVAILABLE:
	default:
		if (r.outcome == BILL_TOKEN_EXPIRED) {
			/* Not an outage: the card entry was spent or too
			 * old; the client enters the card again. */
			c->resp->status = 400;
			add_err(c, "card", r.message);
			pay_form(c, &t, -1, r.message);
			return;
		}
		/* Nothing was charged: the form again, with a new key. */
		snprintf(msg, sizeof(msg), "%s%s",
		    r.message[0] != '\0' ? r.message
		    : r.outcome == BILL_UNAVAILABLE
		        ? "The card processor could not be reached. "
		          "Nothing was charged. Please try again."
		        : "Your card was declined.",
		    r.outcome == BILL_REQUIRES_ACTION
		        ? " Nothing was charged. Please use another card, or "
		          "contact your clinician's office."
		        : "");
		if (chosen == -1)
			add_err(c, "card", msg);
		pay_form(c, &t, chosen, msg);
		return;
	}
}

/* ---- 3-D Secure: the bank's challenge and its completion ---- */

/* The challenge page of payment attempt r->attempt_id. */
static void
confirm_attempt(
    struct ctx *c, const struct bill_pay_result *r, const char *message)
{
	char to[96], amount[32], intro[256];

	snprintf(to, sizeof(to), "/billing/payments/%lld/confirm",
	    (long long)r->attempt_id);
	money_format(r->amount, c->practice->currency, amount, sizeof(amount));
	snprintf(intro, sizeof(intro),
	    "Your bank needs you to confirm this payment of %s. Follow the "
	    "steps your bank shows on this page; you won't be charged "
	    "twice.",
	    amount);
	confirm_page(c, &r->action, to, intro, message);
}

/* The page after a confirmation that charged nothing. */
static void
not_charged(struct ctx *c, const char *message, const char *retry)
{
	struct tmpl_val *d = web_page_data(c, "Payment", "billing");

	if (d == NULL) {
		web_error(c, 500);
		return;
	}
	tv_bool(d, "not_charged", 1);
	tv_str(d, "message", message);
	if (retry != NULL)
		tv_str(d, "retry", retry);
	web_render(c, "pay_done", d);
}

/* The outcome of a completion (or of asking for the challenge again). */
static void
confirm_result(
    struct ctx *c, enum pstatus st, const struct bill_pay_result *r, int posted)
{
	char msg[400] = "", retry[96];

	if (st == PS_DENIED) {
		refuse_offline(c);
		return;
	}
	if (st == PS_NOTFOUND) {
		web_error(c, 404);
		return;
	}
	if (st != PS_OK) {
		web_error(c, 500);
		return;
	}
	snprintf(retry, sizeof(retry), "/billing/payments/%lld/confirm",
	    (long long)r->attempt_id);
	switch (r->outcome) {
	case BILL_PAID:
	case BILL_PROCESSING:
		pay_done(c, r, "your card");
		return;
	case BILL_REQUIRES_ACTION:
		if (!posted && r->action.type != PGW_ACTION_NONE) {
			confirm_attempt(c, r, NULL);
			return;
		}
		not_charged(c,
		    "Your bank's confirmation wasn't completed, so nothing was "
		    "charged. You can try again, or pay with another card from "
		    "Billing & Payments.",
		    r->action.type != PGW_ACTION_NONE ? retry : NULL);
		return;
	case BILL_DECLINED:
		snprintf(msg, sizeof(msg), "%s Nothing was charged.",
		    r->message[0] ? r->message
		                  : "Your bank declined the payment.");
		not_charged(c, msg, NULL);
		return;
	default:
		not_charged(c,
		    "The card processor could not be reached. Nothing was "
		    "charged. Please try again in a few minutes.",
		    retry);
		return;
	}
}

void
h_pay_confirm_form(struct ctx *c)
{
	struct billing_who w;
	struct bill_pay_result r;
	int64_t id;

	if (!online(c)) {
		refuse_offline(c);
		return;
	}
	if (!param_int(c, "id", 1, &id)) {
		web_error(c, 404);
		return;
	}
	who_init(c, &w);
	confirm_result(c, billing_pay_action(&w, id, &r), &r, 0);
}

void
h_pay_confirm(struct ctx *c)
{
	struct billing_who w;
	struct bill_pay_result r;
	int64_t id;

	if (!online(c)) {
		refuse_offline(c);
		return;
	}
	if (!param_int(c, "id", 1, &id)) {
		web_error(c, 404);
		return;
	}
	who_init(c, &w);
	confirm_result(c,
	    billing_pay_complete(&w, id, param(c, "action_result"), &r), &r, 1);
}

/* ---- Payment Methods ---- */

void
h_payment_methods(struct ctx *c)
{
	struct tmpl_val *d =
	    web_page_data(c, "Payment Methods", "payment_methods");
	struct billing_who w;
	struct bill_card *cards = NULL;
	struct tmpl_val *list;
	const char *v;
	size_t n = 0, i;

	if (d == NULL) {
		web_error(c, 500);
		return;
	}
	who_init(c, &w);
	if (billing_cards(&w, &cards, &n) != PS_OK) {
		web_error(c, 500);
		return;
	}
	tv_bool(d, "online", online(c));
	tv_bool(d, "has_cards", n > 0);
	if ((list = tv_list(d, "cards")) != NULL)
		for (i = 0; i < n; i++) {
			struct tmpl_val *o = tv_push(list);

			if (o == NULL)
				break;
			card_val(o, &cards[i]);
		}
	free(cards);
	if (cards_elsewhere(c, d) != 0) {
		web_error(c, 500);
		return;
	}
	if ((v = param(c, "saved")) != NULL)
		tv_str(d, "notice", "Your card was saved.");
	else if ((v = param(c, "default")) != NULL)
		tv_str(d, "notice", "Your default card was changed.");
	else if ((v = param(c, "expired")) != NULL)
		tv_str(d, "alert",
		    "That card has expired, so it can't be your default "
		    "card. Please add a new card.");
	web_render(c, "payment_methods", d);
}

/* Renders the + New Card form (make_default as posted) with message. */
static void
card_new_form(struct ctx *c, const char *message)
{
	struct tmpl_val *d = web_page_data(c, "New Card", "payment_methods");

	if (d == NULL) {
		web_error(c, 500);
		return;
	}
	tv_bool(d, "make_default", param_on(c, "make_default"));
	if (message != NULL)
		tv_str(d, "alert", message);
	if (!widget(c, d))
		tv_str(d, "widget_error", MSG_NO_WIDGET);
	web_field_errors(c, d);
	if (c->nerrs > 0 && message == NULL)
		tv_str(d, "alert", "Please check the card below.");
	web_render(c, "card_new", d);
}

void
h_card_new_form(struct ctx *c)
{
	if (!online(c)) {
		refuse_offline(c);
		return;
	}
	card_new_form(c, NULL);
}

/* Saves the card behind the posted token (make_default as given).
 * Returns 1 when saved; else 0 with the page's error in c (and *msg set
 * for an alert, or NULL). */
static int
save_posted_card(struct ctx *c, int make_default, struct bill_action *act,
    char *msg, size_t msgsz)
{
	struct billing_who w;
	struct bill_card card;
	const char *token = param(c, "token");
	enum pstatus st;

	msg[0] = '\0';
	if (token == NULL) {
		add_err(c, "card", "Enter your card details.");
		return 0;
	}
	who_init(c, &w);
	st = billing_card_save_action(
	    &w, token, make_default, &card, act, msg, msgsz);
	switch (st) {
	case PS_OK:
		return 1; /* saved, or act says what the bank asks */
	case PS_DECLINED:
		if (msg[0] == '\0')
			snprintf(msg, msgsz, "Your card was declined.");
		add_err(c, "card", msg);
		return 0;
	case PS_RETRY:
	case PS_UNKNOWN:
		if (msg[0] == '\0')
			snprintf(msg, msgsz,
			    "The card processor could not be reached. "
			    "Please try again.");
		return 0;
	case PS_DENIED:
		snprintf(msg, msgsz, "%s", MSG_OFF);
		return 0;
	case PS_INVALID:
		/* A stale or spent card entry: the client enters the card
		 * again (400: this request cannot succeed as sent). */
		if (msg[0] == '\0')
			snprintf(msg, msgsz,
			    "That card entry expired. Please enter the card "
			    "again.");
		add_err(c, "card", msg);
		c->resp->status = 400;
		return 0;
	default:
		snprintf(msg, msgsz,
		    "Something went wrong on our side. Your card was not "
		    "saved. Please try again.");
		c->resp->status = 500;
		return 0;
	}
}

/* The challenge page of a card save the bank wants confirmed. */
static void
confirm_setup(struct ctx *c, const struct bill_action *act)
{
	char to[96];

	snprintf(to, sizeof(to), "/billing/payment-methods/confirm/%lld",
	    (long long)act->id);
	confirm_page(c, act, to,
	    "Your bank needs you to confirm this card before it is saved. "
	    "It won't be charged.",
	    NULL);
}

void
h_card_new(struct ctx *c)
{
	struct bill_action act;
	char msg[300] = "";

	if (!online(c)) {
		refuse_offline(c);
		return;
	}
	memset(&act, 0, sizeof(act));
	if (c->nerrs == 0 && save_posted_card(c, param_on(c, "make_default"),
	                         &act, msg, sizeof(msg))) {
		if (act.type != PGW_ACTION_NONE)
			confirm_setup(c, &act);
		else
			web_redirect(c, "/billing/payment-methods?saved=1");
		return;
	}
	card_new_form(c, msg[0] != '\0' ? msg : NULL);
}

void
h_card_confirm(struct ctx *c)
{
	struct billing_who w;
	struct bill_card card;
	struct bill_action act;
	char msg[300] = "";
	int64_t id;
	enum pstatus st;

	if (!online(c)) {
		refuse_offline(c);
		return;
	}
	if (!param_int(c, "id", 1, &id)) {
		web_error(c, 404);
		return;
	}
	who_init(c, &w);
	st = billing_card_setup_complete(
	    &w, id, param(c, "action_result"), &card, &act, msg, sizeof(msg));
	if (st == PS_OK && card.id != 0) {
		web_redirect(c, "/billing/payment-methods?saved=1");
		return;
	}
	if (st == PS_NOTFOUND) {
		web_error(c, 404);
		return;
	}
	if (st == PS_OK)
		snprintf(msg, sizeof(msg),
		    "Your bank's confirmation wasn't completed, so your card "
		    "was not saved. Nothing was charged. Please try again.");
	else if (st == PS_DECLINED) {
		size_t n = strlen(msg);

		snprintf(msg + n, sizeof(msg) - n, "%sYour card was not saved.",
		    n > 0 ? " " : "");
	}
	add_err(c, "card", msg);
	card_new_form(c, msg);
}

void
h_card_default(struct ctx *c)
{
	struct billing_who w;
	int64_t id;
	enum pstatus st;

	if (!param_int(c, "id", 1, &id)) {
		web_error(c, 404);
		return;
	}
	who_init(c, &w);
	st = billing_card_set_default(&w, id);
	if (st == PS_NOTFOUND) {
		web_error(c, 404);
		return;
	}
	if (st == PS_INVALID) {
		web_redirect(c, "/billing/payment-methods?expired=1");
		return;
	}
	if (st != PS_OK) {
		web_error(c, 500);
		return;
	}
	web_redirect(c, "/billing/payment-methods?default=1");
}

/* ---- Documents: Credit card information ---- */

/* Whether the client is asked for a card among the intake paperwork: for
 * now, when Online Payments is on and no card is on file (there is no
 * clinician request flag yet). Returns -1 on a database error. */
static int
card_requested(struct ctx *c)
{
	struct billing_who w;
	struct bill_card *cards = NULL;
	size_t n = 0;

	if (!online(c))
		return 0;
	who_init(c, &w);
	if (billing_cards(&w, &cards, &n) != PS_OK)
		return -1;
	free(cards);
	return n == 0;
}

/* Renders Documents; with the card form when requested. */
static void
documents_page(struct ctx *c, const char *message)
{
	struct tmpl_val *d = web_page_data(c, "Documents", "documents");
	int want = card_requested(c);

	if (d == NULL || want < 0) {
		web_error(c, 500);
		return;
	}
	if (want) {
		tv_bool(d, "card_form", 1);
		if (!widget(c, d))
			tv_str(d, "widget_error", MSG_NO_WIDGET);
	}
	if (param(c, "saved") != NULL)
		tv_str(d, "notice", "Your card was saved. It was not charged.");
	if (message != NULL)
		tv_str(d, "alert", message);
	web_field_errors(c, d);
	if (c->nerrs > 0 && message == NULL)
		tv_str(d, "alert", "Please check the card below.");
	web_render(c, "documents", d);
}

void
h_documents(struct ctx *c)
{
	documents_page(c, NULL);
}

void
h_documents_card(struct ctx *c)
{
	char msg[300] = "";

	if (!online(c)) {
		refuse_offline(c);
		return;
	}
	if (c->nerrs == 0 && save_posted_card(c, 1, NULL, msg, sizeof(msg))) {
		web_redirect(c, "/documents?saved=1");
		return;
	}
	documents_page(c, msg[0] != '\0' ? msg : NULL);
}
