/* check_conf.c: unit tests of app/conf (YAML tree, binder, portal.yaml and
 * practice files, secrets, `config check`), over tests/unit/conf fixtures. */
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"

#ifndef CONF_FIXTURES
#error "CONF_FIXTURES must name tests/unit/conf"
#endif
#ifndef CONF_EXAMPLES
#error "CONF_EXAMPLES must name the config directory"
#endif

static char tmpdir[256];

/* Prints the problems of d to stderr (seen in the test log on failure). */
static void
dump(const struct conf_diag *d)
{
	conf_diag_print(d, stderr);
}

/* Returns 1 if some message of d ends with want. */
static int
has(const struct conf_diag *d, const char *want)
{
	size_t i, l = strlen(want), ml;

	for (i = 0; i < d->nmsgs; i++) {
		ml = strlen(d->msgs[i]);
		if (ml >= l && strcmp(d->msgs[i] + ml - l, want) == 0)
			return 1;
	}
	fprintf(stderr, "no message ending with: %s\n", want);
	dump(d);
	return 0;
}

static void
make_tmp(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_conf.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
rm_tmp(void)
{
	char cmd[512];

	if (tmpdir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	tmpdir[0] = '\0';
}

/* Copies src (a directory) to tmpdir/name. */
static void
copy_dir(const char *src, const char *name)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cp -R '%s' '%s/%s' && chmod -R u+w '%s'",
	    src, tmpdir, name, tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Writes n bytes of p to path with mode. */
static void
write_file(const char *path, const void *p, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static const char key32[] = "0123456789abcdef0123456789abcdef";

static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

START_TEST(test_valid_load)
{
	struct conf_diag d;
	struct portal_conf *c = NULL;
	const struct practice_conf *p;
	char path[512];

	make_tmp();
	copy_dir(CONF_FIXTURES "/valid", "valid");
	snprintf(path, sizeof(path), "%s/valid/secret.key", tmpdir);
	write_file(path, key32, 32, 0600);
	snprintf(path, sizeof(path), "%s/valid/portal.yaml", tmpdir);
	conf_diag_init(&d);
	ck_assert_int_eq(conf_load(path, &c, &d), PS_OK);
	ck_assert_uint_eq(conf_diag_count(&d), 0);
	ck_assert_ptr_nonnull(c);
	ck_assert(c->listen.socket[0] == '/');
	ck_assert(ends_with(c->listen.socket, "/valid/run/portald.sock"));
	ck_assert_ptr_null(c->listen.tcp);
	ck_assert_uint_eq(c->listen.socket_mode, 0640);
	ck_assert_str_eq(c->listen.socket_group, "www-data");
	ck_assert_int_eq(c->listen.workers, 3);
	ck_assert_int_eq(c->listen.threads, 4);
	ck_assert_str_eq(c->database.host, "db.internal");
	ck_assert_int_eq(c->database.port, 3307);
	ck_assert_str_eq(c->database.user, "portal");
	ck_assert_str_eq(c->database.password.env, "PORTAL_TEST_DB_PASSWORD");
	ck_assert_ptr_null(c->database.password.path);
	ck_assert_str_eq(c->database.name, "portal_test");
	ck_assert_str_eq(c->base_url, "https://billing.example.com");
	ck_assert_uint_eq(c->secret_key_len, 32);
	ck_assert(memcmp(c->secret_key, key32, 32) == 0);
	ck_assert_str_eq(c->paths.templates, "/tmp"); /* absolute: kept */
	ck_assert(ends_with(c->paths.clinicians, "/valid/clinicians"));
	ck_assert(ends_with(c->paths.plugins, "/valid/plugins"));
	ck_assert_int_eq(c->session.idle_timeout, 20 * 60);
	ck_assert_int_eq(c->session.absolute_timeout, 2 * 86400);
	ck_assert_int_eq(c->login_throttle.max_failures_per_account, 3);
	ck_assert_int_eq(c->login_throttle.max_failures_per_address, 20);
	ck_assert_int_eq(c->login_throttle.window, 3600);
	ck_assert_int_eq(c->login_throttle.lockout, 15 * 60);
	ck_assert_int_eq(c->limits.max_body, 1024 * 1024);
	ck_assert_int_eq(c->limits.max_fields, 64);
	ck_assert_int_eq(c->limits.max_field_length, 4096);
	ck_assert_int_eq(c->log_level, LOG_LVL_DEBUG);
	ck_assert_uint_eq(c->npractices, 2);
	/* Sorted by slug. */
	ck_assert_str_eq(c->practices[0].slug, "harbor");
	ck_assert_str_eq(c->practices[1].slug, "lakeside");
	p = conf_practice(c, "lakeside");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->name, "Lakeside Counseling");
	ck_assert_str_eq(p->address.line1, "120 Lakeshore Drive");
	ck_assert_str_eq(p->address.line2, "Suite 4");
	ck_assert_str_eq(p->address.postal_code, "05401");
	ck_assert_str_eq(p->address.country, "US");
	ck_assert_str_eq(p->currency, "USD");
	ck_assert_str_eq(p->timezone, "America/New_York");
	ck_assert_str_eq(p->npi, "1234567893");
	ck_assert_str_eq(p->tax_id, "12-3456789");
	ck_assert_int_eq(p->online_payments, 1);
	ck_assert_ptr_nonnull(p->gateway);
	p = conf_practice(c, "harbor");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(p->address.line2);
	ck_assert_ptr_null(p->npi);
	ck_assert_ptr_null(p->gateway);
	ck_assert_int_eq(p->online_payments, 0);
	ck_assert_str_eq(p->currency, "CAD");
	ck_assert_str_eq(p->timezone, "UTC");
	ck_assert_ptr_null(conf_practice(c, "nobody"));
	conf_free(c);
	conf_diag_free(&d);
	rm_tmp();
}
END_TEST

START_TEST(test_examples_valid)
{
	struct conf_diag d;
	struct portal_conf *c = NULL;
	const struct practice_conf *p;
	char path[512];

	/* config/portal.yaml expects ../var/secret.key beside config/. */
	make_tmp();
	copy_dir(CONF_EXAMPLES, "config");
	snprintf(path, sizeof(path), "%s/var", tmpdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/www", tmpdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/www/templates", tmpdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/var/secret.key", tmpdir);
	write_file(path, key32, 32, 0640);
	snprintf(path, sizeof(path), "%s/config/portal.yaml", tmpdir);
	conf_diag_init(&d);
	if (conf_load(path, &c, &d) != PS_OK)
		dump(&d);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->npractices, 2);
	ck_assert_uint_eq(c->listen.socket_mode, 0660);
	ck_assert_int_eq(c->listen.threads, 8);
	ck_assert_int_ge(c->listen.workers, 1);
	ck_assert_int_eq(c->session.idle_timeout, 1800);
	ck_assert_int_eq(c->session.absolute_timeout, 43200);
	ck_assert_int_eq(c->limits.max_body, 65536);
	ck_assert_int_eq(c->log_level, LOG_LVL_INFO);
	ck_assert(
	    ends_with(c->listen.socket, "/config/../var/run/portald.sock"));
	p = conf_practice(c, "demo");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->name, "Lakeside Counseling");
	ck_assert_int_eq(p->online_payments, 1);
	ck_assert_str_eq(conf_node_get(p->gateway, "plugin")->value, "sandbox");
	p = conf_practice(c, "harbor-family");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->online_payments, 0);
	conf_free(c);
	conf_diag_free(&d);
	rm_tmp();
}
END_TEST

