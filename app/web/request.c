/* request.c: one FastCGI request from the socket to the log line: read the
 * body within the limits, parse, route, check session and CSRF, validate
 * the declared parameters, call the handler, write the response. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "web/extern.h"

/* Parameters of each route (undeclared ones never reach a handler). */
static const struct http_param p_login_form[] = {
    {"welcome", HP_QUERY, 0, 8, http_valid_bool, NULL},
    {"bye", HP_QUERY, 0, 8, http_valid_bool, NULL},
    {"expired", HP_QUERY, 0, 8, http_valid_bool, NULL},
    {"reset", HP_QUERY, 0, 8, http_valid_bool, NULL},
};
static const struct http_param p_login[] = {
    {"csrf", HP_FORM, 1, 128, http_valid_text, NULL},
    {"email", HP_FORM, 1, 254, http_valid_email, "Enter your email address."},
    {"password", HP_FORM, 1, 1024, http_valid_password, "Enter your password."},
};
static const struct http_param p_csrf[] = {
    {"csrf", HP_FORM, 1, 128, http_valid_text, NULL},
};
static const struct http_param p_invite_form[] = {
    {"token", HP_PATH, 1, 128, http_valid_token, NULL},
};
static const struct http_param p_invite[] = {
    {"token", HP_PATH, 1, 128, http_valid_token, NULL},
    {"csrf", HP_FORM, 1, 128, http_valid_text, NULL},
    {"password", HP_FORM, 1, 1024, http_valid_password,
        "Enter a new password."},
    {"password_confirm", HP_FORM, 1, 1024, http_valid_password,
        "Enter the new password again."},
};
static const struct http_param p_forgot[] = {
    {"csrf", HP_FORM, 1, 128, http_valid_text, NULL},
    {"email", HP_FORM, 1, 254, http_valid_email, "Enter your email address."},
};
static const struct http_param p_billing[] = {
    {"paid", HP_QUERY, 0, 8, http_valid_bool, NULL},
};
static const struct http_param p_pay_form[] = {
    {"invoice", HP_QUERY, 0, 20, http_valid_id, NULL},
};
/* The confirm form: amount (cents) and form_key are hidden fields; card is
 * a saved card's id or "new" (then token comes from the card widget, with
 * the card's brand and last 4 for the result page). */
static const struct http_param p_pay[] = {
    {"csrf", HP_FORM, 1, 128, http_valid_text, NULL},
    {"target", HP_FORM, 0, 16, http_valid_text, NULL},
    {"invoice", HP_FORM, 0, 20, http_valid_id, NULL},
    {"amount", HP_FORM, 0, 20, http_valid_int, NULL},
    {"form_key", HP_FORM, 0, 128, http_valid_token, NULL},
    {"card", HP_FORM, 0, 24, http_valid_text, NULL},
    {"token", HP_FORM, 0, 255, http_valid_text, NULL},
    {"card_brand", HP_FORM, 0, 32, http_valid_text, NULL},
    {"card_last4", HP_FORM, 0, 8, http_valid_text, NULL},
    {"save_card", HP_FORM, 0, 8, http_valid_bool, NULL},
    {"make_default", HP_FORM, 0, 8, http_valid_bool, NULL},
};
static const struct http_param p_payment_methods[] = {
    {"saved", HP_QUERY, 0, 8, http_valid_bool, NULL},
    {"default", HP_QUERY, 0, 8, http_valid_bool, NULL},
    {"expired", HP_QUERY, 0, 8, http_valid_bool, NULL},
};
static const struct http_param p_card_new[] = {
    {"csrf", HP_FORM, 1, 128, http_valid_text, NULL},
    {"token", HP_FORM, 0, 255, http_valid_text, NULL},
    {"card_brand", HP_FORM, 0, 32, http_valid_text, NULL},
    {"card_last4", HP_FORM, 0, 8, http_valid_text, NULL},
    {"make_default", HP_FORM, 0, 8, http_valid_bool, NULL},
};
/* 3-D Secure: the attempt or card setup; what the bank's SDK gave back. */
static const struct http_param p_confirm_form[] = {
    {"id", HP_PATH, 1, 20, http_valid_id, NULL},
};
static const struct http_param p_confirm[] = {
    {"id", HP_PATH, 1, 20, http_valid_id, NULL},
    {"csrf", HP_FORM, 1, 128, http_valid_text, NULL},
    {"action_result", HP_FORM, 0, 1024, http_valid_text, NULL},
    {"outcome", HP_FORM, 0, 16, http_valid_text, NULL},
};
static const struct http_param p_card_default[] = {
    {"id", HP_PATH, 1, 20, http_valid_id, NULL},
    {"csrf", HP_FORM, 1, 128, http_valid_text, NULL},
};
static const struct http_param p_documents[] = {
    {"saved", HP_QUERY, 0, 8, http_valid_bool, NULL},
};
static const struct http_param p_documents_card[] = {
    {"csrf", HP_FORM, 1, 128, http_valid_text, NULL},
    {"token", HP_FORM, 0, 255, http_valid_text, NULL},
    {"card_brand", HP_FORM, 0, 32, http_valid_text, NULL},
    {"card_last4", HP_FORM, 0, 8, http_valid_text, NULL},
};
/* Billing documents (app/web/docs.c): a document number; a date range. */
/* A practice slug or plugin name as in the configuration: [a-z0-9_-]. */
static int
valid_name(struct str v, char *err, size_t errsz)
{
	size_t i;

	for (i = 0; i < v.n; i++) {
		char ch = v.p[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		        ch == '-' || ch == '_')) {
			errbuf_set(err, errsz, "Not a valid name.");
			return 0;
		}
	}
	return 1;
}
static const struct http_param p_webhook[] = {
    {"practice", HP_PATH, 1, 64, valid_name, NULL},
    {"plugin", HP_PATH, 1, 64, valid_name, NULL},
};
static const struct http_param p_doc[] = {
    {"id", HP_PATH, 1, 32, http_valid_text, NULL},
};
static const struct http_param p_history[] = {
    {"from", HP_QUERY, 0, 10, http_valid_text, NULL},
    {"to", HP_QUERY, 0, 10, http_valid_text, NULL},
};

