/* portalctl.c: the portal's admin command line: config check, database
 * migrations, clients and their invitations, invoices, cards, payments and
 * their reconciliation, demo seeding. See portalctl(8). */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "cmd/cmd_db.h"
#include "billing/billing.h"
#include "cmd/portalctl_autopay.h"
#include "cmd/portalctl_docs.h"
#include "cmd/portalctl_mail.h"
#include "conf/conf.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "db/db_admin.h"
#include "db/db_billing.h"
#include "gw/gw.h"
#include "mail/mail.h"
#include "util/util.h"

#define INVITE_TTL (7 * 24 * 3600) /* seconds an invitation link works */
#define PW_MIN     8               /* shortest password demo seed accepts */

static const char usage_text[] =
    "usage: portalctl [-c portal.yaml] COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  config check                      check portal.yaml and the practice "
    "files\n"
    "  db init [--admin-user U] [--admin-password-file F] [--client-host H]\n"
    "                                    create the database, its migration "
    "user\n"
    "                                    and its runtime user (as root)\n"
    "  db migrate [--sql-dir DIR]        apply the pending SQL migrations "
    "(as\n"
    "                                    database.migrate_user)\n"
    "  db status [--sql-dir DIR]         list the applied and pending "
    "migrations\n"
    "  client create --practice SLUG --email E --first F --last L\n"
    "                [--dob YYYY-MM-DD]  add a client and print an "
    "invitation link\n"
    "  client invite --email E           print a new invitation link (the "
    "old one stops working)\n"
    "  client list [--practice SLUG]     list clients and their portal "
    "accounts\n"
    "  invoice create --practice SLUG --email E --line "
    "\"YYYY-MM-DD|description|amount\"\n"
    "                [--line ...] [--due YYYY-MM-DD] [--issued YYYY-MM-DD]\n"
    "                                    add an invoice and print its "
    "number\n"
    "  invoice list --practice SLUG [--email E]\n"
    "                                    list invoices with what is paid "
    "and due\n"
    "  card list --practice SLUG --email E\n"
    "                                    list a client's cards on file\n"
    "  card disable --practice SLUG --email E --card ID\n"
    "                                    disable a client's card (the "
    "clinician's action)\n"
    "  payments list --practice SLUG [--email E]\n"
    "                                    list payment attempts and "
    "receipts\n"
    "  payments reconcile [--practice SLUG] [--min-age SECONDS]\n"
    "                                    settle attempts left pending or "
    "unknown\n"
    "  demo seed --email E --password-file F [--practice SLUG]\n"
    "                                    create the demo client with that "
    "password\n"
    "                                    and unpaid invoices (idempotent)\n"
    "  autopay enroll|unenroll|status|run|report|window ...\n"
    "                                    AutoPay: the nightly charge of "
    "enrolled\n"
    "                                    clients (portalctl autopay help)\n"
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
	portalctl_docs_usage(f);
	portalctl_mail_usage(f);
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

/* Parses argv[0..argc) as the options in opts. On a usage error prints
 * what is wrong and exits CMD_USAGE. */
static void
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
			exit(CMD_USAGE);
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
			exit(CMD_USAGE);
		}
		if (eq != NULL)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else {
			fail(c, "option --%s needs a value", o->name);
			exit(CMD_USAGE);
		}
		*o->val = val;
	}
}

/* Returns 1 when s is non-empty UTF-8 without control characters and at
 * most max bytes, else prints why and returns 0. A missing s (the option
 * was not given) is a usage error: exits CMD_USAGE. */
