/* conformance.c: portal-gateway-conformance, the gateway plugin
 * conformance suite, installed with the SDK: loads any plugin
 * through the portal's own loader and host, and checks every operation,
 * idempotent replay, decline mapping, REQUIRES_ACTION, RETRYABLE and
 * UNKNOWN, printing TAP. See portal-gateway(3), "CONFORMANCE".
 *
 * portal-gateway-conformance --plugin /abs/plugin.so [--config key=value]...
 *     [--token-cmd CMD] [--fault-cmd CMD] [--webhook-cmd CMD]
 *     [--currency USD] [--keys-file FILE] [--skip GROUPS]
 *
 * --token-cmd CMD: "sh -c 'CMD SCENARIO'" prints a one-time token for a test
 *   card on its first line; SCENARIO is success, decline,
 *   insufficient_funds, charge_fails (saves, every charge fails) or
 *   requires_action.
 * --fault-cmd CMD: "CMD MODE" makes the processor (or its simulator) answer
 *   the next charge with MODE: timeout (hold the answer), 429, 500 (after
 *   recording the charge), latency (slow down every request by about half a
 *   second, until "none"), or none (clear).
 * --webhook-cmd CMD: "CMD PAYMENT_REF" prints a signed webhook for that
 *   payment: header lines "Name: value", an empty line, then the raw body.
 * --action-cmd CMD: "CMD OUTCOME KIND REF [NAME=VALUE]..." does what the
 *   client's browser does with a next action (ABI 1.1): OUTCOME "succeed"
 *   passes the challenge, "fail" fails it; KIND, REF and the values are the
 *   action's. Prints the action's result for complete_* on its first line
 *   (e.g. Square's verification token), or nothing.
 * --skip GROUPS: comma-separated groups to leave out, for plugins that by
 *   design lack them: declines, requires_action, refund, host_faults,
 *   processor_faults, concurrency, webhook, next_action.
 * --keys-file FILE: writes "IDEMPOTENCY_KEY EXPECTED_CHARGES" per charge key
 *   used, so a harness can check the processor's ledger.
 * Without --token-cmd, --fault-cmd or --webhook-cmd the tests needing them
 * are reported as skipped. Faults on the host side (connect failure, no
 * answer after sending, 429, 500 after sending) are injected through the
 * host's HTTP service and need nothing from the processor.
 */
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gw/gw.h"

#define MAX_CONF 64

static struct {
	const char *plugin;
	struct gw_conf_item conf[MAX_CONF];
	char conf_buf[MAX_CONF][1024];
	size_t nconf;
	const char *token_cmd, *fault_cmd, *webhook_cmd, *keys_file;
	const char *action_cmd;
	const char *currency;
	const char *skip; /* comma-separated groups not to run */
} opt;

static struct gw_instance *inst;
static const struct pgw_plugin *plug;
static int ntests, nfailed;
static char run_id[32];
static FILE *keys;

/* Host-side fault injection on the instance's HTTP service. */
enum fault { F_NONE, F_NOT_SENT, F_DROP_AFTER_SEND, F_429, F_500_AFTER_SEND };
static enum fault hfault;

