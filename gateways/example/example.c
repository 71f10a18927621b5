/* example.c: a minimal, documented portal gateway plugin. Every payment
 * succeeds; state lives in memory in the per-practice context. Start a real
 * plugin from here: keep the shape (one entry symbol, no static mutable
 * state, caller-owned results), replace the bodies with calls to your
 * processor through host->http_call. See portal-gateway(3).
 *
 * Built against an ABI 1.1 gateway.h it is a 1.1 plugin: descriptor
 * macros, init2, the return value as the one status, a widget with named
 * values and CSP origins, create_customer through the host's HTTP (with
 * api_base set) and signed webhooks checked with the host's HMAC. Built
 * against the 1.0 header it is a 1.0 plugin the 1.1 host still loads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

#define MAX_PAYMENTS 1024

/* One payment remembered for lookup() and idempotent replay. */
struct payment {
	char key[PGW_KEY_MAX];
	char ref[PGW_ID_MAX];
	int64_t amount;
	int64_t refunded;
	char currency[8];
	int64_t created_ms;
};

/* One refund, remembered for idempotent replay. */
struct refund {
	char key[PGW_KEY_MAX];
	char ref[PGW_ID_MAX];
	char payment_ref[PGW_ID_MAX];
	int64_t amount;
};

/* The per-practice context: everything an instance needs. The host may call
 * operations from several threads at once (we declare PGW_CAP_THREADSAFE),
 * so the mutable parts sit behind a mutex. */
struct example {
	const struct pgw_host *host; /* valid until fini */
	char descriptor[32];         /* from the config table */
	char api_base[PGW_URL_MAX];  /* 1.1: the "processor", or "" */
	char whsec[256];             /* 1.1: webhook secret, or ""; wiped */
	pthread_mutex_t lock;
	unsigned long seq;
	struct payment pay[MAX_PAYMENTS];
	size_t npay;
	struct refund ref[MAX_PAYMENTS];
	size_t nref;
};

/* The configuration table: the host checks the practice's YAML keys
 * against it before init(), with FILE:LINE:COL messages. */
static const struct pgw_conf_key example_config[] = {
    {"statement_descriptor", PGW_CONF_STRING, 0,
        "text on the client's card statement (at most 22 characters)"},
#if PGW_ABI_MINOR >= 1
    {"api_base", PGW_CONF_URL, 0,
        "the processor's API: create_customer POSTs /customers there"},
    {"webhook_secret_env", PGW_CONF_SECRET_ENV, 0,
        "variable holding the webhook signing secret"},
#endif
};

/* Sets the result's status and returns it: every operation ends here. */
static int32_t
finish(struct pgw_result *res, int32_t status)
{
	res->status = status;
	return status;
}

static void
fail(struct pgw_result *res, const char *msg)
{
	if (res->err != NULL && res->errsz > 0)
		snprintf(res->err, res->errsz, "example: %s", msg);
}

static int32_t
ex_init(const struct pgw_host *host, const struct pgw_kv *config, size_t n,
    void **ctx, char *err, size_t errsz)
{
	struct example *e;
	size_t i;

	*ctx = NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		snprintf(err, errsz, "example: out of memory");
		return PGW_ERROR;
	}
	e->host = host;
	snprintf(e->descriptor, sizeof(e->descriptor), "EXAMPLE");
	for (i = 0; i < n; i++)
		if (strcmp(config[i].key, "statement_descriptor") == 0) {
			if (config[i].value_len > 22) {
				snprintf(err, errsz,
				    "%s: statement_descriptor is longer than "
				    "22 characters",
				    config[i].where);
				free(e);
				return PGW_ERROR;
			}
			snprintf(e->descriptor, sizeof(e->descriptor), "%s",
			    config[i].value);
		}
