/* samples.h: sample billing documents for the PDF tests and benchmark. */
#ifndef PORTAL_PDF_SAMPLES_H
#define PORTAL_PDF_SAMPLES_H

#include "pdf/pdf.h"

/* A sample document and the heap memory behind its arrays. */
struct sample {
	struct pdf_doc doc;
	void *mem;
};

/* Each fills s with a sample document: an invoice of $1,234.50 for
 * "José Ñúñez" (paid in full when paid != 0); a statement of nitems items
 * (invoices and payments, alternating); a superbill for "Zoë Łukasiewicz"
 * with nlines service lines; a receipt of $1,234.50 paid with a Visa ending
 * in 4242 applied to two invoices. Returns 0, or -1 when out of memory.
 * Free with sample_free(). */
int sample_invoice(struct sample *s, int paid);
int sample_statement(struct sample *s, size_t nitems);
int sample_superbill(struct sample *s, size_t nlines);
int sample_receipt(struct sample *s);
void sample_free(struct sample *s);

/* Renders s into path; returns 0 or -1 (message on stderr). */
int sample_write(const struct sample *s, const char *path);

#endif
