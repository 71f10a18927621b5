/* host.c: the services the portal offers gateway plugins: HTTP through
 * libcurl (TLS verified, no redirects, bounded), redacted logging, clock and
 * randomness, and (ABI 1.1) the one transport-to-status mapping, JSON
 * lookup and quoting, form encoding, HMAC-SHA256, constant-time compare and
 * header lookup, so outside plugins need no private copies. */
#include <sys/random.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "gw/gw.h"

#define HTTP_MAX_BODY    (1024 * 1024)
#define HTTP_DEFAULT_MS  30000
#define HTTP_CONNECT_MS  10000
#define HTTP_MAX_HEADERS 64

/* What hangs off pgw_host.opaque. */
struct host_state {
	char *tag;
	pthread_mutex_t lock; /* guards secrets */
	char **secrets;
	size_t nsecrets;
	gw_http_hook_fn hook;
	void *hook_arg;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void
curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Luhn check of the digits d[0..n). */
static int
luhn_ok(const char *d, size_t n)
{
	int sum = 0, dbl = 0;
	size_t i;

	for (i = n; i > 0; i--) {
		int v = d[i - 1] - '0';

		if (dbl) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
		dbl = !dbl;
	}
	return sum % 10 == 0;
}

/* Redacts card-number-like digit runs in s in place. */
static void
redact_cards(char *s)
{
	char digits[32];
	size_t i = 0, len = strlen(s);

	while (i < len) {
		size_t j, nd = 0, last = i;

		if (s[i] < '0' || s[i] > '9' ||
		    (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')) {
			i++;
			continue;
		}
		/* Gather digits with single spaces/dashes between them. */
		for (j = i; j < len; j++) {
			if (s[j] >= '0' && s[j] <= '9') {
				if (nd == sizeof(digits))
					break;
				digits[nd++] = s[j];
				last = j;
			} else if ((s[j] == ' ' || s[j] == '-') &&
			           j + 1 < len && s[j + 1] >= '0' &&
			           s[j + 1] <= '9')
				continue;
			else
				break;
		}
		if (nd >= 13 && nd <= 19 && luhn_ok(digits, nd)) {
			static const char rep[] = "[card]";
			size_t span = last - i + 1;

			memcpy(s + i, rep, sizeof(rep) - 1);
			memmove(
			    s + i + sizeof(rep) - 1, s + last + 1, len - last);
			len -= span - (sizeof(rep) - 1);
			i += sizeof(rep) - 1;
		} else
			i = last + 1;
	}
}

char *
gw_redact(const struct pgw_host *h, char *s)
{
	struct host_state *st = h != NULL ? h->opaque : NULL;
	size_t i;

	if (s == NULL)
		return s;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = '?';
	if (st != NULL) {
		pthread_mutex_lock(&st->lock);
		for (i = 0; i < st->nsecrets; i++) {
			size_t sl = strlen(st->secrets[i]);
			char *p;

			while ((p = strstr(s, st->secrets[i])) != NULL) {
				memcpy(p, "***", 3);
				memmove(p + 3, p + sl, strlen(p + sl) + 1);
			}
		}
		pthread_mutex_unlock(&st->lock);
	}
	redact_cards(s);
	return s;
}

/* Redacts also the request's own redact list. */
static void
redact_req(
    const struct pgw_host *h, const struct pgw_http_request *req, char *s)
{
	size_t i;

	gw_redact(h, s);
	if (req == NULL || req->redact == NULL)
		return;
	for (i = 0; i < req->nredact; i++) {
		const char *r = req->redact[i];
		size_t rl;
		char *p;

		if (r == NULL || (rl = strlen(r)) < 4)
			continue;
		while ((p = strstr(s, r)) != NULL) {
			memcpy(p, "***", 3);
			memmove(p + 3, p + rl, strlen(p + rl) + 1);
		}
	}
}

static void
host_log(const struct pgw_host *h, int32_t level, const char *msg)
{
	struct host_state *st = h->opaque;
	char line[1024], v[1200];
	enum log_level lvl;

	snprintf(line, sizeof(line), "%s", msg != NULL ? msg : "");
	gw_redact(h, line);
	switch (level) {
	case PGW_LOG_DEBUG:
		lvl = LOG_LVL_DEBUG;
		break;
	case PGW_LOG_INFO:
		lvl = LOG_LVL_INFO;
		break;
	case PGW_LOG_WARN:
		lvl = LOG_LVL_WARN;
		break;
	default:
		lvl = LOG_LVL_ERROR;
		break;
	}
	log_kv(lvl, "event=gateway_log %s msg=%s", st->tag,
	    log_value(line, v, sizeof(v)));
}

static int64_t
host_clock_ms(const struct pgw_host *h)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int32_t
host_random(const struct pgw_host *h, void *buf, size_t n)
{
	unsigned char *p = buf;
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(p + got, n - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

/* Per-request state of the libcurl transfer. */
struct xfer {
	char *body;
	size_t len, cap;
	int too_big;
	int sent; /* some request bytes left: the processor may have acted */
	struct pgw_http_header *hdrs;
	size_t nhdrs;
	int nomem;
};

static size_t
on_body(char *p, size_t sz, size_t nm, void *arg)
{
	struct xfer *x = arg;
	size_t n = sz * nm;

	if (x->len + n > HTTP_MAX_BODY) {
		x->too_big = 1;
		return 0;
	}
	if (x->len + n + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 4096;
		char *nb;

		while (cap < x->len + n + 1)
			cap *= 2;
		if ((nb = realloc(x->body, cap)) == NULL) {
			x->nomem = 1;
			return 0;
		}
		x->body = nb;
		x->cap = cap;
	}
	memcpy(x->body + x->len, p, n);
	x->len += n;
	x->body[x->len] = '\0';
	return n;
}

static size_t
on_header(char *p, size_t sz, size_t nm, void *arg)
{
	struct xfer *x = arg;
	size_t n = sz * nm, k, e;
	struct pgw_http_header *nh;
	char *name, *value;

	/* A new status line (e.g. after 100 Continue) resets the list. */
	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		for (k = 0; k < x->nhdrs; k++) {
			free((char *)x->hdrs[k].name);
			free((char *)x->hdrs[k].value);
		}
		x->nhdrs = 0;
		return n;
	}
	for (k = 0; k < n && p[k] != ':'; k++)
		;
	if (k == n || k == 0 || x->nhdrs >= HTTP_MAX_HEADERS)
		return n;
	e = n;
	while (e > k + 1 && (p[e - 1] == '\r' || p[e - 1] == '\n' ||
	                        p[e - 1] == ' ' || p[e - 1] == '\t'))
		e--;
	value = p + k + 1;
	while (value < p + e && (*value == ' ' || *value == '\t'))
		value++;
	if ((nh = realloc(x->hdrs, (x->nhdrs + 1) * sizeof(*nh))) == NULL) {
		x->nomem = 1;
		return 0;
	}
	x->hdrs = nh;
	name = strndup(p, k);
	value = strndup(value, (size_t)(p + e - value));
	if (name == NULL || value == NULL) {
		free(name);
		free(value);
		x->nomem = 1;
		return 0;
	}
	x->hdrs[x->nhdrs].name = name;
	x->hdrs[x->nhdrs].value = value;
	x->nhdrs++;
	return n;
}

/* libcurl's debug callback, used only to learn whether request bytes left;
 * the data is never looked at nor logged. */
static int
on_debug(CURL *c, curl_infotype type, char *data, size_t n, void *arg)
{
	struct xfer *x = arg;

	if (type == CURLINFO_HEADER_OUT || type == CURLINFO_DATA_OUT)
		x->sent = 1;
	return 0;
}

/* Returns 1 if url's host is loopback (plain http is allowed only there). */
static int
url_loopback(const char *url)
{
	static const char *const ok[] = {"http://127.0.0.1:",
	    "http://127.0.0.1/", "http://localhost:", "http://localhost/",
	    "http://[::1]:", "http://[::1]/"};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strncmp(url, ok[i], strlen(ok[i])) == 0)
			return 1;
	return strcmp(url, "http://127.0.0.1") == 0 ||
	       strcmp(url, "http://localhost") == 0;
}

/* Writes url without its query or fragment into out, redacted. */
static void
url_for_log(const struct pgw_host *h, const struct pgw_http_request *req,
    char *out, size_t outsz)
{
	size_t n;

	snprintf(out, outsz, "%s", req->url);
	n = strcspn(out, "?#");
	out[n] = '\0';
	redact_req(h, req, out);
}

static void
resp_reset(struct pgw_http_response *resp)
{
	uint32_t size = resp->size;

	memset(resp, 0, size < sizeof(*resp) ? size : sizeof(*resp));
	resp->size = size;
}

int32_t
gw_host_http_real(const struct pgw_host *h, const struct pgw_http_request *req,
    struct pgw_http_response *resp, char *err, size_t errsz)
{
	struct host_state *st = h->opaque;
	struct curl_slist *hl = NULL, *t;
	struct xfer x;
	CURL *c = NULL;
	CURLcode rc;
	long code = 0, tmo;
	int32_t out = PGW_HTTP_MISUSE;
	struct timespec t0, t1;
	char lurl[512], v[600], cerr[CURL_ERROR_SIZE];
	size_t i;

	memset(&x, 0, sizeof(x));
	cerr[0] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (resp == NULL || resp->size < sizeof(*resp)) {
		errbuf_set(err, errsz, "http: response struct too small");
		return PGW_HTTP_MISUSE;
	}
	resp_reset(resp);
	if (req == NULL ||
	    req->size < offsetof(struct pgw_http_request, redact) ||
	    req->method == NULL || req->url == NULL) {
		errbuf_set(err, errsz, "http: request without method or url");
		goto done;
	}
	url_for_log(h, req, lurl, sizeof(lurl));
	if (strncmp(req->url, "https://", 8) != 0 && !url_loopback(req->url)) {
		errbuf_set(err, errsz,
		    "http: %s: only https:// (or http:// to loopback) is allowed",
		    lurl);
		goto done;
	}
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK || (c = curl_easy_init()) == NULL) {
		errbuf_set(err, errsz, "http: cannot initialize libcurl");
		goto done;
	}
	for (i = 0; i < req->nheaders; i++) {
		char line[4096];

		if (req->headers[i].name == NULL ||
		    req->headers[i].value == NULL ||
		    strpbrk(req->headers[i].name, "\r\n:") != NULL ||
		    strpbrk(req->headers[i].value, "\r\n") != NULL) {
			errbuf_set(
			    err, errsz, "http: %s: bad header %zu", lurl, i);
			goto done;
		}
		if ((size_t)snprintf(line, sizeof(line), "%s: %s",
		        req->headers[i].name,
		        req->headers[i].value) >= sizeof(line)) {
			errbuf_set(
			    err, errsz, "http: %s: header too long", lurl);
			goto done;
		}
		if ((t = curl_slist_append(hl, line)) == NULL) {
			OPENSSL_cleanse(line, sizeof(line));
			errbuf_set(err, errsz, "http: out of memory");
			goto done;
		}
		OPENSSL_cleanse(line, sizeof(line));
		hl = t;
	}
	/* No "Expect: 100-continue" round trip. */
	if ((t = curl_slist_append(hl, "Expect:")) == NULL) {
		errbuf_set(err, errsz, "http: out of memory");
		goto done;
	}
	hl = t;
	tmo = req->timeout_ms ? (long)req->timeout_ms : HTTP_DEFAULT_MS;
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	if (strcmp(req->method, "GET") == 0)
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	else if (req->body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
	} else if (strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, tmo);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    tmo < HTTP_CONNECT_MS ? tmo : (long)HTTP_CONNECT_MS);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(
	    c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(c, CURLOPT_DEBUGDATA, &x);
	curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "portal-gateway-host/1");