START_TEST(test_config_check_output)
{
	char path[512], *text = NULL;
	size_t len = 0;
	FILE *f;

	make_tmp();
	copy_dir(CONF_FIXTURES "/valid", "valid");
	snprintf(path, sizeof(path), "%s/valid/secret.key", tmpdir);
	write_file(path, key32, 32, 0600);
	snprintf(path, sizeof(path), "%s/valid/portal.yaml", tmpdir);
	f = open_memstream(&text, &len);
	ck_assert_int_eq(conf_check(path, f), PS_OK);
	fclose(f);
	ck_assert_str_eq(text, "config OK: 2 practices\n");
	free(text);
	text = NULL;

	f = open_memstream(&text, &len);
	ck_assert_int_eq(
	    conf_check(CONF_FIXTURES "/bad/portal.yaml", f), PS_INVALID);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text,
	    "/bad/portal.yaml:4:12: threads: 5000 is out of range (1 to "
	    "256)\n"));
	ck_assert(ends_with(text, "\nconfig: 13 problems\n"));
	free(text);
	text = NULL;

	f = open_memstream(&text, &len);
	ck_assert_int_eq(
	    conf_check(CONF_FIXTURES "/nonexistent.yaml", f), PS_NOTFOUND);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "nonexistent.yaml: cannot open: "));
	ck_assert(ends_with(text, "config: 1 problem\n"));
	free(text);
	rm_tmp();
}
END_TEST

/* Loads practice fixture name, expecting status want; leaves p and d for
 * the caller to check and free. */
static void
load_practice(const char *name, enum pstatus want, struct practice_conf *p,
    struct conf_diag *d)
{
	char path[512];
	enum pstatus rc;

	snprintf(path, sizeof(path), "%s/practice/%s", CONF_FIXTURES, name);
	conf_diag_init(d);
	rc = conf_practice_load(path, p, d);
	if (rc != want)
		dump(d);
	ck_assert_int_eq(rc, want);
}

#define ANY_COUNT ((size_t)-1)

