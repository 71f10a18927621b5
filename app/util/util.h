/* util.h: shared leaves of the portal: status codes, counted strings, the
 * per-request arena, growable buffers, bounded number parsing, money and
 * key=value logging. Nothing here knows about HTTP, SQL or YAML. */
#ifndef PORTAL_UTIL_H
#define PORTAL_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Status of an operation. 0 is success; the others say what the caller must
 * do. Payments add DECLINED (do not retry), RETRY (nothing happened, safe to
 * retry) and UNKNOWN (outcome must be looked up, never blindly retried). */
enum pstatus {
	PS_OK = 0,
	PS_ERROR,    /* internal failure; the message says what */
	PS_NOMEM,    /* out of memory */
	PS_INVALID,  /* bad input from a user, file or peer */
	PS_NOTFOUND, /* no such thing (or not yours) */
	PS_DENIED,   /* not allowed */
	PS_CONFLICT, /* exists already, or changed under us */
	PS_TOOBIG,   /* over a size limit */
	PS_RETRY,    /* transient; nothing happened; safe to retry */
	PS_DECLINED, /* refused by a peer for a reason to show */
	PS_UNKNOWN,  /* outcome not known; look it up */
};

/* Returns a static, lower-case name of status s ("ok", "invalid", ...). */
const char *pstatus_str(enum pstatus s);

/* A counted string. p need not be NUL-terminated; it is borrowed. */
struct str {
	const char *p;
	size_t n;
};
#define STR_LIT(s) ((struct str){(s), sizeof(s) - 1})

/* Returns 1 if s equals the NUL-terminated c, else 0. */
int str_eq(struct str s, const char *c);
/* Returns 1 if p[0..n) is valid UTF-8 without NUL bytes or overlong forms,
 * else 0. */
int utf8_valid(const char *p, size_t n);

/* Writes a formatted message into the caller's err[errsz], always
 * NUL-terminated and truncated to fit. err may be NULL (then nothing). */
