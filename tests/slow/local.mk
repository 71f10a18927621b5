### tests/slow/local.mk: the nginx sites under load and limits.
### limits.sh (in make check): limit_req's 429 page, fingerprinted static
### URLs, and the production site (TLS, HTTP/2, HSTS, /healthz) run on
### this nginx. run.sh (make check-slow, not in make check: a timed load
### test of about 70 s): 2,000 slow connections from one address while
### /login is probed from 127.0.0.2; passes at >= 95 % answered within 1 s.
TESTS += tests/slow/limits.sh
EXTRA_DIST += tests/slow/limits.sh tests/slow/run.sh tests/slow/slowloris.mjs

check-slow: portald portalctl
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	$(SHELL) $(top_srcdir)/tests/slow/run.sh
.PHONY: check-slow
