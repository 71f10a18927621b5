/* tz.c: time zones from the system tz database (TZif files, RFC 8536),
 * read once into an immutable table, so worker threads convert instants
 * without touching the process-wide TZ (no setenv/tzset per request). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"

#define TZ_FILE_MAX (1024 * 1024)

/* A POSIX TZ rule date (RFC 8536 §3.3, POSIX 8.3): Mm.w.d, Jn or n, and
 * the local time of day of the change in seconds. */
struct tz_rule {
	char form; /* 'M', 'J' or 'n' */
	int m, w, d, n;
	int32_t secs;
};

struct tz_zone {
	size_t n;        /* transitions */
	int64_t *at;     /* transition instants, ascending */
	int32_t *off;    /* offset (seconds east of UTC) from at[i] on */
	int32_t off0;    /* before the first transition */
	int has_rule;    /* the footer's rule applies after at[n-1] */
	int32_t std_off; /* footer: standard and daylight offsets */
	int32_t dst_off;
	int has_dst;
	struct tz_rule start, end;
};

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's
 * days_from_civil). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* ---- the footer: a POSIX TZ string ---- */

static const char *
tz_name(const char *p)
{
	const char *s = p;

	if (*p == '<') {
		while (*p != '\0' && *p != '>')
			p++;
		return *p == '>' ? p + 1 : NULL;
	}
	while (isalpha((unsigned char)*p))
		p++;
	return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] into *secs (hours up to 167). */
static const char *
tz_hms(const char *p, int32_t *secs)
{
	int sign = 1, part[3] = {0, 0, 0}, i;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	for (i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)*p))
			return i == 0 ? NULL : p;
		while (isdigit((unsigned char)*p) && part[i] < 1000)
			part[i] = part[i] * 10 + (*p++ - '0');
		if (part[i] > (i == 0 ? 167 : 59))
			return NULL;
		if (i < 2 && *p != ':')
			break;
		if (i < 2)
			p++;
	}
	*secs = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	return p;
}

static const char *
tz_rule_parse(const char *p, struct tz_rule *r)
{
	char *e;
	long v[3];
	int i;

	r->secs = 7200;
	if (*p == 'M') {
		p++;
		for (i = 0; i < 3; i++) {
			errno = 0;
			v[i] = strtol(p, &e, 10);
			if (e == p || errno != 0 || (i < 2 && *e != '.'))
				return NULL;
			p = i < 2 ? e + 1 : e;
		}
		if (v[0] < 1 || v[0] > 12 || v[1] < 1 || v[1] > 5 || v[2] < 0 ||
		    v[2] > 6)
			return NULL;
		r->form = 'M';
		r->m = (int)v[0];
		r->w = (int)v[1];
		r->d = (int)v[2];
	} else {
		r->form = *p == 'J' ? 'J' : 'n';
		if (*p == 'J')
			p++;
		v[0] = strtol(p, &e, 10);
		if (e == p || v[0] < (r->form == 'J') || v[0] > 365)
			return NULL;
		r->n = (int)v[0];
		p = e;
	}
	if (*p == '/' && (p = tz_hms(p + 1, &r->secs)) == NULL)
		return NULL;
	return p;
}

/* Parses footer s ("EST5EDT,M3.2.0,M11.1.0"). Returns 0 when z holds it,
 * -1 when it cannot be used (then the last transition's offset stays). */
static int
footer_parse(struct tz_zone *z, const char *s)
{
	const char *p;
	int32_t o;

	if ((p = tz_name(s)) == NULL || (p = tz_hms(p, &o)) == NULL)
		return -1;
	z->std_off = -o;
	z->dst_off = z->std_off + 3600;
	if (*p == '\0') {
		z->has_rule = 1;
		return 0;
	}
	if ((p = tz_name(p)) == NULL)
		return -1;
	if (*p != ',' && *p != '\0') {
		if ((p = tz_hms(p, &o)) == NULL)
			return -1;
		z->dst_off = -o;
	}
	if (*p != ',' || (p = tz_rule_parse(p + 1, &z->start)) == NULL ||
	    *p != ',' || (p = tz_rule_parse(p + 1, &z->end)) == NULL ||
	    *p != '\0')
		return -1;
	z->has_dst = 1;
	z->has_rule = 1;
	return 0;
}

