/* db_billing.h: the billing queries of app/db (invoices, cards, payment
 * attempts, payments, allocations, receipts), used by app/billing and
 * portalctl. Conventions (ids, times, statuses, scoping) as in db.h: every
 * client-visible read and write is scoped by practice_id and client_id, a
 * row outside that scope is PS_NOTFOUND. Dates are "YYYY-MM-DD" text. The
 * functions marked "in a transaction" lock rows and must run inside
 * db_begin/db_commit (db_tx). */
#ifndef PORTAL_DB_BILLING_H
#define PORTAL_DB_BILLING_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

#define DBB_NUMBER_MAX  32
#define DBB_DESC_MAX    200
#define DBB_REF_MAX     128
#define DBB_PLUGIN_MAX  64
#define DBB_ACCOUNT_MAX 64  /* processor account fingerprint (0012) */
#define DBB_TOKEN_MAX   255 /* a widget's one-time token */
#define DBB_FORMKEY_MAX 64
#define DBB_KEY_MAX     64
#define DBB_CODE_MAX    64
#define DBB_MSG_MAX     255

/* ---- clients ---- */

/* Locks client client_id of practice_id (SELECT ... FOR UPDATE), which
 * serializes the billing transactions of one client. In a transaction.
 * PS_OK, PS_NOTFOUND or a db.h status. */
enum pstatus dbb_client_lock(
    struct db *db, int64_t practice_id, int64_t client_id);

/* Sets *client_id to the (oldest) client of practice_id with that email,
 * compared case-insensitively. PS_OK, PS_NOTFOUND, PS_ERROR. */
enum pstatus dbb_client_by_email(
    struct db *db, int64_t practice_id, const char *email, int64_t *client_id);

/* ---- document numbers ---- */

/* Takes the next number of kind ("invoice", "receipt") for practice_id
 * (1, 2, ...) under a row lock. In a transaction. PS_OK or a db.h status. */
enum pstatus dbb_next_number(
    struct db *db, int64_t practice_id, const char *kind, int64_t *out);

/* ---- invoices ---- */

/* One invoice with its sums, as listed. */
struct dbb_invoice {
	int64_t id;
	int64_t client_id;
	char number[DBB_NUMBER_MAX + 1];
	char issued_on[11];
	char due_on[11];                    /* "" when none */
	char description[DBB_DESC_MAX + 1]; /* the first line's */
	int64_t total;                      /* sum of the lines */
	int64_t paid; /* allocations - succeeded refunds on it */
	int64_t nlines;
	char email[DB_EMAIL_MAX + 1]; /* the client's */
};

/* Inserts an invoice of client_id. due_on may be NULL. PS_OK with *id,
 * PS_CONFLICT (number taken), PS_INVALID (bad date) or PS_ERROR. */
enum pstatus dbb_invoice_insert(struct db *db, int64_t practice_id,
    int64_t client_id, const char *number, const char *issued_on,
    const char *due_on, int64_t now, int64_t *id);

/* Inserts line line_no (1-based) of invoice_id: amount = quantity *
 * unit_amount. description at most DBB_DESC_MAX bytes. PS_OK, PS_INVALID,
 * PS_ERROR. */
enum pstatus dbb_line_insert(struct db *db, int64_t practice_id,
    int64_t client_id, int64_t invoice_id, int line_no,
    const char *date_of_service, const char *description, int64_t quantity,
    int64_t unit_amount);

/* Calls fn(arg, row) for the invoices of practice_id, of client_id when it
 * is not 0, and only invoice_id when it is not 0 (then client_id must not
 * be 0), oldest first (issue date, then id). fn returns non-zero to stop. PS_OK
 * or PS_ERROR. */
enum pstatus dbb_invoice_list(struct db *db, int64_t practice_id,
    int64_t client_id, int64_t invoice_id,
    int (*fn)(void *arg, const struct dbb_invoice *row), void *arg);

