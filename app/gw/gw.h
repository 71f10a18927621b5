/* gw.h: the gateway plugin host: loads card processor plugins
 * (gateways/gateway.h), validates a practice's gateway config against the
 * plugin's table, runs one instance per practice, and offers the plugins the
 * host services (HTTP through libcurl with redaction, log, clock, random). */
#ifndef PORTAL_GW_H
#define PORTAL_GW_H

#include <stddef.h>
#include <stdint.h>

#include "gateway.h"
#include "util/util.h"

struct conf_node;
struct conf_diag;
struct portal_conf;

/* A loaded plugin file: dlopen handle plus its checked descriptor. */
struct gw_module;
/* One practice's plugin instance (owns its module). */
struct gw_instance;

/* One configuration value for a plugin, as written in YAML. Borrowed by the
 * functions below for the duration of the call. */
struct gw_conf_item {
	const char *key;
	const char *value;  /* NUL-terminated scalar text */
	const char *file;   /* for messages; may be NULL */
	unsigned line, col; /* 1-based position of the value; 0 = unknown */
};

/* Builds the absolute path of plugin name ([a-z0-9_-]{1,64}) in plugindir
 * (absolute) into out[outsz]: "PLUGINDIR/NAME.so". Returns PS_OK, or
 * PS_INVALID with the reason in err. */
enum pstatus gw_plugin_path(const char *plugindir, const char *name, char *out,
    size_t outsz, char *err, size_t errsz);

/* Loads the plugin file path, which must be absolute and (after resolving
 * symbolic links) inside plugindir, a regular file owned by root or us and
 * not group- or world-writable, in a directory that is not group- or
 * world-writable either. dlopen(RTLD_NOW | RTLD_LOCAL), then the entry
 * symbol, magic, ABI major, descriptor size and required members are
 * checked. Returns PS_OK with *out (free with gw_module_close()), or
 * PS_INVALID/PS_DENIED/PS_NOTFOUND/PS_NOMEM with a message naming the file
 * in err; nothing stays loaded on failure. */
enum pstatus gw_module_open(const char *plugindir, const char *path,
    struct gw_module **out, char *err, size_t errsz);
/* Returns the module's descriptor (owned by the module). */
const struct pgw_plugin *gw_module_plugin(const struct gw_module *m);
/* Returns the resolved path of the module's file (owned by the module). */
const char *gw_module_path(const struct gw_module *m);
/* dlcloses and frees m. NULL is fine. */
void gw_module_close(struct gw_module *m);

/* Checks items[0..n) against the plugin's config table: unknown keys (with a
 * "did you mean"), duplicates, missing required keys, ints, bools and URLs,
 * secret-file paths (absolute) and secret-env names. Every problem becomes
 * one line "FILE:LINE:COL: message" in err[errsz] (lines joined by '\n',
 * truncated to fit). Returns PS_OK or PS_INVALID; *nproblems (may be NULL)
 * gets the count. */
enum pstatus gw_conf_check(const struct pgw_plugin *p,
    const struct gw_conf_item *items, size_t n, size_t *nproblems, char *err,
    size_t errsz);

/* Collects the scalar members of a practice's `gateway:` mapping (from
 * app/conf) into a new array *items of *n entries, skipping "plugin", and
 * stores the plugin name (the "plugin:" value, borrowed from the tree) in
 * *plugin. Non-scalar values and a missing or bad plugin name are problems
 * reported as in gw_conf_check(). The items borrow strings from the tree;
 * free the array with free(). Returns PS_OK, PS_INVALID or PS_NOMEM. */
enum pstatus gw_conf_from_node(const struct conf_node *gateway,
    const char **plugin, struct gw_conf_item **items, size_t *n, char *err,
    size_t errsz);

/* Validates every practice's `gateway:` block of c against its plugin's
 * key table: loads each plugin from c->paths.plugins (without init, so no
 * secret is read and nothing is contacted), checks the keys as
 * gw_conf_check(), and adds each problem to d at its FILE:LINE:COL (a
 * plugin that does not load: at the `plugin:` value). Returns PS_OK (even
 * with problems: count them in d) or PS_NOMEM. */
enum pstatus gw_practices_check(
    const struct portal_conf *c, struct conf_diag *d);

/* Creates the instance of practice (a name for logs) from module m (whose
 * ownership passes to the instance, also on failure): checks the config
 * as gw_conf_check(), reads secrets, calls the plugin's init. Returns PS_OK
 * with *out, or PS_INVALID (config problems) / PS_ERROR (init failed) /
 * PS_NOMEM with the message in err; then m is closed and the caller turns
 * Online Payments off for that practice and logs err. */
enum pstatus gw_instance_new(struct gw_module *m, const char *practice,
    const struct gw_conf_item *items, size_t n, struct gw_instance **out,
    char *err, size_t errsz);
/* Opens plugin name from plugindir for practice in one call
 * (gw_plugin_path + gw_module_open + gw_instance_new). */
enum pstatus gw_instance_open(const char *plugindir, const char *name,
    const char *practice, const struct gw_conf_item *items, size_t n,
    struct gw_instance **out, char *err, size_t errsz);
/* Opens the instance of practice from its `gateway:` mapping (app/conf's
 * practice_conf.gateway): gw_conf_from_node + gw_instance_open. Returns as
 * gw_instance_open(); on any failure the caller turns Online Payments off
 * for that practice and logs err (one or more lines). */
