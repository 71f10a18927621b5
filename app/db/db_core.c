/* db_core.c: the core queries (db_core.h: practices, clients, portal users,
 * sessions, login throttling, the audit log) over db.c's statement runner;
 * the SQL text is in db_core_sql.h. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "db/db_core.h"
#include "db/db_int.h"

static void
lower_copy(char *dst, const char *src, size_t dstsz)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < dstsz; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

static int
is_hash(const char *h)
{
	size_t i;

	for (i = 0; i < DB_HASH_HEX; i++)
		if (!isxdigit((unsigned char)h[i]) ||
		    isupper((unsigned char)h[i]))
			return 0;
	return h[DB_HASH_HEX] == '\0';
}

static int
check_hash(struct db *db, const char *h)
{
	if (h == NULL || !is_hash(h)) {
		db_set_err(db, "token hash is not 64 lowercase hex characters");
		return 0;
	}
	return 1;
}

/* ---- practices ---- */

enum pstatus
db_practice_id(struct db *db, const char *slug, int64_t *id)
{
	struct arg a[] = {AS(slug)};
	struct col c[] = {{C_I64, id, 0}};
	struct q q = {.id = S_PRACTICE_ID, .a = a, .na = 1, .c = c, .nc = 1};
	enum pstatus st;

	*id = 0;
	if (!db_fits(db, "practice slug", slug, DB_SLUG_MAX))
		return PS_INVALID;
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
db_practice_ensure(
    struct db *db, const char *slug, const char *name, int64_t *id)
{
	struct arg a[] = {AS(slug), AS(name)};
	struct q q = {.id = S_PRACTICE_UPSERT, .a = a, .na = 2};
	enum pstatus st;

	*id = 0;
	if (!db_fits(db, "practice slug", slug, DB_SLUG_MAX) ||
	    !db_fits(db, "practice name", name, DB_PRACTICE_MAX))
		return PS_INVALID;
	if ((st = db_run(db, &q)) != PS_OK)
		return st;
	st = db_practice_id(db, slug, id);
	if (st == PS_NOTFOUND) {
		db_set_err(db, "practice %s vanished after insert", slug);
		st = PS_ERROR;
	}
	return st;
}

/* ---- clients ---- */

static void
client_cols(struct db_client *c, struct col *cols)
{
	cols[0] = (struct col){C_I64, &c->id, 0};
	cols[1] = (struct col){C_I64, &c->practice_id, 0};
	cols[2] = (struct col){C_STR, c->first_name, sizeof(c->first_name)};
	cols[3] = (struct col){C_STR, c->last_name, sizeof(c->last_name)};
	cols[4] = (struct col){C_STR, c->email, sizeof(c->email)};
	cols[5] =
	    (struct col){C_STR, c->date_of_birth, sizeof(c->date_of_birth)};
	cols[6] = (struct col){C_I64, &c->created_at, 0};
}

enum pstatus
db_client_create(struct db *db, int64_t practice_id, const char *first,
    const char *last, const char *email, const char *dob, int64_t now,
    int64_t *id)
{
	struct arg a[] = {
	    AI(practice_id), AS(first), AS(last), AS(email), AS(dob), AI(now)};
	struct q q = {.id = S_CLIENT_INS, .a = a, .na = 6};
	enum pstatus st;

	*id = 0;
	if (!db_fits(db, "first name", first, DB_NAME_MAX) ||
	    !db_fits(db, "last name", last, DB_NAME_MAX) ||
	    !db_fits(db, "email", email, DB_EMAIL_MAX) ||
	    !db_fits(db, "date of birth", dob, 10))
		return PS_INVALID;
	if ((st = db_run(db, &q)) == PS_OK)
		*id = q.insert_id;
	return st;
}

enum pstatus
db_client_get(struct db *db, int64_t practice_id, int64_t client_id,
    struct db_client *out)
{
	struct arg a[] = {AI(practice_id), AI(client_id)};
	struct col c[7];
	struct q q = {.id = S_CLIENT_GET, .a = a, .na = 2, .c = c, .nc = 7};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	client_cols(out, c);
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	if (st != PS_OK)
		memset(out, 0, sizeof(*out));
	return st;
}

struct list_ctx {
	struct db_client_info row;
	int64_t hasp;
	int (*fn)(void *, const struct db_client_info *);
	void *arg;
};

static int
list_row(void *p)
{
	struct list_ctx *l = p;

	l->row.has_password = l->hasp != 0;
	return l->fn(l->arg, &l->row);
}

enum pstatus
db_client_list(struct db *db, int64_t practice_id,
    int (*fn)(void *arg, const struct db_client_info *row), void *arg)
{
	struct list_ctx l;
	struct arg a[] = {AI(practice_id), AI(practice_id)};
	struct col c[11];
	struct q q = {.id = S_CLIENT_LIST, .a = a, .na = 2, .c = c, .nc = 11};

	memset(&l, 0, sizeof(l));
	l.fn = fn;
	l.arg = arg;
	client_cols(&l.row.client, c);
	c[7] = (struct col){
	    C_STR, l.row.practice_slug, sizeof(l.row.practice_slug)};
	c[8] = (struct col){C_I64, &l.row.user_id, 0};
	c[9] = (struct col){C_I64, &l.hasp, 0};
	c[10] = (struct col){C_I64, &l.row.invite_expires_at, 0};
	q.row = list_row;
	q.rowarg = &l;
	return db_run(db, &q);
}

/* ---- portal users ---- */

static void
user_cols(struct db_user *u, struct col *c, int64_t *hasp)
{
	c[0] = (struct col){C_I64, &u->id, 0};
	c[1] = (struct col){C_I64, &u->practice_id, 0};
	c[2] = (struct col){C_I64, &u->client_id, 0};
	c[3] = (struct col){C_STR, u->email, sizeof(u->email)};
	c[4] = (struct col){C_STR, u->password_hash, sizeof(u->password_hash)};
	c[5] = (struct col){C_I64, hasp, 0};
	c[6] = (struct col){C_I64, &u->invite_expires_at, 0};
	c[7] = (struct col){C_I64, &u->password_set_at, 0};
}

static enum pstatus
user_get(struct db *db, enum stmt_id id, struct arg *a, size_t na,
    struct db_user *out)
{
	struct col c[8];
	int64_t hasp = 0;
	struct q q = {.id = id, .a = a, .na = na, .c = c, .nc = 8};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	user_cols(out, c, &hasp);
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	if (st != PS_OK)
		memset(out, 0, sizeof(*out));
	else
		out->has_password = hasp != 0;
	return st;
}

enum pstatus
db_user_create(struct db *db, int64_t practice_id, int64_t client_id,
    const char *email, const char *invite_hash, int64_t invite_expires,
    int64_t now, int64_t *id)
{
	char lower[DB_EMAIL_MAX + 1];
	struct arg a[] = {AI(practice_id), AI(client_id), AS(lower),
	    AS(invite_hash), AI(invite_expires), AI(now)};
	struct q q = {.id = S_USER_INS, .a = a, .na = 6};
	enum pstatus st;

	*id = 0;
	if (!db_fits(db, "email", email, DB_EMAIL_MAX))
		return PS_INVALID;
	if (invite_hash != NULL && !check_hash(db, invite_hash))
		return PS_INVALID;
	lower_copy(lower, email, sizeof(lower));
	st = db_run(db, &q);
	if (st == PS_OK)
		*id = q.insert_id;
	return st;
}

enum pstatus
db_user_by_email(struct db *db, const char *email, struct db_user *out)
{
	char lower[DB_EMAIL_MAX + 1];
	struct arg a[] = {AS(lower)};

	if (!db_fits(db, "email", email, DB_EMAIL_MAX)) {
		memset(out, 0, sizeof(*out));
		return PS_NOTFOUND;
	}
	lower_copy(lower, email, sizeof(lower));
	return user_get(db, S_USER_BY_EMAIL, a, 1, out);
}

enum pstatus
db_user_by_id(
    struct db *db, int64_t practice_id, int64_t user_id, struct db_user *out)
{
	struct arg a[] = {AI(practice_id), AI(user_id)};

	return user_get(db, S_USER_BY_ID, a, 2, out);
}

enum pstatus
db_user_by_invite(
    struct db *db, const char *token_hash, int64_t now, struct db_user *out)
{
	struct arg a[] = {AS(token_hash), AI(now)};

	if (token_hash == NULL || !is_hash(token_hash)) {
		memset(out, 0, sizeof(*out));
		return PS_NOTFOUND;
	}
	return user_get(db, S_USER_BY_INVITE, a, 2, out);
}

enum pstatus
db_user_set_invite(struct db *db, int64_t user_id, const char *invite_hash,
    int64_t invite_expires)
{
	struct arg a[] = {AS(invite_hash), AI(invite_expires), AI(user_id)};
	struct q q = {.id = S_USER_SET_INVITE, .a = a, .na = 3};
	enum pstatus st;

	if (!check_hash(db, invite_hash))
		return PS_INVALID;
	if ((st = db_run(db, &q)) == PS_OK && q.affected == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
db_user_set_password(
    struct db *db, int64_t user_id, const char *pwhash, int64_t now)
{
	struct arg a[] = {AS(pwhash), AI(now), AI(user_id)};
	struct q q = {.id = S_USER_SET_PW, .a = a, .na = 3};
	enum pstatus st;

	if (pwhash == NULL ||
	    !db_fits(db, "password hash", pwhash, DB_PWHASH_MAX))
		return PS_INVALID;
	if ((st = db_run(db, &q)) == PS_OK && q.affected == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
db_user_accept_invite(struct db *db, int64_t user_id, const char *token_hash,
    const char *pwhash, int64_t now)
{
	struct arg a[] = {
	    AS(pwhash), AI(now), AI(user_id), AS(token_hash), AI(now)};
	struct q q = {.id = S_USER_ACCEPT, .a = a, .na = 5};
	enum pstatus st;

	if (pwhash == NULL ||
	    !db_fits(db, "password hash", pwhash, DB_PWHASH_MAX))
		return PS_INVALID;
	if (token_hash == NULL || !is_hash(token_hash))
		return PS_NOTFOUND;
	if ((st = db_run(db, &q)) == PS_OK && q.affected == 0)
		st = PS_NOTFOUND;
	return st;
}

/* ---- sessions ---- */

enum pstatus
db_session_create(struct db *db, const char *token_hash,
    const struct db_user *user, int64_t now, const char *ip, int64_t *id)
{
	struct arg a[] = {AS(token_hash), AI(user->id), AI(user->practice_id),
	    AI(user->client_id), AI(now), AI(now), AS(ip)};
	struct q q = {.id = S_SESS_INS, .a = a, .na = 7};
	enum pstatus st;

	if (id != NULL)
		*id = 0;
	if (!check_hash(db, token_hash) || !db_fits(db, "ip", ip, DB_IP_MAX))
		return PS_INVALID;
	if ((st = db_run(db, &q)) == PS_OK && id != NULL)
		*id = q.insert_id;
	return st;
}

enum pstatus
db_session_get(struct db *db, const char *token_hash, struct db_session *out)
{
	struct arg a[] = {AS(token_hash)};
	struct col c[] = {{C_I64, &out->id, 0}, {C_I64, &out->user_id, 0},
	    {C_I64, &out->practice_id, 0}, {C_I64, &out->client_id, 0},
	    {C_I64, &out->created_at, 0}, {C_I64, &out->last_seen_at, 0}};
	struct q q = {.id = S_SESS_GET, .a = a, .na = 1, .c = c, .nc = 6};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	if (token_hash == NULL || !is_hash(token_hash))
		return PS_NOTFOUND;
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	if (st != PS_OK)
		memset(out, 0, sizeof(*out));
	return st;
}

enum pstatus
db_session_client_get(struct db *db, const char *token_hash,
    struct db_session *out, struct db_client *client)
{
	struct arg a[] = {AS(token_hash)};
	struct col c[13] = {{C_I64, &out->id, 0}, {C_I64, &out->user_id, 0},
	    {C_I64, &out->practice_id, 0}, {C_I64, &out->client_id, 0},
	    {C_I64, &out->created_at, 0}, {C_I64, &out->last_seen_at, 0}};
	struct q q = {
	    .id = S_SESS_CLIENT_GET, .a = a, .na = 1, .c = c, .nc = 13};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	memset(client, 0, sizeof(*client));
	client_cols(client, c + 6);
	if (token_hash == NULL || !is_hash(token_hash))
		return PS_NOTFOUND;
	if ((st = db_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	if (st != PS_OK) {
		memset(out, 0, sizeof(*out));
		memset(client, 0, sizeof(*client));
	}
	return st;
}

enum pstatus
db_session_touch(struct db *db, int64_t id, int64_t now)
{
	struct arg a[] = {AI(now), AI(id)};
	struct q q = {.id = S_SESS_TOUCH, .a = a, .na = 2};
	enum pstatus st;

	if ((st = db_run(db, &q)) == PS_OK && q.affected == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
db_session_delete(struct db *db, const char *token_hash)
{
	struct arg a[] = {AS(token_hash)};
	struct q q = {.id = S_SESS_DEL, .a = a, .na = 1};

	if (token_hash == NULL || !is_hash(token_hash))
		return PS_OK;
	return db_run(db, &q);
}

enum pstatus
db_session_delete_user(struct db *db, int64_t user_id)
{
	struct arg a[] = {AI(user_id)};
	struct q q = {.id = S_SESS_DEL_USER, .a = a, .na = 1};

	return db_run(db, &q);
}

enum pstatus
db_session_delete_expired(struct db *db, int64_t idle, int64_t absolute,
    int64_t now, int64_t *deleted)
{
	struct arg a[] = {AI(now - idle), AI(now - absolute)};
	struct q q = {.id = S_SESS_DEL_EXPIRED, .a = a, .na = 2};
	enum pstatus st;

	if ((st = db_run(db, &q)) == PS_OK && deleted != NULL)
		*deleted = q.affected;
	else if (deleted != NULL)
		*deleted = 0;
	return st;
}

/* ---- login throttling ---- */

static const char *
scope_str(enum db_throttle_scope s)
{
	static const char *const names[] = {[DB_THROTTLE_ACCOUNT] = "account",
	    [DB_THROTTLE_ADDRESS] = "address",
	    [DB_THROTTLE_RESET_ACCOUNT] = "reset_account",
	    [DB_THROTTLE_RESET_ADDRESS] = "reset_address"};

	return names[s];
}

enum pstatus
db_throttle_get(struct db *db, enum db_throttle_scope scope,
    const char *subject, int64_t now, struct db_throttle *out)
{
	int64_t f = 0;
	struct arg a[] = {AS(scope_str(scope)), AS(subject)};
	struct col c[] = {{C_I64, &f, 0}, {C_I64, &out->window_start, 0},
	    {C_I64, &out->locked_until, 0}};
	struct q q = {.id = S_THR_GET, .a = a, .na = 2, .c = c, .nc = 3};
	enum pstatus st;

	(void)now;
	memset(out, 0, sizeof(*out));
	if (subject == NULL || !db_fits(db, "subject", subject, DB_EMAIL_MAX))
		return PS_INVALID;
	st = db_run(db, &q);
	if (st == PS_OK && q.rows == 1)
		out->failures = f > 1000000000 ? 1000000000 : (int)f;
	else
		memset(out, 0, sizeof(*out));
	return st;
}

enum pstatus
db_throttle_fail(struct db *db, enum db_throttle_scope scope,
    const char *subject, int64_t now, int64_t window, int max, int64_t lockout,
    struct db_throttle *out)
{
	int64_t until = now + lockout;
	struct arg a[] = {AS(scope_str(scope)), AS(subject), AI(now), AI(max),
	    AI(until), AI(window), AI(now), AI(max), AI(until), AI(max),
	    AI(until), AI(window), AI(now), AI(window), AI(now), AI(now)};
	struct q q = {.id = S_THR_FAIL, .a = a, .na = 16};
	enum pstatus st;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (subject == NULL || !db_fits(db, "subject", subject, DB_EMAIL_MAX))
		return PS_INVALID;
	if ((st = db_run(db, &q)) != PS_OK)
		return st;
	if (out != NULL)
		st = db_throttle_get(db, scope, subject, now, out);
	return st;
}

enum pstatus
db_throttle_clear(
    struct db *db, enum db_throttle_scope scope, const char *subject)
{
	struct arg a[] = {AS(scope_str(scope)), AS(subject)};
	struct q q = {.id = S_THR_CLEAR, .a = a, .na = 2};

	if (subject == NULL || !db_fits(db, "subject", subject, DB_EMAIL_MAX))
		return PS_INVALID;
	return db_run(db, &q);
}

/* ---- audit log ---- */

static const char *const actors[] = {"client", "clinician", "system"};

enum pstatus
db_audit(struct db *db, int64_t practice_id, int64_t client_id, int64_t user_id,
    enum db_actor actor, const char *action, const char *detail, const char *ip)
{
	char cut[DB_DETAIL_MAX + 1];
	struct arg a[] = {AI(practice_id), AIN(client_id), AIN(user_id),
	    AS(actors[actor <= DB_ACTOR_SYSTEM ? actor : DB_ACTOR_SYSTEM]),
	    AS(action), AS(cut), AS(ip)};
	struct q q = {.id = S_AUDIT_INS, .a = a, .na = 7};
	size_t n;

	if (action == NULL || !db_fits(db, "action", action, DB_ACTION_MAX) ||
	    !db_fits(db, "ip", ip, DB_IP_MAX))
		return PS_INVALID;
	n = detail ? strlen(detail) : 0;
	if (n > DB_DETAIL_MAX) {
		/* Cut at a UTF-8 character boundary. */
		n = DB_DETAIL_MAX;
		while (n > 0 && ((unsigned char)detail[n] & 0xc0) == 0x80)
			n--;
	}
	if (n > 0)
		memcpy(cut, detail, n);
	cut[n] = '\0';
	return db_run(db, &q);
}

struct audit_ctx {
	struct db_audit_row row;
	char actor[16];
	int (*fn)(void *, const struct db_audit_row *);
	void *arg;
};

static int
audit_row(void *p)
{
	struct audit_ctx *x = p;
	int i;

	x->row.actor = DB_ACTOR_SYSTEM;
	for (i = 0; i <= DB_ACTOR_SYSTEM; i++)
		if (strcmp(x->actor, actors[i]) == 0)
			x->row.actor = (enum db_actor)i;
	return x->fn(x->arg, &x->row);
}

enum pstatus
db_audit_list(struct db *db, int64_t practice_id, int64_t client_id, int limit,
    int (*fn)(void *arg, const struct db_audit_row *row), void *arg)
{
	struct audit_ctx x;
	struct arg a[] = {
	    AI(practice_id), AI(client_id), AI(client_id), AI(limit)};
	struct col c[9];
	struct q q = {.id = S_AUDIT_LIST, .a = a, .na = 4, .c = c, .nc = 9};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	c[0] = (struct col){C_I64, &x.row.id, 0};
	c[1] = (struct col){C_I64, &x.row.at, 0};
	c[2] = (struct col){C_I64, &x.row.practice_id, 0};
	c[3] = (struct col){C_I64, &x.row.client_id, 0};
	c[4] = (struct col){C_I64, &x.row.user_id, 0};
	c[5] = (struct col){C_STR, x.actor, sizeof(x.actor)};
	c[6] = (struct col){C_STR, x.row.action, sizeof(x.row.action)};
	c[7] = (struct col){C_STR, x.row.detail, sizeof(x.row.detail)};
	c[8] = (struct col){C_STR, x.row.ip, sizeof(x.row.ip)};
	q.row = audit_row;
	q.rowarg = &x;
	return db_run(db, &q);
}
