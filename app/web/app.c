/* app.c: loading and freeing the application (configuration, templates,
 * database password, the practices' gateway plugins), and the reload hook
 * of the process model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "web/extern.h"

const struct web_asset web_assets[WEB_NASSETS] = {
    {"portal.css", "asset_css"},
    {"print.css", "asset_print_css"},
    {"card.js", "asset_card_js"},
    {"print.js", "asset_print_js"},
    {"favicon.svg", "asset_favicon"},
};

/* Fills app->asset_url from the files in the "static" folder beside
 * templates_dir (www/templates and www/static, in the source tree and
 * as installed). A file that cannot be read keeps its plain URL and is
 * a warning: nginx then serves it uncached (no v=). */
static void
assets_load(struct app *app, const char *templates_dir)
{
	char path[4096], hex[CRYPTO_HEX_SIZE], q[300];
	const char *slash;
	size_t i, dirlen;

	slash = templates_dir != NULL ? strrchr(templates_dir, '/') : NULL;
	/* "/x/www/templates" -> "/x/www"; a trailing slash is skipped. */
	if (slash != NULL && slash[1] == '\0' && slash > templates_dir) {
		const char *p = slash - 1;

		while (p > templates_dir && *p != '/')
			p--;
		slash = *p == '/' ? p : NULL;
	}
	dirlen = slash != NULL ? (size_t)(slash - templates_dir) : 0;
	for (i = 0; i < WEB_NASSETS; i++) {
		FILE *f = NULL;
		char *buf = NULL;
		long len = -1;

		snprintf(app->asset_url[i], sizeof(app->asset_url[i]),
		    "/static/%s", web_assets[i].file);
		if (slash == NULL ||
		    (size_t)snprintf(path, sizeof(path), "%.*s/static/%s",
		        (int)dirlen, templates_dir,
		        web_assets[i].file) >= sizeof(path) ||
		    (f = fopen(path, "rb")) == NULL ||
		    fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
		    fseek(f, 0, SEEK_SET) != 0 ||
		    (buf = malloc((size_t)len + 1)) == NULL ||
		    fread(buf, 1, (size_t)len, f) != (size_t)len) {
			log_warn("event=asset_unreadable file=%s "
			         "action=served_without_fingerprint",
			    log_value(slash != NULL ? path : web_assets[i].file,
			        q, sizeof(q)));
		} else {
			crypto_sha256_hex(buf, (size_t)len, hex);
			snprintf(app->asset_url[i], sizeof(app->asset_url[i]),
			    "/static/%s?v=%.12s", web_assets[i].file, hex);
		}
		free(buf);
		if (f != NULL)
			fclose(f);
	}
}

/* Returns the "plugin:" name of a gateway mapping, for log lines. */
static const char *
plugin_name(const struct conf_node *gateway)
{
	const struct conf_node *n = conf_node_get(gateway, "plugin");

	return n != NULL && n->kind == CN_SCALAR ? n->value : "-";
}

/* Opens the gateway of every practice with Online Payments on; a failure
 * turns Online Payments off for that practice and is logged. Returns
 * PS_OK or PS_NOMEM. */
