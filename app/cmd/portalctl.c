/* portalctl.c: the portal's admin command line: config check, database
 * migrations, clients and their invitations, demo seeding. See portalctl(8). */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "util/util.h"

#define INVITE_TTL (7 * 24 * 3600) /* seconds an invitation link works */
#define PW_MIN     8               /* shortest password demo seed accepts */

static const char usage_text[] =
    "usage: portalctl [-c portal.yaml] COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  config check                      check portal.yaml and the practice "
    "files\n"
    "  db migrate [--sql-dir DIR]        apply the pending SQL migrations\n"
    "  client create --practice SLUG --email E --first F --last L\n"
    "                [--dob YYYY-MM-DD]  add a client and print an "
    "invitation link\n"
    "  client invite --email E           print a new invitation link (the "
    "old one stops working)\n"
    "  client list [--practice SLUG]     list clients and their portal "
    "accounts\n"
    "  demo seed --email E --password-file F [--practice SLUG]\n"
    "                                    create the demo client with that "
    "password (idempotent)\n"
    "  help                              show this text\n"
    "\n"
    "options:\n"
    "  -c FILE   configuration (default: $PORTAL_CONFIG, else " PORTAL_SYSCONFDIR
    "/portal.yaml)\n"
    "  -h        show this text\n";

/* One option of a subcommand: --name VALUE or --name=VALUE. */
struct opt {
	const char *name;
	const char **val;
};

struct ctx {
	const char *cmd; /* "client create", for messages */
	const char *conf_path;
	struct portal_conf *conf;
	struct db *db;
};

static void
usage(FILE *f)
{
	fputs(usage_text, f);
}

/* Prints "portalctl: CMD: message" to stderr. */
static void fail(const struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail(const struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "portalctl: ");
	if (c != NULL && c->cmd != NULL)
		fprintf(stderr, "%s: ", c->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Parses argv[0..argc) as the options in opts. Returns 0, or -1 after
 * printing what is wrong. */
static int
parse_opts(const struct ctx *c, int argc, char **argv, const struct opt *opts)
{
	int i;
	const struct opt *o;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *eq, *val;
		size_t n;

		if (strncmp(a, "--", 2) != 0) {
			fail(c, "unexpected argument \"%s\" (see portalctl -h)",
			    a);
			return -1;
		}
		a += 2;
		eq = strchr(a, '=');
		n = eq ? (size_t)(eq - a) : strlen(a);
		for (o = opts; o->name != NULL; o++)
			if (strlen(o->name) == n && strncmp(o->name, a, n) == 0)
				break;
		if (o->name == NULL) {
			fail(c, "unknown option --%.*s (see portalctl -h)",
			    (int)n, a);
			return -1;
		}
		if (eq != NULL)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else {
			fail(c, "option --%s needs a value", o->name);
			return -1;
		}
		*o->val = val;
	}
	return 0;
}

/* Returns 1 when s is non-empty UTF-8 without control characters and at
 * most max bytes, else prints why and returns 0. */
static int
check_text(const struct ctx *c, const char *what, const char *s, size_t max)
{
	size_t i, n;

	if (s == NULL || s[0] == '\0') {
		fail(c, "%s is required", what);
		return 0;
	}
	n = strlen(s);
	if (n > max) {
		fail(c, "%s is longer than %zu bytes", what, max);
		return 0;
	}
	if (!utf8_valid(s, n)) {
		fail(c, "%s is not valid UTF-8", what);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			fail(c, "%s contains a control character", what);
			return 0;
		}
	}
	return 1;
}

/* Checks an email address loosely (one '@', a dot in the domain, no
 * spaces) and writes it lower-cased into out. */
