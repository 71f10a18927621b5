### app/conf: YAML tree loader (libyaml), table-driven binder, portal.yaml
### and practice configuration, `portalctl config check`.
libportal_a_SOURCES += app/conf/conf.h app/conf/diag.c app/conf/tree.c \
	app/conf/bind.c app/conf/secret.c app/conf/portal.c

dist_man_MANS += man/portal.yaml.5
EXTRA_DIST += config/portal.yaml config/clinicians/demo.yaml \
	config/clinicians/harbor-family.yaml

### Unit tests of the configuration, with fixture trees under tests/unit/conf.
check_PROGRAMS += tests/unit/check_conf
tests_unit_check_conf_SOURCES = tests/unit/check_conf.c
tests_unit_check_conf_CFLAGS = $(UNIT_CFLAGS) $(YAML_CFLAGS) \
	-DCONF_FIXTURES='"$(abs_top_srcdir)/tests/unit/conf"' \
	-DCONF_EXAMPLES='"$(abs_top_srcdir)/config"'
tests_unit_check_conf_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/check_conf
# tests/fuzz/fuzz_yaml.c and its seeds ship with tests/fuzz (tests/fuzz/local.mk).
EXTRA_DIST += tests/unit/conf
