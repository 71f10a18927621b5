/* fuzz_cookie.c: libFuzzer harness for http_parse_cookies(): cookies have
 * non-empty names, no ';', no control characters, no surrounding blanks,
 * valid UTF-8 without NUL, within the limits. Also feeds the input to
 * http_request_parse() as the Cookie header and as the request path. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_cookie_str(const struct str *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		unsigned char c = (unsigned char)s->p[i];

		FUZZ_CHECK(c >= 0x20 && c != 0x7f && c != ';');
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_limits tight = {1024, 4, 16, 3};
	struct http_request req;
	struct http_field *f;
	struct arena *a;
	enum pstatus st;
	size_t n, i;
	char err[128];

	if ((a = arena_new()) == NULL)
		return 0;
	st = http_parse_cookies(
	    a, (const char *)data, size, NULL, &f, &n, err, sizeof(err));
	fuzz_check_fields(
	    st, f, n, HTTP_DEFAULT_MAX_COOKIES, HTTP_DEFAULT_MAX_FIELD_LEN);
	for (i = 0; st == PS_OK && i < n; i++) {
		check_cookie_str(&f[i].name);
		check_cookie_str(&f[i].value);
		FUZZ_CHECK(f[i].name.p[0] != ' ' &&
		           f[i].name.p[f[i].name.n - 1] != ' ');
	}
	st = http_parse_cookies(
	    a, (const char *)data, size, &tight, &f, &n, err, sizeof(err));
	fuzz_check_fields(st, f, n, tight.max_cookies, tight.max_field_len);

	/* As FastCGI params the input is a C string: cut at the first NUL. */
	if (size < 8192) {
		char *cookie = arena_strndup(a, (const char *)data, size);
		char *uri = arena_printf(a, "REQUEST_URI=%s", cookie);
		char *hc = arena_printf(a, "HTTP_COOKIE=%s", cookie);
		const char *env[] = {"REQUEST_METHOD=GET", uri, hc, NULL};

		if (cookie != NULL && uri != NULL && hc != NULL) {
			st = http_request_parse(
			    a, env, NULL, 0, NULL, &req, err, sizeof(err));
			FUZZ_CHECK(st == PS_OK || st == PS_INVALID);
			if (st == PS_OK) {
				fuzz_check_str(
				    &req.path, HTTP_DEFAULT_MAX_FIELD_LEN);
				FUZZ_CHECK(req.path.p[0] == '/');
				FUZZ_CHECK(memmem(req.path.p, req.path.n,
				               "/../", 4) == NULL);
				fuzz_check_fields(PS_OK, req.query_fields,
				    req.nquery, HTTP_DEFAULT_MAX_FIELDS,
				    HTTP_DEFAULT_MAX_FIELD_LEN);
				fuzz_check_fields(PS_OK, req.cookies,
				    req.ncookies, HTTP_DEFAULT_MAX_COOKIES,
				    HTTP_DEFAULT_MAX_FIELD_LEN);
			}
		}
	}
	arena_free(a);
	return 0;
}
