/* docs.h: billing documents: invoices, statements, superbills and receipts
 * assembled from the database into struct pdf_doc, who may see which
 * (sharing), the client's list of documents, Payment History and its CSV,
 * and the clinician's actions (statement and superbill creation, sharing,
 * providers, client profiles, service coding). No HTTP here.
 *
 * Documents are named by their number ("INV-000001", "RCT-000001",
 * "ST-000001", "SB-000001"), unique per practice; the prefix says the
 * kind. Every function acts within one practice, and for the client
 * functions within one client, both from struct docs_who (the session's
 * ids on the pages, never ids from a request): a number of another client,
 * or (client_view) a statement or superbill not shared, is PS_NOTFOUND.
 * Invoices and receipts need no sharing: the client always sees them. */
#ifndef PORTAL_DOCS_H
#define PORTAL_DOCS_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "db/db.h"
#include "db/db_docs.h"
#include "pdf/pdf.h"
#include "util/util.h"

#define DOCS_NUMBER_MAX 32

/* Who acts, for whom. Borrowed by every call. */
struct docs_who {
	struct db *db;
	const struct practice_conf *practice; /* header of every document */
	int64_t practice_id;
	int64_t client_id;   /* 0 for practice-wide clinician actions */
	int64_t user_id;     /* 0 for the clinician or the system */
	enum db_actor actor; /* for the audit rows */
	int client_view;     /* 1: the client's view (every invoice and
	                        receipt, shared statements and superbills) */
	const char *ip;      /* may be NULL */
	int64_t now;         /* unix seconds */
};

enum docs_kind {
	DOCS_INVOICE = 0,
	DOCS_STATEMENT,
	DOCS_SUPERBILL,
	DOCS_RECEIPT,
};

/* Returns "Invoice", "Statement", "Superbill" or "Receipt". */
const char *docs_kind_title(enum docs_kind kind);

/* Sets *kind from the number's prefix. Returns PS_OK, or PS_INVALID when
 * number is not a document number ([A-Z]{2,3}-[0-9]{1,12} with a known
 * prefix). */
enum pstatus docs_number_kind(const char *number, enum docs_kind *kind);

/* ---- the client's Billing Documents ---- */

struct docs_entry {
	enum docs_kind kind;
	char number[DOCS_NUMBER_MAX + 1];
	char date[11];  /* YYYY-MM-DD: issue date (receipt: its day in the
	                   practice's time zone) */
	int64_t amount; /* invoice/superbill total, statement ending balance,
	                   receipt amount */
	int paid;       /* 1: nothing is owed on it */
	int shared;     /* 1: the client sees it (invoices, receipts always) */
};

/* Lists the client's documents newest first into a malloc'd *out (free()):
 * with client_view every invoice and receipt and the shared statements
 * and superbills; without, every document of the client. PS_OK, PS_NOMEM,
 * PS_ERROR. */
enum pstatus docs_list(
    const struct docs_who *w, struct docs_entry **out, size_t *n);

/* Assembles document number of the client into *doc; the strings live in
 * arena a. PS_OK; PS_NOTFOUND (no such document of the client, or not
 * shared in the client's view); PS_INVALID (the data does not make a valid
 * document: err says why); PS_NOMEM; PS_ERROR. */
enum pstatus docs_load(const struct docs_who *w, const char *number,
    struct arena *a, struct pdf_doc *doc, char *err, size_t errsz);

/* docs_load() then pdf_render() into out (appended). The first call in a
 * process initialises the PDF fonts (pdf_global_init, once per process).
 * Statuses as docs_load() and pdf_render(). */
enum pstatus docs_pdf(const struct docs_who *w, const char *number,
    struct arena *a, struct buf *out, char *err, size_t errsz);

/* Writes the download file name of doc ("invoice-INV-000001.pdf") into
 * out[outsz]. */
void docs_filename(const struct pdf_doc *doc, char *out, size_t outsz);

/* Writes YYYY-MM-DD ymd as MM/DD/YYYY into out[11] (as insurers read it);
 * anything else is copied. Returns out. */
char *docs_date_us(const char *ymd, char out[11]);

/* ---- Payment History ---- */

struct docs_hist_row {
	enum dbd_entry_kind kind;
	char date[11];
	char number[DOCS_NUMBER_MAX + 1];
	char description[256];
	int64_t amount;
	int64_t due; /* invoices: what is still owed */
};

struct docs_history {
	char from[11], to[11];
	struct docs_hist_row *rows; /* newest first; malloc'd */
	size_t n;
	int64_t invoiced, paid, refunded;
};

