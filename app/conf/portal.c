/* portal.c: the portal.yaml and clinicians/<slug>.yaml tables, loading
 * and cross-checks, and `portalctl config check`. */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"

#ifndef PORTAL_DATADIR
#define PORTAL_DATADIR "/usr/local/share/portal"
#endif
#ifndef PORTAL_PLUGINDIR
#define PORTAL_PLUGINDIR "/usr/local/lib/portal"
#endif

#define SECRET_KEY_MIN 32
#define SLUG_MAX       64

/* ---- validators ---------------------------------------------------- */

enum pstatus
conf_valid_npi(const char *v, char *err, size_t errsz)
{
	/* NPI check digit: Luhn over "80840" + the ten digits (CMS, "NPI
	 * check digit", ISO 7812 card issuer prefix 80840). */
	char all[16];
	int sum = 0, dbl = 0, i;

	if (strlen(v) != 10 || strspn(v, "0123456789") != 10) {
		errbuf_set(err, errsz, "an NPI is exactly 10 digits");
		return PS_INVALID;
	}
	if (v[0] != '1' && v[0] != '2') {
		errbuf_set(err, errsz, "an NPI starts with 1 or 2");
		return PS_INVALID;
	}
	snprintf(all, sizeof(all), "80840%s", v);
	for (i = 14; i >= 0; i--) {
		int d = all[i] - '0';

		if (dbl && (d *= 2) > 9)
			d -= 9;
		sum += d;
		dbl = !dbl;
	}
	if (sum % 10 != 0) {
		errbuf_set(err, errsz,
		    "%s is not a valid NPI (its check digit is wrong)", v);
		return PS_INVALID;
	}
	return PS_OK;
}

enum pstatus
conf_valid_ein(const char *v, char *err, size_t errsz)
{
	size_t i;

	for (i = 0; i < 10; i++) {
		if (i == 2 ? v[i] != '-' : !isdigit((unsigned char)v[i]))
			break;
	}
	if (i != 10 || v[10] != '\0') {
		errbuf_set(err, errsz,
		    "expected an EIN written NN-NNNNNNN (nine digits)");
		return PS_INVALID;
	}
	if (v[0] == '0' && v[1] == '0') {
		errbuf_set(err, errsz, "an EIN cannot start with 00");
		return PS_INVALID;
	}
	return PS_OK;
}

enum pstatus
conf_valid_slug(const char *v, char *err, size_t errsz)
{
	size_t n = strlen(v);

	if (n == 0 || n > SLUG_MAX ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-") != n) {
		errbuf_set(err, errsz,
		    "a practice slug is 1 to %d characters from a-z, 0-9 and "
		    "-",
		    SLUG_MAX);
		return PS_INVALID;
	}
	return PS_OK;
}

static enum pstatus
valid_text(const char *v, char *err, size_t errsz)
{
	size_t i;

	if (v[0] == '\0') {
		errbuf_set(err, errsz, "must not be empty");
		return PS_INVALID;
	}
	for (i = 0; v[i] != '\0'; i++) {
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
			errbuf_set(
			    err, errsz, "must not contain control characters");
			return PS_INVALID;
		}
	}
	if (i > 200) {
		errbuf_set(err, errsz, "longer than 200 characters");
		return PS_INVALID;
	}
	return PS_OK;
}

static enum pstatus
valid_word(const char *v, char *err, size_t errsz)
{
	size_t n = strlen(v);

	if (n == 0 || n > 64 ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	              "0123456789_-.$") != n) {
		errbuf_set(err, errsz,
		    "expected a name of letters, digits, '_', '-', '.'");
		return PS_INVALID;
	}
	return PS_OK;
}

static enum pstatus
valid_hostport(const char *v, char *err, size_t errsz)
{
	const char *colon = strrchr(v, ':');
	int64_t port;
	size_t hl;

	if (colon == NULL || colon == v) {
		errbuf_set(
		    err, errsz, "expected HOST:PORT such as 127.0.0.1:9000");
		return PS_INVALID;
	}
	hl = (size_t)(colon - v);
	if (v[0] == '[' ? colon[-1] != ']' : strcspn(v, ":[] /") != hl) {
		errbuf_set(err, errsz,
		    "expected HOST:PORT such as 127.0.0.1:9000 or [::1]:9000");
		return PS_INVALID;
	}
	if (util_strtonum(colon + 1, strlen(colon + 1), 1, 65535, &port, NULL,
	        0) != PS_OK) {
		errbuf_set(err, errsz, "port must be a number from 1 to 65535");
		return PS_INVALID;
	}
	return PS_OK;
}

