### app/docs: billing documents (statements, superbills, sharing, Payment
### History) over app/db/db_docs.c, rendered by app/pdf; their pages are
### app/web/docs.c, their portalctl commands app/cmd/portalctl_docs.c.
libportal_a_SOURCES += app/docs/docs.h app/docs/docs.c
nobase_dist_pkgdata_DATA += www/templates/document_print.html \
	www/static/print.js www/static/print.css

### Tests: the whole stack with two clients (access control on every
### document route, PDF content via pdftotext/pdfinfo, Payment History and
### its CSV), and a Check suite of the pure rules.
TESTS += tests/docs/access.sh
EXTRA_DIST += tests/docs/access.sh tests/e2e/docs.test.mjs
check_PROGRAMS += tests/docs/check_docs
tests_docs_check_docs_SOURCES = tests/docs/check_docs.c
tests_docs_check_docs_CFLAGS = $(UNIT_CFLAGS)
tests_docs_check_docs_LDADD = $(UNIT_LDADD)
TESTS += tests/docs/check_docs

### make bench-statement: the time to render a 10-page statement from the
### database (a benchmark, not a test).
noinst_PROGRAMS += tests/bench/statement_bench
tests_bench_statement_bench_SOURCES = tests/bench/statement_bench.c
tests_bench_statement_bench_CFLAGS = $(AM_CFLAGS)
tests_bench_statement_bench_LDADD = $(PORTAL_LIBS)
EXTRA_DIST += tests/bench/statement_bench.sh
bench-statement: portalctl portald tests/bench/statement_bench
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	$(SHELL) $(top_srcdir)/tests/bench/statement_bench.sh
.PHONY: bench-statement