static int
check_email(const struct ctx *c, const char *e, char *out, size_t outsz)
{
	const char *at;
	size_t i;

	if (!check_text(c, "--email", e, DB_EMAIL_MAX))
		return 0;
	at = strchr(e, '@');
	if (at == NULL || at == e || strchr(at + 1, '@') != NULL ||
	    strchr(at, '.') == NULL || at[1] == '.' ||
	    e[strlen(e) - 1] == '.' || strpbrk(e, " \t,;<>\"") != NULL) {
		fail(c, "--email \"%s\" is not an email address", e);
		return 0;
	}
	for (i = 0; e[i] != '\0' && i + 1 < outsz; i++)
		out[i] = (char)tolower((unsigned char)e[i]);
	out[i] = '\0';
	return 1;
}

/* Checks a YYYY-MM-DD date of birth: a real calendar day, not in the
 * future, not before 1900. */
static int
check_dob(const struct ctx *c, const char *d)
{
	static const int mdays[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, day, i, leap, max;
	time_t now = time(NULL);
	struct tm tm;
	char today[11];

	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7 ? d[i] != '-'
		                     : !isdigit((unsigned char)d[i]))
			goto bad;
	}
	if (d[10] != '\0')
		goto bad;
	y = atoi(d);
	m = atoi(d + 5);
	day = atoi(d + 8);
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m < 1 || m > 12)
		goto bad;
	max = mdays[m - 1] + (m == 2 && leap);
	if (day < 1 || day > max || y < 1900)
		goto bad;
	gmtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	if (strcmp(d, today) > 0) {
		fail(c, "--dob %s is in the future", d);
		return 0;
	}
	return 1;
bad:
	fail(c, "--dob \"%s\" is not a date as YYYY-MM-DD", d);
	return 0;
}

/* Loads the configuration; prints every problem and returns -1 when it
 * does not load. */
static int
load_conf(struct ctx *c)
{
	struct conf_diag d;
	enum pstatus st;

	conf_diag_init(&d);
	st = conf_load(c->conf_path, &c->conf, &d);
	if (st != PS_OK) {
		conf_diag_print(&d, stderr);
		fail(c,
		    "%s: configuration has %zu problem%s (run portalctl "
		    "config check)",
		    c->conf_path, conf_diag_count(&d),
		    conf_diag_count(&d) == 1 ? "" : "s");
		conf_diag_free(&d);
		return -1;
	}
	conf_diag_free(&d);
	return 0;
}

/* Loads the configuration and connects to its database. */
static int
open_db(struct ctx *c)
{
	struct db_params p;
	const struct conf_database *d;
	char err[512], *pw = NULL;
	size_t pwn = 0;
	int rc = -1;

	if (load_conf(c) != 0)
		return -1;
	d = &c->conf->database;
	memset(&p, 0, sizeof(p));
	p.socket = d->socket;
	p.host = d->host;
	p.port = (unsigned int)d->port;
	p.user = d->user;
	p.name = d->name;
	if (d->password.path != NULL || d->password.env != NULL) {
		if (conf_secret_read(
		        &d->password, &pw, &pwn, err, sizeof(err)) != PS_OK) {
			fail(c, "database password: %s", err);
			goto out;
		}
		p.password = pw;
	}
	if (db_open(&p, &c->db, err, sizeof(err)) != PS_OK) {
		fail(c, "%s", err);
		goto out;
	}
	rc = 0;
out:
	conf_secret_free(pw, pwn);
	return rc;
}

/* Reads the practice slug's name from the configuration and makes sure its
 * row exists. */
static int
ensure_practice(struct ctx *c, const char *slug, int64_t *id)
{
	const struct practice_conf *pc = conf_practice(c->conf, slug);
	size_t i;

	if (pc == NULL) {
		fprintf(stderr,
		    "portalctl: %s: no practice \"%s\" in %s; "
		    "configured:",
		    c->cmd, slug, c->conf_path);
		for (i = 0; i < c->conf->npractices; i++)
			fprintf(stderr, " %s", c->conf->practices[i].slug);
		fputc('\n', stderr);
		return -1;
	}
	if (db_practice_ensure(c->db, slug, pc->name, id) != PS_OK) {
		fail(c, "practice %s: %s", slug, db_errmsg(c->db));
		return -1;
	}
	return 0;
}