static enum pstatus
valid_url(const char *v, char *err, size_t errsz)
{
	const char *host;
	size_t i;

	if (strncmp(v, "https://", 8) == 0)
		host = v + 8;
	else if (strncmp(v, "http://", 7) == 0)
		host = v + 7;
	else
		host = NULL;
	if (host == NULL || host[0] == '\0' || host[0] == '/') {
		errbuf_set(err, errsz,
		    "expected an http:// or https:// URL such as "
		    "https://billing.example.com");
		return PS_INVALID;
	}
	for (i = 0; v[i] != '\0'; i++) {
		if ((unsigned char)v[i] <= 0x20 || v[i] == 0x7f ||
		    v[i] == '"' || v[i] == '<' || v[i] == '>' || v[i] == '?' ||
		    v[i] == '#') {
			errbuf_set(err, errsz,
			    "URL must not contain spaces, quotes, '?' or '#'");
			return PS_INVALID;
		}
	}
	return PS_OK;
}

static enum pstatus
valid_country(const char *v, char *err, size_t errsz)
{
	if (strlen(v) != 2 || !isupper((unsigned char)v[0]) ||
	    !isupper((unsigned char)v[1])) {
		errbuf_set(err, errsz,
		    "expected an ISO 3166 two-letter country code such as US");
		return PS_INVALID;
	}
	return PS_OK;
}

static enum pstatus
valid_phone(const char *v, char *err, size_t errsz)
{
	size_t i, digits = 0;

	for (i = 0; v[i] != '\0'; i++) {
		if (isdigit((unsigned char)v[i]))
			digits++;
		else if (strchr("+-() .", v[i]) == NULL)
			break;
	}
	if (v[i] != '\0' || digits < 7 || digits > 15) {
		errbuf_set(err, errsz,
		    "expected a phone number such as (555) 010-0199 or "
		    "+1 555 010 0199");
		return PS_INVALID;
	}
	return PS_OK;
}

static enum pstatus
valid_email(const char *v, char *err, size_t errsz)
{
	const char *at = strchr(v, '@');
	size_t i;

	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] <= 0x20 || v[i] == 0x7f ||
		    strchr("\"<>(),;:\\[]", v[i]) != NULL)
			break;
	if (v[i] != '\0' || at == NULL || at == v || strchr(at + 1, '@') ||
	    strchr(at + 1, '.') == NULL || at[1] == '.' || i > 254 ||
	    v[i - 1] == '.') {
		errbuf_set(err, errsz,
		    "expected an email address such as billing@example.com");
		return PS_INVALID;
	}
	return PS_OK;
}

/* ---- tables -------------------------------------------------------- */

static const char *const log_levels[] = {
    "debug", "info", "warn", "error", NULL};
static const char *const log_formats[] = {"text", "json", NULL};

#define OFF(s, f) offsetof(struct s, f)

static const struct conf_key listen_keys[] = {
    {.name = "socket",
        .type = CT_PATH,
        .offset = OFF(conf_listen, socket),
        .help = "a unix socket path"},
    {.name = "tcp",
        .type = CT_STRING,
        .offset = OFF(conf_listen, tcp),
        .validate = valid_hostport,
        .help = "HOST:PORT"},
    {.name = "socket_mode",
        .type = CT_OCTAL_MODE,
        .offset = OFF(conf_listen, socket_mode),
        .def = "0660"},
    {.name = "socket_group",
        .type = CT_STRING,
        .offset = OFF(conf_listen, socket_group),
        .validate = valid_word,
        .help = "a group name"},
    {.name = "workers",
        .type = CT_INT,
        .offset = OFF(conf_listen, workers),
        .min = 1,
        .max = 256,
        .help = "a number of processes from 1 to 256"},
    {.name = "threads",
        .type = CT_INT,
        .offset = OFF(conf_listen, threads),
        .def = "8",
        .min = 1,
        .max = 256,
        .help = "a number of threads from 1 to 256"},
    {.name = "user",
        .type = CT_STRING,
        .offset = OFF(conf_listen, user),
        .validate = valid_word,
        .help = "a system user name"},
    {.name = "group",
        .type = CT_STRING,
        .offset = OFF(conf_listen, group),
        .validate = valid_word,
        .help = "a system group name"},
    {.name = NULL},
};

static const struct conf_key database_keys[] = {
    {.name = "socket",
        .type = CT_PATH,
        .offset = OFF(conf_database, socket),
        .help = "the MariaDB unix socket path"},
    {.name = "host",
        .type = CT_STRING,
        .offset = OFF(conf_database, host),
        .validate = valid_word,
        .help = "a host name or address"},
    {.name = "port",
        .type = CT_INT,
        .offset = OFF(conf_database, port),
        .def = "3306",
        .min = 1,
        .max = 65535,
        .help = "a port from 1 to 65535"},
    {.name = "user",
        .type = CT_STRING,
        .offset = OFF(conf_database, user),
        .required = 1,
        .validate = valid_word,
        .help = "a MariaDB user name"},
    {.name = "password",
        .type = CT_SECRET_REF,
        .offset = OFF(conf_database, password)},
    {.name = "name",
        .type = CT_STRING,
        .offset = OFF(conf_database, name),
        .required = 1,
        .validate = valid_word,
        .help = "a database name"},
    {.name = "migrate_user",
        .type = CT_STRING,
        .offset = OFF(conf_database, migrate_user),
        .validate = valid_word,
        .help = "a MariaDB user name"},
    {.name = "migrate_password",
        .type = CT_SECRET_REF,
        .offset = OFF(conf_database, migrate_password)},
    {.name = NULL},
};

