/* pgw_common.c: helpers shared by the in-tree gateway plugins (result
 * text, copying, secrets, JSON reading, config, the HTTP transport mapping
 * and webhook HMACs); see pgw_common.h. Keeps no state. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "pgw_common.h"

void
pgwc_seterr(struct pgw_result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->err == NULL || res->errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(res->err, res->errsz, fmt, ap);
	va_end(ap);
}

void
pgwc_copy(char *dst, size_t dstsz, const char *src)
{
	snprintf(dst, dstsz, "%s", src != NULL ? src : "");
}

int32_t
pgwc_done(struct pgw_result *res, int32_t status)
{
	res->status = status;
	return status;
}

int32_t
pgwc_token_invalid(struct pgw_result *res)
{
	pgwc_copy(res->code, sizeof(res->code), PGW_CODE_TOKEN_INVALID);
	pgwc_copy(res->message, sizeof(res->message),
	    "That card entry expired. Please enter the card again.");
	return pgwc_done(res, PGW_DECLINED);
}

void
pgwc_wipe_free(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

const char *
pgwc_jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

int64_t
pgwc_jint(json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

const char *
pgwc_header(const struct pgw_http_header *h, size_t n, const char *name)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(h[i].name, name) == 0)
			v = h[i].value;
	return v;
}

void
pgwc_hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

int
pgwc_random_key(const struct pgw_host *host, char *out, size_t outsz)
{
	unsigned char r[16];

	if (outsz < 2 * sizeof(r) + 5 || host->random(host, r, sizeof(r)))
		return -1;
	memcpy(out, "pgw-", 4);
	pgwc_hex(r, sizeof(r), out + 4);
	return 0;
}

int
pgwc_host_ok(
    const struct pgw_host *host, const char *name, char *err, size_t errsz)
{
	if (host == NULL || host->size < sizeof(struct pgw_host) ||
	    host->abi_major != PGW_ABI_MAJOR) {
		snprintf(err, errsz, "%s: incompatible host services", name);
		return -1;
	}
	return 0;
}

int
pgwc_conf_timeout(
    const char *v, const char *where, uint32_t *out, char *err, size_t errsz)
{
	long long t = strtoll(v, NULL, 10);

	if (t < 100 || t > 120000) {
		snprintf(
		    err, errsz, "%s: timeout_ms must be 100 to 120000", where);
		return -1;
	}
	*out = (uint32_t)t;
	return 0;
}

void
pgwc_trim_slash(char *s)
{
	size_t len = strlen(s);

	while (len > 0 && s[len - 1] == '/')
		s[--len] = '\0';
}

int
pgwc_origin(const char *url, char *out, size_t outsz)
{
	const char *p, *e;
	size_t len;

	p = strstr(url, "://");
	e = p != NULL ? strchr(p + 3, '/') : NULL;
	len = e != NULL ? (size_t)(e - url) : strlen(url);
	if (p == NULL || len >= outsz)
		return -1;
	memcpy(out, url, len);
	out[len] = '\0';
	return 0;
}

int
pgwc_http(const struct pgw_host *host, const char *name,
    const struct pgw_http_request *req, const char *path,
    struct pgw_http_response *resp, struct pgw_result *res, int32_t *st)
{
	char herr[512];
	int32_t o;
	int is_get = strcmp(req->method, "GET") == 0;

	/* The host's one mapping (ABI 1.1 http_call); an answer (429 and
	 * 5xx included) is the plugin's to read with its processor's codes. */
	(void)is_get;
	o = host->http_call(host, req, resp, res);
	if (o == PGW_SUCCEEDED || resp->status != 0) {
		res->code[0] = '\0';
		if (res->err != NULL && res->errsz > 0)
			res->err[0] = '\0';
		res->retry_after_ms = 0;
		return 1;
	}
	*st = o;
	if (res->err != NULL) {
		snprintf(herr, sizeof(herr), "%s", res->err);
		pgwc_seterr(res, "%s: %s %s: %s", name, req->method, path,
		    strstr(herr, ": ") != NULL ? strstr(herr, ": ") + 2 : herr);
	}
	return 0;
}

void
pgwc_rate_limited(const char *name, const char *method, const char *path,
    const struct pgw_http_response *resp, struct pgw_result *res)
{
	const char *v =
	    pgwc_header(resp->headers, resp->nheaders, "Retry-After");

	if (v != NULL)
		res->retry_after_ms = (uint32_t)strtoul(v, NULL, 10) * 1000;
	pgwc_seterr(res, "%s: %s %s: rate limited (429)", name, method, path);
}

int
pgwc_hmac_sha256(const char *key, const void *a, size_t alen, const void *b,
    size_t blen, const void *c, size_t clen, unsigned char *mac,
    unsigned int *maclen)
{
	unsigned char *msg;
	size_t n = alen + blen + clen;

	if ((msg = malloc(n + 1)) == NULL)
		return -1;
	if (alen > 0)
		memcpy(msg, a, alen);
	if (blen > 0)
		memcpy(msg + alen, b, blen);
	if (clen > 0)
		memcpy(msg + alen + blen, c, clen);
	HMAC(EVP_sha256(), key, (int)strlen(key), msg, n, mac, maclen);
	free(msg);
	return 0;
}

