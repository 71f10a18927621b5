/* billing.h: the domain rules of billing: balances and unpaid invoices,
 * cards on file, crash-safe payments (DESIGN.md "A payment, crash-safely")
 * and their reconciliation. No HTTP here; the pages and portalctl call it.
 *
 * Every function acts for one client of one practice, named by the ids in
 * struct billing_who (taken from the session, never from a request): a
 * card or invoice id of another client is PS_NOTFOUND. Money is int64_t
 * minor units in the practice's currency. */
#ifndef PORTAL_BILLING_H
#define PORTAL_BILLING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/conf.h"
#include "db/db.h"
#include "gateway.h"
#include "util/util.h"

struct gw_instance;

/* Who acts, for whom, and with what. Borrowed by every call. */
struct billing_who {
	struct db *db;
	const struct practice_conf *practice; /* currency, online_payments */
	int64_t practice_id;                  /* database id */
	int64_t client_id;
	int64_t user_id;        /* 0 for the clinician or the system */
	enum db_actor actor;    /* for the audit rows */
	const char *ip;         /* may be NULL */
	struct gw_instance *gw; /* the practice's processor; NULL when
	                           Online Payments is off or the plugin
	                           failed to start */
	int64_t now;            /* unix seconds */
};

/* ---- balance and invoices ---- */

#define BILL_NUMBER_MAX 32

struct bill_invoice {
	int64_t id;
	char number[BILL_NUMBER_MAX]; /* "INV-000123" */
	char issued_on[11];           /* YYYY-MM-DD */
	char due_on[11];              /* YYYY-MM-DD or "" */
	char description[201];        /* first line's text, for lists */
	int64_t total;                /* sum of lines */
	int64_t paid;                 /* applied payments - refunds */
	int64_t due;                  /* total - paid, >= 0 */
};

struct bill_summary {
	int64_t balance;             /* sum of due over every invoice */
	struct bill_invoice *unpaid; /* due > 0, oldest first; malloc'd */
	size_t nunpaid;
	int has_pending; /* an attempt is pending or unknown */
	int has_autopay; /* an AutoPay enrollment row exists (on or off):
	                    autopay_client_status() has something to say */
};

/* Fills *out for the client. Free with billing_summary_free(). PS_OK or
 * PS_ERROR. */
enum pstatus billing_summary(
    const struct billing_who *w, struct bill_summary *out);
void billing_summary_free(struct bill_summary *s);

/* Reads one invoice of the client. PS_OK, PS_NOTFOUND or PS_ERROR. */
enum pstatus billing_invoice(
    const struct billing_who *w, int64_t invoice_id, struct bill_invoice *out);

/* ---- cards on file ---- */

struct bill_card {
	int64_t id;
	char brand[24]; /* "visa" */
	char last4[8];
	int exp_month, exp_year;
	int is_default;
	int expired; /* past its expiry month on the practice's date: shown,
	                never preselected or charged */
};

/* 1 when a card good through the end of exp_month/exp_year is past that
 * on today ("YYYY-MM-DD", the practice's date), else 0. A month outside
 * 1..12 counts as expired. */
int billing_card_expired(
    int64_t exp_month, int64_t exp_year, const char *today);

/* What a client reads when a card on file has expired (billing_pay refuses
 * it with PS_INVALID and this text). */
#define BILL_MSG_CARD_EXPIRED                                               \
	"This card has expired and can't be charged. Nothing was charged. " \
	"Please choose another card or add a new one."

/* Lists the client's usable cards, the default first, into a malloc'd
 * array: with a processor (w->gw), only the cards saved at its plugin and
 * account (a token is valid only there); without one, every card on file.
 * Expired cards are listed, with expired set (at the practice's date at
 * w->now). PS_OK or PS_ERROR. */
enum pstatus billing_cards(
    const struct billing_who *w, struct bill_card **out, size_t *n);

/* Sets *n to the number of the client's cards on file that billing_cards()
 * leaves out because they were saved at another processor or account (0
 * without a processor). PS_OK or PS_ERROR. */
enum pstatus billing_cards_elsewhere(const struct billing_who *w, size_t *n);