/* Number of invoices of the client. PS_OK or PS_ERROR. */
enum pstatus dbb_invoice_count(
    struct db *db, int64_t practice_id, int64_t client_id, int64_t *n);

/* ---- processor customers ---- */

/* Reads the processor customer id of the client at plugin and account
 * into ref[DBB_REF_MAX + 1]. PS_OK, PS_NOTFOUND, PS_ERROR. */
enum pstatus dbb_customer_get(struct db *db, int64_t practice_id,
    int64_t client_id, const char *plugin, const char *account, char *ref);

/* Records ref as the client's customer at plugin and account unless one
 * is recorded already (then that one stays). PS_OK or PS_ERROR. */
enum pstatus dbb_customer_put(struct db *db, int64_t practice_id,
    int64_t client_id, const char *plugin, const char *account, const char *ref,
    int64_t now);

/* ---- cards on file ---- */

struct dbb_card {
	int64_t id;
	int64_t client_id;
	char plugin[DBB_PLUGIN_MAX + 1];
	char customer_ref[DBB_REF_MAX + 1];
	char processor_pm[DBB_REF_MAX + 1];
	char brand[25];
	char last4[5];
	int64_t exp_month, exp_year;
	int64_t is_default;
	int64_t created_at;
	int64_t disabled_at; /* 0 = usable */
	/* The processor account the card belongs to ('' = stored before
	 * accounts were recorded: any account of its plugin). */
	char account[DBB_ACCOUNT_MAX + 1];
};

/* Inserts a card of the client (not default). A card with the same
 * (practice, plugin, processor_pm) already stored is not stored twice:
 * *id gets the existing row's id. PS_OK or PS_ERROR. */
enum pstatus dbb_card_insert(struct db *db, int64_t practice_id,
    int64_t client_id, const struct dbb_card *card, int64_t now, int64_t *id);

/* Reads card card_id of the client (disabled ones too). PS_OK, PS_NOTFOUND,
 * PS_ERROR. */
enum pstatus dbb_card_get(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t card_id, struct dbb_card *out);

/* Calls fn(arg, row) for the client's cards, the default first, then
 * oldest first; disabled ones only when with_disabled. PS_OK or PS_ERROR. */
enum pstatus dbb_card_list(struct db *db, int64_t practice_id,
    int64_t client_id, int with_disabled,
    int (*fn)(void *arg, const struct dbb_card *row), void *arg);

/* Makes usable card card_id the client's only default among the cards of
 * its processor account (each account keeps its own default). In a
 * transaction.
 * PS_OK, PS_NOTFOUND (not the client's, or disabled), PS_ERROR. */
enum pstatus dbb_card_set_default(
    struct db *db, int64_t practice_id, int64_t client_id, int64_t card_id);

/* Sets *yes to 1 when the client has a usable default card at processor
 * plugin and account (a card of account '', or account "", matches any
 * account of the plugin). */
enum pstatus dbb_card_has_default(struct db *db, int64_t practice_id,
    int64_t client_id, const char *plugin, const char *account, int *yes);

/* Disables card card_id of the client at now (it stops being the default).
 * PS_OK, PS_NOTFOUND (not the client's or disabled already), PS_ERROR. */
enum pstatus dbb_card_disable(struct db *db, int64_t practice_id,
    int64_t client_id, int64_t card_id, int64_t now);

/* ---- card setups (a card save waiting for the client's authentication,
 * 0012) ---- */

struct dbb_setup {
	int64_t id;
	char plugin[DBB_PLUGIN_MAX + 1];
	char account[DBB_ACCOUNT_MAX + 1];
	char customer_ref[DBB_REF_MAX + 1];
	char token[DBB_TOKEN_MAX + 1];
	char idempotency_key[DBB_KEY_MAX + 1];
	char action_ref[DBB_REF_MAX + 1];
	int64_t make_default;
	char status[16]; /* requires_action succeeded failed */
};

/* Stores setup s of the client as 'requires_action' at now; *id gets its
 * id. PS_OK, PS_INVALID (a field too long), PS_ERROR. */