#define NP(a) (sizeof(a) / sizeof((a)[0]))
#define ROUTE(m, pat, params, np, flags, fn)            \
	{                                               \
		m, pat, params, np, flags, (void *)(fn) \
	}

static const struct http_route routes[] = {
    ROUTE(HTTP_GET, "/", NULL, 0, 0, h_home),
    ROUTE(HTTP_GET, "/login", p_login_form, NP(p_login_form), 0, h_login_form),
    ROUTE(HTTP_POST, "/login", p_login, NP(p_login), R_ANON_CSRF, h_login),
    ROUTE(HTTP_POST, "/logout", p_csrf, NP(p_csrf), R_AUTH | R_CSRF, h_logout),
    ROUTE(HTTP_GET, "/invite/:token", p_invite_form, NP(p_invite_form), 0,
        h_invite_form),
    ROUTE(HTTP_POST, "/invite/:token", p_invite, NP(p_invite), R_ANON_CSRF,
        h_invite),
    ROUTE(HTTP_GET, "/forgot", NULL, 0, 0, h_forgot_form),
    ROUTE(HTTP_POST, "/forgot", p_forgot, NP(p_forgot), R_ANON_CSRF, h_forgot),
    ROUTE(HTTP_GET, "/reset/:token", p_invite_form, NP(p_invite_form), 0,
        h_reset_form),
    ROUTE(HTTP_POST, "/reset/:token", p_invite, NP(p_invite), R_ANON_CSRF,
        h_reset),
    ROUTE(HTTP_GET, "/billing", p_billing, NP(p_billing), R_AUTH, h_billing),
    ROUTE(HTTP_GET, "/billing/pay", p_pay_form, NP(p_pay_form), R_AUTH,
        h_pay_form),
    ROUTE(HTTP_POST, "/billing/pay", p_pay, NP(p_pay), R_AUTH | R_CSRF, h_pay),
    ROUTE(HTTP_GET, "/billing/payments/:id/confirm", p_confirm_form,
        NP(p_confirm_form), R_AUTH, h_pay_confirm_form),
    ROUTE(HTTP_POST, "/billing/payments/:id/confirm", p_confirm, NP(p_confirm),
        R_AUTH | R_CSRF, h_pay_confirm),
    ROUTE(HTTP_POST, "/billing/payment-methods/confirm/:id", p_confirm,
        NP(p_confirm), R_AUTH | R_CSRF, h_card_confirm),
    ROUTE(HTTP_GET, "/documents", p_documents, NP(p_documents), R_AUTH,
        h_documents),
    ROUTE(HTTP_POST, "/documents/credit-card", p_documents_card,
        NP(p_documents_card), R_AUTH | R_CSRF, h_documents_card),
    ROUTE(HTTP_GET, "/billing/payment-methods", p_payment_methods,
        NP(p_payment_methods), R_AUTH, h_payment_methods),
    ROUTE(HTTP_GET, "/billing/payment-methods/new", NULL, 0, R_AUTH,
        h_card_new_form),
    ROUTE(HTTP_POST, "/billing/payment-methods/new", p_card_new, NP(p_card_new),
        R_AUTH | R_CSRF, h_card_new),
    /* Clients may change the default card; there is deliberately no
     * route to edit or remove one (anything else here is 404/405). */
    ROUTE(HTTP_POST, "/billing/payment-methods/:id/default", p_card_default,
        NP(p_card_default), R_AUTH | R_CSRF, h_card_default),
    ROUTE(HTTP_POST, "/webhooks/:practice/:plugin", p_webhook, NP(p_webhook),
        R_RAW, h_webhook),
    ROUTE(HTTP_GET, "/billing/documents", NULL, 0, R_AUTH, h_docs_list),
    ROUTE(HTTP_GET, "/billing/documents/:id/pdf", p_doc, NP(p_doc), R_AUTH,
        h_docs_pdf),
    ROUTE(HTTP_GET, "/billing/documents/:id/print", p_doc, NP(p_doc), R_AUTH,
        h_docs_print),
    ROUTE(HTTP_GET, "/billing/history", p_history, NP(p_history), R_AUTH,
        h_docs_history),
    ROUTE(HTTP_GET, "/billing/history.csv", p_history, NP(p_history), R_AUTH,
        h_docs_history_csv),
    ROUTE(HTTP_GET, "/healthz", NULL, 0, R_RAW, h_healthz),
};