static const struct conf_key paths_keys[] = {
    {.name = "templates",
        .type = CT_PATH,
        .offset = OFF(conf_paths, templates),
        .def = PORTAL_DATADIR "/www/templates"},
    {.name = "clinicians",
        .type = CT_PATH,
        .offset = OFF(conf_paths, clinicians),
        .def = "clinicians"},
    {.name = "plugins",
        .type = CT_PATH,
        .offset = OFF(conf_paths, plugins),
        .def = PORTAL_PLUGINDIR},
    {.name = NULL},
};

static const struct conf_key session_keys[] = {
    {.name = "idle_timeout",
        .type = CT_DURATION,
        .offset = OFF(conf_session, idle_timeout),
        .def = "30m",
        .min = 60,
        .max = 7 * 86400},
    {.name = "absolute_timeout",
        .type = CT_DURATION,
        .offset = OFF(conf_session, absolute_timeout),
        .def = "12h",
        .min = 60,
        .max = 30 * 86400},
    {.name = NULL},
};

static const struct conf_key throttle_keys[] = {
    {.name = "max_failures_per_account",
        .type = CT_INT,
        .offset = OFF(conf_throttle, max_failures_per_account),
        .def = "5",
        .min = 1,
        .max = 1000},
    {.name = "max_failures_per_address",
        .type = CT_INT,
        .offset = OFF(conf_throttle, max_failures_per_address),
        .def = "20",
        .min = 1,
        .max = 100000},
    {.name = "window",
        .type = CT_DURATION,
        .offset = OFF(conf_throttle, window),
        .def = "15m",
        .min = 1,
        .max = 86400},
    {.name = "lockout",
        .type = CT_DURATION,
        .offset = OFF(conf_throttle, lockout),
        .def = "15m",
        .min = 1,
        .max = 7 * 86400},
    {.name = NULL},
};

static const struct conf_key limits_keys[] = {
    {.name = "max_body",
        .type = CT_SIZE,
        .offset = OFF(conf_limits, max_body),
        .def = "64k",
        .min = 1024,
        .max = 64 * 1024 * 1024},
    {.name = "max_fields",
        .type = CT_INT,
        .offset = OFF(conf_limits, max_fields),
        .def = "64",
        .min = 1,
        .max = 10000},
    {.name = "max_field_length",
        .type = CT_SIZE,
        .offset = OFF(conf_limits, max_field_length),
        .def = "4096",
        .min = 16,
        .max = 1024 * 1024},
    {.name = NULL},
};

static const char *const tls_words[] = {"off", "try", "required", NULL};

static enum pstatus
valid_smtp_url(const char *v, char *err, size_t errsz)
{
	size_t i;

	if ((strncmp(v, "smtp://", 7) != 0 || v[7] == '\0') &&
	    (strncmp(v, "smtps://", 8) != 0 || v[8] == '\0')) {
		errbuf_set(err, errsz,
		    "expected smtp://HOST[:PORT] or smtps://HOST[:PORT]");
		return PS_INVALID;
	}
	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] <= 0x20 || v[i] == 0x7f) {
			errbuf_set(err, errsz, "URL must not contain spaces");
			return PS_INVALID;
		}
	return PS_OK;
}

static const struct conf_key mail_keys[] = {
    {.name = "smtp_url",
        .type = CT_STRING,
        .offset = OFF(conf_mail, smtp_url),
        .validate = valid_smtp_url,
        .help = "smtp://HOST:PORT"},
    {.name = "starttls",
        .type = CT_ENUM,
        .offset = OFF(conf_mail, starttls),
        .def = "required",
        .words = tls_words},
    {.name = "username",
        .type = CT_STRING,
        .offset = OFF(conf_mail, username),
        .validate = valid_text,
        .help = "an SMTP user name"},
    {.name = "password",
        .type = CT_SECRET_REF,
        .offset = OFF(conf_mail, password)},
    {.name = "from",
        .type = CT_STRING,
        .offset = OFF(conf_mail, from),
        .validate = valid_email,
        .help = "the sender's address"},
    {.name = "ca_file",
        .type = CT_PATH,
        .offset = OFF(conf_mail, ca_file),
        .help = "a CA bundle file"},
    {.name = "timeout",
        .type = CT_DURATION,
        .offset = OFF(conf_mail, timeout),
        .def = "30s",
        .min = 1,
        .max = 600},
    {.name = "max_attempts",
        .type = CT_INT,
        .offset = OFF(conf_mail, max_attempts),
        .def = "10",
        .min = 1,
        .max = 100},
    {.name = "retry_base",
        .type = CT_DURATION,
        .offset = OFF(conf_mail, retry_base),
        .def = "1m",
        .min = 1,
        .max = 86400},
    {.name = "retry_max",
        .type = CT_DURATION,
        .offset = OFF(conf_mail, retry_max),
        .def = "6h",
        .min = 1,
        .max = 7 * 86400},
    {.name = "claim_timeout",
        .type = CT_DURATION,
        .offset = OFF(conf_mail, claim_timeout),
        .def = "10m",
        .min = 1,
        .max = 86400},
    {.name = NULL},
};

