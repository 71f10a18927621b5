/* auth.c: sign-in, sign-out, invitations, sessions and CSRF tokens.
 *
 * Sessions: a 256-bit random token in the __Host- cookie; the database keeps
 * only its SHA-256. A session ends after the configured idle or absolute
 * time. CSRF: forms of a signed-in client carry HMAC(key, "session:" +
 * session hash); forms before sign-in carry HMAC(key, "anon:" + token) of a
 * random token in a second __Host- cookie (signed double submit). */
#include <stdio.h>
#include <string.h>

#include "db/db_mail.h"
#include "mail/mail.h"
#include "web/extern.h"

#define COOKIE_FLAGS       (COOKIE_SECURE | COOKIE_HTTPONLY | COOKIE_SAMESITE_LAX)
#define MIN_PASSWORD_CHARS 12
/* "Forgot password?": a link works once for an hour; at most RESET_MAX
 * links per account and RESET_MAX_ADDR per address within RESET_WINDOW. */
#define RESET_TTL      3600
#define RESET_MAX      3
#define RESET_MAX_ADDR 20
#define RESET_WINDOW   3600

static void
csrf_for(const struct app *app, const char *kind, const char *subject,
    char out[CRYPTO_HEX_SIZE])
{
	char msg[128];
	int n = snprintf(msg, sizeof(msg), "%s:%s", kind, subject);

	crypto_hmac_hex(app->conf->secret_key, app->conf->secret_key_len, msg,
	    (size_t)n, out);
}

