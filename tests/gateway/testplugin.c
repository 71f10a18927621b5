/* testplugin.c: tiny plugins for the loader tests, one per VARIANT_*:
 * GOOD (valid, in-memory), BADMAGIC, BADMAJOR, SHORTSIZE, NOENTRY (no entry
 * symbol), INITFAIL (init refuses), LIAR (a 1.0 plugin whose operations
 * return statuses that are out of range or disagree with the result), V11
 * (an ABI 1.1 plugin: descriptor macros, init2, the return value as the
 * only status, a widget with values and origins, a next action and its
 * completion) and INIT2FAIL (init2 refuses through the result). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

static const struct pgw_conf_key tp_config[] = {
    {"name", PGW_CONF_STRING, 1, "a name"},
    {"count", PGW_CONF_INT, 0, "a number"},
    {"enabled", PGW_CONF_BOOL, 0, "a flag"},
    {"endpoint", PGW_CONF_URL, 0, "the API base URL"},
    {"secret_key_file", PGW_CONF_SECRET_FILE, 0, "a secret file"},
    {"secret_key_env", PGW_CONF_SECRET_ENV, 0, "a secret variable"},
};

struct tp {
	char secret[128];
	char name[64];
};

#ifndef VARIANT_INIT2FAIL
static int32_t
tp_init(const struct pgw_host *host, const struct pgw_kv *kv, size_t n,
    void **ctx, char *err, size_t errsz)
{
	struct tp *t;
	size_t i;

#ifdef VARIANT_INITFAIL
	snprintf(err, errsz, "the test plugin refuses to start");
	*ctx = NULL;
	return PGW_ERROR;
#endif
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return PGW_ERROR;
	for (i = 0; i < n; i++) {
		if (strcmp(kv[i].key, "name") == 0)
			snprintf(t->name, sizeof(t->name), "%s", kv[i].value);
		if (kv[i].type == PGW_CONF_SECRET_FILE ||
		    kv[i].type == PGW_CONF_SECRET_ENV)
			snprintf(
			    t->secret, sizeof(t->secret), "%s", kv[i].value);
	}
	/* Logs its secret on purpose: the host must redact it. */
	if (t->secret[0] != '\0') {
		char msg[300];

		snprintf(msg, sizeof(msg),
		    "started with secret %s and card "
		    "4242 4242 4242 4242",
		    t->secret);
		host->log(host, PGW_LOG_INFO, msg);
	}
	*ctx = t;
	return PGW_SUCCEEDED;
}

#endif

static void
tp_fini(void *ctx)
{
	free(ctx);
}

#if defined(VARIANT_V11) || defined(VARIANT_INIT2FAIL)
static int32_t
tp_init2(const struct pgw_host *host, const struct pgw_kv *kv, size_t n,
    void **ctx, struct pgw_result *res)
{
#ifdef VARIANT_INIT2FAIL
	(void)host;
	(void)kv;
	(void)n;
	snprintf(res->code, sizeof(res->code), "bad_config");
	snprintf(res->err, res->errsz, "%s: the test plugin refuses it",
	    n > 0 ? kv[0].where : "?");
	*ctx = NULL;
	return PGW_ERROR;
#else
	return tp_init(host, kv, n, ctx, res->err, res->errsz);
#endif
}

static int32_t
tp_widget(void *ctx, struct pgw_widget *out, struct pgw_result *res)
{
	(void)ctx;
	(void)res;
	snprintf(out->script_url, sizeof(out->script_url),
	    "https://js.example.test/v1.js");
	snprintf(out->mode, sizeof(out->mode), "test");
	snprintf(out->sdk, sizeof(out->sdk), "example");
	snprintf(out->values[0].name, sizeof(out->values[0].name), "app_id");
	snprintf(out->values[0].value, sizeof(out->values[0].value), "app-1");
	snprintf(out->values[1].name, sizeof(out->values[1].name), "site");
	snprintf(out->values[1].value, sizeof(out->values[1].value), "s-2");
	out->nvalues = 2;
	out->origins[0].directive = PGW_CSP_SCRIPT;
	snprintf(out->origins[0].origin, sizeof(out->origins[0].origin),
	    "https://js.example.test");
	out->origins[1].directive = PGW_CSP_CONNECT;
	snprintf(out->origins[1].origin, sizeof(out->origins[1].origin),
	    "https://api.example.test");
	out->norigins = 2;
	return PGW_SUCCEEDED; /* res->status left alone: the host sets it */
}

