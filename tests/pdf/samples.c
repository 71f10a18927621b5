/* samples.c: sample billing documents for the PDF tests and benchmark. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samples.h"

static const struct pdf_practice practice = {
    .name = "Lakeside Counseling, PLLC",
    .address = {"1200 Harbor Way, Suite 300", "Seattle, WA 98101"},
    .phone = "(206) 555-0142",
    .email = "billing@lakeside.example",
    .npi = "1922334455",
    .tax_id = "91-1234567",
};

static const struct pdf_provider provider = {
    .name = "Ana Ruiz",
    .credentials = "PsyD",
    .npi = "1234567893",
    .org_npi = "1922334455",
    .tax_id = "91-1234567",
    .licence = "WA PY 60123456",
    .taxonomy = "103TC0700X",
};

static const struct pdf_dx dx[] = {
    {"F41.1", "Generalized anxiety disorder"},
    {"F33.1", "Major depressive disorder, recurrent, moderate"},
    {"Z63.0", "Problems in relationship with spouse or partner"},
};

static const struct pdf_line invoice_lines[] = {
    {.date = "03/03/2025",
        .description = "Psychotherapy, 53 minutes or more (90837)",
        .fee = 18000},
    {.date = "03/10/2025",
        .description = "Psychotherapy, 53 minutes or more (90837)",
        .fee = 18000},
    {.date = "03/12/2025",
        .description = "Psychological testing evaluation, first hour "
                       "(96130), including scoring and a written report",
        .fee = 87450},
};

static const struct pdf_applied applied[] = {
    {"INV-0001", "03/01/2025", 90000},
    {"INV-0002", "03/15/2025", 33450},
};

static void
base(struct sample *s, enum pdf_kind kind, const char *number)
{
	memset(s, 0, sizeof(*s));
	s->doc.kind = kind;
	s->doc.currency = "USD";
	s->doc.number = number;
	s->doc.issue_date = "03/31/2025";
	s->doc.practice = practice;
	s->doc.client.name = "Jos\xc3\xa9 \xc3\x91\xc3\xba\xc3\xb1"
	                     "ez";
	s->doc.client.address[0] = "77 Pine Street";
	s->doc.client.address[1] = "Tacoma, WA 98402";
}

int
sample_invoice(struct sample *s, int paid)
{
	base(s, PDF_INVOICE, "INV-0042");
	s->doc.due_date = "04/30/2025";
	s->doc.provider = provider;
	s->doc.lines = invoice_lines;
	s->doc.nlines = sizeof(invoice_lines) / sizeof(invoice_lines[0]);
	s->doc.amount_paid = paid ? 123450 : 36000;
	s->doc.note = "Thank you. Pay online in the client portal under "
	              "Billing & Payments.";
	return 0;
}

/* Storage of one statement item's text. */
struct item_text {
	char ref[32];
	char date[16];
	char desc[96];
};

int
sample_statement(struct sample *s, size_t nitems)
{
	struct pdf_item *items;
	struct item_text *tx;
	int64_t bal = 25000;
	size_t i;

	base(s, PDF_STATEMENT, "ST-2025-0007");
	s->doc.period_start = "01/01/2025";
	s->doc.period_end = "03/31/2025";
	s->doc.begin_balance = bal;
	s->mem = calloc(
	    nitems + 1, sizeof(struct pdf_item) + sizeof(struct item_text));
	if (s->mem == NULL)
		return -1;
	items = s->mem;
	tx = (struct item_text *)(items + nitems + 1);
	for (i = 0; i < nitems; i++) {
		snprintf(tx[i].date, sizeof(tx[i].date), "%02zu/%02zu/2025",
		    1 + (i * 3 / 100) % 3, 1 + (i % 28));
		items[i].date = tx[i].date;
		items[i].ref = tx[i].ref;
		items[i].description = tx[i].desc;
		if (i % 2 == 0) {
			items[i].kind = PDF_ITEM_INVOICE;
			items[i].amount = 15000 + (int64_t)(i % 7) * 1000 + 50;
			snprintf(tx[i].ref, sizeof(tx[i].ref), "INV-%04zu",
			    i / 2 + 1);
			snprintf(tx[i].desc, sizeof(tx[i].desc),
			    "Psychotherapy session %zu (90834)", i / 2 + 1);
			bal += items[i].amount;
		} else {
			items[i].kind = PDF_ITEM_PAYMENT;
			items[i].amount = 15000;
			snprintf(tx[i].ref, sizeof(tx[i].ref), "RCT-%04zu",
			    i / 2 + 1);
			snprintf(tx[i].desc, sizeof(tx[i].desc),
			    "Payment, Visa ending in 4242");
			bal -= items[i].amount;
		}
	}
	s->doc.items = items;
	s->doc.nitems = nitems;
	s->doc.end_balance = bal;
	return 0;
}

