/* pgw_common.c: helpers shared by the in-tree gateway plugins (result
 * text, copying, secrets, JSON reading, config, the HTTP transport mapping
 * and webhook HMACs); see pgw_common.h. Keeps no state. */
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

	herr[0] = '\0';
	o = host->http(host, req, resp, herr, sizeof(herr));
	res->http_status = resp->status;
	if (o == PGW_HTTP_OK)
		return 1;
	if (o == PGW_HTTP_NOT_SENT) {
		pgwc_copy(res->code, sizeof(res->code), "network_error");
		*st = PGW_RETRYABLE;
	} else if (o == PGW_HTTP_NO_ANSWER) {
		pgwc_copy(res->code, sizeof(res->code), "no_answer");
		*st = is_get ? PGW_RETRYABLE : PGW_UNKNOWN;
	} else
		*st = PGW_ERROR;
	pgwc_seterr(res, "%s: %s %s: %s", name, req->method, path, herr);
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