	rc = curl_easy_perform(c);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		out = PGW_HTTP_OK;
	} else if (x.too_big) {
		errbuf_set(err, errsz, "http: %s: answer over %d bytes", lurl,
		    HTTP_MAX_BODY);
		/* The processor has answered: whatever it did, it did. */
		out = PGW_HTTP_NO_ANSWER;
	} else if (x.nomem) {
		errbuf_set(err, errsz, "http: out of memory");
		out = x.sent ? PGW_HTTP_NO_ANSWER : PGW_HTTP_MISUSE;
	} else if (rc == CURLE_URL_MALFORMAT ||
	           rc == CURLE_UNSUPPORTED_PROTOCOL) {
		errbuf_set(
		    err, errsz, "http: %s: %s", lurl, curl_easy_strerror(rc));
		out = PGW_HTTP_MISUSE;
	} else {
		errbuf_set(err, errsz, "http: %s %s: %s%s", req->method, lurl,
		    curl_easy_strerror(rc),
		    x.sent ? " after the request was sent"
		           : " before the request was sent");
		out = x.sent ? PGW_HTTP_NO_ANSWER : PGW_HTTP_NOT_SENT;
	}
	if (out == PGW_HTTP_OK) {
		resp->status = (int32_t)code;
		resp->body = x.body;
		resp->body_len = x.len;
		resp->headers = x.hdrs;
		resp->nheaders = x.nhdrs;
		x.body = NULL;
		x.hdrs = NULL;
		x.nhdrs = 0;
		if (resp->body == NULL && (resp->body = calloc(1, 1)) == NULL) {
			errbuf_set(err, errsz, "http: out of memory");
			out = PGW_HTTP_NO_ANSWER;
		}
	}
