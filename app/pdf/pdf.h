/* pdf.h: PDF rendering of billing documents (invoice, statement, superbill,
 * receipt) from plain structs, independent of the database and of HTTP. */
#ifndef PORTAL_PDF_H
#define PORTAL_PDF_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/*
 * Every string below is borrowed, NUL-terminated UTF-8 (checked with
 * utf8_valid(); bad text is PS_INVALID) and may be NULL where it says
 * "optional", which prints nothing. Dates are text the caller has already
 * formatted the way the practice shows them (e.g. "03/14/2025" for an
 * insurer, or "2025-03-14"): the renderer never parses them. Money is
 * int64_t minor units in the document's currency, printed with
 * money_format() ("$1,234.50").
 */

#define PDF_ADDR_MAX    4  /* address lines of a practice or client */
#define PDF_DX_MAX      12 /* diagnosis codes of a superbill, A..L */
#define PDF_DX_PER_LINE 4  /* diagnosis pointers per superbill line */

enum pdf_kind {
	PDF_INVOICE = 0,
	PDF_STATEMENT,
	PDF_SUPERBILL,
	PDF_RECEIPT,
};

/* The practice that heads every document. name is required; the rest is
 * optional. address[] lines stop at the first NULL or "". */
struct pdf_practice {
	const char *name;
	const char *address[PDF_ADDR_MAX];
	const char *phone;
	const char *email;
	const char *npi;    /* organisation NPI */
	const char *tax_id; /* EIN */
};

/* The client the document is for. name is required; dob and member_id are
 * printed on superbills (dob required there), the rest where given. */
struct pdf_client {
	const char *name;
	const char *dob;
	const char *address[PDF_ADDR_MAX];
	const char *insurer;   /* optional insurance plan name */
	const char *member_id; /* insurance member ID */
};

/* The rendering provider. On a superbill name, npi and tax_id are required
 * (org_npi, licence and taxonomy optional but expected by insurers); on
 * other documents name and credentials are printed if name is set. */
struct pdf_provider {
	const char *name;
	const char *credentials; /* "LCSW", "PhD, LP" */
	const char *npi;         /* individual (type 1) NPI */
	const char *org_npi;     /* organisation (type 2) NPI */
	const char *tax_id;
	const char *licence;  /* state licence number, e.g. "CA LCSW 12345" */
	const char *taxonomy; /* NUCC taxonomy code, e.g. "1041C0700X" */
};

/* An ICD-10-CM diagnosis of a superbill; its pointer letter is its index in
 * pdf_doc.dx (0 = A, 1 = B, ...). code is required. */
struct pdf_dx {
	const char *code;        /* "F41.1" */
	const char *description; /* optional: "Generalized anxiety disorder" */
};

/*
 * A service line.
 * Invoice: date (of service), description (required), fee (the line's
 * amount). Superbill: date, pos (place-of-service code: "11" office, "02"
 * or "10" telehealth), cpt, modifiers (optional, e.g. "95"), description
 * (optional), dx[] (1-based indices into pdf_doc.dx: 1 = A; 0 ends the
 * list; at least one required), units (>= 1), fee (the line's charge for
 * all its units), paid (amount paid toward this line).
 */
struct pdf_line {
	const char *date;
	const char *description;
	const char *pos;
	const char *cpt;
	const char *modifiers;
	unsigned char dx[PDF_DX_PER_LINE];
	int units;
	int64_t fee;
	int64_t paid;
};

/* A statement entry: an invoice raises the balance by amount, a payment
 * lowers it, a refund raises it again, an adjustment adds amount (which may
 * be negative). amount is >= 0 except for adjustments. ref is the invoice
 * or receipt number (optional), description what it was. */
enum pdf_item_kind {
	PDF_ITEM_INVOICE = 0,
	PDF_ITEM_PAYMENT,
	PDF_ITEM_REFUND,
	PDF_ITEM_ADJUSTMENT,
};
struct pdf_item {
	enum pdf_item_kind kind;
	const char *date;
	const char *ref;
	const char *description;
	int64_t amount;
};

