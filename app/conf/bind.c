/* bind.c: the table-driven binder (STYLE.md 9): walks a YAML mapping
 * against a struct conf_key table, parses each value by type into the
 * caller's struct, fills defaults, and collects every problem. */
#include <sys/stat.h>

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf/conf.h"

#define BIND_MAX_KEYS 128

struct bind_ctx {
	struct conf_diag *diag;
	int invalid;
	int nomem;
};

/* ISO 4217 active codes (2024), sorted, for CT_CURRENCY. */
static const char iso4217[] =
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD "
    "BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY "
    "COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP "
    "GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR "
    "ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD "
    "LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN "
    "NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD "
    "RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP "
    "SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW "
    "UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL";

static const char *
type_expect(const struct conf_key *k)
{
	if (k->help != NULL)
		return k->help;
	switch (k->type) {
	case CT_STRING:
		return "a string";
	case CT_INT:
		return "an integer";
	case CT_BOOL:
		return "on or off (true/false, yes/no)";
	case CT_DURATION:
		return "a duration such as 45s, 30m, 12h or 2d";
	case CT_OCTAL_MODE:
		return "an octal file mode such as 0660";
	case CT_ENUM:
		return "one of the listed words";
	case CT_PATH:
		return "a path";
	case CT_MAP:
		return "a mapping";
	case CT_CURRENCY:
		return "an ISO 4217 currency code such as USD";
	case CT_TIMEZONE:
		return "a time zone such as America/New_York or UTC";
	case CT_SECRET_REF:
		return "a secret file or environment variable";
	case CT_SIZE:
		return "a size such as 4096, 64k or 1m";
	case CT_NODE:
		return "a value";
	}
	return "a value";
}