/* Checks a Payment History range. from/to may be NULL or "" (then the
 * default: the 12 months up to today in zone tz, the practice's). On PS_OK
 * from_out and to_out hold the range; on PS_INVALID msg holds a sentence for
 * the client
 * ("The start date must be on or before the end date.") and from_out/
 * to_out the default range. */
enum pstatus docs_range(const char *from, const char *to,
    const struct tz_zone *tz, int64_t now, char from_out[11], char to_out[11],
    char *msg, size_t msgsz);

/* Fills *h with the client's invoices, payments and refunds dated from
 * `from` to `to` (checked by docs_range; days in the practice's time zone,
 * payments and refunds dated by it), newest first, and their totals.
 * Free with docs_history_free(). PS_OK, PS_INVALID, PS_NOMEM, PS_ERROR. */
enum pstatus docs_history(const struct docs_who *w, const char *from,
    const char *to, struct docs_history *h);
void docs_history_free(struct docs_history *h);

/* Appends h as CSV (RFC 4180, CRLF, a header row; amounts as plain
 * decimals; cells that a spreadsheet would read as a formula are prefixed
 * with an apostrophe) to out. PS_OK or PS_NOMEM. */
enum pstatus docs_history_csv(
    const struct docs_history *h, const char *currency, struct buf *out);

/* ---- the clinician's actions (portalctl) ---- */

/* Creates a statement of the client for from..to (YYYY-MM-DD, from <= to),
 * issued today, not shared. On PS_OK number holds its number. PS_INVALID
 * (msg says why), PS_ERROR. Audited. */
enum pstatus docs_statement_create(const struct docs_who *w, const char *from,
    const char *to, char number[DOCS_NUMBER_MAX + 1], char *msg, size_t msgsz);

/* Creates a superbill of the client covering its coded invoice lines whose
 * dates of service are dates[0..n) (YYYY-MM-DD), with the provider whose
 * individual NPI is npi (NULL: the practice's default provider). The
 * client needs a date of birth; every date needs at least one line and
 * every line on it a code (docs_code_set). PS_OK with number; PS_INVALID
 * (msg says what is missing and how to add it); PS_ERROR. Audited. */
enum pstatus docs_superbill_create(const struct docs_who *w,
    const char *const *dates, size_t n, const char *npi,
    char number[DOCS_NUMBER_MAX + 1], char *msg, size_t msgsz);

/* Shares (shared 1) or unshares statement or superbill number of the
 * practice (any of its clients; w->client_id ignored). Invoices and
 * receipts are always visible and are not shared (PS_INVALID). PS_OK,
 * PS_NOTFOUND, PS_INVALID, PS_ERROR. Audited. */
enum pstatus docs_share(const struct docs_who *w, const char *number,
    int shared, char *msg, size_t msgsz);

/* Stores the coding of line line_no (1-based) of invoice number: pos (two
 * digits), cpt (5 characters), modifiers (up to four two-character
 * modifiers separated by commas, or NULL), icd (one to four ICD-10-CM codes
 * separated by commas, e.g. "F41.1,F32.0"), units (1..99). PS_OK,
 * PS_NOTFOUND, PS_INVALID (msg), PS_ERROR. */
enum pstatus docs_code_set(const struct docs_who *w, const char *number,
    int64_t line_no, const char *pos, const char *cpt, const char *modifiers,
    const char *icd, int64_t units, char *msg, size_t msgsz);

/* Stores provider p of the practice (by its NPI; a second call updates
 * it), making it the default when make_default or when it is the first.
 * Checks the NPIs (Luhn), the tax id (NN-NNNNNNN) and the taxonomy code.
 * PS_OK with *id (may be NULL), PS_INVALID (msg), PS_ERROR. */
enum pstatus docs_provider_set(const struct docs_who *w,
    const struct dbd_provider *p, int make_default, int64_t *id, char *msg,
    size_t msgsz);

/* Stores the client's profile p (date of birth, address, insurance).
 * PS_OK, PS_NOTFOUND, PS_INVALID (msg), PS_ERROR. */
enum pstatus docs_profile_set(const struct docs_who *w,
    const struct dbd_profile *p, char *msg, size_t msgsz);

/* Returns 1 when s is a valid NPI (10 digits, Luhn check with prefix
 * 80840). */
int docs_npi_valid(const char *s);
/* Returns 1 when s is a real YYYY-MM-DD date (1900..9999). */
int docs_date_valid(const char *s);

#endif
