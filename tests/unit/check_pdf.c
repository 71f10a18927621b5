/* check_pdf.c: unit tests of app/pdf: output shape, page counts, the rules
 * a document must follow, error handling and concurrent rendering. The text
 * inside the PDFs is checked by tests/pdf/pdf.sh with pdftotext. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../pdf/samples.h"
#include "pdf/pdf.h"

/* Counts the page objects cairo wrote ("<< /Type /Page % N"). */
static int
page_objects(const struct buf *b)
{
	const char *p = b->p, *end = b->p + b->n;
	const char *pat = "/Type /Page ";
	size_t n = strlen(pat);
	int count = 0;

	while (p + n <= end) {
		p = memmem(p, (size_t)(end - p), pat, n);
		if (p == NULL)
			break;
		count++;
		p += n;
	}
	return count;
}

/* Renders s; returns the status and leaves the PDF in b. */
static enum pstatus
render(const struct sample *s, struct buf *b, char *err, size_t errsz)
{
	return pdf_render(&s->doc, b, err, errsz);
}

static int
is_pdf(const struct buf *b)
{
	return b->n > 1000 && memcmp(b->p, "%PDF-1.", 7) == 0 &&
	       memmem(b->p + b->n - 32, 32, "%%EOF", 5) != NULL;
}

START_TEST(test_global_init)
{
	char err[256] = "";

	ck_assert_int_eq(pdf_global_init(err, sizeof(err)), PS_OK);
	ck_assert_int_eq(pdf_global_init(err, sizeof(err)), PS_OK);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_titles)
{
	ck_assert_str_eq(pdf_kind_title(PDF_INVOICE), "Invoice");
	ck_assert_str_eq(pdf_kind_title(PDF_STATEMENT), "Statement");
	ck_assert_str_eq(pdf_kind_title(PDF_SUPERBILL), "Superbill");
	ck_assert_str_eq(pdf_kind_title(PDF_RECEIPT), "Receipt");
	ck_assert_str_eq(pdf_kind_title((enum pdf_kind)42), "Document");
}
END_TEST

START_TEST(test_each_kind_renders_one_page)
{
	struct sample s[4];
	struct buf b = {0};
	char err[256];
	int i;

	ck_assert_int_eq(sample_invoice(&s[0], 0), 0);
	ck_assert_int_eq(sample_statement(&s[1], 6), 0);
	ck_assert_int_eq(sample_superbill(&s[2], 3), 0);
	ck_assert_int_eq(sample_receipt(&s[3]), 0);
	for (i = 0; i < 4; i++) {
		b.n = 0;
		ck_assert_msg(render(&s[i], &b, err, sizeof(err)) == PS_OK,
		    "kind %d: %s", i, err);
		ck_assert_msg(is_pdf(&b), "kind %d: not a PDF", i);
		ck_assert_int_eq(page_objects(&b), 1);
		ck_assert_int_eq(
		    pdf_page_count(&s[i].doc, err, sizeof(err)), 1);
		sample_free(&s[i]);
	}
	buf_free(&b);
}
END_TEST

START_TEST(test_long_statement_pages)
{
	struct sample s;
	struct buf b = {0};
	char err[256];
	int pages, prev = 0;
	size_t n[] = {0, 20, 120, 400};
	size_t i;

	for (i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
		ck_assert_int_eq(sample_statement(&s, n[i]), 0);
		b.n = 0;
		ck_assert_msg(render(&s, &b, err, sizeof(err)) == PS_OK,
		    "%zu items: %s", n[i], err);
		pages = pdf_page_count(&s.doc, err, sizeof(err));
		ck_assert_int_eq(page_objects(&b), pages);
		ck_assert_msg(pages >= prev, "%zu items: %d pages after %d",
		    n[i], pages, prev);
		if (n[i] == 120)
			ck_assert_int_ge(pages, 3);
		if (n[i] == 400)
			ck_assert_int_ge(pages, 10);
		prev = pages;
		sample_free(&s);
	}
	buf_free(&b);
}
END_TEST