/* Storage of one superbill line's text. */
struct line_text {
	char date[16];
};

int
sample_superbill(struct sample *s, size_t nlines)
{
	struct pdf_line *lines;
	struct line_text *tx;
	size_t i;

	base(s, PDF_SUPERBILL, "SB-2025-0003");
	s->doc.client.name = "Zo\xc3\xab \xc5\x81ukasiewicz";
	s->doc.client.dob = "04/12/1986";
	s->doc.client.insurer = "Premera Blue Cross";
	s->doc.client.member_id = "PBC123456789";
	s->doc.period_start = "03/01/2025";
	s->doc.period_end = "03/31/2025";
	s->doc.provider = provider;
	s->doc.dx = dx;
	s->doc.ndx = sizeof(dx) / sizeof(dx[0]);
	s->mem = calloc(
	    nlines + 1, sizeof(struct pdf_line) + sizeof(struct line_text));
	if (s->mem == NULL)
		return -1;
	lines = s->mem;
	tx = (struct line_text *)(lines + nlines + 1);
	for (i = 0; i < nlines; i++) {
		snprintf(tx[i].date, sizeof(tx[i].date), "03/%02zu/2025",
		    1 + i % 28);
		lines[i].date = tx[i].date;
		lines[i].units = 1;
		lines[i].dx[0] = 1;
		if (i % 3 == 0) {
			lines[i].pos = "11";
			lines[i].cpt = "90791";
			lines[i].description = "Psychiatric diagnostic "
			                       "evaluation";
			lines[i].dx[1] = 2;
			lines[i].fee = 22500;
			lines[i].paid = 22500;
		} else if (i % 3 == 1) {
			lines[i].pos = "10";
			lines[i].cpt = "90837";
			lines[i].modifiers = "95";
			lines[i].description = "Psychotherapy, 60 min "
			                       "(telehealth)";
			lines[i].fee = 18000;
			lines[i].paid = 18000;
		} else {
			lines[i].pos = "02";
			lines[i].cpt = "90847";
			lines[i].modifiers = "95 GT";
			lines[i].description = "Family psychotherapy with "
			                       "patient present";
			lines[i].dx[1] = 3;
			lines[i].dx[2] = 2;
			lines[i].units = 2;
			lines[i].fee = 34000;
			lines[i].paid = 0;
		}
	}
	s->doc.lines = lines;
	s->doc.nlines = nlines;
	return 0;
}

int
sample_receipt(struct sample *s)
{
	base(s, PDF_RECEIPT, "RCT-0107");
	s->doc.issue_date = "03/31/2025";
	s->doc.payment.amount = 123450;
	s->doc.payment.date = "03/31/2025";
	s->doc.payment.brand = "Visa";
	s->doc.payment.last4 = "4242";
	s->doc.payment.reference = "pi_3PxSample000001";
	s->doc.applied = applied;
	s->doc.napplied = sizeof(applied) / sizeof(applied[0]);
	return 0;
}

void
sample_free(struct sample *s)
{
	free(s->mem);
	s->mem = NULL;
}

int
sample_write(const struct sample *s, const char *path)
{
	struct buf b = {0};
	char err[256];
	FILE *f = NULL;
	int rc = -1;

	if (pdf_render(&s->doc, &b, err, sizeof(err)) != PS_OK) {
		fprintf(stderr, "pdf_render: %s\n", err);
		goto out;
	}
	if ((f = fopen(path, "wb")) == NULL || fwrite(b.p, 1, b.n, f) != b.n) {
		perror(path);
		goto out;
	}
	rc = 0;
out:
	if (f != NULL && fclose(f) != 0)
		rc = -1;
	buf_free(&b);
	return rc;
}