done:
	clock_gettime(CLOCK_MONOTONIC, &t1);
	resp->elapsed_ms = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000 +
	                   (t1.tv_nsec - t0.tv_nsec) / 1000000;
	if (out != PGW_HTTP_OK && resp->body == NULL)
		resp->body = calloc(1, 1);
	if (req != NULL && req->url != NULL && req->method != NULL) {
		char m[16];

		snprintf(m, sizeof(m), "%s", req->method);
		gw_redact(h, m);
		url_for_log(h, req, lurl, sizeof(lurl));
		log_kv(out == PGW_HTTP_OK ? LOG_LVL_INFO : LOG_LVL_WARN,
		    "event=gateway_http %s method=%s url=%s status=%ld "
		    "outcome=%s ms=%lld",
		    st->tag, m, log_value(lurl, v, sizeof(v)), code,
		    out == PGW_HTTP_OK          ? "answered"
		    : out == PGW_HTTP_NOT_SENT  ? "not_sent"
		    : out == PGW_HTTP_NO_ANSWER ? "no_answer"
		                                : "refused",
		    (long long)resp->elapsed_ms);
	}
	for (i = 0; i < x.nhdrs; i++) {
		free((char *)x.hdrs[i].name);
		free((char *)x.hdrs[i].value);
	}
	free(x.hdrs);
	free(x.body);
	curl_slist_free_all(hl);
	if (c != NULL)
		curl_easy_cleanup(c);
	if (err != NULL && errsz > 0)
		redact_req(h, req, err);
	return out;
}

