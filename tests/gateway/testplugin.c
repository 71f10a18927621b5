/* testplugin.c: tiny plugins for the loader tests, one per VARIANT_*:
 * GOOD (valid, in-memory), BADMAGIC, BADMAJOR, SHORTSIZE, NOENTRY (no entry
 * symbol), INITFAIL (init refuses) and LIAR (operations return statuses
 * that are out of range or disagree with the result). */
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

static void
tp_fini(void *ctx)
{
	free(ctx);
}

static int32_t
tp_charge(void *ctx, const struct pgw_charge_req *req, struct pgw_payment *out,
    struct pgw_result *res)
{
#ifdef VARIANT_LIAR
	res->status = PGW_SUCCEEDED;
	return 42;
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

static const struct pgw_plugin tp_plugin = {
#ifdef VARIANT_BADMAGIC
    .magic = 0xdeadbeef,
#else
    .magic = PGW_MAGIC,
#endif
#ifdef VARIANT_SHORTSIZE
    .size = offsetof(struct pgw_plugin, charge),
#else
    .size = sizeof(struct pgw_plugin),
#endif
#ifdef VARIANT_BADMAJOR
    .abi_major = PGW_ABI_MAJOR + 1,
#else
    .abi_major = PGW_ABI_MAJOR,
#endif
    .abi_minor = PGW_ABI_MINOR,
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
