### app/billing: domain rules (balances, cards, payments, reconcile); no HTTP.
### The billing SQL lives in app/db (db_billing.h, db_billing.c).
libportal_a_SOURCES += app/billing/billing.h app/billing/billing_int.h \
	app/billing/billing.c

### Integration tests against a real MariaDB and the sandbox simulator.
check_PROGRAMS += tests/integration/check_billing
tests_integration_check_billing_SOURCES = tests/integration/check_billing.c
tests_integration_check_billing_CFLAGS = $(UNIT_CFLAGS) $(MARIADB_CFLAGS) \
	$(CURL_CFLAGS) $(JANSSON_CFLAGS)
tests_integration_check_billing_LDADD = $(UNIT_LDADD)
TESTS += tests/integration/billing.sh
dist_noinst_SCRIPTS += tests/integration/billing.sh

### The crash and double-submit tests of a payment through the whole stack
### (tests/lib/stack.sh: nginx, portald, MariaDB, the sandbox simulator).
TESTS += tests/payments/crash.sh
dist_noinst_SCRIPTS += tests/payments/crash.sh

### The processor webhook route through the whole stack.
TESTS += tests/payments/webhook.sh
dist_noinst_SCRIPTS += tests/payments/webhook.sh