static enum pstatus
open_gateways(struct app *app)
{
	struct portal_conf *conf = app->conf;
	enum pstatus st = PS_OK;
	size_t i, j;

	app->gw_failed = 0;
	app->gw = calloc(conf->npractices + 1, sizeof(*app->gw));
	if (app->gw == NULL)
		return PS_NOMEM;
	for (i = 0; i < conf->npractices; i++) {
		struct practice_conf *p = &conf->practices[i];
		char err[1024], q[1100], qp[100];
		enum pstatus rc;

		if (!p->online_payments)
			continue;
		if (p->gateway == NULL) {
			errbuf_set(err, sizeof(err),
			    "%s: online_payments is on but there is no "
			    "gateway: mapping",
			    p->file != NULL ? p->file : p->slug);
			rc = PS_INVALID;
		} else if (conf->paths.plugins == NULL) {
			errbuf_set(err, sizeof(err),
			    "paths.plugins is not set in portal.yaml");
			rc = PS_INVALID;
		} else
			rc = gw_practice_open(conf->paths.plugins, p->gateway,
			    p->slug, &app->gw[i], err, sizeof(err));
		if (rc == PS_OK) {
			log_info("event=gateway_started practice=%s plugin=%s",
			    p->slug,
			    log_value(plugin_name(p->gateway), qp, sizeof(qp)));
			continue;
		}
		if (rc == PS_NOMEM) {
			st = PS_NOMEM;
			break;
		}
		/* One line: the reasons joined by "; ". */
		for (j = 0; err[j] != '\0'; j++)
			if (err[j] == '\n')
				err[j] = ';';
		log_error("event=gateway_failed practice=%s plugin=%s "
		          "error=%s action=online_payments_off",
		    p->slug,
		    log_value(
		        p->gateway != NULL ? plugin_name(p->gateway) : "-", qp,
		        sizeof(qp)),
		    log_value(err, q, sizeof(q)));
		app->gw[i] = NULL;
		p->online_payments = 0;
		app->gw_failed++;
	}
	return st;
}

struct gw_instance *
app_gateway(const struct app *app, const struct practice_conf *p)
{
	size_t i;

	if (app == NULL || p == NULL || app->gw == NULL)
		return NULL;
	i = (size_t)(p - app->conf->practices);
	if (i >= app->conf->npractices || !p->online_payments)
		return NULL;
	return app->gw[i];
}

enum pstatus
app_practices_sync(struct app *app)
{
	const struct portal_conf *conf = app->conf;
	struct db_params p;
	struct db *db = NULL;
	char err[256], q[300];
	size_t i;

	free(app->practice_ids);
	app->practice_ids = calloc(conf->npractices + 1, sizeof(int64_t));
	if (app->practice_ids == NULL)
		return PS_NOMEM;
	app_db_params(app, &p);
	if (db_open(&p, &db, err, sizeof(err)) != PS_OK) {
		log_warn("event=practice_sync_deferred error=%s",
		    log_value(err, q, sizeof(q)));
		return PS_OK;
	}
	for (i = 0; i < conf->npractices; i++) {
		const struct practice_conf *pc = &conf->practices[i];

		if (db_practice_ensure(db, pc->slug, pc->name,
		        &app->practice_ids[i]) != PS_OK) {
			log_error("event=practice_sync_failed practice=%s "
			          "error=%s",
			    pc->slug, log_value(db_errmsg(db), q, sizeof(q)));
			app->practice_ids[i] = 0;
		}
	}
	db_close(db);
	return PS_OK;
}

enum pstatus
app_load(const char *config_path, struct app **out, struct conf_diag *diag,
    char *err, size_t errsz)
{
	struct app *app = NULL;
	enum pstatus st;
	char pw[64];

	*out = NULL;
	if ((app = calloc(1, sizeof(*app))) == NULL) {
		errbuf_set(err, errsz, "out of memory");
		return PS_NOMEM;
	}
	if ((app->config_path = strdup(config_path)) == NULL) {
		st = PS_NOMEM;
		errbuf_set(err, errsz, "out of memory");
		goto fail;
	}
	if ((st = conf_load(config_path, &app->conf, diag)) != PS_OK) {
		errbuf_set(err, errsz, "%s: %zu configuration problem(s)",
		    config_path, conf_diag_count(diag));
		goto fail;
	}
	if ((st = tmpl_load_dir(
	         app->conf->paths.templates, &app->tmpl, err, errsz)) != PS_OK)
		goto fail;
	assets_load(app, app->conf->paths.templates);
	app->limits.max_body = (size_t)app->conf->limits.max_body;
	app->limits.max_fields = (size_t)app->conf->limits.max_fields;
	app->limits.max_field_len = (size_t)app->conf->limits.max_field_length;
	app->limits.max_cookies = HTTP_DEFAULT_MAX_COOKIES;
	if (app->conf->database.password.path != NULL ||
	    app->conf->database.password.env != NULL) {
		if ((st = conf_secret_read(&app->conf->database.password,
		         &app->db_password, &app->db_password_len, err,
		         errsz)) != PS_OK)
			goto fail;
	}
	/* A hash to verify against when the email is unknown. */
	if (crypto_random(pw, sizeof(pw)) != PS_OK ||
	    crypto_password_hash(pw, sizeof(pw), app->dummy_hash,
	        sizeof(app->dummy_hash)) != PS_OK) {
		errbuf_set(err, errsz, "cannot compute a password hash");
		st = PS_ERROR;
		goto fail;
	}
	log_set_level((enum log_level)app->conf->log_level);
	log_set_format((enum log_format)app->conf->log_format);
	if ((st = open_gateways(app)) != PS_OK) {
		errbuf_set(err, errsz, "out of memory");
		goto fail;
	}
	*out = app;
	return PS_OK;
fail:
	app_free(app);
	return st;
}

