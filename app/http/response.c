/* response.c: building and serializing responses with secure defaults:
 * headers, cookies, local redirects, CSP, error pages (response.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/response.h"

/* What the arena cleanup frees: the response's body while the response is
 * being built (body), or the storage handed over by serialize (owned). */
struct http_body_owner {
	struct buf *body;
	char *owned;
};

static void
body_cleanup(void *arg)
{
	struct http_body_owner *o = arg;

	if (o->owned != NULL)
		free(o->owned);
	else if (o->body != NULL)
		buf_free(o->body);
	o->owned = NULL;
	o->body = NULL;
}

enum pstatus
http_response_init(struct http_response *resp, struct arena *a)
{
	enum pstatus st = PS_NOMEM;

	memset(resp, 0, sizeof(*resp));
	resp->arena = a;
	resp->status = 200;
	resp->tail = &resp->headers;
	if ((resp->owner = arena_alloc(a, sizeof(*resp->owner))) == NULL)
		goto out;
	resp->owner->body = &resp->body;
	if ((st = arena_cleanup(a, body_cleanup, resp->owner)) != PS_OK)
		goto out;
	st = http_response_header(
	    resp, "Content-Type", "text/html; charset=utf-8");
out:
	/* A caller that gives up on a failed init must not leave the arena
	 * a link to its (soon dead) response. */
	if (st != PS_OK && resp->owner != NULL)
		resp->owner->body = NULL;
	return st;
}

void
http_response_free(struct http_response *resp)
{
	buf_free(&resp->body);
	if (resp->owner != NULL) {
		resp->owner->body = NULL;
		resp->owner->owned = NULL;
	}
}

/* RFC 9110 §5.6.2 tchar. */
static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

static int
is_token(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!is_tchar((unsigned char)*s))
			return 0;
	return 1;
}

/* A header value: no control characters but TAB. */
static int
is_field_value(const char *s)
{
	if (s == NULL)
		return 0;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

/* Appends a header without checks or replacement. */
static enum pstatus
header_add(struct http_response *resp, const char *name, const char *value)
{
	struct http_header *h;

	if ((h = arena_alloc(resp->arena, sizeof(*h))) == NULL ||
	    (h->name = arena_strndup(resp->arena, name, strlen(name))) ==
	        NULL ||
	    (h->value = arena_strndup(resp->arena, value, strlen(value))) ==
	        NULL)
		return PS_NOMEM;
	*resp->tail = h;
	resp->tail = &h->next;
	return PS_OK;
}

enum pstatus
http_response_header(
    struct http_response *resp, const char *name, const char *value)
{
	struct http_header *h;
	enum pstatus st = PS_INVALID;

	/* "Status" is the CGI status line: set resp->status instead. */
	if (!is_token(name) || !is_field_value(value) ||
	    strcasecmp(name, "Status") == 0)
		goto out;
	if (strcasecmp(name, "Set-Cookie") != 0) {
		for (h = resp->headers; h != NULL; h = h->next) {
			if (strcasecmp(h->name, name) == 0) {
				const char *v = arena_strndup(
				    resp->arena, value, strlen(value));

				if (v == NULL) {
					st = PS_NOMEM;
					goto out;
				}
				h->value = v;
				st = PS_OK;
				goto out;
			}
		}
	}
	st = header_add(resp, name, value);
out:
	return st;
}

const char *
http_response_header_get(const struct http_response *resp, const char *name)
{
	const struct http_header *h;

	for (h = resp->headers; h != NULL; h = h->next)
		if (strcasecmp(h->name, name) == 0)
			return h->value;
	return NULL;
}

/* RFC 6265 §4.1.1 cookie-octet. */
static int
is_cookie_value(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c >= 0x7f || c == '"' || c == ',' ||
		    c == ';' || c == '\\')
			return 0;
	}
	return 1;
}