#if PGW_ABI_MINOR >= 1
	for (i = 0; i < n; i++) {
		if (strcmp(config[i].key, "api_base") == 0)
			snprintf(e->api_base, sizeof(e->api_base), "%s",
			    config[i].value);
		else if (strcmp(config[i].key, "webhook_secret_env") == 0)
			snprintf(
			    e->whsec, sizeof(e->whsec), "%s", config[i].value);
	}
	/* The host services this plugin uses are 1.1 ones. */
	if (!PGW_HAS(host, struct pgw_host, header)) {
		snprintf(err, errsz, "example: the host is older than ABI 1.1");
		free(e);
		return PGW_ERROR;
	}
#endif
	pthread_mutex_init(&e->lock, NULL);
	host->log(host, PGW_LOG_INFO, "example plugin ready");
	*ctx = e;
	return PGW_SUCCEEDED;
}

#if PGW_ABI_MINOR >= 1
/* ABI 1.1: init reports through the result like every operation. */
static int32_t
ex_init2(const struct pgw_host *host, const struct pgw_kv *config, size_t n,
    void **ctx, struct pgw_result *res)
{
	int32_t st = ex_init(host, config, n, ctx, res->err, res->errsz);

	if (st != PGW_SUCCEEDED)
		snprintf(res->code, sizeof(res->code), "bad_config");
	return st;
}
#endif

static void
ex_fini(void *ctx)
{
	struct example *e = ctx;
	volatile char *w = e->whsec;
	size_t i;

	for (i = 0; i < sizeof(e->whsec); i++) /* wipe the secret */
		w[i] = 0;
	pthread_mutex_destroy(&e->lock);
	free(e);
}

/* Makes a new id "PREFIX_<random hex>" from the host's randomness. */
static void
new_id(struct example *e, const char *prefix, char *out, size_t outsz)
{
	unsigned char r[8];
	size_t i;
	int n;

	if (e->host->random(e->host, r, sizeof(r)) != 0)
		memset(r, 0, sizeof(r));
	n = snprintf(out, outsz, "%s_", prefix);
	for (i = 0; i < sizeof(r) && n > 0 && (size_t)n + 3 <= outsz; i++)
		n += snprintf(out + n, outsz - (size_t)n, "%02x", r[i]);
}

#if PGW_ABI_MINOR >= 1
/* 1.1: POSTs {"reference": ...} to api_base/customers through the host and
 * reads "id" from the answer. The host's http_call owns the transport
 * mapping: connect failure -> RETRYABLE, no answer -> UNKNOWN, 429 and 5xx
 * too; the plugin reads only real answers. */
static int32_t
remote_customer(struct example *e, const struct pgw_customer_req *req,
    struct pgw_customer *out, struct pgw_result *res)
{
	const struct pgw_host *h = e->host;
	struct pgw_http_header hd[2];
	struct pgw_http_request r;
	struct pgw_http_response resp;
	char url[PGW_URL_MAX + 16], ref[300], body[400];
	int32_t st;

	if (h->json_quote(h, req->reference != NULL ? req->reference : "", ref,
	        sizeof(ref)) != 0) {
		fail(res, "reference too long");
		return PGW_ERROR;
	}
	snprintf(url, sizeof(url), "%s/customers", e->api_base);
	snprintf(body, sizeof(body), "{\"reference\":%s}", ref);
	hd[0].name = "Content-Type";
	hd[0].value = "application/json";
	hd[1].name = "Idempotency-Key";
	hd[1].value = req->idempotency_key != NULL ? req->idempotency_key : "";
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.method = "POST";
	r.url = url;
	r.headers = hd;
	r.nheaders = req->idempotency_key != NULL ? 2 : 1;
	r.body = body;
	r.body_len = strlen(body);
	memset(&resp, 0, sizeof(resp));
	resp.size = sizeof(resp);
	st = h->http_call(h, &r, &resp, res);
	if (st == PGW_SUCCEEDED &&
	    (resp.status / 100 != 2 ||
	        h->json_get(h, resp.body, resp.body_len, "id", out->id,
	            sizeof(out->id)) != 1 ||
	        out->id[0] == '\0')) {
		fail(res, "the processor's answer has no customer id");
		st = PGW_ERROR;
	}
	h->http_free(h, &resp);
	return st;
}
#endif