void *
web_thread_init(void *appv)
{
	const struct app *app = appv;
	struct web_thread *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->app = app;
	t->practice_ids = calloc(app->conf->npractices + 1, sizeof(int64_t));
	if (t->practice_ids != NULL && app->practice_ids != NULL)
		memcpy(t->practice_ids, app->practice_ids,
		    app->conf->npractices * sizeof(int64_t));
	/* The benchmark's switch (portald(8)): each response says how many
	 * SQL statements it ran. Never set in production. */
	t->count_statements =
	    getenv("PORTAL_DEBUG_STATEMENTS") != NULL &&
	    strcmp(getenv("PORTAL_DEBUG_STATEMENTS"), "1") == 0;
	if ((t->arena = arena_new()) == NULL || t->practice_ids == NULL) {
		web_thread_fini(t);
		return NULL;
	}
	return t;
}

void
web_thread_fini(void *tv)
{
	struct web_thread *t = tv;

	if (t == NULL)
		return;
	db_close(t->db);
	arena_free(t->arena);
	free(t->practice_ids);
	free(t);
}

struct db *
web_db(struct ctx *c)
{
	struct web_thread *t = c->t;
	struct db_params p;
	char err[256] = "";
	size_t i;

	if (t->db != NULL)
		return t->db;
	app_db_params(t->app, &p);
	if (db_open(&p, &t->db, err, sizeof(err)) != PS_OK) {
		char q[300];

		log_error("event=db_unavailable error=%s",
		    log_value(err, q, sizeof(q)));
		t->db = NULL;
		return NULL;
	}
	/* The master mapped the practices to their rows at start-up
	 * (app_practices_sync); only those it could not are made here. */
	for (i = 0; i < t->app->conf->npractices; i++) {
		const struct practice_conf *p2 = &t->app->conf->practices[i];

		if (t->practice_ids[i] != 0)
			continue;
		if (db_practice_ensure(t->db, p2->slug, p2->name,
		        &t->practice_ids[i]) != PS_OK)
			log_error(
			    "event=practice_sync_failed practice=%s", p2->slug);
	}
	return t->db;
}

int64_t
web_practice_id(struct ctx *c, const struct practice_conf *p)
{
	size_t i = (size_t)(p - c->app->conf->practices);

	return i < c->app->conf->npractices ? c->t->practice_ids[i] : 0;
}

const char *
web_ip(struct ctx *c)
{
	return c->req->remote_addr.n > 0 ? c->req->remote_addr.p : "unknown";
}

void
web_error(struct ctx *c, int status)
{
	c->resp->status = status;
	if (http_error_page(c->resp, status) != PS_OK)
		c->resp->body.n = 0;
}

void
web_redirect(struct ctx *c, const char *to)
{
	if (http_response_redirect(c->resp, 303, to) != PS_OK)
		web_error(c, 500);
}

