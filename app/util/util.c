/* util.c: status names, counted strings, UTF-8 checks, error buffers,
 * growable buffers, bounded integer parsing, money and start-up allocation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

const char *
pstatus_str(enum pstatus s)
{
	switch (s) {
	case PS_OK:
		return "ok";
	case PS_ERROR:
		return "error";
	case PS_NOMEM:
		return "out of memory";
	case PS_INVALID:
		return "invalid";
	case PS_NOTFOUND:
		return "not found";
	case PS_DENIED:
		return "denied";
	case PS_CONFLICT:
		return "conflict";
	case PS_TOOBIG:
		return "too big";
	case PS_RETRY:
		return "retry";
	case PS_DECLINED:
		return "declined";
	case PS_UNKNOWN:
		return "unknown";
	}
	return "unknown status";
}

int
str_eq(struct str s, const char *c)
{
	size_t n = strlen(c);

	return s.n == n && (n == 0 || memcmp(s.p, c, n) == 0);
}

int
utf8_valid(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len, k;
		unsigned int cp;

		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else
			return 0;
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates, beyond U+10FFFF. */
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += len;
	}
	return 1;
}

void
errbuf_set(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

enum pstatus
buf_append(struct buf *b, const void *p, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *np;

		while (cap < b->n + n + 1) {
			if (cap > SIZE_MAX / 2)
				return PS_NOMEM;
			cap *= 2;
		}
		if ((np = realloc(b->p, cap)) == NULL)
			return PS_NOMEM;
		b->p = np;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
	return PS_OK;
}

enum pstatus
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

enum pstatus
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[512];
	char *big = NULL;
	int len;
	enum pstatus st;

	va_start(ap, fmt);
	len = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (len < 0)
		return PS_ERROR;
	if ((size_t)len < sizeof(small))
		return buf_append(b, small, (size_t)len);
	if ((big = malloc((size_t)len + 1)) == NULL)
		return PS_NOMEM;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)len + 1, fmt, ap);
	va_end(ap);
	st = buf_append(b, big, (size_t)len);
	free(big);
	return st;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

enum pstatus
util_strtonum(const char *p, size_t n, int64_t min, int64_t max, int64_t *out,
    char *err, size_t errsz)
{
	size_t i = 0;
	int neg = 0;
	uint64_t v = 0, lim;

	if (n > 0 && p[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == n) {
		errbuf_set(err, errsz, "not a number");
		return PS_INVALID;
	}
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		if (p[i] < '0' || p[i] > '9') {
			errbuf_set(err, errsz, "not a number");
			return PS_INVALID;
		}
		if (v > (lim - (uint64_t)(p[i] - '0')) / 10) {
			errbuf_set(err, errsz, "number too large");
			return PS_INVALID;
		}
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (neg) {
		int64_t r =
		    v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
		if (r < min) {
			errbuf_set(err, errsz,
			    "number too small (minimum %lld)", (long long)min);
			return PS_INVALID;
		}
		*out = r;
		return PS_OK;
	}
	if ((int64_t)v > max) {
		errbuf_set(err, errsz, "number too large (maximum %lld)",
		    (long long)max);
		return PS_INVALID;
	}
	if ((int64_t)v < min) {
		errbuf_set(err, errsz, "number too small (minimum %lld)",
		    (long long)min);
		return PS_INVALID;
	}
	*out = (int64_t)v;
	return PS_OK;
}

int
currency_digits(const char *code)
{
	/* ISO 4217 minor units (the list of codes, "Minor unit" column);
	 * every other code has 2. */
	static const char zero[] = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF "
	                           "UGX UYI VND VUV XAF XOF XPF";
	static const char three[] = "BHD IQD JOD KWD LYD OMR TND";
	static const char four[] = "CLF UYW";
	char k[4];

	if (code == NULL || strlen(code) != 3)
		return 2;
	memcpy(k, code, 4);
	if (strstr(zero, k) != NULL)
		return 0;
	if (strstr(three, k) != NULL)
		return 3;
	if (strstr(four, k) != NULL)
		return 4;
	return 2;
}

static int64_t
pow10i(int d)
{
	int64_t v = 1;

	while (d-- > 0)
		v *= 10;
	return v;
}

enum pstatus
money_parse(const char *p, size_t n, const char *currency, int64_t *minor)
{
	size_t i = 0, dot = n, dec;
	int digits = currency_digits(currency);
	int64_t whole, frac = 0, unit = pow10i(digits);

	for (i = 0; i < n; i++)
		if (p[i] == '.') {
			dot = i;
			break;
		}
	if (dot == 0 || dot > 15)
		return PS_INVALID;
	if (util_strtonum(p, dot, 0, INT64_MAX / unit, &whole, NULL, 0) !=
	    PS_OK)
		return PS_INVALID;
	if (dot < n) {
		dec = n - dot - 1;
		if (dec == 0 || dec > (size_t)digits)
			return PS_INVALID;
		if (util_strtonum(
		        p + dot + 1, dec, 0, unit - 1, &frac, NULL, 0) != PS_OK)
			return PS_INVALID;
		frac *= pow10i(digits - (int)dec);
	}
	*minor = whole * unit + frac;
	return PS_OK;
}

const char *
currency_symbol(const char *code)
{
	/* Symbols no other currency shares; "$" only for USD. */
	static const struct {
		const char *code, *sym;
	} t[] = {{"USD", "$"}, {"CAD", "CA$"}, {"AUD", "A$"}, {"NZD", "NZ$"},
	    {"HKD", "HK$"}, {"SGD", "S$"}, {"MXN", "MX$"},
	    {"EUR", "\xe2\x82\xac"}, {"GBP", "\xc2\xa3"}, {"JPY", "\xc2\xa5"},
	    {"INR", "\xe2\x82\xb9"}, {"KRW", "\xe2\x82\xa9"}};
	size_t i;

	if (code == NULL)
		return "$";
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(code, t[i].code) == 0)
			return t[i].sym;
	return NULL;
}