/* Loads practice fixture name expecting PS_INVALID, then asserts that d
 * holds count problems (unless ANY_COUNT) and, for each of the
 * NULL-terminated messages that follow, one ending with it. Leaves p and
 * d for the caller to check further and release with practice_done(). */
static void
expect_practice(const char *name, struct practice_conf *p, struct conf_diag *d,
    size_t count, ...)
{
	va_list ap;
	const char *want;

	load_practice(name, PS_INVALID, p, d);
	if (count != ANY_COUNT)
		ck_assert_uint_eq(conf_diag_count(d), count);
	va_start(ap, count);
	while ((want = va_arg(ap, const char *)) != NULL)
		ck_assert(has(d, want));
	va_end(ap);
}

/* Releases what load_practice() or expect_practice() left. */
static void
practice_done(struct practice_conf *p, struct conf_diag *d)
{
	conf_practice_free(p);
	conf_diag_free(d);
}

START_TEST(test_misspelt_key)
{
	struct practice_conf p;
	struct conf_diag d;

	/* One problem: the "did you mean" stands in for "missing currency". */
	expect_practice("typo.yaml", &p, &d, 1,
	    "/practice/typo.yaml:5:1: unknown key \"curency\" "
	    "(did you mean \"currency\"?)",
	    NULL);
	ck_assert_str_eq(p.slug, "typo");
	practice_done(&p, &d);

	/* A key of a nested mapping written at the top level. */
	{
		static const char y[] = "name: X\ncity: Y\n";

		conf_diag_init(&d);
		ck_assert_int_eq(conf_practice_load_buf(y, sizeof(y) - 1,
		                     "/c/misplaced.yaml", &p, &d),
		    PS_INVALID);
		ck_assert(has(&d, "/c/misplaced.yaml:2:1: unknown key \"city\" "
		                  "here (it belongs under \"address:\")"));
		ck_assert(has(&d, "/c/misplaced.yaml:1:1: missing required key "
		                  "\"address\" (a mapping of line1, city, "
		                  "region, postal_code, country)"));
		practice_done(&p, &d);
	}
}
END_TEST

START_TEST(test_duplicate_key)
{
	struct practice_conf p;
	struct conf_diag d;

	expect_practice("dupkey.yaml", &p, &d, 1,
	    "/practice/dupkey.yaml:8:1: duplicate key \"name\" "
	    "(first defined at line 1, column 1)",
	    NULL);
	/* The first definition is kept. */
	ck_assert_str_eq(p.name, "First Name");
	practice_done(&p, &d);
}
END_TEST

START_TEST(test_wrong_type)
{
	struct practice_conf p;
	struct conf_diag d;

	expect_practice("wrongtype.yaml", &p, &d, 3,
	    "wrongtype.yaml:2:10: address: expected a mapping of "
	    "line1, city, region, postal_code, country, got "
	    "\"1 Main St, Springfield\"",
	    "wrongtype.yaml:7:18: online_payments: expected on "
	    "or off (true/false, yes/no), got \"maybe\"",
	    "wrongtype.yaml:8:6: npi: expected a 10-digit NPI, "
	    "got a sequence",
	    NULL);
	practice_done(&p, &d);
}
END_TEST

START_TEST(test_bad_currency)
{
	struct practice_conf p;
	struct conf_diag d;

	expect_practice("badcurrency.yaml", &p, &d, 1,
	    "badcurrency.yaml:5:11: currency: \"usd\" is not an "
	    "ISO 4217 currency code (three upper-case letters "
	    "such as USD, EUR, CAD)",
	    NULL);
	ck_assert_ptr_null(p.currency);
	practice_done(&p, &d);
}
END_TEST

/* Each currency in its ISO 4217 minor units, refused where the plugin
 * cannot charge it: a three-decimal BHD at Stripe, SEK at Square; JPY (no
 * decimals) at Square is fine and keeps its zone. */
START_TEST(test_plugin_currency)
{
	struct practice_conf p;
	struct conf_diag d;

	expect_practice("stripebhd.yaml", &p, &d, 1,
	    "stripebhd.yaml:5:11: currency: the stripe plugin cannot charge "
	    "BHD (three decimals: Stripe needs amounts ending in 0) as the "
	    "portal keeps it (ISO 4217 minor units); choose a currency the "
	    "processor takes, or another plugin",
	    NULL);
	practice_done(&p, &d);
	expect_practice("squaresek.yaml", &p, &d, 1,
	    "squaresek.yaml:5:11: currency: the square plugin cannot charge "
	    "SEK as the portal keeps it (ISO 4217 minor units); choose a "
	    "currency the processor takes, or another plugin",
	    NULL);
	practice_done(&p, &d);
	load_practice("jpy.yaml", PS_OK, &p, &d);
	ck_assert_uint_eq(conf_diag_count(&d), 0);
	ck_assert_str_eq(p.currency, "JPY");
	ck_assert_int_eq(currency_digits(p.currency), 0);
	ck_assert_ptr_nonnull(p.tz);
	ck_assert_int_eq(tz_offset(p.tz, 0), 9 * 3600);
	practice_done(&p, &d);
}
END_TEST

