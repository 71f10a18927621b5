/* fuzz_common.h: invariants shared by the HTTP parser fuzz harnesses. */
#ifndef PORTAL_FUZZ_COMMON_H
#define PORTAL_FUZZ_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "http/http.h"

/* Aborts (a libFuzzer crash) when cond is false. */
#define FUZZ_CHECK(cond)                  \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

/* Checks one decoded string: valid UTF-8, no NUL, NUL-terminated copy. */
static inline void
fuzz_check_str(const struct str *s, size_t maxlen)
{
	FUZZ_CHECK(s->p != NULL);
	FUZZ_CHECK(s->n <= maxlen);
	FUZZ_CHECK(utf8_valid(s->p, s->n));
	FUZZ_CHECK(memchr(s->p, '\0', s->n) == NULL);
	FUZZ_CHECK(s->p[s->n] == '\0');
}

/* Checks the result of a field parser given the limits it ran with. */
static inline void
fuzz_check_fields(enum pstatus st, const struct http_field *f, size_t n,
    size_t maxfields, size_t maxlen)
{
	size_t i;

	FUZZ_CHECK(st == PS_OK || st == PS_INVALID);
	if (st != PS_OK)
		return;
	FUZZ_CHECK(n <= maxfields);
	FUZZ_CHECK(n == 0 || f != NULL);
	for (i = 0; i < n; i++) {
		fuzz_check_str(&f[i].name, maxlen);
		fuzz_check_str(&f[i].value, maxlen);
		FUZZ_CHECK(f[i].name.n > 0);
	}
}

#endif
