/* check_util.c: unit tests of app/util (strings, UTF-8, numbers, money, arena).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <time.h>
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

	ck_assert_int_eq(money_parse("120.00", 6, "USD", &c), PS_OK);
	ck_assert_int_eq(c, 12000);
	ck_assert_int_eq(money_parse("120.5", 5, NULL, &c), PS_OK);
	ck_assert_int_eq(c, 12050);
	ck_assert_int_eq(money_parse("120", 3, "USD", &c), PS_OK);
	ck_assert_int_eq(c, 12000);
	ck_assert_int_eq(money_parse("1.234", 5, "USD", &c), PS_INVALID);
	ck_assert_int_eq(money_parse("-1", 2, "USD", &c), PS_INVALID);
	ck_assert_int_eq(money_parse(".5", 2, "USD", &c), PS_INVALID);
	ck_assert_int_eq(money_parse("1.", 2, "USD", &c), PS_INVALID);
	/* ISO 4217 minor units: JPY and KRW 0, BHD 3. */
	ck_assert_int_eq(currency_digits("JPY"), 0);
	ck_assert_int_eq(currency_digits("KRW"), 0);
	ck_assert_int_eq(currency_digits("USD"), 2);
	ck_assert_int_eq(currency_digits("BHD"), 3);
	ck_assert_int_eq(currency_digits("KWD"), 3);
	ck_assert_int_eq(money_parse("1200", 4, "JPY", &c), PS_OK);
	ck_assert_int_eq(c, 1200);
	ck_assert_int_eq(money_parse("1200.00", 7, "JPY", &c), PS_INVALID);
	ck_assert_int_eq(money_parse("1.234", 5, "BHD", &c), PS_OK);
	ck_assert_int_eq(c, 1234);
	ck_assert_int_eq(money_parse("1.5", 3, "BHD", &c), PS_OK);
	ck_assert_int_eq(c, 1500);
	ck_assert_str_eq(
	    money_format(12000, "USD", out, sizeof(out)), "$120.00");
	ck_assert_str_eq(
	    money_format(123456789, "USD", out, sizeof(out)), "$1,234,567.89");
	ck_assert_str_eq(money_format(-5, "USD", out, sizeof(out)), "-$0.05");
	ck_assert_str_eq(money_format(1200, "JPY", out, sizeof(out)), "\xc2\xa5"
	                                                              "1,200");
	ck_assert_str_eq(
	    money_format(12050, "CAD", out, sizeof(out)), "CA$120.50");
	ck_assert_str_eq(
	    money_format(12050, "AUD", out, sizeof(out)), "A$120.50");
	ck_assert_str_eq(
	    money_format(1234500, "BHD", out, sizeof(out)), "1,234.500 BHD");
	ck_assert_str_eq(
	    money_format(12050, "SEK", out, sizeof(out)), "120.50 SEK");
	ck_assert_str_eq(money_plain(1200, "JPY", out, sizeof(out)), "1200");
	ck_assert_str_eq(
	    money_plain(-12050, "USD", out, sizeof(out)), "-120.50");
	ck_assert_str_eq(money_plain(5, "BHD", out, sizeof(out)), "0.005");
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

/* Runs log_error, log_warn and log_info in a child whose stderr is the
 * file path, with $JOURNAL_STREAM naming that file when journal is set
 * (else another inode), and reads the file back into out[outsz]. */
static void
log_lines(const char *path, int journal, char *out, size_t outsz)
{
	struct stat sb;
	char js[64];
	ssize_t n;
	pid_t pid;
	int fd, status;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	snprintf(js, sizeof(js), "%ju:%ju", (uintmax_t)sb.st_dev,
	    (uintmax_t)sb.st_ino + (journal ? 0 : 1));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* A fresh process: log.c decides once per process. */
		if (dup2(fd, STDERR_FILENO) == -1 ||
		    setenv("JOURNAL_STREAM", js, 1) == -1)
			_exit(1);
		log_error("event=e1");
		log_warn("event=w1");
		log_info("event=i1");
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	n = pread(fd, out, outsz - 1, 0);
	ck_assert_int_gt(n, 0);
	out[n] = '\0';
	close(fd);
	unlink(path);
}

