/* square.c: the Square gateway plugin: Customers, Cards (card on file),
 * Payments, Refunds and signed webhooks over Square's JSON v2 API
 * (https://developer.squareup.com/reference/square), through the host's
 * HTTP service. See gateways/square/README. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "gateway.h"
#include "pgw_common.h"

#define DEFAULT_API_BASE   "https://connect.squareup.com"
#define DEFAULT_VERSION    "2025-01-23"
#define JS_URL_PRODUCTION  "https://web.squarecdn.com/v1/square.js"
#define JS_URL_SANDBOX     "https://sandbox.web.squarecdn.com/v1/square.js"
#define SQ_PCI_PRODUCTION  "https://pci-connect.squareup.com"
#define SQ_PCI_SANDBOX     "https://pci-connect.squareupsandbox.com"
#define SQ_3DS_ORIGIN      "https://*.cardinalcommerce.com"
#define SQ_FONT_ORIGIN     "https://square-fonts-production-f.squarecdn.com"
#define DEFAULT_TIMEOUT_MS 20000
#define SQ_KEY_MAX         40 /* reference_id limit; idempotency_key: 45 */
#define LOOKUP_MAX_PAGES   20
#define SIGNATURE_HEADER   "x-square-hmacsha256-signature"

/* One practice's Square seller account and location. */
struct sq {
	const struct pgw_host *host;
	char *api_base; /* no trailing '/' */
	char *token;    /* access token; wiped in fini */
	char *app_id;
	char *location;
	char *version;
	char *sigkey; /* webhook signature key or NULL; wiped */
	char *notify_url;
	char *js_url;
	char origin[PGW_URL_MAX];
	uint32_t timeout_ms;
	int64_t lookup_window_s;
	struct pgwc_csp csp;
	int js_default; /* js_url not configured: Square's own origins */
};

static const struct pgw_conf_key sq_config[] = {
    {"api_base", PGW_CONF_URL, 0,
        "Square API base URL (default https://connect.squareup.com; "
        "https://connect.squareupsandbox.com for the Sandbox; a local "
        "simulator in tests)"},
    {"access_token_file", PGW_CONF_SECRET_FILE, 0,
        "file holding the access token (or access_token_env)"},
    {"access_token_env", PGW_CONF_SECRET_ENV, 0,
        "environment variable holding the access token (or "
        "access_token_file)"},
    {"application_id", PGW_CONF_STRING, 1,
        "the application id for the Web Payments SDK (sq0idp-... or "
        "sandbox-sq0idb-...)"},
    {"location_id", PGW_CONF_STRING, 1,
        "the seller location that takes the payments"},
    {"square_version", PGW_CONF_STRING, 0,
        "Square-Version header to send (default 2025-01-23)"},
    {"webhook_signature_key_file", PGW_CONF_SECRET_FILE, 0,
        "file holding the webhook subscription's signature key (needed "
        "for webhooks)"},
    {"webhook_signature_key_env", PGW_CONF_SECRET_ENV, 0,
        "environment variable holding the webhook signature key"},
    {"webhook_notification_url", PGW_CONF_URL, 0,
        "the notification URL exactly as in the webhook subscription "
        "(it is part of what Square signs)"},
    {"js_url", PGW_CONF_URL, 0,
        "Web Payments SDK URL (default from application_id: the Sandbox "
        "or the production square.js)"},
    {"timeout_ms", PGW_CONF_INT, 0,
        "milliseconds to wait for Square (default 20000)"},
    {"lookup_window_hours", PGW_CONF_INT, 0,
        "how far back a lookup by idempotency key lists payments "
        "(default 48)"},
    PGWC_CSP_CONF_KEYS,
};

#define AUTH_MESSAGE                                                     \
	"Your bank needs you to confirm this payment. Please pay again " \
	"from the portal to complete it."

/* ---- small helpers ------------------------------------------------------ */

