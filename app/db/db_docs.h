/* db_docs.h: the queries of billing documents (statements, superbills,
 * invoice sharing, providers, client profiles, service coding, receipts and
 * the ledger rows of statements and Payment History), used by app/docs.
 * Conventions as in db.h: every client-visible read is scoped by
 * practice_id and client_id (a row outside that scope is PS_NOTFOUND);
 * dates are "YYYY-MM-DD" text; times unix seconds UTC. The SQL text lives
 * in app/db/db_docs_sql.h, in db.c's statement table: each statement is
 * prepared once per connection and kept, like the platform's own. */
#ifndef PORTAL_DB_DOCS_H
#define PORTAL_DB_DOCS_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

#define DBD_NUMBER_MAX 32
#define DBD_TEXT_MAX   200
#define DBD_SHORT_MAX  100

/* ---- providers ---- */

struct dbd_provider {
	int64_t id;
	char name[DBD_TEXT_MAX + 1];
	char credentials[DBD_SHORT_MAX + 1];
	char npi[11];
	char org_npi[11]; /* "" when none */
	char tax_id[21];
	char licence[DBD_SHORT_MAX + 1];
	char taxonomy[11];
	int64_t is_default;
};

/* Inserts p for practice_id, or updates the provider with the same npi.
 * PS_OK with *id, PS_INVALID (a field too long), PS_ERROR. */
enum pstatus dbd_provider_put(struct db *db, int64_t practice_id,
    const struct dbd_provider *p, int64_t now, int64_t *id);

/* Makes provider id the only default of practice_id. PS_OK, PS_NOTFOUND,
 * PS_ERROR. */
enum pstatus dbd_provider_set_default(
    struct db *db, int64_t practice_id, int64_t id);

/* Reads provider id of practice_id; id 0 reads the default one (else the
 * oldest). PS_OK, PS_NOTFOUND, PS_ERROR. */
enum pstatus dbd_provider_get(
    struct db *db, int64_t practice_id, int64_t id, struct dbd_provider *out);

/* Sets *id to the provider of practice_id with that individual NPI.
 * PS_OK, PS_NOTFOUND, PS_ERROR. */
enum pstatus dbd_provider_by_npi(
    struct db *db, int64_t practice_id, const char *npi, int64_t *id);

/* ---- client profiles ---- */

struct dbd_profile {
	char dob[11]; /* "" when unknown */
	char address1[DBD_TEXT_MAX + 1];
	char address2[DBD_TEXT_MAX + 1];
	char city[DBD_SHORT_MAX + 1];
	char region[DBD_SHORT_MAX + 1];
	char postal_code[21];
	char insurer[DBD_TEXT_MAX + 1];
	char member_id[65];
};

/* Stores every field of p as the profile of client client_id (dob "" is
 * stored NULL). PS_OK, PS_INVALID (bad date, too long), PS_ERROR. */
enum pstatus dbd_profile_put(struct db *db, int64_t practice_id,
    int64_t client_id, const struct dbd_profile *p, int64_t now);

/* Reads the profile of the client; with no profile row every field is ""
 * and the result still PS_OK. dob falls back to clients.date_of_birth.
 * PS_OK, PS_NOTFOUND (no such client in the practice), PS_ERROR. */
enum pstatus dbd_profile_get(struct db *db, int64_t practice_id,
    int64_t client_id, struct dbd_profile *out);

/* ---- invoices: lookup, sharing, coding of lines ---- */

/* Finds invoice number of practice_id: its id and client. PS_OK,
 * PS_NOTFOUND, PS_ERROR. */
enum pstatus dbd_invoice_by_number(struct db *db, int64_t practice_id,
    const char *number, int64_t *invoice_id, int64_t *client_id);

/* An invoice as a document: sums as in dbb_invoice. */
struct dbd_invoice {
	int64_t id;
	char number[DBD_NUMBER_MAX + 1];
	char issued_on[11];
	char due_on[11]; /* "" when none */
	int64_t total;
	int64_t paid; /* allocations - succeeded refunds */
};

/* Calls fn(arg, row) for the invoices of the client (every one: invoices
 * need no sharing), newest first; with invoice_id not 0 only that one.
 * fn returns non-zero to stop. PS_OK or PS_ERROR. */
