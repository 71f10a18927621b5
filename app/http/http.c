/* http.c: request parsing: FastCGI params, path, query, form and cookies
 * into decoded, validated arena strings (http.h). */
#include <string.h>
#include <strings.h>

#include "http/http.h"

static const struct str empty_str = {"", 0};

void
http_limits_default(struct http_limits *lim)
{
	*lim = HTTP_LIMITS_DEFAULT;
}

/* Copies *in (or the defaults when NULL) with zero members defaulted. */
static struct http_limits
limits_of(const struct http_limits *in)
{
	struct http_limits l = HTTP_LIMITS_DEFAULT;

	if (in != NULL) {
		if (in->max_body)
			l.max_body = in->max_body;
		if (in->max_fields)
			l.max_fields = in->max_fields;
		if (in->max_field_len)
			l.max_field_len = in->max_field_len;
		if (in->max_cookies)
			l.max_cookies = in->max_cookies;
	}
	return l;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum pstatus
http_url_decode(
    struct arena *a, const char *p, size_t n, int plus_space, struct str *out)
{
	enum pstatus st = PS_INVALID;
	char *d;
	size_t i, j = 0;

	if ((d = arena_alloc(a, n + 1)) == NULL) {
		st = PS_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3)
				goto out;
			hi = hexval((unsigned char)p[i + 1]);
			lo = hexval((unsigned char)p[i + 2]);
			if (hi < 0 || lo < 0)
				goto out;
			d[j++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus_space)
			d[j++] = ' ';
		else
			d[j++] = (char)c;
	}
	d[j] = '\0';
	if (!utf8_valid(d, j))
		goto out;
	out->p = d;
	out->n = j;
	st = PS_OK;
out:
	return st;
}

/* Shared by query and form: '&'-separated name=value pairs. */
static enum pstatus
parse_pairs(struct arena *a, const char *p, size_t n,
    const struct http_limits *in, struct http_field **out, size_t *nout,
    char *err, size_t errsz, const char *what)
{
	struct http_limits lim = limits_of(in);
	struct http_field *f = NULL;
	enum pstatus st = PS_OK;
	size_t i, count = 0, k = 0, start;

	*out = NULL;
	*nout = 0;
	/* Count the non-empty pairs first so the array is sized once. */
	for (i = 0, start = 0; i <= n; i++) {
		if (i == n || p[i] == '&') {
			if (i > start)
				count++;
			start = i + 1;
		}
	}
	if (count == 0)
		goto out;
	if (count > lim.max_fields) {
		errbuf_set(err, errsz, "%s: more than %zu fields", what,
		    lim.max_fields);
		st = PS_INVALID;
		goto out;
	}
	if ((f = arena_alloc(a, count * sizeof(*f))) == NULL) {
		st = PS_NOMEM;
		goto out;
	}
	for (i = 0, start = 0; i <= n; i++) {
		const char *pair, *eq;
		size_t plen, nlen;

		if (i < n && p[i] != '&')
			continue;
		pair = p + start;
		plen = i - start;
		start = i + 1;
		if (plen == 0)
			continue;
		eq = memchr(pair, '=', plen);
		nlen = eq != NULL ? (size_t)(eq - pair) : plen;
		if (nlen == 0) {
			errbuf_set(
			    err, errsz, "%s: field with an empty name", what);
			st = PS_INVALID;
			goto out;
		}
		st = http_url_decode(a, pair, nlen, 1, &f[k].name);
		if (st == PS_OK && eq != NULL)
			st = http_url_decode(
			    a, eq + 1, plen - nlen - 1, 1, &f[k].value);
		else if (st == PS_OK)
			f[k].value = empty_str;
		if (st == PS_INVALID) {
			errbuf_set(err, errsz,
			    "%s: bad percent-encoding, NUL or invalid UTF-8",
			    what);
			goto out;
		}
		if (st != PS_OK)
			goto out;
		if (f[k].name.n > lim.max_field_len ||
		    f[k].value.n > lim.max_field_len) {
			errbuf_set(err, errsz,
			    "%s: field longer than %zu bytes", what,
			    lim.max_field_len);
			st = PS_INVALID;
			goto out;
		}
		if (f[k].name.n == 0) {
			errbuf_set(
			    err, errsz, "%s: field with an empty name", what);
			st = PS_INVALID;
			goto out;
		}
		k++;
	}
	*out = f;
	*nout = k;
out:
	return st;
}

