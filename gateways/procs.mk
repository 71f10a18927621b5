### gateways/procs.mk: the Stripe and Square gateway plugins, their
### simulators, conformance runs and the webhook signature cross-checks
### with the official SDKs (tests/procs, npm ci there).

PROCS_PLUGIN_LDFLAGS = -module -avoid-version -shared \
	-export-symbols-regex '^portal_gateway_entry$$'

pkglib_LTLIBRARIES += gateways/stripe/stripe.la
gateways_stripe_stripe_la_SOURCES = gateways/stripe/stripe.c
gateways_stripe_stripe_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	$(OPENSSL_CFLAGS)
gateways_stripe_stripe_la_LIBADD = $(JANSSON_LIBS) $(OPENSSL_LIBS)
gateways_stripe_stripe_la_LDFLAGS = $(PROCS_PLUGIN_LDFLAGS)
	$(OPENSSL_CFLAGS)
