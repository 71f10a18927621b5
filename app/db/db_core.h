/* db_core.h: the core queries (db_core.c): practices, clients, portal
 * users, sessions, login throttling and the audit log. The conventions of
 * db.h hold. */
#ifndef PORTAL_DB_CORE_H
#define PORTAL_DB_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

/* ---- practices ---- */

/* Sets *id to the practice with this slug, creating it with name if there
 * is none (an existing row's name is updated to name). PS_OK or PS_ERROR. */
enum pstatus db_practice_ensure(
    struct db *db, const char *slug, const char *name, int64_t *id);

/* Sets *id to the practice with this slug. PS_OK, PS_NOTFOUND or PS_ERROR. */
enum pstatus db_practice_id(struct db *db, const char *slug, int64_t *id);

/* ---- clients ---- */

struct db_client {
	int64_t id;
	int64_t practice_id;
	char first_name[DB_NAME_MAX + 1];
	char last_name[DB_NAME_MAX + 1];
	char email[DB_EMAIL_MAX + 1];
	char date_of_birth[11]; /* "YYYY-MM-DD" or "" when unknown */
	int64_t created_at;
};

/* Inserts a client of practice_id. dob is "YYYY-MM-DD" or NULL. Sets *id.
 * Returns PS_OK, PS_INVALID (bad date: the server refused it) or PS_ERROR. */
enum pstatus db_client_create(struct db *db, int64_t practice_id,
    const char *first, const char *last, const char *email, const char *dob,
    int64_t now, int64_t *id);

/* Reads client client_id of practice practice_id into *out. PS_NOTFOUND
 * when there is no such client in that practice. */
enum pstatus db_client_get(struct db *db, int64_t practice_id,
    int64_t client_id, struct db_client *out);

/* One row of db_client_list: the client, its practice's slug and the state
 * of its portal account. */
struct db_client_info {
	struct db_client client;
	char practice_slug[DB_SLUG_MAX + 1];
	int64_t user_id;           /* 0 when the client has no portal user */
	int has_password;          /* 1 once the invitation was used */
	int64_t invite_expires_at; /* 0 when no invitation is pending */
};

/* Calls fn(arg, row) for each client (of practice_id, or of all practices
 * when practice_id is 0), ordered by practice slug, last and first name.
 * fn returns 0 to go on or non-zero to stop (then PS_OK). The row is valid
 * only during the call. Returns PS_OK or PS_ERROR. */
enum pstatus db_client_list(struct db *db, int64_t practice_id,
    int (*fn)(void *arg, const struct db_client_info *row), void *arg);

/* ---- portal users (client sign-in) ---- */

struct db_user {
	int64_t id;
	int64_t practice_id;
	int64_t client_id;
	char email[DB_EMAIL_MAX + 1];          /* stored lower-case */
	char password_hash[DB_PWHASH_MAX + 1]; /* "" when has_password is 0 */
	int has_password;
	int64_t invite_expires_at; /* 0 when no invitation is pending */
	int64_t password_set_at;   /* 0 when never */
};

/* Creates the portal user of client client_id (practice practice_id) with
 * email (lower-cased here), no password and a pending invitation whose token
 * hashes to invite_hash, valid until invite_expires. Sets *id. Returns PS_OK,
 * PS_CONFLICT (the email or the client already has a user) or PS_ERROR. */
enum pstatus db_user_create(struct db *db, int64_t practice_id,
    int64_t client_id, const char *email, const char *invite_hash,
    int64_t invite_expires, int64_t now, int64_t *id);

/* Finds the user whose email equals email (compared lower-cased). PS_OK,
 * PS_NOTFOUND or PS_ERROR. */
enum pstatus db_user_by_email(
    struct db *db, const char *email, struct db_user *out);

/* Reads user user_id of practice practice_id. PS_OK, PS_NOTFOUND, PS_ERROR. */
enum pstatus db_user_by_id(
    struct db *db, int64_t practice_id, int64_t user_id, struct db_user *out);

/* Finds the user with a pending invitation whose token hashes to
 * token_hash and that has not expired at now. PS_NOTFOUND when unknown,
 * expired or already used. */
enum pstatus db_user_by_invite(
    struct db *db, const char *token_hash, int64_t now, struct db_user *out);

/* Replaces the pending invitation of user_id with a new one (the old link
 * stops working). Returns PS_OK, PS_NOTFOUND (no such user) or PS_ERROR. */
enum pstatus db_user_set_invite(struct db *db, int64_t user_id,
    const char *invite_hash, int64_t invite_expires);

/* Sets the password hash of user_id and clears its invitation, so the
 * invitation link works once. Returns PS_OK, PS_NOTFOUND or PS_ERROR. */
enum pstatus db_user_set_password(
    struct db *db, int64_t user_id, const char *pwhash, int64_t now);

/* The one-time use of an invitation, atomically: sets the password hash of
 * user_id and clears its invitation only if the invitation still hashes to
 * token_hash and has not expired at now. Two requests racing with the same
 * link: one gets PS_OK, the other PS_NOTFOUND. PS_INVALID for a bad hash,
 * PS_UNKNOWN or PS_ERROR. Prefer this to db_user_set_password on the
 * invitation page. */
enum pstatus db_user_accept_invite(struct db *db, int64_t user_id,
    const char *token_hash, const char *pwhash, int64_t now);

