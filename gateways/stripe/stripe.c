/* stripe.c: the Stripe gateway plugin: Customers, SetupIntents,
 * PaymentIntents, PaymentMethods, Refunds and signed webhooks over Stripe's
 * form-encoded v1 API (https://docs.stripe.com/api), through the host's HTTP
 * service. See gateways/stripe/README. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "gateway.h"
#include "pgw_common.h"

#define DEFAULT_API_BASE    "https://api.stripe.com"
#define DEFAULT_JS_URL      "https://js.stripe.com/v3"
#define DEFAULT_TIMEOUT_MS  20000
#define WEBHOOK_TOLERANCE   300 /* seconds: Stripe's default tolerance */
#define STRIPE_HOOKS_ORIGIN "https://hooks.stripe.com"
#define LOOKUP_PAGE         100 /* Stripe's largest list page */
#define LOOKUP_MAX_PAGES    20

/* One practice's Stripe account. */
struct sp {
	const struct pgw_host *host;
	char *api_base; /* no trailing '/' */
	char *secret;   /* sk_...; wiped in fini */
	char *publishable;
	char *whsec; /* whsec_... or NULL; wiped */
	char *js_url;
	char *api_version; /* Stripe-Version header or NULL */
	char origin[PGW_URL_MAX];
	uint32_t timeout_ms;
	int64_t lookup_window_s;
	struct pgwc_csp csp;
	char api_origin[PGW_URL_MAX]; /* of api_base: connect-src */
	int js_default;               /* js_url not configured */
};

static const struct pgw_conf_key sp_config[] = {
    {"api_base", PGW_CONF_URL, 0,
        "Stripe API base URL (default https://api.stripe.com; a local "
        "simulator in tests)"},
    {"secret_key_file", PGW_CONF_SECRET_FILE, 0,
        "file holding the secret key sk_... (or secret_key_env)"},
    {"secret_key_env", PGW_CONF_SECRET_ENV, 0,
        "environment variable holding the secret key (or "
        "secret_key_file)"},
    {"publishable_key", PGW_CONF_STRING, 1,
        "the publishable key pk_test_... or pk_live_... for Stripe.js"},
    {"webhook_secret_file", PGW_CONF_SECRET_FILE, 0,
        "file holding the endpoint's signing secret whsec_... (needed for "
        "webhooks)"},
    {"webhook_secret_env", PGW_CONF_SECRET_ENV, 0,
        "environment variable holding the webhook signing secret"},
    {"api_version", PGW_CONF_STRING, 0,
        "Stripe-Version to send, e.g. 2024-06-20 (default: the account's)"},
    {"js_url", PGW_CONF_URL, 0,
        "Stripe.js URL for the card form (default "
        "https://js.stripe.com/v3)"},
    {"timeout_ms", PGW_CONF_INT, 0,
        "milliseconds to wait for Stripe (default 20000)"},
    {"lookup_window_hours", PGW_CONF_INT, 0,
        "how far back a lookup by idempotency key lists PaymentIntents "
        "(default 48)"},
    PGWC_CSP_CONF_KEYS,
};

#define AUTH_MESSAGE                                                     \
	"Your bank needs you to confirm this payment. Please pay again " \
	"from the portal to complete it."

/* ---- small helpers ------------------------------------------------------ */

/* The id of an expandable field: the string, or the expanded object's id. */
static const char *
jid(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (json_is_object(v))
		return pgwc_jstr(v, "id");
	return json_string_value(v) != NULL ? json_string_value(v) : "";
}

/* A growable text buffer; on out-of-memory it stays marked failed. */
struct tb {
	char *p;
	size_t n, cap;
	int failed;
};

static void
tb_add(struct tb *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 512;
		char *np;

		while (cap < b->n + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
tb_puts(struct tb *b, const char *s)
{
	tb_add(b, s, strlen(s));
}

/* Appends s percent-encoded for application/x-www-form-urlencoded. */
static void
tb_enc(struct tb *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[3];

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' ||
		    ch == '~')
			tb_add(b, s, 1);
		else {
			e[0] = '%';
			e[1] = hex[ch >> 4];
			e[2] = hex[ch & 15];
			tb_add(b, e, 3);
		}
	}
}

/* Appends "&key=value" (the key is written as given: brackets and all,
 * percent-encoded, as Stripe's own libraries send them). */
static void
form(struct tb *b, const char *key, const char *value)
{
	if (b->n > 0)
		tb_add(b, "&", 1);
	tb_enc(b, key);
	tb_add(b, "=", 1);
	tb_enc(b, value);
}

static void
form_int(struct tb *b, const char *key, int64_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "%lld", (long long)v);
	form(b, key, num);
}

/* ---- init / fini -------------------------------------------------------- */

static void
sp_fini(void *p)
{
	struct sp *c = p;

	if (c == NULL)
		return;
	free(c->api_base);
	pgwc_wipe_free(c->secret);
	free(c->publishable);
	pgwc_wipe_free(c->whsec);
	free(c->js_url);
	pgwc_csp_free(&c->csp);
	free(c->api_version);
	free(c);
}