static int32_t
ex_create_customer(void *ctx, const struct pgw_customer_req *req,
    struct pgw_customer *out, struct pgw_result *res)
{
#if PGW_ABI_MINOR >= 1
	struct example *e = ctx;

	if (e->api_base[0] != '\0')
		return remote_customer(e, req, out, res);
#endif
	(void)req; /* a real plugin sends reference, name and email */
	new_id(ctx, "cus", out->id, sizeof(out->id));
	return finish(res, PGW_SUCCEEDED);
}

static int32_t
ex_card_widget(void *ctx, struct pgw_widget *out, struct pgw_result *res)
{
	(void)ctx;
	/* A real plugin names its processor's script and origin here. */
	snprintf(out->script_url, sizeof(out->script_url),
	    "https://js.example.invalid/v1/cards.js");
	snprintf(
	    out->origin, sizeof(out->origin), "https://js.example.invalid");
	snprintf(out->public_key, sizeof(out->public_key), "pk_example");
	snprintf(out->mode, sizeof(out->mode), "test");
#if PGW_ABI_MINOR >= 1
	/* 1.1: the adapter, its values, and each origin per CSP directive:
	 * the page allows exactly these. */
	snprintf(out->sdk, sizeof(out->sdk), "example");
	snprintf(out->values[0].name, sizeof(out->values[0].name),
	    "publishable_key");
	snprintf(
	    out->values[0].value, sizeof(out->values[0].value), "pk_example");
	out->nvalues = 1;
	out->origins[0].directive = PGW_CSP_SCRIPT;
	out->origins[1].directive = PGW_CSP_FRAME;
	snprintf(out->origins[0].origin, sizeof(out->origins[0].origin),
	    "https://js.example.invalid");
	snprintf(out->origins[1].origin, sizeof(out->origins[1].origin),
	    "https://js.example.invalid");
	out->origins[2].directive = PGW_CSP_CONNECT;
	snprintf(out->origins[2].origin, sizeof(out->origins[2].origin),
	    "https://api.example.invalid");
	out->norigins = 3;
#endif
	return finish(res, PGW_SUCCEEDED);
}

static int32_t
ex_save_card(void *ctx, const struct pgw_save_card_req *req,
    struct pgw_card *out, struct pgw_result *res)
{
	(void)ctx;
	if (req->token == NULL || req->token[0] == '\0') {
		fail(res, "save_card needs a token");
		return finish(res, PGW_ERROR);
	}
	new_id(ctx, "pm", out->payment_method, sizeof(out->payment_method));
	snprintf(out->brand, sizeof(out->brand), "visa");
	snprintf(out->last4, sizeof(out->last4), "4242");
	out->exp_month = 12;
	out->exp_year = 2099;
	return finish(res, PGW_SUCCEEDED);
}

/* Returns the payment with key or ref (one may be NULL); lock held. */
static struct payment *
find(struct example *e, const char *key, const char *ref)
{
	size_t i;

	for (i = 0; i < e->npay; i++)
		if ((key != NULL && strcmp(e->pay[i].key, key) == 0) ||
		    (ref != NULL && strcmp(e->pay[i].ref, ref) == 0))
			return &e->pay[i];
	return NULL;
}

static void
fill(const struct payment *p, struct pgw_payment *out)
{
	snprintf(out->ref, sizeof(out->ref), "%s", p->ref);
	out->status = PGW_SUCCEEDED;
	out->amount = p->amount;
	out->amount_refunded = p->refunded;
	snprintf(out->currency, sizeof(out->currency), "%s", p->currency);
	snprintf(
	    out->idempotency_key, sizeof(out->idempotency_key), "%s", p->key);
	snprintf(out->card.brand, sizeof(out->card.brand), "visa");
	snprintf(out->card.last4, sizeof(out->card.last4), "4242");
	out->card.exp_month = 12;
	out->card.exp_year = 2099;
	out->created_ms = p->created_ms;
}