static void ok(int cond, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	ntests++;
	if (!cond)
		nfailed++;
	printf("%s %d - ", cond ? "ok" : "not ok", ntests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void
skip(const char *what, const char *why)
{
	ntests++;
	printf("ok %d - %s # SKIP %s\n", ntests, what, why);
	fflush(stdout);
}

/* 1 if group is in --skip (then one SKIP line is printed). */
static int
skipped(const char *group)
{
	const char *s = opt.skip;
	size_t n = strlen(group);

	while (s != NULL && *s != '\0') {
		size_t len = strcspn(s, ",");

		if (len == n && strncmp(s, group, n) == 0) {
			skip(group, "--skip");
			return 1;
		}
		s += len;
		if (*s == ',')
			s++;
	}
	return 0;
}

static void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void
set_header(struct pgw_http_response *resp, const char *name, const char *v)
{
	resp->headers = calloc(1, sizeof(*resp->headers));
	if (resp->headers == NULL)
		return;
	resp->headers[0].name = strdup(name);
	resp->headers[0].value = strdup(v);
	resp->nheaders = 1;
}

static int32_t
hook(void *arg, const struct pgw_host *h, const struct pgw_http_request *req,
    struct pgw_http_response *resp, char *err, size_t errsz)
{
	int32_t o;
	uint32_t size = resp->size;

	switch (hfault) {
	case F_NONE:
		break;
	case F_NOT_SENT:
		memset(resp, 0, sizeof(*resp));
		resp->size = size;
		resp->body = calloc(1, 1);
		snprintf(
		    err, errsz, "conformance: connection refused (injected)");
		return PGW_HTTP_NOT_SENT;
	case F_429:
		memset(resp, 0, sizeof(*resp));
		resp->size = size;
		resp->status = 429;
		resp->body = strdup("{\"error\":{\"type\":\"rate_limit_error\","
		                    "\"code\":\"rate_limit\",\"message\":"
		                    "\"Too many requests\"}}");
		resp->body_len = strlen(resp->body);
		set_header(resp, "Retry-After", "1");
		return PGW_HTTP_OK;
	case F_DROP_AFTER_SEND:
		o = gw_host_http_real(h, req, resp, err, errsz);
		h->http_free(h, resp);
		resp->body = calloc(1, 1);
		snprintf(err, errsz,
		    "conformance: timeout after the request was sent "
		    "(injected)");
		return o == PGW_HTTP_NOT_SENT ? o : PGW_HTTP_NO_ANSWER;
	case F_500_AFTER_SEND:
		o = gw_host_http_real(h, req, resp, err, errsz);
		if (o != PGW_HTTP_OK)
			return o;
		h->http_free(h, resp);
		resp->status = 500;
		resp->body = strdup("{\"error\":{\"type\":\"api_error\","
		                    "\"message\":\"injected\"}}");
		resp->body_len = strlen(resp->body);
		return PGW_HTTP_OK;
	}
	return gw_host_http_real(h, req, resp, err, errsz);
}

/* Runs "CMD ARG" and returns its output (heap) or NULL. */
static char *
run_cmd(const char *cmd, const char *arg)
{
	char line[8192];
	char *out = NULL;
	size_t n = 0, r;
	FILE *f;
	int st;

	snprintf(line, sizeof(line), "%s %s", cmd, arg);
	if ((f = popen(line, "r")) == NULL)
		return NULL;
	if ((out = malloc(65536)) == NULL) {
		pclose(f);
		return NULL;
	}
	while (n < 65535 && (r = fread(out + n, 1, 65535 - n, f)) > 0)
		n += r;
	out[n] = '\0';
	st = pclose(f);
	if (st != 0) {
		diag("command \"%s %s\" failed (status %d)", cmd, arg, st);
		free(out);
		return NULL;
	}
	return out;
}

/* Returns a fresh token for scenario (static buffer) or NULL. */
static const char *
token(const char *scenario)
{
	static char tok[512];
	char *out;

	if (opt.token_cmd == NULL ||
	    (out = run_cmd(opt.token_cmd, scenario)) == NULL)
		return NULL;
	out[strcspn(out, "\r\n")] = '\0';
	snprintf(tok, sizeof(tok), "%s", out);
	free(out);
	return tok[0] != '\0' ? tok : NULL;
}

static int
fault(const char *mode)
{
	char *out;

	if (opt.fault_cmd == NULL ||
	    (out = run_cmd(opt.fault_cmd, mode)) == NULL)
		return -1;
	free(out);
	return 0;
}

/* Makes a new idempotency key into k (static per call site). */
static void
newkey(char *k, size_t ksz, const char *what, int expected)
{
	static int seq;

	snprintf(k, ksz, "conf-%s-%s-%d", run_id, what, ++seq);
	if (keys != NULL && expected >= 0)
		fprintf(keys, "%s %d\n", k, expected);
}

/* Fills the charge request r the suite sends (and completes). */
static void
charge_req(struct pgw_charge_req *r, const char *key, int64_t amount,
    const char *cus, const char *pm, const char *tok, int off_session, int save)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->amount = amount;
	r->currency = opt.currency;
	r->idempotency_key = key;
	r->customer_id = cus;
	r->payment_method = pm;
	r->token = tok;
	r->off_session = off_session;
	r->save_card = save;
	r->description = "Conformance test";
}

static enum pgw_status
do_charge(const char *key, int64_t amount, const char *cus, const char *pm,
    const char *tok, int off_session, int save, struct pgw_payment *p,
    struct pgw_result *res, char *err, size_t errsz)
{
	struct pgw_charge_req r;

	charge_req(&r, key, amount, cus, pm, tok, off_session, save);
	return gw_charge(inst, &r, p, res, err, errsz);
}

static enum pgw_status
do_lookup(const char *key, const char *ref, struct pgw_payment *p,
    struct pgw_result *res, char *err, size_t errsz)
{
	struct pgw_lookup_req r;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.idempotency_key = key;
	r.payment_ref = ref;
	return gw_lookup(inst, &r, p, res, err, errsz);
}

static int
has_digit_run(const char *s, int n)
{
	int run = 0;

	for (; *s != '\0'; s++) {
		run = (*s >= '0' && *s <= '9') ? run + 1 : 0;
		if (run >= n)
			return 1;
	}
	return 0;
}

/* Prints the usage and exits: to stdout with 0 for --help, to stderr with
 * 2 for a usage error (portal-gateway-conformance(1)). */
static void
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: portal-gateway-conformance --plugin /abs/plugin.so [--config key=value]"
	    "... [--token-cmd CMD] [--fault-cmd CMD] [--webhook-cmd CMD] "
	    "[--action-cmd CMD] "
	    "[--currency USD] [--keys-file FILE] [--skip GROUPS]\n");
	exit(status);
}

static void
parse_args(int argc, char **argv)
{
	int i;

	opt.currency = "USD";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			usage(0);
		if (v == NULL)
			usage(2);
		i++;
		if (strcmp(a, "--plugin") == 0)
			opt.plugin = v;
		else if (strcmp(a, "--token-cmd") == 0)
			opt.token_cmd = v;
		else if (strcmp(a, "--fault-cmd") == 0)
			opt.fault_cmd = v;
		else if (strcmp(a, "--webhook-cmd") == 0)
			opt.webhook_cmd = v;
		else if (strcmp(a, "--action-cmd") == 0)
			opt.action_cmd = v;
		else if (strcmp(a, "--currency") == 0)
			opt.currency = v;
		else if (strcmp(a, "--keys-file") == 0)
			opt.keys_file = v;
		else if (strcmp(a, "--skip") == 0)
			opt.skip = v;
		else if (strcmp(a, "--config") == 0) {
			char *b, *eq;

			if (opt.nconf == MAX_CONF)
				usage(2);
			b = opt.conf_buf[opt.nconf];
			snprintf(b, sizeof(opt.conf_buf[0]), "%s", v);
			if ((eq = strchr(b, '=')) == NULL)
				usage(2);
			*eq = '\0';
			opt.conf[opt.nconf].key = b;
			opt.conf[opt.nconf].value = eq + 1;
			opt.conf[opt.nconf].file = "command line --config";
			opt.conf[opt.nconf].line = (unsigned)opt.nconf + 1;
			opt.conf[opt.nconf].col = 1;
			opt.nconf++;
		} else
			usage(2);
	}
	if (opt.plugin == NULL)
		usage(2);
}

