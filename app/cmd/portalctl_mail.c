/* portalctl_mail.c: `portalctl mail send|status|retry`. The sender runs as
 * this command under a systemd timer (config/systemd/portal-mail.timer)
 * rather than inside portald: the master never touches the database, and
 * a sender thread per worker would multiply with the workers and die with
 * them at every reload. Several senders at once are safe: each claims one
 * message at a time in the database. See portalctl(8). */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "billing/autopay.h"
#include "cmd/cmd.h"
#include "cmd/cmd_db.h"
#include "cmd/portalctl_mail.h"
#include "conf/conf.h"
#include "db/db.h"
#include "db/db_mail.h"
#include "mail/mail.h"

static const char mail_usage[] =
    "  mail send [--limit N] [--loop SECONDS]\n"
    "                                    send the messages due in the "
    "outbox\n"
    "                                    (--loop: again every SECONDS "
    "until SIGTERM)\n"
    "  mail status                       count the outbox and list what "
    "is queued\n"
    "                                    or failed\n"
    "  mail retry                        make queued messages due now and "
    "queue\n"
    "                                    failed ones again\n"
    "  mail notices [--practice SLUG] [--night YYYY-MM-DD] [--month "
    "YYYY-MM]\n"
    "                                    queue the evening summary of the "
    "night's\n"
    "                                    AutoPay charges to each practice "
    "and the\n"
    "                                    reminders of cards expiring at "
    "the end of\n"
    "                                    next month (once each)\n";

struct mctx {
	const char *conf_path;
	const char *cmd;
	struct portal_conf *conf;
	struct db_params p;
	char *pw;
	size_t pwn;
	struct db *db;
};

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

void
portalctl_mail_usage(FILE *f)
{
	fputs(mail_usage, f);
}

static void fail(const struct mctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail(const struct mctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "portalctl: %s: ", c->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int
load(struct mctx *c)
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
	if (cmd_db_params(c->conf, CMD_DB_RUNTIME, &c->p, &c->pw, &c->pwn, err,
	        sizeof(err)) != PS_OK ||
	    db_open(&c->p, &c->db, err, sizeof(err)) != PS_OK) {
		fail(c, "%s", err);
		return -1;
	}
	return 0;
}

/* Reads a --name VALUE / --name=VALUE integer option in [min, max] into
 * *out: returns 1 when argv[*i] was that option, 0 when it was not, -1
 * (printed; a usage error) when its value is missing or out of range. */
static int
int_opt(struct mctx *c, int argc, char **argv, int *i, const char *name,
    int64_t min, int64_t max, int64_t *out)
{
	size_t n = strlen(name);
	const char *v = NULL, *a = argv[*i];

	if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
		return 0;
	if (a[2 + n] == '=')
		v = a + 3 + n;
	else if (a[2 + n] == '\0' && *i + 1 < argc)
		v = argv[++*i];
	else if (a[2 + n] != '\0')
		return 0;
	if (v == NULL ||
	    util_strtonum(v, strlen(v), min, max, out, NULL, 0) != PS_OK) {
		fail(c, "--%s needs a number from %lld to %lld", name,
		    (long long)min, (long long)max);
		return -1;
	}
	return 1;
}

static int
cmd_send(struct mctx *c, int argc, char **argv)
{
	int64_t limit = 0, loop = 0;
	struct mail_smtp *s = NULL;
	struct mail_run run, all;
	char *mpw = NULL, err[512];
	size_t mpwn = 0;
	int i, r, rc = 1;

	memset(&all, 0, sizeof(all));
	for (i = 0; i < argc; i++) {
		if ((r = int_opt(c, argc, argv, &i, "limit", 1, 1000000,
		         &limit)) == 1 ||
		    (r == 0 && (r = int_opt(c, argc, argv, &i, "loop", 1, 86400,
		                    &loop)) == 1))
			continue;
		if (r == 0)
			fail(
			    c, "unknown option %s (see portalctl -h)", argv[i]);
		return CMD_USAGE;
	}
	if (load(c) != 0)
		return 1;
	if (c->conf->mail.username != NULL &&
	    conf_secret_read(&c->conf->mail.password, &mpw, &mpwn, err,
	        sizeof(err)) != PS_OK) {
		fail(c, "mail password: %s", err);
		return 1;
	}
	if (mail_smtp_open(&c->conf->mail, mpw, &s, err, sizeof(err)) !=
	    PS_OK) {
		fail(c, "%s", err);
		goto out;
	}
	if (loop > 0) {
		signal(SIGTERM, on_term);
		signal(SIGINT, on_term);
	}
	do {
		if (mail_send_due(c->db, c->conf, s, (int)limit, stdout, &run,
		        err, sizeof(err)) != PS_OK) {
			fail(c, "%s", err);
			if (loop == 0)
				goto out;
		}
		fflush(stdout);
		all.sent += run.sent;
		all.retried += run.retried;
		all.failed += run.failed;
		for (i = 0; loop > 0 && i < loop && !stop; i++)
			sleep(1);
	} while (loop > 0 && !stop);
	printf("mail: %d sent, %d to retry, %d failed\n", all.sent, all.retried,
	    all.failed);
	rc = all.retried + all.failed > 0 ? CMD_INCOMPLETE : CMD_OK;
out:
	mail_smtp_close(s);
	conf_secret_free(mpw, mpwn);
	return rc;
}

static int
status_row(void *arg, const struct dbm_row *r)
{
	char when[32];
	time_t t = (time_t)r->next_attempt_at;
	struct tm tm;

	(void)arg;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	printf("%-8lld %-8s %-18s %-10s %-30s tries %-3lld next %s%s%s\n",
	    (long long)r->id, r->status, r->kind, r->practice_slug, r->to,
	    (long long)r->attempts, when, r->last_error[0] ? "  " : "",
	    r->last_error);
	return 0;
}

static int
cmd_status(struct mctx *c, int argc, char **argv)
{
	struct dbm_counts n;

	(void)argv;
	if (argc > 0) {
		fail(c, "takes no options");
		return CMD_USAGE;
	}
	if (load(c) != 0)
		return 1;
	if (dbm_counts(c->db, &n) != PS_OK) {
		fail(c, "%s", db_errmsg(c->db));
		return 1;
	}
	printf("queued %lld, sending %lld, sent %lld, failed %lld\n",
	    (long long)n.queued, (long long)n.sending, (long long)n.sent,
	    (long long)n.failed);
	if (dbm_unsent_list(c->db, 500, status_row, NULL) != PS_OK) {
		fail(c, "%s", db_errmsg(c->db));
		return 1;
	}
	return 0;
}

static int
cmd_retry(struct mctx *c, int argc, char **argv)
{
	int64_t n = 0;

	(void)argv;
	if (argc > 0) {
		fail(c, "takes no options");
		return CMD_USAGE;
	}
	if (load(c) != 0)
		return 1;
	if (dbm_retry_now(c->db, (int64_t)time(NULL), &n) != PS_OK) {
		fail(c, "%s", db_errmsg(c->db));
		return 1;
	}
	printf(
	    "mail: %lld message%s due now\n", (long long)n, n == 1 ? "" : "s");
	return 0;
}

/* Reads --name VALUE / --name=VALUE text into *out. 1 taken, 0 not this
 * option, -1 bad. */
static int
str_opt(struct mctx *c, int argc, char **argv, int *i, const char *name,
    const char **out)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
		return 0;
	if (a[2 + n] == '=')
		*out = a + 3 + n;
	else if (a[2 + n] == '\0' && *i + 1 < argc)
		*out = argv[++*i];
	else if (a[2 + n] != '\0')
		return 0;
	else {
		fail(c, "--%s needs a value", name);
		return -1;
	}
	return 1;
}

