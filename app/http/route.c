/* route.c: route matching (404/405 with Allow), declared parameters and the
 * ready validators (route.h). */
#include <stdio.h>
#include <string.h>

#include "http/route.h"

/* Matches path against pattern; on success fills vars (capacity cap) and
 * *nvars and returns 1. */
static int
pattern_match(const char *pattern, struct str path, struct http_field *vars,
    size_t cap, size_t *nvars)
{
	const char *pp = pattern;
	size_t pi = 0, nv = 0;

	if (*pp != '/' || path.n == 0 || path.p[0] != '/')
		return 0;
	/* Walk segment by segment, both starting after a '/'. */
	while (*pp == '/' && pi < path.n && path.p[pi] == '/') {
		const char *pseg = pp + 1;
		size_t plen = strcspn(pseg, "/");
		const char *sseg = path.p + pi + 1;
		size_t slen = 0;

		while (pi + 1 + slen < path.n && sseg[slen] != '/')
			slen++;
		if (plen > 1 && pseg[0] == ':') {
			if (slen == 0 || nv == cap)
				return 0;
			vars[nv].name.p = pseg + 1;
			vars[nv].name.n = plen - 1;
			vars[nv].value.p = sseg;
			vars[nv].value.n = slen;
			nv++;
		} else if (plen != slen || memcmp(pseg, sseg, slen) != 0)
			return 0;
		pp = pseg + plen;
		pi += 1 + slen;
	}
	if (*pp != '\0' || pi != path.n)
		return 0;
	*nvars = nv;
	return 1;
}

/* Appends method name m to the Allow list unless present. */
static void
allow_add(char *allow, size_t allowsz, const char *m)
{
	size_t len = strlen(allow), mlen = strlen(m);
	const char *s = allow;

	/* Present already? Names are separated by ", ". */
	while ((s = strstr(s, m)) != NULL) {
		if ((s == allow || s[-1] == ' ') &&
		    (s[mlen] == '\0' || s[mlen] == ','))
			return;
		s += mlen;
	}
	if (len + (len ? 2 : 0) + mlen + 1 > allowsz)
		return;
	if (len)
		strcat(allow, ", ");
	strcat(allow, m);
}

enum pstatus
http_route_match(const struct http_route *routes, size_t n,
    const struct http_request *req, const struct http_route **match,
    struct http_field *pathvars, size_t *npathvars, char *allow, size_t allowsz)
{
	struct http_field tmp[HTTP_MAX_PATHVARS];
	enum pstatus st = PS_NOTFOUND;
	size_t i, cap = *npathvars, nv;
	enum http_method m = req->method == HTTP_HEAD ? HTTP_GET : req->method;
	int path_seen = 0;

	*match = NULL;
	*npathvars = 0;
	if (allow != NULL && allowsz > 0)
		allow[0] = '\0';
	for (i = 0; i < n; i++) {
		if (routes[i].method == m) {
			if (pattern_match(routes[i].pattern, req->path,
			        pathvars, cap, &nv)) {
				*match = &routes[i];
				*npathvars = nv;
				st = PS_OK;
				goto out;
			}
		}
	}
	/* No route for this method: is the path known for another? */
	for (i = 0; i < n; i++) {
		if (routes[i].method == m)
			continue; /* failed above only for lack of capacity */
		if (!pattern_match(routes[i].pattern, req->path, tmp,
		        HTTP_MAX_PATHVARS, &nv))
			continue;
		path_seen = 1;
		if (allow != NULL && allowsz > 0) {
			allow_add(
			    allow, allowsz, http_method_name(routes[i].method));
			if (routes[i].method == HTTP_GET)
				allow_add(allow, allowsz, "HEAD");
		}
	}
	if (path_seen)
		st = PS_DENIED;
out:
	return st;
}

/* Returns the fields of kind where of req. */
static void
fields_of(const struct http_request *req, enum http_param_where where,
    const struct http_field **f, size_t *n)
{
	switch (where) {
	case HP_QUERY:
		*f = req->query_fields;
		*n = req->nquery;
		break;
	case HP_FORM:
		*f = req->form;
		*n = req->nform;
		break;
	case HP_PATH:
	default:
		*f = req->pathvars;
		*n = req->npathvars;
		break;
	}
}