/* Loads the plugin and checks its descriptor; exits on failure. */
static void
t_load(void)
{
	char dir[PATH_MAX], err[2048];
	struct gw_module *m = NULL, *m2 = NULL;
	enum pstatus rc;
	size_t i;
	int good = 1;

	snprintf(dir, sizeof(dir), "%s", opt.plugin);
	rc = gw_module_open(dirname(dir), opt.plugin, &m, err, sizeof(err));
	ok(rc == PS_OK, "plugin loads: %s", rc == PS_OK ? opt.plugin : err);
	if (rc != PS_OK) {
		printf("1..%d\nBail out! the plugin does not load\n", ntests);
		exit(1);
	}
	plug = gw_module_plugin(m);
	for (i = 0; i < plug->nconfig; i++) {
		const struct pgw_conf_key *k = &plug->config[i];

		if (k->key == NULL || k->help == NULL ||
		    k->type < PGW_CONF_STRING || k->type > PGW_CONF_BOOL)
			good = 0;
	}
	ok(good && plug->version != NULL,
	    "descriptor: name %s, version %s, ABI %u.%u, %zu config keys, "
	    "each with a type and help",
	    plug->name, plug->version != NULL ? plug->version : "(null)",
	    (unsigned)plug->abi_major, (unsigned)plug->abi_minor,
	    plug->nconfig);

	/* An empty config must be refused when the table requires keys. */
	for (i = 0; i < plug->nconfig; i++)
		if (plug->config[i].required)
			break;
	if (i < plug->nconfig) {
		snprintf(dir, sizeof(dir), "%s", opt.plugin);
		rc = gw_module_open(
		    dirname(dir), opt.plugin, &m2, err, sizeof(err));
		if (rc == PS_OK)
			rc = gw_instance_new(m2, "conformance-empty", NULL, 0,
			    &inst, err, sizeof(err));
		ok(rc == PS_INVALID && strstr(err, plug->config[i].key) != NULL,
		    "an empty config is refused, naming required key %s",
		    plug->config[i].key);
		if (rc == PS_OK)
			gw_instance_free(inst);
		inst = NULL;
	} else
		skip("an empty config is refused", "no required keys");

	rc = gw_instance_new(
	    m, "conformance", opt.conf, opt.nconf, &inst, err, sizeof(err));
	ok(rc == PS_OK, "init with the given config%s%s",
	    rc == PS_OK ? "" : ": ", rc == PS_OK ? "" : err);
	if (rc != PS_OK) {
		printf("1..%d\nBail out! init failed\n", ntests);
		exit(1);
	}
	gw_host_set_http_hook(gw_instance_host(inst), hook, NULL);
}

/* 1 when o is scheme://host[:port] or https://[*.]host, nothing more. */
static int
origin_ok(const char *o)
{
	const char *h = strstr(o, "://");

	if (h == NULL ||
	    (strncmp(o, "https://", 8) != 0 && strncmp(o, "http://", 7) != 0))
		return 0;
	h += 3;
	if (strncmp(h, "*.", 2) == 0)
		h += 2;
	return *h != '\0' && strpbrk(h, "/?#'\" ;,*") == NULL;
}

static void
t_widget(void)
{
	struct pgw_widget w;
	struct pgw_result res;
	char err[512], so[PGW_URL_MAX];
	enum pgw_status st;
	uint32_t i;
	int script = 0, good = 1, names = 1;
	const char *slash;

	st = gw_card_widget(inst, &w, &res, err, sizeof(err));
	ok(st == PGW_SUCCEEDED && w.script_url[0] != '\0' &&
	        (strcmp(w.mode, "test") == 0 || strcmp(w.mode, "live") == 0),
	    "card_widget: script %s, mode %s", w.script_url, w.mode);
	/* ABI 1.1 (derived by the host for a 1.0 plugin): an adapter name,
	 * named values, and origins per directive that allow the script. */
	slash = strstr(w.script_url, "://");
	slash = slash != NULL ? strchr(slash + 3, '/') : NULL;
	snprintf(so, sizeof(so), "%.*s",
	    slash != NULL ? (int)(slash - w.script_url)
	                  : (int)strlen(w.script_url),
	    w.script_url);
	for (i = 0; i < w.norigins; i++) {
		if (!origin_ok(w.origins[i].origin) ||
		    w.origins[i].directive < PGW_CSP_SCRIPT ||
		    w.origins[i].directive > PGW_CSP_FONT)
			good = 0;
		if (w.origins[i].directive == PGW_CSP_SCRIPT &&
		    strcmp(w.origins[i].origin, so) == 0)
			script = 1;
	}
	for (i = 0; i < w.nvalues; i++)
		if (w.values[i].name[0] == '\0' ||
		    strspn(w.values[i].name,
		        "abcdefghijklmnopqrstuvwxyz0123456789_") !=
		        strlen(w.values[i].name))
			names = 0;
	ok(st == PGW_SUCCEEDED && w.sdk[0] != '\0' && good && script && names &&
	        w.nvalues >= 1,
	    "card_widget 1.1: adapter %s, %u values, %u origins (each an "
	    "origin, the script's under script-src)",
	    w.sdk, (unsigned)w.nvalues, (unsigned)w.norigins);
}

static char customer[PGW_ID_MAX], saved_pm[PGW_ID_MAX];

static void
t_customer(void)
{
	struct pgw_customer_req r;
	struct pgw_customer c;
	struct pgw_result res;
	char err[512], key[128];
	enum pgw_status st;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	newkey(key, sizeof(key), "cus", -1);
	r.idempotency_key = key;
	r.reference = "conformance-client-1";
	r.name = "Conformance Client";
	r.email = "client@example.org";
	st = gw_create_customer(inst, &r, &c, &res, err, sizeof(err));
	ok(st == PGW_SUCCEEDED && c.id[0] != '\0', "create_customer: %s%s",
	    gw_status_str(st), st == PGW_SUCCEEDED ? "" : err);
	snprintf(customer, sizeof(customer), "%s", c.id);
}

static void
t_save_card(void)
{
	struct pgw_save_card_req r;
	struct pgw_card c;
	struct pgw_result res;
	char err[512];
	const char *tok;
	enum pgw_status st;

	if ((tok = token("success")) == NULL) {
		skip("save_card", "no --token-cmd");
		return;
	}
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.customer_id = customer;
	r.token = tok;
	st = gw_save_card(inst, &r, &c, &res, err, sizeof(err));
	ok(st == PGW_SUCCEEDED && c.payment_method[0] != '\0' &&
	        strlen(c.last4) == 4 && c.exp_month >= 1 && c.exp_month <= 12 &&
	        c.exp_year >= 2000 && c.brand[0] != '\0',
	    "save_card: %s brand %s last4 %s exp %d/%d %s", gw_status_str(st),
	    c.brand, c.last4, (int)c.exp_month, (int)c.exp_year,
	    st == PGW_SUCCEEDED ? "" : err);
	snprintf(saved_pm, sizeof(saved_pm), "%s", c.payment_method);
}