#define BILL_ACCOUNT_SIZE 33 /* 32 hex digits and a NUL */

/* What a client reads about a card saved at another processor account
 * (billing_pay refuses it with PS_INVALID and this text). */
#define BILL_MSG_CARD_ELSEWHERE                                              \
	"This card was saved with your clinician's previous card processor " \
	"and can't be charged now. Nothing was charged. Please add a new "   \
	"card."

/* Writes into out the fingerprint of the processor account gw acts for:
 * the first 32 hex digits of SHA-256 over the plugin's name and its card
 * widget's public values (name=value, in name order; a 1.0 plugin's
 * public key as "publishable_key"), never a secret. Cards and processor
 * customers are recorded with it. "" when gw is NULL or its widget
 * cannot be described. */
void billing_account(struct gw_instance *gw, char out[BILL_ACCOUNT_SIZE]);

/* 1 when a card saved at plugin and account (a card's stored fields) can
 * be used with processor gw: same plugin, and same account or a card
 * stored before accounts were recorded (account ""). */
int billing_card_here(
    struct gw_instance *gw, const char *plugin, const char *account);

/* Saves the card behind token (from the processor's card widget) for the
 * client, creating the processor customer on first use; charges nothing.
 * make_default (or the client's first card) makes it the default. On
 * PS_OK *out is the stored card. PS_DECLINED: msg (client-safe, from the
 * processor) says why; PS_DENIED: Online Payments off; PS_RETRY/PS_UNKNOWN:
 * the processor could not be reached (msg says to try again); PS_INVALID:
 * the token is malformed, or the processor refused it as unknown, expired
 * or used (msg asks for the card again; a warning is logged); PS_ERROR.
 * Idempotent per token: saving the token of a card saved already answers
 * PS_OK with that card (the processor's idempotency key is derived from
 * the token). An audit row is written in every case. */
enum pstatus billing_card_save(const struct billing_who *w, const char *token,
    int make_default, struct bill_card *out, char *msg, size_t msgsz);

/* Makes card_id the client's default card. PS_OK, PS_NOTFOUND (not the
 * client's), PS_INVALID (it has expired), PS_ERROR. Audited. Clients cannot
 * edit or remove cards: there is deliberately no function for that here. */
enum pstatus billing_card_set_default(
    const struct billing_who *w, int64_t card_id);

/* ---- payments ---- */

/* ---- 3-D Secure: what the browser does next ---- */

/* The processor's next action for the client's browser (its challenge),
 * from a REQUIRES_ACTION answer (gateway.h struct pgw_next_action, without
 * the processor object, which stays server-side). The values may hold a
 * client secret: put them in that client's page only, never in a log. */
struct bill_action {
	int64_t id;   /* the attempt (payment) or card setup it completes */
	int32_t type; /* enum pgw_action_type; PGW_ACTION_NONE = nothing */
	char kind[PGW_NAME_MAX];
	char url[PGW_URL_MAX];
	uint32_t nvalues;
	struct pgw_value values[PGW_ACTION_VALUES_MAX];
};

/* As billing_card_save(), but when the processor asks the client to
 * authenticate the card (a SetupIntent with a challenge) and act is not
 * NULL: the save is kept as a card setup and the function returns PS_OK
 * with out->id 0 and act filled (act->id the setup); the page shows the
 * challenge, then calls billing_card_setup_complete(). */
enum pstatus billing_card_save_action(const struct billing_who *w,
    const char *token, int make_default, struct bill_card *out,
    struct bill_action *act, char *msg, size_t msgsz);

/* Completes card setup setup_id of the client after the browser's action
 * (action_result: what the processor's SDK handed back, or NULL), under
 * the setup's idempotency key. PS_OK with out->id set: saved; PS_OK with
 * out->id 0 and act filled: not authenticated yet (abandoned, or the page
 * asks again); PS_DECLINED: authentication failed, nothing saved (msg);
 * PS_NOTFOUND (not the client's, done already, or another processor
 * account now); PS_RETRY/PS_UNKNOWN/PS_ERROR as billing_card_save(). */