/* The payment a receipt is for. amount > 0 and date are required; brand
 * ("Visa") and last4 ("4242") describe the card, reference is the
 * processor's or the portal's payment reference (optional). */
struct pdf_payment {
	int64_t amount;
	const char *date;
	const char *brand;
	const char *last4;
	const char *reference;
};

/* An invoice a receipt's payment went to: number (required), date
 * (optional issue date) and the amount of the payment applied to it. */
struct pdf_applied {
	const char *number;
	const char *date;
	int64_t amount;
};

/*
 * A billing document. Common: kind, number, issue_date, practice.name,
 * client.name are required; currency is ISO 4217 (NULL means "USD").
 *
 * PDF_INVOICE: lines (>= 1), due_date (optional), amount_paid (payments
 *   applied so far). Total = sum of fees; balance due = total - amount_paid;
 *   the invoice is marked "PAID" when the balance due is zero or less and
 *   the total is positive. provider is printed if provider.name is set.
 * PDF_STATEMENT: period_start and period_end (required), begin_balance,
 *   items in date order (may be empty), end_balance, which must equal
 *   begin_balance plus the items (else PS_INVALID: a statement that does not
 *   add up is never printed).
 * PDF_SUPERBILL: provider (see above), client.dob, dx (1..PDF_DX_MAX),
 *   lines (>= 1) as described at struct pdf_line; period_start/period_end
 *   optional. Totals of fees and paid, and the balance, are computed.
 * PDF_RECEIPT: payment, applied (may be empty: a payment toward the
 *   balance), issue_date is the receipt's date. The sum of applied must not
 *   exceed payment.amount.
 *
 * note is optional free text printed after the totals (payment terms, a
 * thank-you line).
 */
struct pdf_doc {
	enum pdf_kind kind;
	const char *currency;
	const char *number;
	const char *issue_date;
	const char *due_date;
	const char *period_start;
	const char *period_end;
	struct pdf_practice practice;
	struct pdf_client client;
	struct pdf_provider provider;

	const struct pdf_line *lines;
	size_t nlines;
	int64_t amount_paid;

	int64_t begin_balance;
	int64_t end_balance;
	const struct pdf_item *items;
	size_t nitems;

	const struct pdf_dx *dx;
	size_t ndx;

	struct pdf_payment payment;
	const struct pdf_applied *applied;
	size_t napplied;

	const char *note;
};

/* Returns the document's title: "Invoice", "Statement", "Superbill" or
 * "Receipt" ("Document" for an unknown kind). Static storage. */
const char *pdf_kind_title(enum pdf_kind kind);

/*
 * Initialises fontconfig and pango once per process and checks that the
 * DejaVu Sans font is installed (Debian fonts-dejavu-core). Call it at
 * start-up in each process that renders (in a forking server, in the worker
 * after fork() and before its threads start); pdf_render() calls it itself
 * if nobody did, at the cost of loading the font configuration on that
 * first call. Returns PS_OK, or PS_ERROR with the reason in err[errsz]
 * (the same on every later call). Safe to call more than once.
 */
enum pstatus pdf_global_init(char *err, size_t errsz);

/*
 * Renders doc as a complete PDF (US Letter, fonts embedded) and appends it
 * to out. Thread-safe: every call has its own cairo surface and pango
 * layout; each thread uses its own pango font map.
 * Returns PS_OK; PS_INVALID when doc breaks a rule above (err says which
 * field); PS_NOMEM; PS_ERROR when cairo or pango fail. On failure out is
 * left as it was before the call. out is the caller's (free with buf_free).
 */
enum pstatus pdf_render(
    const struct pdf_doc *doc, struct buf *out, char *err, size_t errsz);

/* Returns the number of pages pdf_render() would produce for doc, or -1
 * when doc is invalid or rendering fails (err says why). */
int pdf_page_count(const struct pdf_doc *doc, char *err, size_t errsz);

#endif
