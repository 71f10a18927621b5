/* check_pdf.c: unit tests of app/pdf (validation, pages, output). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../pdf/samples.h"
#include "pdf/pdf.h"

START_TEST(test_invoice_renders)
{
	struct sample s;
	struct buf b = {0};
	char err[256];

	ck_assert_int_eq(sample_invoice(&s, 0), 0);
	ck_assert_int_eq(pdf_render(&s.doc, &b, err, sizeof(err)), PS_OK);
	ck_assert(b.n > 1000);
	ck_assert(memcmp(b.p, "%PDF-", 5) == 0);
	buf_free(&b);
	sample_free(&s);
}
END_TEST

static Suite *
pdf_suite(void)
{
	Suite *s = suite_create("pdf");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_invoice_renders);
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