enum pstatus dbb_setup_insert(struct db *db, int64_t practice_id,
    int64_t client_id, const struct dbb_setup *s, int64_t now, int64_t *id);

/* Reads setup id of the client. PS_OK, PS_NOTFOUND, PS_ERROR. */
enum pstatus dbb_setup_get(struct db *db, int64_t practice_id,
    int64_t client_id, int64_t id, struct dbb_setup *out);

/* Sets the status of setup id of the client, its action_ref (NULL = keep)
 * and the card it made (0 = none). PS_OK, PS_ERROR. */
enum pstatus dbb_setup_set(struct db *db, int64_t practice_id,
    int64_t client_id, int64_t id, const char *status, const char *action_ref,
    int64_t card_id, int64_t now);

/* ---- payment attempts ---- */

struct dbb_attempt {
	int64_t id;
	int64_t practice_id;
	int64_t client_id;
	int64_t user_id;
	char form_key[DBB_FORMKEY_MAX + 1];
	char idempotency_key[DBB_KEY_MAX + 1];
	char target[8]; /* "balance" or "invoice" */
	int64_t invoice_id;
	int64_t amount;
	char currency[4];
	char plugin[DBB_PLUGIN_MAX + 1];
	char source[6]; /* "card" or "token" */
	int64_t payment_method_id;
	int64_t save_card, make_default, off_session;
	char status[16]; /* pending succeeded declined requires_action unknown
	                    failed */
	char processor_ref[DBB_REF_MAX + 1];
	char decline_code[DBB_CODE_MAX + 1];
	char message[DBB_MSG_MAX + 1];
	int64_t created_at, updated_at;
	char account[DBB_ACCOUNT_MAX + 1]; /* the processor account (0012) */
	/* requires_action: the processor object completing it ("" when none)
	 * and, for a token attempt, the one-time token (a processor id). */
	char action_ref[DBB_REF_MAX + 1];
	char token[DBB_TOKEN_MAX + 1];
};

/* Inserts a with status 'pending' (a->id, status, refs and times are
 * ignored; created_at = updated_at = now). form_key "" is stored NULL.
 * PS_OK with *id, PS_CONFLICT (the form key has an attempt), PS_ERROR. */
enum pstatus dbb_attempt_insert(
    struct db *db, const struct dbb_attempt *a, int64_t now, int64_t *id);

/* Sets the idempotency key of attempt id (once). PS_OK, PS_CONFLICT,
 * PS_ERROR. */
enum pstatus dbb_attempt_set_key(struct db *db, int64_t id, const char *key);

/* Reads attempt id of practice_id (any client), locking it when lock.
 * PS_OK, PS_NOTFOUND, PS_ERROR. */
enum pstatus dbb_attempt_get(struct db *db, int64_t practice_id, int64_t id,
    int lock, struct dbb_attempt *out);

/* Reads the attempt of the client made with form_key. PS_OK, PS_NOTFOUND,
 * PS_ERROR. */
enum pstatus dbb_attempt_by_form(struct db *db, int64_t practice_id,
    int64_t client_id, const char *form_key, struct dbb_attempt *out);

/* Reads the attempt of practice_id with that idempotency key. PS_OK,
 * PS_NOTFOUND, PS_ERROR. */
enum pstatus dbb_attempt_by_key(struct db *db, int64_t practice_id,
    const char *key, struct dbb_attempt *out);

/* In one statement, for the Billing & Payments page: sets *open to the
 * client's attempts that are 'pending' or 'unknown' and *autopay to 1
 * when the client has an AutoPay enrollment row (on or off), else 0.
 * PS_OK or PS_ERROR. */
enum pstatus dbb_client_flags(struct db *db, int64_t practice_id,
    int64_t client_id, int64_t *open, int64_t *autopay);

/* Sets *n to the client's attempts that are 'pending' or 'unknown'. */
enum pstatus dbb_attempt_open_count(
    struct db *db, int64_t practice_id, int64_t client_id, int64_t *n);