enum pstatus dbd_invoice_list(struct db *db, int64_t practice_id,
    int64_t client_id, int64_t invoice_id,
    int (*fn)(void *arg, const struct dbd_invoice *row), void *arg);

/* A line of an invoice with its coding ("" / 0 when not coded) and the
 * part of its invoice's paid amount that falls to it (the invoice's paid
 * amount applied to its lines in line order). */
struct dbd_line {
	int64_t id;
	int64_t invoice_id;
	char invoice_number[DBD_NUMBER_MAX + 1];
	int64_t line_no;
	char date[11];
	char description[DBD_TEXT_MAX + 1];
	int64_t quantity;
	int64_t amount;
	int64_t paid;
	char pos[3];
	char cpt[6];
	char modifiers[12];
	char icd[40]; /* "F41.1,F32.0" */
	int64_t units;
	int64_t coded; /* 1 when the line has a coding row */
};

/* Calls fn(arg, row) for the lines of invoice_id of the client in line
 * order. PS_OK or PS_ERROR. */
enum pstatus dbd_invoice_lines(struct db *db, int64_t practice_id,
    int64_t client_id, int64_t invoice_id,
    int (*fn)(void *arg, const struct dbd_line *row), void *arg);

/* Calls fn(arg, row) for the lines of the client's invoices whose date of
 * service is date, in invoice and line order. PS_OK or PS_ERROR. */
enum pstatus dbd_lines_on_date(struct db *db, int64_t practice_id,
    int64_t client_id, const char *date,
    int (*fn)(void *arg, const struct dbd_line *row), void *arg);

/* Calls fn(arg, row) for the lines on superbill document_id of the client,
 * by date of service, invoice and line. PS_OK or PS_ERROR. */
enum pstatus dbd_superbill_lines(struct db *db, int64_t practice_id,
    int64_t client_id, int64_t document_id,
    int (*fn)(void *arg, const struct dbd_line *row), void *arg);

/* Finds line line_no of invoice number of practice_id. PS_OK with *line_id
 * and *client_id, PS_NOTFOUND, PS_ERROR. */
enum pstatus dbd_line_find(struct db *db, int64_t practice_id,
    const char *number, int64_t line_no, int64_t *line_id, int64_t *client_id);

/* Stores the coding of line_id (replacing an earlier one). PS_OK,
 * PS_INVALID, PS_ERROR. */
enum pstatus dbd_code_put(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t line_id, const char *pos, const char *cpt, const char *modifiers,
    const char *icd, int64_t units, int64_t now);

/* ---- statements and superbills ---- */

struct dbd_document {
	int64_t id;
	int64_t client_id;
	char kind[10]; /* "statement" or "superbill" */
	char number[DBD_NUMBER_MAX + 1];
	char issued_on[11];
	char period_start[11];
	char period_end[11];
	int64_t period_end_at; /* the instant period_end ends in the
	                          practice's time zone (insert only) */
	int64_t provider_id;   /* 0 = none */
	int64_t shared;        /* 1 when shared with the client */
};

/* Inserts d (id and shared ignored; not shared). PS_OK with *id,
 * PS_CONFLICT (number taken), PS_INVALID (bad date or period), PS_ERROR. */
enum pstatus dbd_document_insert(struct db *db, int64_t practice_id,
    const struct dbd_document *d, int64_t now, int64_t *id);

/* Reads document number of practice_id, of client_id when it is not 0.
 * PS_OK, PS_NOTFOUND, PS_ERROR. */
enum pstatus dbd_document_get(struct db *db, int64_t practice_id,
    int64_t client_id, const char *number, struct dbd_document *out);

/* Calls fn(arg, row) for the client's documents (only shared ones when
 * shared_only), newest first. PS_OK or PS_ERROR. */
enum pstatus dbd_document_list(struct db *db, int64_t practice_id,
    int64_t client_id, int shared_only,
    int (*fn)(void *arg, const struct dbd_document *row), void *arg);

/* Shares or unshares document id of practice_id. PS_OK, PS_NOTFOUND,
 * PS_ERROR. */
enum pstatus dbd_document_share(
    struct db *db, int64_t practice_id, int64_t id, int shared, int64_t now);

/* Puts invoice line line_id on superbill document_id. PS_OK, PS_ERROR. */
enum pstatus dbd_superbill_add(
    struct db *db, int64_t document_id, int64_t line_id);

