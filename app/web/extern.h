/* extern.h: private declarations shared by the page handlers of app/web. */
#ifndef PORTAL_WEB_EXTERN_H
#define PORTAL_WEB_EXTERN_H

#include <stdint.h>

#include "crypto/crypto.h"
#include "http/response.h"
#include "http/route.h"
#include "web/web.h"

#define SESSION_COOKIE "__Host-portal_session"
#define ANON_COOKIE    "__Host-portal_csrf"

/* One worker thread: its database connection (opened lazily, kept), its
 * arena, and the database ids of the configured practices. */
struct web_thread {
	const struct app *app;
	struct db *db; /* NULL until the first request that needs it */
	struct arena *arena;
	int64_t *practice_ids; /* parallel to app->conf->practices */
	int count_statements;  /* PORTAL_DEBUG_STATEMENTS=1: the header */
};

/* Everything one request's handler sees. */
struct ctx {
	struct web_thread *t;
	const struct app *app;
	struct arena *a;
	const struct http_request *req;
	struct http_response *resp;
	const struct http_route *route;
	struct http_params params;
	struct http_param_error errs[16];
	size_t nerrs;
	int64_t now;
	/* Signed-in state (R_AUTH routes, or any route when a valid session
	 * cookie came along). */
	int signed_in;
	struct db_session sess;
	char sess_hash[CRYPTO_HEX_SIZE];
	const struct practice_conf *practice; /* of the session */
	struct db_client client;              /* of the session */
	char csrf[CRYPTO_HEX_SIZE];           /* token for this page's forms */
};

/* Route flags. */
#define R_AUTH      0x1u /* needs a session; else 303 to /login */
#define R_CSRF      0x2u /* POST: session CSRF token required */
#define R_ANON_CSRF 0x4u /* POST: pre-session CSRF token required */
#define R_RAW                                                \
	0x8u /* machine endpoint: no session, no CSRF token, \
	        no cookies set (webhooks: signed bodies) */

typedef void (*web_handler)(struct ctx *);

/* Returns the thread's database connection, opening it if needed; NULL
 * when the database cannot be reached (logged). */
struct db *web_db(struct ctx *c);
/* Makes the response a plain error page for status. */
void web_error(struct ctx *c, int status);
/* Redirects with 303 to the local path to. */
void web_redirect(struct ctx *c, const char *to);
/* Renders template name with data (made by web_page_data(), may get more
 * members) as the body; 500 on failure. */
void web_render(struct ctx *c, const char *name, struct tmpl_val *data);
/* Returns a new template object with what every page shows: the title,
 * the CSRF token, the signed-in client and the navigation state (active is
 * the nav key: "documents", "billing", "payment-methods",
 * "billing-documents", "history" or NULL). NULL when out of memory. */
struct tmpl_val *web_page_data(
    struct ctx *c, const char *title, const char *active);
/* Adds the field errors of c (from validation) to data: a list "errors"
 * (field, msg) and "err_<field>" members for messages next to fields. */
void web_field_errors(struct ctx *c, struct tmpl_val *data);
/* Returns the client's address as text for throttling and audit rows. */
const char *web_ip(struct ctx *c);
/* Returns the database id of the configured practice p (0 if unknown). */
int64_t web_practice_id(struct ctx *c, const struct practice_conf *p);

/* auth.c: sessions and CSRF. */
/* Reads the session cookie into c (signed_in, sess, practice, client) when
 * it names a live session; expired ones are deleted. */
void auth_load_session(struct ctx *c);
/* Sets c->csrf to the token for this page: tied to the session when
 * signed in, else to the pre-session cookie (set here when absent). */
enum pstatus auth_prepare_csrf(struct ctx *c, int anon);
/* Returns 1 when the request's "csrf" form field is valid for the session
 * (anon 0) or the pre-session cookie (anon 1). */
int auth_check_csrf(struct ctx *c, int anon);
/* 1 when the request carries no Origin header or the origin of base_url
 * (scheme, host and port), else 0 with a warn line (event=origin_refused):
 * a state-changing request from another site's page. */
int auth_check_origin(struct ctx *c);

/* Handlers. */
void h_home(struct ctx *);
void h_login_form(struct ctx *);
void h_login(struct ctx *);
void h_logout(struct ctx *);
void h_invite_form(struct ctx *);
void h_invite(struct ctx *);
/* "Forgot password?": the request form, the one answer, the reset link. */
void h_forgot_form(struct ctx *);
void h_forgot(struct ctx *);
void h_reset_form(struct ctx *);
void h_reset(struct ctx *);
/* billing.c: Billing & Payments, paying, Payment Methods, Documents. */
void h_billing(struct ctx *);
void h_pay_form(struct ctx *);
void h_pay(struct ctx *);
void h_pay_confirm_form(struct ctx *);
void h_pay_confirm(struct ctx *);
void h_documents(struct ctx *);
void h_documents_card(struct ctx *);
void h_payment_methods(struct ctx *);
void h_card_new_form(struct ctx *);
void h_card_new(struct ctx *);
void h_card_confirm(struct ctx *);
void h_card_default(struct ctx *);
/* health.c: GET /healthz. */
void h_healthz(struct ctx *);
/* webhook.c: processor notifications. */
void h_webhook(struct ctx *);
/* docs.c: Billing Documents (list, Download, Print), Payment History. */
void h_docs_list(struct ctx *);
void h_docs_pdf(struct ctx *);
void h_docs_print(struct ctx *);
void h_docs_history(struct ctx *);
void h_docs_history_csv(struct ctx *);

#endif