enum pstatus
http_parse_query(struct arena *a, const char *p, size_t n,
    const struct http_limits *lim, struct http_field **out, size_t *nout,
    char *err, size_t errsz)
{
	return parse_pairs(a, p, n, lim, out, nout, err, errsz, "query");
}

enum pstatus
http_parse_form(struct arena *a, const char *p, size_t n,
    const struct http_limits *lim, struct http_field **out, size_t *nout,
    char *err, size_t errsz)
{
	return parse_pairs(a, p, n, lim, out, nout, err, errsz, "form");
}

/* Returns 1 if p[0..n) has a control character (C0 or DEL). */
static int
has_ctl(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c == 0x7f)
			return 1;
	}
	return 0;
}

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Trims spaces and tabs on both sides of the slice (*p, *n). */
static void
trim(const char **p, size_t *n)
{
	while (*n > 0 && is_ows(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && is_ows((*p)[*n - 1]))
		(*n)--;
}

enum pstatus
http_parse_cookies(struct arena *a, const char *p, size_t n,
    const struct http_limits *in, struct http_field **out, size_t *nout,
    char *err, size_t errsz)
{
	struct http_limits lim = limits_of(in);
	struct http_field *f = NULL;
	enum pstatus st = PS_OK;
	size_t i, start, count = 0, k = 0;

	*out = NULL;
	*nout = 0;
	if (!utf8_valid(p, n) || has_ctl(p, n)) {
		/* Browsers never send control characters in Cookie. */
		errbuf_set(err, errsz,
		    "cookie: NUL, control character or invalid UTF-8");
		st = PS_INVALID;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (p[i] == ';')
			count++;
	count++;
	if ((f = arena_alloc(a, count * sizeof(*f))) == NULL) {
		st = PS_NOMEM;
		goto out;
	}
	for (i = 0, start = 0; i <= n; i++) {
		const char *pair, *eq, *name, *val;
		size_t plen, nlen, vlen;

		if (i < n && p[i] != ';')
			continue;
		pair = p + start;
		plen = i - start;
		start = i + 1;
		if ((eq = memchr(pair, '=', plen)) == NULL)
			continue;
		name = pair;
		nlen = (size_t)(eq - pair);
		val = eq + 1;
		vlen = plen - nlen - 1;
		trim(&name, &nlen);
		trim(&val, &vlen);
		if (nlen == 0)
			continue;
		if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
			val++;
			vlen -= 2;
		}
		if (k == lim.max_cookies) {
			errbuf_set(err, errsz, "cookie: more than %zu cookies",
			    lim.max_cookies);
			st = PS_INVALID;
			goto out;
		}
		if (nlen > lim.max_field_len || vlen > lim.max_field_len) {
			errbuf_set(err, errsz,
			    "cookie: cookie longer than %zu bytes",
			    lim.max_field_len);
			st = PS_INVALID;
			goto out;
		}
		/* A multi-byte character cut by trimming is impossible: the
		 * trimmed bytes are ASCII, so slices stay valid UTF-8. */
		f[k].name.p = arena_strndup(a, name, nlen);
		f[k].name.n = nlen;
		f[k].value.p = arena_strndup(a, val, vlen);
		f[k].value.n = vlen;
		if (f[k].name.p == NULL || f[k].value.p == NULL) {
			st = PS_NOMEM;
			goto out;
		}
		k++;
	}
	if (k > 0) {
		*out = f;
		*nout = k;
	}
out:
	return st;
}

/* Returns the value of KEY in envp, or NULL. */
static const char *
env_get(const char *const *envp, const char *key)
{
	size_t klen = strlen(key);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, key, klen) == 0 && (*envp)[klen] == '=')
			return *envp + klen + 1;
	return NULL;
}