/* Makes a new invitation token; out gets the token, hash its sha256. */
static int
new_invite(const struct ctx *c, char token[CRYPTO_TOKEN_SIZE],
    char hash[CRYPTO_HEX_SIZE])
{
	if (crypto_token_new(token) != PS_OK) {
		fail(c, "the random number generator failed");
		return -1;
	}
	crypto_sha256_hex(token, strlen(token), hash);
	return 0;
}

static void
print_invite(const struct ctx *c, const char *token, int64_t expires)
{
	char when[32];
	time_t t = (time_t)expires;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	printf("invitation link (works once, until %s):\n", when);
	printf("%s/invite/%s\n", c->conf->base_url, token);
}

/* ---- config check ---- */

static int
cmd_config_check(struct ctx *c, int argc, char **argv)
{
	static const struct opt opts[] = {{NULL, NULL}};

	if (parse_opts(c, argc, argv, opts) != 0)
		return 1;
	return conf_check(c->conf_path, stdout) == PS_OK ? 0 : 1;
}

/* ---- db migrate ---- */

static int
cmd_db_migrate(struct ctx *c, int argc, char **argv)
{
	const char *dir = PORTAL_DATADIR "/sql";
	const struct opt opts[] = {{"sql-dir", &dir}, {NULL, NULL}};
	char err[1024];
	int n = 0;

	if (parse_opts(c, argc, argv, opts) != 0 || open_db(c) != 0)
		return 1;
	if (db_migrate(c->db, dir, stdout, &n, err, sizeof(err)) != PS_OK) {
		fail(c, "%s", err);
		return 1;
	}
	if (n == 0)
		printf("database is up to date\n");
	else
		printf("%d migration%s applied\n", n, n == 1 ? "" : "s");
	return 0;
}

/* ---- client create ---- */

struct create_tx {
	int64_t practice_id;
	const char *first, *last, *email, *dob, *invite_hash;
	int64_t now, expires;
	int64_t client_id, user_id;
};

static enum pstatus
create_fn(struct db *db, void *arg)
{
	struct create_tx *t = arg;
	enum pstatus st;

	st = db_client_create(db, t->practice_id, t->first, t->last, t->email,
	    t->dob, t->now, &t->client_id);
	if (st != PS_OK)
		return st;
	return db_user_create(db, t->practice_id, t->client_id, t->email,
	    t->invite_hash, t->expires, t->now, &t->user_id);
}

static int
cmd_client_create(struct ctx *c, int argc, char **argv)
{
	const char *slug = NULL, *email = NULL, *first = NULL, *last = NULL,
	           *dob = NULL;
	const struct opt opts[] = {{"practice", &slug}, {"email", &email},
	    {"first", &first}, {"last", &last}, {"dob", &dob}, {NULL, NULL}};
	char lemail[DB_EMAIL_MAX + 1], token[CRYPTO_TOKEN_SIZE],
	    hash[CRYPTO_HEX_SIZE];
	struct create_tx t;
	struct db_user u;
	enum pstatus st;
	int rc = 1;

	memset(&t, 0, sizeof(t));
	if (parse_opts(c, argc, argv, opts) != 0)
		return 1;
	if (!check_text(c, "--practice", slug, DB_SLUG_MAX) ||
	    !check_email(c, email, lemail, sizeof(lemail)) ||
	    !check_text(c, "--first", first, DB_NAME_MAX) ||
	    !check_text(c, "--last", last, DB_NAME_MAX) ||
	    (dob != NULL && !check_dob(c, dob)))
		return 1;
	if (open_db(c) != 0)
		return 1;
	if (ensure_practice(c, slug, &t.practice_id) != 0)
		goto out;
	st = db_user_by_email(c->db, lemail, &u);
	if (st == PS_OK) {
		fail(c,
		    "a portal account for %s exists already (portalctl "
		    "client invite --email %s sends a new link)",
		    lemail, lemail);
		goto out;
	}
	if (st != PS_NOTFOUND) {
		fail(c, "%s", db_errmsg(c->db));
		goto out;
	}
	if (new_invite(c, token, hash) != 0)
		goto out;
	t.first = first;
	t.last = last;
	t.email = lemail;
	t.dob = dob;
	t.invite_hash = hash;
	t.now = (int64_t)time(NULL);
	t.expires = t.now + INVITE_TTL;
	st = db_tx(c->db, create_fn, &t);
	if (st == PS_CONFLICT) {
		fail(c, "a portal account for %s exists already", lemail);
		goto out;
	}
	if (st != PS_OK) {
		fail(c, "%s", db_errmsg(c->db));
		goto out;
	}
	if (db_audit(c->db, t.practice_id, t.client_id, t.user_id,
	        DB_ACTOR_SYSTEM, "client.create", "portalctl client create",
	        NULL) != PS_OK)
		fail(c, "warning: audit log: %s", db_errmsg(c->db));
	printf("client %lld created in practice %s: %s %s <%s>\n",
	    (long long)t.client_id, slug, first, last, lemail);
	print_invite(c, token, t.expires);
	rc = 0;
out:
	crypto_wipe(token, sizeof(token));
	return rc;
}