static const struct conf_key portal_keys[] = {
    {.name = "listen",
        .type = CT_MAP,
        .offset = OFF(portal_conf, listen),
        .required = 1,
        .sub = listen_keys,
        .help = "a mapping with socket: PATH or tcp: HOST:PORT"},
    {.name = "database",
        .type = CT_MAP,
        .offset = OFF(portal_conf, database),
        .required = 1,
        .sub = database_keys,
        .help = "a mapping with socket or host, user and name"},
    {.name = "base_url",
        .type = CT_STRING,
        .offset = OFF(portal_conf, base_url),
        .required = 1,
        .validate = valid_url,
        .help = "the portal's public URL"},
    {.name = "secret_key_file",
        .type = CT_PATH,
        .offset = OFF(portal_conf, secret_key_file),
        .required = 1,
        .help = "a file of at least 32 random bytes"},
    {.name = "paths",
        .type = CT_MAP,
        .offset = OFF(portal_conf, paths),
        .sub = paths_keys},
    {.name = "session",
        .type = CT_MAP,
        .offset = OFF(portal_conf, session),
        .sub = session_keys},
    {.name = "login_throttle",
        .type = CT_MAP,
        .offset = OFF(portal_conf, login_throttle),
        .sub = throttle_keys},
    {.name = "limits",
        .type = CT_MAP,
        .offset = OFF(portal_conf, limits),
        .sub = limits_keys},
    {.name = "mail",
        .type = CT_MAP,
        .offset = OFF(portal_conf, mail),
        .sub = mail_keys,
        .help = "a mapping with smtp_url and from"},
    {.name = "log_level",
        .type = CT_ENUM,
        .offset = OFF(portal_conf, log_level),
        .def = "info",
        .words = log_levels},
    {.name = "log_format",
        .type = CT_ENUM,
        .offset = OFF(portal_conf, log_format),
        .def = "text",
        .words = log_formats},
    {.name = NULL},
};

static const struct conf_key address_keys[] = {
    {.name = "line1",
        .type = CT_STRING,
        .offset = OFF(conf_address, line1),
        .required = 1,
        .validate = valid_text,
        .help = "a street address"},
    {.name = "line2",
        .type = CT_STRING,
        .offset = OFF(conf_address, line2),
        .validate = valid_text,
        .help = "a suite or floor"},
    {.name = "city",
        .type = CT_STRING,
        .offset = OFF(conf_address, city),
        .required = 1,
        .validate = valid_text,
        .help = "a city"},
    {.name = "region",
        .type = CT_STRING,
        .offset = OFF(conf_address, region),
        .required = 1,
        .validate = valid_text,
        .help = "a state, province or region"},
    {.name = "postal_code",
        .type = CT_STRING,
        .offset = OFF(conf_address, postal_code),
        .required = 1,
        .validate = valid_text,
        .help = "a postal or ZIP code"},
    {.name = "country",
        .type = CT_STRING,
        .offset = OFF(conf_address, country),
        .required = 1,
        .validate = valid_country,
        .help = "a two-letter country code"},
    {.name = NULL},
};

static const struct conf_key practice_keys[] = {
    {.name = "name",
        .type = CT_STRING,
        .offset = OFF(practice_conf, name),
        .required = 1,
        .validate = valid_text,
        .help = "the practice's name as clients know it"},
    {.name = "address",
        .type = CT_MAP,
        .offset = OFF(practice_conf, address),
        .required = 1,
        .sub = address_keys,
        .help = "a mapping of line1, city, region, postal_code, country"},
    {.name = "phone",
        .type = CT_STRING,
        .offset = OFF(practice_conf, phone),
        .required = 1,
        .validate = valid_phone,
        .help = "a phone number"},
    {.name = "email",
        .type = CT_STRING,
        .offset = OFF(practice_conf, email),
        .required = 1,
        .validate = valid_email,
        .help = "an email address"},
    {.name = "currency",
        .type = CT_CURRENCY,
        .offset = OFF(practice_conf, currency),
        .required = 1},
    {.name = "timezone",
        .type = CT_TIMEZONE,
        .offset = OFF(practice_conf, timezone),
        .required = 1},
    {.name = "npi",
        .type = CT_STRING,
        .offset = OFF(practice_conf, npi),
        .validate = conf_valid_npi,
        .help = "a 10-digit NPI"},
    {.name = "tax_id",
        .type = CT_STRING,
        .offset = OFF(practice_conf, tax_id),
        .validate = conf_valid_ein,
        .help = "an EIN written NN-NNNNNNN"},
    {.name = "online_payments",
        .type = CT_BOOL,
        .offset = OFF(practice_conf, online_payments),
        .def = "off"},
    {.name = "gateway", .type = CT_NODE, .offset = OFF(practice_conf, gateway)},
    {.name = NULL},
};