START_TEST(test_bad_npi)
{
	struct practice_conf p;
	struct conf_diag d;
	char err[128];

	expect_practice("badnpi.yaml", &p, &d, 2,
	    "badnpi.yaml:7:6: npi: 1234567890 is not a valid NPI "
	    "(its check digit is wrong)",
	    "badnpi.yaml:8:9: tax_id: expected an EIN written "
	    "NN-NNNNNNN (nine digits)",
	    NULL);
	practice_done(&p, &d);

	/* CMS's published example and a few hand-checked ones. */
	ck_assert_int_eq(conf_valid_npi("1234567893", err, sizeof(err)), PS_OK);
	ck_assert_int_eq(conf_valid_npi("1043829179", err, sizeof(err)), PS_OK);
	ck_assert_int_eq(conf_valid_npi("1928374655", err, sizeof(err)), PS_OK);
	ck_assert_int_eq(
	    conf_valid_npi("1234567894", err, sizeof(err)), PS_INVALID);
	ck_assert_int_eq(
	    conf_valid_npi("123456789", err, sizeof(err)), PS_INVALID);
	ck_assert_int_eq(
	    conf_valid_npi("12345678931", err, sizeof(err)), PS_INVALID);
	ck_assert_int_eq(
	    conf_valid_npi("3234567893", err, sizeof(err)), PS_INVALID);
	ck_assert_int_eq(
	    conf_valid_npi("12345x7893", err, sizeof(err)), PS_INVALID);
	ck_assert_int_eq(conf_valid_ein("12-3456789", err, sizeof(err)), PS_OK);
	ck_assert_int_eq(
	    conf_valid_ein("00-3456789", err, sizeof(err)), PS_INVALID);
	ck_assert_int_eq(
	    conf_valid_ein("123-456789", err, sizeof(err)), PS_INVALID);
	ck_assert_int_eq(
	    conf_valid_ein("12-34567890", err, sizeof(err)), PS_INVALID);
}
END_TEST

START_TEST(test_missing_required)
{
	struct practice_conf p;
	struct conf_diag d;

	/* Inside a mapping: at the mapping's key. At the top: at 1:1. */
	expect_practice("missing.yaml", &p, &d, 2,
	    "missing.yaml:2:1: missing required key \"region\" "
	    "in address (a state, province or region)",
	    "missing.yaml:1:1: missing required key \"currency\" "
	    "(an ISO 4217 currency code such as USD)",
	    NULL);
	practice_done(&p, &d);
}
END_TEST

START_TEST(test_several_collected)
{
	struct practice_conf p;
	struct conf_diag d;

	expect_practice("several.yaml", &p, &d, 5,
	    "several.yaml:2:91: country: expected an ISO 3166 "
	    "two-letter country code such as US",
	    "several.yaml:3:8: phone: expected a phone number "
	    "such as (555) 010-0199 or +1 555 010 0199",
	    "several.yaml:5:11: currency: \"XYZ\" is not an ISO "
	    "4217 currency code (three upper-case letters such "
	    "as USD, EUR, CAD)",
	    "several.yaml:6:11: timezone: unknown time zone "
	    "\"Mars/Olympus_Mons\" (expected UTC or a name under "
	    "/usr/share/zoneinfo such as America/New_York)",
	    "several.yaml:7:1: unknown key \"onlin_payments\" "
	    "(did you mean \"online_payments\"?)",
	    NULL);
	/* Values that were fine are still bound. */
	ck_assert_str_eq(p.name, "Several Problems");
	ck_assert_str_eq(p.email, "a@several.example");
	practice_done(&p, &d);
}
END_TEST

