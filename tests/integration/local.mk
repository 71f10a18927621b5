### tests/integration: against a real, throwaway MariaDB (tests/lib/mariadb.sh).
### run.sh starts the server, runs check_db (Check) and portalctl end to end,
### and prints one TAP stream.
check_PROGRAMS += tests/integration/check_db
tests_integration_check_db_SOURCES = tests/integration/check_db.c
tests_integration_check_db_CFLAGS = $(UNIT_CFLAGS) $(MARIADB_CFLAGS)
tests_integration_check_db_LDADD = $(UNIT_LDADD)
TESTS += tests/integration/run.sh
EXTRA_DIST += tests/integration/run.sh tests/lib/mariadb.sh tests/lib/tap.sh \
	tests/lib/tap-failures.awk