struct remind {
	struct db *db;
	const struct practice_conf *pc;
	int64_t practice_id, now;
	int month, year, queued;
	enum pstatus st;
};

static int
remind_card(void *arg, const struct dbm_card *k)
{
	struct remind *r = arg;
	struct mail_params p;
	char key[96], brand[32];
	struct mail_new m = {.practice_id = r->practice_id,
	    .client_id = k->client_id,
	    .kind = MAIL_CARD_EXPIRING,
	    .params = &p,
	    .dedupe_key = key};
	int q = 0;

	snprintf(brand, sizeof(brand), "%s", k->brand);
	if (brand[0] >= 'a' && brand[0] <= 'z')
		brand[0] = (char)(brand[0] - 32);
	mail_params_init(&p);
	mail_param(&p, "brand", "%s", brand);
	mail_param(&p, "last4", "%s", k->last4);
	mail_param(&p, "exp", "%02d/%04d", r->month, r->year);
	snprintf(key, sizeof(key), "card-expiring:%lld:%04d-%02d",
	    (long long)k->id, r->year, r->month);
	if ((r->st = mail_queue(r->db, &m, r->now, &q)) != PS_OK)
		return 1;
	r->queued += q;
	return 0;
}

static int
cmd_notices(struct mctx *c, int argc, char **argv)
{
	const char *slug = NULL, *night = NULL, *month = NULL;
	char run_on[AUTOPAY_DATE_SIZE], err[512], amt[64];
	int64_t now = (int64_t)time(NULL), start, end, pid, total;
	int i, r, inside, count, queued, mon, year, rc = 0;
	size_t k;
	struct tm tm;
	time_t t;

	for (i = 0; i < argc; i++) {
		if ((r = str_opt(c, argc, argv, &i, "practice", &slug)) == 1 ||
		    (r == 0 && (r = str_opt(c, argc, argv, &i, "night",
		                    &night)) == 1) ||
		    (r == 0 &&
		        (r = str_opt(c, argc, argv, &i, "month", &month)) == 1))
			continue;
		if (r == 0)
			fail(
			    c, "unknown option %s (see portalctl -h)", argv[i]);
		return CMD_USAGE;
	}
	if (night != NULL &&
	    (strlen(night) != 10 || night[4] != '-' || night[7] != '-')) {
		fail(c, "--night takes YYYY-MM-DD");
		return 1;
	}
	/* The reminders name the cards that expire at the end of next
	 * month (UTC), or of --month. */
	t = (time_t)now;
	gmtime_r(&t, &tm);
	mon = tm.tm_mon + 2;
	year = tm.tm_year + 1900;
	if (mon > 12) {
		mon -= 12;
		year++;
	}
	if (month != NULL && (sscanf(month, "%4d-%2d", &year, &mon) != 2 ||
	                         mon < 1 || mon > 12 || strlen(month) != 7)) {
		fail(c, "--month takes YYYY-MM");
		return 1;
	}
	if (load(c) != 0)
		return 1;
	if (slug != NULL && conf_practice(c->conf, slug) == NULL) {
		fail(c, "no practice \"%s\" in %s", slug, c->conf_path);
		return 1;
	}
	for (k = 0; k < c->conf->npractices; k++) {
		const struct practice_conf *pc = &c->conf->practices[k];
		struct remind rm;

		if (slug != NULL && strcmp(slug, pc->slug) != 0)
			continue;
		if (db_practice_ensure(c->db, pc->slug, pc->name, &pid) !=
		    PS_OK) {
			fail(c, "practice %s: %s", pc->slug, db_errmsg(c->db));
			return 1;
		}
		/* Run in the evening, the next night is the one whose
		 * window the next 12 hours reach. */
		if (night != NULL)
			snprintf(run_on, sizeof(run_on), "%s", night);
		else if (autopay_window(c->db, pc, pid, now + 12 * 3600,
		             &inside, run_on, &start, &end, err,
		             sizeof(err)) != PS_OK) {
			fail(c, "%s", err);
			return 1;
		}
		if (autopay_summary_queue(c->db, pc, pid, run_on, now, &count,
		        &total, &queued, err, sizeof(err)) != PS_OK) {
			fail(c, "practice %s: %s", pc->slug, err);
			rc = 1;
		} else {
			money_format(total, pc->currency ? pc->currency : "USD",
			    amt, sizeof(amt));
			printf(
			    "practice %s: AutoPay summary of the night of %s "
			    "(%d charge%s, %s) %s\n",
			    pc->slug, run_on, count, count == 1 ? "" : "s", amt,
			    queued ? "queued" : "was queued before");
		}
		memset(&rm, 0, sizeof(rm));
		rm.db = c->db;
		rm.pc = pc;
		rm.practice_id = pid;
		rm.now = now;
		rm.month = mon;
		rm.year = year;
		if (dbm_cards_expiring(
		        c->db, pid, mon, year, remind_card, &rm) != PS_OK ||
		    rm.st != PS_OK) {
			fail(c, "practice %s: %s", pc->slug, db_errmsg(c->db));
			rc = 1;
		} else {
			printf("practice %s: %d reminder%s of cards expiring "
			       "%02d/%04d queued\n",
			    pc->slug, rm.queued, rm.queued == 1 ? "" : "s", mon,
			    year);
		}
	}
	return rc;
}

