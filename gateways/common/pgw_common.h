/* pgw_common.h: helpers shared by the in-tree gateway plugins (sandbox,
 * stripe, square), linked into each as a hidden convenience library so
 * each still exports only portal_gateway_entry. Not for gateways/example. */
#ifndef PGW_COMMON_H
#define PGW_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gateway.h"

/* Writes printf text into res->err (nothing when res has no buffer). */
void pgwc_seterr(struct pgw_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Copies src (NULL as "") into dst of dstsz bytes, truncating. */
void pgwc_copy(char *dst, size_t dstsz, const char *src);

/* Sets res->status to status and returns status. */
int32_t pgwc_done(struct pgw_result *res, int32_t status);

/* For a save_card or charge whose one-time token the processor refused
 * as such (unknown, expired, used): sets res->code to
 * PGW_CODE_TOKEN_INVALID and a client-safe message, keeps res->err, and
 * returns PGW_DECLINED (stored in res->status). */
int32_t pgwc_token_invalid(struct pgw_result *res);

/* Wipes the NUL-terminated secret s and frees it; NULL is fine. */
void pgwc_wipe_free(char *s);

/* The string member k of object o, or "" (never NULL; borrowed from o). */
const char *pgwc_jstr(json_t *o, const char *k);

/* The integer member k of object o, or 0. */
int64_t pgwc_jint(json_t *o, const char *k);

/* The value of the last of the n headers h named name (any case), or
 * NULL; borrowed from h. */
const char *pgwc_header(
    const struct pgw_http_header *h, size_t n, const char *name);

/* Writes the n bytes of p as lower-case hex into out (2n+1 bytes). */
void pgwc_hex(const unsigned char *p, size_t n, char *out);

/* Writes a fresh random idempotency key "pgw-" + 32 hex digits into out
 * (outsz at least 37) from host->random. Returns 0, or -1 (out too small
 * or no randomness). */
int pgwc_random_key(const struct pgw_host *host, char *out, size_t outsz);

/* Checks the host services are of this ABI; else writes
 * "<name>: incompatible host services" into err and returns -1. */
int pgwc_host_ok(
    const struct pgw_host *host, const char *name, char *err, size_t errsz);

/* Parses the timeout_ms value v (100 to 120000) into *out; else writes
 * "<where>: timeout_ms must be 100 to 120000" into err and returns -1. */
int pgwc_conf_timeout(
    const char *v, const char *where, uint32_t *out, char *err, size_t errsz);

/* Drops trailing '/' from the URL s in place. */
void pgwc_trim_slash(char *s);

/* Writes the origin scheme://host[:port] of url into out; returns -1 when
 * url has no "://" or the origin does not fit below outsz bytes. */
int pgwc_origin(const char *url, char *out, size_t outsz);

/*
 * Sends req through host->http (resp prepared by the caller) and maps the
 * transport outcome for "<name>: <method> <path>": not sent -> RETRYABLE
 * (code network_error); sent without an answer -> UNKNOWN, RETRYABLE for a
 * GET (code no_answer); any other failure -> ERROR. Sets res->http_status.
 * Returns 1 when an HTTP answer is in resp, else 0 with *st set (res->err
 * holding the host's text). The caller frees resp with host->http_free.
 */
int pgwc_http(const struct pgw_host *host, const char *name,
    const struct pgw_http_request *req, const char *path,
    struct pgw_http_response *resp, struct pgw_result *res, int32_t *st);

/* For a 429 answer: sets res->retry_after_ms from Retry-After (seconds)
 * and the error text "<name>: <method> <path>: rate limited (429)". */
void pgwc_rate_limited(const char *name, const char *method, const char *path,
    const struct pgw_http_response *resp, struct pgw_result *res);

/* HMAC-SHA256 under the NUL-terminated key of the parts a, b, c (any may
 * be empty) into mac (EVP_MAX_MD_SIZE bytes), *maclen its length. Returns
 * 0, or -1 when out of memory. */
int pgwc_hmac_sha256(const char *key, const void *a, size_t alen, const void *b,
    size_t blen, const void *c, size_t clen, unsigned char *mac,
    unsigned int *maclen);

/* ---- ABI 1.1 helpers ---- */

/* The CSP override keys every in-tree plugin accepts (table entries): a
 * space-separated list of origins that replaces the plugin's defaults for
 * one directive, e.g. for a simulator serving on separate origins. */
#define PGWC_CSP_CONF_KEYS                                           \
	{"csp_script_src", PGW_CONF_STRING, 0,                       \
	    "origins for script-src, space-separated (replaces the " \
	    "default)"},                                             \
	    {"csp_frame_src", PGW_CONF_STRING, 0,                    \
	        "origins for frame-src (replaces the default)"},     \
	    {"csp_connect_src", PGW_CONF_STRING, 0,                  \
	        "origins for connect-src (replaces the default)"},   \
	    {"csp_img_src", PGW_CONF_STRING, 0,                      \
	        "origins for img-src (replaces the default)"},       \
	    {"csp_style_src", PGW_CONF_STRING, 0,                    \
	        "origins for style-src (replaces the default)"},     \
	{                                                            \
		"csp_font_src", PGW_CONF_STRING, 0,                  \
		    "origins for font-src (replaces the default)"    \
	}

/* Configured CSP lists, indexed by enum pgw_csp_directive (NULL: use the
 * plugin's default). */
struct pgwc_csp {
	char *src[PGW_CSP_FONT + 1];
};

/* When kv is one of the csp_* keys: checks every origin in it and stores a
 * copy in csp; returns 1, or -1 with "<where>: ..." in err. Returns 0 for
 * any other key. */
int pgwc_csp_conf(
    struct pgwc_csp *csp, const struct pgw_kv *kv, char *err, size_t errsz);

/* Frees what pgwc_csp_conf stored. */
void pgwc_csp_free(struct pgwc_csp *csp);

/* 1 when o is a CSP origin the portal accepts: https://host[:port],
 * https://[*.]host, or http:// to a loopback host. */
int pgwc_origin_ok(const char *o);

/* Appends to w the origins of directive dir: the configured list when set,
 * else the space-separated def (NULL or "" for none). Returns 0, or -1
 * when w is full. */
int pgwc_widget_origins(struct pgw_widget *w, const struct pgwc_csp *csp,
    int32_t dir, const char *def);

/* Appends the value name=value to w. Returns 0, or -1 when full. */
int pgwc_widget_value(
    struct pgw_widget *w, const char *name, const char *value);

/* Appends the value name=value to the next action a. Returns 0 or -1. */
int pgwc_action_value(
    struct pgw_next_action *a, const char *name, const char *value);

/* Sets the next action of res: type SDK, kind, ref. */
void pgwc_action(struct pgw_result *res, const char *kind, const char *ref);

#endif