/* ---- practices ----------------------------------------------------- */

void
conf_practice_free(struct practice_conf *p)
{
	if (p == NULL)
		return;
	conf_bind_free(practice_keys, p);
	tz_free(p->tz);
	free(p->slug);
	free(p->file);
	conf_tree_free(p->tree);
	memset(p, 0, sizeof(*p));
}

/* Sets p->file and p->slug from name; a bad slug is a problem in diag. */
static enum pstatus
practice_names(
    const char *name, struct practice_conf *p, struct conf_diag *diag)
{
	const char *base = strrchr(name, '/');
	char err[128];
	size_t bl;

	base = base != NULL ? base + 1 : name;
	bl = strlen(base);
	if ((p->file = strdup(name)) == NULL)
		return PS_NOMEM;
	if (bl > 5 && strcmp(base + bl - 5, ".yaml") == 0)
		bl -= 5;
	if ((p->slug = strndup(base, bl)) == NULL)
		return PS_NOMEM;
	if (conf_valid_slug(p->slug, err, sizeof(err)) != PS_OK) {
		conf_diag_add(diag, name, 0, 0,
		    "bad practice file name \"%s\": %s; the file name without "
		    ".yaml is the practice's slug in URLs",
		    base, err);
		return PS_INVALID;
	}
	return PS_OK;
}

/* Reads p->timezone (checked by its binding: a file under TZ_DIR) into
 * p->tz. */
static enum pstatus
practice_zone(struct practice_conf *p, struct conf_diag *diag)
{
	const struct conf_node *at;
	char err[512];
	enum pstatus st;

	st = tz_load(TZ_DIR, p->timezone, &p->tz, err, sizeof(err));
	if (st != PS_OK && st != PS_NOMEM) {
		at = conf_node_get(p->tree, "timezone");
		if (at != NULL)
			conf_diag_node(diag, at, 1, "timezone: %s", err);
		else
			conf_diag_add(diag, p->file, 0, 0, "timezone: %s", err);
		st = PS_INVALID;
	}
	return st;
}

/* Refuses a currency the practice's processor plugin cannot charge as the
 * portal stores it (ISO 4217 minor units, sent as they are):
 * - stripe: a three- or four-decimal currency (Stripe takes BHD, JOD,
 *   KWD, OMR and TND only as amounts ending in 0, "Supported currencies:
 *   three-decimal currencies"), and ISK, HUF, TWD and UGX, which Stripe
 *   reads with other decimals than ISO 4217 ("special cases");
 * - square: the currencies of its seller countries (Square's "Money"
 *   object: US, Canada, UK, Ireland/Spain/France, Australia, Japan).
 * The sandbox and other plugins take any code. */
static enum pstatus
practice_currency(struct practice_conf *p, struct conf_diag *diag)
{
	static const char square[] = "USD CAD GBP EUR AUD JPY";
	static const char stripe_odd[] = "ISK HUF TWD UGX";
	const struct conf_node *pl, *at;
	const char *cur = p->currency != NULL ? p->currency : "USD";
	char k[4];
	int d = currency_digits(cur), bad = 0;

	if (p->gateway == NULL || p->gateway->kind != CN_MAP ||
	    (pl = conf_node_get(p->gateway, "plugin")) == NULL ||
	    pl->value == NULL || strlen(cur) != 3)
		return PS_OK;
	memcpy(k, cur, 4);
	if (strcmp(pl->value, "stripe") == 0)
		bad = d > 2 || strstr(stripe_odd, k) != NULL;
	else if (strcmp(pl->value, "square") == 0)
		bad = strstr(square, k) == NULL;
	if (!bad)
		return PS_OK;
	at = conf_node_get(p->tree, "currency");
	if (at == NULL)
		at = pl;
	conf_diag_node(diag, at, 0,
	    "currency: the %s plugin cannot charge %s%s as the portal keeps "
	    "it (ISO 4217 minor units); choose a currency the processor "
	    "takes, or another plugin",
	    pl->value, cur,
	    d > 2 ? " (three decimals: Stripe needs amounts ending in 0)" : "");
	return PS_INVALID;
}