static int
token_shape_ok(const struct str *s)
{
	size_t i;

	if (s == NULL || s->n != CRYPTO_TOKEN_LEN)
		return 0;
	for (i = 0; i < s->n; i++) {
		char ch = s->p[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		        (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return 0;
	}
	return 1;
}

static const struct practice_conf *
practice_by_id(struct ctx *c, int64_t id)
{
	size_t i;

	for (i = 0; i < c->app->conf->npractices; i++)
		if (c->t->practice_ids[i] == id)
			return &c->app->conf->practices[i];
	return NULL;
}

void
auth_load_session(struct ctx *c)
{
	const struct str *tok = http_cookie_get(c->req, SESSION_COOKIE);
	const struct conf_session *cs = &c->app->conf->session;
	struct db *db = c->t->db;

	c->signed_in = 0;
	if (!token_shape_ok(tok))
		return;
	crypto_sha256_hex(tok->p, tok->n, c->sess_hash);
	/* One round trip: the session and its client. */
	if (db_session_client_get(db, c->sess_hash, &c->sess, &c->client) !=
	    PS_OK)
		return;
	if (c->now - c->sess.last_seen_at >= cs->idle_timeout ||
	    c->now - c->sess.created_at >= cs->absolute_timeout) {
		db_session_delete(db, c->sess_hash);
		return;
	}
	c->practice = practice_by_id(c, c->sess.practice_id);
	if (c->practice == NULL)
		return;
	/* Touch at most once a minute: one write per page is not needed
	 * for a 30-minute idle timeout. */
	if (c->now - c->sess.last_seen_at >= 60)
		db_session_touch(db, c->sess.id, c->now);
	c->signed_in = 1;
}

enum pstatus
auth_prepare_csrf(struct ctx *c, int anon)
{
	const struct str *ck;
	char tok[CRYPTO_TOKEN_SIZE];

	if (!anon && c->signed_in) {
		csrf_for(c->app, "session", c->sess_hash, c->csrf);
		return PS_OK;
	}
	ck = http_cookie_get(c->req, ANON_COOKIE);
	if (token_shape_ok(ck)) {
		csrf_for(c->app, "anon", ck->p, c->csrf);
		return PS_OK;
	}
	if (crypto_token_new(tok) != PS_OK)
		return PS_ERROR;
	if (http_response_set_cookie(
	        c->resp, ANON_COOKIE, tok, -1, COOKIE_FLAGS) != PS_OK)
		return PS_ERROR;
	csrf_for(c->app, "anon", tok, c->csrf);
	return PS_OK;
}

int
auth_check_csrf(struct ctx *c, int anon)
{
	const struct str *field = http_form_get(c->req, "csrf");
	char want[CRYPTO_HEX_SIZE];

	if (field == NULL || field->n != CRYPTO_HEX_SIZE - 1)
		return 0;
	if (anon) {
		const struct str *ck = http_cookie_get(c->req, ANON_COOKIE);

		if (!token_shape_ok(ck))
			return 0;
		csrf_for(c->app, "anon", ck->p, want);
	} else {
		if (!c->signed_in)
			return 0;
		csrf_for(c->app, "session", c->sess_hash, want);
	}
	return crypto_ct_eq(field->p, want, CRYPTO_HEX_SIZE - 1);
}

int
auth_check_origin(struct ctx *c)
{
	const struct str *o = &c->req->origin;
	const char *base = c->app->conf->base_url, *host;
	size_t n;
	char q[300], v[260];

	if (o->n == 0)
		return 1; /* no Origin: the CSRF token alone decides */
	n = 0;
	if (base != NULL && (host = strstr(base, "://")) != NULL) {
		host += 3;
		n = (size_t)(host - base) + strcspn(host, "/");
	}
	if (n > 0 && o->n == n && memcmp(o->p, base, n) == 0)
		return 1;
	snprintf(v, sizeof(v), "%.*s", (int)(o->n < 256 ? o->n : 256), o->p);
	log_warn("event=origin_refused origin=%s path=%s",
	    log_value(v, q, sizeof(q)),
	    c->route != NULL ? c->route->pattern : "-");
	return 0;
}

/* Lower-cases an email address into out. */
static void
email_lower(const struct str *s, char *out, size_t outsz)
{
	size_t i;

	for (i = 0; i < s->n && i + 1 < outsz; i++)
		out[i] =
		    (s->p[i] >= 'A' && s->p[i] <= 'Z') ? s->p[i] + 32 : s->p[i];
	out[i] = '\0';
}

static void
login_page(
    struct ctx *c, const char *alert, const char *notice, const char *email)
{
	struct tmpl_val *d = web_page_data(c, "Sign in", NULL);

	if (d == NULL) {
		web_error(c, 500);
		return;
	}
	if (alert != NULL)
		tv_str(d, "alert", alert);
	if (notice != NULL)
		tv_str(d, "notice", notice);
	if (email != NULL)
		tv_str(d, "email", email);
	web_field_errors(c, d);
	web_render(c, "login", d);
}

void
h_home(struct ctx *c)
{
	if (c->signed_in)
		web_redirect(c, "/billing");
	else
		h_login_form(c);
}

void
h_login_form(struct ctx *c)
{
	const char *notice = NULL;

	if (c->signed_in) {
		web_redirect(c, "/billing");
		return;
	}
	if (http_param(&c->params, "welcome") != NULL)
		notice = "Your password is set. Sign in to continue.";
	else if (http_param(&c->params, "bye") != NULL)
		notice = "You have signed out.";
	else if (http_param(&c->params, "expired") != NULL)
		notice = "Your session has ended. Sign in again.";
	else if (http_param(&c->params, "reset") != NULL)
		notice = "Your password is changed. Sign in with the new one.";
	c->nerrs = 0;
	login_page(c, NULL, notice, NULL);
}

/* Returns the minutes left of a lock (at least 1), or 0 when not locked. */
static int64_t
locked_minutes(const struct db_throttle *th, int64_t now)
{
	if (th->locked_until <= now)
		return 0;
	return (th->locked_until - now + 59) / 60;
}

void
h_login(struct ctx *c)
{
	const struct conf_throttle *ct = &c->app->conf->login_throttle;
	struct db *db = c->t->db;
	const struct str *email = http_param(&c->params, "email");
	const struct str *pw = http_param(&c->params, "password");
	struct db_throttle tha, thi;
	struct db_user u;
	char lower[DB_EMAIL_MAX + 1], alert[160], tok[CRYPTO_TOKEN_SIZE];
	char hash[CRYPTO_HEX_SIZE];
	const char *ip = web_ip(c);
	enum pstatus st;
	int64_t mins;
	int ok;

	if (c->nerrs > 0) {
		login_page(c, "Check the fields marked below.", NULL,
		    email != NULL ? email->p : NULL);
		return;
	}
	email_lower(email, lower, sizeof(lower));
	if (db_throttle_get(db, DB_THROTTLE_ACCOUNT, lower, c->now, &tha) !=
	        PS_OK ||
	    db_throttle_get(db, DB_THROTTLE_ADDRESS, ip, c->now, &thi) !=
	        PS_OK) {
		web_error(c, 500);
		return;
	}
	mins = locked_minutes(&tha, c->now);
	if (locked_minutes(&thi, c->now) > mins)
		mins = locked_minutes(&thi, c->now);
	if (mins > 0) {
		snprintf(alert, sizeof(alert),
		    "Too many failed sign-in attempts. Try again in %lld "
		    "minute%s.",
		    (long long)mins, mins == 1 ? "" : "s");
		db_audit(
		    db, 0, 0, 0, DB_ACTOR_CLIENT, "login_throttled", NULL, ip);
		login_page(c, alert, NULL, email->p);
		return;
	}
	st = db_user_by_email(db, lower, &u);
	if (st == PS_OK && u.has_password)
		ok = crypto_password_verify(u.password_hash, pw->p, pw->n) ==
		     PS_OK;
	else {
		/* Same work for an unknown email. */
		crypto_password_verify(c->app->dummy_hash, pw->p, pw->n);
		ok = 0;
	}
	if (st != PS_OK && st != PS_NOTFOUND) {
		web_error(c, 500);
		return;
	}
	if (!ok) {
		db_throttle_fail(db, DB_THROTTLE_ACCOUNT, lower, c->now,
		    ct->window, (int)ct->max_failures_per_account, ct->lockout,
		    &tha);
		db_throttle_fail(db, DB_THROTTLE_ADDRESS, ip, c->now,
		    ct->window, (int)ct->max_failures_per_address, ct->lockout,
		    &thi);
		db_audit(db, st == PS_OK ? u.practice_id : 0,
		    st == PS_OK ? u.client_id : 0, st == PS_OK ? u.id : 0,
		    DB_ACTOR_CLIENT, "login_failed", NULL, ip);
		mins = locked_minutes(&tha, c->now);
		if (locked_minutes(&thi, c->now) > mins)
			mins = locked_minutes(&thi, c->now);
		if (mins > 0)
			snprintf(alert, sizeof(alert),
			    "Too many failed sign-in attempts. Try again in "
			    "%lld minute%s.",
			    (long long)mins, mins == 1 ? "" : "s");
		else
			snprintf(alert, sizeof(alert),
			    "The email or password is incorrect.");
		login_page(c, alert, NULL, email->p);
		return;
	}
	db_throttle_clear(db, DB_THROTTLE_ACCOUNT, lower);
	/* A new session id at every sign-in; an old one is dropped. */
	if (c->signed_in)
		db_session_delete(db, c->sess_hash);
	if (crypto_token_new(tok) != PS_OK) {
		web_error(c, 500);
		return;
	}
	crypto_sha256_hex(tok, CRYPTO_TOKEN_LEN, hash);
	if (db_session_create(db, hash, &u, c->now, ip, NULL) != PS_OK) {
		web_error(c, 500);
		return;
	}
	db_audit(db, u.practice_id, u.client_id, u.id, DB_ACTOR_CLIENT, "login",
	    NULL, ip);
	crypto_wipe(hash, sizeof(hash));
	if (http_response_set_cookie(c->resp, SESSION_COOKIE, tok,
	        c->app->conf->session.absolute_timeout,
	        COOKIE_FLAGS) != PS_OK) {
		crypto_wipe(tok, sizeof(tok));
		web_error(c, 500);
		return;
	}
	crypto_wipe(tok, sizeof(tok));
	web_redirect(c, "/billing");
}

void
h_logout(struct ctx *c)
{
	db_session_delete(c->t->db, c->sess_hash);
	db_audit(c->t->db, c->sess.practice_id, c->sess.client_id,
	    c->sess.user_id, DB_ACTOR_CLIENT, "logout", NULL, web_ip(c));
	http_response_set_cookie(c->resp, SESSION_COOKIE, "", 0, COOKIE_FLAGS);
	web_redirect(c, "/login?bye=1");
}

/* ---- password links: the invitation and the reset link ----
 * Both are a one-time link to a page that sets the password; they differ
 * in how the token is looked up and used, the template and the words. */

struct pw_link {
	const char *tmpl;  /* "invite" or "reset" */
	const char *title; /* the page's */
	/* Finds the user of the path's token hash at now: PS_NOTFOUND when
	 * unknown, expired or used. */
	enum pstatus (*find)(
	    struct ctx *c, const char *hash, struct db_user *u);
	/* Sets the password hash of u if the link is still good, once:
	 * PS_NOTFOUND for the loser of two racing uses. */
	enum pstatus (*use)(struct ctx *c, const struct db_user *u,
	    const char *hash, const char *pwhash);
	const char *audit_detail;
	const char *done; /* where to go after */
};

static enum pstatus
invite_find(struct ctx *c, const char *hash, struct db_user *u)
{
	return db_user_by_invite(c->t->db, hash, c->now, u);
}

static enum pstatus
invite_use(struct ctx *c, const struct db_user *u, const char *hash,
    const char *pwhash)
{
	return db_user_accept_invite(c->t->db, u->id, hash, pwhash, c->now);
}

static enum pstatus
reset_find(struct ctx *c, const char *hash, struct db_user *u)
{
	int64_t uid = 0, pid = 0;
	enum pstatus st = dbm_reset_find(c->t->db, hash, c->now, &uid, &pid);

	return st == PS_OK ? db_user_by_id(c->t->db, pid, uid, u) : st;
}

static enum pstatus
reset_use(struct ctx *c, const struct db_user *u, const char *hash,
    const char *pwhash)
{
	int64_t uid = 0;
	enum pstatus st = dbm_reset_use(c->t->db, hash, c->now, pwhash, &uid);

	if (st == PS_OK && uid != u->id)
		st = PS_NOTFOUND;
	if (st == PS_OK)
		db_throttle_clear(c->t->db, DB_THROTTLE_ACCOUNT, u->email);
	return st;
}

static const struct pw_link invite_link = {"invite", "Set your password",
    invite_find, invite_use, "by invitation", "/login?welcome=1"};
static const struct pw_link reset_link = {"reset", "Choose a new password",
    reset_find, reset_use, "by reset link", "/login?reset=1"};

/* Looks up the link named by the path's token. */
static enum pstatus
link_user(struct ctx *c, const struct pw_link *l, struct db_user *u)
{
	const struct str *tok = http_param(&c->params, "token");
	char hash[CRYPTO_HEX_SIZE];

	if (tok == NULL)
		return PS_NOTFOUND;
	crypto_sha256_hex(tok->p, tok->n, hash);
	return l->find(c, hash, u);
}

static void
link_page(struct ctx *c, const struct pw_link *l, const struct db_user *u,
    const char *alert)
{
	struct tmpl_val *d = web_page_data(c, l->title, NULL);
	const struct str *tok = http_param(&c->params, "token");

	if (d == NULL) {
		web_error(c, 500);
		return;
	}
	if (u == NULL) {
		tv_bool(d, "invalid", 1);
	} else {
		tv_str(d, "email", u->email);
		tv_strn(d, "token", tok->p, tok->n);
	}
	if (alert != NULL)
		tv_str(d, "alert", alert);
	web_field_errors(c, d);
	web_render(c, l->tmpl, d);
}

static void
link_form(struct ctx *c, const struct pw_link *l)
{
	struct db_user u;
	enum pstatus st;

	/* A malformed token is an invalid link, not a form error. */
	if (c->nerrs > 0) {
		c->nerrs = 0;
		link_page(c, l, NULL, NULL);
		return;
	}
	st = link_user(c, l, &u);
	if (st != PS_OK && st != PS_NOTFOUND) {
		web_error(c, 500);
		return;
	}
	link_page(c, l, st == PS_OK ? &u : NULL, NULL);
}

/* Number of characters (code points) of valid UTF-8 s. */
static size_t
utf8_chars(const struct str *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->n; i++)
		if (((unsigned char)s->p[i] & 0xc0) != 0x80)
			n++;
	return n;
}

static void
link_post(struct ctx *c, const struct pw_link *l)
{
	const struct str *pw = http_param(&c->params, "password");
	const struct str *pw2 = http_param(&c->params, "password_confirm");
	const struct str *tok = http_param(&c->params, "token");
	char pwhash[CRYPTO_PWHASH_MAX], hash[CRYPTO_HEX_SIZE];
	struct db_user u;
	enum pstatus st;
	size_t i;

	for (i = 0; i < c->nerrs; i++)
		if (strcmp(c->errs[i].field, "token") == 0) {
			c->nerrs = 0;
			link_page(c, l, NULL, NULL);
			return;
		}
	st = link_user(c, l, &u);
	if (st == PS_NOTFOUND) {
		c->nerrs = 0;
		link_page(c, l, NULL, NULL);
		return;
	}
	if (st != PS_OK) {
		web_error(c, 500);
		return;
	}
	if (c->nerrs == 0 && utf8_chars(pw) < MIN_PASSWORD_CHARS) {
		c->errs[0].field = "password";
		snprintf(c->errs[0].msg, sizeof(c->errs[0].msg),
		    "Use at least %d characters.", MIN_PASSWORD_CHARS);
		c->nerrs = 1;
	} else if (c->nerrs == 0 &&
	           (pw->n != pw2->n || memcmp(pw->p, pw2->p, pw->n) != 0)) {
		c->errs[0].field = "password_confirm";
		snprintf(c->errs[0].msg, sizeof(c->errs[0].msg),
		    "The passwords do not match.");
		c->nerrs = 1;
	}
	if (c->nerrs > 0) {
		link_page(c, l, &u, "Check the fields marked below.");
		return;
	}
	if (crypto_password_hash(pw->p, pw->n, pwhash, sizeof(pwhash)) !=
	    PS_OK) {
		web_error(c, 500);
		return;
	}
	/* One-time: of two submissions of the same link, one wins. */
	crypto_sha256_hex(tok->p, tok->n, hash);
	st = l->use(c, &u, hash, pwhash);
	crypto_wipe(pwhash, sizeof(pwhash));
	if (st == PS_NOTFOUND) {
		c->nerrs = 0;
		link_page(c, l, NULL, NULL);
		return;
	}
	if (st != PS_OK) {
		web_error(c, 500);
		return;
	}
	db_session_delete_user(c->t->db, u.id);
	db_audit(c->t->db, u.practice_id, u.client_id, u.id, DB_ACTOR_CLIENT,
	    "password_set", l->audit_detail, web_ip(c));
	web_redirect(c, l->done);
}

void
h_invite_form(struct ctx *c)
{
	link_form(c, &invite_link);
}

void
h_invite(struct ctx *c)
{
	link_post(c, &invite_link);
}

void
h_reset_form(struct ctx *c)
{
	link_form(c, &reset_link);
}

void
h_reset(struct ctx *c)
{
	link_post(c, &reset_link);
}

/* ---- "Forgot password?" ---- */

static void
forgot_page(struct ctx *c, const char *sent_to, const char *email)
{
	struct tmpl_val *d = web_page_data(c, "Reset your password", NULL);

	if (d == NULL) {
		web_error(c, 500);
		return;
	}
	if (sent_to != NULL)
		tv_str(d, "sent_to", sent_to);
	if (email != NULL)
		tv_str(d, "email", email);
	if (c->nerrs > 0)
		tv_str(d, "alert", "Check the fields marked below.");
	web_field_errors(c, d);
	web_render(c, "forgot", d);
}

void
h_forgot_form(struct ctx *c)
{
	if (c->signed_in) {
		web_redirect(c, "/billing");
		return;
	}
	c->nerrs = 0;
	forgot_page(c, NULL, NULL);
}

struct reset_tx {
	const struct app *app;
	const struct db_user *u;
	const char *token, *hash;
	int64_t now;
};

/* Stores the reset link and queues its mail, together. */
static enum pstatus
reset_fn(struct db *db, void *arg)
{
	struct reset_tx *t = arg;
	struct mail_new m = {.practice_id = t->u->practice_id,
	    .client_id = t->u->client_id,
	    .kind = MAIL_RESET,
	    .to = t->u->email,
	    .token = t->token,
	    .key = t->app->conf->secret_key,
	    .keylen = t->app->conf->secret_key_len};
	enum pstatus st;

	st =
	    dbm_reset_create(db, t->u->id, t->hash, t->now + RESET_TTL, t->now);
	if (st != PS_OK)
		return st;
	return mail_queue(db, &m, t->now, NULL);
}

/* Counts one request of (scope, subject); returns 1 when it is within the
 * limit (then a link may be sent). */
static int
reset_allowed(
    struct ctx *c, enum db_throttle_scope scope, const char *subject, int max)
{
	struct db_throttle th;

	if (db_throttle_get(c->t->db, scope, subject, c->now, &th) != PS_OK ||
	    th.locked_until > c->now)
		return 0;
	return db_throttle_fail(c->t->db, scope, subject, c->now, RESET_WINDOW,
	           max, RESET_WINDOW, NULL) == PS_OK;
}

void
h_forgot(struct ctx *c)
{
	const struct str *email = http_param(&c->params, "email");
	char lower[DB_EMAIL_MAX + 1], tok[CRYPTO_TOKEN_SIZE],
	    hash[CRYPTO_HEX_SIZE];
	const char *ip = web_ip(c);
	struct reset_tx t;
	struct db_user u;
	enum pstatus st;
	int ok_addr, ok_acct;

	if (c->nerrs > 0) {
		forgot_page(c, NULL, email != NULL ? email->p : NULL);
		return;
	}
	email_lower(email, lower, sizeof(lower));
	/* Both counters move for every request, known address or not, and
	 * the answer is the same page whatever happened: nobody learns here
	 * whether an address has an account. */
	ok_addr =
	    reset_allowed(c, DB_THROTTLE_RESET_ADDRESS, ip, RESET_MAX_ADDR);
	ok_acct = reset_allowed(c, DB_THROTTLE_RESET_ACCOUNT, lower, RESET_MAX);
	st = db_user_by_email(c->t->db, lower, &u);
	if (st == PS_OK && ok_addr && ok_acct) {
		if (crypto_token_new(tok) != PS_OK) {
			web_error(c, 500);
			return;
		}
		crypto_sha256_hex(tok, CRYPTO_TOKEN_LEN, hash);
		t.app = c->app;
		t.u = &u;
		t.token = tok;
		t.hash = hash;
		t.now = c->now;
		st = db_tx(c->t->db, reset_fn, &t);
		crypto_wipe(tok, sizeof(tok));
		if (st != PS_OK) {
			log_error("event=reset_queue_failed user_id=%lld "
			          "error=\"%s\"",
			    (long long)u.id, db_errmsg(c->t->db));
			web_error(c, 500);
			return;
		}
		db_audit(c->t->db, u.practice_id, u.client_id, u.id,
		    DB_ACTOR_CLIENT, "password_reset_sent", NULL, ip);
	} else if (st == PS_OK) {
		db_audit(c->t->db, u.practice_id, u.client_id, u.id,
		    DB_ACTOR_CLIENT, "password_reset_throttled", NULL, ip);
	} else if (st != PS_NOTFOUND) {
		web_error(c, 500);
		return;
	}
	forgot_page(c, lower, NULL);
}