enum pstatus billing_card_setup_complete(const struct billing_who *w,
    int64_t setup_id, const char *action_result, struct bill_card *out,
    struct bill_action *act, char *msg, size_t msgsz);

enum bill_target { BILL_BALANCE, BILL_INVOICE };

struct bill_pay_req {
	enum bill_target target;
	int64_t invoice_id; /* BILL_INVOICE */
	int64_t amount;     /* what the client confirmed: must equal what is
	                       due now (no partial payments) */
	int64_t card_id;    /* a saved card, or 0 with token */
	const char *token;  /* a one-time token from the widget, or NULL */
	int save_card;      /* with token: keep the card */
	int make_default;   /* with token: keep the card (even without
	                       save_card) and make it the default */
	/* The form's one-time key (a random token put in the confirm form
	 * when it was shown). A resubmitted or double-clicked form carries
	 * the same key and maps to the same attempt, so it charges once. */
	const char *form_key;
	int off_session; /* 1 for AutoPay */
};

enum bill_outcome {
	BILL_PAID,            /* charged and recorded; receipt made */
	BILL_DECLINED,        /* nothing charged; message is client-safe */
	BILL_REQUIRES_ACTION, /* the bank wants the client to authenticate */
	BILL_PROCESSING,      /* outcome unknown or pending; reconcile (or a
	                         webhook) settles it; never charged twice */
	BILL_UNAVAILABLE,     /* the processor was not reached; nothing was
	                         charged; try again later */
	BILL_TOKEN_EXPIRED,   /* the one-time card entry was refused as such
	                         (unknown, expired or used already): nothing
	                         charged; the client enters the card again */
};

struct bill_pay_result {
	enum bill_outcome outcome;
	int64_t attempt_id;
	int64_t amount;
	char message[256]; /* client-safe text for the page */
	char receipt_number[BILL_NUMBER_MAX]; /* BILL_PAID */
	int replay;                           /* 1: the form key had an attempt
	                                         already; this is its result */
	/* BILL_REQUIRES_ACTION: the challenge to show (type NONE when the
	 * client cannot authenticate on this page) */
	struct bill_action action;
};

/* Pays, crash-safely: (1) in one transaction, checks the amount equals
 * what is due (PS_INVALID otherwise, with msg "no partial payments"
 * style text in res->message), refuses when another attempt for the
 * client is pending (PS_CONFLICT), and inserts the attempt 'pending' with
 * its idempotency key, derived from the attempt, commits; (2) calls the
 * gateway with that key; (3) in one transaction, records the outcome and,
 * on success, the payment, its allocation to the invoices (oldest first
 * for the balance) and the receipt. A form_key seen before returns the
 * earlier attempt's result (res->replay = 1) without a second charge.
 * Returns PS_OK with res filled for every outcome above; PS_INVALID (bad
 * amount, nothing due, token and card both or neither); PS_NOTFOUND
 * (invoice or card not the client's); PS_DENIED (Online Payments off);
 * PS_CONFLICT (another payment in progress); PS_ERROR. Audited. */
enum pstatus billing_pay(const struct billing_who *w,
    const struct bill_pay_req *req, struct bill_pay_result *res);

/* Attempt attempt_id of the client ended requires_action (on session, or
 * an AutoPay charge the bank wants confirmed): asks the processor for its
 * next action, for the page to show. PS_OK with res filled: outcome
 * BILL_REQUIRES_ACTION with res->action, or the attempt's outcome when it
 * was settled meanwhile (BILL_PAID: recorded once). PS_NOTFOUND (not the
 * client's, or not waiting for the client), PS_DENIED (Online Payments
 * off), PS_ERROR. */
enum pstatus billing_pay_action(const struct billing_who *w, int64_t attempt_id,
    struct bill_pay_result *res);

/* Completes attempt attempt_id of the client after the browser's action
 * (action_result as billing_card_setup_complete()), under the attempt's
 * own idempotency key: paid once (BILL_PAID), failed authentication
 * (BILL_DECLINED: nothing charged), or not authenticated (BILL_REQUIRES_
 * ACTION: nothing charged; res->action to try again). Returns as
 * billing_pay_action(). Audited. */