/* ABI 1.1 init2: problems go to res->err (code "bad_config"). */
static int32_t
sp_init2(const struct pgw_host *host, const struct pgw_kv *kv, size_t n,
    void **ctx, struct pgw_result *res)
{
	char *err = res->err;
	size_t errsz = res->errsz;
	struct sp *c;
	size_t i;
	int nsecret = 0, nwh = 0, r;

	*ctx = NULL;
	if (pgwc_host_ok(host, "stripe", err, errsz) != 0)
		return PGW_ERROR;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errsz, "stripe: out of memory");
		return PGW_ERROR;
	}
	c->host = host;
	c->timeout_ms = DEFAULT_TIMEOUT_MS;
	c->lookup_window_s = 48 * 3600;
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
			if (++nsecret > 1) {
				snprintf(err, errsz,
				    "%s: give secret_key_file or "
				    "secret_key_env, not both",
				    kv[i].where);
				goto err;
			}
		} else if (strcmp(k, "webhook_secret_file") == 0 ||
		           strcmp(k, "webhook_secret_env") == 0) {
			dst = &c->whsec;
			if (++nwh > 1) {
				snprintf(err, errsz,
				    "%s: give webhook_secret_file or "
				    "webhook_secret_env, not both",
				    kv[i].where);
				goto err;
			}
		} else if (strcmp(k, "publishable_key") == 0) {
			if (strncmp(v, "pk_", 3) != 0) {
				snprintf(err, errsz,
				    "%s: publishable_key must start with pk_",
				    kv[i].where);
				goto err;
			}
			dst = &c->publishable;
		} else if (strcmp(k, "api_version") == 0)
			dst = &c->api_version;
		else if (strcmp(k, "js_url") == 0)
			dst = &c->js_url;
		else if (strcmp(k, "timeout_ms") == 0) {
			if (pgwc_conf_timeout(v, kv[i].where, &c->timeout_ms,
			        err, errsz) != 0)
				goto err;
		} else if (strcmp(k, "lookup_window_hours") == 0) {
			long long h = strtoll(v, NULL, 10);

			if (h < 1 || h > 24 * 90) {
				snprintf(err, errsz,
				    "%s: lookup_window_hours must be 1 to "
				    "2160",
				    kv[i].where);
				goto err;
			}
			c->lookup_window_s = (int64_t)h * 3600;
		}
		if (dst != NULL && (*dst = strdup(v)) == NULL) {
			snprintf(err, errsz, "stripe: out of memory");
			goto err;
		}
	}
	if (c->secret == NULL || c->publishable == NULL) {
		snprintf(err, errsz,
		    "stripe needs publishable_key and one of secret_key_file "
		    "or secret_key_env");
		goto err;
	}
	if (strncmp(c->secret, "sk_", 3) != 0 &&
	    strncmp(c->secret, "rk_", 3) != 0) {
		snprintf(err, errsz,
		    "stripe: the secret key must start with sk_ or rk_");
		goto err;
	}
	if ((strstr(c->secret, "_live_") != NULL) !=
	    (strstr(c->publishable, "_live_") != NULL)) {
		snprintf(err, errsz,
		    "stripe: the secret and publishable keys mix test and "
		    "live mode");
		goto err;
	}
	c->js_default = c->js_url == NULL;
	if ((c->api_base == NULL &&
	        (c->api_base = strdup(DEFAULT_API_BASE)) == NULL) ||
	    (c->js_url == NULL &&
	        (c->js_url = strdup(DEFAULT_JS_URL)) == NULL)) {
		snprintf(err, errsz, "stripe: out of memory");
		goto err;
	}
	pgwc_trim_slash(c->api_base);
	/* The widget's origin: scheme://host[:port] of js_url. */
	if (strlen(c->js_url) >= PGW_URL_MAX ||
	    pgwc_origin(c->js_url, c->origin, sizeof(c->origin)) != 0) {
		snprintf(err, errsz, "stripe: bad js_url");
		goto err;
	}
	if (pgwc_origin(c->api_base, c->api_origin, PGW_ORIGIN_MAX) != 0) {
		snprintf(err, errsz, "stripe: bad api_base");
		goto err;
	}
	*ctx = c;
	return PGW_SUCCEEDED;
err:
	sp_fini(c);
	pgwc_copy(res->code, sizeof(res->code), "bad_config");
	return PGW_ERROR;
}

/* ---- the HTTP exchange and its mapping ---------------------------------- */

/* The client-safe text for a decline code (never Stripe's own text, which
 * may say more than the client should read, e.g. lost or stolen card). */
static const char *
decline_message(const char *code)
{
	if (strcmp(code, "insufficient_funds") == 0)
		return "Your card has insufficient funds.";
	if (strcmp(code, "expired_card") == 0)
		return "Your card has expired.";
	if (strcmp(code, "incorrect_cvc") == 0 ||
	    strcmp(code, "invalid_cvc") == 0)
		return "Your card's security code is incorrect.";
	if (strcmp(code, "incorrect_number") == 0 ||
	    strcmp(code, "invalid_number") == 0)
		return "Your card number is incorrect.";
	if (strcmp(code, "processing_error") == 0)
		return "An error occurred while processing your card. Try "
		       "again in a little while.";
	return "Your card was declined.";
}

/* Fills res for a card error object e (decline or authentication). */
static int32_t
card_error(json_t *e, struct pgw_result *res)
{
	const char *code = pgwc_jstr(e, "code");
	const char *dc = pgwc_jstr(e, "decline_code");

	if (strcmp(code, "authentication_required") == 0 ||
	    strcmp(dc, "authentication_required") == 0) {
		pgwc_copy(
		    res->code, sizeof(res->code), "authentication_required");
		pgwc_copy(res->message, sizeof(res->message), AUTH_MESSAGE);
		return PGW_REQUIRES_ACTION;
	}
	pgwc_copy(res->code, sizeof(res->code), dc[0] != '\0' ? dc : code);
	if (res->code[0] == '\0')
		pgwc_copy(res->code, sizeof(res->code), "card_declined");
	pgwc_copy(
	    res->message, sizeof(res->message), decline_message(res->code));
	return PGW_DECLINED;
}

/*
 * Performs one API call: method on path (with its query), form the body of
 * a POST (may be NULL), idem its Idempotency-Key (a POST without one gets a
 * random key: Stripe then still never applies a retried request twice within
 * this call). Maps the outcome (STRIPE errors: https://docs.stripe.com/api/
 * errors): connect failure and 429 -> RETRYABLE; no answer, 5xx or 409
 * (idempotent request in flight) after sending a POST -> UNKNOWN (a GET:
 * RETRYABLE); card_error -> DECLINED or REQUIRES_ACTION; other 4xx ->
 * ERROR (res->code the error code); 2xx -> SUCCEEDED. *out gets the parsed
 * JSON answer whenever there is one (caller frees).
 */