START_TEST(test_bad_portal)
{
	struct conf_diag d;
	struct portal_conf *c = NULL;

	conf_diag_init(&d);
	ck_assert_int_eq(
	    conf_load(CONF_FIXTURES "/bad/portal.yaml", &c, &d), PS_INVALID);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(conf_diag_count(&d), 13);
	ck_assert(has(&d, "bad/portal.yaml:3:16: socket_mode: expected an "
	                  "octal file mode such as 0660, got \"999\""));
	ck_assert(has(&d, "bad/portal.yaml:4:12: threads: 5000 is out of range "
	                  "(1 to 256)"));
	ck_assert(has(&d, "bad/portal.yaml:5:3: unknown key \"wokers\" (did "
	                  "you mean \"workers\"?)"));
	/* The inline secret is never echoed. */
	ck_assert(has(&d, "bad/portal.yaml:8:3: password: secrets are never "
	                  "written in the configuration; use password_file: "
	                  "PATH or password_env: VARIABLE"));
	ck_assert(has(&d, "bad/portal.yaml:6:1: missing required key \"user\" "
	                  "in database (a MariaDB user name)"));
	ck_assert(
	    has(&d, "bad/portal.yaml:9:11: base_url: expected an http:// "
	            "or https:// URL such as https://billing.example.com"));
	ck_assert(has(&d, "bad/portal.yaml:14:17: idle_timeout: expected a "
	                  "duration such as 45s, 30m, 12h or 2d, got \"30x\""));
	ck_assert(has(&d, "bad/portal.yaml:16:13: max_body: expected a size "
	                  "such as 4096, 64k or 1m, got \"12q\""));
	ck_assert(has(&d, "bad/portal.yaml:17:12: log_level: expected one of "
	                  "debug, info, warn, error, got \"verbose\""));
	ck_assert(has(&d, "/templates (the default) is not a directory of "
	                  "templates"));
	ck_assert(has(&d, "/bad/clinicians; at least one practice is "
	                  "required"));
	{
		size_t i;

		for (i = 0; i < d.nmsgs; i++)
			ck_assert_ptr_null(strstr(d.msgs[i], "hunter2"));
	}
	conf_diag_free(&d);
}
END_TEST

START_TEST(test_bad_slug)
{
	struct practice_conf p;
	struct conf_diag d;

	expect_practice("Bad_Slug.yaml", &p, &d, 1,
	    "Bad_Slug.yaml: bad practice file name "
	    "\"Bad_Slug.yaml\": a practice slug is 1 to 64 "
	    "characters from a-z, 0-9 and -; the file name "
	    "without .yaml is the practice's slug in URLs",
	    NULL);
	/* The rest of the file is still checked (and fine). */
	ck_assert_str_eq(p.name, "Bad Slug");
	practice_done(&p, &d);
	ck_assert_int_eq(conf_valid_slug("lakeside-2", NULL, 0), PS_OK);
	ck_assert_int_eq(conf_valid_slug("", NULL, 0), PS_INVALID);
	ck_assert_int_eq(conf_valid_slug("a b", NULL, 0), PS_INVALID);
	ck_assert_int_eq(conf_valid_slug("caf\xc3\xa9", NULL, 0), PS_INVALID);
}
END_TEST

START_TEST(test_gateway_retained)
{
	struct practice_conf p;
	struct conf_diag d;
	const struct conf_node *g, *n;
	char path[512];

	snprintf(path, sizeof(path), "%s/valid/clinicians/lakeside.yaml",
	    CONF_FIXTURES);
	conf_diag_init(&d);
	ck_assert_int_eq(conf_practice_load(path, &p, &d), PS_OK);
	g = p.gateway;
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(g->kind, CN_MAP);
	ck_assert_str_eq(g->key, "gateway");
	ck_assert_uint_eq(g->key_line, 16);
	ck_assert_uint_eq(g->key_col, 1);
	ck_assert_uint_eq(g->nchildren, 3);
	n = conf_node_get(g, "plugin");
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(n->kind, CN_SCALAR);
	ck_assert_str_eq(n->value, "sandbox");
	ck_assert_uint_eq(n->line, 17);
	ck_assert_uint_eq(n->col, 11);
	ck_assert(ends_with(n->file, "/valid/clinicians/lakeside.yaml"));
	n = conf_node_get(g, "options");
	ck_assert_int_eq(n->kind, CN_SEQ);
	ck_assert_uint_eq(n->nchildren, 2);
	ck_assert_str_eq(n->children[1]->value, "two");
	ck_assert_ptr_eq(n->children[1]->parent, n);
	practice_done(&p, &d);

	/* online_payments: on needs a gateway. */
	expect_practice("nogateway.yaml", &p, &d, 1,
	    "nogateway.yaml:7:1: online_payments is on but the "
	    "practice has no gateway: mapping naming its card "
	    "processor plugin",
	    NULL);
	practice_done(&p, &d);
}
END_TEST

START_TEST(test_yaml_rejects)
{
	struct practice_conf p;
	struct conf_diag d;

	expect_practice("alias.yaml", &p, &d, ANY_COUNT,
	    "alias.yaml:1:7: anchors (n) are not supported",
	    "alias.yaml:5:11: tags (tag:yaml.org,2002:str) are "
	    "not supported",
	    "alias.yaml:6:11: aliases (n) are not supported", NULL);
	practice_done(&p, &d);

	expect_practice("multidoc.yaml", &p, &d, ANY_COUNT,
	    "multidoc.yaml:2:1: only one YAML document is "
	    "allowed in a configuration file",
	    NULL);
	ck_assert_ptr_null(p.tree);
	practice_done(&p, &d);

	expect_practice("syntax.yaml", &p, &d, 1, NULL);
	ck_assert_ptr_nonnull(strstr(d.msgs[0], "syntax.yaml:4:1: YAML syntax "
	                                        "error: "));
	practice_done(&p, &d);
}
END_TEST