static int32_t
host_http(const struct pgw_host *h, const struct pgw_http_request *req,
    struct pgw_http_response *resp, char *err, size_t errsz)
{
	struct host_state *st = h->opaque;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	if (st->hook != NULL)
		return st->hook(st->hook_arg, h, req, resp, err, errsz);
	return gw_host_http_real(h, req, resp, err, errsz);
}

static void
host_http_free(const struct pgw_host *h, struct pgw_http_response *resp)
{
	size_t i;

	if (resp == NULL)
		return;
	for (i = 0; i < resp->nheaders; i++) {
		free((char *)resp->headers[i].name);
		free((char *)resp->headers[i].value);
	}
	free(resp->headers);
	free(resp->body);
	resp_reset(resp);
}

static const char *
host_header(const struct pgw_host *h, const struct pgw_http_header *hd,
    size_t n, const char *name)
{
	const char *v = NULL;
	size_t i;

	(void)h;
	for (i = 0; hd != NULL && name != NULL && i < n; i++)
		if (hd[i].name != NULL && strcasecmp(hd[i].name, name) == 0)
			v = hd[i].value;
	return v;
}

/* Writes "METHOD URL-without-query: why" into res->err. */
static void
call_err(const struct pgw_host *h, const struct pgw_http_request *req,
    struct pgw_result *res, const char *why)
{
	char u[PGW_URL_MAX];

