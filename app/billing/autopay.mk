### app/billing/autopay.mk: AutoPay, the nightly charge of enrolled clients'
### balances (app/billing/autopay.h; its SQL in app/db/db_autopay.h and
### db_autopay.c; the table in sql/0006_autopay.sql; the commands in
### app/cmd/portalctl_autopay.c).
libportal_a_SOURCES += app/billing/autopay.h app/billing/autopay.c

### Tests against a real MariaDB and the sandbox simulator (the simulator's
### ledger is the oracle); the benchmark is `make bench-autopay` (not a test).
TESTS += tests/autopay/autopay.sh
dist_noinst_SCRIPTS += tests/autopay/autopay.sh tests/bench/autopay
dist_noinst_DATA += tests/autopay/seed.mjs

### systemd units of the nightly run.
EXTRA_DIST += config/systemd/portal-autopay.service \
	config/systemd/portal-autopay.timer

bench-autopay: portalctl gateways/sandbox/sandbox.la
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	$(SHELL) $(top_srcdir)/tests/bench/autopay
.PHONY: bench-autopay
