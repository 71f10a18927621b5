/* check_http.c: unit tests of app/http: request, query, form and cookie
 * parsing, limits, router, declared parameters, validators and responses. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "http/response.h"
#include "http/route.h"

static struct arena *A;
static char err[256];

static void
setup(void)
{
	A = arena_new();
	ck_assert_ptr_nonnull(A);
	err[0] = '\0';
}

static void
teardown(void)
{
	arena_free(A);
	A = NULL;
}

/* Parses query text q and returns the status; fields in *f, *n. */
static enum pstatus
pq(const char *q, struct http_field **f, size_t *n)
{
	return http_parse_query(A, q, strlen(q), NULL, f, n, err, sizeof(err));
}

static void
assert_str(const struct str *s, const char *want)
{
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->n, strlen(want));
	ck_assert_mem_eq(s->p, want, s->n);
	ck_assert_int_eq(s->p[s->n], '\0');
}

START_TEST(test_query_basic)
{
	struct http_field *f;
	size_t n;

	ck_assert_int_eq(pq("a=1&b=x+y%21&c&&d=", &f, &n), PS_OK);
	ck_assert_uint_eq(n, 4);
	assert_str(&f[0].name, "a");
	assert_str(&f[0].value, "1");
	assert_str(&f[1].value, "x y!");
	assert_str(&f[2].name, "c");
	assert_str(&f[2].value, "");
	assert_str(&f[3].name, "d");
	assert_str(&f[3].value, "");
	assert_str(http_fields_get(f, n, "b"), "x y!");
	ck_assert_ptr_null(http_fields_get(f, n, "B"));

	/* Percent-decoding: UTF-8, '+' encoded stays '+', '=' in value. */
	ck_assert_int_eq(pq("name=Jos%C3%A9&p=%2B1&e=a%3Db=c", &f, &n), PS_OK);
	ck_assert_uint_eq(n, 3);
	assert_str(&f[0].value, "Jos\xc3\xa9");
	assert_str(&f[1].value, "+1");
	assert_str(&f[2].value, "a=b=c");

	ck_assert_int_eq(pq("", &f, &n), PS_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(f);
	ck_assert_int_eq(pq("&&&", &f, &n), PS_OK);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_query_invalid)
{
	struct http_field *f;
	size_t n;

	ck_assert_int_eq(pq("a=%", &f, &n), PS_INVALID);
	ck_assert_int_eq(pq("a=%4", &f, &n), PS_INVALID);
	ck_assert_int_eq(pq("a=%zz", &f, &n), PS_INVALID);
	ck_assert_int_eq(pq("a=%00", &f, &n), PS_INVALID); /* NUL */
	ck_assert_int_eq(pq("a%00=1", &f, &n), PS_INVALID);
	ck_assert_int_eq(pq("a=%C3", &f, &n), PS_INVALID);    /* truncated */
	ck_assert_int_eq(pq("a=%C0%AF", &f, &n), PS_INVALID); /* overlong */
	ck_assert_int_eq(pq("a=%ED%A0%80", &f, &n), PS_INVALID);
	ck_assert_int_eq(pq("a=\xff", &f, &n), PS_INVALID); /* raw bad */
	ck_assert_int_eq(pq("=1", &f, &n), PS_INVALID);
	ck_assert_int_eq(pq("%20=1", &f, &n), PS_OK); /* " " is a name */
	/* A raw NUL inside the counted input. */
	ck_assert_int_eq(
	    http_parse_query(A, "a=b\0c", 5, NULL, &f, &n, err, sizeof(err)),
	    PS_INVALID);
	ck_assert_str_ne(err, "");
}
END_TEST

START_TEST(test_query_limits)
{
	struct http_limits lim = {0};
	struct http_field *f;
	size_t n;

	lim.max_fields = 3;
	lim.max_field_len = 8;
	ck_assert_int_eq(http_parse_query(A, "a=1&b=2&c=3", 11, &lim, &f, &n,
	                     err, sizeof(err)),
	    PS_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(http_parse_query(A, "a=1&b=2&c=3&d=4", 15, &lim, &f,
	                     &n, err, sizeof(err)),
	    PS_INVALID);
	ck_assert_ptr_nonnull(strstr(err, "more than 3"));
	ck_assert_int_eq(http_parse_query(A, "a=12345678", 10, &lim, &f, &n,
	                     err, sizeof(err)),
	    PS_OK);
	ck_assert_int_eq(http_parse_query(A, "a=123456789", 11, &lim, &f, &n,
	                     err, sizeof(err)),
	    PS_INVALID);
	/* Length counts decoded bytes: 8 encoded spaces are 8 bytes. */
	ck_assert_int_eq(http_parse_query(A, "a=%20%20%20%20%20%20%20%20", 26,
	                     &lim, &f, &n, err, sizeof(err)),
	    PS_OK);
	ck_assert_int_eq(http_parse_query(A, "123456789=1", 11, &lim, &f, &n,
	                     err, sizeof(err)),
	    PS_INVALID);

	/* Defaults: 64 fields, 4096 bytes. */
	{
		char q[64 * 4 + 8];
		size_t i, len = 0;

		for (i = 0; i < 65; i++)
			len += (size_t)sprintf(q + len, "%sa=", i ? "&" : "");
		ck_assert_int_eq(pq(q, &f, &n), PS_INVALID);
		len = 0;
		for (i = 0; i < 64; i++)
			len += (size_t)sprintf(q + len, "%sa=", i ? "&" : "");
		ck_assert_int_eq(pq(q, &f, &n), PS_OK);
		ck_assert_uint_eq(n, 64);
	}
	{
		char *q = malloc(4096 + 3);

		memset(q, 'x', 4096 + 2);
		q[0] = 'a';
		q[1] = '=';
		q[4098] = '\0';
		ck_assert_int_eq(pq(q, &f, &n), PS_OK);
		q[4097] = '\0';
		ck_assert_int_eq(pq(q, &f, &n), PS_OK);
		free(q);
		q = malloc(4096 + 4);
		memset(q, 'x', 4096 + 3);
		q[0] = 'a';
		q[1] = '=';
		q[4099] = '\0';
		ck_assert_int_eq(pq(q, &f, &n), PS_INVALID);
		free(q);
	}
}
END_TEST

START_TEST(test_form_same_rules)
{
	struct http_field *f;
	size_t n;

	ck_assert_int_eq(
	    http_parse_form(A, "email=a%40b.c&note=hi+there%0D%0Ax", 34, NULL,
	        &f, &n, err, sizeof(err)),
	    PS_OK);
	ck_assert_uint_eq(n, 2);
	assert_str(&f[0].value, "a@b.c");
	assert_str(&f[1].value, "hi there\r\nx");
	ck_assert_int_eq(
	    http_parse_form(A, "a=%00", 5, NULL, &f, &n, err, sizeof(err)),
	    PS_INVALID);
}
END_TEST

static enum pstatus
pc(const char *c, struct http_field **f, size_t *n)
{
	return http_parse_cookies(
	    A, c, strlen(c), NULL, f, n, err, sizeof(err));
}

START_TEST(test_cookies)
{
	struct http_field *f;
	size_t n;

	ck_assert_int_eq(
	    pc("__Host-sid=abc_DEF-1; theme = dark ;q=\"x y\"", &f, &n), PS_OK);
	ck_assert_uint_eq(n, 3);
	assert_str(&f[0].name, "__Host-sid");
	assert_str(&f[0].value, "abc_DEF-1");
	assert_str(&f[1].name, "theme");
	assert_str(&f[1].value, "dark");
	assert_str(&f[2].value, "x y");
	/* Values are not percent-decoded; '=' in values is kept. */
	ck_assert_int_eq(pc("a=%41; b=x=y", &f, &n), PS_OK);
	assert_str(&f[0].value, "%41");
	assert_str(&f[1].value, "x=y");
	/* Malformed pairs are skipped, not fatal. */
	ck_assert_int_eq(pc("junk; =v; ok=1;;", &f, &n), PS_OK);
	ck_assert_uint_eq(n, 1);
	assert_str(&f[0].name, "ok");
	ck_assert_int_eq(pc("", &f, &n), PS_OK);
	ck_assert_uint_eq(n, 0);
	/* Control characters, NUL and bad UTF-8 are 400s. */
	ck_assert_int_eq(pc("a=b\x01", &f, &n), PS_INVALID);
	ck_assert_int_eq(pc("a=\xc3(", &f, &n), PS_INVALID);
	ck_assert_int_eq(
	    http_parse_cookies(A, "a=b\0", 4, NULL, &f, &n, err, sizeof(err)),
	    PS_INVALID);
}
END_TEST

START_TEST(test_cookie_limits)
{
	struct http_limits lim = {0};
	struct http_field *f;
	size_t n;

	lim.max_cookies = 2;
	lim.max_field_len = 4;
	ck_assert_int_eq(http_parse_cookies(
	                     A, "a=1; b=2", 8, &lim, &f, &n, err, sizeof(err)),
	    PS_OK);
	ck_assert_int_eq(http_parse_cookies(A, "a=1; b=2; c=3", 13, &lim, &f,
	                     &n, err, sizeof(err)),
	    PS_INVALID);
	ck_assert_int_eq(
	    http_parse_cookies(A, "a=12345", 7, &lim, &f, &n, err, sizeof(err)),
	    PS_INVALID);
}
END_TEST

START_TEST(test_url_decode)
{
	struct str s;

	ck_assert_int_eq(http_url_decode(A, "a+b%2fc", 7, 0, &s), PS_OK);
	assert_str(&s, "a+b/c");
	ck_assert_int_eq(http_url_decode(A, "a+b", 3, 1, &s), PS_OK);
	assert_str(&s, "a b");
	ck_assert_int_eq(http_url_decode(A, "%fF", 3, 1, &s), PS_INVALID);
}
END_TEST

/* A typical nginx FastCGI request. */
static const char *const env_get_req[] = {
    "REQUEST_METHOD=GET",
    "REQUEST_URI=/invoices/42?page=2&sort=date",
    "QUERY_STRING=page=2&sort=date",
    "DOCUMENT_URI=/invoices/42",
    "REMOTE_ADDR=127.0.0.1",
    "HTTP_USER_AGENT=Mozilla/5.0 (X11)",
    "HTTP_HOST=portal.example",
    "HTTP_COOKIE=__Host-sid=tok123; other=1",
    "HTTP_X_REQUEST_ID=req-abc.1_2",
    "HTTP_STRIPE_SIGNATURE=t=1,v1=abc",
    "HTTPS=on",
    NULL,
};

START_TEST(test_request_get)
{
	struct http_request r;

	ck_assert_int_eq(http_request_parse(A, env_get_req, NULL, 0, NULL, &r,
	                     err, sizeof(err)),
	    PS_OK);
	ck_assert_int_eq(r.method, HTTP_GET);
	assert_str(&r.method_name, "GET");
	assert_str(&r.path, "/invoices/42");
	assert_str(&r.query, "page=2&sort=date");
	ck_assert_uint_eq(r.nquery, 2);
	assert_str(http_query_get(&r, "page"), "2");
	assert_str(http_query_get(&r, "sort"), "date");
	ck_assert_ptr_null(http_query_get(&r, "nope"));
	assert_str(http_cookie_get(&r, "__Host-sid"), "tok123");
	assert_str(&r.remote_addr, "127.0.0.1");
	assert_str(&r.user_agent, "Mozilla/5.0 (X11)");
	assert_str(&r.host, "portal.example");
	assert_str(&r.request_id, "req-abc.1_2");
	ck_assert_int_eq(r.https, 1);
	ck_assert_uint_eq(r.nform, 0);
	assert_str(http_request_header(&r, "Stripe-Signature"), "t=1,v1=abc");
	assert_str(http_request_param(&r, "REMOTE_ADDR"), "127.0.0.1");
	ck_assert_ptr_null(http_request_header(&r, "X-Missing"));
	assert_str(&r.origin, "");
	ck_assert_uint_eq(r.bodylen, 0);
}
END_TEST

START_TEST(test_request_post_form)
{
	static const char *const env[] = {
	    "REQUEST_METHOD=POST",
	    "REQUEST_URI=/login",
	    "CONTENT_TYPE=application/x-www-form-urlencoded; charset=UTF-8",
	    "CONTENT_LENGTH=34",
	    "HTTP_X_REQUEST_ID=bad id with spaces",
	    "HTTP_ORIGIN=https://portal.example",
	    NULL,
	};
	static const char body[] = "email=a%40b.example&password=p+w%21";
	struct http_request r;

	ck_assert_int_eq(http_request_parse(A, env, body, strlen(body), NULL,
	                     &r, err, sizeof(err)),
	    PS_OK);
	ck_assert_int_eq(r.method, HTTP_POST);
	ck_assert_uint_eq(r.nform, 2);
	assert_str(http_form_get(&r, "email"), "a@b.example");
	assert_str(http_form_get(&r, "password"), "p w!");
	assert_str(&r.request_id, ""); /* insane: the caller makes one */
	assert_str(&r.origin, "https://portal.example");
	assert_str(&r.content_type,
	    "application/x-www-form-urlencoded; charset=UTF-8");
	ck_assert_int_eq(r.https, 0);
	ck_assert_ptr_eq(r.body, body);
}
END_TEST

START_TEST(test_request_other_body)
{
	static const char *const env[] = {
	    "REQUEST_METHOD=POST",
	    "REQUEST_URI=/webhooks/stripe",
	    "CONTENT_TYPE=application/json",
	    NULL,
	};
	static const char *const env_getform[] = {
	    "REQUEST_METHOD=GET",
	    "REQUEST_URI=/x",
	    "CONTENT_TYPE=application/x-www-form-urlencoded",
	    NULL,
	};
	static const char *const env_prefix[] = {
	    "REQUEST_METHOD=POST",
	    "REQUEST_URI=/x",
	    "CONTENT_TYPE=application/x-www-form-urlencodedX",
	    NULL,
	};
	static const char body[] = "{\"id\":\"evt_1\",\"a\":\"%zz\"}";
	struct http_request r;

	ck_assert_int_eq(http_request_parse(A, env, body, strlen(body), NULL,
	                     &r, err, sizeof(err)),
	    PS_OK);
	ck_assert_uint_eq(r.nform, 0);
	ck_assert_uint_eq(r.bodylen, strlen(body));
	ck_assert_int_eq(http_request_parse(A, env_getform, "a=%zz", 5, NULL,
	                     &r, err, sizeof(err)),
	    PS_OK);
	ck_assert_uint_eq(r.nform, 0);
	ck_assert_int_eq(http_request_parse(A, env_prefix, "a=%zz", 5, NULL, &r,
	                     err, sizeof(err)),
	    PS_OK);
	ck_assert_uint_eq(r.nform, 0);
}
END_TEST

START_TEST(test_request_bad)
{
	struct http_request r;
	const char *env[6] = {
	    "REQUEST_METHOD=POST", NULL, NULL, NULL, NULL, NULL};
	static const char *const bad_paths[] = {
	    "REQUEST_URI=/a/../b",
	    "REQUEST_URI=/a/%2e%2e/b",
	    "REQUEST_URI=/..",
	    "REQUEST_URI=/./x",
	    "REQUEST_URI=/a%00b",
	    "REQUEST_URI=/a%ffb",
	    "REQUEST_URI=/a%",
	    "REQUEST_URI=/a%0Ab",
	    "REQUEST_URI=relative",
	    "REQUEST_URI=http://evil/x",
	};
	size_t i;

	for (i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
		env[1] = bad_paths[i];
		ck_assert_msg(http_request_parse(A, env, NULL, 0, NULL, &r, err,
		                  sizeof(err)) == PS_INVALID,
		    "%s accepted", bad_paths[i]);
	}
	/* Dots inside names are fine. */
	env[1] = "REQUEST_URI=/a/..b/c.d/...";
	ck_assert_int_eq(
	    http_request_parse(A, env, NULL, 0, NULL, &r, err, sizeof(err)),
	    PS_OK);
	assert_str(&r.path, "/a/..b/c.d/...");
	env[1] = "REQUEST_URI=/p%20q";
	ck_assert_int_eq(
	    http_request_parse(A, env, NULL, 0, NULL, &r, err, sizeof(err)),
	    PS_OK);
	assert_str(&r.path, "/p q");

	/* Bad query, bad cookie, bad header UTF-8. */
	env[1] = "REQUEST_URI=/x?a=%ff";
	ck_assert_int_eq(
	    http_request_parse(A, env, NULL, 0, NULL, &r, err, sizeof(err)),
	    PS_INVALID);
	env[1] = "REQUEST_URI=/x";
	env[2] = "HTTP_COOKIE=a=\x7f";
	ck_assert_int_eq(
	    http_request_parse(A, env, NULL, 0, NULL, &r, err, sizeof(err)),
	    PS_INVALID);
	env[2] = "HTTP_USER_AGENT=\xc3";
	ck_assert_int_eq(
	    http_request_parse(A, env, NULL, 0, NULL, &r, err, sizeof(err)),
	    PS_INVALID);
	/* Form body with a NUL. */
	env[2] = "CONTENT_TYPE=application/x-www-form-urlencoded";
	ck_assert_int_eq(
	    http_request_parse(A, env, "a=b\0", 4, NULL, &r, err, sizeof(err)),
	    PS_INVALID);
	ck_assert_int_eq(
	    http_request_parse(A, env, "a=%00", 5, NULL, &r, err, sizeof(err)),
	    PS_INVALID);
	/* No method. */
	{
		static const char *const nometh[] = {"REQUEST_URI=/", NULL};

		ck_assert_int_eq(http_request_parse(A, nometh, NULL, 0, NULL,
		                     &r, err, sizeof(err)),
		    PS_INVALID);
	}
}
END_TEST

START_TEST(test_request_fallbacks)
{
	static const char *const doc[] = {"REQUEST_METHOD=HEAD",
	    "DOCUMENT_URI=/a b", "QUERY_STRING=x=1", "REQUEST_SCHEME=https",
	    "CONTENT_TYPE=text/plain", NULL};
	static const char *const cgi[] = {"REQUEST_METHOD=GET",
	    "SCRIPT_NAME=/portal", "PATH_INFO=/x/y", NULL};
	static const char *const none[] = {"REQUEST_METHOD=GET", NULL};
	static const char *const qs[] = {"REQUEST_METHOD=GET",
	    "REQUEST_URI=/p?from=uri", "QUERY_STRING=", NULL};
	static const char *const rq[] = {
	    "REQUEST_METHOD=GET", "REQUEST_URI=/p?from=uri#frag", NULL};
	struct http_request r;

	ck_assert_int_eq(
	    http_request_parse(A, doc, NULL, 0, NULL, &r, err, sizeof(err)),
	    PS_OK);
	ck_assert_int_eq(r.method, HTTP_HEAD);
	assert_str(&r.path, "/a b");
	assert_str(http_query_get(&r, "x"), "1");
	ck_assert_int_eq(r.https, 1);
	assert_str(http_request_header(&r, "content-type"), "text/plain");
	ck_assert_int_eq(
	    http_request_parse(A, cgi, NULL, 0, NULL, &r, err, sizeof(err)),
	    PS_OK);
	assert_str(&r.path, "/portal/x/y");
	ck_assert_int_eq(
	    http_request_parse(A, none, NULL, 0, NULL, &r, err, sizeof(err)),
	    PS_OK);
	assert_str(&r.path, "/");
	/* An empty QUERY_STRING wins over REQUEST_URI. */
	ck_assert_int_eq(
	    http_request_parse(A, qs, NULL, 0, NULL, &r, err, sizeof(err)),
	    PS_OK);
	ck_assert_uint_eq(r.nquery, 0);
	ck_assert_int_eq(
	    http_request_parse(A, rq, NULL, 0, NULL, &r, err, sizeof(err)),
	    PS_OK);
	assert_str(&r.query, "from=uri");
	assert_str(http_query_get(&r, "from"), "uri");
}
END_TEST

START_TEST(test_request_toobig)
{
	struct http_limits lim = {0};
	struct http_request r;
	const char *env[4] = {
	    "REQUEST_METHOD=POST", "REQUEST_URI=/x", NULL, NULL};
	char *body;
	size_t len;

	body = malloc(64 * 1024 + 1);
	memset(body, 'a', 64 * 1024 + 1);
	ck_assert_int_eq(http_request_parse(A, env, body, 64 * 1024 + 1, NULL,
	                     &r, err, sizeof(err)),
	    PS_TOOBIG);
	ck_assert_int_eq(http_request_parse(A, env, body, 64 * 1024, NULL, &r,
	                     err, sizeof(err)),
	    PS_OK);
	free(body);
	env[2] = "CONTENT_LENGTH=65537";
	ck_assert_int_eq(
	    http_request_parse(A, env, NULL, 0, NULL, &r, err, sizeof(err)),
	    PS_TOOBIG);
	ck_assert_int_eq(
	    http_content_length(env, NULL, &len, err, sizeof(err)), PS_TOOBIG);
	env[2] = "CONTENT_LENGTH=99999999999999999999999999";
	ck_assert_int_eq(
	    http_content_length(env, NULL, &len, err, sizeof(err)), PS_TOOBIG);
	env[2] = "CONTENT_LENGTH=12x";
	ck_assert_int_eq(
	    http_content_length(env, NULL, &len, err, sizeof(err)), PS_INVALID);
	env[2] = "CONTENT_LENGTH=100";
	ck_assert_int_eq(
	    http_content_length(env, NULL, &len, err, sizeof(err)), PS_OK);
	ck_assert_uint_eq(len, 100);
	lim.max_body = 99;
	ck_assert_int_eq(
	    http_content_length(env, &lim, &len, err, sizeof(err)), PS_TOOBIG);
	env[2] = NULL;
	ck_assert_int_eq(
	    http_content_length(env, NULL, &len, err, sizeof(err)), PS_OK);
	ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(test_methods)
{
	ck_assert_int_eq(http_method_parse("GET", 3), HTTP_GET);
	ck_assert_int_eq(http_method_parse("HEAD", 4), HTTP_HEAD);
	ck_assert_int_eq(http_method_parse("POST", 4), HTTP_POST);
	ck_assert_int_eq(http_method_parse("get", 3), HTTP_OTHER);
	ck_assert_int_eq(http_method_parse("GETX", 4), HTTP_OTHER);
	ck_assert_str_eq(http_method_name(HTTP_DELETE), "DELETE");
	ck_assert_str_eq(http_method_name(HTTP_OTHER), "OTHER");
}
END_TEST

/* Router fixtures. */
static int h_home, h_inv, h_inv_pay, h_invite, h_login_get, h_login_post;
static const struct http_param login_params[] = {
    {"email", HP_FORM, 1, 254, http_valid_email, "Enter an email address."},
    {"password", HP_FORM, 1, 1024, http_valid_password, NULL},
    {"next", HP_FORM, 0, 200, NULL, NULL},
};
static const struct http_param invite_params[] = {
    {"token", HP_PATH, 1, 128, http_valid_token, NULL},
};
static const struct http_route routes[] = {
    {HTTP_GET, "/", NULL, 0, 0, &h_home},
    {HTTP_GET, "/invoices/:id", NULL, 0, 1, &h_inv},
    {HTTP_POST, "/invoices/:id/pay", NULL, 0, 3, &h_inv_pay},
    {HTTP_GET, "/invite/:token", invite_params, 1, 0, &h_invite},
    {HTTP_GET, "/login", NULL, 0, 0, &h_login_get},
    {HTTP_POST, "/login", login_params, 3, 2, &h_login_post},
    {HTTP_DELETE, "/login", NULL, 0, 0, &h_login_post},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static enum pstatus
match(enum http_method m, const char *path, const struct http_route **rt,
    struct http_field *vars, size_t *nvars, char *allow, size_t allowsz)
{
	struct http_request r;

	memset(&r, 0, sizeof(r));
	r.method = m;
	r.path.p = path;
	r.path.n = strlen(path);
	*nvars = HTTP_MAX_PATHVARS;
	return http_route_match(
	    routes, NROUTES, &r, rt, vars, nvars, allow, allowsz);
}

START_TEST(test_router)
{
	const struct http_route *rt;
	struct http_field vars[HTTP_MAX_PATHVARS];
	size_t nv;
	char allow[64];

	ck_assert_int_eq(
	    match(HTTP_GET, "/", &rt, vars, &nv, allow, 64), PS_OK);
	ck_assert_ptr_eq(rt->handler, &h_home);
	ck_assert_uint_eq(nv, 0);
	ck_assert_int_eq(
	    match(HTTP_GET, "/invoices/42", &rt, vars, &nv, allow, 64), PS_OK);
	ck_assert_ptr_eq(rt->handler, &h_inv);
	ck_assert_uint_eq(rt->flags, 1);
	ck_assert_uint_eq(nv, 1);
	ck_assert_uint_eq(vars[0].name.n, 2);
	ck_assert_mem_eq(vars[0].name.p, "id", 2);
	ck_assert_uint_eq(vars[0].value.n, 2);
	ck_assert_mem_eq(vars[0].value.p, "42", 2);
	/* HEAD matches GET routes. */
	ck_assert_int_eq(
	    match(HTTP_HEAD, "/invoices/7", &rt, vars, &nv, allow, 64), PS_OK);
	ck_assert_ptr_eq(rt->handler, &h_inv);
	ck_assert_int_eq(
	    match(HTTP_POST, "/invoices/7/pay", &rt, vars, &nv, allow, 64),
	    PS_OK);
	ck_assert_ptr_eq(rt->handler, &h_inv_pay);
	ck_assert_mem_eq(vars[0].value.p, "7", 1);

	/* 404s: unknown, trailing slash, empty variable, extra segment. */
	ck_assert_int_eq(
	    match(HTTP_GET, "/nope", &rt, vars, &nv, allow, 64), PS_NOTFOUND);
	ck_assert_ptr_null(rt);
	ck_assert_int_eq(
	    match(HTTP_GET, "/login/", &rt, vars, &nv, allow, 64), PS_NOTFOUND);
	ck_assert_int_eq(
	    match(HTTP_GET, "/invoices/", &rt, vars, &nv, allow, 64),
	    PS_NOTFOUND);
	ck_assert_int_eq(
	    match(HTTP_GET, "/invoices/1/x", &rt, vars, &nv, allow, 64),
	    PS_NOTFOUND);
	ck_assert_int_eq(
	    match(HTTP_GET, "//", &rt, vars, &nv, allow, 64), PS_NOTFOUND);
	ck_assert_int_eq(
	    match(HTTP_GET, "", &rt, vars, &nv, allow, 64), PS_NOTFOUND);

	/* 405 with Allow. */
	ck_assert_int_eq(
	    match(HTTP_PUT, "/login", &rt, vars, &nv, allow, 64), PS_DENIED);
	ck_assert_str_eq(allow, "GET, HEAD, POST, DELETE");
	ck_assert_int_eq(
	    match(HTTP_GET, "/invoices/9/pay", &rt, vars, &nv, allow, 64),
	    PS_DENIED);
	ck_assert_str_eq(allow, "POST");
	ck_assert_int_eq(
	    match(HTTP_POST, "/invoices/9", &rt, vars, &nv, allow, 64),
	    PS_DENIED);
	ck_assert_str_eq(allow, "GET, HEAD");
	/* A too-small Allow buffer truncates at a method boundary. */
	ck_assert_int_eq(
	    match(HTTP_PUT, "/login", &rt, vars, &nv, allow, 10), PS_DENIED);
	ck_assert_str_eq(allow, "GET, HEAD");
}
END_TEST

START_TEST(test_router_capacity)
{
	static const struct http_route r2[] = {
	    {HTTP_GET, "/a/:x/:y", NULL, 0, 0, NULL},
	};
	struct http_request r;
	const struct http_route *rt;
	struct http_field vars[2];
	size_t nv = 1;
	char allow[32];

	memset(&r, 0, sizeof(r));
	r.method = HTTP_GET;
	r.path = STR_LIT("/a/1/2");
	ck_assert_int_eq(
	    http_route_match(r2, 1, &r, &rt, vars, &nv, allow, sizeof(allow)),
	    PS_NOTFOUND);
	nv = 2;
	ck_assert_int_eq(
	    http_route_match(r2, 1, &r, &rt, vars, &nv, allow, sizeof(allow)),
	    PS_OK);
	ck_assert_uint_eq(nv, 2);
	ck_assert_mem_eq(vars[1].value.p, "2", 1);
}
END_TEST

/* Builds a POST /login request with body. */
static void
login_req(const char *body, struct http_request *r)
{
	static const char *const env[] = {
	    "REQUEST_METHOD=POST",
	    "REQUEST_URI=/login?debug=1",
	    "CONTENT_TYPE=application/x-www-form-urlencoded",
	    NULL,
	};

	ck_assert_int_eq(http_request_parse(A, env, body, strlen(body), NULL, r,
	                     err, sizeof(err)),
	    PS_OK);
}

START_TEST(test_params_validate)
{
	struct http_request r;
	struct http_params p;
	struct http_param_error errs[8];
	size_t ne;

	login_req(
	    "email=a%40b.example&password=secret&extra=1&next=%2Fhome", &r);
	ne = 8;
	ck_assert_int_eq(
	    http_params_validate(A, &routes[5], &r, &p, errs, &ne), PS_OK);
	ck_assert_uint_eq(ne, 0);
	assert_str(http_param(&p, "email"), "a@b.example");
	assert_str(http_param(&p, "password"), "secret");
	assert_str(http_param(&p, "next"), "/home");
	/* Undeclared names never reach the handler. */
	ck_assert_ptr_null(http_param(&p, "extra"));
	ck_assert_ptr_null(http_param(&p, "debug"));

	/* Missing, invalid: per-field messages. */
	login_req("email=not-an-email&next=", &r);
	ne = 8;
	ck_assert_int_eq(
	    http_params_validate(A, &routes[5], &r, &p, errs, &ne), PS_INVALID);
	ck_assert_uint_eq(ne, 2);
	ck_assert_str_eq(errs[0].field, "email");
	ck_assert_ptr_nonnull(strstr(errs[0].msg, "email address"));
	ck_assert_ptr_null(strstr(errs[0].msg, "not-an-email"));
	ck_assert_str_eq(errs[1].field, "password");
	ck_assert_str_eq(errs[1].msg, "This field is required.");
	ck_assert_ptr_null(http_param(&p, "email"));
	ck_assert_ptr_null(http_param(&p, "next"));

	login_req("password=x", &r);
	ne = 8;
	ck_assert_int_eq(
	    http_params_validate(A, &routes[5], &r, &p, errs, &ne), PS_INVALID);
	ck_assert_uint_eq(ne, 1);
	ck_assert_str_eq(errs[0].msg, "Enter an email address.");

	/* A duplicate declared parameter is a 400. */
	login_req("email=a%40b.example&password=x&email=c%40d.example", &r);
	ne = 8;
	ck_assert_int_eq(http_params_validate(A, &routes[5], &r, &p, errs, &ne),
	    PS_CONFLICT);
	ck_assert_str_eq(errs[0].field, "email");
	/* ... but an undeclared duplicate is ignored. */
	login_req("email=a%40b.example&password=x&z=1&z=2", &r);
	ne = 8;
	ck_assert_int_eq(
	    http_params_validate(A, &routes[5], &r, &p, errs, &ne), PS_OK);

	/* maxlen, and text without control characters by default. */
	login_req("email=a%40b.example&password=x&next=a%0Ab", &r);
	ne = 8;
	ck_assert_int_eq(
	    http_params_validate(A, &routes[5], &r, &p, errs, &ne), PS_INVALID);
	ck_assert_str_eq(errs[0].field, "next");
	{
		char body[400];

		strcpy(body, "email=a%40b.example&password=x&next=");
		memset(body + strlen(body), 'a', 201);
		body[36 + 201] = '\0';
		login_req(body, &r);
		ne = 8;
		ck_assert_int_eq(
		    http_params_validate(A, &routes[5], &r, &p, errs, &ne),
		    PS_INVALID);
		ck_assert_str_eq(
		    errs[0].msg, "Must be 200 characters or fewer.");
	}
	/* errs capacity is respected; nerrs NULL-capacity is fine. */
	login_req("", &r);
	ne = 1;
	ck_assert_int_eq(
	    http_params_validate(A, &routes[5], &r, &p, errs, &ne), PS_INVALID);
	ck_assert_uint_eq(ne, 1);
}
END_TEST

START_TEST(test_params_path)
{
	struct http_request r;
	struct http_params p;
	struct http_param_error errs[2];
	struct http_field vars[HTTP_MAX_PATHVARS];
	const struct http_route *rt;
	size_t ne, nv;
	char allow[32];
	const char *env[] = {"REQUEST_METHOD=GET",
	    "REQUEST_URI=/invite/AAAAAAAAAAAAAAAAAAAAAAAA_-", NULL};

	ck_assert_int_eq(
	    http_request_parse(A, env, NULL, 0, NULL, &r, err, sizeof(err)),
	    PS_OK);
	nv = HTTP_MAX_PATHVARS;
	ck_assert_int_eq(http_route_match(routes, NROUTES, &r, &rt, vars, &nv,
	                     allow, sizeof(allow)),
	    PS_OK);
	ck_assert_ptr_eq(rt->handler, &h_invite);
	r.pathvars = vars;
	r.npathvars = nv;
	ne = 2;
	ck_assert_int_eq(http_params_validate(A, rt, &r, &p, errs, &ne), PS_OK);
	assert_str(http_param(&p, "token"), "AAAAAAAAAAAAAAAAAAAAAAAA_-");

	env[1] = "REQUEST_URI=/invite/short";
	ck_assert_int_eq(
	    http_request_parse(A, env, NULL, 0, NULL, &r, err, sizeof(err)),
	    PS_OK);
	nv = HTTP_MAX_PATHVARS;
	ck_assert_int_eq(http_route_match(routes, NROUTES, &r, &rt, vars, &nv,
	                     allow, sizeof(allow)),
	    PS_OK);
	r.pathvars = vars;
	r.npathvars = nv;
	ne = 2;
	ck_assert_int_eq(
	    http_params_validate(A, rt, &r, &p, errs, &ne), PS_INVALID);
	ck_assert_str_eq(errs[0].field, "token");
}
END_TEST

#define V(fn, s) fn(STR_LIT(s), msg, sizeof(msg))

START_TEST(test_validators)
{
	char msg[128];

	ck_assert_int_eq(V(http_valid_email, "a@b.co"), 1);
	ck_assert_int_eq(
	    V(http_valid_email, "first.last+tag@sub.example.org"), 1);
	ck_assert_int_eq(V(http_valid_email, "a@b"), 0);
	ck_assert_ptr_nonnull(strstr(msg, "email address"));
	ck_assert_int_eq(V(http_valid_email, "@b.co"), 0);
	ck_assert_int_eq(V(http_valid_email, "a@@b.co"), 0);
	ck_assert_int_eq(V(http_valid_email, "a b@c.co"), 0);
	ck_assert_int_eq(V(http_valid_email, "a@b..co"), 0);
	ck_assert_int_eq(V(http_valid_email, "a@.b.co"), 0);
	ck_assert_int_eq(V(http_valid_email, "a@b.co."), 0);
	ck_assert_int_eq(V(http_valid_email, "<a@b.co>"), 0);
	ck_assert_int_eq(V(http_valid_email, "a\n@b.co"), 0);

	ck_assert_int_eq(V(http_valid_text, "Jos\xc3\xa9 O'Brien"), 1);
	ck_assert_int_eq(V(http_valid_text, "a\tb"), 0);
	ck_assert_int_eq(V(http_valid_text, "a\nb"), 0);
	ck_assert_int_eq(V(http_valid_text, "a\xc2\x85"), 0); /* NEL (C1) */
	ck_assert_int_eq(V(http_valid_text, "a\x7f"), 0);
	ck_assert_int_eq(V(http_valid_multiline, "a\r\nb\tc"), 1);
	ck_assert_int_eq(V(http_valid_multiline, "a\x01"), 0);

	ck_assert_int_eq(V(http_valid_password, "x"), 1);
	{
		char pw[1026];

		memset(pw, 'p', sizeof(pw));
		ck_assert_int_eq(http_valid_password(
		                     (struct str){pw, 1024}, msg, sizeof(msg)),
		    1);
		ck_assert_int_eq(http_valid_password(
		                     (struct str){pw, 1025}, msg, sizeof(msg)),
		    0);
	}

	ck_assert_int_eq(V(http_valid_token, "abcdefghijklmnopqrst"), 1);
	ck_assert_int_eq(V(http_valid_token, "abcdefghijklmnopqrs"), 0);
	ck_assert_int_eq(V(http_valid_token, "abcdefghijklmnopqrs="), 0);
	ck_assert_int_eq(V(http_valid_token, "abcdefghijklmnopqrs+"), 0);
	ck_assert_int_eq(V(http_valid_token, "-_0123456789ABCDEFGHIJ"), 1);

	ck_assert_int_eq(V(http_valid_int, "0"), 1);
	ck_assert_int_eq(V(http_valid_int, "-12"), 1);
	ck_assert_int_eq(V(http_valid_int, "1.5"), 0);
	ck_assert_int_eq(V(http_valid_int, "+1"), 0);
	ck_assert_int_eq(V(http_valid_int, "99999999999999999999"), 0);
	ck_assert_int_eq(V(http_valid_id, "1"), 1);
	ck_assert_int_eq(V(http_valid_id, "0"), 0);
	ck_assert_int_eq(V(http_valid_id, "-3"), 0);

	ck_assert_int_eq(V(http_valid_money, "120.00"), 1);
	ck_assert_int_eq(V(http_valid_money, "120"), 1);
	ck_assert_int_eq(V(http_valid_money, "1.234"), 0);
	ck_assert_int_eq(V(http_valid_money, "-5"), 0);
	ck_assert_int_eq(V(http_valid_money, "$5"), 0);

	ck_assert_int_eq(V(http_valid_date, "2024-02-29"), 1);
	ck_assert_int_eq(V(http_valid_date, "2023-02-29"), 0);
	ck_assert_int_eq(V(http_valid_date, "2000-02-29"), 1);
	ck_assert_int_eq(V(http_valid_date, "1900-02-29"), 0);
	ck_assert_int_eq(V(http_valid_date, "2024-04-31"), 0);
	ck_assert_int_eq(V(http_valid_date, "2024-12-31"), 1);
	ck_assert_int_eq(V(http_valid_date, "2024-13-01"), 0);
	ck_assert_int_eq(V(http_valid_date, "2024-00-10"), 0);
	ck_assert_int_eq(V(http_valid_date, "2024-1-10"), 0);
	ck_assert_int_eq(V(http_valid_date, "2024/01/10"), 0);
	ck_assert_int_eq(V(http_valid_date, "2024-01-1x"), 0);
	ck_assert_int_eq(V(http_valid_date, "2024-01-10 "), 0);
	ck_assert_ptr_nonnull(strstr(msg, "YYYY-MM-DD"));

	ck_assert_int_eq(V(http_valid_bool, "on"), 1);
	ck_assert_int_eq(V(http_valid_bool, "yes"), 0);
}
END_TEST

/* Serializes resp into a new NUL-terminated string (caller frees). */
static char *
ser(const struct http_response *resp)
{
	struct buf b = {0};

	ck_assert_int_eq(http_response_serialize(resp, &b), PS_OK);
	return b.p;
}

START_TEST(test_response_serialize)
{
	struct http_response resp;
	char *s;

	ck_assert_int_eq(http_response_init(&resp, A), PS_OK);
	ck_assert_int_eq(buf_puts(&resp.body, "<p>hi</p>"), PS_OK);
	ck_assert_int_eq(http_response_header(&resp, "X-Test", "1"), PS_OK);
	s = ser(&resp);
	ck_assert_msg(strncmp(s, "Status: 200 OK\r\n", 16) == 0, "%s", s);
	ck_assert_ptr_nonnull(
	    strstr(s, "\r\nContent-Type: text/html; charset=utf-8\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\nX-Test: 1\r\n"));
	ck_assert_ptr_nonnull(
	    strstr(s, "\r\nContent-Security-Policy: " HTTP_CSP_DEFAULT "\r\n"));
	ck_assert_ptr_nonnull(
	    strstr(s, "\r\nX-Content-Type-Options: nosniff\r\n"));
	ck_assert_ptr_nonnull(
	    strstr(s, "\r\nReferrer-Policy: same-origin\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\nX-Frame-Options: DENY\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\nCache-Control: no-store\r\n"));
	ck_assert_ptr_nonnull(
	    strstr(s, "\r\nPermissions-Policy: camera=(), microphone=(), "
	              "geolocation=()\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\nContent-Length: 9\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\n\r\n<p>hi</p>"));
	ck_assert_str_eq(strstr(s, "\r\n\r\n"), "\r\n\r\n<p>hi</p>");
	free(s);

	/* HEAD: same headers, no body. Overridden defaults appear once. */
	resp.omit_body = 1;
	resp.status = 404;
	ck_assert_int_eq(
	    http_response_header(&resp, "cache-control", "public, max-age=60"),
	    PS_OK);
	ck_assert_int_eq(
	    http_response_header(&resp, "Content-Type", "text/plain"), PS_OK);
	s = ser(&resp);
	ck_assert_msg(
	    strncmp(s, "Status: 404 Not Found\r\n", 23) == 0, "%s", s);
	ck_assert_ptr_null(strstr(s, "no-store"));
	ck_assert_ptr_nonnull(strstr(s, "cache-control: public, max-age=60"));
	ck_assert_ptr_null(strstr(s, "text/html"));
	ck_assert_ptr_nonnull(strstr(s, "Content-Length: 9\r\n"));
	ck_assert_str_eq(strstr(s, "\r\n\r\n"), "\r\n\r\n");
	free(s);
	http_response_free(&resp);
}
END_TEST

/* The server loop's shape: a local response serialized in a function that
 * returns, the arena reset only at the next request. */
static void
serve_once(struct arena *a, struct buf *out)
{
	struct http_response resp;
	int i;

	ck_assert_int_eq(http_response_init(&resp, a), PS_OK);
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(buf_puts(&resp.body, "<p>row</p>\n"), PS_OK);
	ck_assert_int_eq(http_response_serialize(&resp, out), PS_OK);
}

/* Overwrites the stack where serve_once's frame was. */
static void __attribute__((noinline)) clobber_stack(void)
{
	volatile char junk[4096];
	size_t i;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)0xa5;
}

START_TEST(test_response_outlives_frame)
{
	struct buf out = {0};
	int round;

	for (round = 0; round < 3; round++) {
		arena_reset(A);
		out.n = 0;
		serve_once(A, &out);
		clobber_stack();
		ck_assert_ptr_nonnull(
		    strstr(out.p, "Content-Length: 1100\r\n"));
	}
	arena_reset(A); /* frees the last body without touching the frame */
	buf_free(&out);
}
END_TEST

START_TEST(test_response_headers)
{
	struct http_response resp;

	ck_assert_int_eq(http_response_init(&resp, A), PS_OK);
	ck_assert_int_eq(
	    http_response_header(&resp, "X-A", "a\r\nSet-Cookie: x"),
	    PS_INVALID);
	ck_assert_int_eq(
	    http_response_header(&resp, "X-A", "a\nb"), PS_INVALID);
	ck_assert_int_eq(
	    http_response_header(&resp, "X-A", "a\rb"), PS_INVALID);
	ck_assert_int_eq(http_response_header(&resp, "X A", "v"), PS_INVALID);
	ck_assert_int_eq(http_response_header(&resp, "X:A", "v"), PS_INVALID);
	ck_assert_int_eq(http_response_header(&resp, "", "v"), PS_INVALID);
	ck_assert_int_eq(
	    http_response_header(&resp, "status", "200 OK"), PS_INVALID);
	ck_assert_int_eq(http_response_header(&resp, "X-A", NULL), PS_INVALID);
	ck_assert_int_eq(http_response_header(&resp, "X-A", "tab\tok"), PS_OK);
	ck_assert_str_eq(http_response_header_get(&resp, "x-a"), "tab\tok");
	ck_assert_int_eq(http_response_header(&resp, "X-A", "two"), PS_OK);
	ck_assert_str_eq(http_response_header_get(&resp, "X-A"), "two");
	ck_assert_ptr_null(http_response_header_get(&resp, "X-B"));
	http_response_free(&resp);
}
END_TEST

START_TEST(test_response_cookies)
{
	struct http_response resp;
	const struct http_header *h;
	const char *want[4];
	size_t i = 0;
	char *s;

	ck_assert_int_eq(http_response_init(&resp, A), PS_OK);
	ck_assert_int_eq(
	    http_response_set_cookie(&resp, "__Host-sid", "abc", -1,
	        COOKIE_SECURE | COOKIE_HTTPONLY | COOKIE_SAMESITE_LAX),
	    PS_OK);
	ck_assert_int_eq(http_response_set_cookie(
	                     &resp, "pref", "1", 3600, COOKIE_SAMESITE_STRICT),
	    PS_OK);
	ck_assert_int_eq(http_response_set_cookie(&resp, "__Host-sid", "", 0,
	                     COOKIE_SECURE | COOKIE_HTTPONLY),
	    PS_OK);
	want[0] = "__Host-sid=abc; Path=/; Secure; HttpOnly; SameSite=Lax";
	want[1] = "pref=1; Path=/; Max-Age=3600; SameSite=Strict";
	want[2] = "__Host-sid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 "
	          "00:00:00 GMT; Secure; HttpOnly";
	for (h = resp.headers; h != NULL; h = h->next) {
		if (strcmp(h->name, "Set-Cookie") != 0)
			continue;
		ck_assert_uint_lt(i, 3);
		ck_assert_str_eq(h->value, want[i]);
		i++;
	}
	ck_assert_uint_eq(i, 3);
	s = ser(&resp);
	ck_assert_ptr_nonnull(strstr(s, "\r\nSet-Cookie: pref=1; Path=/;"));
	free(s);

	/* __Host- without Secure, bad names and values, both SameSites. */
	ck_assert_int_eq(http_response_set_cookie(
	                     &resp, "__Host-x", "1", -1, COOKIE_HTTPONLY),
	    PS_INVALID);
	ck_assert_int_eq(
	    http_response_set_cookie(&resp, "__Secure-x", "1", -1, 0),
	    PS_INVALID);
	ck_assert_int_eq(http_response_set_cookie(&resp, "a", "1", -1,
	                     COOKIE_SAMESITE_LAX | COOKIE_SAMESITE_STRICT),
	    PS_INVALID);
	ck_assert_int_eq(
	    http_response_set_cookie(&resp, "a", "x;Domain=e", -1, 0),
	    PS_INVALID);
	ck_assert_int_eq(
	    http_response_set_cookie(&resp, "a", "x y", -1, 0), PS_INVALID);
	ck_assert_int_eq(
	    http_response_set_cookie(&resp, "a", "x\r\n", -1, 0), PS_INVALID);
	ck_assert_int_eq(
	    http_response_set_cookie(&resp, "a=b", "x", -1, 0), PS_INVALID);
	ck_assert_int_eq(
	    http_response_set_cookie(&resp, "", "x", -1, 0), PS_INVALID);
	ck_assert_int_eq(
	    http_response_set_cookie(&resp, "a", "x", -2, 0), PS_INVALID);
	http_response_free(&resp);
}
END_TEST

START_TEST(test_response_redirect)
{
	struct http_response resp;
	char *s;

	ck_assert_int_eq(http_response_init(&resp, A), PS_OK);
	ck_assert_int_eq(buf_puts(&resp.body, "old"), PS_OK);
	ck_assert_int_eq(
	    http_response_redirect(&resp, 303, "/invoices?x=1"), PS_OK);
	ck_assert_int_eq(resp.status, 303);
	ck_assert_str_eq(
	    http_response_header_get(&resp, "Location"), "/invoices?x=1");
	s = ser(&resp);
	ck_assert_msg(
	    strncmp(s, "Status: 303 See Other\r\n", 23) == 0, "%s", s);
	ck_assert_ptr_nonnull(strstr(s, "Content-Length: 0\r\n"));
	free(s);

	ck_assert_int_eq(
	    http_response_redirect(&resp, 303, "//evil.example/"), PS_INVALID);
	ck_assert_int_eq(
	    http_response_redirect(&resp, 303, "/\\evil.example"), PS_INVALID);
	ck_assert_int_eq(
	    http_response_redirect(&resp, 303, "https://evil.example/"),
	    PS_INVALID);
	ck_assert_int_eq(
	    http_response_redirect(&resp, 303, "invoices"), PS_INVALID);
	ck_assert_int_eq(http_response_redirect(&resp, 303, ""), PS_INVALID);
	ck_assert_int_eq(
	    http_response_redirect(&resp, 303, "/a\r\nX: y"), PS_INVALID);
	ck_assert_int_eq(
	    http_response_redirect(&resp, 303, "/a b"), PS_INVALID);
	ck_assert_int_eq(
	    http_response_redirect(&resp, 303, "/\xc3\xa9"), PS_INVALID);
	ck_assert_int_eq(http_response_redirect(&resp, 200, "/"), PS_INVALID);
	ck_assert_int_eq(http_response_redirect(&resp, 302, "/"), PS_OK);
	ck_assert_int_eq(resp.status, 302);
	/* A refused redirect leaves the earlier Location in place. */
	ck_assert_str_eq(http_response_header_get(&resp, "Location"), "/");
	http_response_free(&resp);
}
END_TEST

START_TEST(test_response_csp)
{
	struct http_response resp;
	struct buf b = {0};
	char *s;

	ck_assert_int_eq(http_response_init(&resp, A), PS_OK);
	ck_assert_int_eq(http_response_csp(&resp, &b), PS_OK);
	ck_assert_str_eq(b.p, HTTP_CSP_DEFAULT);
	buf_free(&b);
	ck_assert_int_eq(http_response_csp_allow(&resp, "https://js.stripe.com",
	                     HTTP_CSP_SCRIPT | HTTP_CSP_FRAME),
	    PS_OK);
	ck_assert_int_eq(http_response_csp_allow(
	                     &resp, "http://127.0.0.1:8089", HTTP_CSP_CONNECT),
	    PS_OK);
	ck_assert_int_eq(http_response_csp(&resp, &b), PS_OK);
	ck_assert_str_eq(b.p,
	    "default-src 'self'; script-src 'self' https://js.stripe.com; "
	    "style-src 'self'; img-src 'self' data:; frame-src 'self' "
	    "https://js.stripe.com; connect-src 'self' http://127.0.0.1:8089; "
	    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
	    "object-src 'none'");
	s = ser(&resp);
	ck_assert_ptr_nonnull(strstr(s, b.p));
	free(s);
	buf_free(&b);

	ck_assert_int_eq(http_response_csp_allow(&resp,
	                     "https://a.b; script-src *", HTTP_CSP_SCRIPT),
	    PS_INVALID);
	ck_assert_int_eq(
	    http_response_csp_allow(&resp, "https://a.b/path", HTTP_CSP_SCRIPT),
	    PS_INVALID);
	ck_assert_int_eq(
	    http_response_csp_allow(&resp, "*", HTTP_CSP_SCRIPT), PS_INVALID);
	ck_assert_int_eq(
	    http_response_csp_allow(&resp, "javascript:x", HTTP_CSP_SCRIPT),
	    PS_INVALID);
	ck_assert_int_eq(
	    http_response_csp_allow(&resp, "https://a.b", 0), PS_INVALID);
	ck_assert_int_eq(
	    http_response_csp_allow(&resp, "https://a.b", 0x100), PS_INVALID);
	http_response_free(&resp);
}
END_TEST

START_TEST(test_error_pages)
{
	static const int codes[] = {400, 403, 404, 405, 413, 500};
	static const char *const titles[] = {"Bad request", "Access denied",
	    "Page not found", "Method not allowed", "Request too large",
	    "Sorry, there is a problem with the service"};
	size_t i;

	for (i = 0; i < 6; i++) {
		struct http_response resp;
		char title[128];
		char *s;

		ck_assert_int_eq(http_response_init(&resp, A), PS_OK);
		ck_assert_int_eq(buf_puts(&resp.body, "secret detail"), PS_OK);
		ck_assert_int_eq(http_error_page(&resp, codes[i]), PS_OK);
		ck_assert_int_eq(resp.status, codes[i]);
		snprintf(title, sizeof(title), "<title>%s</title>", titles[i]);
		ck_assert_ptr_nonnull(strstr(resp.body.p, title));
		ck_assert_ptr_nonnull(strstr(resp.body.p, "<!DOCTYPE html>"));
		ck_assert_ptr_nonnull(strstr(resp.body.p, "<a href=\"/\">"));
		ck_assert_ptr_null(strstr(resp.body.p, "secret"));
		ck_assert_ptr_null(strstr(resp.body.p, "<script"));
		s = ser(&resp);
		ck_assert_ptr_nonnull(strstr(s, "Content-Security-Policy"));
		free(s);
		http_response_free(&resp);
		http_response_free(&resp); /* twice is fine */
	}
	ck_assert_str_eq(http_status_text(404), "Not Found");
	ck_assert_str_eq(http_status_text(413), "Content Too Large");
	ck_assert_str_eq(http_status_text(599), "Unknown");
}
END_TEST

START_TEST(test_html_escape)
{
	struct buf b = {0};

	ck_assert_int_eq(
	    http_html_escape(&b, "<a href=\"x\">&'</a>", 18), PS_OK);
	ck_assert_str_eq(
	    b.p, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
	b.n = 0;
	ck_assert_int_eq(http_html_escape(&b, "plain", 5), PS_OK);
	ck_assert_str_eq(b.p, "plain");
	b.n = 0;
	ck_assert_int_eq(http_html_escape(&b, "", 0), PS_OK);
	ck_assert_uint_eq(b.n, 0);
	buf_free(&b);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_query_basic);
	tcase_add_test(tc, test_query_invalid);
	tcase_add_test(tc, test_query_limits);
	tcase_add_test(tc, test_form_same_rules);
	tcase_add_test(tc, test_cookies);
	tcase_add_test(tc, test_cookie_limits);
	tcase_add_test(tc, test_url_decode);
	tcase_add_test(tc, test_request_get);
	tcase_add_test(tc, test_request_post_form);
	tcase_add_test(tc, test_request_other_body);
	tcase_add_test(tc, test_request_bad);
	tcase_add_test(tc, test_request_fallbacks);
	tcase_add_test(tc, test_request_toobig);
	tcase_add_test(tc, test_methods);
	tcase_add_test(tc, test_router);
	tcase_add_test(tc, test_router_capacity);
	tcase_add_test(tc, test_params_validate);
	tcase_add_test(tc, test_params_path);
	tcase_add_test(tc, test_validators);
	tcase_add_test(tc, test_response_serialize);
	tcase_add_test(tc, test_response_outlives_frame);
	tcase_add_test(tc, test_response_headers);
	tcase_add_test(tc, test_response_cookies);
	tcase_add_test(tc, test_response_redirect);
	tcase_add_test(tc, test_response_csp);
	tcase_add_test(tc, test_error_pages);
	tcase_add_test(tc, test_html_escape);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(http_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