enum pstatus gw_practice_open(const char *plugindir,
    const struct conf_node *gateway, const char *practice,
    struct gw_instance **out, char *err, size_t errsz);
/* Calls the plugin's fini, wipes secrets, closes the module. NULL is fine.
 * No operation may be running on inst. */
void gw_instance_free(struct gw_instance *inst);
/* Returns the instance's plugin descriptor. */
const struct pgw_plugin *gw_instance_plugin(const struct gw_instance *inst);
/* Returns the host-services table of the instance (owned by it), e.g. to
 * set an HTTP hook in tests. */
struct pgw_host *gw_instance_host(struct gw_instance *inst);

/* The operations, forwarded to the plugin. Each initializes res (size, err,
 * errsz, zeroes the rest) and out (size), serializes the call when the plugin
 * is not PGW_CAP_THREADSAFE, sanity-checks the status returned (a charge
 * that returns nonsense becomes PGW_UNKNOWN, anything else PGW_ERROR), logs
 * one line without secrets, and returns the status. err[errsz] is the
 * caller's storage for res->err. */
enum pgw_status gw_create_customer(struct gw_instance *inst,
    const struct pgw_customer_req *req, struct pgw_customer *out,
    struct pgw_result *res, char *err, size_t errsz);
enum pgw_status gw_card_widget(struct gw_instance *inst, struct pgw_widget *out,
    struct pgw_result *res, char *err, size_t errsz);
enum pgw_status gw_save_card(struct gw_instance *inst,
    const struct pgw_save_card_req *req, struct pgw_card *out,
    struct pgw_result *res, char *err, size_t errsz);
enum pgw_status gw_charge(struct gw_instance *inst,
    const struct pgw_charge_req *req, struct pgw_payment *out,
    struct pgw_result *res, char *err, size_t errsz);
enum pgw_status gw_refund(struct gw_instance *inst,
    const struct pgw_refund_req *req, struct pgw_refund *out,
    struct pgw_result *res, char *err, size_t errsz);
enum pgw_status gw_lookup(struct gw_instance *inst,
    const struct pgw_lookup_req *req, struct pgw_payment *out,
    struct pgw_result *res, char *err, size_t errsz);
enum pgw_status gw_webhook(struct gw_instance *inst,
    const struct pgw_webhook_req *req, struct pgw_event *out,
    struct pgw_result *res, char *err, size_t errsz);

/* ABI 1.1: complete a charge or card save that answered REQUIRES_ACTION,
 * after the browser performed res->action (see pgw_complete_req): req
 * carries the original request (same idempotency key) and the action's
 * ref. As gw_charge/gw_save_card otherwise; a plugin without completion
 * (a 1.0 plugin, or complete_* NULL) answers PGW_ERROR code
 * "unsupported". */
enum pgw_status gw_complete_charge(struct gw_instance *inst,
    const struct pgw_complete_req *req, struct pgw_payment *out,
    struct pgw_result *res, char *err, size_t errsz);
enum pgw_status gw_complete_save_card(struct gw_instance *inst,
    const struct pgw_complete_req *req, struct pgw_card *out,
    struct pgw_result *res, char *err, size_t errsz);

/* Returns a static upper-case name of s ("SUCCEEDED", ...). */
const char *gw_status_str(int32_t s);

/* Host services. */

/* A host-services table for one instance (or a test harness); free with
 * gw_host_free(). tag names the instance in logs ("practice=x plugin=y").
 * Returns NULL when out of memory. */
struct pgw_host *gw_host_new(const char *tag);
/* Adds s to the strings the host never logs (secrets, tokens); copied and
 * wiped on free. Strings shorter than 4 bytes are ignored. Returns PS_OK
 * or PS_NOMEM. */
enum pstatus gw_host_add_secret(struct pgw_host *h, const char *s);
/* Frees h, wiping its secrets. NULL is fine. */
void gw_host_free(struct pgw_host *h);

/* A test hook on the host's HTTP: when set, fn runs instead of libcurl (it
 * may call gw_host_http_real to pass through). Used by the conformance
 * suite to inject faults generically. */
typedef int32_t (*gw_http_hook_fn)(void *arg, const struct pgw_host *host,
    const struct pgw_http_request *req, struct pgw_http_response *resp,
    char *err, size_t errsz);
void gw_host_set_http_hook(struct pgw_host *h, gw_http_hook_fn fn, void *arg);
/* The one transport-to-status mapping (pgw_host.http_call): outcome (an
 * enum pgw_http_outcome) of a request with method that got HTTP status
 * http (0 = none): PGW_SUCCEEDED (an answer to read), PGW_RETRYABLE (not
 * sent; 429; a GET/HEAD without answer or with 5xx), PGW_UNKNOWN (another
 * method sent without answer or answered 5xx) or PGW_ERROR (misuse). */
int32_t gw_host_http_status(int32_t outcome, const char *method, int32_t http);
/* The real libcurl request of host services (see pgw_host.http). */
int32_t gw_host_http_real(const struct pgw_host *host,
    const struct pgw_http_request *req, struct pgw_http_response *resp,
    char *err, size_t errsz);

/* Replaces, in place in the NUL-terminated s, every run of 13 to 19 digits
 * (spaces or dashes allowed between them) that passes the Luhn check, and
 * every occurrence of the host's secrets (h may be NULL), with "[redacted]"
 * or as many '*' as fit; control characters become '?'. Returns s. */
char *gw_redact(const struct pgw_host *h, char *s);

#endif