void
app_free(struct app *app)
{
	size_t i;

	if (app == NULL)
		return;
	if (app->gw != NULL && app->conf != NULL)
		for (i = 0; i < app->conf->npractices; i++)
			gw_instance_free(app->gw[i]);
	free(app->gw);
	free(app->practice_ids);
	conf_free(app->conf);
	tmpl_free(app->tmpl);
	if (app->db_password != NULL)
		conf_secret_free(app->db_password, app->db_password_len);
	free(app->config_path);
	free(app);
}

void
app_server_opts(const struct app *app, struct server_opts *o)
{
	const struct conf_listen *l = &app->conf->listen;

	memset(o, 0, sizeof(*o));
	snprintf(o->socket, sizeof(o->socket), "%s",
	    l->socket != NULL ? l->socket
	    : l->tcp != NULL  ? l->tcp
	                      : "");
	o->socket_mode = (unsigned)l->socket_mode;
	if (l->socket_group != NULL)
		snprintf(o->socket_group, sizeof(o->socket_group), "%s",
		    l->socket_group);
	if (l->user != NULL)
		snprintf(o->user, sizeof(o->user), "%s", l->user);
	if (l->group != NULL)
		snprintf(o->group, sizeof(o->group), "%s", l->group);
	o->workers = (int)l->workers;
	o->threads = (int)l->threads;
	o->backlog = 1024;
	o->drain_ms = 4000;
}

void
app_db_params(const struct app *app, struct db_params *p)
{
	const struct conf_database *d = &app->conf->database;

	memset(p, 0, sizeof(*p));
	p->socket = d->socket;
	p->host = d->host;
	p->port = (unsigned)d->port;
	p->user = d->user;
	p->password = app->db_password;
	p->name = d->name;
	p->timeout = 5;
}

enum pstatus
web_reload(void **appp, struct server_opts *opts, char *err, size_t errsz)
{
	const struct app *old = *appp;
	struct app *app = NULL;
	struct conf_diag diag;
	enum pstatus st;

	conf_diag_init(&diag);
	st = app_load(old->config_path, &app, &diag, err, errsz);
	if (st != PS_OK) {
		size_t i;

		for (i = 0; i < diag.n && diag.msgs != NULL; i++)
			if (diag.msgs[i] != NULL) {
				char q[600];

				log_error("event=config_problem problem=%s",
				    log_value(diag.msgs[i], q, sizeof(q)));
			}
		conf_diag_free(&diag);
		return st;
	}
	conf_diag_free(&diag);
	if ((st = app_practices_sync(app)) != PS_OK) {
		errbuf_set(err, errsz, "out of memory");
		app_free(app);
		return st;
	}
	app_server_opts(app, opts);
	*appp = app;
	return PS_OK;
}

void
web_app_free(void *app)
{
	app_free(app);
}