	if (res->err == NULL || res->errsz == 0)
		return;
	snprintf(u, sizeof(u), "%s", req->url != NULL ? req->url : "");
	u[strcspn(u, "?#")] = '\0';
	snprintf(res->err, res->errsz, "%s %s: %s",
	    req->method != NULL ? req->method : "?", u, why);
	gw_redact(h, res->err);
}

int32_t
gw_host_http_status(int32_t outcome, const char *method, int32_t http)
{
	int read = method != NULL &&
	           (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0);

	switch (outcome) {
	case PGW_HTTP_OK:
		if (http == 429)
			return PGW_RETRYABLE;
		if (http >= 500)
			return read ? PGW_RETRYABLE : PGW_UNKNOWN;
		return PGW_SUCCEEDED;
	case PGW_HTTP_NOT_SENT:
		return PGW_RETRYABLE;
	case PGW_HTTP_NO_ANSWER:
		return read ? PGW_RETRYABLE : PGW_UNKNOWN;
	}
	return PGW_ERROR;
}

static int32_t
host_http_call(const struct pgw_host *h, const struct pgw_http_request *req,
    struct pgw_http_response *resp, struct pgw_result *res)
{
	char herr[512], why[600];
	const char *code = "", *ra;
	int32_t o, st;

	herr[0] = '\0';
	o = h->http(h, req, resp, herr, sizeof(herr));
	res->http_status = resp->status;
	st = gw_host_http_status(o, req->method, resp->status);
	if (o == PGW_HTTP_OK && st != PGW_SUCCEEDED) {
		if (resp->status == 429) {
			code = "rate_limited";
			ra = host_header(
			    h, resp->headers, resp->nheaders, "Retry-After");
			if (ra != NULL)
				res->retry_after_ms =
				    (uint32_t)strtoul(ra, NULL, 10) * 1000;
		} else
			code = "server_error";
		snprintf(herr, sizeof(herr), "HTTP %d", (int)resp->status);
	} else if (o == PGW_HTTP_NOT_SENT)
		code = "network_error";
	else if (o == PGW_HTTP_NO_ANSWER)
		code = "no_answer";
	else if (o != PGW_HTTP_OK)
		code = "misuse";
	if (st != PGW_SUCCEEDED) {
		snprintf(res->code, sizeof(res->code), "%s", code);
		snprintf(why, sizeof(why), "%s",
		    herr[0] != '\0' ? herr : "request failed");
		call_err(h, req, res, why);
	}
	res->status = st;
	return st;
}

static int32_t
host_json_get(const struct pgw_host *h, const char *json, size_t len,
    const char *path, char *out, size_t outsz)
{
	json_t *root, *v;
	json_error_t jerr;
	char seg[128], *dump = NULL;
	const char *p = path, *e;
	int32_t rc = 0;

	(void)h;
	if (outsz > 0)
		out[0] = '\0';
	if ((root = json_loadb(json, len, JSON_DECODE_ANY, &jerr)) == NULL)
		return -1;
	v = root;
	while (v != NULL && p != NULL && *p != '\0') {
		size_t n;

		e = strchr(p, '.');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n >= sizeof(seg)) {
			v = NULL;
			break;
		}
		memcpy(seg, p, n);
		seg[n] = '\0';
		if (json_is_array(v) && n > 0 && strspn(seg, "0123456789") == n)
			v = json_array_get(v, strtoul(seg, NULL, 10));
		else
			v = json_object_get(v, seg);
		p = e != NULL ? e + 1 : NULL;
	}
	if (v == NULL)
		goto out;
	rc = 1;
	if (outsz == 0)
		goto out;
	if (json_is_string(v))
		snprintf(out, outsz, "%s", json_string_value(v));
	else if ((dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) != NULL)
		snprintf(out, outsz, "%s", dump);
out:
	free(dump);
	json_decref(root);
	return rc;
}

