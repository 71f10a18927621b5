/* portald.c: the FastCGI daemon: load the configuration, then run the
 * master/worker process model until SIGTERM. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "web/web.h"

/* The migrations this build needs (generated from sql/ by make). */
static const struct db_migration migrations[] = {
#include "migrations.h"
};

/* Refuses to serve a database whose schema is behind this build: PS_OK when
 * every migration is recorded, PS_DECLINED with err naming the first missing
 * one and the command to run, PS_RETRY when the database does not answer
 * (the caller starts anyway: /healthz and the workers' reconnects cover an
 * outage). */
static enum pstatus
check_schema(struct app *app, char *err, size_t errsz)
{
	struct db_params p;
	struct db *db = NULL;
	const struct db_migration *first = NULL;
	size_t pending = 0;
	enum pstatus st;

	app_db_params(app, &p);
	if ((st = db_open(&p, &db, err, errsz)) != PS_OK) {
		st = PS_RETRY;
		goto out;
	}
	if ((st = db_migrate_pending(db, migrations,
	         sizeof(migrations) / sizeof(migrations[0]), &pending, &first,
	         err, errsz)) != PS_OK)
		goto out;
	if (pending > 0) {
		snprintf(err, errsz,
		    "the database lacks %zu migration%s (first: %s): run "
		    "`portalctl db migrate` before starting portald",
		    pending, pending == 1 ? "" : "s", first->file);
		st = PS_DECLINED;
	}
out:
	db_close(db);
	return st;
}

/* Prints the usage to out and exits with status: 0 for --help (on
 * stdout), 2 for a usage error (on stderr), as portald(8) says. */
static void
usage(FILE *out, int status)
{
	fprintf(out,
	    "usage: portald [-fhtV] [-c portal.yaml] [-p pidfile]\n"
	    "  -f       stay in the foreground (always; for scripts)\n"
	    "  -h       print this help and exit (also --help)\n"
	    "  -c FILE  configuration (default $PORTAL_CONFIG or "
	    "%s/portal.yaml)\n"
	    "  -p FILE  write the master's pid to FILE\n"
	    "  -t       check the configuration and exit\n"
	    "  -V       print the version and the default paths, and exit\n",
	    PORTAL_SYSCONFDIR);
	exit(status);
}

int
main(int argc, char *argv[])
{
	const char *config = getenv("PORTAL_CONFIG"), *pidfile = NULL;
	char defconf[512], err[512];
	struct conf_diag diag;
	struct server_opts opts;
	struct server_ident ident;
	struct server_hooks hooks = {web_thread_init, web_thread_fini,
	    web_handle_fcgi, web_reload, web_app_free};
	struct app *app = NULL;
	void *appv;
	int ch, test_only = 0, rc = 1;

	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		usage(stdout, 0);
	while ((ch = getopt(argc, argv, "c:fp:thV")) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'f':
			/* Always in the foreground; accepted for scripts. */
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 't':
			test_only = 1;
			break;
		case 'V':
			/* The defaults of portal.yaml(5)'s paths, so an
			 * installation can be checked against its layout. */
			printf("portald %s\n"
			       "config: %s/portal.yaml\n"
			       "templates: %s/www/templates\n"
			       "plugins: %s\n",
			    PACKAGE_VERSION, PORTAL_SYSCONFDIR, PORTAL_DATADIR,
			    PORTAL_PLUGINDIR);
			return 0;
		case 'h':
			usage(stdout, 0);
			break;
		default:
			usage(stderr, 2);
		}
	}
	if (optind != argc)
		usage(stderr, 2);
	if (config == NULL || *config == '\0') {
		snprintf(defconf, sizeof(defconf), "%s/portal.yaml",
		    PORTAL_SYSCONFDIR);
		config = defconf;
	}
	if (db_global_init() != PS_OK) {
		fprintf(stderr, "portald: cannot initialise the MariaDB "
		                "client library\n");
		return 1;
	}
	conf_diag_init(&diag);
	if (app_load(config, &app, &diag, err, sizeof(err)) != PS_OK) {
		conf_diag_print(&diag, stderr);
		fprintf(stderr, "portald: %s\n", err);
		conf_diag_free(&diag);
		return 1;
	}
	conf_diag_free(&diag);
	if (test_only) {
		/* -t also checks every gateway: block against its plugin. */
		conf_diag_init(&diag);
		if (gw_practices_check(app->conf, &diag) != PS_OK ||
		    conf_diag_count(&diag) > 0) {
			conf_diag_print(&diag, stderr);
			fprintf(stderr, "portald: %s: %zu gateway problem%s\n",
			    config, conf_diag_count(&diag),
			    conf_diag_count(&diag) == 1 ? "" : "s");
			conf_diag_free(&diag);
			app_free(app);
			return 1;
		}
		conf_diag_free(&diag);
		app_server_opts(app, &opts);
		switch (server_identity(&opts, &ident, err, sizeof(err))) {
		case PS_OK:
			break;
		case PS_DENIED:
			if (geteuid() == 0 && opts.user[0] == '\0') {
				/* Checking as root a file meant for another
				 * start (a test, a non-root run). */
				fprintf(stderr, "portald: warning: %s\n", err);
				break;
			}
			/* FALLTHROUGH */
		default:
			fprintf(stderr, "portald: %s: %s\n", config, err);
			app_free(app);
			return 1;
		}
		printf("portald: %s: configuration OK\n", config);
		app_free(app);
		return 0;
	}
	switch (check_schema(app, err, sizeof(err))) {
	case PS_OK:
		break;
	case PS_RETRY:
		fprintf(stderr,
		    "portald: warning: cannot check the database's migrations "
		    "(%s); starting anyway\n",
		    err);
		break;
	default:
		fprintf(stderr, "portald: %s\n", err);
		app_free(app);
		return 1;
	}
	if (app_practices_sync(app) != PS_OK) {
		fprintf(stderr, "portald: out of memory\n");
		app_free(app);
		return 1;
	}
	if (pidfile != NULL) {
		FILE *f = fopen(pidfile, "w");

		if (f == NULL) {
			fprintf(stderr, "portald: %s: %s\n", pidfile,
			    strerror(errno));
			app_free(app);
			return 1;
		}
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
	app_server_opts(app, &opts);
	appv = app;
	if (server_run(&opts, &hooks, &appv, err, sizeof(err)) != PS_OK)
		fprintf(stderr, "portald: %s\n", err);
	else
		rc = 0;
	app_free(appv);
	if (pidfile != NULL)
		unlink(pidfile);
	return rc;
}