enum pstatus
http_response_set_cookie(struct http_response *resp, const char *name,
    const char *value, long long max_age_seconds, unsigned flags)
{
	struct buf b = {0};
	enum pstatus st = PS_INVALID;

	if (!is_token(name) || value == NULL || !is_cookie_value(value))
		goto out;
	if (strncmp(name, "__Host-", 7) == 0 && !(flags & COOKIE_SECURE))
		goto out;
	if (strncmp(name, "__Secure-", 9) == 0 && !(flags & COOKIE_SECURE))
		goto out;
	if ((flags & COOKIE_SAMESITE_LAX) && (flags & COOKIE_SAMESITE_STRICT))
		goto out;
	if (max_age_seconds < -1)
		goto out;
	st = buf_printf(&b, "%s=%s; Path=/", name, value);
	if (st == PS_OK && max_age_seconds > 0)
		st = buf_printf(&b, "; Max-Age=%lld", max_age_seconds);
	else if (st == PS_OK && max_age_seconds == 0)
		st = buf_puts(
		    &b, "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
	if (st == PS_OK && (flags & COOKIE_SECURE))
		st = buf_puts(&b, "; Secure");
	if (st == PS_OK && (flags & COOKIE_HTTPONLY))
		st = buf_puts(&b, "; HttpOnly");
	if (st == PS_OK && (flags & COOKIE_SAMESITE_LAX))
		st = buf_puts(&b, "; SameSite=Lax");
	if (st == PS_OK && (flags & COOKIE_SAMESITE_STRICT))
		st = buf_puts(&b, "; SameSite=Strict");
	if (st == PS_OK)
		st = header_add(resp, "Set-Cookie", b.p);
out:
	buf_free(&b);
	return st;
}

enum pstatus
http_response_redirect(
    struct http_response *resp, int status, const char *location)
{
	enum pstatus st = PS_INVALID;
	const char *s;

	if (status != 301 && status != 302 && status != 303 && status != 307 &&
	    status != 308)
		goto out;
	if (location == NULL || location[0] != '/' || location[1] == '/' ||
	    location[1] == '\\')
		goto out;
	for (s = location; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f ||
		    *s == '\\')
			goto out;
	if ((st = http_response_header(resp, "Location", location)) != PS_OK)
		goto out;
	resp->status = status;
	resp->body.n = 0;
	if (resp->body.p != NULL)
		resp->body.p[0] = '\0';
out:
	return st;
}

/* Returns 1 if o is "http(s)://host[:port]" with a plain host name. */
static int
is_origin(const char *o)
{
	const char *h;
	size_t i;

	if (strncmp(o, "https://", 8) == 0)
		h = o + 8;
	else if (strncmp(o, "http://", 7) == 0)
		h = o + 7;
	else
		return 0;
	if (*h == '\0' || *h == ':' || *h == '.' || *h == '-')
		return 0;
	for (i = 0; h[i] != '\0'; i++) {
		char c = h[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		        c == ':'))
			return 0;
	}
	if (i > 253)
		return 0;
	return 1;
}

enum pstatus
http_response_csp_allow(
    struct http_response *resp, const char *origin, unsigned where)
{
	struct http_csp_origin *c;
	enum pstatus st = PS_INVALID;

	if (origin == NULL || !is_origin(origin) || where == 0 ||
	    (where & ~(HTTP_CSP_SCRIPT | HTTP_CSP_FRAME | HTTP_CSP_CONNECT |
	                 HTTP_CSP_STYLE | HTTP_CSP_IMG)) != 0)
		goto out;
	st = PS_NOMEM;
	if ((c = arena_alloc(resp->arena, sizeof(*c))) == NULL ||
	    (c->origin = arena_strndup(resp->arena, origin, strlen(origin))) ==
	        NULL)
		goto out;
	c->where = where;
	c->next = resp->csp;
	resp->csp = c;
	st = PS_OK;
out:
	return st;
}

/* Appends " origin" for each extra origin with bit. */
static enum pstatus
csp_origins(const struct http_response *resp, struct buf *out, unsigned bit)
{
	const struct http_csp_origin *c;
	enum pstatus st = PS_OK;

	for (c = resp->csp; c != NULL && st == PS_OK; c = c->next)
		if (c->where & bit)
			st = buf_printf(out, " %s", c->origin);
	return st;
}

/* Returns 1 if some extra origin has bit. */
static int
csp_any(const struct http_response *resp, unsigned bit)
{
	const struct http_csp_origin *c;

	for (c = resp->csp; c != NULL; c = c->next)
		if (c->where & bit)
			return 1;
	return 0;
}

enum pstatus
http_response_csp(const struct http_response *resp, struct buf *out)
{
	enum pstatus st;

	if ((st = buf_puts(out, "default-src 'self'; script-src 'self'")) ||
	    (st = csp_origins(resp, out, HTTP_CSP_SCRIPT)) ||
	    (st = buf_puts(out, "; style-src 'self'")) ||
	    (st = csp_origins(resp, out, HTTP_CSP_STYLE)) ||
	    (st = buf_puts(out, "; img-src 'self' data:")) ||
	    (st = csp_origins(resp, out, HTTP_CSP_IMG)))
		goto out;
	if (csp_any(resp, HTTP_CSP_FRAME) &&
	    ((st = buf_puts(out, "; frame-src 'self'")) ||
	        (st = csp_origins(resp, out, HTTP_CSP_FRAME))))
		goto out;
	if (csp_any(resp, HTTP_CSP_CONNECT) &&
	    ((st = buf_puts(out, "; connect-src 'self'")) ||
	        (st = csp_origins(resp, out, HTTP_CSP_CONNECT))))
		goto out;
	st = buf_puts(out, "; form-action 'self'; frame-ancestors 'none'; "
	                   "base-uri 'none'; object-src 'none'");
out:
	return st;
}

