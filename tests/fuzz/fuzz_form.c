/* fuzz_form.c: libFuzzer harness for http_parse_form() and for the whole
 * http_request_parse() with the input as a form body: fields are valid
 * UTF-8 without NUL within the limits; a request either parses or is
 * refused with PS_INVALID/PS_TOOBIG. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const env[] = {
	    "REQUEST_METHOD=POST",
	    "REQUEST_URI=/login?next=%2Fhome",
	    "CONTENT_TYPE=application/x-www-form-urlencoded; charset=utf-8",
	    "HTTP_COOKIE=__Host-sid=abc; x=1",
	    NULL,
	};
	struct http_limits lim = {0};
	struct http_request req;
	struct http_field *f;
	struct arena *a;
	enum pstatus st;
	size_t n, i;
	char err[128];

	if ((a = arena_new()) == NULL)
		return 0;
	st = http_parse_form(
	    a, (const char *)data, size, NULL, &f, &n, err, sizeof(err));
	fuzz_check_fields(
	    st, f, n, HTTP_DEFAULT_MAX_FIELDS, HTTP_DEFAULT_MAX_FIELD_LEN);

	lim.max_body = 4096;
	st = http_request_parse(
	    a, env, (const char *)data, size, &lim, &req, err, sizeof(err));
	FUZZ_CHECK(st == PS_OK || st == PS_INVALID || st == PS_TOOBIG);
	FUZZ_CHECK(st != PS_TOOBIG || size > lim.max_body);
	if (st == PS_OK) {
		FUZZ_CHECK(size <= lim.max_body);
		fuzz_check_fields(PS_OK, req.form, req.nform,
		    HTTP_DEFAULT_MAX_FIELDS, HTTP_DEFAULT_MAX_FIELD_LEN);
		FUZZ_CHECK(req.nquery == 1);
		FUZZ_CHECK(str_eq(req.path, "/login"));
		FUZZ_CHECK(req.ncookies == 2);
		for (i = 0; i < req.nform; i++)
			FUZZ_CHECK(
			    http_form_get(&req, req.form[i].name.p) != NULL);
	}
	arena_free(a);
	return 0;
}
