/* http.h: parsing of one HTTP request (FastCGI params and body) into decoded,
 * counted, validated strings in the request arena. Pure: no I/O, no SQL. */
#ifndef PORTAL_HTTP_H
#define PORTAL_HTTP_H

#include <stddef.h>

#include "util/util.h"

/* Request method. HEAD is routed like GET (route.h). */
enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_PUT,
	HTTP_DELETE,
	HTTP_PATCH,
	HTTP_OPTIONS,
	HTTP_OTHER
};

/* Size limits applied while parsing. Any member left 0 means "use the
 * default" (HTTP_LIMITS_DEFAULT). Exceeding max_body is PS_TOOBIG (413);
 * exceeding the others is PS_INVALID (400). */
struct http_limits {
	size_t max_body;      /* bytes of request body */
	size_t max_fields;    /* fields per kind: query, form */
	size_t max_field_len; /* bytes of one decoded name or value */
	size_t max_cookies;   /* cookies in the Cookie header */
};
#define HTTP_DEFAULT_MAX_BODY      (64 * 1024)
#define HTTP_DEFAULT_MAX_FIELDS    64
#define HTTP_DEFAULT_MAX_FIELD_LEN 4096
#define HTTP_DEFAULT_MAX_COOKIES   32
#define HTTP_LIMITS_DEFAULT                                                   \
	((struct http_limits){HTTP_DEFAULT_MAX_BODY, HTTP_DEFAULT_MAX_FIELDS, \
	    HTTP_DEFAULT_MAX_FIELD_LEN, HTTP_DEFAULT_MAX_COOKIES})

/* Fills *lim with the defaults above. */
void http_limits_default(struct http_limits *lim);

/* One decoded name=value pair. Both strings are copies in the arena, valid
 * UTF-8 without NUL, and NUL-terminated at p[n] so they may be used as C
 * strings. Values may contain TAB, CR and LF (textareas); route validators
 * decide what is allowed. */
struct http_field {
	struct str name, value;
};

/* A parsed request. Every struct str points into the arena given to
 * http_request_parse() (or is {"", 0} when absent) and is NUL-terminated. */
struct http_request {
	enum http_method method;
	struct str method_name; /* as sent, e.g. "GET" */
	struct str path;  /* percent-decoded, starts with '/', valid UTF-8,
	                     no NUL, no "." or ".." segment */
	struct str query; /* raw query string, without '?' */

	struct http_field *query_fields; /* decoded, in order sent */
	size_t nquery;
	struct http_field
	    *form; /* only for application/x-www-form-urlencoded */
	size_t nform;
	struct http_field *cookies; /* values not percent-decoded */
	size_t ncookies;

	struct str remote_addr;  /* REMOTE_ADDR */
	struct str user_agent;   /* HTTP_USER_AGENT */
	struct str content_type; /* CONTENT_TYPE as sent */
	struct str host;         /* HTTP_HOST */
	struct str origin;       /* HTTP_ORIGIN (CSRF checks) */
	struct str referer;      /* HTTP_REFERER */
	struct str request_id;   /* HTTP_X_REQUEST_ID when sane (1..64 chars
	                            of [A-Za-z0-9._-]); else empty and the
	                            caller generates one and sets it here */
	int https;               /* HTTPS=on, or REQUEST_SCHEME=https */

	/* Raw body as given to http_request_parse() (borrowed, not copied;
	 * lives as long as the caller's buffer): webhooks verify it. */
	const char *body;
	size_t bodylen;

	/* Every FastCGI param, copied ("HTTP_STRIPE_SIGNATURE" etc.); raw
	 * bytes (not checked for UTF-8), NUL-terminated. */
	struct http_field *params;
	size_t nparams;

	/* Path variables of the matched route. http_request_parse() leaves
	 * these empty; the server sets them from http_route_match()'s output
	 * before http_params_validate() so HP_PATH parameters can be read. */
	struct http_field *pathvars;
	size_t npathvars;
};