static int32_t
ex_charge(void *ctx, const struct pgw_charge_req *req, struct pgw_payment *out,
    struct pgw_result *res)
{
	struct example *e = ctx;
	struct payment *p;
	int32_t st = PGW_SUCCEEDED;

	pthread_mutex_lock(&e->lock);
	if ((p = find(e, req->idempotency_key, NULL)) != NULL) {
		/* Idempotent replay: same key, same parameters -> the same
		 * payment; other parameters -> an error, never a charge. */
		if (p->amount != req->amount) {
			fail(res, "idempotency key reused with another amount");
			st = PGW_ERROR;
		} else
			fill(p, out);
		goto out;
	}
	if (e->npay == MAX_PAYMENTS) {
		fail(res, "too many payments for the in-memory example");
		st = PGW_ERROR;
		goto out;
	}
	p = &e->pay[e->npay++];
	snprintf(p->key, sizeof(p->key), "%s", req->idempotency_key);
	new_id(e, "pay", p->ref, sizeof(p->ref));
	p->amount = req->amount;
	snprintf(p->currency, sizeof(p->currency), "%s", req->currency);
	p->created_ms = e->host->clock_ms(e->host);
	fill(p, out);
	if (req->save_card && req->token != NULL)
		new_id(e, "pm", out->card.payment_method,
		    sizeof(out->card.payment_method));
out:
	pthread_mutex_unlock(&e->lock);
	return finish(res, st);
}

static int32_t
ex_refund(void *ctx, const struct pgw_refund_req *req, struct pgw_refund *out,
    struct pgw_result *res)
{
	struct example *e = ctx;
	struct payment *p;
	int64_t amount;
	int32_t st = PGW_SUCCEEDED;

	struct refund *r;
	size_t i;

	pthread_mutex_lock(&e->lock);
	for (i = 0; i < e->nref; i++)
		if (strcmp(e->ref[i].key, req->idempotency_key) == 0)
			break;
	if (i < e->nref) {
		/* Idempotent replay of a refund. */
		r = &e->ref[i];
		snprintf(out->ref, sizeof(out->ref), "%s", r->ref);
		snprintf(out->payment_ref, sizeof(out->payment_ref), "%s",
		    r->payment_ref);
		out->amount = r->amount;
		out->status = PGW_SUCCEEDED;
		goto out;
	}
	if ((p = find(e, NULL, req->payment_ref)) == NULL) {
		fail(res, "no such payment");
		st = PGW_ERROR;
		goto out;
	}
	amount = req->amount == 0 ? p->amount - p->refunded : req->amount;
	if (amount <= 0 || amount > p->amount - p->refunded) {
		fail(res, "refund larger than what is left");
		st = PGW_ERROR;
		goto out;
	}
	if (e->nref == MAX_PAYMENTS) {
		fail(res, "too many refunds for the in-memory example");
		st = PGW_ERROR;
		goto out;
	}
	p->refunded += amount;
	r = &e->ref[e->nref++];
	new_id(e, "re", r->ref, sizeof(r->ref));
	snprintf(r->key, sizeof(r->key), "%s", req->idempotency_key);
	snprintf(r->payment_ref, sizeof(r->payment_ref), "%s", p->ref);
	r->amount = amount;
	snprintf(out->ref, sizeof(out->ref), "%s", r->ref);
	snprintf(out->payment_ref, sizeof(out->payment_ref), "%s", p->ref);
	out->amount = amount;
	out->status = PGW_SUCCEEDED;
out:
	pthread_mutex_unlock(&e->lock);
	return finish(res, st);
}

static int32_t
ex_lookup(void *ctx, const struct pgw_lookup_req *req, struct pgw_payment *out,
    struct pgw_result *res)
{
	struct example *e = ctx;
	struct payment *p;
	int32_t st;