START_TEST(test_tree_buf)
{
	struct conf_diag d;
	struct conf_node *t = NULL;
	static const char nul[] = "a: \"x\\0y\"\n";
	static const char top[] = "- 1\n- 2\n";
	static const char cplx[] = "? [a, b]\n: 1\nc: 2\n";

	conf_diag_init(&d);
	ck_assert_int_eq(conf_parse_buf("", 0, "empty.yaml", &t, &d), PS_OK);
	ck_assert_int_eq(t->kind, CN_MAP);
	ck_assert_uint_eq(t->nchildren, 0);
	conf_tree_free(t);
	ck_assert_int_eq(conf_parse_buf("---\n", 4, "e.yaml", &t, &d), PS_OK);
	ck_assert_int_eq(t->kind, CN_MAP);
	conf_tree_free(t);
	ck_assert_uint_eq(conf_diag_count(&d), 0);

	ck_assert_int_eq(
	    conf_parse_buf(nul, sizeof(nul) - 1, "n.yaml", &t, &d), PS_INVALID);
	ck_assert(has(&d, "n.yaml:1:4: value contains a NUL character"));
	conf_tree_free(t);
	ck_assert_int_eq(
	    conf_parse_buf(top, sizeof(top) - 1, "t.yaml", &t, &d), PS_INVALID);
	ck_assert_ptr_null(t);
	ck_assert(has(&d, "t.yaml:1:1: the top level must be a mapping of "
	                  "keys to values, not a sequence"));
	ck_assert_int_eq(
	    conf_parse_buf(cplx, sizeof(cplx) - 1, "c.yaml", &t, &d),
	    PS_INVALID);
	ck_assert(has(&d, "c.yaml:1:3: a mapping key must be a plain word, not "
	                  "a sequence"));
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->nchildren, 1);
	ck_assert_str_eq(conf_node_get(t, "c")->value, "2");
	conf_tree_free(t);
	conf_diag_free(&d);
}
END_TEST

/* A table exercising every type of the binder. */
struct all {
	char *s;
	int64_t i, dur, size;
	int b, e;
	mode_t mode;
	char *path, *cur, *tz;
	struct conf_secret_ref sec;
	struct {
		int64_t depth;
		char *deep;
	} sub;
	const struct conf_node *raw;
};

static const char *const colours[] = {"red", "green", NULL};

static const struct conf_key sub_keys[] = {
    {.name = "depth",
        .type = CT_INT,
        .offset = offsetof(struct all, sub.depth) - offsetof(struct all, sub),
        .def = "7"},
    {.name = "deep",
        .type = CT_STRING,
        .offset = offsetof(struct all, sub.deep) - offsetof(struct all, sub),
        .required = 1},
    {.name = NULL},
};

static const struct conf_key all_keys[] = {
    {.name = "s",
        .type = CT_STRING,
        .offset = offsetof(struct all, s),
        .def = "dflt"},
    {.name = "i",
        .type = CT_INT,
        .offset = offsetof(struct all, i),
        .min = -5,
        .max = 5},
    {.name = "dur",
        .type = CT_DURATION,
        .offset = offsetof(struct all, dur),
        .min = 60,
        .max = 86400},
    {.name = "size", .type = CT_SIZE, .offset = offsetof(struct all, size)},
    {.name = "b", .type = CT_BOOL, .offset = offsetof(struct all, b)},
    {.name = "e",
        .type = CT_ENUM,
        .offset = offsetof(struct all, e),
        .words = colours},
    {.name = "mode",
        .type = CT_OCTAL_MODE,
        .offset = offsetof(struct all, mode)},
    {.name = "path", .type = CT_PATH, .offset = offsetof(struct all, path)},
    {.name = "cur", .type = CT_CURRENCY, .offset = offsetof(struct all, cur)},
    {.name = "tz", .type = CT_TIMEZONE, .offset = offsetof(struct all, tz)},
    {.name = "api_key",
        .type = CT_SECRET_REF,
        .offset = offsetof(struct all, sec)},
    {.name = "sub",
        .type = CT_MAP,
        .offset = offsetof(struct all, sub),
        .sub = sub_keys},
    {.name = "raw", .type = CT_NODE, .offset = offsetof(struct all, raw)},
    {.name = NULL},
};

/* Binds text (a YAML mapping named /etc/x/f.yaml) into a; returns status. */
static enum pstatus
bind_text(
    const char *text, struct all *a, struct conf_diag *d, struct conf_node **t)
{
	enum pstatus rc;

	memset(a, 0, sizeof(*a));
	rc = conf_parse_buf(text, strlen(text), "/etc/x/f.yaml", t, d);
	ck_assert_int_eq(rc, PS_OK);
	return conf_bind(*t, all_keys, a, d);
}