/* The local instant (seconds from 1970 as if UTC) of rule r in year y. */
static int64_t
rule_local(const struct tz_rule *r, int64_t y)
{
	int64_t day;
	static const int mdays[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (r->form == 'M') {
		int64_t first = days_from_civil(y, r->m, 1);
		int wday1 = (int)(((first % 7) + 11) % 7); /* 1970-01-01: Thu */
		int dom = 1 + (r->d - wday1 + 7) % 7 + (r->w - 1) * 7;
		int len = mdays[r->m - 1] + (r->m == 2 && leap(y));

		while (dom > len)
			dom -= 7;
		day = first + dom - 1;
	} else if (r->form == 'J') {
		/* 1..365, February 29 never counted. */
		day = days_from_civil(y, 1, 1) + r->n - 1 +
		      (leap(y) && r->n >= 60);
	} else
		day = days_from_civil(y, 1, 1) + r->n;
	return day * 86400 + r->secs;
}

static int32_t
rule_offset(const struct tz_zone *z, int64_t t)
{
	int64_t y, days, s, e;

	if (!z->has_dst)
		return z->std_off;
	/* The year of t in standard time (civil_from_days, year only). */
	days = (t + z->std_off) / 86400 - ((t + z->std_off) % 86400 < 0);
	{
		int64_t dd = days + 719468;
		int64_t era = (dd >= 0 ? dd : dd - 146096) / 146097;
		int64_t doe = dd - era * 146097;
		int64_t yoe =
		    (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
		int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
		int64_t mp = (5 * doy + 2) / 153;

		y = yoe + era * 400 + (mp >= 10);
	}
	s = rule_local(&z->start, y) - z->std_off; /* in standard time */
	e = rule_local(&z->end, y) - z->dst_off;   /* in daylight time */
	if (s < e)
		return t >= s && t < e ? z->dst_off : z->std_off;
	return t >= e && t < s ? z->std_off : z->dst_off;
}

/* ---- the TZif file ---- */

static enum pstatus
tzif_parse(struct tz_zone *z, const unsigned char *b, size_t n, char *err,
    size_t errsz)
{
	uint32_t cnt[6]; /* isut, isstd, leap, time, type, char */
	size_t hdr = 44, v1, tsz = 4, i, need;
	const unsigned char *p = b, *idx, *types;
	char footer[128];
	int k;

	if (n < hdr || memcmp(b, "TZif", 4) != 0) {
		errbuf_set(err, errsz, "not a TZif file");
		return PS_INVALID;
	}
	for (k = 0; k < 6; k++)
		cnt[k] = be32(b + 20 + 4 * k);
	v1 = cnt[3] * 5 + cnt[4] * 6 + cnt[5] + cnt[2] * 8 + cnt[1] + cnt[0];
	if (b[4] >= '2') {
		/* Skip the 32-bit block for the 64-bit one (RFC 8536 §3.2). */
		if (n < hdr + v1 + hdr ||
		    memcmp(b + hdr + v1, "TZif", 4) != 0) {
			errbuf_set(err, errsz, "truncated TZif file");
			return PS_INVALID;
		}
		p = b + hdr + v1;
		for (k = 0; k < 6; k++)
			cnt[k] = be32(p + 20 + 4 * k);
		tsz = 8;
	}
	need = hdr + cnt[3] * (tsz + 1) + cnt[4] * 6 + cnt[5] +
	       cnt[2] * (tsz + 4) + cnt[1] + cnt[0];
	if (cnt[4] == 0 || (size_t)(p - b) + need > n) {
		errbuf_set(err, errsz, "truncated TZif file");
		return PS_INVALID;
	}
	z->n = cnt[3];
	if (z->n > 0 && ((z->at = calloc(z->n, sizeof(*z->at))) == NULL ||
	                    (z->off = calloc(z->n, sizeof(*z->off))) == NULL))
		return PS_NOMEM;
	idx = p + hdr + cnt[3] * tsz;
	types = idx + cnt[3];
	for (i = 0; i < z->n; i++) {
		if (idx[i] >= cnt[4]) {
			errbuf_set(err, errsz, "bad TZif type index");
			return PS_INVALID;
		}
		z->at[i] = tsz == 8 ? be64(p + hdr + i * 8)
		                    : (int64_t)(int32_t)be32(p + hdr + i * 4);
		z->off[i] = (int32_t)be32(types + idx[i] * 6);
	}
	z->off0 = (int32_t)be32(types);
	if (tsz == 8) {
		const unsigned char *f = p + need, *nl;

		if (f < b + n && *f == '\n' &&
		    (nl = memchr(f + 1, '\n', (size_t)(b + n - f - 1))) !=
		        NULL &&
		    (size_t)(nl - f - 1) < sizeof(footer)) {
			memcpy(footer, f + 1, (size_t)(nl - f - 1));
			footer[nl - f - 1] = '\0';
			if (footer[0] != '\0')
				(void)footer_parse(z, footer);
		}
	}
	return PS_OK;
}

enum pstatus
tz_load(const char *dir, const char *name, struct tz_zone **out, char *err,
    size_t errsz)
{
	struct tz_zone *z = NULL;
	unsigned char *b = NULL;
	char path[512];
	FILE *f = NULL;
	size_t n = 0, r;
	enum pstatus st = PS_OK;

	*out = NULL;
	if ((z = calloc(1, sizeof(*z))) == NULL) {
		st = PS_NOMEM;
		goto out;
	}
	if (name == NULL || strcmp(name, "UTC") == 0)
		goto out; /* no transitions, offset 0 */
	if (name[0] == '\0' || name[0] == '/' || strstr(name, "..") != NULL) {
		errbuf_set(err, errsz, "\"%s\" is not a time zone name", name);
		st = PS_INVALID;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL) {
		errbuf_set(err, errsz, "%s: %s (is tzdata installed?)", path,
		    strerror(errno));
		st = PS_NOTFOUND;
		goto out;
	}
	if ((b = malloc(TZ_FILE_MAX)) == NULL) {
		st = PS_NOMEM;
		goto out;
	}
	while ((r = fread(b + n, 1, TZ_FILE_MAX - n, f)) > 0)
		n += r;
	if (ferror(f) || n == TZ_FILE_MAX) {
		errbuf_set(err, errsz, "%s: unreadable or too big", path);
		st = PS_INVALID;
		goto out;
	}
	if ((st = tzif_parse(z, b, n, err, errsz)) == PS_INVALID) {
		char why[128];

		snprintf(why, sizeof(why), "%s", err ? err : "");
		errbuf_set(err, errsz, "%s: %s", path, why);
	}
out:
	if (f != NULL)
		fclose(f);
	free(b);
	if (st != PS_OK) {
		tz_free(z);
		z = NULL;
	}
	*out = z;
	return st;
}

void
tz_free(struct tz_zone *z)
{
	if (z == NULL)
		return;
	free(z->at);
	free(z->off);
	free(z);
}

int32_t
tz_offset(const struct tz_zone *z, int64_t t)
{
	size_t lo = 0, hi;

	if (z == NULL || (z->n == 0 && !z->has_rule))
		return z != NULL ? z->off0 : 0;
	if (z->n == 0 || t < z->at[0])
		return z->n == 0 ? rule_offset(z, t) : z->off0;
	if (t >= z->at[z->n - 1] && z->has_rule)
		return rule_offset(z, t);
	/* The last transition at or before t. */
	hi = z->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (z->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->off[lo];
}

void
tz_tm(const struct tz_zone *z, int64_t t, struct tm *out)
{
	time_t lt = (time_t)(t + tz_offset(z, t));

	memset(out, 0, sizeof(*out));
	gmtime_r(&lt, out);
}

char *
tz_day(const struct tz_zone *z, int64_t t, char out[11])
{
	struct tm tm;
	char b[48];

	tz_tm(z, t, &tm);
	snprintf(b, sizeof(b), "%04d-%02d-%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday);
	snprintf(out, 11, "%.10s", b);
	return out;
}

int64_t
tz_day_start(const struct tz_zone *z, const char *ymd)
{
	int y = 0, m = 0, d = 0;
	int64_t local, u, lo, hi;
	char day[11];

	if (ymd == NULL || sscanf(ymd, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return 0;
	local = days_from_civil(y, m, d) * 86400;
	u = local - tz_offset(z, local);
	u = local - tz_offset(z, u);
	/* Midnight skipped by a change (the day starts later): the first
	 * instant whose local day is ymd. */
	if (strcmp(tz_day(z, u, day), ymd) < 0) {
		lo = u;
		hi = u + 86400;
		while (hi - lo > 1) {
			int64_t mid = lo + (hi - lo) / 2;

			if (strcmp(tz_day(z, mid, day), ymd) < 0)
				lo = mid;
			else
				hi = mid;
		}
		u = hi;
	}
	return u;
}