/* Binds tree (may be NULL) into p and cross-checks it. */
static enum pstatus
practice_bind(struct practice_conf *p, struct conf_diag *diag)
{
	const struct conf_node *op;
	enum pstatus rc;

	if (p->tree == NULL)
		return PS_INVALID;
	rc = conf_bind(p->tree, practice_keys, p, diag);
	if (rc == PS_NOMEM)
		return rc;
	if (p->gateway != NULL && p->gateway->kind != CN_MAP) {
		conf_diag_node(diag, p->gateway, 0,
		    "gateway: expected a mapping (plugin: NAME and the "
		    "plugin's keys), got %s",
		    conf_node_kind_str(p->gateway->kind));
		rc = PS_INVALID;
	}
	if (p->online_payments && p->gateway == NULL &&
	    (op = conf_node_get(p->tree, "online_payments")) != NULL) {
		conf_diag_node(diag, op, 1,
		    "online_payments is on but the practice has no gateway: "
		    "mapping naming its card processor plugin");
		rc = PS_INVALID;
	}
	if (rc == PS_OK && (rc = practice_zone(p, diag)) == PS_NOMEM)
		return rc;
	if (rc == PS_OK)
		rc = practice_currency(p, diag);
	return rc;
}

/* Loads one practice into p: read from the file name when from_file, else
 * parsed from buf[0..n) shown as name; problems go to diag. */
static enum pstatus
practice_load(int from_file, const char *buf, size_t n, const char *name,
    struct practice_conf *p, struct conf_diag *diag)
{
	enum pstatus rc, brc;

	memset(p, 0, sizeof(*p));
	if ((rc = practice_names(name, p, diag)) == PS_NOMEM)
		return rc;
	if (from_file)
		brc = conf_parse_file(name, &p->tree, diag);
	else
		brc = conf_parse_buf(buf, n, name, &p->tree, diag);
	if (brc == PS_NOMEM)
		return brc;
	if (brc != PS_OK)
		rc = PS_INVALID;
	if ((brc = practice_bind(p, diag)) != PS_OK)
		rc = brc == PS_NOMEM ? brc : PS_INVALID;
	return rc;
}

enum pstatus
conf_practice_load_buf(const char *buf, size_t n, const char *name,
    struct practice_conf *p, struct conf_diag *diag)
{
	return practice_load(0, buf, n, name, p, diag);
}