static int32_t
call(struct sp *c, const char *method, const char *path, struct tb *body,
    const char *idem, json_t **out, struct pgw_result *res)
{
	struct pgw_http_header h[4];
	struct pgw_http_request req;
	struct pgw_http_response resp;
	char url[PGW_URL_MAX * 2], auth[4200], rkey[64];
	json_t *j = NULL, *e;
	json_error_t jerr;
	int32_t o, st = PGW_ERROR;
	int is_get = strcmp(method, "GET") == 0;
	size_t nh = 0;

	*out = NULL;
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	resp.size = sizeof(resp);
	if (body != NULL && body->failed) {
		pgwc_seterr(res, "stripe: out of memory");
		return pgwc_done(res, PGW_ERROR);
	}
	if ((size_t)snprintf(url, sizeof(url), "%s%s", c->api_base, path) >=
	    sizeof(url)) {
		pgwc_seterr(res, "stripe: URL too long");
		return pgwc_done(res, PGW_ERROR);
	}
	if (!is_get && idem == NULL) {
		if (pgwc_random_key(c->host, rkey, sizeof(rkey)) != 0) {
			pgwc_seterr(res, "stripe: no randomness for a key");
			return pgwc_done(res, PGW_ERROR);
		}
		idem = rkey;
	}
	snprintf(auth, sizeof(auth), "Bearer %s", c->secret);
	h[nh].name = "Authorization";
	h[nh++].value = auth;
	if (!is_get) {
		h[nh].name = "Content-Type";
		h[nh++].value = "application/x-www-form-urlencoded";
		h[nh].name = "Idempotency-Key";
		h[nh++].value = idem;
	}
	if (c->api_version != NULL) {
		h[nh].name = "Stripe-Version";
		h[nh++].value = c->api_version;
	}
	req.size = sizeof(req);
	req.method = method;
	req.url = url;
	req.headers = h;
	req.nheaders = nh;
	req.body = body != NULL ? body->p : NULL;
	req.body_len = body != NULL ? body->n : 0;
	req.timeout_ms = c->timeout_ms;
	o = pgwc_http(c->host, "stripe", &req, path, &resp, res, &st);
	OPENSSL_cleanse(auth, sizeof(auth));
	if (!o)
		goto out;
	j = json_loadb(resp.body, resp.body_len, 0, &jerr);
	e = json_object_get(j, "error");
	if (resp.status == 429) {
		pgwc_rate_limited("stripe", method, path, &resp, res);
		pgwc_copy(res->code, sizeof(res->code),
		    e != NULL && pgwc_jstr(e, "code")[0] ? pgwc_jstr(e, "code")
		                                         : "rate_limit");
		st = PGW_RETRYABLE;
		goto out;
	}
	if (resp.status >= 500 || resp.status == 409 || resp.status < 200 ||
	    (resp.status < 300 && !json_is_object(j))) {
		pgwc_copy(res->code, sizeof(res->code),
		    e != NULL && pgwc_jstr(e, "code")[0] ? pgwc_jstr(e, "code")
		                                         : "bad_answer");
		pgwc_seterr(res, "stripe: %s %s: HTTP %d%s%s", method, path,
		    (int)resp.status, e != NULL ? ": " : "",
		    e != NULL ? pgwc_jstr(e, "message") : "");
		st = is_get ? PGW_RETRYABLE : PGW_UNKNOWN;
		goto out;
	}
	if (resp.status >= 400 &&
	    strcmp(pgwc_jstr(e, "type"), "card_error") == 0) {
		st = card_error(e, res);
		pgwc_seterr(res, "stripe: %s %s: HTTP %d card_error %s", method,
		    path, (int)resp.status, res->code);
		goto out;
	}
	if (resp.status >= 400) {
		pgwc_copy(res->code, sizeof(res->code),
		    e != NULL && pgwc_jstr(e, "code")[0]
		        ? pgwc_jstr(e, "code")
		        : pgwc_jstr(e, "type"));
		pgwc_seterr(res, "stripe: %s %s: HTTP %d %s: %s", method, path,
		    (int)resp.status, e != NULL ? pgwc_jstr(e, "type") : "",
		    e != NULL ? pgwc_jstr(e, "message") : "no error body");
		st = PGW_ERROR;
		goto out;
	}
	st = PGW_SUCCEEDED;
out:
	*out = j;
	c->host->http_free(c->host, &resp);
	return pgwc_done(res, st);
}

/* ---- operations ---------------------------------------------------------- */

static int32_t
sp_create_customer(void *p, const struct pgw_customer_req *req,
    struct pgw_customer *out, struct pgw_result *res)
{
	struct sp *c = p;
	struct tb b = {0};
	json_t *j = NULL;
	int32_t st;

	if (req->name != NULL)
		form(&b, "name", req->name);
	if (req->email != NULL)
		form(&b, "email", req->email);
	if (req->reference != NULL)
		form(&b, "metadata[portal_reference]", req->reference);
	st =
	    call(c, "POST", "/v1/customers", &b, req->idempotency_key, &j, res);
	if (st == PGW_SUCCEEDED) {
		pgwc_copy(out->id, sizeof(out->id), pgwc_jstr(j, "id"));
		if (strncmp(out->id, "cus_", 4) != 0) {
			pgwc_seterr(
			    res, "stripe: customer answer without an id");
			st = pgwc_done(res, PGW_ERROR);
		}
	}
	json_decref(j);
	free(b.p);
	return st;
}

static int32_t
sp_card_widget(void *p, struct pgw_widget *out, struct pgw_result *res)
{
	struct sp *c = p;
	char frames[PGW_ORIGIN_MAX * 2];

	pgwc_copy(out->script_url, sizeof(out->script_url), c->js_url);
	pgwc_copy(out->origin, sizeof(out->origin), c->origin);
	pgwc_copy(out->public_key, sizeof(out->public_key), c->publishable);
	pgwc_copy(out->mode, sizeof(out->mode),
	    strncmp(c->publishable, "pk_live_", 8) == 0 ? "live" : "test");
	/*
	 * 1.1: Stripe.js loads from js.stripe.com, frames js.stripe.com and
	 * hooks.stripe.com (3-D Secure) and calls api.stripe.com
	 * (https://docs.stripe.com/security/guide#content-security-policy).
	 * A configured js_url stands for both frame origins; csp_* keys
	 * replace any directive.
	 */
	snprintf(frames, sizeof(frames), "%.255s%s", c->origin,
	    c->js_default ? " " STRIPE_HOOKS_ORIGIN : "");
	pgwc_copy(out->sdk, sizeof(out->sdk), "stripe");
	if (pgwc_widget_value(out, "publishable_key", c->publishable) != 0 ||
	    pgwc_widget_origins(out, &c->csp, PGW_CSP_SCRIPT, c->origin) != 0 ||
	    pgwc_widget_origins(out, &c->csp, PGW_CSP_FRAME, frames) != 0 ||
	    pgwc_widget_origins(out, &c->csp, PGW_CSP_CONNECT, c->api_origin) !=
	        0 ||
	    pgwc_widget_origins(out, &c->csp, PGW_CSP_IMG, NULL) != 0 ||
	    pgwc_widget_origins(out, &c->csp, PGW_CSP_STYLE, NULL) != 0 ||
	    pgwc_widget_origins(out, &c->csp, PGW_CSP_FONT, NULL) != 0) {
		pgwc_seterr(res, "stripe: too many widget origins");
		return PGW_ERROR;
	}
	return PGW_SUCCEEDED;
}