enum pstatus
http_content_length(const char *const *envp, const struct http_limits *in,
    size_t *len, char *err, size_t errsz)
{
	struct http_limits lim = limits_of(in);
	const char *cl = env_get(envp, "CONTENT_LENGTH");
	enum pstatus st = PS_OK;
	size_t i, v = 0;

	*len = 0;
	if (cl == NULL || *cl == '\0')
		goto out;
	for (i = 0; cl[i] != '\0'; i++) {
		if (cl[i] < '0' || cl[i] > '9') {
			errbuf_set(err, errsz, "bad CONTENT_LENGTH");
			st = PS_INVALID;
			goto out;
		}
		if (v > lim.max_body) {
			/* Keep reading digits to report a malformed value,
			 * but stop accumulating before overflow. */
			continue;
		}
		v = v * 10 + (size_t)(cl[i] - '0');
	}
	if (v > lim.max_body) {
		errbuf_set(
		    err, errsz, "request body over %zu bytes", lim.max_body);
		st = PS_TOOBIG;
		goto out;
	}
	*len = v;
out:
	return st;
}

static const struct {
	enum http_method m;
	const char *name;
} methods[] = {
    {HTTP_GET, "GET"},
    {HTTP_HEAD, "HEAD"},
    {HTTP_POST, "POST"},
    {HTTP_PUT, "PUT"},
    {HTTP_DELETE, "DELETE"},
    {HTTP_PATCH, "PATCH"},
    {HTTP_OPTIONS, "OPTIONS"},
};

enum http_method
http_method_parse(const char *m, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strlen(methods[i].name) == n &&
		    memcmp(methods[i].name, m, n) == 0)
			return methods[i].m;
	return HTTP_OTHER;
}

const char *
http_method_name(enum http_method method)
{
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (methods[i].m == method)
			return methods[i].name;
	return "OTHER";
}

/* Decodes and checks the path raw[0..n). */
static enum pstatus
parse_path(struct arena *a, const char *raw, size_t n, size_t maxlen,
    struct str *out, char *err, size_t errsz)
{
	enum pstatus st = PS_INVALID;
	size_t i, seg;

	if (n == 0 || raw[0] != '/') {
		errbuf_set(err, errsz, "path does not start with '/'");
		goto out;
	}
	if (n > maxlen) {
		errbuf_set(err, errsz, "path longer than %zu bytes", maxlen);
		goto out;
	}
	if ((st = http_url_decode(a, raw, n, 0, out)) != PS_OK) {
		if (st == PS_INVALID)
			errbuf_set(err, errsz,
			    "path: bad percent-encoding, NUL or invalid UTF-8");
		goto out;
	}
	st = PS_INVALID;
	if (has_ctl(out->p, out->n)) {
		errbuf_set(err, errsz, "path: control character");
		goto out;
	}
	/* No "." or ".." segment, before or after decoding (decoding
	 * cannot make a raw segment shorter than "%2e" look like "."). */
	for (i = 1, seg = 1; i <= out->n; i++) {
		if (i == out->n || out->p[i] == '/') {
			size_t len = i - seg;

			if ((len == 1 && out->p[seg] == '.') ||
			    (len == 2 && out->p[seg] == '.' &&
			        out->p[seg + 1] == '.')) {
				errbuf_set(
				    err, errsz, "path: '.' or '..' segment");
				goto out;
			}
			seg = i + 1;
		}
	}
	st = PS_OK;
out:
	return st;
}

/* Copies env value v into *out when it is printable UTF-8. */
static enum pstatus
header_member(struct arena *a, const char *v, struct str *out, const char *what,
    char *err, size_t errsz)
{
	enum pstatus st = PS_OK;
	size_t n;

	*out = empty_str;
	if (v == NULL)
		goto out;
	n = strlen(v);
	/* TAB is legal inside header values; other controls are not. */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			errbuf_set(err, errsz, "%s: control character", what);
			st = PS_INVALID;
			goto out;
		}
	}
	if (!utf8_valid(v, n)) {
		errbuf_set(err, errsz, "%s: invalid UTF-8", what);
		st = PS_INVALID;
		goto out;
	}
	if ((out->p = arena_strndup(a, v, n)) == NULL) {
		st = PS_NOMEM;
		goto out;
	}
	out->n = n;
out:
	return st;
}

/* Returns 1 if request id v is 1..64 chars of [A-Za-z0-9._-]. */
static int
request_id_ok(const char *v)
{
	size_t i;

	for (i = 0; v[i] != '\0'; i++) {
		char c = v[i];

		if (i >= 64)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		        c == '-'))
			return 0;
	}
	return i > 0;
}

