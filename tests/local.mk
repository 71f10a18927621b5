### tests: unit suites (Check, TAP), integration, browser end-to-end, fuzz, bench.
### A unit suite is tests/unit/check_NAME.c linked against libportal.a.
UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
UNIT_LDADD = $(PORTAL_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/check_util
tests_unit_check_util_SOURCES = tests/unit/check_util.c
tests_unit_check_util_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_util_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/check_util