/* Records what completing attempt id after its next action needs:
 * action_ref (the processor object) and token (NULL = keep). PS_OK,
 * PS_INVALID (too long), PS_ERROR. */
enum pstatus dbb_attempt_set_action(
    struct db *db, int64_t id, const char *action_ref, const char *token);

/* Records the outcome of attempt id: status and (each may be NULL = keep)
 * processor_ref, decline_code, message; updated_at = now. PS_OK,
 * PS_NOTFOUND, PS_ERROR. */
enum pstatus dbb_attempt_set_outcome(struct db *db, int64_t id,
    const char *status, const char *processor_ref, const char *decline_code,
    const char *message, int64_t now);

/* Calls fn(arg, id) for each attempt of practice_id that is 'pending' or
 * 'unknown' and was last updated at or before before, oldest first.
 * PS_OK or PS_ERROR. */
enum pstatus dbb_attempt_stale(struct db *db, int64_t practice_id,
    int64_t before, int (*fn)(void *arg, int64_t id), void *arg);

/* One row of dbb_attempt_list: the attempt, its client's email and its
 * receipt number ("" when none). */
struct dbb_attempt_row {
	struct dbb_attempt a;
	char email[DB_EMAIL_MAX + 1];
	char receipt[DBB_NUMBER_MAX + 1];
};

/* Calls fn(arg, row) for the attempts of practice_id (of client_id when
 * not 0), newest first. PS_OK or PS_ERROR. */
enum pstatus dbb_attempt_list(struct db *db, int64_t practice_id,
    int64_t client_id, int (*fn)(void *arg, const struct dbb_attempt_row *row),
    void *arg);

/* ---- payments, allocations, receipts ---- */

struct dbb_payment {
	int64_t practice_id, client_id, attempt_id;
	int64_t amount;
	const char *currency;
	const char *processor_ref;
	int64_t payment_method_id; /* 0 = none */
	const char *card_brand, *card_last4;
	int64_t paid_at;
};

/* Inserts the payment of an attempt. PS_OK with *id, PS_CONFLICT (the
 * attempt has its payment already), PS_ERROR. */
enum pstatus dbb_payment_insert(
    struct db *db, const struct dbb_payment *p, int64_t *id);

/* Sets *id to the payment of attempt_id. PS_OK, PS_NOTFOUND, PS_ERROR. */
enum pstatus dbb_payment_by_attempt(
    struct db *db, int64_t attempt_id, int64_t *id);

/* Applies amount of payment_id to invoice_id. PS_OK, PS_ERROR. */
enum pstatus dbb_allocation_insert(struct db *db, int64_t practice_id,
    int64_t client_id, int64_t payment_id, int64_t invoice_id, int64_t amount);

/* Inserts the receipt of payment_id. PS_OK, PS_CONFLICT, PS_ERROR. */
enum pstatus dbb_receipt_insert(struct db *db, int64_t practice_id,
    int64_t client_id, int64_t payment_id, const char *number, int64_t now);

/* Reads the receipt number of attempt_id's payment into
 * number[DBB_NUMBER_MAX + 1]. PS_OK, PS_NOTFOUND, PS_ERROR. */
enum pstatus dbb_receipt_by_attempt(
    struct db *db, int64_t attempt_id, char *number);

/* ---- processor events (webhooks) ---- */

/* Sets *seen to 1 when event_id of plugin was recorded for practice_id. */
enum pstatus dbb_event_seen(struct db *db, int64_t practice_id,
    const char *plugin, const char *event_id, int *seen);

/* Records an event as handled (attempt_id 0 = none, payment_ref may be
 * NULL). PS_OK, PS_CONFLICT (recorded already), PS_ERROR. */
enum pstatus dbb_event_insert(struct db *db, int64_t practice_id,
    const char *plugin, const char *event_id, const char *type_name,
    const char *payment_ref, int64_t attempt_id, int64_t now);

#endif