struct tmpl_val *
web_page_data(struct ctx *c, const char *title, const char *active)
{
	struct tmpl_val *d = tv_obj(c->a);
	size_t i;

	if (d == NULL)
		return NULL;
	tv_str(d, "title", title);
	tv_str(d, "csrf", c->csrf);
	for (i = 0; i < WEB_NASSETS; i++)
		tv_str(d, web_assets[i].var, c->app->asset_url[i]);
	if (c->signed_in) {
		struct tmpl_val *nav;

		tv_bool(d, "signed_in", 1);
		tv_str(d, "client_first", c->client.first_name);
		tv_str(d, "client_last", c->client.last_name);
		if (c->practice != NULL)
			tv_str(d, "practice_name", c->practice->name);
		if (active != NULL && (nav = tv_child(d, "nav")) != NULL) {
			tv_bool(nav, active, 1);
			if (strcmp(active, "documents") != 0)
				tv_bool(nav, "billing_section", 1);
		}
	}
	return d;
}

void
web_field_errors(struct ctx *c, struct tmpl_val *data)
{
	struct tmpl_val *list;
	size_t i;

	if (c->nerrs == 0)
		return;
	if ((list = tv_list(data, "errors")) == NULL)
		return;
	tv_bool(data, "has_errors", 1);
	for (i = 0; i < c->nerrs; i++) {
		struct tmpl_val *e = tv_push(list);
		char key[80];

		if (e == NULL)
			return;
		tv_str(e, "field", c->errs[i].field);
		tv_str(e, "msg", c->errs[i].msg);
		snprintf(key, sizeof(key), "err_%s", c->errs[i].field);
		tv_str(data, key, c->errs[i].msg);
	}
}

void
web_render(struct ctx *c, const char *name, struct tmpl_val *data)
{
	char err[256] = "";

	c->resp->body.n = 0;
	if (data == NULL || tmpl_render(c->app->tmpl, name, data,
	                        &c->resp->body, err, sizeof(err)) != PS_OK) {
		if (data != NULL) {
			char q[300];

			log_error("event=render_failed template=%s error=%s",
			    name, log_value(err, q, sizeof(q)));
		}
		web_error(c, 500);
	}
}

void
web_dispatch(void *tv, const struct http_request *req,
    struct http_response *resp, const char **routep)
{
	struct web_thread *t = tv;
	struct ctx c;
	struct http_field pathvars[HTTP_MAX_PATHVARS];
	size_t npv = HTTP_MAX_PATHVARS;
	char allow[64];
	enum pstatus st;
	struct http_request *mreq;

	memset(&c, 0, sizeof(c));
	c.t = t;
	c.app = t->app;
	c.a = t->arena;
	c.req = req;
	c.resp = resp;
	c.now = (int64_t)time(NULL);
	c.nerrs = NP(c.errs);
	*routep = "-";

	st = http_route_match(routes, NP(routes), req, &c.route, pathvars, &npv,
	    allow, sizeof(allow));
	if (st == PS_NOTFOUND) {
		web_error(&c, 404);
		return;
	}
	if (st == PS_DENIED) {
		http_response_header(resp, "Allow", allow);
		web_error(&c, 405);
		return;
	}
	if (st != PS_OK) {
		web_error(&c, 500);
		return;
	}
	*routep = c.route->pattern;
	/* The router's path variables become readable as HP_PATH params. */
	if ((mreq = arena_alloc(c.a, sizeof(*mreq))) == NULL) {
		web_error(&c, 500);
		return;
	}
	*mreq = *req;
	mreq->pathvars = pathvars;
	mreq->npathvars = npv;
	c.req = mreq;

	if (web_db(&c) == NULL) {
		web_error(&c, 503);
		return;
	}
	if (c.route->flags & R_RAW) {
		/* Signed machine requests: their own proof, no cookies. */
		st = http_params_validate(
		    c.a, c.route, c.req, &c.params, c.errs, &c.nerrs);
		if (st != PS_OK) {
			web_error(&c, st == PS_NOMEM ? 500 : 404);
			return;
		}
		((web_handler)c.route->handler)(&c);
		return;
	}
	auth_load_session(&c);
	if ((c.route->flags & R_AUTH) && !c.signed_in) {
		web_redirect(&c, "/login");
		return;
	}
	if ((c.route->flags & (R_CSRF | R_ANON_CSRF)) &&
	    !auth_check_origin(&c)) {
		web_error(&c, 403);
		return;
	}
	if ((c.route->flags & R_CSRF) && !auth_check_csrf(&c, 0)) {
		web_error(&c, 403);
		return;
	}
	if ((c.route->flags & R_ANON_CSRF) && !auth_check_csrf(&c, 1)) {
		web_error(&c, 403);
		return;
	}
	st = http_params_validate(
	    c.a, c.route, c.req, &c.params, c.errs, &c.nerrs);
	if (st == PS_CONFLICT) {
		web_error(&c, 400);
		return;
	}
	if (st != PS_OK && st != PS_INVALID) {
		web_error(&c, 500);
		return;
	}
	if (st == PS_OK)
		c.nerrs = 0;
	/* Forms on the page need a token; POSTs re-show forms too. */
	if (auth_prepare_csrf(&c, !c.signed_in) != PS_OK) {
		web_error(&c, 500);
		return;
	}
	((web_handler)c.route->handler)(&c);
}