char *
money_plain(int64_t minor, const char *currency, char *out, size_t outsz)
{
	int digits = currency_digits(currency);
	int64_t unit = pow10i(digits);
	uint64_t u =
	    minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;

	if (digits == 0)
		snprintf(out, outsz, "%s%llu", minor < 0 ? "-" : "",
		    (unsigned long long)u);
	else
		snprintf(out, outsz, "%s%llu.%0*llu", minor < 0 ? "-" : "",
		    (unsigned long long)(u / (uint64_t)unit), digits,
		    (unsigned long long)(u % (uint64_t)unit));
	return out;
}

char *
money_format(int64_t minor, const char *currency, char *out, size_t outsz)
{
	const char *sym = currency_symbol(currency);
	int digits = currency_digits(currency);
	uint64_t unit = (uint64_t)pow10i(digits);
	char digs[32], grouped[48], frac[32] = "";
	uint64_t u;
	int neg = minor < 0, len, i, g = 0;

	u = neg ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
	len = snprintf(
	    digs, sizeof(digs), "%llu", (unsigned long long)(u / unit));
	/* Group thousands with commas, right to left. */
	for (i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			grouped[g++] = ',';
		grouped[g++] = digs[i];
	}
	grouped[g] = '\0';
	if (digits > 0 && digits < (int)sizeof(frac) - 1) {
		uint64_t f = u % unit;

		frac[0] = '.';
		for (i = digits; i > 0; i--, f /= 10)
			frac[i] = (char)('0' + f % 10);
		frac[digits + 1] = '\0';
	}
	if (sym != NULL)
		snprintf(
		    out, outsz, "%s%s%s%s", neg ? "-" : "", sym, grouped, frac);
	else
		snprintf(out, outsz, "%s%s%s %s", neg ? "-" : "", grouped, frac,
		    currency);
	return out;
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		fatal("out of memory allocating %zu bytes", n);
	return p;
}

void *
xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);

	if (p == NULL)
		fatal("out of memory allocating %zu x %zu bytes", n, m);
	return p;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		fatal("out of memory copying a string");
	return p;
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	fputs("portal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}
