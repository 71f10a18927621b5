/* response.h: building one HTTP response (status, headers, cookies, body)
 * with the security headers of DESIGN.md "Security baseline" by default,
 * serialized as a CGI/FastCGI response. Pure: no I/O. */
#ifndef PORTAL_HTTP_RESPONSE_H
#define PORTAL_HTTP_RESPONSE_H

#include <stddef.h>

#include "util/util.h"

/* One response header; name and value are NUL-terminated arena strings. */
struct http_header {
	const char *name;
	const char *value;
	struct http_header *next;
};

/* An extra origin allowed by the Content-Security-Policy. */
struct http_csp_origin {
	const char *origin;
	unsigned where; /* HTTP_CSP_* bits */
	struct http_csp_origin *next;
};
#define HTTP_CSP_SCRIPT  0x1u  /* script-src */
#define HTTP_CSP_FRAME   0x2u  /* frame-src */
#define HTTP_CSP_CONNECT 0x4u  /* connect-src */
#define HTTP_CSP_STYLE   0x8u  /* style-src */
#define HTTP_CSP_IMG     0x10u /* img-src */

struct http_body_owner;

/* A response under construction. Fields are the library's; read status and
 * body freely, change them through the functions below or directly. */
struct http_response {
	struct arena *arena;         /* for headers; not owned */
	int status;                  /* 200 by default */
	struct http_header *headers; /* in the order added */
	struct http_header **tail;
	struct buf body;               /* freed by an arena cleanup */
	int omit_body;                 /* set for HEAD: serialize no body */
	int no_security_headers;       /* 1 to leave out the defaults (tests) */
	struct http_csp_origin *csp;   /* extra CSP origins */
	struct http_body_owner *owner; /* the arena cleanup's hold on body */
};

/* Cookie attribute flags. Path=/ is always set and Domain never. */
#define COOKIE_SECURE          0x1u
#define COOKIE_HTTPONLY        0x2u
#define COOKIE_SAMESITE_LAX    0x4u
#define COOKIE_SAMESITE_STRICT 0x8u

/* Initializes *resp for a response allocated in arena a: status 200,
 * Content-Type text/html; charset=utf-8, an empty body. The body's heap
 * storage is freed by an arena cleanup when a is reset or freed:
 * - after http_response_serialize() the arena owns the body outright, so
 *   *resp may go out of scope at once (the usual server loop: a local
 *   response, serialized, and the arena reset at the next request); the
 *   body may still be read and re-serialized but must not be written;
 * - before that, *resp must stay valid until the reset, or be released
 *   with http_response_free().
 * Returns PS_OK or PS_NOMEM. */
enum pstatus http_response_init(struct http_response *resp, struct arena *a);

/* Frees the body now and detaches it from the arena cleanup, so *resp may
 * go away before the arena is reset. Call it last: the body must not be
 * used afterwards. Safe to call more than once, and after serialize. */
void http_response_free(struct http_response *resp);

/* Sets header name to value, replacing an earlier header of the same name
 * (case-insensitive), except "Set-Cookie", which is always added. The name
 * must be an RFC 9110 token; the value must not contain CR, LF, NUL or other
 * control characters (TAB allowed); "Status" is refused (set resp->status).
 * Both are copied. Returns PS_OK,
 * PS_INVALID or PS_NOMEM. */
enum pstatus http_response_header(
    struct http_response *resp, const char *name, const char *value);
/* Returns the value of header name (case-insensitive) or NULL. */
const char *http_response_header_get(
    const struct http_response *resp, const char *name);

/* Adds a Set-Cookie header: name=value; Path=/; then Max-Age=N when
 * max_age_seconds > 0, Max-Age=0 and a past Expires when it is 0 (delete),
 * nothing when it is -1 (session cookie); then Secure, HttpOnly,
 * SameSite=Lax or SameSite=Strict per flags. The name must be a token, the
 * value cookie-octets (RFC 6265 §4.1.1: no space, '"', ',', ';', '\' or
 * control characters); a name starting "__Host-" requires COOKIE_SECURE;
 * both SameSite flags together are refused. Returns PS_OK, PS_INVALID or
 * PS_NOMEM. */
enum pstatus http_response_set_cookie(struct http_response *resp,
    const char *name, const char *value, long long max_age_seconds,
    unsigned flags);

/* Turns resp into a redirect: status (301, 302, 303, 307 or 308) and a
 * Location header. location must be a local path: starts with '/', not
 * "//" or "/\", printable ASCII only (percent-encode the rest). The body
 * is emptied. Returns PS_OK or PS_INVALID (resp unchanged). */
enum pstatus http_response_redirect(
    struct http_response *resp, int status, const char *location);

/* Adds origin ("https://js.stripe.com", scheme http or https, host and
 * optional port, no path) to the CSP directives in where (HTTP_CSP_*
 * bits). Returns PS_OK, PS_INVALID (bad origin) or PS_NOMEM. */
enum pstatus http_response_csp_allow(
    struct http_response *resp, const char *origin, unsigned where);

/* Writes the Content-Security-Policy value for resp into out (appending).
 * Returns PS_OK or PS_NOMEM. */
enum pstatus http_response_csp(
    const struct http_response *resp, struct buf *out);

/* The default Content-Security-Policy (no extra origins). */
#define HTTP_CSP_DEFAULT                                                     \
	"default-src 'self'; script-src 'self'; style-src 'self'; "          \
	"img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; " \
	"base-uri 'none'; object-src 'none'"

/* Appends the CGI response to out: "Status: 200 OK\r\n", the headers added,
 * then each security default the caller did not set (Content-Security-
 * Policy, X-Content-Type-Options: nosniff, Referrer-Policy: same-origin,
 * X-Frame-Options: DENY, Cache-Control: no-store, Permissions-Policy:
 * camera=(), microphone=(), geolocation=()), Content-Length, a blank line
 * and the body (none when omit_body). From then on the arena owns the body
 * (see http_response_init()). Returns PS_OK or PS_NOMEM. */
enum pstatus http_response_serialize(
    const struct http_response *resp, struct buf *out);

/* Makes resp a complete small HTML error page for status (400, 403, 404,
 * 405, 413, 500; others get a generic page): a human title ("Page not
 * found"), one sentence, a link home. No request data, no internal error
 * text. Existing body is replaced; headers are kept. Returns PS_OK or
 * PS_NOMEM. */
enum pstatus http_error_page(struct http_response *resp, int status);

/* Returns the reason phrase of status ("Not Found"), "Unknown" if none. */
const char *http_status_text(int status);

/* Appends p[0..n) to b with & < > " ' escaped as &amp; &lt; &gt; &quot;
 * &#39;. Returns PS_OK or PS_NOMEM. */
enum pstatus http_html_escape(struct buf *b, const char *p, size_t n);

#endif
