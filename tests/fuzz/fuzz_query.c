/* fuzz_query.c: libFuzzer harness for http_parse_query(): any input either
 * fails with PS_INVALID or yields fields of valid UTF-8 without NUL within
 * the limits, and look-ups agree with the array. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_limits tight = {1024, 4, 16, 4};
	struct http_field *f;
	struct arena *a;
	enum pstatus st;
	size_t n, i;
	char err[128];

	if ((a = arena_new()) == NULL)
		return 0;
	st = http_parse_query(
	    a, (const char *)data, size, NULL, &f, &n, err, sizeof(err));
	fuzz_check_fields(
	    st, f, n, HTTP_DEFAULT_MAX_FIELDS, HTTP_DEFAULT_MAX_FIELD_LEN);
	if (st == PS_OK) {
		/* Decoding never grows: '%XX' shrinks, '+' stays one byte. */
		for (i = 0; i < n; i++)
			FUZZ_CHECK(f[i].name.n + f[i].value.n <= size);
		for (i = 0; i < n; i++) {
			const struct str *v;

			v = http_fields_get(f, n, f[i].name.p);
			/* A name with an embedded '\0' cannot happen, so the
			 * C-string look-up finds the first of that name. */
			FUZZ_CHECK(v != NULL);
		}
	} else
		FUZZ_CHECK(err[0] != '\0');
	st = http_parse_query(
	    a, (const char *)data, size, &tight, &f, &n, err, sizeof(err));
	fuzz_check_fields(st, f, n, tight.max_fields, tight.max_field_len);
	arena_free(a);
	return 0;
}