START_TEST(test_log_journal)
{
	char path[] = "/tmp/check_util_log.XXXXXX", out[1024];
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	/* Under journald each line carries its syslog priority first. */
	log_lines(path, 1, out, sizeof(out));
	ck_assert_msg(strncmp(out, "<3>ts=", 6) == 0, "got: %s", out);
	ck_assert_msg(strstr(out, "\n<4>ts=") != NULL, "got: %s", out);
	ck_assert_msg(strstr(out, "\n<6>ts=") != NULL, "got: %s", out);
	ck_assert_ptr_nonnull(strstr(out, "level=error pid="));
	/* Elsewhere (another inode than stderr's), plain lines. */
	log_lines(path, 0, out, sizeof(out));
	ck_assert_msg(strncmp(out, "ts=", 3) == 0, "got: %s", out);
	ck_assert_ptr_null(strchr(out, '<'));
}
END_TEST

START_TEST(test_log_json)
{
	char q[128], kv[512], out[1024];
	size_t n;

	/* Bare and quoted values, pid as a number, a word without a key. */
	snprintf(kv, sizeof(kv),
	    "ts=2026-12-04T10:00:00.000Z level=warn pid=42 event=x "
	    "error=%s path=/a=b lone",
	    log_value("say \"hi\" \\ there", q, sizeof(q)));
	n = log_kv_json(kv, out, sizeof(out));
	ck_assert_uint_eq(n, strlen(out));
	ck_assert_str_eq(out,
	    "\"ts\":\"2026-12-04T10:00:00.000Z\",\"level\":\"warn\","
	    "\"pid\":42,\"event\":\"x\",\"error\":\"say \\\"hi\\\" \\\\ "
	    "there\",\"path\":\"/a=b\",\"msg\":\"lone\"");
	/* A pid that is not a number stays a string; "" stays a value. */
	log_kv_json("pid=abc e=\"\"", out, sizeof(out));
	ck_assert_str_eq(out, "\"pid\":\"abc\",\"e\":\"\"");
	/* Too small: cut at a member, never inside one. */
	n = log_kv_json("a=1 bb=2222222", out, 12);
	ck_assert_str_eq(out, "\"a\":\"1\"");
	ck_assert_uint_eq(n, 7);
}
END_TEST

/* 2026-12-04T02:30:00Z: 21:30 the day before in New York. */
#define T_0230 INT64_C(1796351400)

START_TEST(test_tz_known)
{
	struct tz_zone *ny = NULL, *tokyo = NULL, *syd = NULL, *utc = NULL;
	char day[11], err[256];
	struct tm tm;

	ck_assert_int_eq(
	    tz_load(TZ_DIR, "America/New_York", &ny, err, sizeof(err)), PS_OK);
	ck_assert_int_eq(
	    tz_load(TZ_DIR, "Asia/Tokyo", &tokyo, err, sizeof(err)), PS_OK);
	ck_assert_int_eq(
	    tz_load(TZ_DIR, "Australia/Sydney", &syd, err, sizeof(err)), PS_OK);
	ck_assert_int_eq(tz_load(TZ_DIR, "UTC", &utc, err, sizeof(err)), PS_OK);
	ck_assert_str_eq(tz_day(ny, T_0230, day), "2026-12-03");
	ck_assert_str_eq(tz_day(utc, T_0230, day), "2026-12-04");
	ck_assert_str_eq(tz_day(NULL, T_0230, day), "2026-12-04");
	ck_assert_str_eq(tz_day(tokyo, T_0230, day), "2026-12-04");
	tz_tm(ny, T_0230, &tm);
	ck_assert_int_eq(tm.tm_hour, 21);
	ck_assert_int_eq(tm.tm_min, 30);
	ck_assert_int_eq(tz_offset(ny, T_0230), -5 * 3600);
	ck_assert_int_eq(tz_offset(tokyo, T_0230), 9 * 3600);
	/* 2026-07-01 in New York, and past the file's transitions (the
	 * footer's rule): 2060-07-01 and 2060-12-01. */
	ck_assert_int_eq(tz_offset(ny, INT64_C(1782907200)), -4 * 3600);
	ck_assert_int_eq(tz_offset(ny, INT64_C(2855908800)), -4 * 3600);
	ck_assert_int_eq(tz_offset(ny, INT64_C(2869128000)), -5 * 3600);
	/* Southern hemisphere: 2060-01-15 is daylight time in Sydney. */
	ck_assert_int_eq(tz_offset(syd, INT64_C(2841393600)), 11 * 3600);
	ck_assert_int_eq(tz_offset(syd, INT64_C(2855908800)), 10 * 3600);
	/* New York's 2026-12-03 starts at 05:00Z; UTC's 2026-12-04 at 00:00Z */
	ck_assert_int_eq(tz_day_start(ny, "2026-12-03"), INT64_C(1796274000));
	ck_assert_int_eq(tz_day_start(utc, "2026-12-04"), INT64_C(1796342400));
	/* 2026-03-08 is 23 hours long in New York. */
	ck_assert_int_eq(
	    tz_day_start(ny, "2026-03-09") - tz_day_start(ny, "2026-03-08"),
	    23 * 3600);
	ck_assert_int_eq(tz_day_start(ny, "not a day"), 0);
	tz_free(ny);
	tz_free(tokyo);
	tz_free(syd);
	tz_free(utc);
}
END_TEST