void errbuf_set(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A region allocator for one request (nginx ngx_pool_t): allocations and
 * cleanup handlers live until arena_reset() or arena_free(), which run the
 * handlers last-registered first. Not thread-safe; one per thread. */
struct arena;
/* Returns a new arena or NULL when out of memory. Free with arena_free(). */
struct arena *arena_new(void);
/* Returns n zeroed bytes aligned for any type, or NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t n);
/* Returns a NUL-terminated copy of p[0..n), or NULL when out of memory. */
char *arena_strndup(struct arena *a, const char *p, size_t n);
/* Returns a formatted NUL-terminated string, or NULL when out of memory. */
char *arena_printf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Registers fn(arg) to run at reset/free. Returns PS_OK or PS_NOMEM (then fn
 * has already been called, so nothing leaks). */
enum pstatus arena_cleanup(struct arena *a, void (*fn)(void *), void *arg);
/* Runs the cleanups and frees every allocation; the arena stays usable. */
void arena_reset(struct arena *a);
/* Runs the cleanups and frees the arena itself. NULL is fine. */
void arena_free(struct arena *a);

/* A growable byte buffer on the heap, always NUL-terminated after p[n]. */
struct buf {
	char *p;
	size_t n;
	size_t cap;
};
/* Append n bytes. Returns PS_OK or PS_NOMEM (buffer unchanged). */
enum pstatus buf_append(struct buf *b, const void *p, size_t n);
enum pstatus buf_puts(struct buf *b, const char *s);
enum pstatus buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Frees the storage and zeroes b. */
void buf_free(struct buf *b);

/* Parses the decimal integer p[0..n) (optional leading '-', no spaces, no
 * '+') into *out when it lies in [min, max]. Returns PS_OK or PS_INVALID
 * with the reason in err. */
enum pstatus util_strtonum(const char *p, size_t n, int64_t min, int64_t max,
    int64_t *out, char *err, size_t errsz);

/* Money is int64_t minor units of an ISO 4217 currency (NULL: USD):
 * cents of USD, yen of JPY (0 decimals), fils of BHD (3).
 * currency_digits() is the currency's ISO 4217 minor unit (0, 2, 3 or 4;
 * 2 for codes it does not list). money_parse() reads "1200", "120.5" or
 * "120.00" (at most that many decimals, no sign, no grouping) into minor
 * units; PS_OK or PS_INVALID. currency_symbol() is a symbol no other
 * currency shares ("$" USD, "CA$", "A$", "\xc2\xa5" JPY...) or NULL.
 * money_format() writes "$1,234.50", "\xc2\xa5" "1,200" or "1,234.500 BHD"
 * (no symbol: the code after) into out[outsz]; money_plain() "1234.50",
 * "1200" (CSV cells). Both return out. */
int currency_digits(const char *currency);
enum pstatus money_parse(
    const char *p, size_t n, const char *currency, int64_t *minor);
const char *currency_symbol(const char *currency);
char *money_format(
    int64_t minor, const char *currency, char *out, size_t outsz);
char *money_plain(int64_t minor, const char *currency, char *out, size_t outsz);

/* Time zones (tz.c), from the system tz database (TZif files under dir,
 * usually TZ_DIR), read once: a zone is immutable after tz_load(), so any
 * number of threads may use it at once; nothing here reads or sets the
 * process-wide TZ. Instants are unix seconds (UTC). */
#define TZ_DIR "/usr/share/zoneinfo"
struct tz_zone;
struct tm;
/* Loads zone name ("UTC" or e.g. "America/New_York"; NULL is UTC) into a
 * new *out (tz_free()). PS_OK; PS_NOTFOUND (no such file: err names it);
 * PS_INVALID (not a usable TZif file or name; err); PS_NOMEM. */
enum pstatus tz_load(const char *dir, const char *name, struct tz_zone **out,
    char *err, size_t errsz);
void tz_free(struct tz_zone *z);
/* Seconds east of UTC in zone z at instant t (z NULL: UTC). */
int32_t tz_offset(const struct tz_zone *z, int64_t t);
/* The local broken-down time of t in z (tm_isdst and tm_gmtoff unset). */
void tz_tm(const struct tz_zone *z, int64_t t, struct tm *out);
/* Writes t's local date in z as YYYY-MM-DD into out[11]; returns out. */
char *tz_day(const struct tz_zone *z, int64_t t, char out[11]);
/* The first instant of local day ymd (YYYY-MM-DD) in z, so that the day
 * is [tz_day_start(ymd), tz_day_start(ymd + 1 day)); 0 when ymd is not of
 * that form. */
int64_t tz_day_start(const struct tz_zone *z, const char *ymd);

/* Logging: one line per call, "ts=... level=... " followed by the caller's
 * key=value text, written to stderr with a single write(2) so lines from
 * threads and processes do not interleave. Never pass a secret or a form
 * value. log_value() quotes a value for a key=value line into out. */
enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR };
/* How a line is written: key=value text, or one JSON object per line with
 * the same keys (every value a string but pid, a number). */
enum log_format { LOG_FMT_TEXT, LOG_FMT_JSON };
void log_set_level(enum log_level min);
void log_set_format(enum log_format f);
/* Writes kv, a key=value line as log_kv() makes it (bare values, or
 * values quoted by log_value()), into out (outsz bytes, NUL-terminated)
 * as the members of a JSON object without its braces: "key":"value",...
 * A word without '=' becomes "msg". pid's value is written as a number.
 * Returns the length written; a line that does not fit is cut at a member
 * boundary. */
size_t log_kv_json(const char *kv, char *out, size_t outsz);
void log_kv(enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define log_info(...)  log_kv(LOG_LVL_INFO, __VA_ARGS__)
#define log_warn(...)  log_kv(LOG_LVL_WARN, __VA_ARGS__)
#define log_error(...) log_kv(LOG_LVL_ERROR, __VA_ARGS__)
#define log_debug(...) log_kv(LOG_LVL_DEBUG, __VA_ARGS__)
const char *log_value(const char *v, char *out, size_t outsz);

/* Allocation at start-up: fatal on failure (STYLE 5). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
char *xstrdup(const char *s);
/* Prints "portal: " + message to stderr and exits 1. */
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