enum pstatus
conf_practice_load(
    const char *path, struct practice_conf *p, struct conf_diag *diag)
{
	return practice_load(1, NULL, 0, path, p, diag);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads every *.yaml of dir into c->practices. where positions problems
 * about the directory itself. */
static enum pstatus
load_practices(struct portal_conf *c, const char *dir,
    const struct conf_node *where, struct conf_diag *diag)
{
	DIR *d = NULL;
	struct dirent *de;
	char **names = NULL, *path = NULL;
	size_t nn = 0, cap = 0, i, l;
	enum pstatus rc = PS_OK, prc;

	if ((d = opendir(dir)) == NULL) {
		conf_diag_node(diag, where, 1,
		    "cannot open the clinicians directory %s: %s", dir,
		    strerror(errno));
		rc = PS_INVALID;
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		l = strlen(de->d_name);
		if (l > 4 && strcmp(de->d_name + l - 4, ".yml") == 0) {
			conf_diag_add(diag, dir, 0, 0,
			    "%s: practice files end in .yaml; rename it",
			    de->d_name);
			rc = PS_INVALID;
			continue;
		}
		if (l <= 5 || strcmp(de->d_name + l - 5, ".yaml") != 0)
			continue;
		if (nn == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			char **nm = realloc(names, ncap * sizeof(*nm));

			if (nm == NULL) {
				rc = PS_NOMEM;
				goto out;
			}
			names = nm;
			cap = ncap;
		}
		if ((names[nn] = strdup(de->d_name)) == NULL) {
			rc = PS_NOMEM;
			goto out;
		}
		nn++;
	}
	if (nn == 0) {
		conf_diag_node(diag, where, 1,
		    "no practice files (*.yaml) in %s; at least one practice "
		    "is required",
		    dir);
		rc = PS_INVALID;
		goto out;
	}
	qsort(names, nn, sizeof(*names), name_cmp);
	if ((c->practices = calloc(nn, sizeof(*c->practices))) == NULL) {
		rc = PS_NOMEM;
		goto out;
	}
	for (i = 0; i < nn; i++) {
		if (asprintf(&path, "%s/%s", dir, names[i]) < 0) {
			path = NULL;
			rc = PS_NOMEM;
			goto out;
		}
		prc = conf_practice_load(path, &c->practices[i], diag);
		c->npractices = i + 1;
		free(path);
		path = NULL;
		if (prc == PS_NOMEM) {
			rc = prc;
			goto out;
		}
		if (prc != PS_OK)
			rc = PS_INVALID;
	}
out:
	if (d != NULL)
		closedir(d);
	for (i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	free(path);
	return rc;
}

/* ---- the portal ---------------------------------------------------- */

void
conf_free(struct portal_conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	conf_secret_free(c->secret_key, c->secret_key_len);
	conf_bind_free(portal_keys, c);
	for (i = 0; i < c->npractices; i++)
		conf_practice_free(&c->practices[i]);
	free(c->practices);
	free(c->file);
	free(c->dir);
	free(c);
}

const struct practice_conf *
conf_practice(const struct portal_conf *c, const char *slug)
{
	size_t i;

	for (i = 0; c != NULL && slug != NULL && i < c->npractices; i++)
		if (strcmp(c->practices[i].slug, slug) == 0)
			return &c->practices[i];
	return NULL;
}

static const struct conf_node *
node_or(const struct conf_node *n, const struct conf_node *fallback)
{
	return n != NULL ? n : fallback;
}

/* Checks that mapping m (the section named sec, or root when it is
 * absent) gives exactly one of keys a and b: none is a problem at m saying
 * hint, both a problem at b. va and vb are the bound values of a and b. */
static enum pstatus
one_of(const struct conf_node *m, const struct conf_node *root, const char *sec,
    const char *a, const char *b, const void *va, const void *vb,
    const char *hint, struct conf_diag *diag)
{
	enum pstatus rc = PS_OK;

	if (m != root && m->kind == CN_MAP && conf_node_get(m, a) == NULL &&
	    conf_node_get(m, b) == NULL) {
		conf_diag_node(diag, m, 1, "%s: %s", sec, hint);
		rc = PS_INVALID;
	} else if (va != NULL && vb != NULL) {
		conf_diag_node(diag, conf_node_get(m, b), 1,
		    "%s: give only one of %s and %s", sec, a, b);
		rc = PS_INVALID;
	}
	return rc;
}

/* The mail: block: sending needs a sender address, and a password goes
 * with a user name. Problems are added to diag and set *rc. */
static void
mail_checks(const struct portal_conf *c, const struct conf_node *root,
    struct conf_diag *diag, enum pstatus *rc)
{
	const struct conf_node *m = conf_node_get(root, "mail");
	int has_pw =
	    c->mail.password.path != NULL || c->mail.password.env != NULL;

	if (c->mail.smtp_url != NULL && c->mail.from == NULL) {
		conf_diag_node(diag, node_or(conf_node_get(m, "smtp_url"), m),
		    1, "mail: smtp_url needs from: (the sender's address)");
		*rc = PS_INVALID;
	}
	if (has_pw != (c->mail.username != NULL)) {
		conf_diag_node(diag, node_or(conf_node_get(m, "username"), m),
		    1,
		    "mail: give username and password_file (or "
		    "password_env) together");
		*rc = PS_INVALID;
	}
}

/* Cross-checks of portal.yaml that a table cannot express. */
static enum pstatus
portal_checks(
    struct portal_conf *c, const struct conf_node *root, struct conf_diag *diag)
{
	const struct conf_node *ln, *db, *ss, *at;
	enum pstatus rc = PS_OK;
	long ncpu;
	size_t l, min;

	ln = node_or(conf_node_get(root, "listen"), root);
	db = node_or(conf_node_get(root, "database"), root);
	ss = node_or(conf_node_get(root, "session"), root);
	/* A key given but invalid has been reported already. */
	if (one_of(ln, root, "listen", "socket", "tcp", c->listen.socket,
	        c->listen.tcp,
	        "give socket: PATH (a unix socket for nginx) or "
	        "tcp: HOST:PORT",
	        diag) != PS_OK)
		rc = PS_INVALID;
	if (c->listen.tcp != NULL &&
	    conf_node_get(ln, "socket_group") != NULL) {
		conf_diag_node(diag, conf_node_get(ln, "socket_group"), 1,
		    "listen: socket_group applies only to a unix socket");
		rc = PS_INVALID;
	}
	if (c->listen.group != NULL && c->listen.user == NULL) {
		conf_diag_node(diag, conf_node_get(ln, "group"), 1,
		    "listen: group needs user: (the user portald runs as)");
		rc = PS_INVALID;
	}
	if (one_of(db, root, "database", "socket", "host", c->database.socket,
	        c->database.host,
	        "give socket: PATH or host: NAME (with port:)", diag) != PS_OK)
		rc = PS_INVALID;
	if (c->session.idle_timeout > c->session.absolute_timeout &&
	    c->session.absolute_timeout > 0) {
		at = node_or(conf_node_get(ss, "idle_timeout"), ss);
		conf_diag_node(diag, at, 1,
		    "session: idle_timeout is longer than absolute_timeout");
		rc = PS_INVALID;
	}
	mail_checks(c, root, diag, &rc);
	if (c->listen.workers == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		c->listen.workers = ncpu < 1 ? 1 : ncpu > 256 ? 256 : ncpu;
	}
	if (c->base_url != NULL) {
		/* valid_url() checked the scheme; keep at least one host
		 * character after it. */
		l = strlen(c->base_url);
		min = strncmp(c->base_url, "https://", 8) == 0 ? 9 : 8;
		while (l > min && c->base_url[l - 1] == '/')
			c->base_url[--l] = '\0';
	}
	return rc;
}

enum pstatus
conf_load(const char *path, struct portal_conf **out, struct conf_diag *diag)
{
	struct portal_conf *c = NULL;
	struct conf_node *root = NULL;
	const struct conf_node *at;
	char err[512], rp[PATH_MAX], *slash;
	struct stat sb;
	size_t n0 = conf_diag_count(diag);
	enum pstatus rc, prc;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		rc = PS_NOMEM;
		goto out;
	}
	c->log_level = LOG_LVL_INFO;
	if ((c->file = strdup(path)) == NULL) {
		rc = PS_NOMEM;
		goto out;
	}
	rc = conf_parse_file(path, &root, diag);
	if (rc == PS_NOMEM || rc == PS_NOTFOUND || root == NULL)
		goto out;
	if (realpath(path, rp) != NULL && (slash = strrchr(rp, '/')) != NULL) {
		*slash = '\0';
		c->dir = strdup(rp[0] != '\0' ? rp : "/");
	} else {
		c->dir = strdup(".");
	}
	if (c->dir == NULL) {
		rc = PS_NOMEM;
		goto out;
	}
	if ((prc = conf_bind(root, portal_keys, c, diag)) == PS_NOMEM) {
		rc = prc;
		goto out;
	}
	portal_checks(c, root, diag);
	if (c->secret_key_file != NULL) {
		at = conf_node_get(root, "secret_key_file");
		prc = conf_secret_read_file(c->secret_key_file, SECRET_KEY_MIN,
		    &c->secret_key, &c->secret_key_len, err, sizeof(err));
		if (prc == PS_NOMEM) {
			rc = prc;
			goto out;
		}
		if (prc == PS_NOTFOUND || prc == PS_INVALID)
			conf_diag_node(diag, at, 0,
			    "secret_key_file: %s (create one with: head -c 32 "
			    "/dev/urandom > FILE; chmod 0640 FILE)",
			    err);
		else if (prc != PS_OK)
			conf_diag_node(diag, at, 0, "secret_key_file: %s", err);
	}
	if (c->paths.templates != NULL &&
	    (stat(c->paths.templates, &sb) == -1 || !S_ISDIR(sb.st_mode))) {
		at = conf_node_get(conf_node_get(root, "paths"), "templates");
		conf_diag_node(diag, node_or(at, root), at != NULL,
		    "paths.templates: %s%s is not a directory of templates",
		    c->paths.templates, at != NULL ? "" : " (the default)");
	}
	if (c->paths.clinicians != NULL) {
		at = node_or(
		    conf_node_get(conf_node_get(root, "paths"), "clinicians"),
		    root);
		if (load_practices(c, c->paths.clinicians, at, diag) ==
		    PS_NOMEM) {
			rc = PS_NOMEM;
			goto out;
		}
	}
	rc = conf_diag_count(diag) > n0 ? PS_INVALID : PS_OK;
out:
	conf_tree_free(root);
	if (rc == PS_OK)
		*out = c;
	else
		conf_free(c);
	return rc;
}

enum pstatus
conf_check(const char *path, FILE *out)
{
	return conf_check_ex(path, out, NULL);
}

enum pstatus
conf_check_ex(const char *path, FILE *out,
    enum pstatus (*more)(const struct portal_conf *, struct conf_diag *))
{
	struct conf_diag d;
	struct portal_conf *c = NULL;
	enum pstatus rc;

	conf_diag_init(&d);
	rc = conf_load(path, &c, &d);
	/* Checks of other layers (the gateway blocks against their
	 * plugins' own tables). */
	if (rc == PS_OK && more != NULL && more(c, &d) == PS_NOMEM)
		rc = PS_NOMEM;
	else if (rc == PS_OK && conf_diag_count(&d) > 0)
		rc = PS_INVALID;
	conf_diag_print(&d, out);
	if (rc == PS_OK)
		fprintf(out, "config OK: %zu practice%s\n", c->npractices,
		    c->npractices == 1 ? "" : "s");
	else if (conf_diag_count(&d) > 0)
		fprintf(out, "config: %zu problem%s\n", conf_diag_count(&d),
		    conf_diag_count(&d) == 1 ? "" : "s");
	else
		fprintf(out, "config: %s\n", pstatus_str(rc));
	conf_free(c);
	conf_diag_free(&d);
	return rc;
}
