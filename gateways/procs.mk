### gateways/procs.mk: the Stripe and Square gateway plugins, their
### simulators, conformance runs and the webhook signature cross-checks
### with the official SDKs (tests/procs, npm ci there).

PROCS_PLUGIN_LDFLAGS = -module -avoid-version -shared \
	-export-symbols-regex '^portal_gateway_entry$$'

pkglib_LTLIBRARIES += gateways/stripe/stripe.la
gateways_stripe_stripe_la_SOURCES = gateways/stripe/stripe.c
gateways_stripe_stripe_la_CFLAGS = $(AM_CFLAGS) $(PGW_COMMON_CFLAGS) \
	$(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)
gateways_stripe_stripe_la_LIBADD = $(PGW_COMMON_LIBADD) $(JANSSON_LIBS) \
	$(OPENSSL_LIBS)
gateways_stripe_stripe_la_LDFLAGS = $(PROCS_PLUGIN_LDFLAGS)

pkglib_LTLIBRARIES += gateways/square/square.la
gateways_square_square_la_SOURCES = gateways/square/square.c
gateways_square_square_la_CFLAGS = $(AM_CFLAGS) $(PGW_COMMON_CFLAGS) \
	$(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)
gateways_square_square_la_LIBADD = $(PGW_COMMON_LIBADD) $(JANSSON_LIBS) \
	$(OPENSSL_LIBS)
gateways_square_square_la_LDFLAGS = $(PROCS_PLUGIN_LDFLAGS)

### Tests: each plugin through the conformance suite against its simulator,
### the webhook signature cross-checks with the official SDKs
### (PROCS_NODE_MODULES: npm ci in tests/procs), the simulators' own checks,
### the switch of a practice from sandbox to stripe by YAML edit + SIGHUP, and
### the Stripe and Square card pages on separate origins with 3-D Secure
### (processors.sh), in a private stack (needs what tests/e2e/run.sh needs).
check_PROGRAMS += tests/procs/pgw-webhook
tests_procs_pgw_webhook_SOURCES = tests/procs/pgw-webhook.c
tests_procs_pgw_webhook_LDADD = $(PORTAL_LIBS)
TESTS += tests/procs/stripe.sh tests/procs/square.sh tests/procs/sdk.sh \
	tests/procs/switch.sh tests/procs/processors.sh \
	tests/procs/sims.sh
dist_noinst_SCRIPTS += tests/procs/stripe.sh tests/procs/square.sh \
	tests/procs/sdk.sh tests/procs/sims.sh tests/procs/switch.sh \
	tests/procs/processors.sh \
	tests/procs/conformance-run.sh
dist_noinst_DATA += tests/sim/stripe-sim.mjs tests/sim/square-sim.mjs \
	tests/procs/helper.mjs tests/procs/sdk-signatures.mjs tests/procs/check-sims.mjs \
	tests/procs/switch.test.mjs tests/procs/processors.test.mjs \
	tests/procs/package.json tests/procs/package-lock.json \
	gateways/stripe/README gateways/square/README