/* Parses the request described by envp (FastCGI params as "KEY=VALUE"
 * strings, NULL-terminated; borrowed) and body[0..bodylen) into *out,
 * allocating everything in arena a. lim may be NULL for the defaults.
 * The path comes from REQUEST_URI (up to '?'), else DOCUMENT_URI, else
 * SCRIPT_NAME + PATH_INFO; the query from QUERY_STRING (else REQUEST_URI
 * after '?'). The form is parsed only for POST/PUT/PATCH with Content-Type
 * application/x-www-form-urlencoded (parameters such as charset=utf-8
 * allowed); any other body is left raw in out->body.
 * Returns PS_OK; PS_INVALID (answer 400) for an embedded NUL, invalid UTF-8,
 * bad percent-encoding, a bad path, too many or over-long fields, a
 * missing REQUEST_METHOD, control characters or invalid UTF-8 in the
 * headers copied into named members (User-Agent, Host, Origin, ...);
 * PS_TOOBIG (answer 413) when bodylen or CONTENT_LENGTH exceeds
 * lim->max_body; PS_NOMEM. The reason goes to err[errsz]; it never quotes
 * request data beyond a field name. */
enum pstatus http_request_parse(struct arena *a, const char *const *envp,
    const char *body, size_t bodylen, const struct http_limits *lim,
    struct http_request *out, char *err, size_t errsz);

/* Reads CONTENT_LENGTH from envp so the server can refuse a body before
 * reading it. Stores the length (0 when absent or empty) in *len. Returns
 * PS_OK; PS_INVALID (400) when it is not a decimal number; PS_TOOBIG (413)
 * when it exceeds lim->max_body (lim NULL: the default). */
enum pstatus http_content_length(const char *const *envp,
    const struct http_limits *lim, size_t *len, char *err, size_t errsz);

/* Parse application/x-www-form-urlencoded text p[0..n) ("a=1&b=x+y%21"):
 * pairs split on '&', empty pairs skipped, a pair without '=' has an empty
 * value, '+' is a space, %XX is decoded. The fields array is allocated in a
 * and stored in *out with its length in *nout (NULL and 0 when none).
 * Returns PS_OK; PS_INVALID for bad %-encoding, NUL, invalid UTF-8, an empty
 * name, more than lim->max_fields pairs or a name/value longer than
 * lim->max_field_len; PS_NOMEM. lim may be NULL. http_parse_query() and
 * http_parse_form() share these rules. */
enum pstatus http_parse_query(struct arena *a, const char *p, size_t n,
    const struct http_limits *lim, struct http_field **out, size_t *nout,
    char *err, size_t errsz);
enum pstatus http_parse_form(struct arena *a, const char *p, size_t n,
    const struct http_limits *lim, struct http_field **out, size_t *nout,
    char *err, size_t errsz);

/* Parses a Cookie header value p[0..n) ("a=1; b=2", RFC 6265 §5.4) into
 * *out and *nout as above. Values are not percent-decoded; surrounding double
 * quotes are removed; whitespace around names and values is trimmed. A pair
 * without '=' or with an empty name is skipped (other sites' cookies must
 * not break ours). Returns PS_OK; PS_INVALID for NUL, control characters,
 * invalid UTF-8, more than lim->max_cookies cookies or one longer than
 * lim->max_field_len; PS_NOMEM. */
enum pstatus http_parse_cookies(struct arena *a, const char *p, size_t n,
    const struct http_limits *lim, struct http_field **out, size_t *nout,
    char *err, size_t errsz);

/* Percent-decodes p[0..n) into a new NUL-terminated arena string stored in
 * *out; plus_space turns '+' into ' '. Returns PS_OK, PS_INVALID (bad %XX,
 * NUL or invalid UTF-8 after decoding) or PS_NOMEM. */
enum pstatus http_url_decode(
    struct arena *a, const char *p, size_t n, int plus_space, struct str *out);

/* Look-ups: the first field named name, or NULL. Names are case-sensitive
 * (cookie and parameter names are). */
const struct str *http_query_get(
    const struct http_request *req, const char *name);
const struct str *http_form_get(
    const struct http_request *req, const char *name);
const struct str *http_cookie_get(
    const struct http_request *req, const char *name);
/* Returns the FastCGI param named name ("REMOTE_PORT") or NULL. */
const struct str *http_request_param(
    const struct http_request *req, const char *name);
/* Returns the request header named name in HTTP spelling
 * ("Stripe-Signature" looks up HTTP_STRIPE_SIGNATURE; "Content-Type" and
 * "Content-Length" their CGI names), or NULL. */
const struct str *http_request_header(
    const struct http_request *req, const char *name);
/* Returns the first field named name in f[0..n), or NULL. */
const struct str *http_fields_get(
    const struct http_field *f, size_t n, const char *name);

/* Returns the method for the name m[0..n) ("GET"), HTTP_OTHER if unknown. */
enum http_method http_method_parse(const char *m, size_t n);
/* Returns the static upper-case name of method ("GET"; "OTHER"). */
const char *http_method_name(enum http_method method);

#endif
