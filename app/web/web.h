/* web.h: the portal application behind the process model: loading the
 * configuration and templates, per-thread state, and answering one FastCGI
 * request through the HTTP layer, the page handlers and the database. */
#ifndef PORTAL_WEB_H
#define PORTAL_WEB_H

#include <fcgiapp.h>

#include "conf/conf.h"
#include "db/db.h"
#include "gw/gw.h"
#include "http/http.h"
#include "http/response.h"
#include "http/template.h"
#include "server/server.h"

/* The static files the templates name, and the template variable that
 * holds each one's fingerprinted URL ("/static/portal.css?v=..."). */
struct web_asset {
	const char *file; /* under www/static */
	const char *var;  /* template variable */
};
#define WEB_NASSETS 5
extern const struct web_asset web_assets[WEB_NASSETS];

/* Everything a worker needs that is loaded once, read-only afterwards. */
struct app {
	char *config_path;         /* as given to app_load(); owned */
	struct portal_conf *conf;  /* owned */
	struct tmpl_set *tmpl;     /* owned */
	struct http_limits limits; /* from conf->limits */
	char *db_password;         /* NULL when none; wiped at free */
	size_t db_password_len;
	char dummy_hash[128]; /* verified against when no such user, so a
	                         wrong email costs what a wrong password does */
	/* The gateway instance of each practice (parallel to
	 * conf->practices), NULL where Online Payments is off, either in the
	 * YAML or because the plugin failed to start (then the practice's
	 * online_payments was turned off here too). Owned. */
	struct gw_instance **gw;
	/* How many practices with online_payments on in the YAML whose
	 * plugin failed to start (GET /healthz answers 503 while any). */
	size_t gw_failed;
	/* The row id of each practice (parallel to conf->practices), made
	 * by app_practices_sync() at start-up and on reload; 0 where the
	 * database could not be reached then (a worker thread makes the row
	 * on its first connection instead). Owned. */
	int64_t *practice_ids;
	/* The fingerprinted URL of each file of web_assets[] (same order),
	 * "/static/portal.css?v=<12 hex of its SHA-256>", computed at load
	 * from the static folder beside the templates (so a release's new
	 * file gets a new URL and nginx may cache /static/ for a year);
	 * the plain "/static/NAME" when the file is not there. */
	char asset_url[WEB_NASSETS][96];
};

/* Loads config_path (every problem into diag), the templates and the
 * database password, and opens the gateway plugin of each practice with
 * Online Payments on (from conf->paths.plugins). A plugin that does not
 * start is one error log line (practice, plugin, reason) and turns Online
 * Payments off for that practice alone; it does not fail the load. Returns
 * PS_OK with a new *out for app_free(), or an error with err filled (and diag
 * for configuration problems). */
enum pstatus app_load(const char *config_path, struct app **out,
    struct conf_diag *diag, char *err, size_t errsz);
/* Makes or renames the practices' rows (one upsert each, on one
 * connection that is closed again) and keeps their ids in
 * app->practice_ids, so that workers (forked after it) write nothing per
 * connection. Run once by the master at start-up and after a reload, not
 * for `portald -t`. A database that cannot be reached is one warning log
 * line; the ids stay 0 and the workers make the rows. Returns PS_OK or
 * PS_NOMEM. */
enum pstatus app_practices_sync(struct app *app);
/* Frees app, wiping secrets. NULL is fine. */
void app_free(struct app *app);
/* Returns the gateway instance of practice p (one of app->conf->practices),
 * or NULL when Online Payments is off for it. Borrowed from app. */
struct gw_instance *app_gateway(
    const struct app *app, const struct practice_conf *p);
/* Fills *opts from app's listen section. */
void app_server_opts(const struct app *app, struct server_opts *opts);
/* Fills *p with the connection parameters of app (pointers into app). */
void app_db_params(const struct app *app, struct db_params *p);

/* The struct server_hooks callbacks (server.h). */
void *web_thread_init(void *app);
void web_thread_fini(void *tstate);
void web_handle_fcgi(void *tstate, FCGX_Request *req);
enum pstatus web_reload(
    void **app, struct server_opts *opts, char *err, size_t errsz);
void web_app_free(void *app);

/* Answers one parsed request into resp (never fails: problems become error
 * pages). tstate is what web_thread_init() returned. *route gets the
 * matched route's pattern (for the log line; never the raw path, which may
 * hold a token), or "-". */
void web_dispatch(void *tstate, const struct http_request *req,
    struct http_response *resp, const char **route);

#endif