/* ---- receipts ---- */

struct dbd_receipt {
	int64_t id;
	int64_t payment_id;
	char number[DBD_NUMBER_MAX + 1];
	int64_t issued_at;
	int64_t amount;
	int64_t paid_at;
	char brand[25];
	char last4[5];
	char processor_ref[129];
};

/* Calls fn(arg, row) for the receipts of the client (only number when it
 * is not NULL), newest first. PS_OK or PS_ERROR. */
enum pstatus dbd_receipt_list(struct db *db, int64_t practice_id,
    int64_t client_id, const char *number,
    int (*fn)(void *arg, const struct dbd_receipt *row), void *arg);

/* One line of the Billing Documents list (dbd_doc_list). */
struct dbd_doc_entry {
	int64_t kind; /* 0 invoice, 1 statement, 2 superbill, 3 receipt */
	char number[DBD_NUMBER_MAX + 1];
	char date[11];  /* issue date; "" for a receipt (see at) */
	int64_t at;     /* a receipt's issue time (unix seconds), else 0 */
	int64_t amount; /* invoice: total; statement: the balance at the end
	                   of its period; superbill: its lines' fees;
	                   receipt: the payment */
	int64_t paid;   /* invoice: applied less refunded; statement: 0;
	                   superbill: what was paid of its lines; receipt:
	                   the payment */
	int64_t shared; /* 1 when the client may see it */
};

/* Calls fn(arg, row) for every invoice and receipt of the client and its
 * statements and superbills (shared ones only when client_view), in no
 * particular order, from one statement. fn returns non-zero to stop. PS_OK or
 * PS_ERROR. */
enum pstatus dbd_doc_list(struct db *db, int64_t practice_id, int64_t client_id,
    int client_view, int (*fn)(void *arg, const struct dbd_doc_entry *row),
    void *arg);

/* An invoice a payment was applied to. */
struct dbd_applied {
	char number[DBD_NUMBER_MAX + 1];
	char issued_on[11];
	int64_t amount;
};

/* Calls fn(arg, row) for the allocations of payment_id of the client, by
 * invoice. PS_OK or PS_ERROR. */
enum pstatus dbd_payment_applied(struct db *db, int64_t practice_id,
    int64_t client_id, int64_t payment_id,
    int (*fn)(void *arg, const struct dbd_applied *row), void *arg);

/* ---- the ledger (statements, Payment History) ---- */

enum dbd_entry_kind { DBD_E_INVOICE = 0, DBD_E_PAYMENT, DBD_E_REFUND };

/* An invoice (by issue date: amount its total, paid its paid amount), a
 * payment (by the instant it was paid: number its receipt's) or a
 * succeeded refund (by the instant it settled: number the refunded
 * payment's receipt). */
struct dbd_entry {
	int64_t kind;  /* enum dbd_entry_kind */
	char date[11]; /* invoices: the issue date; others "" (the caller
	                  dates `at` in the practice's time zone) */
	char number[DBD_NUMBER_MAX + 1];
	char description[DBD_TEXT_MAX + 1];
	int64_t amount;
	int64_t paid;
	char brand[25];
	char last4[5];
	int64_t id;
	int64_t at; /* payments, refunds: unix seconds; invoices 0 */
};

/* Calls fn(arg, row) for the ledger entries of the client: invoices
 * issued from `from` to `to` (YYYY-MM-DD, inclusive), payments and
 * refunds at from_at <= at < to_at (the instants that begin `from` and end
 * `to` in the practice's time zone); invoices by date, then payments and
 * refunds by instant. PS_OK, PS_INVALID (bad date), PS_ERROR. */
enum pstatus dbd_ledger(struct db *db, int64_t practice_id, int64_t client_id,
    const char *from, const char *to, int64_t from_at, int64_t to_at,
    int (*fn)(void *arg, const struct dbd_entry *row), void *arg);

/* Sets *balance to invoiced - paid + refunded of the client over invoices
 * issued before day `before` and payments and refunds before instant
 * before_at (the start of that day in the practice's time zone). PS_OK,
 * PS_INVALID, PS_ERROR. */
enum pstatus dbd_balance_before(struct db *db, int64_t practice_id,
    int64_t client_id, const char *before, int64_t before_at, int64_t *balance);

#endif
