/* sandbox.c: the sandbox gateway plugin: talks JSON over HTTP (through the
 * host's services, as a real plugin does) to the sandbox processor
 * simulator, tests/sim/sandbox-sim.mjs, whose API it follows. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "gateway.h"
#include "pgw_common.h"

#define DEFAULT_TIMEOUT_MS 20000
#define WEBHOOK_TOLERANCE  300 /* seconds, as Stripe */

struct sb {
	const struct pgw_host *host;
	char *api_base; /* no trailing '/' */
	char *secret;   /* Bearer secret key; wiped in fini */
	char *publishable;
	char *whsec; /* webhook signing secret or NULL; wiped */
	char origin[PGW_URL_MAX];
	uint32_t timeout_ms;
	struct pgwc_csp csp;
};

static const struct pgw_conf_key sb_config[] = {
    {"api_base", PGW_CONF_URL, 1,
        "the simulator's base URL, e.g. http://127.0.0.1:8787"},
    {"secret_key_file", PGW_CONF_SECRET_FILE, 0,
        "file holding the secret key (or secret_key_env)"},
    {"secret_key_env", PGW_CONF_SECRET_ENV, 0,
        "environment variable holding the secret key (or "
        "secret_key_file)"},
    {"publishable_key", PGW_CONF_STRING, 1,
        "the publishable key the card widget uses, e.g. pk_test_sandbox"},
    {"webhook_secret_file", PGW_CONF_SECRET_FILE, 0,
        "file holding the webhook signing secret (needed for webhooks)"},
    {"timeout_ms", PGW_CONF_INT, 0,
        "milliseconds to wait for the processor (default 20000)"},
    PGWC_CSP_CONF_KEYS,
};

static void
sb_fini(void *p)
{
	struct sb *c = p;

	if (c == NULL)
		return;
	free(c->api_base);
	pgwc_wipe_free(c->secret);
	free(c->publishable);
	pgwc_wipe_free(c->whsec);
	pgwc_csp_free(&c->csp);
	free(c);
}

/* ABI 1.1 init2: problems go to res->err (code "bad_config"). */
static int32_t
sb_init2(const struct pgw_host *host, const struct pgw_kv *kv, size_t n,
    void **ctx, struct pgw_result *res)
{
	char *err = res->err;
	size_t errsz = res->errsz;
	struct sb *c;
	size_t i;
	int nsecret = 0, r;

	*ctx = NULL;
	if (pgwc_host_ok(host, "sandbox", err, errsz) != 0)
		return PGW_ERROR;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errsz, "sandbox: out of memory");
		return PGW_ERROR;
	}
	c->host = host;
	c->timeout_ms = DEFAULT_TIMEOUT_MS;
	for (i = 0; i < n; i++) {
		const char *k = kv[i].key, *v = kv[i].value;
		char **dst = NULL;

		if ((r = pgwc_csp_conf(&c->csp, &kv[i], err, errsz)) != 0) {
			if (r < 0)
				goto err;
			continue;
		}
		if (strcmp(k, "api_base") == 0)
			dst = &c->api_base;
		else if (strcmp(k, "secret_key_file") == 0 ||
		         strcmp(k, "secret_key_env") == 0) {
			dst = &c->secret;
			nsecret++;
		} else if (strcmp(k, "publishable_key") == 0)
			dst = &c->publishable;
		else if (strcmp(k, "webhook_secret_file") == 0)
			dst = &c->whsec;
		else if (strcmp(k, "timeout_ms") == 0) {
			if (pgwc_conf_timeout(v, kv[i].where, &c->timeout_ms,
			        err, errsz) != 0)
				goto err;
			continue;
		}
		if (dst == NULL)
			continue;
		if (nsecret > 1) {
			snprintf(err, errsz,
			    "%s: give secret_key_file or secret_key_env, not "
			    "both",
			    kv[i].where);
			goto err;
		}
		if ((*dst = strdup(v)) == NULL) {
			snprintf(err, errsz, "sandbox: out of memory");
			goto err;
		}
	}
	if (c->api_base == NULL || c->publishable == NULL ||
	    c->secret == NULL) {
		snprintf(err, errsz,
		    "sandbox needs api_base, publishable_key and one of "
		    "secret_key_file or secret_key_env");
		goto err;
	}
	pgwc_trim_slash(c->api_base);
	/* The widget's origin: scheme://host[:port] of api_base. */
	if (pgwc_origin(c->api_base, c->origin, 480) != 0) {
		snprintf(err, errsz, "sandbox: bad api_base");
		goto err;
	}
	*ctx = c;
	return PGW_SUCCEEDED;
err:
	sb_fini(c);
	pgwc_copy(res->code, sizeof(res->code), "bad_config");
	return PGW_ERROR;
}

