/* portalctl_autopay.c: `portalctl autopay enroll|unenroll|status|run|report|
 * window`: the clinician's AutoPay commands and the night run (see
 * app/billing/autopay.h and portalctl(8)). */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/cmd_db.h"
#include "billing/autopay.h"
#include "billing/billing.h"
#include "cmd/portalctl_autopay.h"
#include "conf/conf.h"
#include "db/db.h"
#include "db/db_autopay.h"
#include "db/db_billing.h"
#include "gw/gw.h"
#include "util/util.h"

static const char usage_text[] =
    "usage: portalctl [-c portal.yaml] autopay COMMAND [OPTIONS]\n"
    "\n"
    "  enroll --practice SLUG --email E     turn AutoPay on for a client "
    "(Online\n"
    "                                       Payments on and a default card "
    "needed)\n"
    "  unenroll --practice SLUG --email E   turn it off\n"
    "  status --practice SLUG [--all]       list enrolled clients (--all: "
    "and the\n"
    "                                       ones turned off)\n"
    "  status --practice SLUG --email E     the client's AutoPay notice "
    "(/billing)\n"
    "  run [--practice SLUG] [--date YYYY-MM-DD] [--dry-run] [--pool N] "
    "[--force]\n"
    "                                       charge the night's balances "
    "(inside each\n"
    "                                       practice's window unless --date "
    "or --force)\n"
    "  report [--practice SLUG] [--date YYYY-MM-DD]\n"
    "                                       what the nights charged, by "
    "outcome\n"
    "  window --practice SLUG [--set HH:MM-HH:MM]\n"
    "                                       show or set the night window "
    "(practice time)\n";

struct actx {
	const char *conf_path;
	const char *cmd;
	struct portal_conf *conf;
	struct db *db;
	struct db_params p;
	char *pw;
	size_t pwn;
};