static void
t_charge_and_replay(void)
{
	struct pgw_payment p1, p2, p3;
	struct pgw_result res;
	char err[512], key[128], key2[128];
	enum pgw_status st;

	if (saved_pm[0] == '\0') {
		skip("charge a saved card", "no saved card");
		return;
	}
	newkey(key, sizeof(key), "saved", 1);
	st = do_charge(key, 12000, customer, saved_pm, NULL, 0, 0, &p1, &res,
	    err, sizeof(err));
	ok(st == PGW_SUCCEEDED && p1.ref[0] != '\0' && p1.amount == 12000 &&
	        p1.status == PGW_SUCCEEDED,
	    "charge a saved card on session: %s %s", gw_status_str(st),
	    st == PGW_SUCCEEDED ? p1.ref : err);

	st = do_charge(key, 12000, customer, saved_pm, NULL, 0, 0, &p2, &res,
	    err, sizeof(err));
	ok(st == PGW_SUCCEEDED && strcmp(p1.ref, p2.ref) == 0,
	    "idempotent replay: same key and parameters give the same "
	    "payment (%s)",
	    p2.ref);

	st = do_charge(key, 13000, customer, saved_pm, NULL, 0, 0, &p3, &res,
	    err, sizeof(err));
	ok(st != PGW_SUCCEEDED && st != PGW_PENDING,
	    "same key with another amount is refused: %s", gw_status_str(st));

	st = do_lookup(key, NULL, &p3, &res, err, sizeof(err));
	ok(st == PGW_SUCCEEDED && strcmp(p3.ref, p1.ref) == 0 &&
	        p3.amount == 12000,
	    "lookup by idempotency key finds it: %s %s", gw_status_str(st),
	    p3.ref);
	st = do_lookup(NULL, p1.ref, &p3, &res, err, sizeof(err));
	ok(st == PGW_SUCCEEDED && strcmp(p3.ref, p1.ref) == 0 &&
	        p3.amount == 12000 && strlen(p3.card.last4) == 4,
	    "lookup by reference finds it: %s", gw_status_str(st));
	newkey(key2, sizeof(key2), "never", 0);
	st = do_lookup(key2, NULL, &p3, &res, err, sizeof(err));
	ok(st == PGW_NOT_FOUND,
	    "lookup of a key never charged: NOT_FOUND (got %s)",
	    gw_status_str(st));

	newkey(key, sizeof(key), "offsession", 1);
	st = do_charge(key, 4500, customer, saved_pm, NULL, 1, 0, &p1, &res,
	    err, sizeof(err));
	ok(st == PGW_SUCCEEDED, "charge a saved card off session: %s %s",
	    gw_status_str(st), st == PGW_SUCCEEDED ? "" : err);
}

static char refundable[PGW_ID_MAX];

static void
t_token_charge_save(void)
{
	struct pgw_payment p, p2;
	struct pgw_result res;
	char err[512], key[128];
	const char *tok;
	enum pgw_status st;

	if ((tok = token("success")) == NULL) {
		skip("charge a one-time token, saving the card",
		    "no --token-cmd");
		return;
	}
	newkey(key, sizeof(key), "tokensave", 1);
	st = do_charge(
	    key, 10000, customer, NULL, tok, 0, 1, &p, &res, err, sizeof(err));
	ok(st == PGW_SUCCEEDED && p.card.payment_method[0] != '\0' &&
	        strlen(p.card.last4) == 4,
	    "charge a one-time token with save-for-future: %s, saved as %s",
	    gw_status_str(st), p.card.payment_method);
	snprintf(refundable, sizeof(refundable), "%s", p.ref);
	if (p.card.payment_method[0] == '\0')
		return;
	newkey(key, sizeof(key), "tokensave-reuse", 1);
	st = do_charge(key, 2500, customer, p.card.payment_method, NULL, 1, 0,
	    &p2, &res, err, sizeof(err));
	ok(st == PGW_SUCCEEDED, "the card saved while paying charges again: %s",
	    gw_status_str(st));
}

static void
t_declines(void)
{
	static const struct {
		const char *scenario, *code_has;
	} d[] = {{"decline", ""}, {"insufficient_funds", "insufficient"}};
	struct pgw_payment p;
	struct pgw_result res;
	struct pgw_save_card_req sr;
	struct pgw_card card;
	char err[512], key[128];
	const char *tok;
	enum pgw_status st;
	size_t i;

	if (skipped("declines"))
		return;
	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		if ((tok = token(d[i].scenario)) == NULL) {
			skip(d[i].scenario, "no --token-cmd");
			continue;
		}
		newkey(key, sizeof(key), d[i].scenario, 0);
		st = do_charge(key, 5000, NULL, NULL, tok, 0, 0, &p, &res, err,
		    sizeof(err));
		ok(st == PGW_DECLINED && res.code[0] != '\0' &&
		        strstr(res.code, d[i].code_has) != NULL &&
		        res.message[0] != '\0' &&
		        !has_digit_run(res.message, 6),
		    "%s card: DECLINED, code %s, client message \"%s\"",
		    d[i].scenario, res.code, res.message);
	}

	if ((tok = token("charge_fails")) == NULL) {
		skip("a card that saves but every charge fails",
		    "no --token-cmd");
		return;
	}
	memset(&sr, 0, sizeof(sr));
	sr.size = sizeof(sr);
	sr.customer_id = customer;
	sr.token = tok;
	st = gw_save_card(inst, &sr, &card, &res, err, sizeof(err));
	ok(st == PGW_SUCCEEDED, "a card that fails every charge saves: %s",
	    gw_status_str(st));
	if (st != PGW_SUCCEEDED)
		return;
	newkey(key, sizeof(key), "chargefails", 0);
	st = do_charge(key, 5000, customer, card.payment_method, NULL, 1, 0, &p,
	    &res, err, sizeof(err));
	ok(st == PGW_DECLINED && res.message[0] != '\0',
	    "... and its charge is DECLINED: %s \"%s\"", gw_status_str(st),
	    res.message);
	st = do_lookup(key, NULL, &p, &res, err, sizeof(err));
	ok(st == PGW_DECLINED || st == PGW_NOT_FOUND,
	    "lookup of the declined charge: DECLINED or NOT_FOUND (%s)",
	    gw_status_str(st));
}