START_TEST(test_long_superbill_pages)
{
	struct sample s;
	char err[256];

	ck_assert_int_eq(sample_superbill(&s, 90), 0);
	ck_assert_int_ge(pdf_page_count(&s.doc, err, sizeof(err)), 3);
	sample_free(&s);
}
END_TEST

START_TEST(test_appends_and_restores)
{
	struct sample s;
	struct buf b = {0};
	char err[256];

	ck_assert_int_eq(buf_puts(&b, "abc"), PS_OK);
	ck_assert_int_eq(sample_invoice(&s, 1), 0);
	ck_assert_int_eq(render(&s, &b, err, sizeof(err)), PS_OK);
	ck_assert(memcmp(b.p, "abc%PDF-", 8) == 0);

	/* A failure leaves the caller's buffer as it was. */
	b.n = 3;
	b.p[3] = '\0';
	s.doc.number = NULL;
	ck_assert_int_eq(render(&s, &b, err, sizeof(err)), PS_INVALID);
	ck_assert_uint_eq(b.n, 3);
	ck_assert_str_eq(b.p, "abc");
	ck_assert_str_eq(err, "pdf: number is required");
	buf_free(&b);
	sample_free(&s);
}
END_TEST

START_TEST(test_null_arguments)
{
	struct sample s;
	struct buf b = {0};
	char err[256];

	ck_assert_int_eq(pdf_render(NULL, &b, err, sizeof(err)), PS_INVALID);
	ck_assert_int_eq(sample_invoice(&s, 0), 0);
	ck_assert_int_eq(
	    pdf_render(&s.doc, NULL, err, sizeof(err)), PS_INVALID);
	ck_assert_int_eq(pdf_page_count(NULL, err, sizeof(err)), -1);
	/* err may be NULL. */
	s.doc.client.name = "";
	ck_assert_int_eq(pdf_render(&s.doc, &b, NULL, 0), PS_INVALID);
	ck_assert_uint_eq(b.n, 0);
	buf_free(&b);
	sample_free(&s);
}
END_TEST

/* Expects doc to be refused with PS_INVALID and an error naming what. */
static void
refused(const struct pdf_doc *doc, const char *what)
{
	struct buf b = {0};
	char err[256] = "";

	ck_assert_msg(pdf_render(doc, &b, err, sizeof(err)) == PS_INVALID,
	    "accepted a document with %s", what);
	ck_assert_msg(
	    strstr(err, what) != NULL, "error \"%s\" lacks \"%s\"", err, what);
	ck_assert_uint_eq(b.n, 0);
	buf_free(&b);
}

START_TEST(test_common_rules)
{
	struct sample s;

	ck_assert_int_eq(sample_invoice(&s, 0), 0);
	s.doc.client.name = NULL;
	refused(&s.doc, "client.name");
	s.doc.client.name = "Jos\xe9"; /* Latin-1, not UTF-8 */
	refused(&s.doc, "client.name is not valid UTF-8");
	s.doc.client.name = "Ok";
	s.doc.practice.name = "";
	refused(&s.doc, "practice.name");
	s.doc.practice.name = "P";
	s.doc.issue_date = NULL;
	refused(&s.doc, "issue_date");
	s.doc.issue_date = "03/31/2025";
	s.doc.practice.address[1] = "\xc3";
	refused(&s.doc, "practice.address[1]");
	s.doc.practice.address[1] = NULL;
	s.doc.kind = (enum pdf_kind)9;
	refused(&s.doc, "unknown document kind");
	sample_free(&s);
}
END_TEST

START_TEST(test_invoice_rules)
{
	struct sample s;
	struct pdf_line l[2] = {{.description = "a", .fee = INT64_MAX},
	    {.description = "b", .fee = 1}};

	ck_assert_int_eq(sample_invoice(&s, 0), 0);
	s.doc.amount_paid = 123451; /* more than the total of $1,234.50 */
	refused(&s.doc, "amount_paid");
	s.doc.amount_paid = -1;
	refused(&s.doc, "amount_paid");
	s.doc.amount_paid = 0;
	s.doc.nlines = 0;
	refused(&s.doc, "at least one line");
	s.doc.lines = l;
	s.doc.nlines = 2;
	refused(&s.doc, "overflowing amount");
	l[0].fee = -5;
	refused(&s.doc, "lines[0]: negative");
	l[0].fee = 5;
	l[1].description = NULL;
	refused(&s.doc, "lines[1]");
	sample_free(&s);
}
END_TEST