static void fail(const struct actx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail(const struct actx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "portalctl: autopay %s: ", c->cmd ? c->cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* One option: --name VALUE, --name=VALUE, or a flag (val NULL, *flag). */
struct aopt {
	const char *name;
	const char **val;
	int *flag;
};

/* Parses argv as the options in opts. On a usage error prints what is
 * wrong and exits CMD_USAGE. */
static void
parse(const struct actx *c, int argc, char **argv, const struct aopt *opts)
{
	const struct aopt *o;
	const char *a, *eq;
	size_t n;
	int i;

	for (i = 0; i < argc; i++) {
		a = argv[i];
		if (strncmp(a, "--", 2) != 0) {
			fail(c,
			    "unexpected argument \"%s\" (see portalctl "
			    "autopay help)",
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
			fail(c,
			    "unknown option --%.*s (see portalctl autopay "
			    "help)",
			    (int)n, a);
			exit(CMD_USAGE);
		}
		if (o->flag != NULL) {
			if (eq != NULL) {
				fail(c, "--%s takes no value", o->name);
				exit(CMD_USAGE);
			}
			*o->flag = 1;
			continue;
		}
		if (eq != NULL)
			*o->val = eq + 1;
		else if (i + 1 < argc)
			*o->val = argv[++i];
		else {
			fail(c, "option --%s needs a value", o->name);
			exit(CMD_USAGE);
		}
	}
}

static int
load(struct actx *c)
{
	struct conf_diag d;
	char err[512];

	conf_diag_init(&d);
	if (conf_load(c->conf_path, &c->conf, &d) != PS_OK) {
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
	log_set_level((enum log_level)c->conf->log_level);
	log_set_format((enum log_format)c->conf->log_format);
	if (cmd_db_params(c->conf, CMD_DB_RUNTIME, &c->p, &c->pw, &c->pwn, err,
	        sizeof(err)) != PS_OK) {
		fail(c, "%s", err);
		return -1;
	}
	if (db_open(&c->p, &c->db, err, sizeof(err)) != PS_OK) {
		fail(c, "%s", err);
		return -1;
	}
	return 0;
}

/* The practice slug's configuration and database id. */
static int
practice(struct actx *c, const char *slug, const struct practice_conf **pc,
    int64_t *pid)
{
	enum pstatus st;

	if (slug == NULL || slug[0] == '\0') {
		fail(c, "--practice is required");
		exit(CMD_USAGE);
	}
	if ((*pc = conf_practice(c->conf, slug)) == NULL) {
		fail(c, "no practice \"%s\" in %s", slug, c->conf_path);
		return -1;
	}
	st = db_practice_ensure(c->db, slug, (*pc)->name, pid);
	if (st != PS_OK) {
		fail(c, "practice %s: %s", slug, db_errmsg(c->db));
		return -1;
	}
	return 0;
}

/* The client of practice pid with email (compared lower-cased). */
static int
client(struct actx *c, const char *slug, int64_t pid, const char *email,
    int64_t *cid)
{
	char low[DB_EMAIL_MAX + 1];
	size_t i;
	enum pstatus st;

	if (email == NULL || email[0] == '\0') {
		fail(c, "--email is required");
		exit(CMD_USAGE);
	}
	if (strlen(email) > DB_EMAIL_MAX || !utf8_valid(email, strlen(email))) {
		fail(c, "--email is not an email address");
		return -1;
	}
	for (i = 0; email[i] != '\0'; i++)
		low[i] = (char)tolower((unsigned char)email[i]);
	low[i] = '\0';
	st = dbb_client_by_email(c->db, pid, low, cid);
	if (st == PS_NOTFOUND) {
		fail(c,
		    "no client with email %s in practice %s (portalctl client "
		    "list shows them)",
		    low, slug);
		return -1;
	}
	if (st != PS_OK) {
		fail(c, "%s", db_errmsg(c->db));
		return -1;
	}
	return 0;
}

static void
clinician(struct actx *c, const struct practice_conf *pc, int64_t pid,
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

/* ---- enroll / unenroll ---- */

static int
cmd_enroll(struct actx *c, int argc, char **argv, int on)
{
	const char *slug = NULL, *email = NULL;
	const struct aopt opts[] = {{"practice", &slug, NULL},
	    {"email", &email, NULL}, {NULL, NULL, NULL}};
	const struct practice_conf *pc;
	struct billing_who w;
	int64_t pid, cid;
	char msg[512];
	enum pstatus st;

	parse(c, argc, argv, opts);
	if (load(c) != 0 || practice(c, slug, &pc, &pid) != 0 ||
	    client(c, slug, pid, email, &cid) != 0)
		return 1;
	clinician(c, pc, pid, cid, &w);
	st = on ? autopay_enroll(&w, msg, sizeof(msg))
	        : autopay_unenroll(&w, msg, sizeof(msg));
	if (st != PS_OK) {
		fail(c, "%s", msg);
		return 1;
	}
	printf("%s\n", msg);
	return 0;
}

/* ---- status ---- */

struct status_ctx {
	struct actx *c;
	const struct practice_conf *pc;
	int64_t pid;
	int n;
};

static int
status_row(void *arg, const struct dba_enrollment *e)
{
	struct status_ctx *x = arg;
	struct autopay_status s;
	char card[64] = "no default card", when[32] = "", today[11];
	time_t t = (time_t)e->enrolled_at;

	tz_day(x->pc->tz, (int64_t)time(NULL), today);
	if (autopay_client_status(x->c->db, x->pid, e->client_id,
	        x->pc->currency, today, &s) != PS_OK)
		memset(&s, 0, sizeof(s));
	if (s.has_card)
		snprintf(card, sizeof(card), "%s *%s%s", s.card_brand,
		    s.card_last4, s.card_expired ? " (expired)" : "");
	tz_day(x->pc->tz, (int64_t)t, when);
	printf("%-32s %-20s %-3s since %s  last night %-10s %-15s failed "
	       "%" PRId64 "%s%s%s\n",
	    e->email, card, e->enabled ? "on" : "off", when,
	    e->last_run_on[0] ? e->last_run_on : "-",
	    e->last_status[0] ? e->last_status : "-", e->failed_nights,
	    e->enabled ? ""
	    : strcmp(e->disabled_reason, "failures") == 0
	        ? "  (turned off after failed nights)"
	        : "  (turned off by the clinician)",
	    s.action_required ? "  action required" : "", "");
	x->n++;
	return 0;
}

static int
cmd_status(struct actx *c, int argc, char **argv)
{
	const char *slug = NULL, *email = NULL;
	int all = 0;
	const struct aopt opts[] = {{"practice", &slug, NULL},
	    {"email", &email, NULL}, {"all", NULL, &all}, {NULL, NULL, NULL}};
	struct status_ctx x;
	struct autopay_status s;
	int64_t cid;

	memset(&x, 0, sizeof(x));
	parse(c, argc, argv, opts);
	if (load(c) != 0 || practice(c, slug, &x.pc, &x.pid) != 0)
		return 1;
	x.c = c;
	if (email != NULL) {
		/* What the client's /billing page shows. */
		if (client(c, slug, x.pid, email, &cid) != 0)
			return 1;
		char today[11];

		tz_day(x.pc->tz, (int64_t)time(NULL), today);
		if (autopay_client_status(c->db, x.pid, cid, x.pc->currency,
		        today, &s) != PS_OK) {
			fail(c, "%s", db_errmsg(c->db));
			return 1;
		}
		printf("enrolled: %s\n", s.enrolled ? "yes" : "no");
		printf("notice: %s\n", s.notice);
		printf("action: %s\n", s.action);
		return 0;
	}
	if (dba_enrollment_list(c->db, x.pid, all, status_row, &x) != PS_OK) {
		fail(c, "%s", db_errmsg(c->db));
		return 1;
	}
	printf("%d client%s %s\n", x.n, x.n == 1 ? "" : "s",
	    all ? "listed" : "enrolled");
	return 0;
}

/* ---- run ---- */

static int
run_one(struct actx *c, const struct practice_conf *pc, const char *date,
    int dry, int force, int pool, const char *runner, int *unknown)
{
	struct gw_instance *gw = NULL;
	struct autopay_opts o;
	struct autopay_summary s;
	char err[2048], a[5][64];
	const char *cur = pc->currency ? pc->currency : "USD";
	int64_t pid;
	int rc = 1;
	enum pstatus st;

	if (db_practice_ensure(c->db, pc->slug, pc->name, &pid) != PS_OK) {
		fail(c, "practice %s: %s", pc->slug, db_errmsg(c->db));
		return 1;
	}
	if (!pc->online_payments || pc->gateway == NULL) {
		printf("practice %s: Online Payments are off: no AutoPay\n",
		    pc->slug);
		return 0;
	}
	if (gw_practice_open(c->conf->paths.plugins, pc->gateway, pc->slug, &gw,
	        err, sizeof(err)) != PS_OK) {
		fail(c, "practice %s: the gateway did not start: %s", pc->slug,
		    err);
		return 1;
	}
	memset(&o, 0, sizeof(o));
	o.run_on = date;
	o.force = force;
	o.dry_run = dry;
	o.pool = pool;
	o.dbp = &c->p;
	o.runner = runner;
	o.out = stdout;
	o.progress = !dry && isatty(STDERR_FILENO) ? stderr : NULL;
	/* On a terminal the bar, not a log line per request. */
	if (o.progress != NULL && c->conf->log_level < LOG_LVL_WARN)
		log_set_level(LOG_LVL_WARN);
	st = autopay_run(c->db, pc, pid, gw, &o, &s, err, sizeof(err));
	if (st != PS_OK) {
		fail(c, "%s", err);
		goto out;
	}
	rc = 0;
	if (s.outside_window) {
		printf("practice %s: outside its AutoPay window (night %s, "
		       "practice time %s); nothing done (--date or --force "
		       "to run anyway)\n",
		    pc->slug, s.run_on, pc->timezone ? pc->timezone : "UTC");
		goto out;
	}
	money_format(s.succeeded_amount, cur, a[0], sizeof(a[0]));
	money_format(s.declined_amount, cur, a[1], sizeof(a[1]));
	money_format(s.action_amount, cur, a[2], sizeof(a[2]));
	money_format(s.unknown_amount, cur, a[3], sizeof(a[3]));
	money_format(s.would_amount, cur, a[4], sizeof(a[4]));
	if (dry)
		printf("practice %s night %s: dry run: %" PRId64
		       " would be charged %s, %" PRId64
		       " skipped; nobody was charged\n",
		    pc->slug, s.run_on, s.would_charge, a[4], s.skipped);
	else
		printf("practice %s night %s: %" PRId64 " due, %" PRId64
		       " succeeded %s, %" PRId64 " declined %s, %" PRId64
		       " action required %s, %" PRId64 " unknown %s, %" PRId64
		       " not sent, %" PRId64 " skipped, %" PRId64
		       " turned off, %.1f s\n",
		    pc->slug, s.run_on, s.due, s.succeeded, a[0], s.declined,
		    a[1], s.action_required, a[2], s.unknown, a[3], s.not_sent,
		    s.skipped, s.turned_off, s.seconds);
	*unknown += (int)s.unknown;
out:
	gw_instance_free(gw);
	return rc;
}

static int
cmd_run(struct actx *c, int argc, char **argv)
{
	const char *slug = NULL, *date = NULL, *pool_s = NULL;
	int dry = 0, force = 0, bad = 0, unknown = 0;
	const struct aopt opts[] = {{"practice", &slug, NULL},
	    {"date", &date, NULL}, {"pool", &pool_s, NULL},
	    {"dry-run", NULL, &dry}, {"force", NULL, &force},
	    {NULL, NULL, NULL}};
	const struct practice_conf *pc;
	int64_t pool = AUTOPAY_POOL_DEFAULT, pid;
	char host[64] = "host", runner[DBA_RUNNER_MAX + 1];
	size_t i;

	parse(c, argc, argv, opts);
	if (pool_s != NULL && util_strtonum(pool_s, strlen(pool_s), 1,
	                          AUTOPAY_POOL_MAX, &pool, NULL, 0) != PS_OK) {
		fail(c, "--pool \"%s\" is not 1 to %d", pool_s,
		    AUTOPAY_POOL_MAX);
		return 1;
	}
	if (load(c) != 0)
		return 1;
	gethostname(host, sizeof(host) - 1);
	snprintf(runner, sizeof(runner), "%s:%ld", host, (long)getpid());
	if (slug != NULL) {
		if (practice(c, slug, &pc, &pid) != 0)
			return 1;
		bad = run_one(
		    c, pc, date, dry, force, (int)pool, runner, &unknown);
	} else {
		for (i = 0; i < c->conf->npractices; i++)
			bad |= run_one(c, &c->conf->practices[i], date, dry,
			    force, (int)pool, runner, &unknown);
	}
	if (bad)
		return 1;
	return unknown > 0 ? CMD_INCOMPLETE : CMD_OK;
}

/* ---- report ---- */

static int
cmd_report(struct actx *c, int argc, char **argv)
{
	const char *slug = NULL, *date = NULL;
	const struct aopt opts[] = {{"practice", &slug, NULL},
	    {"date", &date, NULL}, {NULL, NULL, NULL}};
	const struct practice_conf *pc;
	int64_t pid;
	size_t i;
	int bad = 0;

	parse(c, argc, argv, opts);
	if (load(c) != 0)
		return 1;
	for (i = 0; i < c->conf->npractices; i++) {
		pc = &c->conf->practices[i];
		if (slug != NULL && strcmp(slug, pc->slug) != 0)
			continue;
		if (db_practice_ensure(c->db, pc->slug, pc->name, &pid) !=
		        PS_OK ||
		    autopay_report(c->db, pc, pid, date, stdout) != PS_OK) {
			fail(c, "practice %s: %s", pc->slug, db_errmsg(c->db));
			bad = 1;
		}
		if (slug != NULL)
			return bad;
	}
	if (slug != NULL) {
		fail(c, "no practice \"%s\" in %s", slug, c->conf_path);
		return 1;
	}
	return bad;
}

/* ---- window ---- */

static int
hhmm(const char *s, int64_t *mins)
{
	int64_t h, m;

	if (strlen(s) != 5 || s[2] != ':' ||
	    util_strtonum(s, 2, 0, 24, &h, NULL, 0) != PS_OK ||
	    util_strtonum(s + 3, 2, 0, 59, &m, NULL, 0) != PS_OK ||
	    (h == 24 && m != 0))
		return -1;
	*mins = h * 60 + m;
	return 0;
}

static int
cmd_window(struct actx *c, int argc, char **argv)
{
	const char *slug = NULL, *set = NULL;
	const struct aopt opts[] = {
	    {"practice", &slug, NULL}, {"set", &set, NULL}, {NULL, NULL, NULL}};
	const struct practice_conf *pc;
	int64_t pid, start = 0, end = 0;
	char buf[16], run_on[AUTOPAY_DATE_SIZE], err[256];
	int inside = 0;

	parse(c, argc, argv, opts);
	if (load(c) != 0 || practice(c, slug, &pc, &pid) != 0)
		return 1;
	if (set != NULL) {
		if (strlen(set) != 11 || set[5] != '-') {
			fail(c, "--set \"%s\" is not HH:MM-HH:MM", set);
			return 1;
		}
		memcpy(buf, set, 5);
		buf[5] = '\0';
		if (hhmm(buf, &start) != 0 || hhmm(set + 6, &end) != 0 ||
		    start >= 1440 || end == 0 || start == end) {
			fail(c,
			    "--set \"%s\" is not HH:MM-HH:MM (two different "
			    "times)",
			    set);
			return 1;
		}
		if (dba_window_set(
		        c->db, pid, start, end, (int64_t)time(NULL)) != PS_OK) {
			fail(c, "%s", db_errmsg(c->db));
			return 1;
		}
		db_audit(c->db, pid, 0, 0, DB_ACTOR_CLINICIAN, "autopay.window",
		    set, NULL);
	}
	if (autopay_window(c->db, pc, pid, (int64_t)time(NULL), &inside, run_on,
	        &start, &end, err, sizeof(err)) != PS_OK) {
		fail(c, "%s", err);
		return 1;
	}
	printf("practice %s: AutoPay window %02d:%02d-%02d:%02d %s; now %s "
	       "(night %s)\n",
	    pc->slug, (int)(start / 60), (int)(start % 60), (int)(end / 60),
	    (int)(end % 60), pc->timezone ? pc->timezone : "UTC",
	    inside ? "inside" : "outside", run_on);
	return 0;
}

/* ---- dispatch ---- */

int
portalctl_autopay(const char *conf_path, int argc, char **argv)
{
	struct actx c;
	int rc = 1;

	memset(&c, 0, sizeof(c));
	c.conf_path = conf_path;
	/* autopay, autopay help and autopay COMMAND --help: the usage (on
	 * stderr with exit 2 when no command was given). */
	if (argc < 1 || strcmp(argv[0], "help") == 0 ||
	    cmd_help_asked(argc, argv)) {
		fputs(usage_text, argc < 1 ? stderr : stdout);
		return argc < 1 ? CMD_USAGE : CMD_OK;
	}
	c.cmd = argv[0];
	if (db_global_init() != PS_OK) {
		fail(&c, "cannot initialise the MariaDB client library");
		return 1;
	}
	if (strcmp(argv[0], "enroll") == 0)
		rc = cmd_enroll(&c, argc - 1, argv + 1, 1);
	else if (strcmp(argv[0], "unenroll") == 0)
		rc = cmd_enroll(&c, argc - 1, argv + 1, 0);
	else if (strcmp(argv[0], "status") == 0)
		rc = cmd_status(&c, argc - 1, argv + 1);
	else if (strcmp(argv[0], "run") == 0)
		rc = cmd_run(&c, argc - 1, argv + 1);
	else if (strcmp(argv[0], "report") == 0)
		rc = cmd_report(&c, argc - 1, argv + 1);
	else if (strcmp(argv[0], "window") == 0)
		rc = cmd_window(&c, argc - 1, argv + 1);
	else {
		fail(&c, "unknown command (see portalctl autopay help)");
		rc = CMD_USAGE;
	}
	db_close(c.db);
	conf_secret_free(c.pw, c.pwn);
	conf_free(c.conf);
	db_global_end();
	return rc;
}