/* Fills a card from a PaymentMethod object's "card" hash. */
static void
fill_card(json_t *pm, struct pgw_card *out)
{
	json_t *card = json_object_get(pm, "card");

	pgwc_copy(out->brand, sizeof(out->brand), pgwc_jstr(card, "brand"));
	pgwc_copy(out->last4, sizeof(out->last4), pgwc_jstr(card, "last4"));
	out->exp_month = (int32_t)pgwc_jint(card, "exp_month");
	out->exp_year = (int32_t)pgwc_jint(card, "exp_year");
}

/* After a SetupIntent answer (payment_method expanded): SUCCEEDED with the
 * card, REQUIRES_ACTION with the next action (stripe.handle_next_action),
 * DECLINED, or PENDING. */
static int32_t
si_result(json_t *j, struct pgw_card *out, struct pgw_result *res)
{
	json_t *pm;
	const char *status;
	int32_t st = PGW_SUCCEEDED;

	status = pgwc_jstr(j, "status");
	pm = json_object_get(j, "payment_method");
	if (strcmp(status, "succeeded") == 0 && json_is_object(pm)) {
		pgwc_copy(out->payment_method, sizeof(out->payment_method),
		    pgwc_jstr(pm, "id"));
		fill_card(pm, out);
	} else if (strcmp(status, "requires_action") == 0) {
		pgwc_copy(
		    res->code, sizeof(res->code), "authentication_required");
		pgwc_copy(res->message, sizeof(res->message),
		    "Your bank needs you to confirm this card before it can "
		    "be saved.");
		pgwc_seterr(res, "stripe: SetupIntent %s requires action",
		    pgwc_jstr(j, "id"));
		st = PGW_REQUIRES_ACTION;
		pgwc_action(
		    res, "stripe.handle_next_action", pgwc_jstr(j, "id"));
		pgwc_action_value(&res->action, "client_secret",
		    pgwc_jstr(j, "client_secret"));
	} else if (strcmp(status, "requires_payment_method") == 0 ||
	           strcmp(status, "canceled") == 0) {
		json_t *e = json_object_get(j, "last_setup_error");

		st = pgwc_done(res, card_error(e, res));
		pgwc_seterr(res, "stripe: SetupIntent %s: %s",
		    pgwc_jstr(j, "id"), res->code);
	} else {
		pgwc_seterr(res, "stripe: SetupIntent %s is %s",
		    pgwc_jstr(j, "id"), status);
		st = pgwc_done(res, PGW_PENDING);
	}
	return st;
}

/* Saves the card of a Stripe.js PaymentMethod (pm_...) for off-session use
 * without charging: a confirmed SetupIntent with usage=off_session, which
 * attaches the PaymentMethod to the customer when it succeeds. */
/* After a POST that sent a PaymentMethod from Stripe.js as the one-time
 * token: PGW_DECLINED with PGW_CODE_TOKEN_INVALID when Stripe refused
 * that PaymentMethod itself (resource_missing or
 * payment_method_unexpected_state on param "payment_method": unknown,
 * or used once already without being attached); else st. */
static int32_t
token_refused(int32_t st, json_t *j, struct pgw_result *res)
{
	json_t *e = json_object_get(j, "error");
	const char *code = pgwc_jstr(e, "code");

	if (st != PGW_ERROR || e == NULL ||
	    strcmp(pgwc_jstr(e, "param"), "payment_method") != 0)
		return st;
	if (strcmp(code, "resource_missing") == 0 ||
	    strcmp(code, "payment_method_unexpected_state") == 0)
		return pgwc_token_invalid(res);
	return st;
}

static int32_t
sp_save_card(void *p, const struct pgw_save_card_req *req, struct pgw_card *out,
    struct pgw_result *res)
{
	struct sp *c = p;
	struct tb b = {0};
	json_t *j = NULL;
	int32_t st;

	if (req->customer_id == NULL || req->token == NULL) {
		pgwc_seterr(
		    res, "stripe: save_card needs a customer and a token");
		return pgwc_done(res, PGW_ERROR);
	}
	form(&b, "customer", req->customer_id);
	form(&b, "payment_method", req->token);
	form(&b, "payment_method_types[0]", "card");
	form(&b, "usage", "off_session");
	form(&b, "confirm", "true");
	form(&b, "expand[0]", "payment_method");
	st = call(
	    c, "POST", "/v1/setup_intents", &b, req->idempotency_key, &j, res);
	st = token_refused(st, j, res);
	if (st != PGW_SUCCEEDED)
		goto out;
	st = si_result(j, out, res);
out:
	json_decref(j);
	free(b.p);
	return st;
}

/* The pgw status of a PaymentIntent (https://docs.stripe.com/payments/
 * paymentintents/lifecycle). */
static int32_t
pi_status(json_t *pi)
{
	const char *s = pgwc_jstr(pi, "status");
	json_t *e = json_object_get(pi, "last_payment_error");

	if (strcmp(s, "succeeded") == 0)
		return PGW_SUCCEEDED;
	if (strcmp(s, "requires_action") == 0)
		return PGW_REQUIRES_ACTION;
	if (strcmp(s, "requires_payment_method") == 0 ||
	    strcmp(s, "canceled") == 0) {
		if (strcmp(pgwc_jstr(e, "code"), "authentication_required") ==
		        0 ||
		    strcmp(pgwc_jstr(e, "decline_code"),
		        "authentication_required") == 0)
			return PGW_REQUIRES_ACTION;
		return PGW_DECLINED;
	}
	return PGW_PENDING; /* processing, requires_confirmation, ... */
}