static void
t_requires_action(void)
{
	struct pgw_payment p;
	struct pgw_result res;
	struct pgw_save_card_req sr;
	struct pgw_card card;
	char err[512], key[128];
	const char *tok;
	enum pgw_status st;

	if (skipped("requires_action"))
		return;
	if ((tok = token("requires_action")) == NULL) {
		skip("REQUIRES_ACTION", "no --token-cmd");
		return;
	}
	newkey(key, sizeof(key), "3ds-on", -1);
	st = do_charge(
	    key, 7000, NULL, NULL, tok, 0, 0, &p, &res, err, sizeof(err));
	ok(st == PGW_REQUIRES_ACTION && res.message[0] != '\0',
	    "authentication card on session: REQUIRES_ACTION (%s) \"%s\"",
	    gw_status_str(st), res.message);
	if ((tok = token("requires_action")) == NULL)
		return;
	memset(&sr, 0, sizeof(sr));
	sr.size = sizeof(sr);
	sr.customer_id = customer;
	sr.token = tok;
	st = gw_save_card(inst, &sr, &card, &res, err, sizeof(err));
	if (st != PGW_SUCCEEDED) {
		ok(st == PGW_REQUIRES_ACTION,
		    "authentication card: saving asks for action (%s)",
		    gw_status_str(st));
		return;
	}
	newkey(key, sizeof(key), "3ds-off", 0);
	st = do_charge(key, 7000, customer, card.payment_method, NULL, 1, 0, &p,
	    &res, err, sizeof(err));
	ok(st == PGW_REQUIRES_ACTION && res.message[0] != '\0',
	    "authentication card off session: REQUIRES_ACTION (%s)",
	    gw_status_str(st));
}

static void
t_refund(void)
{
	struct pgw_refund_req r;
	struct pgw_refund rf;
	struct pgw_payment p;
	struct pgw_result res;
	char err[512], key[128];
	enum pgw_status st;

	if (skipped("refund"))
		return;
	if (refundable[0] == '\0') {
		skip("refund", "no successful one-time charge");
		return;
	}
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.payment_ref = refundable;
	r.amount = 3000;
	newkey(key, sizeof(key), "refund1", -1);
	r.idempotency_key = key;
	st = gw_refund(inst, &r, &rf, &res, err, sizeof(err));
	ok(st == PGW_SUCCEEDED && rf.amount == 3000 && rf.ref[0] != '\0',
	    "partial refund of 30.00: %s %s", gw_status_str(st),
	    st == PGW_SUCCEEDED ? rf.ref : err);
	st = gw_refund(inst, &r, &rf, &res, err, sizeof(err));
	ok(st == PGW_SUCCEEDED && rf.amount == 3000,
	    "the same refund replayed with its key refunds nothing more");
	r.amount = 0;
	newkey(key, sizeof(key), "refund2", -1);
	r.idempotency_key = key;
	st = gw_refund(inst, &r, &rf, &res, err, sizeof(err));
	ok(st == PGW_SUCCEEDED && rf.amount == 7000,
	    "refund of the rest (amount 0): %s %lld", gw_status_str(st),
	    (long long)rf.amount);
	r.amount = 100;
	newkey(key, sizeof(key), "refund3", -1);
	r.idempotency_key = key;
	st = gw_refund(inst, &r, &rf, &res, err, sizeof(err));
	ok(st != PGW_SUCCEEDED && st != PGW_PENDING,
	    "refunding more than was paid is refused: %s", gw_status_str(st));
	st = do_lookup(NULL, refundable, &p, &res, err, sizeof(err));
	ok(st == PGW_SUCCEEDED && p.amount_refunded == 10000,
	    "lookup shows the amount refunded: %lld",
	    (long long)p.amount_refunded);
}

/* Charges with a host-side fault; the charge uses a fresh success token or
 * the saved card. */
static void
t_host_faults(void)
{
	struct pgw_payment p, p2;
	struct pgw_result res;
	char err[512], key[128];
	enum pgw_status st;

	if (skipped("host_faults"))
		return;
	if (saved_pm[0] == '\0') {
		skip("host faults", "no saved card");
		return;
	}
	hfault = F_NOT_SENT;
	newkey(key, sizeof(key), "notsent", 0);
	st = do_charge(key, 1100, customer, saved_pm, NULL, 1, 0, &p, &res, err,
	    sizeof(err));
	hfault = F_NONE;
	ok(st == PGW_RETRYABLE,
	    "connect failure before sending: RETRYABLE "
	    "(%s)",
	    gw_status_str(st));
	st = do_lookup(key, NULL, &p, &res, err, sizeof(err));
	ok(st == PGW_NOT_FOUND, "... and nothing was charged: %s",
	    gw_status_str(st));

	hfault = F_429;
	newkey(key, sizeof(key), "host429", 0);
	st = do_charge(key, 1200, customer, saved_pm, NULL, 1, 0, &p, &res, err,
	    sizeof(err));
	hfault = F_NONE;
	ok(st == PGW_RETRYABLE, "HTTP 429: RETRYABLE (%s)", gw_status_str(st));

	hfault = F_DROP_AFTER_SEND;
	newkey(key, sizeof(key), "dropped", 1);
	st = do_charge(key, 1300, customer, saved_pm, NULL, 1, 0, &p, &res, err,
	    sizeof(err));
	hfault = F_NONE;
	ok(st == PGW_UNKNOWN, "no answer after sending: UNKNOWN (%s)",
	    gw_status_str(st));
	st = do_lookup(key, NULL, &p, &res, err, sizeof(err));
	ok(st == PGW_SUCCEEDED && p.amount == 1300,
	    "... lookup by key resolves it: %s", gw_status_str(st));
	st = do_charge(key, 1300, customer, saved_pm, NULL, 1, 0, &p2, &res,
	    err, sizeof(err));
	ok(st == PGW_SUCCEEDED && strcmp(p.ref, p2.ref) == 0,
	    "... retrying with the same key returns that payment, no second "
	    "charge (%s)",
	    gw_status_str(st));

	hfault = F_500_AFTER_SEND;
	newkey(key, sizeof(key), "host500", 1);
	st = do_charge(key, 1400, customer, saved_pm, NULL, 1, 0, &p, &res, err,
	    sizeof(err));
	hfault = F_NONE;
	ok(st == PGW_UNKNOWN, "HTTP 500 after sending: UNKNOWN (%s)",
	    gw_status_str(st));
	st = do_lookup(key, NULL, &p, &res, err, sizeof(err));
	ok(st == PGW_SUCCEEDED && p.amount == 1400,
	    "... lookup by key resolves it: %s", gw_status_str(st));
}

