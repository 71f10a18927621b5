/* check_docs.c: unit tests of the pure rules of app/docs: document
 * numbers, NPIs, dates, the Payment History range, the CSV and file
 * names. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docs/docs.h"

START_TEST(test_number_kind)
{
	enum docs_kind k;

	ck_assert_int_eq(docs_number_kind("INV-000001", &k), PS_OK);
	ck_assert_int_eq(k, DOCS_INVOICE);
	ck_assert_int_eq(docs_number_kind("ST-1", &k), PS_OK);
	ck_assert_int_eq(k, DOCS_STATEMENT);
	ck_assert_int_eq(docs_number_kind("SB-000012", &k), PS_OK);
	ck_assert_int_eq(k, DOCS_SUPERBILL);
	ck_assert_int_eq(docs_number_kind("RCT-000003", &k), PS_OK);
	ck_assert_int_eq(k, DOCS_RECEIPT);
	ck_assert_int_eq(docs_number_kind("INV-", &k), PS_INVALID);
	ck_assert_int_eq(docs_number_kind("inv-000001", &k), PS_INVALID);
	ck_assert_int_eq(docs_number_kind("INV-00000x", &k), PS_INVALID);
	ck_assert_int_eq(docs_number_kind("INV-0000000000001", &k), PS_INVALID);
	ck_assert_int_eq(docs_number_kind("XX-000001", &k), PS_INVALID);
	ck_assert_int_eq(docs_number_kind("../INV-1", &k), PS_INVALID);
	ck_assert_int_eq(docs_number_kind(NULL, &k), PS_INVALID);
}
END_TEST

START_TEST(test_npi)
{
	ck_assert_int_eq(docs_npi_valid("1234567893"), 1);
	ck_assert_int_eq(docs_npi_valid("1043829179"), 1);
	ck_assert_int_eq(docs_npi_valid("1928374655"), 1);
	ck_assert_int_eq(docs_npi_valid("1234567890"), 0);
	ck_assert_int_eq(docs_npi_valid("123456789"), 0);
	ck_assert_int_eq(docs_npi_valid("12345678930"), 0);
	ck_assert_int_eq(docs_npi_valid("12345678a3"), 0);
	ck_assert_int_eq(docs_npi_valid(NULL), 0);
}
END_TEST

START_TEST(test_dates)
{
	char out[11];

	ck_assert_int_eq(docs_date_valid("2024-02-29"), 1);
	ck_assert_int_eq(docs_date_valid("2025-02-29"), 0);
	ck_assert_int_eq(docs_date_valid("1900-02-29"), 0);
	ck_assert_int_eq(docs_date_valid("2025-13-01"), 0);
	ck_assert_int_eq(docs_date_valid("2025-1-01"), 0);
	ck_assert_int_eq(docs_date_valid("1899-12-31"), 0);
	ck_assert_str_eq(docs_date_us("2025-03-14", out), "03/14/2025");
	ck_assert_str_eq(docs_date_us("soon", out), "soon");
}
END_TEST

START_TEST(test_range)
{
	/* 2026-03-09 12:00 UTC */
	int64_t now = 1773057600;
	char from[11], to[11], msg[256];

	ck_assert_int_eq(
	    docs_range(NULL, NULL, NULL, now, from, to, msg, sizeof(msg)),
	    PS_OK);
	ck_assert_str_eq(from, "2025-03-10");
	ck_assert_str_eq(to, "2026-03-09");
	ck_assert_int_eq(
	    docs_range("2025-01-01", "", NULL, now, from, to, msg, sizeof(msg)),
	    PS_OK);
	ck_assert_str_eq(from, "2025-01-01");
	ck_assert_str_eq(to, "2026-03-09");
	ck_assert_int_eq(docs_range("2025-05-01", "2025-04-01", NULL, now, from,
	                     to, msg, sizeof(msg)),
	    PS_INVALID);
	ck_assert_ptr_nonnull(strstr(msg, "after the end date"));
	ck_assert_str_eq(from, "2025-03-10"); /* the default comes back */
	ck_assert_int_eq(docs_range("2025-02-30", NULL, NULL, now, from, to,
	                     msg, sizeof(msg)),
	    PS_INVALID);
	ck_assert_ptr_nonnull(strstr(msg, "start date"));
	ck_assert_int_eq(
	    docs_range(NULL, "tomorrow", NULL, now, from, to, msg, sizeof(msg)),
	    PS_INVALID);
	ck_assert_ptr_nonnull(strstr(msg, "end date"));
	ck_assert_int_eq(docs_range("2025-04-01", "2025-04-01", NULL, now, from,
	                     to, msg, sizeof(msg)),
	    PS_OK);
}
END_TEST

START_TEST(test_csv)
{
	struct docs_hist_row rows[3];
	struct docs_history h;
	struct buf b = {NULL, 0, 0};

	memset(rows, 0, sizeof(rows));
	memset(&h, 0, sizeof(h));
	rows[0].kind = DBD_E_PAYMENT;
	strcpy(rows[0].date, "2025-03-02");
	strcpy(rows[0].number, "RCT-000001");
	strcpy(rows[0].description, "Payment, Visa ending in 4242");
	rows[0].amount = 12000;
	rows[1].kind = DBD_E_INVOICE;
	strcpy(rows[1].date, "2025-03-01");
	strcpy(rows[1].number, "INV-000001");
	strcpy(rows[1].description, "=HYPERLINK(\"x\"), \"quoted\"");
	rows[1].amount = 123405;
	rows[1].due = 5;
	rows[2].kind = DBD_E_REFUND;
	strcpy(rows[2].date, "2025-03-03");
	strcpy(rows[2].description, "Zo\xc3\xab");
	rows[2].amount = 1;
	h.rows = rows;
	h.n = 3;
	ck_assert_int_eq(docs_history_csv(&h, "USD", &b), PS_OK);
	ck_assert_str_eq(b.p,
	    "Date,Type,Number,Description,Amount (USD),Balance due (USD)\r\n"
	    "2025-03-02,Payment,RCT-000001,\"Payment, Visa ending in 4242\","
	    "120.00,\r\n"
	    "2025-03-01,Invoice,INV-000001,\"'=HYPERLINK(\"\"x\"\"), "
	    "\"\"quoted\"\"\",1234.05,0.05\r\n"
	    "2025-03-03,Refund,,Zo\xc3\xab,0.01,\r\n");
	buf_free(&b);
}
END_TEST

START_TEST(test_filename)
{
	struct pdf_doc d;
	char f[80];

	memset(&d, 0, sizeof(d));
	d.kind = PDF_SUPERBILL;
	d.number = "SB-000002";
	docs_filename(&d, f, sizeof(f));
	ck_assert_str_eq(f, "superbill-SB-000002.pdf");
	d.kind = PDF_INVOICE;
	d.number = "INV-000010";
	docs_filename(&d, f, sizeof(f));
	ck_assert_str_eq(f, "invoice-INV-000010.pdf");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("docs");
	TCase *tc = tcase_create("rules");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_number_kind);
	tcase_add_test(tc, test_npi);
	tcase_add_test(tc, test_dates);
	tcase_add_test(tc, test_range);
	tcase_add_test(tc, test_csv);
	tcase_add_test(tc, test_filename);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
