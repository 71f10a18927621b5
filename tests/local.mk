### tests: unit suites (Check, TAP), integration, browser end-to-end, fuzz, bench.
### A unit suite is tests/unit/check_NAME.c linked against libportal.a.
UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
UNIT_LDADD = $(PORTAL_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/unit/check_util
tests_unit_check_util_SOURCES = tests/unit/check_util.c
tests_unit_check_util_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_util_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/check_util

# make check-unit: only the Check suites of tests/unit, which need no
# server, browser or root (the Debian package build runs them).
check-unit:
	@units=; for t in $(TESTS); do \
	  case $$t in tests/unit/*) units="$$units $$t" ;; esac; \
	done; $(MAKE) $(AM_MAKEFLAGS) check TESTS="$$units"
.PHONY: check-unit