static const struct {
	int code;
	const char *text;
} statuses[] = {
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {409, "Conflict"},
    {410, "Gone"},
    {413, "Content Too Large"},
    {415, "Unsupported Media Type"},
    {422, "Unprocessable Content"},
    {429, "Too Many Requests"},
    {500, "Internal Server Error"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
};

const char *
http_status_text(int status)
{
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].code == status)
			return statuses[i].text;
	return "Unknown";
}

static const struct {
	const char *name;
	const char *value;
} security_defaults[] = {
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "same-origin"},
    {"X-Frame-Options", "DENY"},
    {"Cache-Control", "no-store"},
    {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
};

enum pstatus
http_response_serialize(const struct http_response *resp, struct buf *out)
{
	const struct http_header *h;
	enum pstatus st;
	size_t i;

	if ((st = buf_printf(out, "Status: %d %s\r\n", resp->status,
	         http_status_text(resp->status))) != PS_OK)
		goto out;
	for (h = resp->headers; h != NULL; h = h->next)
		if ((st = buf_printf(out, "%s: %s\r\n", h->name, h->value)) !=
		    PS_OK)
			goto out;
	if (!resp->no_security_headers) {
		if (http_response_header_get(resp, "Content-Security-Policy") ==
		        NULL &&
		    ((st = buf_puts(out, "Content-Security-Policy: ")) ||
		        (st = http_response_csp(resp, out)) ||
		        (st = buf_puts(out, "\r\n"))))
			goto out;
		for (i = 0; i < sizeof(security_defaults) /
		                    sizeof(security_defaults[0]);
		     i++) {
			if (http_response_header_get(
			        resp, security_defaults[i].name) != NULL)
				continue;
			if ((st = buf_printf(out, "%s: %s\r\n",
			         security_defaults[i].name,
			         security_defaults[i].value)) != PS_OK)
				goto out;
		}
	}
	if (http_response_header_get(resp, "Content-Length") == NULL &&
	    (st = buf_printf(out, "Content-Length: %zu\r\n", resp->body.n)) !=
	        PS_OK)
		goto out;
	if ((st = buf_puts(out, "\r\n")) != PS_OK)
		goto out;
	if (!resp->omit_body && resp->body.n > 0)
		st = buf_append(out, resp->body.p, resp->body.n);
out:
	/* Hand the body's storage to the arena: the caller's response may
	 * now go out of scope before the arena is reset. */
	if (resp->owner != NULL && resp->owner->body == &resp->body) {
		resp->owner->owned = resp->body.p;
		resp->owner->body = NULL;
	} else if (resp->owner != NULL && resp->owner->owned != NULL)
		resp->owner->owned = resp->body.p;
	return st;
}

enum pstatus
http_html_escape(struct buf *b, const char *p, size_t n)
{
	enum pstatus st = PS_OK;
	size_t i, run = 0;

	for (i = 0; i < n && st == PS_OK; i++) {
		const char *rep;

		switch (p[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		if (i > run)
			st = buf_append(b, p + run, i - run);
		if (st == PS_OK)
			st = buf_puts(b, rep);
		run = i + 1;
	}
	if (st == PS_OK && n > run)
		st = buf_append(b, p + run, n - run);
	return st;
}

enum pstatus
http_error_page(struct http_response *resp, int status)
{
	const char *title, *text;
	enum pstatus st;

	switch (status) {
	case 400:
		title = "Bad request";
		text = "Your browser sent a request this site could not "
		       "understand.";
		break;
	case 403:
		title = "Access denied";
		text = "You do not have permission to see this page.";
		break;
	case 404:
		title = "Page not found";
		text = "If you typed the web address, check it is correct.";
		break;
	case 405:
		title = "Method not allowed";
		text = "This page cannot be used that way.";
		break;
	case 413:
		title = "Request too large";
		text = "What you sent was too large for this site.";
		break;
	case 429:
		title = "Too many requests";
		text = "Please wait a few minutes and try again.";
		break;
	case 500:
		title = "Sorry, there is a problem with the service";
		text = "Please try again later.";
		break;
	case 503:
		title = "Sorry, the service is unavailable";
		text = "Please try again later.";
		break;
	default:
		title = "Sorry, something went wrong";
		text = "Please try again later.";
		break;
	}
	resp->status = status;
	resp->body.n = 0;
	if (resp->body.p != NULL)
		resp->body.p[0] = '\0';
	if ((st = http_response_header(
	         resp, "Content-Type", "text/html; charset=utf-8")) != PS_OK)
		goto out;
	st = buf_printf(&resp->body,
	    "<!DOCTYPE html>\n"
	    "<html lang=\"en\">\n"
	    "<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n"
	    "<title>%s</title>\n"
	    "</head>\n"
	    "<body>\n"
	    "<main class=\"error-page\">\n"
	    "<h1>%s</h1>\n"
	    "<p>%s</p>\n"
	    "<p><a href=\"/\">Go to the home page</a></p>\n"
	    "</main>\n"
	    "</body>\n"
	    "</html>\n",
	    title, title, text);
out:
	return st;
}
