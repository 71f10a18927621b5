/* example.c: a minimal, documented portal gateway plugin. Every payment
 * succeeds; state lives in memory in the per-practice context. Start a real
 * plugin from here: keep the shape (one entry symbol, no static mutable
 * state, caller-owned results), replace the bodies with calls to your
 * processor through host->http. See portal-gateway(3). */
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
	pthread_mutex_init(&e->lock, NULL);
	host->log(host, PGW_LOG_INFO, "example plugin ready");
	*ctx = e;
	return PGW_SUCCEEDED;
}

static void
ex_fini(void *ctx)
{
	struct example *e = ctx;

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

static int32_t
ex_create_customer(void *ctx, const struct pgw_customer_req *req,
    struct pgw_customer *out, struct pgw_result *res)
{
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

/* The descriptor: static and immutable. Unset members (webhook here) are
 * operations the plugin does not offer. */
static const struct pgw_plugin example_plugin = {
    .magic = PGW_MAGIC,
    .size = sizeof(struct pgw_plugin),
    .abi_major = PGW_ABI_MAJOR,
    .abi_minor = PGW_ABI_MINOR,
    .name = "example",
    .version = "1.0",
    .caps = PGW_CAP_SAVE_CARD | PGW_CAP_ONE_TIME_TOKEN |
            PGW_CAP_PARTIAL_REFUND | PGW_CAP_OFF_SESSION |
            PGW_CAP_LOOKUP_BY_KEY | PGW_CAP_THREADSAFE,
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
    .webhook = NULL,
};

/* The one exported symbol. */
PGW_EXPORT const struct pgw_plugin *
portal_gateway_entry(void)
{
	return &example_plugin;
}