int
pgwc_origin_ok(const char *o)
{
	const char *h;
	size_t i;

	if (strncmp(o, "https://", 8) == 0)
		h = o + 8;
	else if (strncmp(o, "http://127.0.0.1", 16) == 0 ||
	         strncmp(o, "http://localhost", 16) == 0 ||
	         strncmp(o, "http://[::1]", 12) == 0)
		h = o + 7;
	else
		return 0;
	if (strncmp(h, "*.", 2) == 0)
		h += 2;
	if (*h == '\0' || *h == '.' || *h == ':' || strlen(o) >= PGW_ORIGIN_MAX)
		return 0;
	for (i = 0; h[i] != '\0'; i++)
		if (!(isalnum((unsigned char)h[i]) || h[i] == '.' ||
		        h[i] == '-' || h[i] == ':' || h[i] == '[' ||
		        h[i] == ']'))
			return 0;
	return 1;
}

int
pgwc_csp_conf(
    struct pgwc_csp *csp, const struct pgw_kv *kv, char *err, size_t errsz)
{
	static const char *const keys[] = {NULL, "csp_script_src",
	    "csp_frame_src", "csp_connect_src", "csp_img_src", "csp_style_src",
	    "csp_font_src"};
	char *copy, *tok, *save = NULL;
	int d;

	for (d = PGW_CSP_SCRIPT; d <= PGW_CSP_FONT; d++)
		if (strcmp(kv->key, keys[d]) == 0)
			break;
	if (d > PGW_CSP_FONT)
		return 0;
	if ((copy = strdup(kv->value)) == NULL) {
		snprintf(err, errsz, "%s: out of memory", kv->where);
		return -1;
	}
	for (tok = strtok_r(copy, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save))
		if (!pgwc_origin_ok(tok)) {
			snprintf(err, errsz,
			    "%s: %s: \"%.200s\" is not an origin "
			    "(https://host[:port], https://*.domain, or "
			    "http:// to loopback)",
			    kv->where, kv->key, tok);
			free(copy);
			return -1;
		}
	free(copy);
	free(csp->src[d]);
	if ((csp->src[d] = strdup(kv->value)) == NULL) {
		snprintf(err, errsz, "%s: out of memory", kv->where);
		return -1;
	}
	return 1;
}

void
pgwc_csp_free(struct pgwc_csp *csp)
{
	size_t i;

	for (i = 0; i < sizeof(csp->src) / sizeof(csp->src[0]); i++) {
		free(csp->src[i]);
		csp->src[i] = NULL;
	}
}

int
pgwc_widget_origins(struct pgw_widget *w, const struct pgwc_csp *csp,
    int32_t dir, const char *def)
{
	const char *list = dir >= PGW_CSP_SCRIPT && dir <= PGW_CSP_FONT &&
	                           csp->src[dir] != NULL
	                       ? csp->src[dir]
	                       : def;
	const char *p = list != NULL ? list : "";
	size_t n;

	while (*p != '\0') {
		p += strspn(p, " \t");
		n = strcspn(p, " \t");
		if (n == 0)
			break;
		if (w->norigins >= PGW_WIDGET_ORIGINS_MAX ||
		    n >= sizeof(w->origins[0].origin))
			return -1;
		w->origins[w->norigins].directive = dir;
		memcpy(w->origins[w->norigins].origin, p, n);
		w->origins[w->norigins].origin[n] = '\0';
		w->norigins++;
		p += n;
	}
	return 0;
}

int
pgwc_widget_value(struct pgw_widget *w, const char *name, const char *value)
{
	if (w->nvalues >= PGW_WIDGET_VALUES_MAX)
		return -1;
	pgwc_copy(w->values[w->nvalues].name, PGW_NAME_MAX, name);
	pgwc_copy(w->values[w->nvalues].value, PGW_VALUE_MAX, value);
	w->nvalues++;
	return 0;
}

int
pgwc_action_value(
    struct pgw_next_action *a, const char *name, const char *value)
{
	if (a->nvalues >= PGW_ACTION_VALUES_MAX)
		return -1;
	pgwc_copy(a->values[a->nvalues].name, PGW_NAME_MAX, name);
	pgwc_copy(a->values[a->nvalues].value, PGW_VALUE_MAX, value);
	a->nvalues++;
	return 0;
}

void
pgwc_action(struct pgw_result *res, const char *kind, const char *ref)
{
	memset(&res->action, 0, sizeof(res->action));
	res->action.type = PGW_ACTION_SDK;
	pgwc_copy(res->action.kind, sizeof(res->action.kind), kind);
	pgwc_copy(res->action.ref, sizeof(res->action.ref), ref);
}