START_TEST(test_binder_types)
{
	struct conf_diag d;
	struct conf_node *t = NULL;
	struct all a;

	conf_diag_init(&d);
	ck_assert_int_eq(bind_text("i: -5\ndur: 2d\nsize: 64K\nb: Yes\n"
	                           "e: green\nmode: \"0755\"\npath: ./a/b\n"
	                           "cur: EUR\ntz: Europe/Paris\n"
	                           "api_key_env: MY_KEY\nsub: {deep: x}\n"
	                           "raw: [1, {k: v}]\n",
	                     &a, &d, &t),
	    PS_INVALID); /* 2d is above dur's max */
	ck_assert_uint_eq(conf_diag_count(&d), 1);
	ck_assert(has(&d, "/etc/x/f.yaml:2:6: dur: 2d is out of range (1m to "
	                  "1d)"));
	ck_assert_str_eq(a.s, "dflt");
	ck_assert_int_eq(a.i, -5);
	ck_assert_int_eq(a.size, 65536);
	ck_assert_int_eq(a.b, 1);
	ck_assert_int_eq(a.e, 1);
	ck_assert_uint_eq(a.mode, 0755);
	ck_assert_str_eq(a.path, "/etc/x/a/b");
	ck_assert_str_eq(a.cur, "EUR");
	ck_assert_str_eq(a.tz, "Europe/Paris");
	ck_assert_str_eq(a.sec.env, "MY_KEY");
	ck_assert_int_eq(a.sub.depth, 7);
	ck_assert_str_eq(a.sub.deep, "x");
	ck_assert_int_eq(a.raw->kind, CN_SEQ);
	conf_bind_free(all_keys, &a);
	ck_assert_ptr_null(a.s);
	conf_tree_free(t);
	conf_diag_free(&d);

	/* Durations. */
	ck_assert_int_eq(
	    bind_text("dur: 90\nsub: {deep: x}\n", &a, &d, &t), PS_OK);
	ck_assert_int_eq(a.dur, 90);
	conf_bind_free(all_keys, &a);
	conf_tree_free(t);
	ck_assert_int_eq(
	    bind_text("dur: 12h\nsub: {deep: x}\n", &a, &d, &t), PS_OK);
	ck_assert_int_eq(a.dur, 43200);
	conf_bind_free(all_keys, &a);
	conf_tree_free(t);
	ck_assert_int_eq(
	    bind_text("dur: 45s\nsub: {deep: x}\n", &a, &d, &t), PS_INVALID);
	ck_assert(has(&d, "f.yaml:1:6: dur: 45s is out of range (1m to 1d)"));
	conf_bind_free(all_keys, &a);
	conf_tree_free(t);
	conf_diag_free(&d);
	ck_assert_int_eq(bind_text("dur: 1h30m\nsize: 99999999999999999999k\n"
	                           "i: 6\nsub: {deep: x}\n",
	                     &a, &d, &t),
	    PS_INVALID);
	ck_assert_uint_eq(conf_diag_count(&d), 3);
	ck_assert(has(&d, "f.yaml:1:6: dur: expected a duration such as 45s, "
	                  "30m, 12h or 2d, got \"1h30m\""));
	ck_assert(has(&d, "f.yaml:2:7: size: expected a size such as 4096, 64k "
	                  "or 1m, got \"99999999999999999999k\""));
	ck_assert(has(&d, "f.yaml:3:4: i: 6 is out of range (-5 to 5)"));
	conf_bind_free(all_keys, &a);
	conf_tree_free(t);
	conf_diag_free(&d);

	/* Bools, modes, enums, secrets, nested required key. */
	ck_assert_int_eq(bind_text("b: off\nmode: 0888\ne: blue\n"
	                           "api_key: sk_live_oops\nsub: {}\n",
	                     &a, &d, &t),
	    PS_INVALID);
	ck_assert_int_eq(a.b, 0);
	ck_assert_uint_eq(conf_diag_count(&d), 4);
	ck_assert(has(&d, "f.yaml:2:7: mode: expected an octal file mode such "
	                  "as 0660, got \"0888\""));
	ck_assert(has(&d, "f.yaml:3:4: e: expected one of red, green, got "
	                  "\"blue\""));
	ck_assert(has(&d, "f.yaml:4:1: api_key: secrets are never written in "
	                  "the configuration; use api_key_file: PATH or "
	                  "api_key_env: VARIABLE"));
	ck_assert(has(&d, "f.yaml:5:1: missing required key \"deep\" in sub (a "
	                  "string)"));
	conf_bind_free(all_keys, &a);
	conf_tree_free(t);
	conf_diag_free(&d);

	ck_assert_int_eq(bind_text("api_key_file: k\napi_key_env: K\n"
	                           "api_key_fil: x\nsub: {deep: x}\n",
	                     &a, &d, &t),
	    PS_INVALID);
	ck_assert_str_eq(a.sec.path, "/etc/x/k");
	ck_assert_ptr_null(a.sec.env);
	ck_assert(has(&d, "f.yaml:2:1: give only one of api_key_file and "
	                  "api_key_env"));
	ck_assert(has(&d, "f.yaml:3:1: unknown key \"api_key_fil\" (did you "
	                  "mean \"api_key_file\"?)"));
	conf_bind_free(all_keys, &a);
	conf_tree_free(t);
	conf_diag_free(&d);

	/* Missing required mapping, and binding a non-mapping. */
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(conf_bind(NULL, all_keys, &a, &d), PS_INVALID);
	ck_assert_uint_eq(conf_diag_count(&d), 1);
	ck_assert_str_eq(a.s, "dflt");
	conf_bind_free(all_keys, &a);
	conf_diag_free(&d);

	ck_assert_str_eq(conf_suggest(all_keys, "dru"), "dur");
	ck_assert_ptr_null(conf_suggest(all_keys, "completely_else"));
}
END_TEST