/* Percent-encodes s for a URL path segment or query value. */
static void
urlenc(const char *s, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s != '\0' && o + 4 < outsz; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' ||
		    ch == '~')
			out[o++] = (char)ch;
		else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
}

/* The client-safe text for a decline code (never the processor's own). */
static const char *
decline_message(const char *code)
{
	if (strcmp(code, "insufficient_funds") == 0)
		return "Your card has insufficient funds.";
	if (strcmp(code, "expired_card") == 0)
		return "Your card has expired.";
	if (strcmp(code, "incorrect_cvc") == 0)
		return "Your card's security code is incorrect.";
	if (strcmp(code, "authentication_failed") == 0)
		return "Your bank could not confirm this payment. Nothing was "
		       "charged.";
	return "Your card was declined.";
}

#define AUTH_MESSAGE                                                     \
	"Your bank needs you to confirm this payment. Please pay again " \
	"from the portal to complete it."

/*
 * Performs one API call and maps the transport and HTTP outcome:
 * connect failure and 429 -> RETRYABLE; timeout, 5xx, 409 or a bad answer
 * after sending -> UNKNOWN (a GET: RETRYABLE, nothing moved); 402 card
 * errors -> DECLINED or REQUIRES_ACTION (with *out holding the error body);
 * other 4xx -> ERROR; 2xx -> SUCCEEDED with the parsed JSON in *out
 * (caller frees). res->status is set either way.
 */