/* Copies src lower-cased (Square's codes are upper-case). */
static void
copy_lower(char *dst, size_t dstsz, const char *src)
{
	size_t i;

	for (i = 0; src != NULL && src[i] != '\0' && i + 1 < dstsz; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	if (dstsz > 0)
		dst[i] = '\0';
}

/* Milliseconds since the epoch of an RFC 3339 UTC time, or 0. */
static int64_t
rfc3339_ms(const char *s)
{
	struct tm tm;
	int ms = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
	        &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	if (s[19] == '.')
		sscanf(s + 20, "%3d", &ms);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

/*
 * Square's idempotency_key is at most 45 characters, and the plugin also
 * stores the key in the payment's reference_id (at most 40) so that lookup
 * can find it. A key of at most 40 printable characters is used as is;
 * a longer one becomes "k:" + the first 38 hex digits of its SHA-256, the
 * same for the same key, so a retry or a lookup maps to the same payment.
 * prefix (may be "") distinguishes derived keys of other requests.
 */
static void
sq_key(const char *prefix, const char *key, char out[SQ_KEY_MAX + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char buf[PGW_KEY_MAX + 16];
	size_t n;

	snprintf(buf, sizeof(buf), "%s%s", prefix, key);
	n = strlen(buf);
	if (n <= SQ_KEY_MAX) {
		memcpy(out, buf, n + 1);
		return;
	}
	SHA256((const unsigned char *)buf, n, md);
	memcpy(out, "k:", 2);
	pgwc_hex(md, 19, out + 2);
}

/* ---- init / fini -------------------------------------------------------- */

static void
sq_fini(void *p)
{
	struct sq *c = p;

	if (c == NULL)
		return;
	free(c->api_base);
	pgwc_wipe_free(c->token);
	free(c->app_id);
	free(c->location);
	free(c->version);
	pgwc_wipe_free(c->sigkey);
	free(c->notify_url);
	free(c->js_url);
	pgwc_csp_free(&c->csp);
	free(c);
}

/* ABI 1.1 init2: problems go to res->err (code "bad_config"). */
static int32_t
sq_init2(const struct pgw_host *host, const struct pgw_kv *kv, size_t n,
    void **ctx, struct pgw_result *res)
{
	char *err = res->err;
	size_t errsz = res->errsz;
	struct sq *c;
	size_t i;
	int ntok = 0, nsig = 0, r;
	const char *js;

	*ctx = NULL;
	if (pgwc_host_ok(host, "square", err, errsz) != 0)
		return PGW_ERROR;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errsz, "square: out of memory");
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
		else if (strcmp(k, "access_token_file") == 0 ||
		         strcmp(k, "access_token_env") == 0) {
			dst = &c->token;
			if (++ntok > 1) {
				snprintf(err, errsz,
				    "%s: give access_token_file or "
				    "access_token_env, not both",
				    kv[i].where);
				goto err;
			}
		} else if (strcmp(k, "webhook_signature_key_file") == 0 ||
		           strcmp(k, "webhook_signature_key_env") == 0) {
			dst = &c->sigkey;
			if (++nsig > 1) {
				snprintf(err, errsz,
				    "%s: give webhook_signature_key_file or "
				    "webhook_signature_key_env, not both",
				    kv[i].where);
				goto err;
			}
		} else if (strcmp(k, "application_id") == 0)
			dst = &c->app_id;
		else if (strcmp(k, "location_id") == 0)
			dst = &c->location;
		else if (strcmp(k, "square_version") == 0) {
			int y, m, d;
			char tail;

			if (sscanf(v, "%4d-%2d-%2d%c", &y, &m, &d, &tail) !=
			        3 ||
			    strlen(v) != 10) {
				snprintf(err, errsz,
				    "%s: square_version must look like "
				    "2025-01-23",
				    kv[i].where);
				goto err;
			}
			dst = &c->version;
		} else if (strcmp(k, "webhook_notification_url") == 0)
			dst = &c->notify_url;
		else if (strcmp(k, "js_url") == 0)
			dst = &c->js_url;
		else if (strcmp(k, "timeout_ms") == 0) {
			if (pgwc_conf_timeout(v, kv[i].where, &c->timeout_ms,
			        err, errsz) != 0)
				goto err;
		} else if (strcmp(k, "lookup_window_hours") == 0) {
			long long h = strtoll(v, NULL, 10);

			if (h < 1 || h > 24 * 365) {
				snprintf(err, errsz,
				    "%s: lookup_window_hours must be 1 to "
				    "8760",
				    kv[i].where);
				goto err;
			}
			c->lookup_window_s = (int64_t)h * 3600;
		}
		if (dst != NULL && (*dst = strdup(v)) == NULL) {
			snprintf(err, errsz, "square: out of memory");
			goto err;
		}
	}
	if (c->token == NULL || c->app_id == NULL || c->location == NULL) {
		snprintf(err, errsz,
		    "square needs application_id, location_id and one of "
		    "access_token_file or access_token_env");
		goto err;
	}
	if (c->sigkey != NULL && c->notify_url == NULL) {
		snprintf(err, errsz,
		    "square: webhook_notification_url is needed with the "
		    "webhook signature key (Square signs the URL with the "
		    "body)");
		goto err;
	}
	js = strncmp(c->app_id, "sandbox-", 8) == 0 ? JS_URL_SANDBOX
	                                            : JS_URL_PRODUCTION;
	c->js_default = c->js_url == NULL;
	if ((c->api_base == NULL &&
	        (c->api_base = strdup(DEFAULT_API_BASE)) == NULL) ||
	    (c->version == NULL &&
	        (c->version = strdup(DEFAULT_VERSION)) == NULL) ||
	    (c->js_url == NULL && (c->js_url = strdup(js)) == NULL)) {
		snprintf(err, errsz, "square: out of memory");
		goto err;
	}
	pgwc_trim_slash(c->api_base);
	if (strlen(c->js_url) >= PGW_URL_MAX ||
	    pgwc_origin(c->js_url, c->origin, sizeof(c->origin)) != 0) {
		snprintf(err, errsz, "square: bad js_url");
		goto err;
	}
	*ctx = c;
	return PGW_SUCCEEDED;
err:
	sq_fini(c);
	pgwc_copy(res->code, sizeof(res->code), "bad_config");
	return PGW_ERROR;
}

/* ---- the HTTP exchange and its mapping ---------------------------------- */

/* Client-safe text for a Square decline code (lower-cased). */
static const char *
decline_message(const char *code)
{
	if (strcmp(code, "insufficient_funds") == 0)
		return "Your card has insufficient funds.";
	if (strcmp(code, "cvv_failure") == 0)
		return "Your card's security code is incorrect.";
	if (strcmp(code, "address_verification_failure") == 0)
		return "The ZIP code does not match your card.";
	if (strcmp(code, "card_expired") == 0 ||
	    strcmp(code, "invalid_expiration") == 0 ||
	    strcmp(code, "bad_expiration") == 0 ||
	    strcmp(code, "expiration_failure") == 0)
		return "Your card's expiration date is incorrect or has "
		       "passed.";
	if (strcmp(code, "card_not_supported") == 0)
		return "This card is not supported. Please use another card.";
	if (strcmp(code, "card_token_expired") == 0 ||
	    strcmp(code, "card_token_used") == 0)
		return "The card details expired. Please enter your card "
		       "again.";
	return "Your card was declined.";
}

/* Fills res from a PAYMENT_METHOD_ERROR; returns DECLINED or
 * REQUIRES_ACTION. */
static int32_t
card_error(json_t *e, struct pgw_result *res)
{
	copy_lower(res->code, sizeof(res->code), pgwc_jstr(e, "code"));
	if (res->code[0] == '\0')
		pgwc_copy(res->code, sizeof(res->code), "generic_decline");
	if (strcmp(res->code, "card_declined_verification_required") == 0) {
		pgwc_copy(res->message, sizeof(res->message), AUTH_MESSAGE);
		return PGW_REQUIRES_ACTION;
	}
	pgwc_copy(
	    res->message, sizeof(res->message), decline_message(res->code));
	return PGW_DECLINED;
}

/*
 * Performs one API call: method on path (with its query), body the JSON of
 * a POST (may be NULL). Maps the outcome (Square errors: https://developer.
 * squareup.com/docs/build-basics/handling-errors): connect failure and 429
 * -> RETRYABLE; no answer or 5xx after sending a POST -> UNKNOWN (a GET:
 * RETRYABLE); an error of category PAYMENT_METHOD_ERROR -> DECLINED or
 * REQUIRES_ACTION (CARD_DECLINED_VERIFICATION_REQUIRED); other 4xx ->
 * ERROR (res->code the first error's code, lower-cased); 2xx -> SUCCEEDED.
 * *out gets the parsed answer whenever there is one (caller frees).
 */
static int32_t
call(struct sq *c, const char *method, const char *path, json_t *body,
    json_t **out, struct pgw_result *res)
{
	struct pgw_http_header h[4];
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
		pgwc_seterr(res, "square: URL too long");
		return pgwc_done(res, PGW_ERROR);
	}
	if (body != NULL &&
	    (text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		pgwc_seterr(res, "square: out of memory");
		return pgwc_done(res, PGW_ERROR);
	}
	snprintf(auth, sizeof(auth), "Bearer %s", c->token);
	h[nh].name = "Authorization";
	h[nh++].value = auth;
	h[nh].name = "Square-Version";
	h[nh++].value = c->version;
	h[nh].name = "Accept";
	h[nh++].value = "application/json";
	if (text != NULL) {
		h[nh].name = "Content-Type";
		h[nh++].value = "application/json";
	}
	req.size = sizeof(req);
	req.method = method;
	req.url = url;
	req.headers = h;
	req.nheaders = nh;
	req.body = text;
	req.body_len = text != NULL ? strlen(text) : 0;
	req.timeout_ms = c->timeout_ms;
	o = pgwc_http(c->host, "square", &req, path, &resp, res, &st);
	OPENSSL_cleanse(auth, sizeof(auth));
	if (!o)
		goto out;
	j = json_loadb(resp.body, resp.body_len, 0, &jerr);
	e = json_array_get(json_object_get(j, "errors"), 0);
	if (resp.status == 429) {
		pgwc_rate_limited("square", method, path, &resp, res);
		pgwc_copy(res->code, sizeof(res->code), "rate_limited");
		st = PGW_RETRYABLE;
		goto out;
	}
	if (resp.status >= 500 || resp.status < 200 ||
	    (resp.status < 300 && !json_is_object(j))) {
		if (e != NULL)
			copy_lower(
			    res->code, sizeof(res->code), pgwc_jstr(e, "code"));
		else
			pgwc_copy(res->code, sizeof(res->code), "bad_answer");
		pgwc_seterr(res, "square: %s %s: HTTP %d%s%s", method, path,
		    (int)resp.status, e != NULL ? ": " : "",
		    e != NULL ? pgwc_jstr(e, "detail") : "");
		st = is_get ? PGW_RETRYABLE : PGW_UNKNOWN;
		goto out;
	}
	if (resp.status >= 400 &&
	    strcmp(pgwc_jstr(e, "category"), "PAYMENT_METHOD_ERROR") == 0) {
		st = card_error(e, res);
		pgwc_seterr(res, "square: %s %s: HTTP %d %s", method, path,
		    (int)resp.status, pgwc_jstr(e, "code"));
		goto out;
	}
	if (resp.status >= 400) {
		copy_lower(res->code, sizeof(res->code),
		    e != NULL ? pgwc_jstr(e, "code") : "http_error");
		pgwc_seterr(res, "square: %s %s: HTTP %d %s %s: %s", method,
		    path, (int)resp.status, pgwc_jstr(e, "category"),
		    pgwc_jstr(e, "code"),
		    e != NULL ? pgwc_jstr(e, "detail") : "no error body");
		st = PGW_ERROR;
		goto out;
	}
	st = PGW_SUCCEEDED;
out:
	*out = j;
	free(text);
	c->host->http_free(c->host, &resp);
	return pgwc_done(res, st);
}

/* ---- operations ---------------------------------------------------------- */

static int32_t
sq_create_customer(void *p, const struct pgw_customer_req *req,
    struct pgw_customer *out, struct pgw_result *res)
{
	struct sq *c = p;
	char key[SQ_KEY_MAX + 1];
	json_t *b, *j = NULL;
	int32_t st;

	if (req->idempotency_key != NULL)
		sq_key("cus:", req->idempotency_key, key);
	else if (pgwc_random_key(c->host, key, SQ_KEY_MAX + 1) != 0) {
		pgwc_seterr(res, "square: no randomness for a key");
		return pgwc_done(res, PGW_ERROR);
	}
	b = json_pack("{s:s}", "idempotency_key", key);
	if (req->name != NULL) {
		/* Square keeps given and family names apart: split at the
		 * last space. */
		const char *sp = strrchr(req->name, ' ');

		if (sp != NULL && sp != req->name && sp[1] != '\0') {
			json_object_set_new(b, "given_name",
			    json_stringn(req->name, (size_t)(sp - req->name)));
			json_object_set_new(
			    b, "family_name", json_string(sp + 1));
		} else
			json_object_set_new(
			    b, "given_name", json_string(req->name));
	}
	if (req->email != NULL)
		json_object_set_new(
		    b, "email_address", json_string(req->email));
	if (req->reference != NULL)
		json_object_set_new(
		    b, "reference_id", json_string(req->reference));
	st = call(c, "POST", "/v2/customers", b, &j, res);
	if (st == PGW_SUCCEEDED) {
		pgwc_copy(out->id, sizeof(out->id),
		    pgwc_jstr(json_object_get(j, "customer"), "id"));
		if (out->id[0] == '\0') {
			pgwc_seterr(
			    res, "square: customer answer without an id");
			st = pgwc_done(res, PGW_ERROR);
		}
	}
	json_decref(j);
	json_decref(b);
	return st;
}

static int32_t
sq_card_widget(void *p, struct pgw_widget *out, struct pgw_result *res)
{
	struct sq *c = p;
	int sandbox = strncmp(c->app_id, "sandbox-", 8) == 0;
	const char *pci = sandbox ? SQ_PCI_SANDBOX : SQ_PCI_PRODUCTION;
	char frame[PGW_ORIGIN_MAX * 2], connect[PGW_ORIGIN_MAX * 3];

	pgwc_copy(out->script_url, sizeof(out->script_url), c->js_url);
	pgwc_copy(out->origin, sizeof(out->origin), c->origin);
	pgwc_copy(out->public_key, sizeof(out->public_key), c->app_id);
	pgwc_copy(out->mode, sizeof(out->mode), sandbox ? "test" : "live");
	/*
	 * 1.1: the Web Payments SDK loads, frames and styles from
	 * [sandbox.]web.squarecdn.com and tokenizes through
	 * pci-connect.squareup[sandbox].com (https://developer.squareup.com/
	 * docs/web-payments/content-security-policy); verifyBuyer's 3-D
	 * Secure runs in Cardinal Commerce frames. A configured js_url
	 * stands for all of them; csp_* keys replace any directive.
	 */
	if (c->js_default) {
		snprintf(
		    frame, sizeof(frame), "%.255s " SQ_3DS_ORIGIN, c->origin);
		snprintf(connect, sizeof(connect), "%.255s %s " SQ_3DS_ORIGIN,
		    c->origin, pci);
	} else {
		pgwc_copy(frame, sizeof(frame), c->origin);
		pgwc_copy(connect, sizeof(connect), c->origin);
	}
	pgwc_copy(out->sdk, sizeof(out->sdk), "square");
	if (pgwc_widget_value(out, "application_id", c->app_id) != 0 ||
	    pgwc_widget_value(out, "location_id", c->location) != 0 ||
	    pgwc_widget_origins(out, &c->csp, PGW_CSP_SCRIPT, c->origin) != 0 ||
	    pgwc_widget_origins(out, &c->csp, PGW_CSP_FRAME, frame) != 0 ||
	    pgwc_widget_origins(out, &c->csp, PGW_CSP_CONNECT, connect) != 0 ||
	    pgwc_widget_origins(out, &c->csp, PGW_CSP_IMG, NULL) != 0 ||
	    pgwc_widget_origins(out, &c->csp, PGW_CSP_STYLE, c->origin) != 0 ||
	    pgwc_widget_origins(out, &c->csp, PGW_CSP_FONT,
	        c->js_default ? SQ_FONT_ORIGIN : NULL) != 0) {
		pgwc_seterr(res, "square: too many widget origins");
		return PGW_ERROR;
	}
	return PGW_SUCCEEDED;
}

/* Square's card_brand (VISA, MASTERCARD, ...) as the portal writes it. */
static void
brand(const char *b, char *out, size_t outsz)
{
	if (strcmp(b, "AMERICAN_EXPRESS") == 0)
		pgwc_copy(out, outsz, "amex");
	else if (strcmp(b, "DISCOVER_DINERS") == 0)
		pgwc_copy(out, outsz, "diners");
	else if (strcmp(b, "CHINA_UNIONPAY") == 0)
		pgwc_copy(out, outsz, "unionpay");
	else if (strcmp(b, "OTHER_BRAND") == 0 || b[0] == '\0')
		pgwc_copy(out, outsz, "unknown");
	else
		copy_lower(out, outsz, b);
}

/* Fills a card from a Square Card object. */
static void
fill_card(json_t *card, struct pgw_card *out)
{
	brand(pgwc_jstr(card, "card_brand"), out->brand, sizeof(out->brand));
	pgwc_copy(out->last4, sizeof(out->last4), pgwc_jstr(card, "last_4"));
	out->exp_month = (int32_t)pgwc_jint(card, "exp_month");
	out->exp_year = (int32_t)pgwc_jint(card, "exp_year");
}

/* Creates a card on file for customer from source (a Web Payments SDK
 * token, or the id of a payment made with one). */
/* Writes amount (minor units of cur) as Square's verifyBuyer wants it:
 * major units with the currency's decimals ("12.34", "1234" for JPY). */
static void
major_units(int64_t amount, const char *cur, char *out, size_t outsz)
{
	static const char *const zero[] = {"BIF", "CLP", "DJF", "GNF", "ISK",
	    "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF",
	    "XOF", "XPF"};
	size_t i;

	for (i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		if (strcasecmp(cur, zero[i]) == 0) {
			snprintf(out, outsz, "%lld", (long long)amount);
			return;
		}
	snprintf(out, outsz, "%lld.%02lld", (long long)(amount / 100),
	    (long long)(amount % 100));
}

/*
 * The next action of a source that needs buyer verification (SCA):
 * payments.verifyBuyer(source, {amount, currencyCode, intent, ...})
 * (https://developer.squareup.com/docs/sca-overview-web); its token comes
 * back as pgw_complete_req.action_result. intent is "CHARGE" (with amount
 * and cur) or "STORE".
 */
static void
verify_action(struct pgw_result *res, const char *source, const char *intent,
    int64_t amount, const char *cur)
{
	char a[32];

	pgwc_action(res, "square.verify_buyer", source);
	pgwc_action_value(&res->action, "source_id", source);
	pgwc_action_value(&res->action, "intent", intent);
	if (cur != NULL) {
		major_units(amount, cur, a, sizeof(a));
		pgwc_action_value(&res->action, "amount", a);
		pgwc_action_value(&res->action, "currency_code", cur);
	}
	pgwc_action_value(&res->action, "customer_initiated", "true");
	pgwc_action_value(&res->action, "seller_keyed_in", "false");
}

/* After a POST that sent a card nonce as source_id: PGW_DECLINED with
 * PGW_CODE_TOKEN_INVALID when Square refused the nonce itself
 * (CARD_TOKEN_USED, CARD_TOKEN_EXPIRED); else st. */
static int32_t
token_refused(int32_t st, json_t *j, struct pgw_result *res)
{
	json_t *e = json_array_get(json_object_get(j, "errors"), 0);
	const char *code = pgwc_jstr(e, "code");

	if (st != PGW_ERROR || e == NULL)
		return st;
	if (strcmp(code, "CARD_TOKEN_USED") == 0 ||
	    strcmp(code, "CARD_TOKEN_EXPIRED") == 0)
		return pgwc_token_invalid(res);
	return st;
}

static int32_t
create_card(struct sq *c, const char *key, const char *customer,
    const char *source, const char *verification, struct pgw_card *out,
    struct pgw_result *res)
{
	json_t *b, *j = NULL, *card;
	int32_t st;

	b = json_pack("{s:s, s:s, s:{s:s}}", "idempotency_key", key,
	    "source_id", source, "card", "customer_id", customer);
	if (verification != NULL)
		json_object_set_new(
		    b, "verification_token", json_string(verification));
	st = call(c, "POST", "/v2/cards", b, &j, res);
	st = token_refused(st, j, res);
	if (st == PGW_SUCCEEDED) {
		card = json_object_get(j, "card");
		pgwc_copy(out->payment_method, sizeof(out->payment_method),
		    pgwc_jstr(card, "id"));
		fill_card(card, out);
		if (out->payment_method[0] == '\0') {
			pgwc_seterr(res, "square: card answer without an id");
			st = pgwc_done(res, PGW_ERROR);
		}
	}
	json_decref(j);
	json_decref(b);
	return st;
}

static int32_t
sq_save_card(void *p, const struct pgw_save_card_req *req, struct pgw_card *out,
    struct pgw_result *res)
{
	struct sq *c = p;
	char key[SQ_KEY_MAX + 1];
	int32_t st;

	if (req->customer_id == NULL || req->token == NULL) {
		pgwc_seterr(
		    res, "square: save_card needs a customer and a token");
		return pgwc_done(res, PGW_ERROR);
	}
	if (req->idempotency_key != NULL)
		sq_key("card:", req->idempotency_key, key);
	else if (pgwc_random_key(c->host, key, SQ_KEY_MAX + 1) != 0) {
		pgwc_seterr(res, "square: no randomness for a key");
		return pgwc_done(res, PGW_ERROR);
	}
	st = create_card(c, key, req->customer_id, req->token, NULL, out, res);
	if (st == PGW_REQUIRES_ACTION)
		verify_action(res, req->token, "STORE", 0, NULL);
	return st;
}

/* The key of a request repeated with a verification token: derived from
 * the original key and the token, so the same completion replays and a
 * fresh verification makes a fresh request. */
static void
verified_key(const char *prefix, const char *key, const char *verf,
    char out[SQ_KEY_MAX + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char p[64], hex[17];

	SHA256((const unsigned char *)verf, strlen(verf), md);
	pgwc_hex(md, 8, hex);
	snprintf(p, sizeof(p), "%sv%s:", prefix, hex);
	sq_key(p, key, out);
}

/* ABI 1.1: saves the card of req->save once verifyBuyer (intent STORE)
 * handed back its token; without one, the same action again. */
static int32_t
sq_complete_save_card(void *p, const struct pgw_complete_req *req,
    struct pgw_card *out, struct pgw_result *res)
{
	struct sq *c = p;
	const struct pgw_save_card_req *sr = req->save;
	char key[SQ_KEY_MAX + 1];

	if (sr->customer_id == NULL || sr->token == NULL ||
	    sr->idempotency_key == NULL) {
		pgwc_seterr(res, "square: complete_save_card needs the "
		                 "original customer, token and key");
		return PGW_ERROR;
	}
	if (req->action_result == NULL || req->action_result[0] == '\0') {
		pgwc_copy(res->code, sizeof(res->code),
		    "card_declined_verification_required");
		pgwc_copy(res->message, sizeof(res->message), AUTH_MESSAGE);
		pgwc_seterr(res, "square: the card is not verified yet");
		verify_action(res, sr->token, "STORE", 0, NULL);
		return PGW_REQUIRES_ACTION;
	}
	verified_key("card:", sr->idempotency_key, req->action_result, key);
	return create_card(
	    c, key, sr->customer_id, sr->token, req->action_result, out, res);
}

/* The pgw status of a Payment's status. */
static int32_t
pay_status(const char *s)
{
	if (strcmp(s, "COMPLETED") == 0)
		return PGW_SUCCEEDED;
	if (strcmp(s, "FAILED") == 0 || strcmp(s, "CANCELED") == 0)
		return PGW_DECLINED;
	return PGW_PENDING; /* APPROVED, PENDING */
}

/* Fills out from a Payment object. */
static void
fill_payment(json_t *pay, struct pgw_payment *out)
{
	json_t *cd = json_object_get(pay, "card_details");
	json_t *e = json_array_get(json_object_get(cd, "errors"), 0);

	pgwc_copy(out->ref, sizeof(out->ref), pgwc_jstr(pay, "id"));
	out->status = pay_status(pgwc_jstr(pay, "status"));
	out->amount = pgwc_jint(json_object_get(pay, "amount_money"), "amount");
	pgwc_copy(out->currency, sizeof(out->currency),
	    pgwc_jstr(json_object_get(pay, "amount_money"), "currency"));
	out->amount_refunded =
	    pgwc_jint(json_object_get(pay, "refunded_money"), "amount");
	fill_card(json_object_get(cd, "card"), &out->card);
	if (e != NULL)
		copy_lower(out->decline_code, sizeof(out->decline_code),
		    pgwc_jstr(e, "code"));
	if (out->status == PGW_DECLINED && out->decline_code[0] != '\0' &&
	    strcmp(out->decline_code, "card_declined_verification_required") ==
	        0)
		out->status = PGW_REQUIRES_ACTION;
	out->created_ms = rfc3339_ms(pgwc_jstr(pay, "created_at"));
}

/* After a Payment answer: the operation's status and res text. */
static int32_t
pay_result(json_t *pay, struct pgw_payment *out, struct pgw_result *res)
{
	fill_payment(pay, out);
	/* A payment that needed verification: complete_charge, with the
	 * client present, answers with verifyBuyer's action. */
	if (out->status == PGW_REQUIRES_ACTION) {
		memset(&res->action, 0, sizeof(res->action));
		pgwc_copy(res->action.ref, sizeof(res->action.ref), out->ref);
	}
	if (out->status == PGW_DECLINED || out->status == PGW_REQUIRES_ACTION) {
		json_t *e = json_array_get(
		    json_object_get(
		        json_object_get(pay, "card_details"), "errors"),
		    0);

		card_error(e, res);
		pgwc_seterr(res, "square: payment %s %s (%s)", out->ref,
		    pgwc_jstr(pay, "status"), res->code);
	}
	return pgwc_done(res, out->status);
}

/* CreatePayment for req; with verf (a verifyBuyer token) under the key
 * derived from it, else under the charge's own key; reference_id is
 * always the charge's key, so lookup by key finds either. */
static int32_t
do_charge(struct sq *c, const struct pgw_charge_req *req, const char *verf,
    struct pgw_payment *out, struct pgw_result *res)
{
	char key[SQ_KEY_MAX + 1], ref[SQ_KEY_MAX + 1], cur[4];
	json_t *b, *j = NULL, *pay;
	int32_t st;
	size_t i;

	if (req->currency == NULL || strlen(req->currency) != 3 ||
	    req->amount <= 0 || req->idempotency_key == NULL ||
	    (req->payment_method == NULL) == (req->token == NULL) ||
	    (req->payment_method != NULL && req->customer_id == NULL) ||
	    (req->save_card && req->customer_id == NULL)) {
		pgwc_seterr(res, "square: charge needs an amount, a 3-letter "
		                 "currency, an idempotency key, exactly one of "
		                 "payment_method (with its customer) or token");
		return pgwc_done(res, PGW_ERROR);
	}
	for (i = 0; i < 4; i++)
		cur[i] = (char)toupper((unsigned char)req->currency[i]);
	sq_key("", req->idempotency_key, ref);
	if (verf != NULL)
		verified_key("", req->idempotency_key, verf, key);
	else
		pgwc_copy(key, sizeof(key), ref);
	b = json_pack("{s:s, s:{s:I, s:s}, s:s, s:b, s:s, s:s}",
	    "idempotency_key", key, "amount_money", "amount",
	    (json_int_t)req->amount, "currency", cur, "source_id",
	    req->payment_method != NULL ? req->payment_method : req->token,
	    "autocomplete", 1, "location_id", c->location, "reference_id", ref);
	if (verf != NULL)
		json_object_set_new(b, "verification_token", json_string(verf));
	if (req->customer_id != NULL)
		json_object_set_new(
		    b, "customer_id", json_string(req->customer_id));
	if (req->description != NULL)
		json_object_set_new(b, "note", json_string(req->description));
	pgwc_copy(out->idempotency_key, sizeof(out->idempotency_key),
	    req->idempotency_key);
	out->amount = req->amount;
	pgwc_copy(out->currency, sizeof(out->currency), cur);
	st = call(c, "POST", "/v2/payments", b, &j, res);
	if (req->token != NULL)
		st = token_refused(st, j, res);
	pay = json_object_get(j, "payment");
	if (st == PGW_SUCCEEDED)
		st = pay_result(pay, out, res);
	else if ((st == PGW_DECLINED || st == PGW_REQUIRES_ACTION) &&
	         json_is_object(pay)) {
		char code[PGW_CODE_MAX];

		pgwc_copy(code, sizeof(code), res->code);
		fill_payment(pay, out);
		pgwc_copy(out->decline_code, sizeof(out->decline_code), code);
		out->status = st;
	} else if (st == PGW_DECLINED || st == PGW_REQUIRES_ACTION)
		out->status = st;
	pgwc_copy(out->idempotency_key, sizeof(out->idempotency_key),
	    req->idempotency_key);
	if (st == PGW_SUCCEEDED && req->payment_method != NULL)
		pgwc_copy(out->card.payment_method,
		    sizeof(out->card.payment_method), req->payment_method);
	if (st == PGW_SUCCEEDED && req->save_card && req->token != NULL) {
		/* The one-time token is spent: Square saves the card from
		 * the payment's id (Cards API, source_id = payment id). */
		struct pgw_result r2;
		struct pgw_card card;
		char key2[SQ_KEY_MAX + 1], err2[256];
		int32_t st2;

		memset(&r2, 0, sizeof(r2));
		memset(&card, 0, sizeof(card));
		r2.size = sizeof(r2);
		r2.err = err2;
		r2.errsz = sizeof(err2);
		err2[0] = '\0';
		card.size = sizeof(card);
		sq_key("save:", req->idempotency_key, key2);
		st2 = create_card(
		    c, key2, req->customer_id, out->ref, NULL, &card, &r2);
		if (st2 == PGW_SUCCEEDED)
			pgwc_copy(out->card.payment_method,
			    sizeof(out->card.payment_method),
			    card.payment_method);
		else {
			char msg[400];

			snprintf(msg, sizeof(msg),
			    "payment %s succeeded but saving its card failed: "
			    "%s",
			    out->ref, err2);
			c->host->log(c->host, PGW_LOG_WARN, msg);
		}
	}
	json_decref(j);
	json_decref(b);
	return st;
}

static int32_t
sq_charge(void *p, const struct pgw_charge_req *req, struct pgw_payment *out,
    struct pgw_result *res)
{
	struct sq *c = p;
	int32_t st;

	st = do_charge(c, req, NULL, out, res);
	if (st == PGW_REQUIRES_ACTION)
		verify_action(res,
		    req->payment_method != NULL ? req->payment_method
		                                : req->token,
		    "CHARGE", req->amount, req->currency);
	return st;
}

static int32_t lookup_by_key(struct sq *c, const char *key,
    struct pgw_payment *out, struct pgw_result *res);

/*
 * ABI 1.1: completes a charge that needed buyer verification. A payment
 * already made under the charge's key (reference_id) that succeeded or is
 * pending is the answer: never a second charge. Without a verification
 * token (the client has not verified yet, or came back for an AutoPay
 * payment): REQUIRES_ACTION with verifyBuyer's action. With one:
 * CreatePayment with it under the key derived from it.
 */
static int32_t
sq_complete_charge(void *p, const struct pgw_complete_req *req,
    struct pgw_payment *out, struct pgw_result *res)
{
	struct sq *c = p;
	const struct pgw_charge_req *cr = req->charge;
	int32_t st;

	st = lookup_by_key(c, cr->idempotency_key, out, res);
	if (st == PGW_SUCCEEDED || st == PGW_PENDING || st == PGW_RETRYABLE ||
	    st == PGW_UNKNOWN || st == PGW_ERROR)
		return st;
	memset(&res->action, 0, sizeof(res->action));
	res->code[0] = res->message[0] = '\0';
	if (res->err != NULL && res->errsz > 0)
		res->err[0] = '\0';
	if (req->action_result == NULL || req->action_result[0] == '\0') {
		pgwc_copy(res->code, sizeof(res->code),
		    "card_declined_verification_required");
		pgwc_copy(res->message, sizeof(res->message), AUTH_MESSAGE);
		pgwc_seterr(res, "square: the buyer is not verified yet");
		verify_action(res,
		    cr->payment_method != NULL ? cr->payment_method : cr->token,
		    "CHARGE", cr->amount, cr->currency);
		return PGW_REQUIRES_ACTION;
	}
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->card.size = sizeof(out->card);
	return do_charge(c, cr, req->action_result, out, res);
}

/* GETs payment id into *out (caller frees). */
static int32_t
get_payment(struct sq *c, const char *id, json_t **out, struct pgw_result *res)
{
	char path[PGW_ID_MAX * 3 + 32];
	size_t i, o;

	o = (size_t)snprintf(path, sizeof(path), "/v2/payments/");
	for (i = 0; id[i] != '\0' && o + 4 < sizeof(path); i++) {
		unsigned char ch = (unsigned char)id[i];

		if (isalnum(ch) || ch == '-' || ch == '_')
			path[o++] = (char)ch;
		else
			o += (size_t)snprintf(path + o, 4, "%%%02X", ch);
	}
	path[o] = '\0';
	return call(c, "GET", path, NULL, out, res);
}

static int32_t
sq_refund(void *p, const struct pgw_refund_req *req, struct pgw_refund *out,
    struct pgw_result *res)
{
	struct sq *c = p;
	char key[SQ_KEY_MAX + 1];
	json_t *b = NULL, *j = NULL, *pay, *rf;
	const char *s;
	int64_t amount, left;
	int32_t st;

	if (req->payment_ref == NULL || req->idempotency_key == NULL ||
	    req->amount < 0) {
		pgwc_seterr(res, "square: refund needs a payment and a key");
		return pgwc_done(res, PGW_ERROR);
	}
	pgwc_copy(out->payment_ref, sizeof(out->payment_ref), req->payment_ref);
	/* RefundPayment needs the currency, and "the rest" needs the
	 * amount not yet refunded: both from the payment. */
	st = get_payment(c, req->payment_ref, &j, res);
	if (st != PGW_SUCCEEDED) {
		if (st == PGW_ERROR && res->http_status == 404)
			pgwc_seterr(
			    res, "square: no payment %s", req->payment_ref);
		goto out;
	}
	pay = json_object_get(j, "payment");
	left = pgwc_jint(json_object_get(pay, "amount_money"), "amount") -
	       pgwc_jint(json_object_get(pay, "refunded_money"), "amount");
	amount = req->amount > 0 ? req->amount : left;
	if (amount <= 0) {
		pgwc_copy(res->code, sizeof(res->code), "nothing_to_refund");
		pgwc_seterr(res,
		    "square: payment %s has nothing left to refund",
		    req->payment_ref);
		st = pgwc_done(res, PGW_ERROR);
		goto out;
	}
	sq_key("refund:", req->idempotency_key, key);
	b = json_pack("{s:s, s:s, s:{s:I, s:s}}", "idempotency_key", key,
	    "payment_id", req->payment_ref, "amount_money", "amount",
	    (json_int_t)amount, "currency",
	    pgwc_jstr(json_object_get(pay, "amount_money"), "currency"));
	if (req->reason != NULL)
		json_object_set_new(b, "reason", json_string(req->reason));
	json_decref(j);
	j = NULL;
	st = call(c, "POST", "/v2/refunds", b, &j, res);
	if (st == PGW_SUCCEEDED) {
		rf = json_object_get(j, "refund");
		pgwc_copy(out->ref, sizeof(out->ref), pgwc_jstr(rf, "id"));
		out->amount =
		    pgwc_jint(json_object_get(rf, "amount_money"), "amount");
		s = pgwc_jstr(rf, "status");
		if (strcmp(s, "COMPLETED") == 0)
			out->status = PGW_SUCCEEDED;
		else if (strcmp(s, "REJECTED") == 0 || strcmp(s, "FAILED") == 0)
			out->status = PGW_DECLINED;
		else
			out->status = PGW_PENDING;
		if (out->status == PGW_DECLINED) {
			copy_lower(res->code, sizeof(res->code), s);
			pgwc_copy(res->message, sizeof(res->message),
			    "The refund could not be made.");
			pgwc_seterr(res, "square: refund %s %s", out->ref, s);
		}
		st = pgwc_done(res, out->status);
	}
out:
	json_decref(j);
	json_decref(b);
	return st;
}

/*
 * Lookup by idempotency key. Square has no search by idempotency key, so
 * the plugin writes the (derived, see sq_key) key into every payment's
 * reference_id and lists the location's payments of the last
 * lookup_window_hours (ListPayments, newest first, 100 a page, at most 20
 * pages), matching reference_id. The other way back, for a caller that
 * still has the charge's parameters: charge() again with the same key;
 * Square answers a repeated CreatePayment with the original payment.
 */
static int32_t
lookup_by_key(struct sq *c, const char *key, struct pgw_payment *out,
    struct pgw_result *res)
{
	char path[1024], ref[SQ_KEY_MAX + 1], begin[32], cursor[512] = "";
	json_t *j = NULL, *list, *pay, *found = NULL;
	time_t since;
	struct tm tm;
	int32_t st = PGW_ERROR;
	int page;
	size_t i;

	sq_key("", key, ref);
	since =
	    (time_t)(c->host->clock_ms(c->host) / 1000 - c->lookup_window_s);
	gmtime_r(&since, &tm);
	strftime(begin, sizeof(begin), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (page = 0; page < LOOKUP_MAX_PAGES; page++) {
		snprintf(path, sizeof(path),
		    "/v2/payments?begin_time=%s&sort_order=DESC&limit=100"
		    "&location_id=%s%s%s",
		    begin, c->location, cursor[0] ? "&cursor=" : "", cursor);
		json_decref(j);
		st = call(c, "GET", path, NULL, &j, res);
		if (st != PGW_SUCCEEDED)
			goto out;
		list = json_object_get(j, "payments");
		json_array_foreach(list, i, pay)
		{
			if (strcmp(pgwc_jstr(pay, "reference_id"), ref) == 0) {
				found = pay;
				break;
			}
		}
		if (found != NULL) {
			st = pay_result(found, out, res);
			pgwc_copy(out->idempotency_key,
			    sizeof(out->idempotency_key), key);
			goto out;
		}
		if (pgwc_jstr(j, "cursor")[0] == '\0')
			break;
		/* Cursors are opaque base64-ish text: encode what URLs
		 * reserve. */
		{
			const char *s = pgwc_jstr(j, "cursor");
			size_t o = 0;

			for (; *s != '\0' && o + 4 < sizeof(cursor); s++) {
				unsigned char ch = (unsigned char)*s;

				if (isalnum(ch) || ch == '-' || ch == '_' ||
				    ch == '.' || ch == '~')
					cursor[o++] = (char)ch;
				else
					o += (size_t)snprintf(
					    cursor + o, 4, "%%%02X", ch);
			}
			cursor[o] = '\0';
		}
	}
	if (page == LOOKUP_MAX_PAGES) {
		pgwc_seterr(res,
		    "square: more than %d payments in the lookup window; look "
		    "the payment up in the Square Dashboard",
		    100 * LOOKUP_MAX_PAGES);
		st = pgwc_done(res, PGW_ERROR);
		goto out;
	}
	pgwc_seterr(res,
	    "square: no payment with that idempotency key in the last "
	    "%lld hours",
	    (long long)(c->lookup_window_s / 3600));
	st = pgwc_done(res, PGW_NOT_FOUND);
out:
	json_decref(j);
	return st;
}

static int32_t
sq_lookup(void *p, const struct pgw_lookup_req *req, struct pgw_payment *out,
    struct pgw_result *res)
{
	struct sq *c = p;
	json_t *j = NULL;
	int32_t st;

	if (req->payment_ref == NULL) {
		if (req->idempotency_key == NULL) {
			pgwc_seterr(res, "square: lookup needs a key or a ref");
			return pgwc_done(res, PGW_ERROR);
		}
		return lookup_by_key(c, req->idempotency_key, out, res);
	}
	st = get_payment(c, req->payment_ref, &j, res);
	if (st == PGW_ERROR && res->http_status == 404) {
		pgwc_seterr(res, "square: no payment %s", req->payment_ref);
		st = pgwc_done(res, PGW_NOT_FOUND);
	} else if (st == PGW_SUCCEEDED)
		st = pay_result(json_object_get(j, "payment"), out, res);
	json_decref(j);
	return st;
}

/* ---- webhooks ------------------------------------------------------------ */

/* Verifies x-square-hmacsha256-signature: base64(HMAC-SHA256(signature
 * key, notification URL + raw body)) (https://developer.squareup.com/docs/
 * webhooks/step3validate), compared in constant time. Returns 0 or -1. */
static int
verify_signature(struct sq *c, const char *sig, const char *body,
    size_t body_len, struct pgw_result *res)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	unsigned char b64[4 * EVP_MAX_MD_SIZE / 3 + 8];
	size_t ul = strlen(c->notify_url), sl = strlen(sig);
	int n, ok;

	if (pgwc_hmac_sha256(c->sigkey, c->notify_url, ul, body, body_len, NULL,
	        0, mac, &maclen) != 0) {
		pgwc_seterr(res, "square: out of memory");
		return -1;
	}
	n = EVP_EncodeBlock(b64, mac, (int)maclen);
	ok = n > 0 && sl == (size_t)n && CRYPTO_memcmp(sig, b64, sl) == 0;
	OPENSSL_cleanse(b64, sizeof(b64));
	if (!ok) {
		pgwc_copy(res->code, sizeof(res->code), "signature_invalid");
		pgwc_seterr(res,
		    "square: webhook signature does not verify for "
		    "notification URL %s",
		    c->notify_url);
		return -1;
	}
	return 0;
}

static int32_t
sq_webhook(void *p, const struct pgw_webhook_req *req, struct pgw_event *out,
    struct pgw_result *res)
{
	struct sq *c = p;
	const char *sig = NULL, *type, *s;
	json_t *j = NULL, *obj;
	json_error_t jerr;
	int32_t st = PGW_ERROR;

	if (c->sigkey == NULL) {
		pgwc_seterr(res, "square: webhook_signature_key_file or "
		                 "webhook_signature_key_env is not configured");
		return pgwc_done(res, PGW_ERROR);
	}
	sig = pgwc_header(req->headers, req->nheaders, SIGNATURE_HEADER);
	if (sig == NULL || req->body == NULL) {
		pgwc_copy(res->code, sizeof(res->code), "signature_invalid");
		pgwc_seterr(
		    res, "square: webhook without an " SIGNATURE_HEADER);
		return pgwc_done(res, PGW_ERROR);
	}
	if (verify_signature(c, sig, req->body, req->body_len, res) != 0)
		return pgwc_done(res, PGW_ERROR);
	/* Only now, verified, is the body parsed. */
	if ((j = json_loadb(req->body, req->body_len, 0, &jerr)) == NULL ||
	    !json_is_object(j)) {
		pgwc_copy(res->code, sizeof(res->code), "bad_payload");
		pgwc_seterr(res, "square: webhook body is not a JSON object");
		goto out;
	}
	pgwc_copy(out->id, sizeof(out->id), pgwc_jstr(j, "event_id"));
	type = pgwc_jstr(j, "type");
	pgwc_copy(out->type_name, sizeof(out->type_name), type);
	out->created_ms = rfc3339_ms(pgwc_jstr(j, "created_at"));
	obj = json_object_get(json_object_get(j, "data"), "object");
	out->type = PGW_EVENT_OTHER;
	if (strncmp(type, "payment.", 8) == 0) {
		json_t *pay = json_object_get(obj, "payment");

		s = pgwc_jstr(pay, "status");
		pgwc_copy(out->payment_ref, sizeof(out->payment_ref),
		    pgwc_jstr(pay, "id"));
		out->amount =
		    pgwc_jint(json_object_get(pay, "amount_money"), "amount");
		out->status = pay_status(s);
		if (out->status == PGW_SUCCEEDED)
			out->type = PGW_EVENT_PAYMENT_SUCCEEDED;
		else if (out->status == PGW_DECLINED)
			out->type = PGW_EVENT_PAYMENT_FAILED;
		else
			out->type = PGW_EVENT_PAYMENT_PENDING;
	} else if (strncmp(type, "refund.", 7) == 0) {
		json_t *rf = json_object_get(obj, "refund");

		s = pgwc_jstr(rf, "status");
		pgwc_copy(out->payment_ref, sizeof(out->payment_ref),
		    pgwc_jstr(rf, "payment_id"));
		out->amount =
		    pgwc_jint(json_object_get(rf, "amount_money"), "amount");
		out->status = PGW_SUCCEEDED;
		if (strcmp(s, "COMPLETED") == 0)
			out->type = PGW_EVENT_REFUND_SUCCEEDED;
		else if (strcmp(s, "FAILED") == 0 || strcmp(s, "REJECTED") == 0)
			out->type = PGW_EVENT_REFUND_FAILED;
	} else if (strncmp(type, "dispute.", 8) == 0) {
		/* No dispute type in ABI 1.0: OTHER, with the payment and
		 * the disputed amount; type_name says which. */
		json_t *d = json_object_get(obj, "dispute");

		pgwc_copy(out->payment_ref, sizeof(out->payment_ref),
		    pgwc_jstr(
		        json_object_get(d, "disputed_payment"), "payment_id"));
		out->amount =
		    pgwc_jint(json_object_get(d, "amount_money"), "amount");
		out->status = PGW_SUCCEEDED;
	}
	if (out->id[0] == '\0' || type[0] == '\0') {
		pgwc_copy(res->code, sizeof(res->code), "bad_payload");
		pgwc_seterr(res,
		    "square: webhook event without an event_id or a "
		    "type");
		goto out;
	}
	st = PGW_SUCCEEDED;
out:
	json_decref(j);
	return pgwc_done(res, st);
}

static const struct pgw_plugin square_plugin = {
    PGW_PLUGIN_HEADER,
    .name = "square",
    .version = "1.1",
    .caps = PGW_CAP_SAVE_CARD | PGW_CAP_ONE_TIME_TOKEN |
            PGW_CAP_PARTIAL_REFUND | PGW_CAP_OFF_SESSION | PGW_CAP_WEBHOOK |
            PGW_CAP_LOOKUP_BY_KEY | PGW_CAP_THREADSAFE | PGW_CAP_NEXT_ACTION,
    .config = sq_config,
    .nconfig = sizeof(sq_config) / sizeof(sq_config[0]),
    .fini = sq_fini,
    .create_customer = sq_create_customer,
    .card_widget = sq_card_widget,
    .save_card = sq_save_card,
    .charge = sq_charge,
    .refund = sq_refund,
    .lookup = sq_lookup,
    .webhook = sq_webhook,
    .init2 = sq_init2,
    .complete_charge = sq_complete_charge,
    .complete_save_card = sq_complete_save_card,
};

/* The plugin's one exported symbol: returns the static descriptor. */
PGW_DEFINE_ENTRY(square_plugin)