int
portalctl_mail(const char *conf_path, int argc, char **argv)
{
	struct mctx c;
	char name[32];
	int rc;

	memset(&c, 0, sizeof(c));
	c.conf_path = conf_path;
	/* mail, mail help and mail COMMAND --help: the usage (on stderr
	 * with exit 2 when no command was given). */
	if (argc < 1 || strcmp(argv[0], "help") == 0 ||
	    cmd_help_asked(argc, argv)) {
		FILE *out = argc < 1 ? stderr : stdout;

		fputs("usage: portalctl [-c portal.yaml] mail COMMAND\n", out);
		fputs(mail_usage, out);
		return argc < 1 ? CMD_USAGE : CMD_OK;
	}
	snprintf(name, sizeof(name), "mail %s", argv[0]);
	c.cmd = name;
	if (db_global_init() != PS_OK) {
		fail(&c, "cannot initialise the MariaDB client library");
		return 1;
	}
	if (strcmp(argv[0], "send") == 0)
		rc = cmd_send(&c, argc - 1, argv + 1);
	else if (strcmp(argv[0], "status") == 0)
		rc = cmd_status(&c, argc - 1, argv + 1);
	else if (strcmp(argv[0], "retry") == 0)
		rc = cmd_retry(&c, argc - 1, argv + 1);
	else if (strcmp(argv[0], "notices") == 0)
		rc = cmd_notices(&c, argc - 1, argv + 1);
	else {
		fail(&c, "unknown command (see portalctl mail help)");
		rc = CMD_USAGE;
	}
	db_close(c.db);
	conf_free(c.conf);
	conf_secret_free(c.pw, c.pwn);
	db_global_end();
	return rc;
}