static int32_t
call(struct sb *c, const char *method, const char *path, json_t *body,
    const char *idem, json_t **out, struct pgw_result *res)
{
	struct pgw_http_header h[3];
	struct pgw_http_request req;
	struct pgw_http_response resp;
	char url[PGW_URL_MAX * 2], auth[4200];
	char *text = NULL;
	json_t *j = NULL, *e;
	json_error_t jerr;
	int32_t o, st = PGW_ERROR;
	int is_get = strcmp(method, "GET") == 0;
	size_t nh = 0;

	*out = NULL;
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	resp.size = sizeof(resp);
	if ((size_t)snprintf(url, sizeof(url), "%s%s", c->api_base, path) >=
	    sizeof(url)) {
		pgwc_seterr(res, "sandbox: URL too long");
		return pgwc_done(res, PGW_ERROR);
	}
	snprintf(auth, sizeof(auth), "Bearer %s", c->secret);
	h[nh].name = "Authorization";
	h[nh++].value = auth;
	h[nh].name = "Content-Type";
	h[nh++].value = "application/json";
	if (idem != NULL) {
		h[nh].name = "Idempotency-Key";
		h[nh++].value = idem;
	}
	if (body != NULL &&
	    (text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		OPENSSL_cleanse(auth, sizeof(auth));
		pgwc_seterr(res, "sandbox: out of memory");
		return pgwc_done(res, PGW_ERROR);
	}
	req.size = sizeof(req);
	req.method = method;
	req.url = url;
	req.headers = h;
	req.nheaders = nh;
	req.body = text;
	req.body_len = text != NULL ? strlen(text) : 0;
	req.timeout_ms = c->timeout_ms;
	o = pgwc_http(c->host, "sandbox", &req, path, &resp, res, &st);
	OPENSSL_cleanse(auth, sizeof(auth));
	if (!o)
		goto out;
	j = json_loadb(resp.body, resp.body_len, 0, &jerr);
	e = json_object_get(j, "error");
	if (resp.status == 429) {
		pgwc_rate_limited("sandbox", method, path, &resp, res);
		pgwc_copy(res->code, sizeof(res->code), "rate_limited");
		st = PGW_RETRYABLE;
		goto out;
	}
	if (resp.status >= 500 || resp.status == 409 ||
	    (resp.status < 300 && !json_is_object(j)) || resp.status < 200) {
		pgwc_copy(res->code, sizeof(res->code),
		    e != NULL ? pgwc_jstr(e, "code") : "bad_answer");
		pgwc_seterr(res, "sandbox: %s %s: HTTP %d%s%s", method, path,
		    (int)resp.status, e != NULL ? ": " : "",
		    e != NULL ? pgwc_jstr(e, "message") : "");
		st = is_get ? PGW_RETRYABLE : PGW_UNKNOWN;
		goto out;
	}
	if (resp.status == 402 && e != NULL &&
	    strcmp(pgwc_jstr(e, "type"), "card_error") == 0) {
		const char *code = pgwc_jstr(e, "code");
		const char *dc = pgwc_jstr(e, "decline_code");

		if (strcmp(code, "authentication_required") == 0) {
			pgwc_copy(res->code, sizeof(res->code), code);
			pgwc_copy(
			    res->message, sizeof(res->message), AUTH_MESSAGE);
			pgwc_seterr(res,
			    "sandbox: %s %s: authentication required", method,
			    path);
			st = PGW_REQUIRES_ACTION;
		} else {
			pgwc_copy(res->code, sizeof(res->code),
			    dc[0] != '\0' ? dc : code);
			pgwc_copy(res->message, sizeof(res->message),
			    decline_message(dc[0] != '\0' ? dc : code));
			pgwc_seterr(res, "sandbox: %s %s: declined (%s)",
			    method, path, res->code);
			st = PGW_DECLINED;
		}
		*out = j;
		j = NULL;
		goto out;
	}
	if (resp.status >= 400) {
		pgwc_copy(res->code, sizeof(res->code),
		    e != NULL ? pgwc_jstr(e, "code") : "http_error");
		pgwc_seterr(res, "sandbox: %s %s: HTTP %d: %s", method, path,
		    (int)resp.status,
		    e != NULL ? pgwc_jstr(e, "message") : "no error body");
		st = PGW_ERROR;
		*out = j;
		j = NULL;
		goto out;
	}
	*out = j;
	j = NULL;
	st = PGW_SUCCEEDED;
out:
	json_decref(j);
	free(text);
	c->host->http_free(c->host, &resp);
	return pgwc_done(res, st);
}

static int32_t
sb_create_customer(void *p, const struct pgw_customer_req *req,
    struct pgw_customer *out, struct pgw_result *res)
{
	struct sb *c = p;
	json_t *b, *j = NULL;
	int32_t st;

	b = json_object();
	if (req->reference != NULL)
		json_object_set_new(
		    b, "reference", json_string(req->reference));
	if (req->name != NULL)
		json_object_set_new(b, "name", json_string(req->name));
	if (req->email != NULL)
		json_object_set_new(b, "email", json_string(req->email));
	st = call(c, "POST", "/v1/customers", b, req->idempotency_key, &j, res);
	if (st == PGW_SUCCEEDED) {
		pgwc_copy(out->id, sizeof(out->id), pgwc_jstr(j, "id"));
		if (out->id[0] == '\0') {
			pgwc_seterr(res, "sandbox: customer without an id");
			st = pgwc_done(res, PGW_ERROR);
		}
	}
	json_decref(j);
	json_decref(b);
	return st;
}

static int32_t
sb_card_widget(void *p, struct pgw_widget *out, struct pgw_result *res)
{
	struct sb *c = p;

	if ((size_t)snprintf(out->script_url, sizeof(out->script_url),
	        "%.480s/tokenizer.js", c->origin) >= sizeof(out->script_url)) {
		pgwc_seterr(res, "sandbox: api_base too long");
		return pgwc_done(res, PGW_ERROR);
	}
	pgwc_copy(out->origin, sizeof(out->origin), c->origin);
	pgwc_copy(out->public_key, sizeof(out->public_key), c->publishable);
	pgwc_copy(out->mode, sizeof(out->mode), "test");
	/* 1.1: the tokenizer's values and origins (the simulator's one
	 * origin unless csp_* say otherwise). */
	pgwc_copy(out->sdk, sizeof(out->sdk), "sandbox");
	if (pgwc_widget_value(out, "publishable_key", c->publishable) != 0 ||
	    pgwc_widget_origins(out, &c->csp, PGW_CSP_SCRIPT, c->origin) != 0 ||
	    pgwc_widget_origins(out, &c->csp, PGW_CSP_FRAME, c->origin) != 0 ||
	    pgwc_widget_origins(out, &c->csp, PGW_CSP_CONNECT, c->origin) !=
	        0 ||
	    pgwc_widget_origins(out, &c->csp, PGW_CSP_IMG, NULL) != 0 ||
	    pgwc_widget_origins(out, &c->csp, PGW_CSP_STYLE, NULL) != 0 ||
	    pgwc_widget_origins(out, &c->csp, PGW_CSP_FONT, NULL) != 0) {
		pgwc_seterr(res, "sandbox: too many widget origins");
		return PGW_ERROR;
	}
	return PGW_SUCCEEDED;
}

static void
fill_card(json_t *card, struct pgw_card *out)
{
	pgwc_copy(out->brand, sizeof(out->brand), pgwc_jstr(card, "brand"));
	pgwc_copy(out->last4, sizeof(out->last4), pgwc_jstr(card, "last4"));
	out->exp_month = (int32_t)pgwc_jint(card, "exp_month");
	out->exp_year = (int32_t)pgwc_jint(card, "exp_year");
}

/* Fills out and res from payment method object pm; returns SUCCEEDED
 * (active), REQUIRES_ACTION (its challenge is open: the next action) or
 * DECLINED (the challenge failed). */
static int32_t
report_pm(
    struct sb *c, json_t *pm, struct pgw_card *out, struct pgw_result *res)
{
	const char *status = pgwc_jstr(pm, "status");
	const char *id = pgwc_jstr(pm, "id");
	const char *u;
	char url[PGW_VALUE_MAX];

	pgwc_copy(out->payment_method, sizeof(out->payment_method), id);
	fill_card(json_object_get(pm, "card"), out);
	if (strcmp(status, "requires_action") == 0) {
		u = pgwc_jstr(json_object_get(pm, "next_action"), "url");
		if (strncmp(u, "http", 4) == 0)
			pgwc_copy(url, sizeof(url), u);
		else
			snprintf(
			    url, sizeof(url), "%.255s%.255s", c->origin, u);
		pgwc_copy(
		    res->code, sizeof(res->code), "authentication_required");
		pgwc_copy(res->message, sizeof(res->message),
		    "Your bank needs you to confirm this card before it can "
		    "be saved.");
		pgwc_seterr(res, "sandbox: card %s needs authentication", id);
		pgwc_action(res, "sandbox.authenticate", id);
		pgwc_action_value(&res->action, "url", url);
		pgwc_action_value(&res->action, "payment_method", id);
		return PGW_REQUIRES_ACTION;
	}
	if (strcmp(status, "failed") == 0) {
		pgwc_copy(
		    res->code, sizeof(res->code), "authentication_failed");
		pgwc_copy(res->message, sizeof(res->message),
		    "Your bank could not confirm this card. Please try "
		    "another card.");
		pgwc_seterr(res, "sandbox: card %s failed authentication", id);
		return PGW_DECLINED;
	}
	return PGW_SUCCEEDED;
}

/* After a POST that sent a one-time token: PGW_DECLINED with
 * PGW_CODE_TOKEN_INVALID when the simulator refused the token itself
 * (error.code token_already_used, or resource_missing on param "token");
 * else st. j is the call's answer. */
static int32_t
token_refused(int32_t st, json_t *j, struct pgw_result *res)
{
	json_t *e = json_object_get(j, "error");
	const char *code = pgwc_jstr(e, "code");

	if (st != PGW_ERROR || e == NULL)
		return st;
	if (strcmp(code, "token_already_used") == 0 ||
	    (strcmp(code, "resource_missing") == 0 &&
	        strcmp(pgwc_jstr(e, "param"), "token") == 0))
		return pgwc_token_invalid(res);
	return st;
}

static int32_t
sb_save_card(void *p, const struct pgw_save_card_req *req, struct pgw_card *out,
    struct pgw_result *res)
{
	struct sb *c = p;
	json_t *b, *j = NULL;
	int32_t st;

	if (req->customer_id == NULL || req->token == NULL) {
		pgwc_seterr(
		    res, "sandbox: save_card needs a customer and a token");
		return pgwc_done(res, PGW_ERROR);
	}
	b = json_pack(
	    "{s:s, s:s}", "customer", req->customer_id, "token", req->token);
	st = call(
	    c, "POST", "/v1/payment_methods", b, req->idempotency_key, &j, res);
	st = token_refused(st, j, res);
	if (st == PGW_SUCCEEDED)
		st = report_pm(c, j, out, res);
	json_decref(j);
	json_decref(b);
	return st;
}

/* ABI 1.1: after the client met the challenge of saving card req->ref:
 * the payment method is active (SUCCEEDED), still waiting
 * (REQUIRES_ACTION) or failed (DECLINED, detached). */
static int32_t
sb_complete_save_card(void *p, const struct pgw_complete_req *req,
    struct pgw_card *out, struct pgw_result *res)
{
	struct sb *c = p;
	char path[PGW_ID_MAX * 3 + 32], enc[PGW_ID_MAX * 3 + 1];
	json_t *j = NULL;
	int32_t st;

	urlenc(req->ref, enc, sizeof(enc));
	snprintf(path, sizeof(path), "/v1/payment_methods/%s", enc);
	st = call(c, "GET", path, NULL, NULL, &j, res);
	if (st == PGW_SUCCEEDED &&
	    strcmp(pgwc_jstr(j, "customer"), req->save->customer_id) != 0) {
		pgwc_copy(res->code, sizeof(res->code), "ref_mismatch");
		pgwc_seterr(
		    res, "sandbox: %s is not this customer's card", req->ref);
		st = PGW_ERROR;
	} else if (st == PGW_SUCCEEDED)
		st = report_pm(c, j, out, res);
	json_decref(j);
	return st;
}

static int32_t
charge_status(const char *s)
{
	if (strcmp(s, "succeeded") == 0)
		return PGW_SUCCEEDED;
	if (strcmp(s, "failed") == 0)
		return PGW_DECLINED;
	if (strcmp(s, "requires_action") == 0)
		return PGW_REQUIRES_ACTION;
	return PGW_PENDING;
}

/* Fills out from a charge object. */
static void
fill_payment(json_t *ch, struct pgw_payment *out)
{
	const char *cur = pgwc_jstr(ch, "currency");
	const char *pm = pgwc_jstr(ch, "saved_payment_method");
	size_t i;

	pgwc_copy(out->ref, sizeof(out->ref), pgwc_jstr(ch, "id"));
	out->status = charge_status(pgwc_jstr(ch, "status"));
	out->amount = pgwc_jint(ch, "amount");
	for (i = 0; cur[i] != '\0' && i + 1 < sizeof(out->currency); i++)
		out->currency[i] = (char)toupper((unsigned char)cur[i]);
	out->currency[i] = '\0';
	out->amount_refunded = pgwc_jint(ch, "amount_refunded");
	pgwc_copy(out->idempotency_key, sizeof(out->idempotency_key),
	    pgwc_jstr(ch, "idempotency_key"));
	fill_card(json_object_get(ch, "card"), &out->card);
	if (pm[0] == '\0')
		pm = pgwc_jstr(ch, "payment_method");
	pgwc_copy(
	    out->card.payment_method, sizeof(out->card.payment_method), pm);
	pgwc_copy(out->decline_code, sizeof(out->decline_code),
	    pgwc_jstr(ch, "decline_code"));
	out->created_ms = pgwc_jint(ch, "created") * 1000;
}

/*
 * The next action for a charge object that needs the client: on session
 * (status requires_action) the simulator's challenge page, next_action.url
 * (made absolute against api_base); an off-session charge refused with
 * authentication_required has no challenge yet: PGW_ACTION_NONE with its
 * ref, so complete_charge starts an on-session attempt.
 */
static void
sb_action(struct sb *c, json_t *ch, struct pgw_result *res)
{
	const char *id = pgwc_jstr(ch, "id");
	const char *u = pgwc_jstr(json_object_get(ch, "next_action"), "url");
	char url[PGW_VALUE_MAX];

	if (strcmp(pgwc_jstr(ch, "status"), "requires_action") != 0) {
		memset(&res->action, 0, sizeof(res->action));
		pgwc_copy(res->action.ref, sizeof(res->action.ref), id);
		return;
	}
	if (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0)
		pgwc_copy(url, sizeof(url), u);
	else
		snprintf(url, sizeof(url), "%.255s%.255s", c->origin, u);
	pgwc_action(res, "sandbox.authenticate", id);
	pgwc_action_value(&res->action, "url", url);
	pgwc_action_value(&res->action, "charge", id);
}

static int32_t
sb_charge(void *p, const struct pgw_charge_req *req, struct pgw_payment *out,
    struct pgw_result *res)
{
	struct sb *c = p;
	json_t *b, *j = NULL;
	char cur[8];
	int32_t st;
	size_t i;

	if (req->currency == NULL || strlen(req->currency) != 3) {
		pgwc_seterr(res, "sandbox: currency must be 3 letters");
		return pgwc_done(res, PGW_ERROR);
	}
	for (i = 0; i < 4; i++)
		cur[i] = (char)tolower((unsigned char)req->currency[i]);
	b = json_pack("{s:I, s:s, s:b, s:b}", "amount", (json_int_t)req->amount,
	    "currency", cur, "off_session", req->off_session != 0, "save_card",
	    req->save_card != 0);
	if (req->customer_id != NULL)
		json_object_set_new(
		    b, "customer", json_string(req->customer_id));
	if (req->payment_method != NULL)
		json_object_set_new(
		    b, "payment_method", json_string(req->payment_method));
	if (req->token != NULL)
		json_object_set_new(b, "token", json_string(req->token));
	if (req->description != NULL)
		json_object_set_new(
		    b, "description", json_string(req->description));
	pgwc_copy(out->idempotency_key, sizeof(out->idempotency_key),
	    req->idempotency_key);
	out->amount = req->amount;
	pgwc_copy(out->currency, sizeof(out->currency), req->currency);
	st = call(c, "POST", "/v1/charges", b, req->idempotency_key, &j, res);
	if (req->token != NULL)
		st = token_refused(st, j, res);
	if (st == PGW_SUCCEEDED) {
		fill_payment(j, out);
		st = out->status;
		if (st == PGW_REQUIRES_ACTION) {
			pgwc_copy(res->code, sizeof(res->code),
			    "authentication_required");
			pgwc_copy(
			    res->message, sizeof(res->message), AUTH_MESSAGE);
			sb_action(c, j, res);
		}
	} else if (st == PGW_DECLINED || st == PGW_REQUIRES_ACTION) {
		json_t *e = json_object_get(j, "error");

		pgwc_copy(out->ref, sizeof(out->ref), pgwc_jstr(e, "charge"));
		pgwc_copy(
		    out->decline_code, sizeof(out->decline_code), res->code);
		if (st == PGW_REQUIRES_ACTION) {
			memset(&res->action, 0, sizeof(res->action));
			pgwc_copy(
			    res->action.ref, sizeof(res->action.ref), out->ref);
		}
	}
	json_decref(j);
	json_decref(b);
	return st;
}

static int32_t
sb_refund(void *p, const struct pgw_refund_req *req, struct pgw_refund *out,
    struct pgw_result *res)
{
	struct sb *c = p;
	json_t *b, *j = NULL;
	int32_t st;

	b = json_pack("{s:s}", "charge", req->payment_ref);
	if (req->amount > 0)
		json_object_set_new(
		    b, "amount", json_integer((json_int_t)req->amount));
	st = call(c, "POST", "/v1/refunds", b, req->idempotency_key, &j, res);
	pgwc_copy(out->payment_ref, sizeof(out->payment_ref), req->payment_ref);
	if (st == PGW_SUCCEEDED) {
		pgwc_copy(out->ref, sizeof(out->ref), pgwc_jstr(j, "id"));
		out->amount = pgwc_jint(j, "amount");
		out->status = strcmp(pgwc_jstr(j, "status"), "succeeded") == 0
		                  ? PGW_SUCCEEDED
		                  : PGW_PENDING;
		pgwc_done(res, out->status);
		st = out->status;
	}
	json_decref(j);
	json_decref(b);
	return st;
}

/* The key of the on-session attempt complete_charge makes after an
 * off-session charge needed authentication: derived, so repeating the
 * completion replays it. */
static int
on_session_key(const char *key, char *out, size_t outsz)
{
	return (size_t)snprintf(out, outsz, "%s-on", key) < outsz ? 0 : -1;
}

/* GETs the last charge made under key into *j / *ch (*ch borrowed from
 * *j; NULL when none). Returns the call's status. */
static int32_t
charge_by_key(struct sb *c, const char *key, json_t **j, json_t **ch,
    struct pgw_result *res)
{
	char path[PGW_KEY_MAX * 3 + 64], enc[PGW_KEY_MAX * 3 + 1];
	json_t *data;
	int32_t st;

	*ch = NULL;
	urlenc(key, enc, sizeof(enc));
	snprintf(path, sizeof(path), "/v1/charges?idempotency_key=%s", enc);
	st = call(c, "GET", path, NULL, NULL, j, res);
	if (st == PGW_SUCCEEDED) {
		data = json_object_get(*j, "data");
		if (json_array_size(data) > 0)
			*ch = json_array_get(data, json_array_size(data) - 1);
	}
	return st;
}

/* 1 when the charge object failed for want of authentication. */
static int
needs_auth(json_t *ch)
{
	return strcmp(pgwc_jstr(ch, "status"), "failed") == 0 &&
	       strcmp(pgwc_jstr(ch, "decline_code"),
	           "authentication_required") == 0;
}

/* Fills out and res from charge object ch; returns its status. */
static int32_t
report_charge(
    struct sb *c, json_t *ch, struct pgw_payment *out, struct pgw_result *res)
{
	int32_t st;

	fill_payment(ch, out);
	st = out->status;
	res->code[0] = '\0';
	if (res->err != NULL && res->errsz > 0)
		res->err[0] = '\0';
	if (st == PGW_DECLINED && needs_auth(ch))
		st = PGW_REQUIRES_ACTION;
	if (st == PGW_DECLINED) {
		pgwc_copy(res->code, sizeof(res->code), out->decline_code);
		pgwc_copy(res->message, sizeof(res->message),
		    decline_message(out->decline_code));
		pgwc_seterr(res, "sandbox: charge %s declined (%s)", out->ref,
		    out->decline_code);
	} else if (st == PGW_REQUIRES_ACTION) {
		pgwc_copy(
		    res->code, sizeof(res->code), "authentication_required");
		pgwc_copy(res->message, sizeof(res->message), AUTH_MESSAGE);
		pgwc_seterr(
		    res, "sandbox: charge %s needs authentication", out->ref);
		sb_action(c, ch, res);
	}
	return st;
}

static int32_t
sb_lookup(void *p, const struct pgw_lookup_req *req, struct pgw_payment *out,
    struct pgw_result *res)
{
	struct sb *c = p;
	char path[PGW_KEY_MAX * 3 + 64], enc[PGW_KEY_MAX * 3 + 1];
	char onkey[PGW_KEY_MAX + 4];
	json_t *j = NULL, *j2 = NULL, *ch = NULL, *ch2 = NULL;
	int32_t st;

	if (req->payment_ref != NULL) {
		urlenc(req->payment_ref, enc, sizeof(enc));
		snprintf(path, sizeof(path), "/v1/charges/%s", enc);
		st = call(c, "GET", path, NULL, NULL, &j, res);
		ch = j;
	} else
		st = charge_by_key(c, req->idempotency_key, &j, &ch, res);
	if (st == PGW_ERROR && strcmp(res->code, "resource_missing") == 0) {
		pgwc_seterr(res, "sandbox: no charge %s",
		    req->payment_ref != NULL ? req->payment_ref : "");
		st = PGW_NOT_FOUND;
		goto out;
	}
	if (st != PGW_SUCCEEDED)
		goto out;
	if (ch == NULL) {
		pgwc_seterr(res, "sandbox: no charge under that key");
		st = PGW_NOT_FOUND;
		goto out;
	}
	/* An off-session charge that needed the client: the on-session
	 * attempt complete_charge made under the derived key says more. */
	if (needs_auth(ch) && req->idempotency_key != NULL &&
	    on_session_key(req->idempotency_key, onkey, sizeof(onkey)) == 0) {
		st = charge_by_key(c, onkey, &j2, &ch2, res);
		if (st != PGW_SUCCEEDED)
			goto out;
		if (ch2 != NULL)
			ch = ch2;
	}
	st = report_charge(c, ch, out, res);
	if (ch == ch2)
		pgwc_copy(out->idempotency_key, sizeof(out->idempotency_key),
		    req->idempotency_key);
out:
	json_decref(j);
	json_decref(j2);
	return st;
}

/*
 * ABI 1.1: after the client met the challenge of charge req->ref (or, for
 * an off-session charge refused with authentication_required, now that
 * the client is present): reads the charge; a charge still waiting answers
 * REQUIRES_ACTION again, an off-session refusal becomes one on-session
 * attempt under the derived key (replayed when repeated).
 */
static int32_t
sb_complete_charge(void *p, const struct pgw_complete_req *req,
    struct pgw_payment *out, struct pgw_result *res)
{
	struct sb *c = p;
	const struct pgw_charge_req *cr = req->charge;
	struct pgw_charge_req on;
	char path[PGW_ID_MAX * 3 + 32], enc[PGW_ID_MAX * 3 + 1];
	char onkey[PGW_KEY_MAX + 4];
	const char *k;
	json_t *j = NULL;
	int32_t st;

	if (on_session_key(cr->idempotency_key, onkey, sizeof(onkey)) != 0) {
		pgwc_seterr(res, "sandbox: idempotency key too long");
		return PGW_ERROR;
	}
	urlenc(req->ref, enc, sizeof(enc));
	snprintf(path, sizeof(path), "/v1/charges/%s", enc);
	st = call(c, "GET", path, NULL, NULL, &j, res);
	if (st != PGW_SUCCEEDED)
		goto out;
	k = pgwc_jstr(j, "idempotency_key");
	if (strcmp(k, cr->idempotency_key) != 0 && strcmp(k, onkey) != 0) {
		pgwc_copy(res->code, sizeof(res->code), "ref_mismatch");
		pgwc_seterr(res,
		    "sandbox: charge %s was not made under this idempotency "
		    "key",
		    req->ref);
		st = PGW_ERROR;
		goto out;
	}
	if (needs_auth(j) && strcmp(k, cr->idempotency_key) == 0) {
		on = *cr;
		on.off_session = 0;
		on.idempotency_key = onkey;
		st = sb_charge(c, &on, out, res);
		pgwc_copy(out->idempotency_key, sizeof(out->idempotency_key),
		    cr->idempotency_key);
		goto out;
	}
	st = report_charge(c, j, out, res);
out:
	json_decref(j);
	return st;
}

/* Compares two hex strings in constant time for equal lengths. */
static int
hex_equal(const char *a, const char *b, size_t n)
{
	return strlen(a) >= n && CRYPTO_memcmp(a, b, n) == 0;
}

static int32_t
sb_webhook(void *p, const struct pgw_webhook_req *req, struct pgw_event *out,
    struct pgw_result *res)
{
	struct sb *c = p;
	const char *sig = NULL, *s;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1], tbuf[32];
	long long t = -1, now;
	json_t *j = NULL, *obj;
	json_error_t jerr;
	int ok = 0;
	const char *type;

	if (c->whsec == NULL) {
		pgwc_seterr(
		    res, "sandbox: webhook_secret_file is not configured");
		return pgwc_done(res, PGW_ERROR);
	}
	sig = pgwc_header(req->headers, req->nheaders, "Sandbox-Signature");
	pgwc_copy(res->code, sizeof(res->code), "signature_invalid");
	if (sig == NULL) {
		pgwc_seterr(
		    res, "sandbox: webhook without a Sandbox-Signature");
		return pgwc_done(res, PGW_ERROR);
	}
	/* t=<unix>,v1=<hex>[,v1=<hex>...] */
	for (s = sig; *s != '\0';) {
		size_t len = strcspn(s, ",");

		if (len > 2 && strncmp(s, "t=", 2) == 0 &&
		    len - 2 < sizeof(tbuf)) {
			memcpy(tbuf, s + 2, len - 2);
			tbuf[len - 2] = '\0';
			t = strtoll(tbuf, NULL, 10);
		}
		s += len;
		if (*s == ',')
			s++;
	}
	if (t < 0) {
		pgwc_seterr(
		    res, "sandbox: webhook signature without a timestamp");
		return pgwc_done(res, PGW_ERROR);
	}
	now = (long long)(c->host->clock_ms(c->host) / 1000);
	if (now - t > WEBHOOK_TOLERANCE || t - now > WEBHOOK_TOLERANCE) {
		pgwc_copy(res->code, sizeof(res->code), "signature_stale");
		pgwc_seterr(res,
		    "sandbox: webhook timestamp %llds away from now", now - t);
		return pgwc_done(res, PGW_ERROR);
	}
	if (pgwc_hmac_sha256(c->whsec, tbuf, strlen(tbuf), ".", 1, req->body,
	        req->body_len, mac, &maclen) != 0) {
		pgwc_seterr(res, "sandbox: out of memory");
		return pgwc_done(res, PGW_ERROR);
	}
	pgwc_hex(mac, maclen, hex);
	for (s = sig; *s != '\0';) {
		size_t len = strcspn(s, ",");

		if (len == 3 + 2 * (size_t)maclen &&
		    strncmp(s, "v1=", 3) == 0 &&
		    hex_equal(s + 3, hex, 2 * (size_t)maclen))
			ok = 1;
		s += len;
		if (*s == ',')
			s++;
	}
	if (!ok) {
		pgwc_seterr(res, "sandbox: webhook signature does not verify");
		return pgwc_done(res, PGW_ERROR);
	}
	res->code[0] = '\0';
	if ((j = json_loadb(req->body, req->body_len, 0, &jerr)) == NULL ||
	    !json_is_object(j)) {
		pgwc_copy(res->code, sizeof(res->code), "bad_payload");
		pgwc_seterr(res, "sandbox: webhook body is not a JSON object");
		json_decref(j);
		return pgwc_done(res, PGW_ERROR);
	}
	pgwc_copy(out->id, sizeof(out->id), pgwc_jstr(j, "id"));
	type = pgwc_jstr(j, "type");
	pgwc_copy(out->type_name, sizeof(out->type_name), type);
	out->created_ms = pgwc_jint(j, "created") * 1000;
	obj = json_object_get(json_object_get(j, "data"), "object");
	pgwc_copy(
	    out->payment_ref, sizeof(out->payment_ref), pgwc_jstr(obj, "id"));
	out->amount = pgwc_jint(obj, "amount");
	out->status = charge_status(pgwc_jstr(obj, "status"));
	if (strcmp(type, "charge.succeeded") == 0)
		out->type = PGW_EVENT_PAYMENT_SUCCEEDED;
	else if (strcmp(type, "charge.failed") == 0)
		out->type = PGW_EVENT_PAYMENT_FAILED;
	else if (strcmp(type, "charge.pending") == 0)
		out->type = PGW_EVENT_PAYMENT_PENDING;
	else if (strcmp(type, "charge.refunded") == 0) {
		out->type = PGW_EVENT_REFUND_SUCCEEDED;
		out->amount = pgwc_jint(obj, "amount_refunded");
	} else
		out->type = PGW_EVENT_OTHER;
	json_decref(j);
	if (out->id[0] == '\0') {
		pgwc_copy(res->code, sizeof(res->code), "bad_payload");
		pgwc_seterr(res, "sandbox: webhook event without an id");
		return pgwc_done(res, PGW_ERROR);
	}
	return pgwc_done(res, PGW_SUCCEEDED);
}

static const struct pgw_plugin sandbox_plugin = {
    PGW_PLUGIN_HEADER,
    .name = "sandbox",
    .version = "1.1",
    .caps = PGW_CAP_SAVE_CARD | PGW_CAP_ONE_TIME_TOKEN |
            PGW_CAP_PARTIAL_REFUND | PGW_CAP_OFF_SESSION | PGW_CAP_WEBHOOK |
            PGW_CAP_LOOKUP_BY_KEY | PGW_CAP_THREADSAFE | PGW_CAP_NEXT_ACTION,
    .config = sb_config,
    .nconfig = sizeof(sb_config) / sizeof(sb_config[0]),
    .fini = sb_fini,
    .create_customer = sb_create_customer,
    .card_widget = sb_card_widget,
    .save_card = sb_save_card,
    .charge = sb_charge,
    .refund = sb_refund,
    .lookup = sb_lookup,
    .webhook = sb_webhook,
    .init2 = sb_init2,
    .complete_charge = sb_complete_charge,
    .complete_save_card = sb_complete_save_card,
};

/* The plugin's one exported symbol: returns the static descriptor. */
PGW_DEFINE_ENTRY(sandbox_plugin)