	pthread_mutex_lock(&e->lock);
	if ((p = find(e, req->idempotency_key, req->payment_ref)) != NULL) {
		fill(p, out);
		st = PGW_SUCCEEDED;
	} else {
		fail(res, "no such payment");
		st = PGW_NOT_FOUND;
	}
	pthread_mutex_unlock(&e->lock);
	return finish(res, st);
}

#if PGW_ABI_MINOR >= 1
/* 1.1: verifies "Example-Signature: <hex HMAC-SHA256(secret, raw body)>"
 * with the host's HMAC and constant-time compare, then reads the event
 * {"id", "type": "payment.succeeded" | ..., "payment"} with json_get. */
static int32_t
ex_webhook(void *ctx, const struct pgw_webhook_req *req, struct pgw_event *out,
    struct pgw_result *res)
{
	struct example *e = ctx;
	const struct pgw_host *h = e->host;
	const char *sig;
	unsigned char mac[32];
	char hex[65];
	size_t i;

	snprintf(res->code, sizeof(res->code), "signature_invalid");
	sig = h->header(h, req->headers, req->nheaders, "Example-Signature");
	if (e->whsec[0] == '\0' || sig == NULL || strlen(sig) != 64 ||
	    h->hmac_sha256(h, e->whsec, strlen(e->whsec), req->body,
	        req->body_len, mac) != 0) {
		fail(res, "webhook without a valid Example-Signature");
		return PGW_ERROR;
	}
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	if (!h->mem_equal(h, hex, sig, 64)) {
		fail(res, "webhook signature does not match");
		return PGW_ERROR;
	}
	res->code[0] = '\0';
	if (h->json_get(h, req->body, req->body_len, "id", out->id,
	        sizeof(out->id)) != 1 ||
	    h->json_get(h, req->body, req->body_len, "type", out->type_name,
	        sizeof(out->type_name)) != 1) {
		snprintf(res->code, sizeof(res->code), "bad_payload");
		fail(res, "webhook event without id or type");
		return PGW_ERROR;
	}
	h->json_get(h, req->body, req->body_len, "payment", out->payment_ref,
	    sizeof(out->payment_ref));
	if (strcmp(out->type_name, "payment.succeeded") == 0) {
		out->type = PGW_EVENT_PAYMENT_SUCCEEDED;
		out->status = PGW_SUCCEEDED;
	} else
		out->type = PGW_EVENT_OTHER;
	return PGW_SUCCEEDED;
}
#endif

/* The descriptor: static and immutable. Unset members are operations the
 * plugin does not offer. */
static const struct pgw_plugin example_plugin = {
#if PGW_ABI_MINOR >= 1
    PGW_PLUGIN_HEADER,
#else
    .magic = PGW_MAGIC,
    .size = sizeof(struct pgw_plugin),
    .abi_major = PGW_ABI_MAJOR,
    .abi_minor = PGW_ABI_MINOR,
#endif
    .name = "example",
    .version = "1.0",
    .caps = PGW_CAP_SAVE_CARD | PGW_CAP_ONE_TIME_TOKEN |
            PGW_CAP_PARTIAL_REFUND | PGW_CAP_OFF_SESSION |
            PGW_CAP_LOOKUP_BY_KEY | PGW_CAP_THREADSAFE
#if PGW_ABI_MINOR >= 1
            | PGW_CAP_WEBHOOK
#endif
    ,
    .config = example_config,
    .nconfig = sizeof(example_config) / sizeof(example_config[0]),
    .init = ex_init,
    .fini = ex_fini,
    .create_customer = ex_create_customer,
    .card_widget = ex_card_widget,
    .save_card = ex_save_card,
    .charge = ex_charge,
    .refund = ex_refund,
    .lookup = ex_lookup,
#if PGW_ABI_MINOR >= 1
    .webhook = ex_webhook,
    .init2 = ex_init2,
#endif
};

/* The one exported symbol. */
PGW_EXPORT const struct pgw_plugin *
portal_gateway_entry(void)
{
	return &example_plugin;
}