static int32_t
tp_complete(void *ctx, const struct pgw_complete_req *req,
    struct pgw_payment *out, struct pgw_result *res)
{
	(void)ctx;
	(void)res;
	if (req->action_result == NULL ||
	    strcmp(req->action_result, "passed") != 0)
		return PGW_DECLINED;
	snprintf(out->ref, sizeof(out->ref), "%s", req->ref);
	out->amount = req->charge->amount;
	return PGW_SUCCEEDED;
}
#endif

static int32_t
tp_charge(void *ctx, const struct pgw_charge_req *req, struct pgw_payment *out,
    struct pgw_result *res)
{
#ifdef VARIANT_LIAR
	res->status = PGW_SUCCEEDED;
	return 42;
#elif defined(VARIANT_V11)
	/* 1.1: only the return value; neither res->status nor out->status */
	(void)ctx;
	if (req->amount == 3184) {
		res->action.type = PGW_ACTION_SDK;
		snprintf(res->action.kind, sizeof(res->action.kind),
		    "example.verify");
		snprintf(res->action.ref, sizeof(res->action.ref), "pay_3ds");
		snprintf(res->action.values[0].name,
		    sizeof(res->action.values[0].name), "client_secret");
		snprintf(res->action.values[0].value,
		    sizeof(res->action.values[0].value), "cs_test_1");
		res->action.nvalues = 1;
		return PGW_REQUIRES_ACTION;
	}
	snprintf(out->ref, sizeof(out->ref), "ch_%s", req->idempotency_key);
	out->amount = req->amount;
	return PGW_SUCCEEDED;
#else
	snprintf(out->ref, sizeof(out->ref), "ch_%s", req->idempotency_key);
	out->amount = req->amount;
	out->status = PGW_SUCCEEDED;
	res->status = PGW_SUCCEEDED;
	return PGW_SUCCEEDED;
#endif
}

static int32_t
tp_lookup(void *ctx, const struct pgw_lookup_req *req, struct pgw_payment *out,
    struct pgw_result *res)
{
#ifdef VARIANT_LIAR
	res->status = PGW_DECLINED;
	return PGW_SUCCEEDED;
#else
	res->status = PGW_NOT_FOUND;
	return PGW_NOT_FOUND;
#endif
}

#if defined(VARIANT_V11) || defined(VARIANT_INIT2FAIL)
static const struct pgw_plugin tp_plugin = {
    PGW_PLUGIN_HEADER,
    .name = "testplugin",
    .version = "1.1",
    .caps = PGW_CAP_NEXT_ACTION,
    .config = tp_config,
    .nconfig = sizeof(tp_config) / sizeof(tp_config[0]),
    .fini = tp_fini,
    .card_widget = tp_widget,
    .charge = tp_charge,
    .lookup = tp_lookup,
    .init2 = tp_init2,
    .complete_charge = tp_complete,
};
PGW_DEFINE_ENTRY(tp_plugin)
#else
/* ABI 1.0 descriptor size (the 1.0 variants say they are 1.0). */
#define TP_SIZE_1_0                             \
	(offsetof(struct pgw_plugin, webhook) + \
	    sizeof(((struct pgw_plugin *)0)->webhook))

static const struct pgw_plugin tp_plugin = {
#ifdef VARIANT_BADMAGIC
    .magic = 0xdeadbeef,
#else
    .magic = PGW_MAGIC,
#endif
#ifdef VARIANT_SHORTSIZE
    .size = offsetof(struct pgw_plugin, charge),
#else
    .size = TP_SIZE_1_0,
#endif
#ifdef VARIANT_BADMAJOR
    .abi_major = PGW_ABI_MAJOR + 1,
#else
    .abi_major = PGW_ABI_MAJOR,
#endif
    .abi_minor = 0,
    .name = "testplugin",
    .version = "0",
    .caps = 0,
    .config = tp_config,
    .nconfig = sizeof(tp_config) / sizeof(tp_config[0]),
    .init = tp_init,
    .fini = tp_fini,
    .charge = tp_charge,
    .lookup = tp_lookup,
};

#ifdef VARIANT_NOENTRY
/* Not the entry symbol: the loader must say so. */
PGW_EXPORT const struct pgw_plugin *portal_gateway_entry_v0(void);
PGW_EXPORT const struct pgw_plugin *
portal_gateway_entry_v0(void)
{
	return &tp_plugin;
}
#else
/* The entry symbol. */
PGW_EXPORT const struct pgw_plugin *
portal_gateway_entry(void)
{
	return &tp_plugin;
}
#endif
#endif