/* Fills out from a PaymentIntent, expanded with latest_charge and
 * payment_method where available. */
static void
fill_payment(json_t *pi, struct pgw_payment *out)
{
	const char *cur = pgwc_jstr(pi, "currency");
	json_t *ch = json_object_get(pi, "latest_charge");
	json_t *pm = json_object_get(pi, "payment_method");
	json_t *e = json_object_get(pi, "last_payment_error");
	const char *dc;
	size_t i;

	pgwc_copy(out->ref, sizeof(out->ref), pgwc_jstr(pi, "id"));
	out->status = pi_status(pi);
	out->amount = pgwc_jint(pi, "amount");
	for (i = 0; cur[i] != '\0' && i + 1 < sizeof(out->currency); i++)
		out->currency[i] = (char)toupper((unsigned char)cur[i]);
	out->currency[i] = '\0';
	out->amount_refunded =
	    json_is_object(ch) ? pgwc_jint(ch, "amount_refunded") : 0;
	pgwc_copy(out->idempotency_key, sizeof(out->idempotency_key),
	    pgwc_jstr(json_object_get(pi, "metadata"), "idempotency_key"));
	pgwc_copy(out->card.payment_method, sizeof(out->card.payment_method),
	    jid(pi, "payment_method"));
	if (json_is_object(pm))
		fill_card(pm, &out->card);
	else if (json_is_object(ch)) /* its details hold a "card" too */
		fill_card(
		    json_object_get(ch, "payment_method_details"), &out->card);
	dc = pgwc_jstr(e, "decline_code");
	pgwc_copy(out->decline_code, sizeof(out->decline_code),
	    dc[0] != '\0' ? dc : pgwc_jstr(e, "code"));
	out->created_ms = pgwc_jint(pi, "created") * 1000;
}

/* The next action of a PaymentIntent that needs the client: in
 * requires_action, Stripe.js handleNextAction; refused off session with
 * authentication_required (requires_payment_method), confirmCardPayment
 * with its card, now on session
 * (https://docs.stripe.com/payments/save-and-reuse#recover). */
static void
pi_action(json_t *pi, struct pgw_result *res)
{
	const char *secret = pgwc_jstr(pi, "client_secret");

	if (secret[0] == '\0')
		return; /* the client cannot act on it: ACTION_NONE */
	if (strcmp(pgwc_jstr(pi, "status"), "requires_action") == 0) {
		pgwc_action(res, "stripe.handle_next_action", jid(pi, "id"));
		pgwc_action_value(&res->action, "client_secret", secret);
		return;
	}
	pgwc_action(res, "stripe.confirm_card_payment", jid(pi, "id"));
	pgwc_action_value(&res->action, "client_secret", secret);
	pgwc_action_value(
	    &res->action, "payment_method", jid(pi, "payment_method"));
}

/* After a PaymentIntent answer: the operation's status and res text. */
static int32_t
pi_result(json_t *pi, struct pgw_payment *out, struct pgw_result *res)
{
	fill_payment(pi, out);
	if (out->status == PGW_REQUIRES_ACTION) {
		pgwc_copy(
		    res->code, sizeof(res->code), "authentication_required");
		pgwc_copy(res->message, sizeof(res->message), AUTH_MESSAGE);
		pgwc_seterr(res,
		    "stripe: PaymentIntent %s needs authentication", out->ref);
		pi_action(pi, res);
	} else if (out->status == PGW_DECLINED) {
		card_error(json_object_get(pi, "last_payment_error"), res);
		pgwc_seterr(res, "stripe: PaymentIntent %s declined (%s)",
		    out->ref, res->code);
	}
	return pgwc_done(res, out->status);
}

static int32_t
sp_charge(void *p, const struct pgw_charge_req *req, struct pgw_payment *out,
    struct pgw_result *res)
{
	struct sp *c = p;
	struct tb b = {0};
	json_t *j = NULL;
	char cur[4];
	int32_t st;
	size_t i;

	if (req->currency == NULL || strlen(req->currency) != 3 ||
	    req->amount <= 0 || req->idempotency_key == NULL ||
	    (req->payment_method == NULL) == (req->token == NULL) ||
	    (req->save_card && req->customer_id == NULL)) {
		pgwc_seterr(res,
		    "stripe: charge needs an amount, a 3-letter "
		    "currency, an idempotency key and exactly one of "
		    "payment_method or token (save_card: a customer)");
		return pgwc_done(res, PGW_ERROR);
	}
	for (i = 0; i < 4; i++)
		cur[i] = (char)tolower((unsigned char)req->currency[i]);
	form_int(&b, "amount", req->amount);
	form(&b, "currency", cur);
	if (req->customer_id != NULL)
		form(&b, "customer", req->customer_id);
	form(&b, "payment_method",
	    req->payment_method != NULL ? req->payment_method : req->token);
	form(&b, "payment_method_types[0]", "card");
	form(&b, "confirm", "true");
	if (req->off_session)
		form(&b, "off_session", "true");
	if (req->save_card)
		form(&b, "setup_future_usage", "off_session");
	if (req->description != NULL)
		form(&b, "description", req->description);
	form(&b, "metadata[idempotency_key]", req->idempotency_key);
	form(&b, "expand[0]", "latest_charge");
	form(&b, "expand[1]", "payment_method");
	pgwc_copy(out->idempotency_key, sizeof(out->idempotency_key),
	    req->idempotency_key);
	out->amount = req->amount;
	pgwc_copy(out->currency, sizeof(out->currency), req->currency);
	st = call(c, "POST", "/v1/payment_intents", &b, req->idempotency_key,
	    &j, res);
	if (req->token != NULL)
		st = token_refused(st, j, res);
	if (st == PGW_SUCCEEDED)
		st = pi_result(j, out, res);
	else if (st == PGW_DECLINED || st == PGW_REQUIRES_ACTION) {
		/* A 402 card_error carries the PaymentIntent. */
		json_t *pi = json_object_get(
		    json_object_get(j, "error"), "payment_intent");

		if (json_is_object(pi)) {
			char code[PGW_CODE_MAX];

			pgwc_copy(code, sizeof(code), res->code);
			fill_payment(pi, out);
			pgwc_copy(
			    out->decline_code, sizeof(out->decline_code), code);
			if (st == PGW_REQUIRES_ACTION)
				pi_action(pi, res);
		}
		out->status = st;
	}
	if (out->status == PGW_SUCCEEDED && !req->save_card &&
	    req->payment_method == NULL)
		out->card.payment_method[0] = '\0'; /* one-time: not kept */
	json_decref(j);
	free(b.p);
	return st;
}