enum pstatus billing_pay_complete(const struct billing_who *w,
    int64_t attempt_id, const char *action_result, struct bill_pay_result *res);

/* ---- reconciliation (portalctl payments reconcile) ---- */

/* Resolves every attempt of practice practice_id left 'pending' or
 * 'unknown' for at least min_age seconds, by looking it up at the
 * processor with its idempotency key: found and succeeded -> recorded and
 * applied as in billing_pay step 3; declined or not found -> failed
 * (nothing charged); still unknown -> left for the next run. One line per
 * attempt to report (may be NULL). *resolved and *left (may be NULL) get
 * the counts. PS_OK or PS_ERROR. */
enum pstatus billing_reconcile(struct db *db,
    const struct practice_conf *practice, int64_t practice_id,
    struct gw_instance *gw, int64_t now, int64_t min_age, FILE *report,
    int *resolved, int *left);

/* ---- additions (portalctl, the pages) ---- */

#define BILL_FORM_KEY_SIZE 44 /* 43 base64url characters and a NUL */

/* Makes a new random form key for a pay form (put it in a hidden field when
 * the confirm form is shown; a new one each time the form is shown again
 * after a decline or an error, since a key maps to one attempt for good).
 * Accepted form keys are 16 to 64 characters of [A-Za-z0-9_-]. PS_OK or
 * PS_ERROR. */
enum pstatus billing_form_key_new(char out[BILL_FORM_KEY_SIZE]);

/* Returns a static client-safe text for an outcome ("Paid", ...). */
const char *billing_outcome_str(enum bill_outcome o);

/* One line of a new invoice. */
struct bill_line {
	const char *date_of_service; /* YYYY-MM-DD */
	const char *description;     /* what the client reads: never a
	                                diagnosis or CPT code; at most 200
	                                bytes */
	int64_t quantity;            /* >= 1; 0 means 1 */
	int64_t unit_amount;         /* minor units, >= 0 */
};

/* Creates an invoice of the client (the clinician's action) with lines
 * [0..n), numbered "INV-000001" on per practice, issued on issued_on
 * (YYYY-MM-DD) and due on due_on (may be NULL). On PS_OK *id and number
 * (may be NULL) say which. PS_INVALID (no lines, a total of 0, a bad
 * date, a description too long: msg says which), PS_NOTFOUND (no such
 * client), PS_ERROR. Audited. */
enum pstatus billing_invoice_create(const struct billing_who *w,
    const char *issued_on, const char *due_on, const struct bill_line *lines,
    size_t n, int64_t *id, char number[BILL_NUMBER_MAX], char *msg,
    size_t msgsz);

/* Disables card card_id of the client (the clinician's action: clients
 * cannot). It stops being listed, charged and the default. PS_OK,
 * PS_NOTFOUND (not the client's or disabled already), PS_ERROR. Audited. */
enum pstatus billing_card_disable(const struct billing_who *w, int64_t card_id);

/* Handles one webhook delivery of practice practice_id's processor
 * (the web page passes the raw body and headers as received): verifies
 * the signature on the raw body through gw (PS_DENIED when it does not
 * verify or is stale: answer 400); an event id seen before changes
 * nothing (PS_OK); a payment event settles the attempt it concerns the
 * way reconcile does, from the processor's current state (looked up by
 * the event's payment reference, so events arriving out of order or
 * repeated change nothing wrongly), and is then recorded as handled.
 * Events that concern no attempt of ours are recorded and PS_OK. Returns
 * PS_OK (answer 200), PS_DENIED, PS_RETRY (could not be handled now:
 * answer 503 so the processor delivers it again) or PS_ERROR. *what (may
 * be NULL) gets a short static text for the log. */
enum pstatus billing_webhook(struct db *db,
    const struct practice_conf *practice, int64_t practice_id,
    struct gw_instance *gw, const char *body, size_t body_len,
    const struct pgw_http_header *headers, size_t nheaders, int64_t now,
    const char **what);

#endif