START_TEST(test_secret_read)
{
	struct conf_secret_ref ref = {NULL, NULL};
	char path[512], err[256], *s = NULL, envname[] = "CHECK_CONF_SECRET";
	unsigned char *raw = NULL;
	size_t n = 0;

	make_tmp();
	snprintf(path, sizeof(path), "%s/api.key", tmpdir);
	write_file(path, "sk_test_123\r\n", 13, 0600);
	ref.path = path;
	ck_assert_int_eq(
	    conf_secret_read(&ref, &s, &n, err, sizeof(err)), PS_OK);
	ck_assert_uint_eq(n, 11);
	ck_assert_str_eq(s, "sk_test_123");
	conf_secret_free(s, n);

	write_file(path, "sk_test_123\n", 12, 0644);
	ck_assert_int_eq(
	    conf_secret_read(&ref, &s, &n, err, sizeof(err)), PS_DENIED);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err, "is readable by others"));
	ck_assert_ptr_null(strstr(err, "sk_test"));

	write_file(path, key32, 31, 0640);
	ck_assert_int_eq(
	    conf_secret_read_file(path, 32, &raw, &n, err, sizeof(err)),
	    PS_INVALID);
	ck_assert_ptr_nonnull(strstr(err, "holds 31 bytes; at least 32"));
	write_file(path, key32, 32, 0640);
	ck_assert_int_eq(
	    conf_secret_read_file(path, 32, &raw, &n, err, sizeof(err)), PS_OK);
	ck_assert_uint_eq(n, 32);
	conf_secret_free(raw, n);

	ref.path = NULL;
	ref.env = envname;
	unsetenv(envname);
	ck_assert_int_eq(
	    conf_secret_read(&ref, &s, &n, err, sizeof(err)), PS_NOTFOUND);
	setenv(envname, "from-env", 1);
	ck_assert_int_eq(
	    conf_secret_read(&ref, &s, &n, err, sizeof(err)), PS_OK);
	ck_assert_str_eq(s, "from-env");
	ck_assert_uint_eq(n, 8);
	conf_secret_free(s, n);
	unsetenv(envname);

	/* The portal refuses a world-readable key file. */
	{
		struct conf_diag d;
		struct portal_conf *c = NULL;

		copy_dir(CONF_FIXTURES "/valid", "valid");
		snprintf(path, sizeof(path), "%s/valid/secret.key", tmpdir);
		write_file(path, key32, 32, 0604);
		snprintf(path, sizeof(path), "%s/valid/portal.yaml", tmpdir);
		conf_diag_init(&d);
		ck_assert_int_eq(conf_load(path, &c, &d), PS_INVALID);
		ck_assert_uint_eq(conf_diag_count(&d), 1);
		ck_assert_ptr_nonnull(strstr(d.msgs[0],
		    "portal.yaml:15:18: secret_key_file: secret file "));
		ck_assert_ptr_nonnull(
		    strstr(d.msgs[0], "is readable by others"));
		conf_diag_free(&d);
	}
	rm_tmp();
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_valid_load);
	tcase_add_test(tc, test_examples_valid);
	tcase_add_test(tc, test_config_check_output);
	tcase_add_test(tc, test_misspelt_key);
	tcase_add_test(tc, test_duplicate_key);
	tcase_add_test(tc, test_wrong_type);
	tcase_add_test(tc, test_bad_currency);
	tcase_add_test(tc, test_plugin_currency);
	tcase_add_test(tc, test_bad_npi);
	tcase_add_test(tc, test_missing_required);
	tcase_add_test(tc, test_several_collected);
	tcase_add_test(tc, test_bad_portal);
	tcase_add_test(tc, test_bad_slug);
	tcase_add_test(tc, test_gateway_retained);
	tcase_add_test(tc, test_yaml_rejects);
	tcase_add_test(tc, test_tree_buf);
	tcase_add_test(tc, test_binder_types);
	tcase_add_test(tc, test_secret_read);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(conf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