static int32_t
host_json_quote(
    const struct pgw_host *h, const char *s, char *out, size_t outsz)
{
	json_t *j;
	char *d = NULL;
	int32_t rc = -1;

	(void)h;
	if (outsz > 0)
		out[0] = '\0';
	if ((j = json_string(s != NULL ? s : "")) != NULL &&
	    (d = json_dumps(j, JSON_ENCODE_ANY)) != NULL && strlen(d) < outsz) {
		memcpy(out, d, strlen(d) + 1);
		rc = 0;
	}
	free(d);
	json_decref(j);
	return rc;
}

static int32_t
host_form_encode(
    const struct pgw_host *h, const char *s, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;

	(void)h;
	if (outsz == 0)
		return -1;
	for (i = 0; s != NULL && s[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_' || ch == '~') {
			if (o + 1 >= outsz)
				goto full;
			out[o++] = (char)ch;
		} else {
			if (o + 3 >= outsz)
				goto full;
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
	return 0;
full:
	out[0] = '\0';
	return -1;
}

static int32_t
host_hmac_sha256(const struct pgw_host *h, const void *key, size_t keylen,
    const void *msg, size_t msglen, unsigned char *mac)
{
	unsigned int ml = 0;

	(void)h;
	if (keylen > INT32_MAX ||
	    HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, mac, &ml) ==
	        NULL ||
	    ml != 32)
		return -1;
	return 0;
}

static int32_t
host_mem_equal(const struct pgw_host *h, const void *a, const void *b, size_t n)
{
	(void)h;
	return CRYPTO_memcmp(a, b, n) == 0;
}

struct pgw_host *
gw_host_new(const char *tag)
{
	struct pgw_host *h;
	struct host_state *st;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->tag = strdup(tag != NULL ? tag : "")) == NULL) {
		free(st);
		free(h);
		return NULL;
	}
	pthread_mutex_init(&st->lock, NULL);
	h->size = sizeof(*h);
	h->abi_major = PGW_ABI_MAJOR;
	h->abi_minor = PGW_ABI_MINOR;
	h->http = host_http;
	h->http_free = host_http_free;
	h->log = host_log;
	h->clock_ms = host_clock_ms;
	h->random = host_random;
	h->opaque = st;
	h->http_call = host_http_call;
	h->json_get = host_json_get;
	h->json_quote = host_json_quote;
	h->form_encode = host_form_encode;
	h->hmac_sha256 = host_hmac_sha256;
	h->mem_equal = host_mem_equal;
	h->header = host_header;
	return h;
}

enum pstatus
gw_host_add_secret(struct pgw_host *h, const char *s)
{
	struct host_state *st = h->opaque;
	enum pstatus rc = PS_OK;
	char **ns, *c;

	if (s == NULL || strlen(s) < 4)
		return PS_OK;
	pthread_mutex_lock(&st->lock);
	if ((c = strdup(s)) == NULL) {
		rc = PS_NOMEM;
		goto out;
	}
	if ((ns = realloc(st->secrets, (st->nsecrets + 1) * sizeof(*ns))) ==
	    NULL) {
		OPENSSL_cleanse(c, strlen(c));
		free(c);
		rc = PS_NOMEM;
		goto out;
	}
	st->secrets = ns;
	st->secrets[st->nsecrets++] = c;
out:
	pthread_mutex_unlock(&st->lock);
	return rc;
}

void
gw_host_set_http_hook(struct pgw_host *h, gw_http_hook_fn fn, void *arg)
{
	struct host_state *st = h->opaque;

	st->hook = fn;
	st->hook_arg = arg;
}

void
gw_host_free(struct pgw_host *h)
{
	struct host_state *st;
	size_t i;

	if (h == NULL)
		return;
	st = h->opaque;
	for (i = 0; i < st->nsecrets; i++) {
		OPENSSL_cleanse(st->secrets[i], strlen(st->secrets[i]));
		free(st->secrets[i]);
	}
	free(st->secrets);
	pthread_mutex_destroy(&st->lock);
	free(st->tag);
	free(st);
	free(h);
}