/* Writes v into out as a short, printable, quoted form for messages. */
static const char *
show(const char *v, char *out, size_t outsz)
{
	size_t i, o = 0;

	if (outsz < 8)
		return "";
	out[o++] = '"';
	for (i = 0; v[i] != '\0' && o + 6 < outsz; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c == 0x7f) {
			out[o++] = '?';
		} else if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else {
			out[o++] = (char)c;
		}
	}
	if (v[i] != '\0') {
		out[o++] = '.';
		out[o++] = '.';
		out[o++] = '.';
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

static int
is_null(const struct conf_node *n)
{
	if (n->kind != CN_SCALAR || n->quoted)
		return 0;
	return n->value_len == 0 || strcmp(n->value, "~") == 0 ||
	       strcmp(n->value, "null") == 0;
}

/* Optimal string alignment distance, capped at 9. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t d[40][40];

	if (la >= 40 || lb >= 40)
		return 9;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb] > 9 ? 9 : d[la][lb];
}

static void
suggest_one(const char *cand, const char *word, const char **best,
    size_t *bestd, char *store, size_t storesz)
{
	size_t dist = edit_distance(word, cand);

	if (dist < *bestd) {
		*bestd = dist;
		if (store != NULL) {
			snprintf(store, storesz, "%s", cand);
			*best = store;
		} else {
			*best = cand;
		}
	}
}

/* As conf_suggest(); with store, CT_SECRET_REF names are tried as
 * "<name>_file" and "<name>_env" and the one chosen is copied to store. */
static const char *
suggest(
    const struct conf_key *table, const char *word, char *store, size_t storesz)
{
	const char *best = NULL;
	size_t bestd = 99, lim, len = strlen(word), i;
	char cand[96];

	for (i = 0; table[i].name != NULL; i++) {
		if (table[i].type == CT_SECRET_REF && store != NULL) {
			snprintf(cand, sizeof(cand), "%s_file", table[i].name);
			suggest_one(cand, word, &best, &bestd, store, storesz);
			snprintf(cand, sizeof(cand), "%s_env", table[i].name);
			suggest_one(cand, word, &best, &bestd, store, storesz);
		} else {
			suggest_one(
			    table[i].name, word, &best, &bestd, NULL, 0);
		}
	}
	lim = len <= 4 ? 1 : len <= 8 ? 2 : 3;
	if (best == NULL || bestd > lim || bestd >= len)
		return NULL;
	return best;
}

const char *
conf_suggest(const struct conf_key *table, const char *word)
{
	return suggest(table, word, NULL, 0);
}

/* Parses unsigned digits with an optional one-letter unit from units
 * (multipliers in mult). Returns 0 on success. */
static int
parse_scaled(
    const char *v, const char *units, const int64_t *mult, int64_t *out)
{
	int64_t n = 0, m = 1;
	size_t i = 0;
	const char *u;

	if (!isdigit((unsigned char)v[0]))
		return -1;
	for (; isdigit((unsigned char)v[i]); i++) {
		if (n > (INT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (v[i] - '0');
	}
	if (v[i] != '\0') {
		if (v[i + 1] != '\0' ||
		    (u = strchr(units, tolower((unsigned char)v[i]))) == NULL)
			return -1;
		m = mult[u - units];
	}
	if (n > INT64_MAX / m)
		return -1;
	*out = n * m;
	return 0;
}

static const char dur_units[] = "smhd";
static const int64_t dur_mult[] = {1, 60, 3600, 86400};
static const char size_units[] = "kmg";
static const int64_t size_mult[] = {1024, 1024 * 1024, 1024 * 1024 * 1024};

static const char *
fmt_scaled(int64_t v, const char *units, const int64_t *mult, size_t nu,
    const char *base, char *out, size_t outsz)
{
	size_t i;

	for (i = nu; i-- > 0;) {
		if (v != 0 && v % mult[i] == 0) {
			snprintf(out, outsz, "%lld%c", (long long)(v / mult[i]),
			    units[i]);
			return out;
		}
	}
	snprintf(out, outsz, "%lld%s", (long long)v, base);
	return out;
}

static int
currency_valid(const char *v)
{
	const char *p;

	if (strlen(v) != 3 || !isupper((unsigned char)v[0]) ||
	    !isupper((unsigned char)v[1]) || !isupper((unsigned char)v[2]))
		return 0;
	for (p = iso4217; *p != '\0'; p += 4) {
		if (strncmp(p, v, 3) == 0)
			return 1;
		if (p[3] == '\0')
			break;
	}
	return 0;
}

static int
timezone_valid(const char *v)
{
	char path[256];
	struct stat sb;
	size_t i;

	if (strcmp(v, "UTC") == 0)
		return 1;
	if (v[0] == '\0' || v[0] == '/' || v[0] == '.' || strlen(v) > 128 ||
	    strstr(v, "..") != NULL)
		return 0;
	for (i = 0; v[i] != '\0'; i++)
		if (!isalnum((unsigned char)v[i]) &&
		    strchr("/_+-", v[i]) == NULL)
			return 0;
	snprintf(path, sizeof(path), "%s/%s", TZ_DIR, v);
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static int
envname_valid(const char *v)
{
	size_t i;

	if (!isalpha((unsigned char)v[0]) && v[0] != '_')
		return 0;
	for (i = 0; v[i] != '\0'; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '_')
			return 0;
	return i <= 128;
}

/* Resolves v against the directory of file (made absolute with the
 * current directory when relative). Returns a heap string or NULL. */
static char *
path_resolve(const char *v, const char *file)
{
	const char *slash;
	char cwd[PATH_MAX], *out = NULL;
	size_t dl;
	int n;

	if (v[0] == '/')
		return strdup(v);
	while (v[0] == '.' && v[1] == '/')
		v += 2;
	slash = file != NULL ? strrchr(file, '/') : NULL;
	dl = slash != NULL ? (size_t)(slash - file) : 0;
	if (slash != NULL && file[0] == '/') {
		n = asprintf(&out, "%.*s/%s", (int)dl, file, v);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			snprintf(cwd, sizeof(cwd), ".");
		if (slash != NULL)
			n = asprintf(&out, "%s/%.*s/%s",
			    strcmp(cwd, "/") == 0 ? "" : cwd, (int)dl, file, v);
		else
			n = asprintf(
			    &out, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, v);
	}
	return n < 0 ? NULL : out;
}

static char **
strfield(void *base, const struct conf_key *k)
{
	return (char **)(void *)((char *)base + k->offset);
}

static void
bind_bad(struct bind_ctx *c, const struct conf_node *n, const char *key,
    const struct conf_key *k)
{
	char sv[80];

	if (n->kind != CN_SCALAR)
		conf_diag_node(c->diag, n, 0, "%s: expected %s, got %s", key,
		    type_expect(k), conf_node_kind_str(n->kind));
	else
		conf_diag_node(c->diag, n, 0, "%s: expected %s, got %s", key,
		    type_expect(k), show(n->value, sv, sizeof(sv)));
	c->invalid = 1;
}

static void bind_map(struct bind_ctx *c, const struct conf_node *map,
    const struct conf_key *table, void *base, const struct conf_node *where,
    const char *mapname, int depth);

static int
store_str(struct bind_ctx *c, char **dst, const char *v)
{
	char *s = strdup(v);

	if (s == NULL) {
		c->nomem = 1;
		return -1;
	}
	free(*dst);
	*dst = s;
	return 0;
}

static void
range_bad(struct bind_ctx *c, const struct conf_node *n, const char *key,
    const struct conf_key *k, int64_t v)
{
	char a[32], b[32], d[32];
	int dur = k->type == CT_DURATION;
	const char *u = dur ? dur_units : size_units;
	const int64_t *m = dur ? dur_mult : size_mult;
	size_t nu = dur ? sizeof(dur_units) - 1 : sizeof(size_units) - 1;
	const char *base = dur ? "s" : "";

	if (k->type == CT_DURATION || k->type == CT_SIZE)
		conf_diag_node(c->diag, n, 0,
		    "%s: %s is out of range (%s to %s)", key,
		    fmt_scaled(v, u, m, nu, base, d, sizeof(d)),
		    fmt_scaled(k->min, u, m, nu, base, a, sizeof(a)),
		    fmt_scaled(k->max, u, m, nu, base, b, sizeof(b)));
	else
		conf_diag_node(c->diag, n, 0,
		    "%s: %lld is out of range (%lld to %lld)", key,
		    (long long)v, (long long)k->min, (long long)k->max);
	c->invalid = 1;
}

/* Binds one value node n for entry k; which is 0 for the key itself, 1 for
 * "<name>_file", 2 for "<name>_env" (CT_SECRET_REF). */
static void
bind_value(struct bind_ctx *c, const struct conf_key *k,
    const struct conf_node *n, void *base, const char *key, int which,
    int depth)
{
	void *dst = (char *)base + k->offset;
	const char *v;
	char err[160], sv[80];
	int64_t num;
	size_t i;

	if (k->type == CT_MAP) {
		if (n->kind != CN_MAP && !is_null(n)) {
			bind_bad(c, n, key, k);
			return;
		}
		bind_map(c, n->kind == CN_MAP ? n : NULL, k->sub, dst, n, key,
		    depth + 1);
		return;
	}
	if (k->type == CT_NODE) {
		*(const struct conf_node **)dst = n;
		return;
	}
	if (n->kind != CN_SCALAR) {
		bind_bad(c, n, key, k);
		return;
	}
	v = n->value;
	switch (k->type) {
	case CT_STRING:
		if (k->validate != NULL &&
		    k->validate(v, err, sizeof(err)) != PS_OK) {
			conf_diag_node(c->diag, n, 0, "%s: %s", key, err);
			c->invalid = 1;
			return;
		}
		store_str(c, strfield(base, k), v);
		return;
	case CT_PATH:
		if (v[0] == '\0') {
			bind_bad(c, n, key, k);
			return;
		}
		free(*strfield(base, k));
		if ((*strfield(base, k) = path_resolve(v, n->file)) == NULL)
			c->nomem = 1;
		return;
	case CT_CURRENCY:
		if (!currency_valid(v)) {
			conf_diag_node(c->diag, n, 0,
			    "%s: %s is not an ISO 4217 currency code (three "
			    "upper-case letters such as USD, EUR, CAD)",
			    key, show(v, sv, sizeof(sv)));
			c->invalid = 1;
			return;
		}
		store_str(c, strfield(base, k), v);
		return;
	case CT_TIMEZONE:
		if (!timezone_valid(v)) {
			conf_diag_node(c->diag, n, 0,
			    "%s: unknown time zone %s (expected UTC or a name "
			    "under %s such as America/New_York)",
			    key, show(v, sv, sizeof(sv)), TZ_DIR);
			c->invalid = 1;
			return;
		}
		store_str(c, strfield(base, k), v);
		return;
	case CT_INT:
		if (util_strtonum(v, n->value_len, INT64_MIN, INT64_MAX, &num,
		        err, sizeof(err)) != PS_OK) {
			bind_bad(c, n, key, k);
			return;
		}
		goto range;
	case CT_DURATION:
	case CT_SIZE:
		if (parse_scaled(v,
		        k->type == CT_DURATION ? dur_units : size_units,
		        k->type == CT_DURATION ? dur_mult : size_mult,
		        &num) != 0) {
			bind_bad(c, n, key, k);
			return;
		}
		goto range;
	case CT_BOOL: {
		static const char *const t[] = {"true", "on", "yes"};
		static const char *const f[] = {"false", "off", "no"};

		for (i = 0; i < 3; i++) {
			if (strcasecmp(v, t[i]) == 0) {
				*(int *)dst = 1;
				return;
			}
			if (strcasecmp(v, f[i]) == 0) {
				*(int *)dst = 0;
				return;
			}
		}
		bind_bad(c, n, key, k);
		return;
	}
	case CT_OCTAL_MODE: {
		unsigned long m = 0;

		for (i = 0; v[i] >= '0' && v[i] <= '7'; i++)
			m = m * 8 + (unsigned long)(v[i] - '0');
		if (v[i] != '\0' || i < 3 || i > 5 || m > 07777) {
			bind_bad(c, n, key, k);
			return;
		}
		*(mode_t *)dst = (mode_t)m;
		return;
	}
	case CT_ENUM: {
		struct buf b = {0};

		for (i = 0; k->words != NULL && k->words[i] != NULL; i++) {
			if (strcmp(v, k->words[i]) == 0) {
				*(int *)dst = (int)i;
				return;
			}
		}
		for (i = 0; k->words != NULL && k->words[i] != NULL; i++)
			if (buf_printf(&b, "%s%s", i ? ", " : "",
			        k->words[i]) != PS_OK)
				c->nomem = 1;
		conf_diag_node(c->diag, n, 0, "%s: expected one of %s, got %s",
		    key, b.p != NULL ? b.p : "?", show(v, sv, sizeof(sv)));
		c->invalid = 1;
		buf_free(&b);
		return;
	}
	case CT_SECRET_REF: {
		struct conf_secret_ref *r = dst;

		if (which == 0) {
			/* Never echo the value: it may be the secret. */
			conf_diag_node(c->diag, n, 1,
			    "%s: secrets are never written in the "
			    "configuration; use %s_file: PATH or %s_env: "
			    "VARIABLE",
			    key, k->name, k->name);
			c->invalid = 1;
			return;
		}
		if (which == 1) {
			if (v[0] == '\0') {
				bind_bad(c, n, key, k);
				return;
			}
			if ((r->path = path_resolve(v, n->file)) == NULL)
				c->nomem = 1;
			return;
		}
		if (!envname_valid(v)) {
			conf_diag_node(c->diag, n, 0,
			    "%s: expected an environment variable name "
			    "([A-Za-z_][A-Za-z0-9_]*), got %s",
			    key, show(v, sv, sizeof(sv)));
			c->invalid = 1;
			return;
		}
		store_str(c, &r->env, v);
		return;
	}
	case CT_MAP:
	case CT_NODE:
		return;
	}
	return;
range:
	if ((k->min != 0 || k->max != 0) && (num < k->min || num > k->max)) {
		range_bad(c, n, key, k, num);
		return;
	}
	*(int64_t *)dst = num;
}

/* Finds the entry of table for key; *which as for bind_value(). */
static int
find_key(const struct conf_key *table, const char *key, int *which)
{
	size_t i, l;

	for (i = 0; table[i].name != NULL; i++) {
		*which = 0;
		if (strcmp(table[i].name, key) == 0)
			return (int)i;
		if (table[i].type != CT_SECRET_REF)
			continue;
		l = strlen(table[i].name);
		if (strncmp(table[i].name, key, l) != 0)
			continue;
		if (strcmp(key + l, "_file") == 0) {
			*which = 1;
			return (int)i;
		}
		if (strcmp(key + l, "_env") == 0) {
			*which = 2;
			return (int)i;
		}
	}
	return -1;
}

/* Returns the name of the CT_MAP entry of table whose own table has key,
 * or NULL. */
static const char *
nested_owner(const struct conf_key *table, const char *key)
{
	size_t i;
	int which;

	for (i = 0; table[i].name != NULL; i++)
		if (table[i].type == CT_MAP && table[i].sub != NULL &&
		    find_key(table[i].sub, key, &which) >= 0)
			return table[i].name;
	return NULL;
}

static void
bind_default(struct bind_ctx *c, const struct conf_key *k, void *base,
    const struct conf_node *where, const char *key, int depth)
{
	struct conf_node fake;

	memset(&fake, 0, sizeof(fake));
	fake.kind = CN_SCALAR;
	fake.value = (char *)k->def;
	fake.value_len = strlen(k->def);
	fake.file = where != NULL ? where->file : NULL;
	fake.line = where != NULL ? where->line : 0;
	fake.col = where != NULL ? where->col : 0;
	bind_value(
	    c, k, &fake, base, key, k->type == CT_SECRET_REF ? 1 : 0, depth);
}

static void
bind_map(struct bind_ctx *c, const struct conf_node *map,
    const struct conf_key *table, void *base, const struct conf_node *where,
    const char *mapname, int depth)
{
	unsigned char seen[BIND_MAX_KEYS], hinted[BIND_MAX_KEYS];
	const struct conf_node *ch, *at;
	char store[96];
	const char *sug;
	size_t i, nk;
	int idx, which;

	memset(seen, 0, sizeof(seen));
	memset(hinted, 0, sizeof(hinted));
	for (nk = 0; table[nk].name != NULL && nk < BIND_MAX_KEYS; nk++)
		continue;
	if (depth > 32)
		return;
	for (i = 0; map != NULL && i < map->nchildren; i++) {
		ch = map->children[i];
		if (ch->key == NULL)
			continue;
		if ((idx = find_key(table, ch->key, &which)) < 0 ||
		    (size_t)idx >= nk) {
			if ((sug = nested_owner(table, ch->key)) != NULL) {
				conf_diag_node(c->diag, ch, 1,
				    "unknown key \"%s\" here (it belongs under "
				    "\"%s:\")",
				    ch->key, sug);
				c->invalid = 1;
				continue;
			}
			sug = suggest(table, ch->key, store, sizeof(store));
			if (sug != NULL &&
			    (idx = find_key(table, sug, &which)) >= 0 &&
			    (size_t)idx < nk)
				hinted[idx] = 1;
			if (sug != NULL)
				conf_diag_node(c->diag, ch, 1,
				    "unknown key \"%s\" (did you mean "
				    "\"%s\"?)",
				    ch->key, sug);
			else if (mapname != NULL)
				conf_diag_node(c->diag, ch, 1,
				    "unknown key \"%s\" in %s", ch->key,
				    mapname);
			else
				conf_diag_node(c->diag, ch, 1,
				    "unknown key \"%s\"", ch->key);
			c->invalid = 1;
			continue;
		}
		if (seen[idx]) {
			conf_diag_node(c->diag, ch, 1,
			    "give only one of %s_file and %s_env",
			    table[idx].name, table[idx].name);
			c->invalid = 1;
			continue;
		}
		if (is_null(ch)) {
			if (table[idx].required) {
				seen[idx] = 1;
				conf_diag_node(c->diag, ch, 1,
				    "%s: a value is required (%s)", ch->key,
				    type_expect(&table[idx]));
				c->invalid = 1;
			}
			continue; /* absent: default applies */
		}
		seen[idx] = 1;
		bind_value(c, &table[idx], ch, base, ch->key, which, depth);
	}
	at = map != NULL ? map : where;
	for (i = 0; i < nk; i++) {
		const struct conf_key *k = &table[i];

		if (seen[i])
			continue;
		if (k->required && hinted[i]) {
			/* "did you mean" above names it already. */
			c->invalid = 1;
			continue;
		}
		if (k->required) {
			if (k->type == CT_SECRET_REF)
				conf_diag_node(c->diag, at, 1,
				    "missing required key \"%s_file\" or "
				    "\"%s_env\"%s%s",
				    k->name, k->name, mapname ? " in " : "",
				    mapname ? mapname : "");
			else
				conf_diag_node(c->diag, at, 1,
				    "missing required key \"%s\"%s%s (%s)",
				    k->name, mapname ? " in " : "",
				    mapname ? mapname : "", type_expect(k));
			c->invalid = 1;
			continue;
		}
		if (k->type == CT_MAP)
			bind_map(c, NULL, k->sub, (char *)base + k->offset, at,
			    k->name, depth + 1);
		else if (k->def != NULL)
			bind_default(c, k, base, at, k->name, depth);
	}
}

enum pstatus
conf_bind(const struct conf_node *map, const struct conf_key *table, void *base,
    struct conf_diag *diag)
{
	struct bind_ctx c;

	memset(&c, 0, sizeof(c));
	c.diag = diag;
	if (map != NULL && map->kind != CN_MAP) {
		conf_diag_node(diag, map, 1, "%s%sexpected a mapping, got %s",
		    map->key ? map->key : "", map->key ? ": " : "",
		    conf_node_kind_str(map->kind));
		c.invalid = 1;
		map = NULL;
	}
	bind_map(&c, map, table, base, map, map != NULL ? map->key : NULL, 0);
	if (c.nomem)
		return PS_NOMEM;
	return c.invalid ? PS_INVALID : PS_OK;
}

void
conf_bind_free(const struct conf_key *table, void *base)
{
	size_t i;
	char **s;
	struct conf_secret_ref *r;

	for (i = 0; table[i].name != NULL; i++) {
		switch (table[i].type) {
		case CT_STRING:
		case CT_PATH:
		case CT_CURRENCY:
		case CT_TIMEZONE:
			s = strfield(base, &table[i]);
			free(*s);
			*s = NULL;
			break;
		case CT_SECRET_REF:
			r = (struct conf_secret_ref *)(void *)((char *)base +
			                                       table[i].offset);
			free(r->path);
			free(r->env);
			r->path = r->env = NULL;
			break;
		case CT_MAP:
			conf_bind_free(
			    table[i].sub, (char *)base + table[i].offset);
			break;
		case CT_NODE:
			*(const struct conf_node **)(void *)((char *)base +
			                                     table[i].offset) =
			    NULL;
			break;
		default:
			break;
		}
	}
}