/* The table agrees with the C library's own reading of the same files
 * (under TZ, set here where the test has no other thread) every six hours
 * and a bit from 1971 to 2099, north and south, with and without daylight
 * time, with half-hour and 45-minute offsets. */
START_TEST(test_tz_matches_libc)
{
	static const char *zones[] = {"America/New_York", "Europe/London",
	    "Australia/Sydney", "Asia/Kolkata", "America/Sao_Paulo",
	    "Pacific/Chatham", "Asia/Tokyo", "Africa/Casablanca"};
	size_t i;
	int64_t t, bad = 0, n = 0;
	char err[256];

	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		struct tz_zone *z = NULL;

		ck_assert_int_eq(
		    tz_load(TZ_DIR, zones[i], &z, err, sizeof(err)), PS_OK);
		setenv("TZ", zones[i], 1);
		tzset();
		for (t = INT64_C(31536000); t < INT64_C(4102444800);
		     t += 6 * 3600 + 17) {
			time_t tt = (time_t)t;
			struct tm lt;

			localtime_r(&tt, &lt);
			n++;
			if (lt.tm_gmtoff != tz_offset(z, t) && bad++ < 5)
				fprintf(stderr, "%s at %lld: libc %ld, tz %d\n",
				    zones[i], (long long)t, (long)lt.tm_gmtoff,
				    (int)tz_offset(z, t));
		}
		tz_free(z);
	}
	unsetenv("TZ");
	tzset();
	ck_assert_int_gt(n, 1000000);
	ck_assert_int_eq(bad, 0);
}
END_TEST

START_TEST(test_tz_errors)
{
	struct tz_zone *z = NULL;
	char err[256];

	ck_assert_int_eq(
	    tz_load(TZ_DIR, "Mars/Olympus_Mons", &z, err, sizeof(err)),
	    PS_NOTFOUND);
	ck_assert_ptr_null(z);
	ck_assert_ptr_nonnull(strstr(err, "Mars/Olympus_Mons"));
	ck_assert_int_eq(
	    tz_load(TZ_DIR, "../etc/passwd", &z, err, sizeof(err)), PS_INVALID);
	ck_assert_int_eq(
	    tz_load("/etc", "passwd", &z, err, sizeof(err)), PS_INVALID);
	ck_assert_ptr_nonnull(strstr(err, "TZif"));
	ck_assert_ptr_null(z);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("util");
	TCase *tz = tcase_create("tz");
	TCase *tc = tcase_create("util");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_utf8);
	tcase_add_test(tc, test_strtonum);
	tcase_add_test(tc, test_money);
	tcase_add_test(tc, test_arena);
	tcase_add_test(tc, test_log_value);
	tcase_add_test(tc, test_log_journal);
	tcase_add_test(tc, test_log_json);
	suite_add_tcase(s, tc);
	tcase_add_test(tz, test_tz_known);
	tcase_add_test(tz, test_tz_matches_libc);
	tcase_add_test(tz, test_tz_errors);
	tcase_set_timeout(tz, 120);
	suite_add_tcase(s, tz);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