static int
check_text(const struct ctx *c, const char *what, const char *s, size_t max)
{
	size_t i, n;

	if (s == NULL || s[0] == '\0') {
		fail(c, "%s is required", what);
		exit(CMD_USAGE);
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

/* Loads the configuration and connects to its database as role's user. */
static int
open_db(struct ctx *c, enum cmd_db_role role)
{
	struct db_params p;
	char err[512], *pw = NULL;
	size_t pwn = 0;
	int rc = -1;

	if (load_conf(c) != 0)
		return -1;
	if (cmd_db_params(c->conf, role, &p, &pw, &pwn, err, sizeof(err)) !=
	    PS_OK) {
		fail(c, "%s", err);
		goto out;
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

	parse_opts(c, argc, argv, opts);
	/* The gateway: blocks too, against their plugins' tables. */
	return conf_check_ex(c->conf_path, stdout, gw_practices_check) == PS_OK
	           ? 0
	           : 1;
}

/* ---- db init ---- */

/* Makes the database and its two users from portal.yaml's database: section,
 * connecting as an administrator (root over the socket by default). A
 * password file the configuration names but that does not exist yet is
 * written first: the runtime one readable by listen.user's group. */
static int
cmd_db_init(struct ctx *c, int argc, char **argv)
{
	const char *admin_user = "root", *admin_pwfile = NULL;
	const char *client_host = "localhost";
	const struct opt opts[] = {{"admin-user", &admin_user},
	    {"admin-password-file", &admin_pwfile},
	    {"client-host", &client_host}, {NULL, NULL}};
	const struct conf_database *d;
	struct conf_secret_ref aref = {NULL, NULL};
	struct db_admin_user mig, run;
	struct db_params p, mp, rp;
	struct passwd *pwd;
	struct group *gr;
	char err[1024], *apw = NULL, *mpw = NULL, *rpw = NULL;
	size_t apwn = 0, mpwn = 0, rpwn = 0;
	gid_t gid = (gid_t)-1;
	int rc = 1;

	parse_opts(c, argc, argv, opts);
	if (load_conf(c) != 0)
		return 1;
	d = &c->conf->database;
	if (d->migrate_user == NULL) {
		fail(c,
		    "%s: set database.migrate_user (the user that changes "
		    "the schema; database.user only reads and writes rows)",
		    c->conf_path);
		return 1;
	}
	if (c->conf->listen.user != NULL) {
		if ((pwd = getpwnam(c->conf->listen.user)) == NULL) {
			fail(c,
			    "listen.user %s: no such user (create it "
			    "first)",
			    c->conf->listen.user);
			return 1;
		}
		gid = pwd->pw_gid;
		if (c->conf->listen.group != NULL) {
			if ((gr = getgrnam(c->conf->listen.group)) == NULL) {
				fail(c, "listen.group %s: no such group",
				    c->conf->listen.group);
				return 1;
			}
			gid = gr->gr_gid;
		}
	}
	if (cmd_db_password_ensure(
	        &d->password, gid, stdout, err, sizeof(err)) != PS_OK ||
	    cmd_db_password_ensure(&d->migrate_password, (gid_t)-1, stdout, err,
	        sizeof(err)) != PS_OK) {
		fail(c, "%s", err);
		return 1;
	}
	/* The two users as the other commands connect (names, passwords). */
	if (cmd_db_params(c->conf, CMD_DB_MIGRATE, &mp, &mpw, &mpwn, err,
	        sizeof(err)) != PS_OK ||
	    cmd_db_params(c->conf, CMD_DB_RUNTIME, &rp, &rpw, &rpwn, err,
	        sizeof(err)) != PS_OK) {
		fail(c, "%s", err);
		goto out;
	}
	/* The administrator on the same server, outside the database. */
	p = rp;
	p.user = admin_user;
	p.password = NULL;
	p.name = "information_schema";
	aref.path = (char *)admin_pwfile;
	if (admin_pwfile != NULL) {
		if (conf_secret_read(&aref, &apw, &apwn, err, sizeof(err)) !=
		    PS_OK) {
			fail(c, "%s", err);
			goto out;
		}
		p.password = apw;
	}
	if (db_open(&p, &c->db, err, sizeof(err)) != PS_OK) {
		fail(c, "%s", err);
		goto out;
	}
	mig.name = mp.user;
	mig.password = mp.password;
	run.name = rp.user;
	run.password = rp.password;
	if (db_admin_init(c->db, d->name, client_host, &mig, &run, stdout, err,
	        sizeof(err)) != PS_OK) {
		fail(c, "%s", err);
		goto out;
	}
	printf("next: portalctl db migrate\n");
	rc = 0;
out:
	conf_secret_free(apw, apwn);
	conf_secret_free(mpw, mpwn);
	conf_secret_free(rpw, rpwn);
	return rc;
}

/* ---- db migrate ---- */

static int
cmd_db_migrate(struct ctx *c, int argc, char **argv)
{
	const char *dir = PORTAL_DATADIR "/sql";
	const struct opt opts[] = {{"sql-dir", &dir}, {NULL, NULL}};
	char err[1024];
	int n = 0;

	parse_opts(c, argc, argv, opts);
	if (open_db(c, CMD_DB_MIGRATE) != 0)
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

/* ---- db status ---- */

/* Exit 0 when every migration of the folder is applied, 3 when some are
 * pending (so scripts can tell), 1 on an error. */
static int
cmd_db_status(struct ctx *c, int argc, char **argv)
{
	const char *dir = PORTAL_DATADIR "/sql";
	const struct opt opts[] = {{"sql-dir", &dir}, {NULL, NULL}};
	char err[1024];
	size_t pending = 0;

	parse_opts(c, argc, argv, opts);
	if (open_db(c, CMD_DB_RUNTIME) != 0)
		return 1;
	if (db_migrate_status(c->db, dir, stdout, &pending, err, sizeof(err)) !=
	    PS_OK) {
		fail(c, "%s", err);
		return 1;
	}
	if (pending == 0) {
		printf("database is up to date\n");
		return 0;
	}
	printf("%zu migration%s pending: run portalctl db migrate\n", pending,
	    pending == 1 ? "" : "s");
	return CMD_INCOMPLETE;
}

/* ---- client create ---- */

struct create_tx {
	const struct portal_conf *conf;
	int64_t practice_id;
	const char *first, *last, *email, *dob, *invite_hash, *token;
	int64_t now, expires;
	int64_t client_id, user_id;
};

/* Queues the invitation mail of client_id in the caller's transaction. */
static enum pstatus
queue_invite(struct db *db, const struct portal_conf *conf, int64_t practice_id,
    int64_t client_id, const char *token, int64_t expires, int64_t now)
{
	struct mail_params p;
	struct mail_new m = {.practice_id = practice_id,
	    .client_id = client_id,
	    .kind = MAIL_INVITE,
	    .params = &p,
	    .token = token,
	    .key = conf->secret_key,
	    .keylen = conf->secret_key_len};

	mail_params_init(&p);
	mail_param(&p, "expires", "%lld", (long long)expires);
	return mail_queue(db, &m, now, NULL);
}

static enum pstatus
create_fn(struct db *db, void *arg)
{
	struct create_tx *t = arg;
	enum pstatus st;

	st = db_client_create(db, t->practice_id, t->first, t->last, t->email,
	    t->dob, t->now, &t->client_id);
	if (st != PS_OK)
		return st;
	st = db_user_create(db, t->practice_id, t->client_id, t->email,
	    t->invite_hash, t->expires, t->now, &t->user_id);
	if (st != PS_OK)
		return st;
	return queue_invite(db, t->conf, t->practice_id, t->client_id, t->token,
	    t->expires, t->now);
}

struct invite_tx {
	const struct portal_conf *conf;
	const struct db_user *u;
	const char *hash, *token;
	int64_t expires, now;
};

static enum pstatus
invite_fn(struct db *db, void *arg)
{
	struct invite_tx *t = arg;
	enum pstatus st;

	st = db_user_set_invite(db, t->u->id, t->hash, t->expires);
	if (st != PS_OK)
		return st;
	return queue_invite(db, t->conf, t->u->practice_id, t->u->client_id,
	    t->token, t->expires, t->now);
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
	parse_opts(c, argc, argv, opts);
	if (!check_text(c, "--practice", slug, DB_SLUG_MAX) ||
	    !check_email(c, email, lemail, sizeof(lemail)) ||
	    !check_text(c, "--first", first, DB_NAME_MAX) ||
	    !check_text(c, "--last", last, DB_NAME_MAX) ||
	    (dob != NULL && !check_dob(c, dob)))
		return 1;
	if (open_db(c, CMD_DB_RUNTIME) != 0)
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
	t.token = token;
	t.conf = c->conf;
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
	printf("invitation mail queued to %s (portalctl mail send)\n", lemail);
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
	struct invite_tx t;
	int64_t expires;
	enum pstatus st;
	int rc = 1;

	token[0] = '\0';
	parse_opts(c, argc, argv, opts);
	if (!check_email(c, email, lemail, sizeof(lemail)) ||
	    open_db(c, CMD_DB_RUNTIME) != 0)
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
	t.now = (int64_t)time(NULL);
	expires = t.now + INVITE_TTL;
	t.conf = c->conf;
	t.u = &u;
	t.hash = hash;
	t.token = token;
	t.expires = expires;
	if (db_tx(c->db, invite_fn, &t) != PS_OK) {
		fail(c, "%s", db_errmsg(c->db));
		goto out;
	}
	if (db_audit(c->db, u.practice_id, u.client_id, u.id, DB_ACTOR_SYSTEM,
	        "client.invite", "portalctl client invite", NULL) != PS_OK)
		fail(c, "warning: audit log: %s", db_errmsg(c->db));
	if (u.has_password)
		printf("%s has a password; the link lets them set a new one\n",
		    lemail);
	printf("invitation mail queued to %s (portalctl mail send)\n", lemail);
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

	parse_opts(c, argc, argv, opts);
	if (open_db(c, CMD_DB_RUNTIME) != 0)
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

/* ---- billing: shared helpers ---- */

#define MAX_LINES 50

/* Today's date in practice pc's time zone plus days, as YYYY-MM-DD into
 * out[11]. */
static void
date_plus(const struct practice_conf *pc, int64_t now, int days, char out[11])
{
	tz_day(pc->tz, now + (int64_t)days * 86400, out);
}

/* Connects and finds the practice slug (its configuration, its database
 * id) and, when email is not NULL, its client with that email. Prints why
 * and returns -1 when one is missing. */
static int
find_client(struct ctx *c, const char *slug, const char *email,
    const struct practice_conf **pc, int64_t *pid, int64_t *cid)
{
	char lemail[DB_EMAIL_MAX + 1];
	enum pstatus st;

	*cid = 0;
	if (!check_text(c, "--practice", slug, DB_SLUG_MAX) ||
	    (email != NULL && !check_email(c, email, lemail, sizeof(lemail))))
		return -1;
	if (open_db(c, CMD_DB_RUNTIME) != 0)
		return -1;
	if ((*pc = conf_practice(c->conf, slug)) == NULL) {
		fail(c, "no practice \"%s\" in %s", slug, c->conf_path);
		return -1;
	}
	if (ensure_practice(c, slug, pid) != 0)
		return -1;
	if (email == NULL)
		return 0;
	st = dbb_client_by_email(c->db, *pid, lemail, cid);
	if (st == PS_NOTFOUND) {
		fail(c,
		    "no client with email %s in practice %s (portalctl "
		    "client list shows them)",
		    lemail, slug);
		return -1;
	}
	if (st != PS_OK) {
		fail(c, "%s", db_errmsg(c->db));
		return -1;
	}
	return 0;
}

/* The clinician acting through portalctl for client cid. */
static void
clinician(struct ctx *c, const struct practice_conf *pc, int64_t pid,
    int64_t cid, struct billing_who *w)
{
	memset(w, 0, sizeof(*w));
	w->db = c->db;
	w->practice = pc;
	w->practice_id = pid;
	w->client_id = cid;
	w->actor = DB_ACTOR_CLINICIAN;
	w->now = (int64_t)time(NULL);
}

static const char *
money(const struct practice_conf *pc, int64_t cents, char *out, size_t outsz)
{
	return money_format(
	    cents, pc->currency ? pc->currency : "USD", out, outsz);
}

/* ---- invoice create ---- */

/* Splits "YYYY-MM-DD|description|amount[|quantity]" (in place, in buf)
 * into l. */
static int
parse_line(
    const struct ctx *c, const char *currency, char *buf, struct bill_line *l)
{
	char *f[4], *p = buf;
	int n = 0;
	int64_t q = 1;
	enum pstatus st;

	while (n < 4) {
		f[n++] = p;
		if ((p = strchr(p, '|')) == NULL)
			break;
		*p++ = '\0';
	}
	if (p != NULL || n < 3) {
		fail(c,
		    "--line \"%s\": expected \"YYYY-MM-DD|description|amount"
		    "[|quantity]\"",
		    buf);
		return -1;
	}
	if (money_parse(f[2], strlen(f[2]), currency, &l->unit_amount) !=
	    PS_OK) {
		fail(c,
		    "--line: amount \"%s\" is not an amount of %s (%d "
		    "decimals at most)",
		    f[2], currency ? currency : "USD",
		    currency_digits(currency));
		return -1;
	}
	if (n == 4) {
		st = util_strtonum(f[3], strlen(f[3]), 1, 1000, &q, NULL, 0);
		if (st != PS_OK) {
			fail(c, "--line: quantity \"%s\" is not 1 to 1000",
			    f[3]);
			return -1;
		}
	}
	if (!check_text(c, "--line description", f[1], DBB_DESC_MAX))
		return -1;
	l->date_of_service = f[0];
	l->description = f[1];
	l->quantity = q;
	return 0;
}

static int
cmd_invoice_create(struct ctx *c, int argc, char **argv)
{
	const char *slug = NULL, *email = NULL, *due = NULL, *issued = NULL;
	const struct opt opts[] = {{"practice", &slug}, {"email", &email},
	    {"due", &due}, {"issued", &issued}, {NULL, NULL}};
	char *rest[64], *bufs[MAX_LINES], today[11], number[BILL_NUMBER_MAX],
	    msg[512], amt[64];
	struct bill_line lines[MAX_LINES];
	const struct practice_conf *pc;
	struct billing_who w;
	int64_t pid, cid, id, total = 0;
	int i, nrest = 0, nl = 0, rc = 1;
	enum pstatus st;

	memset(bufs, 0, sizeof(bufs));
	/* --line may repeat: take those out, the rest as usual. */
	for (i = 0; i < argc; i++) {
		const char *v = NULL;

		if (strcmp(argv[i], "--line") == 0) {
			if (i + 1 >= argc) {
				fail(c, "option --line needs a value");
				goto out;
			}
			v = argv[++i];
		} else if (strncmp(argv[i], "--line=", 7) == 0)
			v = argv[i] + 7;
		if (v != NULL) {
			if (nl == MAX_LINES) {
				fail(c, "at most %d --line options", MAX_LINES);
				goto out;
			}
			if ((bufs[nl] = strdup(v)) == NULL) {
				fail(c, "out of memory");
				goto out;
			}
			nl++;
		} else if (nrest < 64)
			rest[nrest++] = argv[i];
	}
	parse_opts(c, nrest, rest, opts);
	if (nl == 0) {
		fail(c, "give at least one --line "
		        "\"YYYY-MM-DD|description|amount\"");
		exit(CMD_USAGE);
	}
	if (email == NULL) {
		fail(c, "--email is required");
		exit(CMD_USAGE);
	}
	if (find_client(c, slug, email, &pc, &pid, &cid) != 0)
		goto out;
	/* Amounts in the practice's currency (its ISO 4217 decimals). */
	for (i = 0; i < nl; i++) {
		if (parse_line(c, pc->currency, bufs[i], &lines[i]) != 0)
			goto out;
		total += lines[i].unit_amount * lines[i].quantity;
	}
	clinician(c, pc, pid, cid, &w);
	if (issued == NULL) {
		date_plus(w.practice, w.now, 0, today);
		issued = today;
	}
	st = billing_invoice_create(
	    &w, issued, due, lines, (size_t)nl, &id, number, msg, sizeof(msg));
	if (st != PS_OK) {
		fail(c, "%s", msg);
		goto out;
	}
	printf("%s\n", number);
	fprintf(stderr, "invoice %s for %s: %s, issued %s%s%s\n", number, email,
	    money(pc, total, amt, sizeof(amt)), issued, due ? ", due " : "",
	    due ? due : "");
	rc = 0;
out:
	for (i = 0; i < nl + 1 && i < MAX_LINES; i++)
		free(bufs[i]);
	return rc;
}

/* ---- invoice list ---- */

struct inv_list {
	const struct practice_conf *pc;
	int n;
	int64_t due;
};

static int
inv_list_row(void *arg, const struct dbb_invoice *r)
{
	struct inv_list *s = arg;
	char total[32], paid[32], due[32];
	int64_t d = r->total - r->paid > 0 ? r->total - r->paid : 0;

	if (s->n++ == 0)
		printf("%-12s %-32s %-10s %-10s %12s %12s %12s %s\n", "NUMBER",
		    "CLIENT", "ISSUED", "DUE ON", "TOTAL", "PAID", "DUE",
		    "STATUS");
	s->due += d;
	printf("%-12s %-32s %-10s %-10s %12s %12s %12s %s\n", r->number,
	    r->email, r->issued_on, r->due_on[0] ? r->due_on : "-",
	    money(s->pc, r->total, total, sizeof(total)),
	    money(s->pc, r->paid, paid, sizeof(paid)),
	    money(s->pc, d, due, sizeof(due)),
	    d == 0        ? "paid"
	    : r->paid > 0 ? "partly paid"
	                  : "unpaid");
	return 0;
}

static int
cmd_invoice_list(struct ctx *c, int argc, char **argv)
{
	const char *slug = NULL, *email = NULL;
	const struct opt opts[] = {
	    {"practice", &slug}, {"email", &email}, {NULL, NULL}};
	const struct practice_conf *pc;
	struct inv_list s;
	int64_t pid, cid;
	char amt[32];

	parse_opts(c, argc, argv, opts);
	if (find_client(c, slug, email, &pc, &pid, &cid) != 0)
		return 1;
	memset(&s, 0, sizeof(s));
	s.pc = pc;
	if (dbb_invoice_list(c->db, pid, cid, 0, inv_list_row, &s) != PS_OK) {
		fail(c, "%s", db_errmsg(c->db));
		return 1;
	}
	if (s.n == 0)
		printf("no invoices\n");
	else
		printf("%d invoice%s, %s due\n", s.n, s.n == 1 ? "" : "s",
		    money(pc, s.due, amt, sizeof(amt)));
	return 0;
}

/* ---- card list / disable ---- */

struct card_list {
	int n;
	char today[11]; /* the practice's date, for expiry */
};

static int
card_list_row(void *arg, const struct dbb_card *k)
{
	struct card_list *x = arg;
	char exp[16];

	if (x->n++ == 0)
		printf("%-6s %-12s %-6s %-8s %-8s %s\n", "ID", "BRAND", "LAST4",
		    "EXPIRES", "DEFAULT", "STATUS");
	snprintf(
	    exp, sizeof(exp), "%02d/%04d", (int)k->exp_month, (int)k->exp_year);
	printf("%-6lld %-12s %-6s %-8s %-8s %s\n", (long long)k->id, k->brand,
	    k->last4, exp, k->is_default ? "yes" : "no",
	    k->disabled_at ? "disabled"
	    : billing_card_expired(k->exp_month, k->exp_year, x->today)
	        ? "expired"
	        : "active");
	return 0;
}

static int
cmd_card_list(struct ctx *c, int argc, char **argv)
{
	const char *slug = NULL, *email = NULL;
	const struct opt opts[] = {
	    {"practice", &slug}, {"email", &email}, {NULL, NULL}};
	const struct practice_conf *pc;
	struct card_list x;
	int64_t pid, cid;

	parse_opts(c, argc, argv, opts);
	if (email == NULL) {
		fail(c, "--email is required");
		exit(CMD_USAGE);
	}
	if (find_client(c, slug, email, &pc, &pid, &cid) != 0)
		return 1;
	memset(&x, 0, sizeof(x));
	tz_day(pc->tz, (int64_t)time(NULL), x.today);
	if (dbb_card_list(c->db, pid, cid, 1, card_list_row, &x) != PS_OK) {
		fail(c, "%s", db_errmsg(c->db));
		return 1;
	}
	if (x.n == 0)
		printf("no cards on file\n");
	return 0;
}

static int
cmd_card_disable(struct ctx *c, int argc, char **argv)
{
	const char *slug = NULL, *email = NULL, *card = NULL;
	const struct opt opts[] = {{"practice", &slug}, {"email", &email},
	    {"card", &card}, {NULL, NULL}};
	const struct practice_conf *pc;
	struct billing_who w;
	int64_t pid, cid, id = 0;
	enum pstatus st;

	parse_opts(c, argc, argv, opts);
	if (email == NULL || card == NULL) {
		fail(c, "--email and --card are required");
		return 1;
	}
	if (util_strtonum(card, strlen(card), 1, INT64_MAX, &id, NULL, 0) !=
	    PS_OK) {
		fail(c,
		    "--card \"%s\" is not a card id (portalctl card "
		    "list shows them)",
		    card);
		return 1;
	}
	if (find_client(c, slug, email, &pc, &pid, &cid) != 0)
		return 1;
	clinician(c, pc, pid, cid, &w);
	st = billing_card_disable(&w, id);
	if (st == PS_NOTFOUND) {
		fail(c, "%s has no usable card %lld", email, (long long)id);
		return 1;
	}
	if (st != PS_OK) {
		fail(c, "%s", db_errmsg(c->db));
		return 1;
	}
	printf("card %lld of %s disabled\n", (long long)id, email);
	return 0;
}

/* ---- payments list ---- */

struct pay_list {
	const struct practice_conf *pc;
	int n;
};

static int
pay_list_row(void *arg, const struct dbb_attempt_row *r)
{
	struct pay_list *s = arg;
	const struct dbb_attempt *a = &r->a;
	char when[20], amt[32], target[40];
	time_t t = (time_t)a->created_at;
	struct tm tm;

	if (s->n++ == 0)
		printf("%-7s %-16s %-32s %12s %-14s %-15s %-11s %s\n",
		    "ATTEMPT", "CREATED (UTC)", "CLIENT", "AMOUNT", "FOR",
		    "STATUS", "RECEIPT", "DETAIL");
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	if (strcmp(a->target, "invoice") == 0)
		snprintf(target, sizeof(target), "invoice %lld",
		    (long long)a->invoice_id);
	else
		snprintf(target, sizeof(target), "balance");
	printf("%-7lld %-16s %-32s %12s %-14s %-15s %-11s %s\n",
	    (long long)a->id, when, r->email,
	    money_format(a->amount, a->currency, amt, sizeof(amt)), target,
	    a->status, r->receipt[0] ? r->receipt : "-",
	    a->decline_code[0] ? a->decline_code : "");
	return 0;
}

static int
cmd_payments_list(struct ctx *c, int argc, char **argv)
{
	const char *slug = NULL, *email = NULL;
	const struct opt opts[] = {
	    {"practice", &slug}, {"email", &email}, {NULL, NULL}};
	const struct practice_conf *pc;
	struct pay_list s;
	int64_t pid, cid;

	parse_opts(c, argc, argv, opts);
	if (find_client(c, slug, email, &pc, &pid, &cid) != 0)
		return 1;
	memset(&s, 0, sizeof(s));
	s.pc = pc;
	if (dbb_attempt_list(c->db, pid, cid, pay_list_row, &s) != PS_OK) {
		fail(c, "%s", db_errmsg(c->db));
		return 1;
	}
	if (s.n == 0)
		printf("no payments\n");
	return 0;
}

/* ---- payments reconcile ---- */

/* Reconciles one practice; adds to *left. Returns 0, or -1 on an error. */
static int
reconcile_one(
    struct ctx *c, const struct practice_conf *pc, int64_t min_age, int *left)
{
	struct gw_instance *gw = NULL;
	char err[2048];
	int64_t pid;
	int resolved = 0, l = 0, rc = -1;
	enum pstatus st;

	st = db_practice_id(c->db, pc->slug, &pid);
	if (st == PS_NOTFOUND) {
		printf("practice %s: no payments yet\n", pc->slug);
		return 0;
	}
	if (st != PS_OK) {
		fail(c, "%s", db_errmsg(c->db));
		return -1;
	}
	if (pc->gateway == NULL)
		fprintf(stderr,
		    "portalctl: %s: practice %s has no gateway: open "
		    "attempts are left as they are\n",
		    c->cmd, pc->slug);
	else if (gw_practice_open(c->conf->paths.plugins, pc->gateway, pc->slug,
	             &gw, err, sizeof(err)) != PS_OK) {
		fprintf(stderr,
		    "portalctl: %s: practice %s: the gateway did not start: "
		    "%s\n",
		    c->cmd, pc->slug, err);
		gw = NULL;
	}
	if (billing_reconcile(c->db, pc, pid, gw, (int64_t)time(NULL), min_age,
	        stdout, &resolved, &l) != PS_OK) {
		fail(c, "practice %s: %s", pc->slug, db_errmsg(c->db));
		goto out;
	}
	printf("practice %s: %d resolved, %d left\n", pc->slug, resolved, l);
	*left += l;
	rc = 0;
out:
	gw_instance_free(gw);
	return rc;
}

static int
cmd_payments_reconcile(struct ctx *c, int argc, char **argv)
{
	const char *slug = NULL, *age = NULL;
	const struct opt opts[] = {
	    {"practice", &slug}, {"min-age", &age}, {NULL, NULL}};
	const struct practice_conf *pc;
	int64_t min_age = 300;
	int left = 0, bad = 0;
	size_t i;

	parse_opts(c, argc, argv, opts);
	if (age != NULL && util_strtonum(age, strlen(age), 0, 86400 * 30,
	                       &min_age, NULL, 0) != PS_OK) {
		fail(c, "--min-age \"%s\" is not 0 to 2592000 seconds", age);
		return 1;
	}
	if (open_db(c, CMD_DB_RUNTIME) != 0)
		return 1;
	if (slug != NULL) {
		if ((pc = conf_practice(c->conf, slug)) == NULL) {
			fail(c, "no practice \"%s\" in %s", slug, c->conf_path);
			return 1;
		}
		bad = reconcile_one(c, pc, min_age, &left) != 0;
	} else {
		for (i = 0; i < c->conf->npractices; i++)
			bad |= reconcile_one(c, &c->conf->practices[i], min_age,
			           &left) != 0;
	}
	if (bad)
		return 1;
	return left > 0 ? CMD_INCOMPLETE : CMD_OK;
}

/* ---- demo invoices ---- */

/* Gives the demo client three unpaid invoices unless it has invoices. */
static int
seed_invoices(struct ctx *c, const char *slug, const struct db_user *u)
{
	static const struct {
		int days_ago;
		const char *desc;
		int64_t amount;
	} demo[] = {
	    {45, "Individual therapy session (50 min)", 12000},
	    {31, "Individual therapy session (30 min)", 9500},
	    {17, "Family therapy session (50 min)", 15000},
	};
	const struct practice_conf *pc = conf_practice(c->conf, slug);
	struct billing_who w;
	struct bill_line l;
	char dos[11], issued[11], due[11], number[BILL_NUMBER_MAX], msg[512];
	int64_t n = 0, pid = 0, id;
	size_t i;

	if (pc == NULL || db_practice_id(c->db, slug, &pid) != PS_OK ||
	    pid != u->practice_id) {
		fprintf(stderr,
		    "portalctl: %s: the demo client is not in practice %s; "
		    "no invoices added\n",
		    c->cmd, slug);
		return 0;
	}
	if (dbb_invoice_count(c->db, pid, u->client_id, &n) != PS_OK) {
		fail(c, "%s", db_errmsg(c->db));
		return -1;
	}
	if (n > 0) {
		printf("demo invoices exist already\n");
		return 0;
	}
	clinician(c, pc, pid, u->client_id, &w);
	w.actor = DB_ACTOR_SYSTEM;
	for (i = 0; i < sizeof(demo) / sizeof(demo[0]); i++) {
		date_plus(w.practice, w.now, -demo[i].days_ago, dos);
		date_plus(w.practice, w.now, -demo[i].days_ago + 1, issued);
		date_plus(w.practice, w.now, -demo[i].days_ago + 31, due);
		memset(&l, 0, sizeof(l));
		l.date_of_service = dos;
		l.description = demo[i].desc;
		l.quantity = 1;
		l.unit_amount = demo[i].amount;
		if (billing_invoice_create(&w, issued, due, &l, 1, &id, number,
		        msg, sizeof(msg)) != PS_OK) {
			fail(c, "demo invoice: %s", msg);
			return -1;
		}
	}
	printf("%zu demo invoices added\n", sizeof(demo) / sizeof(demo[0]));
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
	parse_opts(c, argc, argv, opts);
	if (!check_email(c, email, lemail, sizeof(lemail)))
		return 1;
	if (pwfile == NULL) {
		fail(c, "--password-file is required");
		exit(CMD_USAGE);
	}
	if (read_password(c, pwfile, pw, sizeof(pw)) != 0)
		goto out;
	if (open_db(c, CMD_DB_RUNTIME) != 0)
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
	if (seed_invoices(c, slug, &u) != 0)
		goto out;
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
    {"db", "init", cmd_db_init},
    {"db", "migrate", cmd_db_migrate},
    {"db", "status", cmd_db_status},
    {"client", "create", cmd_client_create},
    {"client", "invite", cmd_client_invite},
    {"client", "list", cmd_client_list},
    {"invoice", "create", cmd_invoice_create},
    {"invoice", "list", cmd_invoice_list},
    {"card", "list", cmd_card_list},
    {"card", "disable", cmd_card_disable},
    {"payments", "list", cmd_payments_list},
    {"payments", "reconcile", cmd_payments_reconcile},
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
		if (strcmp(argv[i], "-V") == 0 ||
		    strcmp(argv[i], "--version") == 0) {
			printf("portalctl %s\n", PACKAGE_VERSION);
			return 0;
		}
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			c.conf_path = argv[++i];
		else if (strncmp(argv[i], "-c", 2) == 0 && argv[i][2] != '\0')
			c.conf_path = argv[i] + 2;
		else {
			fail(NULL, "unknown option %s (see portalctl -h)",
			    argv[i]);
			return CMD_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return CMD_USAGE;
	}
	if (strcmp(argv[i], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[i], "autopay") == 0)
		return portalctl_autopay(
		    c.conf_path, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "mail") == 0)
		return portalctl_mail(c.conf_path, argc - i - 1, argv + i + 1);
	for (cmd = commands; cmd->group != NULL; cmd++)
		if (strcmp(cmd->group, argv[i]) == 0 && i + 1 < argc &&
		    strcmp(cmd->name, argv[i + 1]) == 0)
			break;
	if (cmd->group == NULL &&
	    (rc = portalctl_docs(c.conf_path, argc - i, argv + i)) >= 0)
		return rc;
	if (cmd->group == NULL) {
		fail(NULL, "unknown command \"%s%s%s\" (see portalctl -h)",
		    argv[i], i + 1 < argc ? " " : "",
		    i + 1 < argc ? argv[i + 1] : "");
		return CMD_USAGE;
	}
	if (cmd_help_asked(argc - i - 2, argv + i + 2)) {
		usage(stdout);
		return CMD_OK;
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