/* ---- client invite ---- */

static int
cmd_client_invite(struct ctx *c, int argc, char **argv)
{
	const char *email = NULL;
	const struct opt opts[] = {{"email", &email}, {NULL, NULL}};
	char lemail[DB_EMAIL_MAX + 1], token[CRYPTO_TOKEN_SIZE],
	    hash[CRYPTO_HEX_SIZE];
	struct db_user u;
	int64_t expires;
	enum pstatus st;
	int rc = 1;

	token[0] = '\0';
	if (parse_opts(c, argc, argv, opts) != 0 ||
	    !check_email(c, email, lemail, sizeof(lemail)) || open_db(c) != 0)
		return 1;
	st = db_user_by_email(c->db, lemail, &u);
	if (st == PS_NOTFOUND) {
		fail(c,
		    "no portal account for %s (portalctl client create "
		    "adds one)",
		    lemail);
		goto out;
	}
	if (st != PS_OK) {
		fail(c, "%s", db_errmsg(c->db));
		goto out;
	}
	if (new_invite(c, token, hash) != 0)
		goto out;
	expires = (int64_t)time(NULL) + INVITE_TTL;
	if (db_user_set_invite(c->db, u.id, hash, expires) != PS_OK) {
		fail(c, "%s", db_errmsg(c->db));
		goto out;
	}
	if (db_audit(c->db, u.practice_id, u.client_id, u.id, DB_ACTOR_SYSTEM,
	        "client.invite", "portalctl client invite", NULL) != PS_OK)
		fail(c, "warning: audit log: %s", db_errmsg(c->db));
	if (u.has_password)
		printf("%s has a password; the link lets them set a new one\n",
		    lemail);
	print_invite(c, token, expires);
	rc = 0;
out:
	crypto_wipe(token, sizeof(token));
	return rc;
}

/* ---- client list ---- */

struct list_state {
	int64_t now;
	int n;
};

static int
list_row(void *arg, const struct db_client_info *r)
{
	struct list_state *s = arg;
	char name[2 * DB_NAME_MAX + 2], status[48];

	if (s->n++ == 0)
		printf("%-6s %-20s %-28s %-32s %-10s %s\n", "ID", "PRACTICE",
		    "NAME", "EMAIL", "BORN", "PORTAL");
	snprintf(name, sizeof(name), "%s %s", r->client.first_name,
	    r->client.last_name);
	if (r->user_id == 0)
		snprintf(status, sizeof(status), "no account");
	else if (r->has_password)
		snprintf(status, sizeof(status), "active");
	else if (r->invite_expires_at > s->now) {
		time_t t = (time_t)r->invite_expires_at;
		struct tm tm;
		char when[16];

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d", &tm);
		snprintf(status, sizeof(status), "invited (until %s)", when);
	} else
		snprintf(status, sizeof(status), "invitation expired");
	printf("%-6lld %-20s %-28s %-32s %-10s %s\n", (long long)r->client.id,
	    r->practice_slug, name, r->client.email,
	    r->client.date_of_birth[0] ? r->client.date_of_birth : "-", status);
	return 0;
}