/* Returns 1 if content type ct is application/x-www-form-urlencoded
 * with optional parameters. */
static int
is_form_type(const char *ct)
{
	static const char t[] = "application/x-www-form-urlencoded";
	size_t n = sizeof(t) - 1;

	if (ct == NULL || strncasecmp(ct, t, n) != 0)
		return 0;
	ct += n;
	while (is_ows(*ct))
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* Copies every "KEY=VALUE" of envp into out->params. */
static enum pstatus
copy_params(struct arena *a, const char *const *envp, struct http_request *out)
{
	enum pstatus st = PS_OK;
	size_t n = 0, k = 0;

	for (n = 0; envp != NULL && envp[n] != NULL; n++)
		;
	if (n == 0)
		goto out;
	if ((out->params = arena_alloc(a, n * sizeof(*out->params))) == NULL) {
		st = PS_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(envp[i], '=');
		size_t nlen, vlen;

		if (eq == NULL)
			continue;
		nlen = (size_t)(eq - envp[i]);
		vlen = strlen(eq + 1);
		out->params[k].name.p = arena_strndup(a, envp[i], nlen);
		out->params[k].name.n = nlen;
		out->params[k].value.p = arena_strndup(a, eq + 1, vlen);
		out->params[k].value.n = vlen;
		if (out->params[k].name.p == NULL ||
		    out->params[k].value.p == NULL) {
			st = PS_NOMEM;
			goto out;
		}
		k++;
	}
	out->nparams = k;
out:
	return st;
}

enum pstatus
http_request_parse(struct arena *a, const char *const *envp, const char *body,
    size_t bodylen, const struct http_limits *in, struct http_request *out,
    char *err, size_t errsz)
{
	struct http_limits lim = limits_of(in);
	const char *v, *uri, *q, *https, *scheme;
	enum pstatus st;
	size_t clen;

	memset(out, 0, sizeof(*out));
	out->method_name = out->path = out->query = empty_str;
	out->remote_addr = out->user_agent = out->content_type = empty_str;
	out->host = out->origin = out->referer = out->request_id = empty_str;

	if ((st = copy_params(a, envp, out)) != PS_OK)
		goto out;
	if ((st = http_content_length(envp, &lim, &clen, err, errsz)) != PS_OK)
		goto out;
	if (bodylen > lim.max_body) {
		errbuf_set(
		    err, errsz, "request body over %zu bytes", lim.max_body);
		st = PS_TOOBIG;
		goto out;
	}
	out->body = body != NULL ? body : "";
	out->bodylen = body != NULL ? bodylen : 0;

	st = PS_INVALID;
	if ((v = env_get(envp, "REQUEST_METHOD")) == NULL || *v == '\0') {
		errbuf_set(err, errsz, "no REQUEST_METHOD");
		goto out;
	}
	if ((st = header_member(
	         a, v, &out->method_name, "method", err, errsz)) != PS_OK)
		goto out;
	out->method = http_method_parse(out->method_name.p, out->method_name.n);

	/* Path: the raw REQUEST_URI is decoded here exactly once. */
	uri = env_get(envp, "REQUEST_URI");
	q = NULL;
	if (uri != NULL && *uri != '\0') {
		size_t plen = strcspn(uri, "?#");

		if (uri[plen] == '?')
			q = uri + plen + 1;
		st = parse_path(
		    a, uri, plen, lim.max_field_len, &out->path, err, errsz);
	} else if ((v = env_get(envp, "DOCUMENT_URI")) != NULL && *v != '\0')
		st = parse_path(
		    a, v, strlen(v), lim.max_field_len, &out->path, err, errsz);
	else {
		const char *sn = env_get(envp, "SCRIPT_NAME");
		const char *pi = env_get(envp, "PATH_INFO");
		char *joined =
		    arena_printf(a, "%s%s", sn ? sn : "", pi ? pi : "");

		if (joined == NULL)
			st = PS_NOMEM;
		else if (*joined == '\0')
			st = parse_path(a, "/", 1, lim.max_field_len,
			    &out->path, err, errsz);
		else
			st = parse_path(a, joined, strlen(joined),
			    lim.max_field_len, &out->path, err, errsz);
	}
	if (st != PS_OK)
		goto out;

	/* Query: QUERY_STRING, else what followed '?' in REQUEST_URI. */
	if ((v = env_get(envp, "QUERY_STRING")) == NULL)
		v = q;
	if (v != NULL && *v != '\0') {
		size_t qn = strcspn(v, "#");

		if ((out->query.p = arena_strndup(a, v, qn)) == NULL) {
			st = PS_NOMEM;
			goto out;
		}
		out->query.n = qn;
		if ((st = http_parse_query(a, out->query.p, out->query.n, &lim,
		         &out->query_fields, &out->nquery, err, errsz)) !=
		    PS_OK)
			goto out;
	}

	if ((st = header_member(a, env_get(envp, "REMOTE_ADDR"),
	         &out->remote_addr, "REMOTE_ADDR", err, errsz)) != PS_OK ||
	    (st = header_member(a, env_get(envp, "HTTP_USER_AGENT"),
	         &out->user_agent, "User-Agent", err, errsz)) != PS_OK ||
	    (st = header_member(a, env_get(envp, "CONTENT_TYPE"),
	         &out->content_type, "Content-Type", err, errsz)) != PS_OK ||
	    (st = header_member(a, env_get(envp, "HTTP_HOST"), &out->host,
	         "Host", err, errsz)) != PS_OK ||
	    (st = header_member(a, env_get(envp, "HTTP_ORIGIN"), &out->origin,
	         "Origin", err, errsz)) != PS_OK ||
	    (st = header_member(a, env_get(envp, "HTTP_REFERER"), &out->referer,
	         "Referer", err, errsz)) != PS_OK)
		goto out;

	v = env_get(envp, "HTTP_X_REQUEST_ID");
	if (v != NULL && request_id_ok(v)) {
		if ((st = header_member(a, v, &out->request_id, "X-Request-Id",
		         err, errsz)) != PS_OK)
			goto out;
	}

	https = env_get(envp, "HTTPS");
	scheme = env_get(envp, "REQUEST_SCHEME");
	out->https = (https != NULL && strcasecmp(https, "on") == 0) ||
	             (scheme != NULL && strcasecmp(scheme, "https") == 0);

	if ((v = env_get(envp, "HTTP_COOKIE")) != NULL) {
		if ((st = http_parse_cookies(a, v, strlen(v), &lim,
		         &out->cookies, &out->ncookies, err, errsz)) != PS_OK)
			goto out;
	}

	if ((out->method == HTTP_POST || out->method == HTTP_PUT ||
	        out->method == HTTP_PATCH) &&
	    is_form_type(env_get(envp, "CONTENT_TYPE")) && out->bodylen > 0) {
		if ((st = http_parse_form(a, out->body, out->bodylen, &lim,
		         &out->form, &out->nform, err, errsz)) != PS_OK)
			goto out;
	}
	st = PS_OK;
out:
	return st;
}

const struct str *
http_fields_get(const struct http_field *f, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (str_eq(f[i].name, name))
			return &f[i].value;
	return NULL;
}

const struct str *
http_query_get(const struct http_request *req, const char *name)
{
	return http_fields_get(req->query_fields, req->nquery, name);
}

const struct str *
http_form_get(const struct http_request *req, const char *name)
{
	return http_fields_get(req->form, req->nform, name);
}

const struct str *
http_cookie_get(const struct http_request *req, const char *name)
{
	return http_fields_get(req->cookies, req->ncookies, name);
}

const struct str *
http_request_param(const struct http_request *req, const char *name)
{
	return http_fields_get(req->params, req->nparams, name);
}

const struct str *
http_request_header(const struct http_request *req, const char *name)
{
	char key[128];
	size_t i, off = 0;

	if (strcasecmp(name, "Content-Type") != 0 &&
	    strcasecmp(name, "Content-Length") != 0) {
		memcpy(key, "HTTP_", 5);
		off = 5;
	}
	for (i = 0; name[i] != '\0'; i++) {
		char c = name[i];

		if (off + i + 1 >= sizeof(key))
			return NULL;
		if (c == '-')
			c = '_';
		else if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		key[off + i] = c;
	}
	key[off + i] = '\0';
	return http_request_param(req, key);
}