START_TEST(test_statement_rules)
{
	struct sample s;
	struct pdf_item it[2];

	ck_assert_int_eq(sample_statement(&s, 10), 0);
	s.doc.end_balance += 1;
	refused(&s.doc, "does not add up");
	s.doc.end_balance -= 1;
	s.doc.period_end = NULL;
	refused(&s.doc, "period_end");

	/* Refunds and adjustments count toward the ending balance. */
	memset(it, 0, sizeof(it));
	it[0].kind = PDF_ITEM_REFUND;
	it[0].amount = 500;
	it[1].kind = PDF_ITEM_ADJUSTMENT;
	it[1].amount = -2000;
	s.doc.period_end = "03/31/2025";
	s.doc.items = it;
	s.doc.nitems = 2;
	s.doc.begin_balance = 10000;
	s.doc.end_balance = 8500;
	{
		struct buf b = {0};
		char err[256];

		ck_assert_msg(pdf_render(&s.doc, &b, err, sizeof(err)) == PS_OK,
		    "%s", err);
		buf_free(&b);
	}
	it[0].kind = PDF_ITEM_PAYMENT;
	it[0].amount = -1;
	refused(&s.doc, "items[0]");
	it[0].kind = (enum pdf_item_kind)7;
	it[0].amount = 1;
	refused(&s.doc, "items[0]: bad kind");
	sample_free(&s);
}
END_TEST

START_TEST(test_superbill_rules)
{
	struct sample s;
	struct pdf_line *l;

	ck_assert_int_eq(sample_superbill(&s, 4), 0);
	l = (struct pdf_line *)s.doc.lines;
	s.doc.provider.npi = NULL;
	refused(&s.doc, "provider.npi");
	s.doc.provider.npi = "1234567893";
	s.doc.provider.tax_id = "";
	refused(&s.doc, "provider.tax_id");
	s.doc.provider.tax_id = "91-1234567";
	s.doc.client.dob = NULL;
	refused(&s.doc, "client.dob");
	s.doc.client.dob = "04/12/1986";
	s.doc.ndx = 0;
	refused(&s.doc, "diagnosis codes");
	s.doc.ndx = PDF_DX_MAX + 1;
	refused(&s.doc, "diagnosis codes");
	s.doc.ndx = 3;
	l[1].dx[1] = 4; /* D, but there are three diagnoses */
	refused(&s.doc, "lines[1].dx[1] = 4");
	l[1].dx[1] = 0;
	l[1].dx[0] = 0;
	refused(&s.doc, "lines[1] points to no diagnosis");
	l[1].dx[0] = 1;
	l[2].cpt = NULL;
	refused(&s.doc, "lines[2].cpt");
	l[2].cpt = "90847";
	l[2].pos = "";
	refused(&s.doc, "lines[2].pos");
	l[2].pos = "02";
	l[3].units = 0;
	refused(&s.doc, "lines[3].units");
	l[3].units = 1;
	l[3].date = NULL;
	refused(&s.doc, "lines[3].date");
	sample_free(&s);
}
END_TEST

START_TEST(test_receipt_rules)
{
	struct sample s;
	struct buf b = {0};
	char err[256];

	ck_assert_int_eq(sample_receipt(&s), 0);
	s.doc.payment.amount = 123449; /* less than the applied $1,234.50 */
	refused(&s.doc, "exceed the payment");
	s.doc.payment.amount = 0;
	refused(&s.doc, "payment.amount");
	s.doc.payment.amount = 5000;
	s.doc.payment.date = NULL;
	refused(&s.doc, "payment.date");
	/* A payment toward the balance, applied to no invoice. */
	s.doc.payment.date = "03/31/2025";
	s.doc.applied = NULL;
	s.doc.napplied = 0;
	ck_assert_msg(
	    pdf_render(&s.doc, &b, err, sizeof(err)) == PS_OK, "%s", err);
	buf_free(&b);
	sample_free(&s);
}
END_TEST