/* Faults at the processor (its simulator), through --fault-cmd. */
static void
t_processor_faults(void)
{
	struct pgw_payment p, p2;
	struct pgw_result res;
	char err[512], key[128];
	enum pgw_status st;

	if (skipped("processor_faults"))
		return;
	if (opt.fault_cmd == NULL || saved_pm[0] == '\0') {
		skip("processor faults: timeout, 429, 500 after commit",
		    opt.fault_cmd == NULL ? "no --fault-cmd" : "no saved card");
		return;
	}
	if (fault("timeout") != 0) {
		ok(0, "fault-cmd timeout");
		return;
	}
	newkey(key, sizeof(key), "proc-timeout", 1);
	st = do_charge(key, 2100, customer, saved_pm, NULL, 1, 0, &p, &res, err,
	    sizeof(err));
	fault("none");
	ok(st == PGW_UNKNOWN,
	    "processor holds the answer (timeout): UNKNOWN "
	    "(%s)",
	    gw_status_str(st));
	st = do_lookup(key, NULL, &p, &res, err, sizeof(err));
	ok(st == PGW_SUCCEEDED && p.amount == 2100, "... lookup by key: %s",
	    gw_status_str(st));
	st = do_charge(key, 2100, customer, saved_pm, NULL, 1, 0, &p2, &res,
	    err, sizeof(err));
	ok(st == PGW_SUCCEEDED && strcmp(p.ref, p2.ref) == 0,
	    "... same key again: the same payment (%s)", gw_status_str(st));

	fault("429");
	newkey(key, sizeof(key), "proc-429", 0);
	st = do_charge(key, 2200, customer, saved_pm, NULL, 1, 0, &p, &res, err,
	    sizeof(err));
	fault("none");
	ok(st == PGW_RETRYABLE, "processor answers 429: RETRYABLE (%s)",
	    gw_status_str(st));

	fault("500");
	newkey(key, sizeof(key), "proc-500", 1);
	st = do_charge(key, 2300, customer, saved_pm, NULL, 1, 0, &p, &res, err,
	    sizeof(err));
	fault("none");
	ok(st == PGW_UNKNOWN,
	    "processor answers 500 after recording: "
	    "UNKNOWN (%s)",
	    gw_status_str(st));
	st = do_charge(key, 2300, customer, saved_pm, NULL, 1, 0, &p, &res, err,
	    sizeof(err));
	ok(st == PGW_UNKNOWN,
	    "... the same key replays the stored 500: UNKNOWN (%s)",
	    gw_status_str(st));
	st = do_lookup(key, NULL, &p, &res, err, sizeof(err));
	ok(st == PGW_SUCCEEDED && p.amount == 2300,
	    "... lookup by key finds the recorded charge: %s",
	    gw_status_str(st));
}

/* Two threads charge under one key at the same time. */
struct racer {
	const char *key;
	struct pgw_payment p;
	struct pgw_result res;
	char err[512];
	enum pgw_status st;
};

static void *
race(void *arg)
{
	struct racer *r = arg;

	r->st = do_charge(r->key, 5100, customer, saved_pm, NULL, 1, 0, &r->p,
	    &r->res, r->err, sizeof(r->err));
	return NULL;
}

