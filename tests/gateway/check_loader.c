/* check_loader.c: tests of the gateway plugin host (app/gw): the loader's
 * refusals (each naming the file), config validation with FILE:LINE:COL,
 * secrets, init failure unwinding, status sanitizing, redaction and the
 * HTTP outcome classes. */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "gw/gw.h"

static char dir[1024]; /* our private plugin directory */
static char builddir[1024];

/* Copies the built test plugin NAME.so (or the sandbox) into dir as
 * dst with mode; returns the absolute path in a static buffer. */
static const char *
install(const char *src_rel, const char *dst, mode_t mode)
{
	static char out[PATH_MAX];
	char src[PATH_MAX], buf[65536];
	int in, fd;
	ssize_t n;

	snprintf(src, sizeof(src), "%s/%s", builddir, src_rel);
	snprintf(out, sizeof(out), "%s/%s", dir, dst);
	unlink(out);
	in = open(src, O_RDONLY);
	ck_assert_msg(in != -1, "open %s: %s", src, strerror(errno));
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_msg(fd != -1, "create %s: %s", out, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ck_assert(write(fd, buf, (size_t)n) == n);
	close(in);
	close(fd);
	ck_assert(chmod(out, mode) == 0);
	return out;
}

#define TP(v) "tests/gateway/.libs/" v ".so"

static enum pstatus
load(const char *path, struct gw_module **m, char *err, size_t errsz)
{
	return gw_module_open(dir, path, m, err, errsz);
}

START_TEST(test_good_loads)
{
	struct gw_module *m = NULL;
	char err[1024];
	const char *p = install(TP("good"), "good.so", 0644);

	ck_assert_int_eq(load(p, &m, err, sizeof(err)), PS_OK);
	ck_assert_str_eq(gw_module_plugin(m)->name, "testplugin");
	gw_module_close(m);
}
END_TEST

static void
refused(const char *src, const char *name, mode_t mode, enum pstatus want,
    const char *needle)
{
	struct gw_module *m = NULL;
	char err[1024];
	const char *p = install(src, name, mode);
	enum pstatus rc = load(p, &m, err, sizeof(err));

	ck_assert_msg(rc == want, "%s: got %s want %s: %s", name,
	    pstatus_str(rc), pstatus_str(want), err);
	ck_assert(m == NULL);
	ck_assert_msg(
	    strstr(err, p) != NULL, "error does not name %s: %s", p, err);
	ck_assert_msg(
	    strstr(err, needle) != NULL, "error lacks \"%s\": %s", needle, err);
}

START_TEST(test_bad_magic)
{
	refused(TP("badmagic"), "badmagic.so", 0644, PS_INVALID, "magic");
}
END_TEST

START_TEST(test_bad_major)
{
	refused(TP("badmajor"), "badmajor.so", 0644, PS_INVALID, "ABI 2.0");
}
END_TEST

START_TEST(test_short_size)
{
	refused(TP("shortsize"), "shortsize.so", 0644, PS_INVALID,
	    "descriptor size");
}
END_TEST

START_TEST(test_no_entry)
{
	refused(TP("noentry"), "noentry.so", 0644, PS_INVALID,
	    "no entry function portal_gateway_entry()");
}
END_TEST

START_TEST(test_group_writable)
{
	refused(
	    TP("good"), "gw.so", 0664, PS_DENIED, "group- or world-writable");
}
END_TEST

START_TEST(test_world_writable)
{
	refused(
	    TP("good"), "ww.so", 0646, PS_DENIED, "group- or world-writable");
}
END_TEST

START_TEST(test_writable_dir)
{
	char sub[PATH_MAX], p[PATH_MAX + 16], err[1024];
	struct gw_module *m = NULL;

	snprintf(sub, sizeof(sub), "%s/open", dir);
	mkdir(sub, 0700);
	install(TP("good"), "open/x.so", 0644);
	ck_assert(chmod(sub, 0777) == 0);
	snprintf(p, sizeof(p), "%s/x.so", sub);
	ck_assert_int_eq(load(p, &m, err, sizeof(err)), PS_DENIED);
	ck_assert(strstr(err, p) != NULL);
	ck_assert(strstr(err, "its directory") != NULL);
	chmod(sub, 0700);
}
END_TEST

START_TEST(test_relative_path)
{
	struct gw_module *m = NULL;
	char err[1024];

	ck_assert_int_eq(
	    load("tests/gateway/.libs/good.so", &m, err, sizeof(err)),
	    PS_INVALID);
	ck_assert(strstr(err, "tests/gateway/.libs/good.so") != NULL);
	ck_assert(strstr(err, "not an absolute path") != NULL);
}
END_TEST

START_TEST(test_outside_dir)
{
	struct gw_module *m = NULL;
	char err[1024], link[PATH_MAX + 16], target[PATH_MAX];

	snprintf(target, sizeof(target), "%s/" TP("good"), builddir);
	snprintf(link, sizeof(link), "%s/escape.so", dir);
	unlink(link);
	ck_assert(symlink(target, link) == 0);
	ck_assert_int_eq(load(link, &m, err, sizeof(err)), PS_DENIED);
	ck_assert(strstr(err, link) != NULL);
	ck_assert(strstr(err, "outside the plugin directory") != NULL);
}
END_TEST

START_TEST(test_not_regular)
{
	struct gw_module *m = NULL;
	char err[1024], p[PATH_MAX + 16];

	snprintf(p, sizeof(p), "%s/dir.so", dir);
	mkdir(p, 0700);
	ck_assert_int_eq(load(p, &m, err, sizeof(err)), PS_DENIED);
	ck_assert(strstr(err, p) != NULL);
	ck_assert(strstr(err, "not a regular file") != NULL);
}
END_TEST

START_TEST(test_missing)
{
	struct gw_module *m = NULL;
	char err[1024], p[PATH_MAX + 16];

	snprintf(p, sizeof(p), "%s/nothere.so", dir);
	ck_assert_int_eq(load(p, &m, err, sizeof(err)), PS_NOTFOUND);
	ck_assert(strstr(err, p) != NULL);
}
END_TEST

START_TEST(test_plugin_path)
{
	char out[PATH_MAX], err[256];

	ck_assert_int_eq(gw_plugin_path("/usr/lib/portal", "sandbox", out,
	                     sizeof(out), err, sizeof(err)),
	    PS_OK);
	ck_assert_str_eq(out, "/usr/lib/portal/sandbox.so");
	ck_assert_int_eq(gw_plugin_path("/usr/lib/portal", "../evil", out,
	                     sizeof(out), err, sizeof(err)),
	    PS_INVALID);
	ck_assert_int_eq(gw_plugin_path("lib", "sandbox", out, sizeof(out), err,
	                     sizeof(err)),
	    PS_INVALID);
}
END_TEST

START_TEST(test_init_fails_unloads)
{
	struct gw_module *m = NULL;
	struct gw_instance *inst = NULL;
	struct gw_conf_item it = {"name", "x", "p.yaml", 3, 9};
	char err[1024];
	const char *p = install(TP("initfail"), "initfail.so", 0644);
	char rp[PATH_MAX];
	void *h;

	ck_assert(realpath(p, rp) != NULL);
	ck_assert_int_eq(load(p, &m, err, sizeof(err)), PS_OK);
	ck_assert((h = dlopen(rp, RTLD_NOW | RTLD_NOLOAD)) != NULL);
	dlclose(h); /* drop the reference NOLOAD took */
	ck_assert_int_eq(
	    gw_instance_new(m, "lakeside", &it, 1, &inst, err, sizeof(err)),
	    PS_ERROR);
	ck_assert(inst == NULL);
	ck_assert_msg(
	    strstr(err, "init failed: the test plugin refuses") != NULL, "%s",
	    err);
	ck_assert(strstr(err, rp) != NULL);
	ck_assert(strstr(err, "lakeside") != NULL);
	ck_assert_msg(dlopen(rp, RTLD_NOW | RTLD_NOLOAD) == NULL,
	    "the plugin is still loaded after a failed init");
}
END_TEST

/* ABI 1.1: init2 reports through the result, file:line included. */
START_TEST(test_init2_fails)
{
	struct gw_module *m = NULL;
	struct gw_instance *inst = NULL;
	struct gw_conf_item it = {"name", "x", "p.yaml", 3, 9};
	char err[1024];
	const char *p = install(TP("init2fail"), "init2fail.so", 0644);

	ck_assert_int_eq(load(p, &m, err, sizeof(err)), PS_OK);
	ck_assert_int_eq(gw_module_plugin(m)->abi_minor, 1);
	ck_assert_int_eq(
	    gw_instance_new(m, "lakeside", &it, 1, &inst, err, sizeof(err)),
	    PS_ERROR);
	ck_assert(inst == NULL);
	ck_assert_msg(strstr(err, "init failed: p.yaml:3:9: the test plugin "
	                          "refuses it") != NULL,
	    "%s", err);
}
END_TEST

/* ABI 1.1: the return value is the only status (the plugin sets neither
 * res->status nor out->status), the widget's values and origins, the next
 * action and its completion; REQUIRES_ACTION leaves no stale action on the
 * next call. */
START_TEST(test_v11_plugin)
{
	struct gw_module *m = NULL;
	struct gw_instance *inst = NULL;
	struct gw_conf_item it = {"name", "x", "p.yaml", 3, 9};
	struct pgw_charge_req r;
	struct pgw_complete_req cr;
	struct pgw_payment pay;
	struct pgw_widget w;
	struct pgw_result res;
	char err[1024];
	const char *p = install(TP("v11"), "v11.so", 0644);

	ck_assert_int_eq(load(p, &m, err, sizeof(err)), PS_OK);
	ck_assert_int_eq(
	    gw_instance_new(m, "v", &it, 1, &inst, err, sizeof(err)), PS_OK);
	ck_assert_int_eq(
	    gw_card_widget(inst, &w, &res, err, sizeof(err)), PGW_SUCCEEDED);
	ck_assert_int_eq(res.status, PGW_SUCCEEDED);
	ck_assert_str_eq(w.sdk, "example");
	ck_assert_uint_eq(w.nvalues, 2);
	ck_assert_str_eq(w.values[1].name, "site");
	ck_assert_uint_eq(w.norigins, 2);
	ck_assert_int_eq(w.origins[1].directive, PGW_CSP_CONNECT);
	ck_assert_str_eq(w.origins[1].origin, "https://api.example.test");

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.amount = 3184;
	r.currency = "EUR";
	r.idempotency_key = "k-3ds";
	r.token = "tok_3ds";
	ck_assert_int_eq(gw_charge(inst, &r, &pay, &res, err, sizeof(err)),
	    PGW_REQUIRES_ACTION);
	ck_assert_int_eq(res.status, PGW_REQUIRES_ACTION);
	ck_assert_int_eq(pay.status, PGW_REQUIRES_ACTION);
	ck_assert_int_eq(res.action.type, PGW_ACTION_SDK);
	ck_assert_str_eq(res.action.kind, "example.verify");
	ck_assert_str_eq(res.action.values[0].value, "cs_test_1");

	memset(&cr, 0, sizeof(cr));
	cr.size = sizeof(cr);
	cr.ref = "pay_3ds";
	cr.charge = &r;
	cr.action_result = "failed";
	ck_assert_int_eq(
	    gw_complete_charge(inst, &cr, &pay, &res, err, sizeof(err)),
	    PGW_DECLINED);
	ck_assert_int_eq(pay.status, PGW_DECLINED);
	ck_assert_int_eq(res.action.type, PGW_ACTION_NONE);
	cr.action_result = "passed";
	ck_assert_int_eq(
	    gw_complete_charge(inst, &cr, &pay, &res, err, sizeof(err)),
	    PGW_SUCCEEDED);
	ck_assert_int_eq(pay.status, PGW_SUCCEEDED);
	ck_assert_str_eq(pay.ref, "pay_3ds");
	cr.ref = NULL; /* misuse: no ref */
	ck_assert_int_eq(
	    gw_complete_charge(inst, &cr, &pay, &res, err, sizeof(err)),
	    PGW_ERROR);
	r.amount = 100;
	ck_assert_int_eq(
	    gw_charge(inst, &r, &pay, &res, err, sizeof(err)), PGW_SUCCEEDED);
	ck_assert_int_eq(res.status, PGW_SUCCEEDED);
	ck_assert_int_eq(res.action.type, PGW_ACTION_NONE);
	gw_instance_free(inst);
}
END_TEST

static const struct pgw_plugin *
good_plugin(struct gw_module **m)
{
	char err[1024];
	const char *p = install(TP("good"), "good.so", 0644);

	ck_assert_int_eq(load(p, m, err, sizeof(err)), PS_OK);
	return gw_module_plugin(*m);
}

START_TEST(test_conf_check)
{
	struct gw_module *m = NULL;
	const struct pgw_plugin *p = good_plugin(&m);
	struct gw_conf_item bad[] = {
	    {"nmae", "x", "lakeside.yaml", 3, 5},
	    {"count", "12x", "lakeside.yaml", 4, 12},
	    {"enabled", "maybe", "lakeside.yaml", 5, 14},
	    {"endpoint", "http://example.com/api", "lakeside.yaml", 6, 15},
	    {"secret_key_file", "relative/key", "lakeside.yaml", 7, 22},
	    {"count", "3", "lakeside.yaml", 8, 12},
	};
	struct gw_conf_item good[] = {
	    {"name", "x", "l.yaml", 2, 3},
	    {"count", "-3", "l.yaml", 3, 3},
	    {"enabled", "yes", "l.yaml", 4, 3},
	    {"endpoint", "https://api.example.com/v1", "l.yaml", 5, 3},
	};
	char err[4096];
	size_t n = 0;

	ck_assert_int_eq(
	    gw_conf_check(p, bad, 6, &n, err, sizeof(err)), PS_INVALID);
	ck_assert_msg(n == 7, "%zu problems: %s", n, err);
	ck_assert_msg(strstr(err, "lakeside.yaml:3:5: gateway: unknown key "
	                          "\"nmae\" for plugin testplugin (did you "
	                          "mean \"name\"?)") != NULL,
	    "%s", err);
	ck_assert(strstr(err, "lakeside.yaml:4:12: gateway.count: \"12x\" is "
	                      "not an integer") != NULL);
	ck_assert(strstr(err, "lakeside.yaml:5:14: gateway.enabled") != NULL);
	ck_assert(strstr(err, "lakeside.yaml:6:15: gateway.endpoint") != NULL);
	ck_assert(
	    strstr(err, "lakeside.yaml:7:22: gateway.secret_key_file") != NULL);
	ck_assert(strstr(err, "lakeside.yaml:8:12: gateway: duplicate key "
	                      "\"count\"") != NULL);
	ck_assert(strstr(err, "requires key \"name\"") != NULL);
	ck_assert_int_eq(
	    gw_conf_check(p, good, 4, &n, err, sizeof(err)), PS_OK);
	ck_assert_int_eq(n, 0);
	gw_module_close(m);
}
END_TEST

START_TEST(test_conf_from_node)
{
	struct conf_node root, plugin, key, seq;
	struct conf_node *kids[3] = {&plugin, &key, &seq};
	struct gw_conf_item *items = NULL;
	const char *name = NULL;
	char err[1024];
	size_t n = 0;

	memset(&root, 0, sizeof(root));
	memset(&plugin, 0, sizeof(plugin));
	memset(&key, 0, sizeof(key));
	memset(&seq, 0, sizeof(seq));
	root.kind = CN_MAP;
	root.key = "gateway";
	root.key_line = 10;
	root.key_col = 1;
	root.file = "c/lakeside.yaml";
	root.children = kids;
	root.nchildren = 2;
	plugin.kind = CN_SCALAR;
	plugin.key = "plugin";
	plugin.value = "sandbox";
	plugin.file = root.file;
	key.kind = CN_SCALAR;
	key.key = "api_base";
	key.value = "http://127.0.0.1:1";
	key.line = 12;
	key.col = 13;
	key.file = root.file;
	ck_assert_int_eq(
	    gw_conf_from_node(&root, &name, &items, &n, err, sizeof(err)),
	    PS_OK);
	ck_assert_str_eq(name, "sandbox");
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(items[0].key, "api_base");
	ck_assert_int_eq(items[0].line, 12);
	free(items);

	/* No plugin: and a nested mapping. */
	seq.kind = CN_SEQ;
	seq.key = "extra";
	seq.line = 13;
	seq.col = 3;
	seq.file = root.file;
	kids[0] = &key;
	kids[1] = &seq;
	ck_assert_int_eq(
	    gw_conf_from_node(&root, &name, &items, &n, err, sizeof(err)),
	    PS_INVALID);
	ck_assert(items == NULL);
	ck_assert_msg(strstr(err, "c/lakeside.yaml:13:3: gateway.extra: "
	                          "expected a scalar") != NULL,
	    "%s", err);
	ck_assert(strstr(err, "c/lakeside.yaml:10:1: gateway: \"plugin:\" is "
	                      "required") != NULL);
}
END_TEST

/* Runs fn with stderr captured into buf. */
static void
capture_stderr(void (*fn)(void *), void *arg, char *buf, size_t bufsz)
{
	char path[PATH_MAX + 16];
	int fd, saved;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/stderr.txt", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert(fd != -1);
	saved = dup(2);
	dup2(fd, 2);
	fn(arg);
	dup2(saved, 2);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, bufsz - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

struct secret_run {
	struct gw_conf_item *items;
	size_t n;
	enum pstatus rc;
	char err[1024];
};

static void
run_secret(void *arg)
{
	struct secret_run *r = arg;
	struct gw_module *m = NULL;
	struct gw_instance *inst = NULL;
	const char *p = install(TP("good"), "good.so", 0644);

	ck_assert_int_eq(load(p, &m, r->err, sizeof(r->err)), PS_OK);
	r->rc = gw_instance_new(
	    m, "lakeside", r->items, r->n, &inst, r->err, sizeof(r->err));
	gw_instance_free(inst);
}

START_TEST(test_secret_file_redacted)
{
	char sf[PATH_MAX + 16], logbuf[8192];
	struct gw_conf_item it[2] = {{"name", "x", "l.yaml", 2, 3},
	    {"secret_key_file", sf, "l.yaml", 3, 3}};
	struct secret_run r = {it, 2, PS_ERROR, ""};
	FILE *f;

	snprintf(sf, sizeof(sf), "%s/secret.txt", dir);
	f = fopen(sf, "w");
	fputs("sk_live_TOPSECRET123\n", f);
	fclose(f);
	chmod(sf, 0640);
	capture_stderr(run_secret, &r, logbuf, sizeof(logbuf));
	ck_assert_msg(r.rc == PS_OK, "%s", r.err);
	ck_assert_msg(
	    strstr(logbuf, "started with secret ***") != NULL, "%s", logbuf);
	ck_assert(strstr(logbuf, "TOPSECRET") == NULL);
	ck_assert(strstr(logbuf, "[card]") != NULL);
	ck_assert(strstr(logbuf, "4242") == NULL);

	chmod(sf, 0644);
	capture_stderr(run_secret, &r, logbuf, sizeof(logbuf));
	ck_assert_int_eq(r.rc, PS_DENIED);
	ck_assert(strstr(r.err, "l.yaml:3:3: gateway.secret_key_file") != NULL);
	ck_assert(strstr(r.err, "world-readable") != NULL);
	ck_assert(strstr(r.err, "TOPSECRET") == NULL);
}
END_TEST

START_TEST(test_secret_env)
{
	struct gw_conf_item it[2] = {{"name", "x", "l.yaml", 2, 3},
	    {"secret_key_env", "PORTAL_TEST_GW_SECRET", "l.yaml", 3, 3}};
	struct secret_run r = {it, 2, PS_ERROR, ""};
	char logbuf[8192];

	unsetenv("PORTAL_TEST_GW_SECRET");
	capture_stderr(run_secret, &r, logbuf, sizeof(logbuf));
	ck_assert_int_eq(r.rc, PS_INVALID);
	ck_assert(strstr(r.err, "PORTAL_TEST_GW_SECRET is not set") != NULL);
	setenv("PORTAL_TEST_GW_SECRET", "envsecret-XYZ", 1);
	capture_stderr(run_secret, &r, logbuf, sizeof(logbuf));
	ck_assert_msg(r.rc == PS_OK, "%s", r.err);
	ck_assert(strstr(logbuf, "envsecret") == NULL);
}
END_TEST

START_TEST(test_redact)
{
	struct pgw_host *h = gw_host_new("t");
	char s[256];

	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(gw_host_add_secret(h, "whsec_abcdef"), PS_OK);
	snprintf(s, sizeof(s),
	    "card 4000002760003184 and 4000-0000-0000-9995 "
	    "and 4242 4242 4242 4242.");
	ck_assert_str_eq(gw_redact(h, s), "card [card] and [card] and [card].");
	snprintf(s, sizeof(s),
	    "order 1234567890123 id 20240101 key "
	    "whsec_abcdef\n");
	/* 1234567890123 fails Luhn: kept. */
	ck_assert_str_eq(
	    gw_redact(h, s), "order 1234567890123 id 20240101 key ***?");
	gw_host_free(h);
}
END_TEST

START_TEST(test_liar_statuses)
{
	struct gw_module *m = NULL;
	struct gw_instance *inst = NULL;
	struct gw_conf_item it = {"name", "x", "l.yaml", 2, 3};
	struct pgw_charge_req r;
	struct pgw_lookup_req l;
	struct pgw_payment pay;
	struct pgw_result res;
	struct pgw_refund_req rr;
	struct pgw_refund rf;
	char err[1024];
	const char *p = install(TP("liar"), "liar.so", 0644);

	ck_assert_int_eq(load(p, &m, err, sizeof(err)), PS_OK);
	ck_assert_int_eq(
	    gw_instance_new(m, "l", &it, 1, &inst, err, sizeof(err)), PS_OK);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.amount = 100;
	r.currency = "USD";
	r.idempotency_key = "k1";
	r.payment_method = "pm_1";
	ck_assert_int_eq(
	    gw_charge(inst, &r, &pay, &res, err, sizeof(err)), PGW_UNKNOWN);
	ck_assert(strstr(err, "treating the outcome as unknown") != NULL);
	r.token = "tok_1"; /* both a token and a saved card: misuse */
	ck_assert_int_eq(
	    gw_charge(inst, &r, &pay, &res, err, sizeof(err)), PGW_ERROR);
	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	l.idempotency_key = "k1";
	ck_assert_int_eq(
	    gw_lookup(inst, &l, &pay, &res, err, sizeof(err)), PGW_ERROR);
	memset(&rr, 0, sizeof(rr));
	rr.size = sizeof(rr);
	rr.payment_ref = "ch_1";
	rr.idempotency_key = "r1";
	ck_assert_int_eq(
	    gw_refund(inst, &rr, &rf, &res, err, sizeof(err)), PGW_ERROR);
	ck_assert_str_eq(res.code, "unsupported");
	gw_instance_free(inst);
}
END_TEST

static struct pgw_host *
host_for_http(void)
{
	struct pgw_host *h = gw_host_new("practice=test plugin=none");

	ck_assert_ptr_nonnull(h);
	return h;
}

static int32_t
http_get(struct pgw_host *h, const char *url, uint32_t tmo,
    struct pgw_http_response *resp, char *err, size_t errsz)
{
	struct pgw_http_request req;

	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.method = "POST";
	req.url = url;
	req.body = "{}";
	req.body_len = 2;
	req.timeout_ms = tmo;
	memset(resp, 0, sizeof(*resp));
	resp->size = sizeof(*resp);
	return h->http(h, &req, resp, err, errsz);
}

START_TEST(test_http_not_sent)
{
	struct pgw_host *h = host_for_http();
	struct pgw_http_response resp;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char url[64], err[512];
	int s;

	/* A port that was just free: connection refused. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	ck_assert(getsockname(s, (struct sockaddr *)&sa, &sl) == 0);
	close(s);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/charges",
	    ntohs(sa.sin_port));
	ck_assert_int_eq(
	    http_get(h, url, 2000, &resp, err, sizeof(err)), PGW_HTTP_NOT_SENT);
	ck_assert(strstr(err, "before the request was sent") != NULL);
	h->http_free(h, &resp);
	gw_host_free(h);
}
END_TEST

START_TEST(test_http_no_answer)
{
	struct pgw_host *h = host_for_http();
	struct pgw_http_response resp;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char url[64], err[512];
	int s;

	/* Listening but never answering: the kernel accepts, curl sends. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	ck_assert(listen(s, 4) == 0);
	ck_assert(getsockname(s, (struct sockaddr *)&sa, &sl) == 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/charges",
	    ntohs(sa.sin_port));
	ck_assert_int_eq(
	    http_get(h, url, 300, &resp, err, sizeof(err)), PGW_HTTP_NO_ANSWER);
	ck_assert_msg(
	    strstr(err, "after the request was sent") != NULL, "%s", err);
	h->http_free(h, &resp);
	close(s);
	gw_host_free(h);
}
END_TEST

START_TEST(test_http_misuse)
{
	struct pgw_host *h = host_for_http();
	struct pgw_http_response resp;
	char err[512];

	ck_assert_int_eq(
	    http_get(h, "http://example.com/v1", 1000, &resp, err, sizeof(err)),
	    PGW_HTTP_MISUSE);
	ck_assert(strstr(err, "only https://") != NULL);
	h->http_free(h, &resp);
	ck_assert_int_eq(
	    http_get(h, "ftp://127.0.0.1/x", 1000, &resp, err, sizeof(err)),
	    PGW_HTTP_MISUSE);
	h->http_free(h, &resp);
	gw_host_free(h);
}
END_TEST

START_TEST(test_sandbox_by_name)
{
	struct gw_instance *inst = NULL;
	struct gw_conf_item it[3] = {
	    {"api_base", "http://127.0.0.1:9", "s.yaml", 2, 3},
	    {"secret_key_env", "PORTAL_TEST_SB_KEY", "s.yaml", 3, 3},
	    {"publishable_key", "pk_test_x", "s.yaml", 4, 3},
	};
	struct pgw_widget w;
	struct pgw_result res;
	char err[1024];

	install("gateways/sandbox/.libs/sandbox.so", "sandbox.so", 0644);
	setenv("PORTAL_TEST_SB_KEY", "sk_test_x", 1);
	ck_assert_msg(gw_instance_open(dir, "sandbox", "lakeside", it, 3, &inst,
	                  err, sizeof(err)) == PS_OK,
	    "%s", err);
	ck_assert_int_eq(
	    gw_card_widget(inst, &w, &res, err, sizeof(err)), PGW_SUCCEEDED);
	ck_assert_str_eq(w.script_url, "http://127.0.0.1:9/tokenizer.js");
	ck_assert_str_eq(w.origin, "http://127.0.0.1:9");
	gw_instance_free(inst);
	/* The name in config must match the plugin's own name. */
	install(TP("good"), "other.so", 0644);
	ck_assert_int_eq(gw_instance_open(dir, "other", "lakeside", it, 0,
	                     &inst, err, sizeof(err)),
	    PS_INVALID);
	ck_assert(strstr(err, "calls itself \"testplugin\"") != NULL);
}
END_TEST

START_TEST(test_practice_yaml)
{
	static const char yaml[] = "name: Lakeside Counseling\n"
	                           "gateway:\n"
	                           "  plugin: sandbox\n"
	                           "  api_base: http://127.0.0.1:9\n"
	                           "  secret_key_env: PORTAL_TEST_SB_KEY\n"
	                           "  publishable_kye: pk_test_x\n";
	struct conf_node *root = NULL;
	struct conf_diag d;
	struct gw_instance *inst = NULL;
	char err[2048];

	conf_diag_init(&d);
	install("gateways/sandbox/.libs/sandbox.so", "sandbox.so", 0644);
	setenv("PORTAL_TEST_SB_KEY", "sk_test_x", 1);
	ck_assert_int_eq(conf_parse_buf(yaml, sizeof(yaml) - 1,
	                     "clinicians/lakeside.yaml", &root, &d),
	    PS_OK);
	ck_assert_int_eq(gw_practice_open(dir, conf_node_get(root, "gateway"),
	                     "lakeside", &inst, err, sizeof(err)),
	    PS_INVALID);
	ck_assert(inst == NULL);
	/* The typo at its YAML position, and the key it hides. */
	ck_assert_msg(
	    strstr(err, "clinicians/lakeside.yaml:6:") != NULL &&
	        strstr(err, "did you mean \"publishable_key\"") != NULL,
	    "%s", err);
	ck_assert(strstr(err, "requires key \"publishable_key\"") != NULL);
	conf_tree_free(root);
	conf_diag_free(&d);
}
END_TEST

static Suite *
loader_suite(void)
{
	Suite *s = suite_create("gateway host");
	TCase *tc = tcase_create("loader");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_good_loads);
	tcase_add_test(tc, test_bad_magic);
	tcase_add_test(tc, test_bad_major);
	tcase_add_test(tc, test_short_size);
	tcase_add_test(tc, test_no_entry);
	tcase_add_test(tc, test_group_writable);
	tcase_add_test(tc, test_world_writable);
	tcase_add_test(tc, test_writable_dir);
	tcase_add_test(tc, test_relative_path);
	tcase_add_test(tc, test_outside_dir);
	tcase_add_test(tc, test_not_regular);
	tcase_add_test(tc, test_missing);
	tcase_add_test(tc, test_plugin_path);
	tcase_add_test(tc, test_init_fails_unloads);
	tcase_add_test(tc, test_init2_fails);
	tcase_add_test(tc, test_v11_plugin);
	tcase_add_test(tc, test_conf_check);
	tcase_add_test(tc, test_conf_from_node);
	tcase_add_test(tc, test_secret_file_redacted);
	tcase_add_test(tc, test_secret_env);
	tcase_add_test(tc, test_redact);
	tcase_add_test(tc, test_liar_statuses);
	tcase_add_test(tc, test_http_not_sent);
	tcase_add_test(tc, test_http_no_answer);
	tcase_add_test(tc, test_http_misuse);
	tcase_add_test(tc, test_sandbox_by_name);
	tcase_add_test(tc, test_practice_yaml);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	const char *b = getenv("top_builddir");
	char cmd[PATH_MAX + 32], rb[PATH_MAX];
	int failed;

	if (b == NULL || realpath(b, rb) == NULL) {
		if (getcwd(rb, sizeof(rb)) == NULL)
			return 99;
	}
	if (strlen(rb) >= sizeof(builddir)) {
		fprintf(stderr, "build directory path too long\n");
		return 99;
	}
	memcpy(builddir, rb, strlen(rb) + 1);
	snprintf(dir, sizeof(dir), "%s", "/tmp/portal-gw-test.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	sr = srunner_create(loader_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
