### tests/bench/local.mk: the benchmark (not a test: `make bench` runs it, it never asserts timings).
### tests/bench/hello is the hello-world FastCGI baseline behind the same nginx.
noinst_PROGRAMS += tests/bench/hello
tests_bench_hello_SOURCES = tests/bench/hello.c
tests_bench_hello_CFLAGS = $(AM_CFLAGS) $(FCGI_CFLAGS)
tests_bench_hello_LDADD = $(FCGI_LIBS) -lpthread
EXTRA_DIST += tests/bench/run tests/bench/seed.sh

### make bench: page against hello-world, one run, requests/s and p99.
bench: portald portalctl tests/bench/hello
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	$(SHELL) $(top_srcdir)/tests/bench/run
.PHONY: bench