static int32_t
sp_refund(void *p, const struct pgw_refund_req *req, struct pgw_refund *out,
    struct pgw_result *res)
{
	struct sp *c = p;
	struct tb b = {0};
	json_t *j = NULL;
	const char *s;
	int32_t st;

	if (req->payment_ref == NULL || req->idempotency_key == NULL ||
	    req->amount < 0) {
		pgwc_seterr(res, "stripe: refund needs a payment and a key");
		return pgwc_done(res, PGW_ERROR);
	}
	form(&b, "payment_intent", req->payment_ref);
	if (req->amount > 0)
		form_int(&b, "amount", req->amount);
	/* Stripe's reason is an enum; the portal's text goes to metadata. */
	if (req->reason != NULL)
		form(&b, "metadata[reason]", req->reason);
	st = call(c, "POST", "/v1/refunds", &b, req->idempotency_key, &j, res);
	pgwc_copy(out->payment_ref, sizeof(out->payment_ref), req->payment_ref);
	if (st == PGW_SUCCEEDED) {
		pgwc_copy(out->ref, sizeof(out->ref), pgwc_jstr(j, "id"));
		out->amount = pgwc_jint(j, "amount");
		s = pgwc_jstr(j, "status");
		if (strcmp(s, "succeeded") == 0)
			out->status = PGW_SUCCEEDED;
		else if (strcmp(s, "failed") == 0 || strcmp(s, "canceled") == 0)
			out->status = PGW_DECLINED;
		else
			out->status = PGW_PENDING;
		if (out->status == PGW_DECLINED) {
			pgwc_copy(res->code, sizeof(res->code),
			    pgwc_jstr(j, "failure_reason"));
			pgwc_copy(res->message, sizeof(res->message),
			    "The refund could not be made.");
			pgwc_seterr(res, "stripe: refund %s %s", out->ref, s);
		}
		st = pgwc_done(res, out->status);
	}
	json_decref(j);
	free(b.p);
	return st;
}

/*
 * Lookup by idempotency key: every PaymentIntent this plugin creates
 * carries metadata[idempotency_key]. The Search API could find it in one
 * call, but Stripe documents search as eventually consistent ("don't use
 * search for read-after-write flows"): right after a timeout the payment may
 * not show yet, and a NOT_FOUND then would be a lie. Listing is strongly
 * consistent, so we list PaymentIntents created within lookup_window_hours
 * (newest first, 100 a page, at most 20 pages) and match the metadata.
 */
static int32_t
lookup_by_key(struct sp *c, const char *key, struct pgw_payment *out,
    struct pgw_result *res)
{
	char path[PGW_ID_MAX * 3 + 256];
	struct tb after = {0};
	json_t *j = NULL, *data, *pi, *found = NULL;
	int64_t since;
	int32_t st = PGW_ERROR;
	int page;
	size_t i;

	since = c->host->clock_ms(c->host) / 1000 - c->lookup_window_s;
	for (page = 0; page < LOOKUP_MAX_PAGES; page++) {
		snprintf(path, sizeof(path),
		    "/v1/payment_intents?limit=%d&created%%5Bgte%%5D=%lld"
		    "&expand%%5B0%%5D=data.latest_charge"
		    "&expand%%5B1%%5D=data.payment_method%s%s",
		    LOOKUP_PAGE, (long long)since,
		    after.n > 0 ? "&starting_after=" : "",
		    after.n > 0 ? after.p : "");
		json_decref(j);
		st = call(c, "GET", path, NULL, NULL, &j, res);
		if (st != PGW_SUCCEEDED)
			goto out;
		data = json_object_get(j, "data");
		json_array_foreach(data, i, pi)
		{
			if (strcmp(pgwc_jstr(json_object_get(pi, "metadata"),
			               "idempotency_key"),
			        key) == 0) {
				found = pi;
				break;
			}
		}
		if (found != NULL) {
			st = pi_result(found, out, res);
			goto out;
		}
		if (!json_is_true(json_object_get(j, "has_more")) ||
		    json_array_size(data) == 0)
			break;
		after.n = 0;
		tb_enc(&after,
		    pgwc_jstr(
		        json_array_get(data, json_array_size(data) - 1), "id"));
		if (after.failed) {
			pgwc_seterr(res, "stripe: out of memory");
			st = pgwc_done(res, PGW_ERROR);
			goto out;
		}
	}
	if (page == LOOKUP_MAX_PAGES) {
		pgwc_seterr(res,
		    "stripe: more than %d PaymentIntents in the lookup window; "
		    "look the key up in the Dashboard",
		    LOOKUP_PAGE * LOOKUP_MAX_PAGES);
		st = pgwc_done(res, PGW_ERROR);
		goto out;
	}
	pgwc_seterr(res,
	    "stripe: no PaymentIntent with that idempotency key in the "
	    "last %lld hours",
	    (long long)(c->lookup_window_s / 3600));
	st = pgwc_done(res, PGW_NOT_FOUND);
out:
	json_decref(j);
	free(after.p);
	return st;
}

static int32_t
sp_lookup(void *p, const struct pgw_lookup_req *req, struct pgw_payment *out,
    struct pgw_result *res)
{
	struct sp *c = p;
	struct tb path = {0};
	json_t *j = NULL;
	int32_t st;

