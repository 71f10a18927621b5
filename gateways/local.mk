### gateways: the installed plugin ABI (gateway.h + portal-gateway.pc), the
### sandbox plugin, the out-of-tree example, and their tests.
include_HEADERS += gateways/gateway.h
pkgconfig_DATA += gateways/portal-gateway.pc
EXTRA_DIST += gateways/portal-gateway.pc.in

### The helpers the in-tree plugins share (sandbox, stripe, square; not the
### out-of-tree example): a PIC convenience library with hidden symbols,
### linked into each plugin, which still exports only the entry symbol.
noinst_LTLIBRARIES = gateways/common/libpgwcommon.la
gateways_common_libpgwcommon_la_SOURCES = gateways/common/pgw_common.c \
	gateways/common/pgw_common.h
gateways_common_libpgwcommon_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	$(OPENSSL_CFLAGS)
PGW_COMMON_CFLAGS = -I$(srcdir)/gateways/common
PGW_COMMON_LIBADD = gateways/common/libpgwcommon.la

### The sandbox plugin: a module exporting only the entry symbol.
pkglib_LTLIBRARIES += gateways/sandbox/sandbox.la
gateways_sandbox_sandbox_la_SOURCES = gateways/sandbox/sandbox.c
gateways_sandbox_sandbox_la_CFLAGS = $(AM_CFLAGS) $(PGW_COMMON_CFLAGS) \
	$(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)
gateways_sandbox_sandbox_la_LIBADD = $(PGW_COMMON_LIBADD) $(JANSSON_LIBS) \
	$(OPENSSL_LIBS)
gateways_sandbox_sandbox_la_LDFLAGS = -module -avoid-version -shared \
	-export-symbols-regex '^portal_gateway_entry$$'

### The conformance suite, installed with the SDK so an outside author runs
### it against their own .so (portal-gateway(3), CONFORMANCE).
bin_PROGRAMS += portal-gateway-conformance
portal_gateway_conformance_SOURCES = gateways/conformance.c
portal_gateway_conformance_LDADD = $(PORTAL_LIBS)

### Loader tests: small good and bad plugins (test-only modules need -rpath
### to be built shared, STYLE.md 16).
GW_TEST_PLUGIN_LDFLAGS = -module -avoid-version -shared -rpath /nowhere \
	-export-symbols-regex '^portal_gateway_entry$$'
check_LTLIBRARIES += tests/gateway/good.la tests/gateway/badmagic.la \
	tests/gateway/badmajor.la tests/gateway/shortsize.la \
	tests/gateway/noentry.la tests/gateway/initfail.la \
	tests/gateway/liar.la tests/gateway/v11.la tests/gateway/init2fail.la
tests_gateway_good_la_SOURCES = tests/gateway/testplugin.c
tests_gateway_good_la_CFLAGS = $(AM_CFLAGS) -DVARIANT_GOOD
tests_gateway_good_la_LDFLAGS = $(GW_TEST_PLUGIN_LDFLAGS)
tests_gateway_badmagic_la_SOURCES = tests/gateway/testplugin.c
tests_gateway_badmagic_la_CFLAGS = $(AM_CFLAGS) -DVARIANT_BADMAGIC
tests_gateway_badmagic_la_LDFLAGS = $(GW_TEST_PLUGIN_LDFLAGS)
tests_gateway_badmajor_la_SOURCES = tests/gateway/testplugin.c
tests_gateway_badmajor_la_CFLAGS = $(AM_CFLAGS) -DVARIANT_BADMAJOR
tests_gateway_badmajor_la_LDFLAGS = $(GW_TEST_PLUGIN_LDFLAGS)
tests_gateway_shortsize_la_SOURCES = tests/gateway/testplugin.c
tests_gateway_shortsize_la_CFLAGS = $(AM_CFLAGS) -DVARIANT_SHORTSIZE
tests_gateway_shortsize_la_LDFLAGS = $(GW_TEST_PLUGIN_LDFLAGS)
tests_gateway_noentry_la_SOURCES = tests/gateway/testplugin.c
tests_gateway_noentry_la_CFLAGS = $(AM_CFLAGS) -DVARIANT_NOENTRY
tests_gateway_noentry_la_LDFLAGS = -module -avoid-version -shared \
	-rpath /nowhere -export-symbols-regex '^portal_gateway_entry_v0$$'
tests_gateway_initfail_la_SOURCES = tests/gateway/testplugin.c
tests_gateway_initfail_la_CFLAGS = $(AM_CFLAGS) -DVARIANT_INITFAIL
tests_gateway_initfail_la_LDFLAGS = $(GW_TEST_PLUGIN_LDFLAGS)
tests_gateway_liar_la_SOURCES = tests/gateway/testplugin.c
tests_gateway_liar_la_CFLAGS = $(AM_CFLAGS) -DVARIANT_LIAR
tests_gateway_liar_la_LDFLAGS = $(GW_TEST_PLUGIN_LDFLAGS)
tests_gateway_v11_la_SOURCES = tests/gateway/testplugin.c
tests_gateway_v11_la_CFLAGS = $(AM_CFLAGS) -DVARIANT_V11
tests_gateway_v11_la_LDFLAGS = $(GW_TEST_PLUGIN_LDFLAGS)
tests_gateway_init2fail_la_SOURCES = tests/gateway/testplugin.c
tests_gateway_init2fail_la_CFLAGS = $(AM_CFLAGS) -DVARIANT_INIT2FAIL
tests_gateway_init2fail_la_LDFLAGS = $(GW_TEST_PLUGIN_LDFLAGS)

check_PROGRAMS += tests/gateway/check_loader
tests_gateway_check_loader_SOURCES = tests/gateway/check_loader.c
tests_gateway_check_loader_CFLAGS = $(UNIT_CFLAGS)
tests_gateway_check_loader_LDADD = $(UNIT_LDADD)

TESTS += tests/gateway/check_loader tests/gateway/run.sh \
	tests/gateway/config-check.sh \
	tests/gateway/example.sh tests/gateway/example-portald.sh \
	tests/sim/sim.sh tests/sim/tokenizer.sh
dist_noinst_SCRIPTS += tests/gateway/run.sh tests/gateway/example.sh \
	tests/gateway/config-check.sh \
	tests/gateway/example-portald.sh \
	tests/sim/sim.sh tests/sim/tokenizer.sh
dist_noinst_DATA += tests/gateway/gateway-1.0.h tests/gateway/sandbox-helper.mjs tests/sim/sandbox-sim.mjs \
	tests/sim/check-sim.mjs tests/sim/check-tokenizer.mjs \
	gateways/example/example.c gateways/example/Makefile

### The plugin author's manual.
dist_man_MANS += man/portal-gateway.3 man/portal-gateway-conformance.1