static void
t_concurrency(void)
{
	struct racer a, b;
	struct pgw_payment p;
	struct pgw_result res;
	pthread_t ta, tb;
	char err[512], key[128];
	enum pgw_status st;
	int slowed, okish;

	if (skipped("concurrency"))
		return;
	if (saved_pm[0] == '\0') {
		skip("concurrent charges under one key", "no saved card");
		return;
	}
	slowed = opt.fault_cmd != NULL && fault("latency") == 0;
	newkey(key, sizeof(key), "race", 1);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.key = b.key = key;
	pthread_create(&ta, NULL, race, &a);
	usleep(100000);
	pthread_create(&tb, NULL, race, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	if (slowed)
		fault("none");
	/* Either both see the one payment, or the later one is told to wait
	 * (UNKNOWN/RETRYABLE: in flight); never a second payment. */
	okish = a.st == PGW_SUCCEEDED &&
	        ((b.st == PGW_SUCCEEDED && strcmp(a.p.ref, b.p.ref) == 0) ||
	            b.st == PGW_UNKNOWN || b.st == PGW_RETRYABLE);
	ok(okish, "two concurrent charges under one key%s: %s and %s",
	    slowed ? " (processor slowed)" : "", gw_status_str(a.st),
	    gw_status_str(b.st));
	st = do_lookup(key, NULL, &p, &res, err, sizeof(err));
	ok(st == PGW_SUCCEEDED && strcmp(p.ref, a.p.ref) == 0,
	    "... lookup finds the one payment: %s", gw_status_str(st));
}

static void
t_webhook(void)
{
	struct pgw_http_header h[16];
	struct pgw_webhook_req r;
	struct pgw_event ev;
	struct pgw_result res;
	struct pgw_payment p;
	char err[512], key[128], *out, *line, *body;
	size_t nh = 0, blen;
	enum pgw_status st;

	if (skipped("webhook"))
		return;
	if (opt.webhook_cmd == NULL || saved_pm[0] == '\0') {
		skip("webhook", opt.webhook_cmd == NULL ? "no --webhook-cmd"
		                                        : "no saved card");
		return;
	}
	newkey(key, sizeof(key), "webhook", 1);
	st = do_charge(key, 3300, customer, saved_pm, NULL, 1, 0, &p, &res, err,
	    sizeof(err));
	if (st != PGW_SUCCEEDED ||
	    (out = run_cmd(opt.webhook_cmd, p.ref)) == NULL) {
		ok(0, "webhook: charge and webhook-cmd");
		return;
	}
	body = strstr(out, "\n\n");
	if (body == NULL) {
		ok(0, "webhook-cmd output has headers, an empty line, a body");
		free(out);
		return;
	}
	*body = '\0';
	body += 2;
	blen = strlen(body);
	if (blen > 0 && body[blen - 1] == '\n')
		body[--blen] = '\0';
	for (line = strtok(out, "\n"); line != NULL && nh < 16;
	     line = strtok(NULL, "\n")) {
		char *colon = strchr(line, ':');

		if (colon == NULL)
			continue;
		*colon = '\0';
		h[nh].name = line;
		h[nh].value = colon + 1 + strspn(colon + 1, " ");
		nh++;
	}
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.body = body;
	r.body_len = blen;
	r.headers = h;
	r.nheaders = nh;
	st = gw_webhook(inst, &r, &ev, &res, err, sizeof(err));
	ok(st == PGW_SUCCEEDED && ev.id[0] != '\0' &&
	        strcmp(ev.payment_ref, p.ref) == 0 &&
	        ev.type == PGW_EVENT_PAYMENT_SUCCEEDED,
	    "webhook verifies and parses: %s event %s type %s",
	    gw_status_str(st), ev.id, ev.type_name);
	if (blen > 10) {
		body[blen / 2] = body[blen / 2] == '1' ? '2' : '1';
		st = gw_webhook(inst, &r, &ev, &res, err, sizeof(err));
		ok(st == PGW_ERROR, "a tampered body is refused: %s",
		    gw_status_str(st));
		body[blen / 2] = body[blen / 2] == '1' ? '2' : '1';
	}
	r.nheaders = 0;
	st = gw_webhook(inst, &r, &ev, &res, err, sizeof(err));
	ok(st == PGW_ERROR, "an unsigned body is refused: %s",
	    gw_status_str(st));
	free(out);
}

/* Does the browser's part of next action a with outcome through
 * --action-cmd; returns its result line (static; "" when none), or NULL
 * when the command failed. */
static const char *
perform(const struct pgw_next_action *a, const char *outcome)
{
	static char result[1024];
	char args[8192], *out;
	size_t n, i;

	n = (size_t)snprintf(
	    args, sizeof(args), "%s '%s' '%s'", outcome, a->kind, a->ref);
	for (i = 0; i < a->nvalues && n < sizeof(args); i++) {
		if (strchr(a->values[i].value, '\'') != NULL ||
		    strchr(a->values[i].name, '\'') != NULL)
			return NULL;
		n += (size_t)snprintf(args + n, sizeof(args) - n, " '%s=%s'",
		    a->values[i].name, a->values[i].value);
	}
	if (n >= sizeof(args) || (out = run_cmd(opt.action_cmd, args)) == NULL)
		return NULL;
	out[strcspn(out, "\r\n")] = '\0';
	snprintf(result, sizeof(result), "%s", out);
	free(out);
	return result;
}

static enum pgw_status
do_complete(const char *key, int64_t amount, const char *cus, const char *pm,
    const char *tok, int off_session, const char *ref, const char *result,
    struct pgw_payment *p, struct pgw_result *res, char *err, size_t errsz)
{
	struct pgw_charge_req r;
	struct pgw_complete_req c;

	charge_req(&r, key, amount, cus, pm, tok, off_session, 0);
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.ref = ref;
	c.action_result = result != NULL && result[0] != '\0' ? result : NULL;
	c.charge = &r;
	return gw_complete_charge(inst, &c, p, res, err, errsz);
}

/* 1 when res holds an action the browser can perform. */
static int
actionable(const struct pgw_result *res)
{
	return (res->action.type == PGW_ACTION_SDK &&
	           res->action.kind[0] != '\0') ||
	       (res->action.type == PGW_ACTION_REDIRECT &&
	           res->action.url[0] != '\0');
}

/*
 * ABI 1.1: REQUIRES_ACTION comes with a next action; after it, completion
 * under the same key charges once; an abandoned or failed challenge charges
 * nothing; a card save completes the same way; an off-session charge that
 * needs the client is completed on session, once.
 */
static void
t_next_action(void)
{
	struct pgw_payment p, p2;
	struct pgw_result res;
	struct pgw_save_card_req sr;
	struct pgw_complete_req cr;
	struct pgw_card card;
	char err[1024], key[128], tok[512], ref[PGW_ID_MAX], pm[PGW_ID_MAX];
	const char *t, *r;
	enum pgw_status st;
	int i;

	if (skipped("next_action"))
		return;
	if (!(plug->caps & PGW_CAP_NEXT_ACTION)) {
		skip("next action and completion", "no PGW_CAP_NEXT_ACTION");
		return;
	}
	if (opt.action_cmd == NULL || (t = token("requires_action")) == NULL) {
		skip("next action and completion",
		    "no --action-cmd or --token-cmd");
		return;
	}
	snprintf(tok, sizeof(tok), "%s", t);

	/* On session: action, abandon, pass, complete twice. */
	newkey(key, sizeof(key), "na-pass", -1);
	st = do_charge(
	    key, 7100, NULL, NULL, tok, 0, 0, &p, &res, err, sizeof(err));
	ok(st == PGW_REQUIRES_ACTION && actionable(&res) &&
	        res.action.ref[0] != '\0',
	    "3-D Secure on session: REQUIRES_ACTION with next action %s "
	    "(ref %s)",
	    res.action.kind, res.action.ref);
	snprintf(ref, sizeof(ref), "%s", res.action.ref);
	st = do_complete(key, 7100, NULL, NULL, tok, 0, ref, NULL, &p, &res,
	    err, sizeof(err));
	ok(st == PGW_REQUIRES_ACTION,
	    "completing before the challenge is passed: still "
	    "REQUIRES_ACTION, nothing charged (%s)",
	    gw_status_str(st));
	if (st == PGW_REQUIRES_ACTION && res.action.ref[0] != '\0')
		snprintf(ref, sizeof(ref), "%s", res.action.ref);
	r = actionable(&res) ? perform(&res.action, "succeed") : NULL;
	st = do_complete(
	    key, 7100, NULL, NULL, tok, 0, ref, r, &p, &res, err, sizeof(err));
	ok(r != NULL && st == PGW_SUCCEEDED && p.amount == 7100 &&
	        p.ref[0] != '\0' && p.status == PGW_SUCCEEDED,
	    "challenge passed: complete_charge SUCCEEDED %s %s",
	    gw_status_str(st), st == PGW_SUCCEEDED ? p.ref : err);
	st = do_complete(
	    key, 7100, NULL, NULL, tok, 0, ref, r, &p2, &res, err, sizeof(err));
	ok(st == PGW_SUCCEEDED && strcmp(p.ref, p2.ref) == 0,
	    "completing again answers the same payment %s (%s)", p2.ref,
	    gw_status_str(st));
	st = do_lookup(key, NULL, &p2, &res, err, sizeof(err));
	ok(st == PGW_SUCCEEDED && strcmp(p.ref, p2.ref) == 0,
	    "lookup by the key finds that one payment (%s %s)",
	    gw_status_str(st), p2.ref);

	/* On session, failed challenge: nothing charged. */
	if ((t = token("requires_action")) == NULL)
		return;
	snprintf(tok, sizeof(tok), "%s", t);
	newkey(key, sizeof(key), "na-fail", 0);
	st = do_charge(
	    key, 7200, NULL, NULL, tok, 0, 0, &p, &res, err, sizeof(err));
	snprintf(ref, sizeof(ref), "%s", res.action.ref);
	r = st == PGW_REQUIRES_ACTION && actionable(&res)
	        ? perform(&res.action, "fail")
	        : NULL;
	st = do_complete(
	    key, 7200, NULL, NULL, tok, 0, ref, r, &p, &res, err, sizeof(err));
	ok(r != NULL && (st == PGW_DECLINED || st == PGW_REQUIRES_ACTION),
	    "challenge failed: %s, nothing charged", gw_status_str(st));
	st = do_lookup(key, NULL, &p2, &res, err, sizeof(err));
	ok(st != PGW_SUCCEEDED && st != PGW_PENDING,
	    "... and lookup finds no successful payment (%s)",
	    gw_status_str(st));

	/* Saving a card that needs authentication. */
	if (!(plug->caps & PGW_CAP_SAVE_CARD) ||
	    (t = token("requires_action")) == NULL)
		return;
	memset(&sr, 0, sizeof(sr));
	sr.size = sizeof(sr);
	sr.customer_id = customer;
	sr.token = t;
	newkey(key, sizeof(key), "na-save", -1);
	sr.idempotency_key = key;
	st = gw_save_card(inst, &sr, &card, &res, err, sizeof(err));
	if (st == PGW_REQUIRES_ACTION) {
		ok(actionable(&res), "saving a 3-D Secure card: next action %s",
		    res.action.kind);
		r = perform(&res.action, "succeed");
		memset(&cr, 0, sizeof(cr));
		cr.size = sizeof(cr);
		cr.ref = res.action.ref;
		cr.action_result = r != NULL && r[0] != '\0' ? r : NULL;
		cr.save = &sr;
		snprintf(ref, sizeof(ref), "%s", res.action.ref);
		cr.ref = ref;
		st = gw_complete_save_card(
		    inst, &cr, &card, &res, err, sizeof(err));
	}
	ok(st == PGW_SUCCEEDED && card.payment_method[0] != '\0',
	    "saving a 3-D Secure card: %s %s", gw_status_str(st),
	    st == PGW_SUCCEEDED ? card.payment_method : err);
	if (st != PGW_SUCCEEDED)
		return;
	snprintf(pm, sizeof(pm), "%s", card.payment_method);

	/* Off session (AutoPay): the client comes back and authenticates
	 * that same payment; it is charged once. */
	newkey(key, sizeof(key), "na-off", -1);
	st = do_charge(
	    key, 7300, customer, pm, NULL, 1, 0, &p, &res, err, sizeof(err));
	ok(st == PGW_REQUIRES_ACTION && res.message[0] != '\0',
	    "3-D Secure card off session: REQUIRES_ACTION (%s)",
	    gw_status_str(st));
	st = do_lookup(key, NULL, &p, &res, err, sizeof(err));
	ok(st == PGW_REQUIRES_ACTION &&
	        (actionable(&res) || res.action.ref[0] != '\0'),
	    "lookup later: REQUIRES_ACTION with a next action or a ref to "
	    "complete (%s %s)",
	    gw_status_str(st), res.action.kind);
	r = NULL;
	for (i = 0; i < 3 && st == PGW_REQUIRES_ACTION; i++) {
		snprintf(ref, sizeof(ref), "%s", res.action.ref);
		r = actionable(&res) ? perform(&res.action, "succeed") : NULL;
		st = do_complete(key, 7300, customer, pm, NULL, 1, ref, r, &p,
		    &res, err, sizeof(err));
	}
	ok(st == PGW_SUCCEEDED && p.amount == 7300,
	    "... completed on session: %s %s", gw_status_str(st),
	    st == PGW_SUCCEEDED ? p.ref : err);
	st = do_complete(key, 7300, customer, pm, NULL, 1, ref, r, &p2, &res,
	    err, sizeof(err));
	ok(st == PGW_SUCCEEDED && strcmp(p.ref, p2.ref) == 0,
	    "... completing again answers the same payment (%s)",
	    gw_status_str(st));
	st = do_lookup(key, NULL, &p2, &res, err, sizeof(err));
	ok(st == PGW_SUCCEEDED && strcmp(p.ref, p2.ref) == 0,
	    "... and lookup by the key finds it (%s %s)", gw_status_str(st),
	    p2.ref);
}

int
main(int argc, char **argv)
{
	struct timespec ts;

	parse_args(argc, argv);
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(run_id, sizeof(run_id), "%lx%04lx", (long)ts.tv_sec,
	    (long)(ts.tv_nsec / 1000) & 0xffff);
	if (opt.keys_file != NULL &&
	    (keys = fopen(opt.keys_file, "w")) == NULL) {
		fprintf(stderr, "conformance: %s: %s\n", opt.keys_file,
		    strerror(errno));
		return 2;
	}
	t_load();
	t_widget();
	t_customer();
	t_save_card();
	t_charge_and_replay();
	t_token_charge_save();
	t_declines();
	t_requires_action();
	t_next_action();
	t_refund();
	t_host_faults();
	t_processor_faults();
	t_concurrency();
	t_webhook();
	gw_instance_free(inst);
	if (keys != NULL)
		fclose(keys);
	printf("1..%d\n", ntests);
	if (nfailed > 0)
		diag("%d of %d failed", nfailed, ntests);
	return nfailed > 0;
}