/* Records an error for field if there is room. */
static void
add_error(struct http_param_error *errs, size_t cap, size_t *nerr,
    const char *field, const char *msg)
{
	if (*nerr < cap) {
		errs[*nerr].field = field;
		snprintf(errs[*nerr].msg, sizeof(errs[*nerr].msg), "%s", msg);
	}
	(*nerr)++;
}

enum pstatus
http_params_validate(struct arena *a, const struct http_route *route,
    const struct http_request *req, struct http_params *out,
    struct http_param_error *errs, size_t *nerrs)
{
	enum pstatus st = PS_OK;
	size_t cap = errs != NULL && nerrs != NULL ? *nerrs : 0, nerr = 0, i,
	       k = 0;
	int dup = 0;

	out->f = NULL;
	out->n = 0;
	if (route->nparams > 0 &&
	    (out->f = arena_alloc(a, route->nparams * sizeof(*out->f))) ==
	        NULL) {
		st = PS_NOMEM;
		goto out;
	}
	for (i = 0; i < route->nparams; i++) {
		const struct http_param *d = &route->params[i];
		const struct http_field *f;
		const struct str *v = NULL;
		size_t nf, j, count = 0;
		size_t maxlen =
		    d->maxlen ? d->maxlen : HTTP_DEFAULT_MAX_FIELD_LEN;
		http_validator valid = d->valid ? d->valid : http_valid_text;
		char msg[128];

		fields_of(req, d->where, &f, &nf);
		for (j = 0; j < nf; j++) {
			if (str_eq(f[j].name, d->name)) {
				if (count++ == 0)
					v = &f[j].value;
			}
		}
		if (count > 1) {
			add_error(errs, cap, &nerr, d->name,
			    "This field was sent more than once.");
			dup = 1;
			continue;
		}
		if (v == NULL || v->n == 0) {
			if (d->required)
				add_error(errs, cap, &nerr, d->name,
				    d->missing ? d->missing
				               : "This field is required.");
			continue;
		}
		if (v->n > maxlen) {
			snprintf(msg, sizeof(msg),
			    "Must be %zu characters or fewer.", maxlen);
			add_error(errs, cap, &nerr, d->name, msg);
			continue;
		}
		msg[0] = '\0';
		if (!valid(*v, msg, sizeof(msg))) {
			add_error(errs, cap, &nerr, d->name,
			    msg[0] ? msg : "Enter a valid value.");
			continue;
		}
		out->f[k].name.p = d->name;
		out->f[k].name.n = strlen(d->name);
		/* Path variables are slices; copy so values are C strings. */
		if ((out->f[k].value.p = arena_strndup(a, v->p, v->n)) ==
		    NULL) {
			st = PS_NOMEM;
			goto out;
		}
		out->f[k].value.n = v->n;
		k++;
	}
	out->n = k;
	if (dup)
		st = PS_CONFLICT;
	else if (nerr > 0)
		st = PS_INVALID;
out:
	if (nerrs != NULL)
		*nerrs = nerr < cap ? nerr : cap;
	return st;
}

const struct str *
http_param(const struct http_params *p, const char *name)
{
	return http_fields_get(p->f, p->n, name);
}

/* Validators. Each returns 1 or 0 with a message for a person. */

static int
fail(char *err, size_t errsz, const char *msg)
{
	errbuf_set(err, errsz, "%s", msg);
	return 0;
}

static int
has_ctl_except(struct str v, int allow_ws)
{
	size_t i;

	for (i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if (allow_ws && (c == '\t' || c == '\r' || c == '\n'))
			continue;
		if (c < 0x20 || c == 0x7f)
			return 1;
		/* C1 controls U+0080..U+009F are encoded as C2 80..C2 9F. */
		if (c == 0xc2 && i + 1 < v.n &&
		    (unsigned char)v.p[i + 1] >= 0x80 &&
		    (unsigned char)v.p[i + 1] <= 0x9f)
			return 1;
	}
	return 0;
}

int
http_valid_text(struct str v, char *err, size_t errsz)
{
	if (!utf8_valid(v.p, v.n) || has_ctl_except(v, 0))
		return fail(
		    err, errsz, "Remove line breaks and special characters.");
	return 1;
}