/* Reads the request body (CONTENT_LENGTH bytes, at most max) into the
 * arena. Returns PS_OK, PS_TOOBIG or PS_INVALID (short read). */
static enum pstatus
read_body(
    FCGX_Request *r, struct arena *a, size_t max, char **body, size_t *len)
{
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", r->envp);
	int64_t n = 0;
	size_t got = 0;
	char *p;

	*body = NULL;
	*len = 0;
	if (cl == NULL || *cl == '\0')
		return PS_OK;
	if (util_strtonum(cl, strlen(cl), 0, INT64_MAX, &n, NULL, 0) != PS_OK)
		return PS_INVALID;
	if ((uint64_t)n > max)
		return PS_TOOBIG;
	if ((p = arena_alloc(a, (size_t)n + 1)) == NULL)
		return PS_NOMEM;
	while (got < (size_t)n) {
		int k = FCGX_GetStr(p + got, (int)((size_t)n - got), r->in);

		if (k <= 0)
			return PS_INVALID;
		got += (size_t)k;
	}
	p[got] = '\0';
	*body = p;
	*len = got;
	return PS_OK;
}

void
web_handle_fcgi(void *tv, FCGX_Request *r)
{
	struct web_thread *t = tv;
	struct http_request req;
	struct http_response resp;
	struct buf out = {NULL, 0, 0};
	struct timespec t0, t1;
	const char *route = "-", *method;
	char err[256] = "", rid[33];
	char *body = NULL;
	size_t bodylen = 0;
	enum pstatus st;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	arena_reset(t->arena);
	memset(&req, 0, sizeof(req));
	if (http_response_init(&resp, t->arena) != PS_OK) {
		FCGX_PutS("Status: 500 Internal Server Error\r\n\r\n", r->out);
		return;
	}
	method = FCGX_GetParam("REQUEST_METHOD", r->envp);
	if (method == NULL)
		method = "-";
	st = read_body(r, t->arena, t->app->limits.max_body, &body, &bodylen);
	if (st == PS_OK)
		st = http_request_parse(t->arena, (const char *const *)r->envp,
		    body, bodylen, &t->app->limits, &req, err, sizeof(err));
	if (req.request_id.n == 0) {
		unsigned char b[8];
		int i;

		crypto_random(b, sizeof(b));
		for (i = 0; i < 8; i++)
			snprintf(rid + 2 * i, 3, "%02x", b[i]);
		req.request_id.p = rid;
		req.request_id.n = 16;
	}
	if (st == PS_OK) {
		uint64_t n0 = t->db != NULL ? db_statements(t->db) : 0;

		if (req.method == HTTP_HEAD)
			resp.omit_body = 1;
		web_dispatch(t, &req, &resp, &route);
		if (t->count_statements) {
			char n[24];

			snprintf(n, sizeof(n), "%llu",
			    (unsigned long long)(t->db != NULL
			                             ? db_statements(t->db) - n0
			                             : 0));
			http_response_header(&resp, "X-Portal-Statements", n);
		}
	} else {
		resp.status = st == PS_TOOBIG  ? 413
		              : st == PS_NOMEM ? 500
		                               : 400;
		http_error_page(&resp, resp.status);
		if (st == PS_INVALID) {
			char q[300];

			log_info("event=bad_request reason=%s",
			    log_value(err, q, sizeof(q)));
		}
	}
	if (http_response_serialize(&resp, &out) != PS_OK) {
		FCGX_PutS("Status: 500 Internal Server Error\r\n\r\n", r->out);
		resp.status = 500;
	} else
		FCGX_PutStr(out.p, (int)out.n, r->out);
	buf_free(&out);
	http_response_free(&resp);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000L +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000L;
	{
		char qm[32];

		log_info("method=%s route=%s status=%d duration_ms=%ld "
		         "request_id=%.*s",
		    log_value(method, qm, sizeof(qm)), route, resp.status, ms,
		    (int)req.request_id.n, req.request_id.p);
	}
}