	if (req->payment_ref == NULL) {
		if (req->idempotency_key == NULL) {
			pgwc_seterr(res, "stripe: lookup needs a key or a ref");
			return pgwc_done(res, PGW_ERROR);
		}
		return lookup_by_key(c, req->idempotency_key, out, res);
	}
	tb_puts(&path, "/v1/payment_intents/");
	tb_enc(&path, req->payment_ref);
	tb_puts(&path, "?expand%5B0%5D=latest_charge"
	               "&expand%5B1%5D=payment_method");
	if (path.failed) {
		pgwc_seterr(res, "stripe: out of memory");
		return pgwc_done(res, PGW_ERROR);
	}
	st = call(c, "GET", path.p, NULL, NULL, &j, res);
	if (st == PGW_ERROR && res->http_status == 404) {
		pgwc_seterr(
		    res, "stripe: no PaymentIntent %s", req->payment_ref);
		st = pgwc_done(res, PGW_NOT_FOUND);
	} else if (st == PGW_SUCCEEDED)
		st = pi_result(j, out, res);
	json_decref(j);
	free(path.p);
	return st;
}

/* ---- webhooks ------------------------------------------------------------ */

/*
 * Verifies a Stripe-Signature header (https://docs.stripe.com/webhooks#
 * verify-manually): "t=<unix>,v1=<hex>[,v1=<hex>...]" (other schemes such as
 * v0 ignored); the expected v1 is hex HMAC-SHA256(secret, "<t>.<raw body>"),
 * compared in constant time against every v1; |now - t| must be within
 * 300 s. Returns 0 when it verifies, else -1 with res->code and err set.
 */
static int
verify_signature(struct sp *c, const char *sig, const char *body,
    size_t body_len, struct pgw_result *res)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1], tbuf[24] = "";
	const char *s;
	long long t = -1, now;
	int ok = 0, nv1 = 0;

	pgwc_copy(res->code, sizeof(res->code), "signature_invalid");
	for (s = sig; *s != '\0';) {
		size_t len = strcspn(s, ",");

		while (len > 0 && *s == ' ') {
			s++;
			len--;
		}
		if (len > 2 && strncmp(s, "t=", 2) == 0 &&
		    len - 2 < sizeof(tbuf) &&
		    strspn(s + 2, "0123456789") == len - 2) {
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
		    res, "stripe: Stripe-Signature without a timestamp");
		return -1;
	}
	if (pgwc_hmac_sha256(c->whsec, tbuf, strlen(tbuf), ".", 1, body,
	        body_len, mac, &maclen) != 0) {
		pgwc_seterr(res, "stripe: out of memory");
		return -1;
	}
	pgwc_hex(mac, maclen, hex);
	for (s = sig; *s != '\0';) {
		size_t len = strcspn(s, ",");

		while (len > 0 && *s == ' ') {
			s++;
			len--;
		}
		if (len > 3 && strncmp(s, "v1=", 3) == 0) {
			nv1++;
			if (len - 3 == 2 * (size_t)maclen &&
			    CRYPTO_memcmp(s + 3, hex, 2 * (size_t)maclen) == 0)
				ok = 1;
		}
		s += len;
		if (*s == ',')
			s++;
	}
	OPENSSL_cleanse(hex, sizeof(hex));
	if (!ok) {
		pgwc_seterr(res,
		    "stripe: webhook signature does not verify (%d v1 "
		    "signature%s)",
		    nv1, nv1 == 1 ? "" : "s");
		return -1;
	}
	now = (long long)(c->host->clock_ms(c->host) / 1000);
	if (now - t > WEBHOOK_TOLERANCE || t - now > WEBHOOK_TOLERANCE) {
		pgwc_copy(res->code, sizeof(res->code), "signature_stale");
		pgwc_seterr(res,
		    "stripe: webhook timestamp is %llds away from now "
		    "(tolerance %ds)",
		    now - t, WEBHOOK_TOLERANCE);
		return -1;
	}
	res->code[0] = '\0';
	return 0;
}

static int32_t
sp_webhook(void *p, const struct pgw_webhook_req *req, struct pgw_event *out,
    struct pgw_result *res)
{
	struct sp *c = p;
	const char *sig = NULL, *type;
	json_t *j = NULL, *obj;
	json_error_t jerr;
	int32_t st = PGW_ERROR;