int
http_valid_multiline(struct str v, char *err, size_t errsz)
{
	if (!utf8_valid(v.p, v.n) || has_ctl_except(v, 1))
		return fail(err, errsz, "Remove special characters.");
	return 1;
}

int
http_valid_email(struct str v, char *err, size_t errsz)
{
	const char *at = NULL;
	size_t i, local, dots = 0;
	int ok = 1;

	if (v.n < 3 || v.n > 254)
		ok = 0;
	for (i = 0; ok && i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if (c == '@') {
			if (at != NULL)
				ok = 0;
			at = v.p + i;
		} else if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' ||
		           c == '(' || c == ')' || c == ',' || c == ';' ||
		           c == ':' || c == '\\' || c == '"' || c == '[' ||
		           c == ']')
			ok = 0;
		else if (c == '.' && at != NULL)
			dots++;
	}
	if (ok && at == NULL)
		ok = 0;
	if (ok) {
		const char *dom = at + 1;
		size_t dlen = v.n - (size_t)(dom - v.p);

		local = (size_t)(at - v.p);
		if (local == 0 || local > 64 || dlen == 0 || dots == 0 ||
		    dom[0] == '.' || dom[dlen - 1] == '.' || v.p[0] == '.' ||
		    at[-1] == '.' || memmem(v.p, v.n, "..", 2) != NULL)
			ok = 0;
	}
	if (ok && !utf8_valid(v.p, v.n))
		ok = 0;
	if (!ok)
		return fail(err, errsz,
		    "Enter an email address in the correct format, like "
		    "name@example.com.");
	return 1;
}

int
http_valid_password(struct str v, char *err, size_t errsz)
{
	if (v.n < 1 || v.n > 1024)
		return fail(err, errsz,
		    "Enter a password of 1024 characters or fewer.");
	if (!utf8_valid(v.p, v.n))
		return fail(err, errsz, "Enter a valid password.");
	return 1;
}

int
http_valid_token(struct str v, char *err, size_t errsz)
{
	size_t i;

	if (v.n < 20 || v.n > 128)
		return fail(err, errsz, "This link or code is not valid.");
	for (i = 0; i < v.n; i++) {
		char c = v.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return fail(
			    err, errsz, "This link or code is not valid.");
	}
	return 1;
}

int
http_valid_int(struct str v, char *err, size_t errsz)
{
	int64_t x;

	if (util_strtonum(v.p, v.n, INT64_MIN, INT64_MAX, &x, NULL, 0) != PS_OK)
		return fail(err, errsz, "Enter a whole number.");
	return 1;
}

int
http_valid_id(struct str v, char *err, size_t errsz)
{
	int64_t x;

	if (util_strtonum(v.p, v.n, 1, INT64_MAX, &x, NULL, 0) != PS_OK)
		return fail(err, errsz, "This item was not found.");
	return 1;
}

int
http_valid_money(struct str v, char *err, size_t errsz)
{
	int64_t c;

	if (money_parse(v.p, v.n, NULL, &c) != PS_OK)
		return fail(err, errsz,
		    "Enter an amount in dollars and cents, like 120.00.");
	return 1;
}

int
http_valid_date(struct str v, char *err, size_t errsz)
{
	static const int mdays[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int64_t y, m, d;
	int leap, ok = 0;

	if (v.n == 10 && v.p[4] == '-' && v.p[7] == '-' &&
	    util_strtonum(v.p, 4, 1900, 9999, &y, NULL, 0) == PS_OK &&
	    util_strtonum(v.p + 5, 2, 1, 12, &m, NULL, 0) == PS_OK &&
	    util_strtonum(v.p + 8, 2, 1, 31, &d, NULL, 0) == PS_OK &&
	    v.p[5] != '-' && v.p[8] != '-') {
		leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		ok = d <= mdays[m - 1] + (m == 2 && leap);
	}
	if (!ok)
		return fail(
		    err, errsz, "Enter a real date in the format YYYY-MM-DD.");
	return 1;
}

int
http_valid_bool(struct str v, char *err, size_t errsz)
{
	if (str_eq(v, "1") || str_eq(v, "0") || str_eq(v, "on"))
		return 1;
	return fail(err, errsz, "Choose yes or no.");
}