START_TEST(test_huge_fields_stay_bounded)
{
	struct sample s;
	struct buf b = {0};
	char err[256], *big;
	struct pdf_line *l;
	int pages;

	big = malloc(4001);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 4000);
	big[4000] = '\0';
	ck_assert_int_eq(sample_superbill(&s, 3), 0);
	l = (struct pdf_line *)s.doc.lines;
	l[0].description = big;
	s.doc.client.name = big;
	s.doc.practice.address[0] = big;
	s.doc.note = big;
	ck_assert_msg(
	    pdf_render(&s.doc, &b, err, sizeof(err)) == PS_OK, "%s", err);
	pages = pdf_page_count(&s.doc, err, sizeof(err));
	ck_assert_int_ge(pages, 1);
	ck_assert_int_le(pages, 4);
	/* One byte more is refused. */
	big = realloc(big, 4002);
	ck_assert_ptr_nonnull(big);
	big[4000] = 'x';
	big[4001] = '\0';
	s.doc.note = big;
	s.doc.client.name = "Zoe";
	s.doc.practice.address[0] = "1 Main St";
	l[0].description = "ok";
	refused(&s.doc, "note is longer than 4000 bytes");
	buf_free(&b);
	sample_free(&s);
	free(big);
}
END_TEST

START_TEST(test_other_currency)
{
	struct sample s;
	struct buf b = {0};
	char err[256];

	ck_assert_int_eq(sample_invoice(&s, 0), 0);
	s.doc.currency = "EUR";
	ck_assert_msg(
	    pdf_render(&s.doc, &b, err, sizeof(err)) == PS_OK, "%s", err);
	ck_assert(is_pdf(&b));
	buf_free(&b);
	sample_free(&s);
}
END_TEST

/* Each thread renders a long statement and a superbill several times. */
struct job {
	int ok;
	int pages;
};

static void *
worker(void *arg)
{
	struct job *j = arg;
	struct sample st, sb;
	struct buf b = {0};
	char err[256];
	int i;

	j->ok = 0;
	if (sample_statement(&st, 150) != 0 || sample_superbill(&sb, 20) != 0)
		return NULL;
	for (i = 0; i < 4; i++) {
		b.n = 0;
		if (pdf_render(&st.doc, &b, err, sizeof(err)) != PS_OK ||
		    !is_pdf(&b))
			goto out;
		j->pages = page_objects(&b);
		b.n = 0;
		if (pdf_render(&sb.doc, &b, err, sizeof(err)) != PS_OK ||
		    !is_pdf(&b))
			goto out;
	}
	j->ok = 1;
out:
	buf_free(&b);
	sample_free(&st);
	sample_free(&sb);
	return NULL;
}

START_TEST(test_threads)
{
	pthread_t t[4];
	struct job j[4];
	struct sample s;
	char err[256];
	int i, want;

	ck_assert_int_eq(sample_statement(&s, 150), 0);
	want = pdf_page_count(&s.doc, err, sizeof(err));
	sample_free(&s);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker, &j[i]), 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_msg(j[i].ok, "thread %d failed", i);
		ck_assert_int_eq(j[i].pages, want);
	}
}
END_TEST

static Suite *
pdf_suite(void)
{
	Suite *s = suite_create("pdf");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_global_init);
	tcase_add_test(tc, test_titles);
	tcase_add_test(tc, test_each_kind_renders_one_page);
	tcase_add_test(tc, test_long_statement_pages);
	tcase_add_test(tc, test_long_superbill_pages);
	tcase_add_test(tc, test_appends_and_restores);
	tcase_add_test(tc, test_null_arguments);
	tcase_add_test(tc, test_common_rules);
	tcase_add_test(tc, test_invoice_rules);
	tcase_add_test(tc, test_statement_rules);
	tcase_add_test(tc, test_superbill_rules);
	tcase_add_test(tc, test_receipt_rules);
	tcase_add_test(tc, test_huge_fields_stay_bounded);
	tcase_add_test(tc, test_other_currency);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pdf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