static int
cmd_client_list(struct ctx *c, int argc, char **argv)
{
	const char *slug = NULL;
	const struct opt opts[] = {{"practice", &slug}, {NULL, NULL}};
	struct list_state s = {(int64_t)time(NULL), 0};
	int64_t pid = 0;
	enum pstatus st;

	if (parse_opts(c, argc, argv, opts) != 0 || open_db(c) != 0)
		return 1;
	if (slug != NULL) {
		st = db_practice_id(c->db, slug, &pid);
		if (st == PS_NOTFOUND) {
			if (conf_practice(c->conf, slug) == NULL) {
				fail(c, "no practice \"%s\"", slug);
				return 1;
			}
			printf("no clients in practice %s\n", slug);
			return 0;
		}
		if (st != PS_OK) {
			fail(c, "%s", db_errmsg(c->db));
			return 1;
		}
	}
	if (db_client_list(c->db, pid, list_row, &s) != PS_OK) {
		fail(c, "%s", db_errmsg(c->db));
		return 1;
	}
	if (s.n == 0)
		printf("no clients%s%s\n", slug ? " in practice " : "",
		    slug ? slug : "");
	return 0;
}

/* ---- demo seed ---- */

/* Reads the password file (one line; the newline is dropped). */
static int
read_password(const struct ctx *c, const char *path, char *out, size_t outsz)
{
	FILE *f;
	size_t n;
	int rc = -1;

	if ((f = fopen(path, "r")) == NULL) {
		fail(c, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(out, 1, outsz - 1, f);
	if (ferror(f)) {
		fail(c, "%s: read error", path);
		goto out;
	}
	if (!feof(f) && fgetc(f) != EOF) {
		fail(c, "%s: longer than %zu bytes", path, outsz - 2);
		goto out;
	}
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	if (strlen(out) != n || n < PW_MIN) {
		fail(c,
		    "%s: the password must be one line of at least %d "
		    "characters",
		    path, PW_MIN);
		goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

static enum pstatus
seed_fn(struct db *db, void *arg)
{
	struct create_tx *t = arg;
	enum pstatus st;

	st = db_client_create(db, t->practice_id, t->first, t->last, t->email,
	    NULL, t->now, &t->client_id);
	if (st != PS_OK)
		return st;
	return db_user_create(db, t->practice_id, t->client_id, t->email, NULL,
	    0, t->now, &t->user_id);
}

static int
cmd_demo_seed(struct ctx *c, int argc, char **argv)
{
	const char *email = NULL, *pwfile = NULL, *slug = NULL;
	const struct opt opts[] = {{"email", &email},
	    {"password-file", &pwfile}, {"practice", &slug}, {NULL, NULL}};
	char lemail[DB_EMAIL_MAX + 1], pw[CRYPTO_PASSWORD_MAX + 2],
	    hash[CRYPTO_PWHASH_MAX];
	struct create_tx t;
	struct db_user u;
	enum pstatus st;
	int rc = 1;

	memset(&t, 0, sizeof(t));
	pw[0] = '\0';
	if (parse_opts(c, argc, argv, opts) != 0)
		return 1;
	if (!check_email(c, email, lemail, sizeof(lemail)))
		return 1;
	if (pwfile == NULL) {
		fail(c, "--password-file is required");
		return 1;
	}
	if (read_password(c, pwfile, pw, sizeof(pw)) != 0)
		goto out;
	if (open_db(c) != 0)
		goto out;
	if (slug == NULL)
		slug = c->conf->practices[0].slug;
	t.now = (int64_t)time(NULL);
	st = db_user_by_email(c->db, lemail, &u);
	if (st == PS_NOTFOUND) {
		if (ensure_practice(c, slug, &t.practice_id) != 0)
			goto out;
		t.first = "Alex";
		t.last = "Rivera";
		t.email = lemail;
		if ((st = db_tx(c->db, seed_fn, &t)) != PS_OK) {
			fail(c, "%s", db_errmsg(c->db));
			goto out;
		}
		st = db_user_by_email(c->db, lemail, &u);
	}
	if (st != PS_OK) {
		fail(c, "%s", db_errmsg(c->db));
		goto out;
	}
	/* Idempotent: a password that verifies already is left alone. */
	if (!u.has_password ||
	    crypto_password_verify(u.password_hash, pw, strlen(pw)) != PS_OK) {
		if (crypto_password_hash(pw, strlen(pw), hash, sizeof(hash)) !=
		    PS_OK) {
			fail(c, "cannot hash the password");
			goto out;
		}
		if (db_user_set_password(c->db, u.id, hash, t.now) != PS_OK) {
			fail(c, "%s", db_errmsg(c->db));
			goto out;
		}
		db_audit(c->db, u.practice_id, u.client_id, u.id,
		    DB_ACTOR_SYSTEM, "demo.seed", "portalctl demo seed", NULL);
	}
	printf("demo client %s ready in practice %lld\n", lemail,
	    (long long)u.practice_id);
	rc = 0;
out:
	crypto_wipe(pw, sizeof(pw));
	crypto_wipe(hash, sizeof(hash));
	return rc;
}

/* ---- main ---- */

static const struct command {
	const char *group, *name;
	int (*fn)(struct ctx *, int, char **);
} commands[] = {
    {"config", "check", cmd_config_check},
    {"db", "migrate", cmd_db_migrate},
    {"client", "create", cmd_client_create},
    {"client", "invite", cmd_client_invite},
    {"client", "list", cmd_client_list},
    {"demo", "seed", cmd_demo_seed},
    {NULL, NULL, NULL},
};

int
main(int argc, char **argv)
{
	struct ctx c;
	const struct command *cmd;
	char name[64];
	int i = 1, rc = 1;

	memset(&c, 0, sizeof(c));
	c.conf_path = getenv("PORTAL_CONFIG");
	if (c.conf_path == NULL || c.conf_path[0] == '\0')
		c.conf_path = PORTAL_SYSCONFDIR "/portal.yaml";
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			c.conf_path = argv[++i];
		else if (strncmp(argv[i], "-c", 2) == 0 && argv[i][2] != '\0')
			c.conf_path = argv[i] + 2;
		else {
			fail(NULL, "unknown option %s (see portalctl -h)",
			    argv[i]);
			return 1;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 1;
	}
	if (strcmp(argv[i], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (cmd = commands; cmd->group != NULL; cmd++)
		if (strcmp(cmd->group, argv[i]) == 0 && i + 1 < argc &&
		    strcmp(cmd->name, argv[i + 1]) == 0)
			break;
	if (cmd->group == NULL) {
		fail(NULL, "unknown command \"%s%s%s\" (see portalctl -h)",
		    argv[i], i + 1 < argc ? " " : "",
		    i + 1 < argc ? argv[i + 1] : "");
		return 1;
	}
	for (int j = i + 2; j < argc; j++) {
		if (strcmp(argv[j], "-h") == 0 ||
		    strcmp(argv[j], "--help") == 0) {
			usage(stdout);
			return 0;
		}
	}
	snprintf(name, sizeof(name), "%s %s", cmd->group, cmd->name);
	c.cmd = name;
	if (db_global_init() != PS_OK) {
		fail(&c, "cannot initialise the MariaDB client library");
		return 1;
	}
	rc = cmd->fn(&c, argc - i - 2, argv + i + 2);
	db_close(c.db);
	conf_free(c.conf);
	db_global_end();
	return rc;
}