/* ---- sessions ---- */

struct db_session {
	int64_t id;
	int64_t user_id;
	int64_t practice_id;
	int64_t client_id;
	int64_t created_at;
	int64_t last_seen_at;
};

/* Stores a new session for user (its id, practice and client) under
 * token_hash, created and last seen at now, from address ip (may be NULL).
 * Sets *id when id is not NULL. Returns PS_OK, PS_CONFLICT (token_hash
 * exists), PS_UNKNOWN or PS_ERROR. */
enum pstatus db_session_create(struct db *db, const char *token_hash,
    const struct db_user *user, int64_t now, const char *ip, int64_t *id);

/* Reads the session stored under token_hash. The caller checks the idle and
 * absolute timeouts against created_at/last_seen_at. PS_OK, PS_NOTFOUND or
 * PS_ERROR. */
enum pstatus db_session_get(
    struct db *db, const char *token_hash, struct db_session *out);

/* Like db_session_get, and fills *client with the session's client (of
 * the session's practice) in the same statement. PS_NOTFOUND when the
 * token is unknown or the client is gone; *out and *client are zeroed
 * unless PS_OK. */
enum pstatus db_session_client_get(struct db *db, const char *token_hash,
    struct db_session *out, struct db_client *client);

/* Sets last_seen_at of session id to now. PS_OK, PS_NOTFOUND or PS_ERROR. */
enum pstatus db_session_touch(struct db *db, int64_t id, int64_t now);

/* Deletes the session stored under token_hash (sign-out). PS_OK (also when
 * there was none) or PS_ERROR. */
enum pstatus db_session_delete(struct db *db, const char *token_hash);

/* Deletes every session of user_id (after a password change). PS_OK or
 * PS_ERROR. */
enum pstatus db_session_delete_user(struct db *db, int64_t user_id);

/* Deletes sessions idle for idle seconds or older than absolute seconds at
 * now. *deleted (may be NULL) gets the count. PS_OK or PS_ERROR. */
enum pstatus db_session_delete_expired(struct db *db, int64_t idle,
    int64_t absolute, int64_t now, int64_t *deleted);

/* ---- login throttling (DESIGN: per account and per address) ---- */

enum db_throttle_scope {
	DB_THROTTLE_ACCOUNT, /* subject: the email, lower-case */
	DB_THROTTLE_ADDRESS, /* subject: the client's IP address text */
	/* "Forgot password?" requests (sql/0009_mail.sql), same subjects */
	DB_THROTTLE_RESET_ACCOUNT,
	DB_THROTTLE_RESET_ADDRESS,
};

struct db_throttle {
	int failures;         /* failures counted in the current window */
	int64_t window_start; /* when the current window began */
	int64_t locked_until; /* locked while now < locked_until; 0 = never */
};

/* Reads the counters of (scope, subject) into *out; all zero when there is
 * no row. PS_OK or PS_ERROR. now is unused today and kept for the API. */
enum pstatus db_throttle_get(struct db *db, enum db_throttle_scope scope,
    const char *subject, int64_t now, struct db_throttle *out);

/* Counts one failure of (scope, subject) at now in one atomic upsert: a row
 * whose window (window seconds from window_start) has passed starts a new
 * window with 1 failure; otherwise failures grows by one. When failures
 * reaches max, locked_until becomes now + lockout. *out (may be NULL) gets
 * the new counters. PS_OK, PS_UNKNOWN or PS_ERROR. */
enum pstatus db_throttle_fail(struct db *db, enum db_throttle_scope scope,
    const char *subject, int64_t now, int64_t window, int max, int64_t lockout,
    struct db_throttle *out);

/* Forgets (scope, subject) (after a successful sign-in). PS_OK or
 * PS_ERROR. */
enum pstatus db_throttle_clear(
    struct db *db, enum db_throttle_scope scope, const char *subject);

/* ---- audit log ---- */

enum db_actor { DB_ACTOR_CLIENT, DB_ACTOR_CLINICIAN, DB_ACTOR_SYSTEM };

/* Appends an audit row stamped with the server's clock. action is short
 * ASCII ("login.ok", "card.add"). client_id and user_id may be 0 (none);
 * detail and ip may be NULL. detail must hold no
 * secret, card number or password; it is cut to DB_DETAIL_MAX bytes.
 * PS_OK, PS_UNKNOWN or PS_ERROR. */
enum pstatus db_audit(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t user_id, enum db_actor actor, const char *action,
    const char *detail, const char *ip);

/* One audit row, as read by db_audit_list. */
struct db_audit_row {
	int64_t id;
	int64_t at;
	int64_t practice_id;
	int64_t client_id; /* 0 = none */
	int64_t user_id;   /* 0 = none */
	enum db_actor actor;
	char action[DB_ACTION_MAX + 1];
	char detail[DB_DETAIL_MAX + 1];
	char ip[DB_IP_MAX + 1];
};

/* Calls fn(arg, row) for the newest limit audit rows of practice_id (and of
 * client_id when it is not 0), newest first; fn returns non-zero to stop.
 * PS_OK or PS_ERROR. */
enum pstatus db_audit_list(struct db *db, int64_t practice_id,
    int64_t client_id, int limit,
    int (*fn)(void *arg, const struct db_audit_row *row), void *arg);

#endif
