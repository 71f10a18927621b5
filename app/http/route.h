/* route.h: the router (method + path pattern to a route) and declared,
 * validated parameters: undeclared parameters never reach a handler. */
#ifndef PORTAL_HTTP_ROUTE_H
#define PORTAL_HTTP_ROUTE_H

#include <stddef.h>

#include "http/http.h"

/* Where a declared parameter is read from. HP_PATH reads req->pathvars
 * (the ":name" segments of the matched route). */
enum http_param_where { HP_QUERY, HP_FORM, HP_PATH };

/* A validator: returns 1 when v is acceptable, else 0 with a message for a
 * person in err[errsz] ("Enter an email address."). v is valid UTF-8 without
 * NUL (the parser guarantees it) and not empty (empty values are handled
 * by the required flag). */
typedef int (*http_validator)(struct str v, char *err, size_t errsz);

/* One declared parameter of a route. */
struct http_param {
	const char *name;
	enum http_param_where where;
	int required;         /* missing or empty is an error */
	size_t maxlen;        /* bytes; 0 means HTTP_DEFAULT_MAX_FIELD_LEN */
	http_validator valid; /* NULL: http_valid_text */
	const char *missing;  /* message when required and missing; NULL gives
	                         "This field is required." */
};

/* Ready validators (messages in the product's plain words). */
int http_valid_email(struct str v, char *err, size_t errsz); /* a@b.c, <=254 */
/* Any valid UTF-8 without control characters (TAB, CR, LF included). */
int http_valid_text(struct str v, char *err, size_t errsz);
/* Like text but also allows TAB, CR and LF (textareas). */
int http_valid_multiline(struct str v, char *err, size_t errsz);
int http_valid_password(struct str v, char *err, size_t errsz); /* 1..1024 B */
/* base64url alphabet [A-Za-z0-9_-], 20..128 characters. */
int http_valid_token(struct str v, char *err, size_t errsz);
/* A decimal integer per util_strtonum (optional '-'), any int64. */
int http_valid_int(struct str v, char *err, size_t errsz);
/* A positive integer id, 1..INT64_MAX. */
int http_valid_id(struct str v, char *err, size_t errsz);
/* An amount per money_parse ("120", "120.5", "120.00"). */
int http_valid_money(struct str v, char *err, size_t errsz);
/* YYYY-MM-DD, a real calendar date (leap years), years 1900..9999. */
int http_valid_date(struct str v, char *err, size_t errsz);
/* "1", "0", "on" (checkbox). */
int http_valid_bool(struct str v, char *err, size_t errsz);

/* A route. pattern is '/'-separated segments, each literal or ":name"
 * (matching one non-empty segment), e.g. "/invite/:token"; matching is
 * exact (no trailing-slash folding). flags and handler are the app's. */
struct http_route {
	enum http_method method;
	const char *pattern;
	const struct http_param *params;
	size_t nparams;
	unsigned flags;
	void *handler;
};

/* Max ":name" segments in one pattern. */
#define HTTP_MAX_PATHVARS 8

/* Finds the route for req->method and req->path among routes[0..n) (first
 * match wins; HEAD matches GET routes). On PS_OK *match is the route and
 * pathvars[0..*npathvars) the path variables: name points into the
 * pattern and value into req->path, so they are NOT NUL-terminated; use the
 * counted lengths. On entry *npathvars is the capacity of pathvars
 * (HTTP_MAX_PATHVARS suffices); a pattern with more variables than that
 * does not match.
 * Returns PS_OK; PS_NOTFOUND (404) when no pattern matches the path;
 * PS_DENIED (405) when patterns match but not the method, with the Allow
 * header value ("GET, HEAD, POST") in allow[allowsz]. */
enum pstatus http_route_match(const struct http_route *routes, size_t n,
    const struct http_request *req, const struct http_route **match,
    struct http_field *pathvars, size_t *npathvars, char *allow,
    size_t allowsz);

/* The declared parameters present in a request, after validation. */
struct http_params {
	struct http_field *f;
	size_t n;
};

/* An error on one field, for display next to it and in a summary. */
struct http_param_error {
	const char *field; /* the declared name (points into the route) */
	char msg[128];     /* for a person; never quotes the value */
};

/* Validates req against route->params and stores the declared parameters
 * that are present (non-empty) in *out (array in arena a). On entry *nerrs
 * is the capacity of errs; on return the number of errors written (at most
 * one per parameter). Returns PS_OK when all are valid; PS_INVALID when
 * some field is missing or invalid (errs say which: re-show the form);
 * PS_CONFLICT when a declared parameter appears more than once (answer
 * 400, errs say which); PS_NOMEM. Parameters in *out that had errors are
 * left out. */
enum pstatus http_params_validate(struct arena *a,
    const struct http_route *route, const struct http_request *req,
    struct http_params *out, struct http_param_error *errs, size_t *nerrs);

/* Returns the validated value of parameter name, or NULL when absent. */
const struct str *http_param(const struct http_params *p, const char *name);

#endif
