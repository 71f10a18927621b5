/* check_util.c: unit tests of app/util (strings, UTF-8, numbers, money, arena).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

START_TEST(test_utf8)
{
	ck_assert_int_eq(utf8_valid("Jos\xc3\xa9", 5), 1);
	ck_assert_int_eq(utf8_valid("a\0b", 3), 0);
	ck_assert_int_eq(utf8_valid("\xc0\xaf", 2), 0);     /* overlong */
	ck_assert_int_eq(utf8_valid("\xed\xa0\x80", 3), 0); /* surrogate */
	ck_assert_int_eq(utf8_valid("\xf4\x90\x80\x80", 4), 0);
	ck_assert_int_eq(utf8_valid("\xe2\x82", 2), 0); /* truncated */
	ck_assert_int_eq(utf8_valid("\xf0\x9f\x98\x80", 4), 1);
}
END_TEST

START_TEST(test_strtonum)
{
	int64_t v;
	char err[64];

	ck_assert_int_eq(
	    util_strtonum("42", 2, 0, 100, &v, err, sizeof(err)), PS_OK);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(
	    util_strtonum("-1", 2, 0, 100, &v, err, sizeof(err)), PS_INVALID);
	ck_assert_int_eq(
	    util_strtonum("101", 3, 0, 100, &v, err, sizeof(err)), PS_INVALID);
	ck_assert_int_eq(
	    util_strtonum("", 0, 0, 100, &v, err, sizeof(err)), PS_INVALID);
	ck_assert_int_eq(
	    util_strtonum("1x", 2, 0, 100, &v, err, sizeof(err)), PS_INVALID);
	ck_assert_int_eq(
	    util_strtonum("+1", 2, 0, 100, &v, err, sizeof(err)), PS_INVALID);
	ck_assert_int_eq(util_strtonum("99999999999999999999", 20, 0, INT64_MAX,
	                     &v, err, sizeof(err)),
	    PS_INVALID);
	ck_assert_int_eq(util_strtonum("-9223372036854775808", 20, INT64_MIN, 0,
	                     &v, err, sizeof(err)),
	    PS_OK);
	ck_assert(v == INT64_MIN);
}
END_TEST

START_TEST(test_money)
{
	int64_t c;
	char out[64];

	ck_assert_int_eq(money_parse("120.00", 6, &c), PS_OK);
	ck_assert_int_eq(c, 12000);
	ck_assert_int_eq(money_parse("120.5", 5, &c), PS_OK);
	ck_assert_int_eq(c, 12050);
	ck_assert_int_eq(money_parse("120", 3, &c), PS_OK);
	ck_assert_int_eq(c, 12000);
	ck_assert_int_eq(money_parse("1.234", 5, &c), PS_INVALID);
	ck_assert_int_eq(money_parse("-1", 2, &c), PS_INVALID);
	ck_assert_int_eq(money_parse(".5", 2, &c), PS_INVALID);
	ck_assert_int_eq(money_parse("1.", 2, &c), PS_INVALID);
	ck_assert_str_eq(
	    money_format(12000, "USD", out, sizeof(out)), "$120.00");
	ck_assert_str_eq(
	    money_format(123456789, "USD", out, sizeof(out)), "$1,234,567.89");
	ck_assert_str_eq(money_format(-5, "USD", out, sizeof(out)), "-$0.05");
	ck_assert_str_eq(
	    money_format(100, "JPY", out, sizeof(out)), "1.00 JPY");
}
END_TEST

static int cleaned;
static void
bump(void *arg)
{
	cleaned += *(int *)arg;
}

START_TEST(test_arena)
{
	struct arena *a = arena_new();
	static int one = 1, ten = 10;
	char *s;
	int i;

	ck_assert_ptr_nonnull(a);
	for (i = 0; i < 1000; i++)
		ck_assert_ptr_nonnull(arena_alloc(a, 100));
	ck_assert_ptr_nonnull(arena_alloc(a, 100000));
	s = arena_printf(a, "%s-%d", "x", 7);
	ck_assert_str_eq(s, "x-7");
	cleaned = 0;
	arena_cleanup(a, bump, &one);
	arena_cleanup(a, bump, &ten);
	arena_reset(a);
	ck_assert_int_eq(cleaned, 11);
	ck_assert_str_eq(arena_strndup(a, "abc", 2), "ab");
	arena_free(a);
}
END_TEST

START_TEST(test_log_value)
{
	char out[64];

	ck_assert_str_eq(log_value("plain", out, sizeof(out)), "plain");
	ck_assert_str_eq(log_value("a b", out, sizeof(out)), "\"a b\"");
	ck_assert_str_eq(log_value("q\"\n", out, sizeof(out)), "\"q\\\"?\"");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_utf8);
	tcase_add_test(tc, test_strtonum);
	tcase_add_test(tc, test_money);
	tcase_add_test(tc, test_arena);
	tcase_add_test(tc, test_log_value);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