	if (c->whsec == NULL) {
		pgwc_seterr(res,
		    "stripe: webhook_secret_file or webhook_secret_env "
		    "is not configured");
		return pgwc_done(res, PGW_ERROR);
	}
	sig = pgwc_header(req->headers, req->nheaders, "Stripe-Signature");
	if (sig == NULL) {
		pgwc_copy(res->code, sizeof(res->code), "signature_invalid");
		pgwc_seterr(res, "stripe: webhook without a Stripe-Signature");
		return pgwc_done(res, PGW_ERROR);
	}
	if (req->body == NULL ||
	    verify_signature(c, sig, req->body, req->body_len, res) != 0)
		return pgwc_done(res, PGW_ERROR);
	/* Only now, verified, is the body parsed. */
	if ((j = json_loadb(req->body, req->body_len, 0, &jerr)) == NULL ||
	    !json_is_object(j)) {
		pgwc_copy(res->code, sizeof(res->code), "bad_payload");
		pgwc_seterr(res, "stripe: webhook body is not a JSON object");
		goto out;
	}
	pgwc_copy(out->id, sizeof(out->id), pgwc_jstr(j, "id"));
	type = pgwc_jstr(j, "type");
	pgwc_copy(out->type_name, sizeof(out->type_name), type);
	out->created_ms = pgwc_jint(j, "created") * 1000;
	obj = json_object_get(json_object_get(j, "data"), "object");
	out->type = PGW_EVENT_OTHER;
	if (strncmp(type, "payment_intent.", 15) == 0) {
		pgwc_copy(out->payment_ref, sizeof(out->payment_ref),
		    pgwc_jstr(obj, "id"));
		out->amount = pgwc_jint(obj, "amount");
		out->status = pi_status(obj);
		if (strcmp(type, "payment_intent.succeeded") == 0)
			out->type = PGW_EVENT_PAYMENT_SUCCEEDED;
		else if (strcmp(type, "payment_intent.payment_failed") == 0 ||
		         strcmp(type, "payment_intent.canceled") == 0)
			out->type = PGW_EVENT_PAYMENT_FAILED;
		else if (strcmp(type, "payment_intent.processing") == 0)
			out->type = PGW_EVENT_PAYMENT_PENDING;
	} else if (strcmp(type, "charge.refunded") == 0) {
		/* A Charge: amount_refunded is the running total. */
		pgwc_copy(out->payment_ref, sizeof(out->payment_ref),
		    jid(obj, "payment_intent"));
		out->amount = pgwc_jint(obj, "amount_refunded");
		out->status = PGW_SUCCEEDED;
		out->type = PGW_EVENT_REFUND_SUCCEEDED;
	} else if (strcmp(type, "refund.failed") == 0 ||
	           (strcmp(type, "charge.refund.updated") == 0 &&
	               strcmp(pgwc_jstr(obj, "status"), "failed") == 0)) {
		pgwc_copy(out->payment_ref, sizeof(out->payment_ref),
		    jid(obj, "payment_intent"));
		out->amount = pgwc_jint(obj, "amount");
		out->status = PGW_SUCCEEDED;
		out->type = PGW_EVENT_REFUND_FAILED;
	} else if (strncmp(type, "charge.dispute.", 15) == 0) {
		/* No dispute type in ABI 1.0: OTHER, with the payment and
		 * the disputed amount; type_name says which. */
		pgwc_copy(out->payment_ref, sizeof(out->payment_ref),
		    jid(obj, "payment_intent"));
		out->amount = pgwc_jint(obj, "amount");
		out->status = PGW_SUCCEEDED;
	}
	if (out->id[0] == '\0' || type[0] == '\0') {
		pgwc_copy(res->code, sizeof(res->code), "bad_payload");
		pgwc_seterr(
		    res, "stripe: webhook event without an id or a type");
		goto out;
	}
	st = PGW_SUCCEEDED;
out:
	json_decref(j);
	return pgwc_done(res, st);
}

/*
 * ABI 1.1: after Stripe.js ran the next action of PaymentIntent req->ref
 * (handleNextAction or confirmCardPayment): reads it; succeeded, declined
 * (payment_intent_authentication_failure), or still needing the client.
 * Read-only, so repeating it is safe; the PaymentIntent must be the one
 * made under the charge's idempotency key.
 */
static int32_t
sp_complete_charge(void *p, const struct pgw_complete_req *req,
    struct pgw_payment *out, struct pgw_result *res)
{
	struct sp *c = p;
	struct tb id = {0};
	char path[PGW_ID_MAX * 3 + 96];
	json_t *j = NULL;
	int32_t st;

	tb_enc(&id, req->ref);
	if (id.failed) {
		pgwc_seterr(res, "stripe: out of memory");
		return PGW_ERROR;
	}
	snprintf(path, sizeof(path),
	    "/v1/payment_intents/%s?expand%%5B0%%5D=latest_charge"
	    "&expand%%5B1%%5D=payment_method",
	    id.p);
	st = call(c, "GET", path, NULL, NULL, &j, res);
	if (st != PGW_SUCCEEDED)
		goto out;
	if (strcmp(pgwc_jstr(json_object_get(j, "metadata"), "idempotency_key"),
	        req->charge->idempotency_key) != 0) {
		pgwc_copy(res->code, sizeof(res->code), "ref_mismatch");
		pgwc_seterr(res,
		    "stripe: PaymentIntent %s was not made under this "
		    "idempotency key",
		    req->ref);
		st = PGW_ERROR;
		goto out;
	}
	st = pi_result(j, out, res);
out:
	json_decref(j);
	free(id.p);
	return st;
}

/* ABI 1.1: after Stripe.js ran the next action of SetupIntent req->ref:
 * reads it (the customer's own only). */
static int32_t
sp_complete_save_card(void *p, const struct pgw_complete_req *req,
    struct pgw_card *out, struct pgw_result *res)
{
	struct sp *c = p;
	struct tb id = {0};
	char path[PGW_ID_MAX * 3 + 64];
	json_t *j = NULL;
	int32_t st;

	tb_enc(&id, req->ref);
	if (id.failed) {
		pgwc_seterr(res, "stripe: out of memory");
		return PGW_ERROR;
	}
	snprintf(path, sizeof(path),
	    "/v1/setup_intents/%s?expand%%5B0%%5D=payment_method", id.p);
	st = call(c, "GET", path, NULL, NULL, &j, res);
	if (st != PGW_SUCCEEDED)
		goto out;
	if (req->save->customer_id == NULL ||
	    strcmp(jid(j, "customer"), req->save->customer_id) != 0) {
		pgwc_copy(res->code, sizeof(res->code), "ref_mismatch");
		pgwc_seterr(res,
		    "stripe: SetupIntent %s is not this customer's", req->ref);
		st = PGW_ERROR;
		goto out;
	}
	st = si_result(j, out, res);
out:
	json_decref(j);
	free(id.p);
	return st;
}

static const struct pgw_plugin stripe_plugin = {
    PGW_PLUGIN_HEADER,
    .name = "stripe",
    .version = "1.1",
    .caps = PGW_CAP_SAVE_CARD | PGW_CAP_ONE_TIME_TOKEN |
            PGW_CAP_PARTIAL_REFUND | PGW_CAP_OFF_SESSION | PGW_CAP_WEBHOOK |
            PGW_CAP_LOOKUP_BY_KEY | PGW_CAP_THREADSAFE | PGW_CAP_NEXT_ACTION,
    .config = sp_config,
    .nconfig = sizeof(sp_config) / sizeof(sp_config[0]),
    .fini = sp_fini,
    .create_customer = sp_create_customer,
    .card_widget = sp_card_widget,
    .save_card = sp_save_card,
    .charge = sp_charge,
    .refund = sp_refund,
    .lookup = sp_lookup,
    .webhook = sp_webhook,
    .init2 = sp_init2,
    .complete_charge = sp_complete_charge,
    .complete_save_card = sp_complete_save_card,
};

/* The plugin's one exported symbol: returns the static descriptor. */
PGW_DEFINE_ENTRY(stripe_plugin)
