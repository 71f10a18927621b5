/* db_mail.h: the mail queries of app/db (sql/0009_mail.sql): the outbox
 * (queue, claim, mark sent or failed, status) and password reset links.
 * Used by app/mail, app/billing, app/web and portalctl. Conventions as in
 * db.h; the SQL text is in app/db/db_mail_sql.h, in db.c's statement table. */
#ifndef PORTAL_DB_MAIL_H
#define PORTAL_DB_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

#define DBM_KIND_MAX   32
#define DBM_PARAMS_MAX 8000 /* bytes of "key=value\n" lines */
#define DBM_BOX_MAX    128  /* hex of an encrypted link token */
#define DBM_DEDUPE_MAX 128
#define DBM_ERR_MAX    255

/* A message to queue. practice_id is required; client_id 0 = none. */
struct dbm_new {
	int64_t practice_id;
	int64_t client_id;
	const char *kind;       /* "invite", "receipt", ... (app/mail) */
	const char *to;         /* recipient; NULL = the client's email */
	const char *params;     /* "key=value\n" lines, "" when none */
	const char *secret_box; /* encrypted link token, or NULL */
	const char *dedupe_key; /* a second message with the same key is
	                           not queued; NULL = never deduplicated */
};

/* Queues m at now, due at once, inside the caller's transaction if there
 * is one (that is the point: the message commits with its event). *queued
 * (may be NULL) gets 1, or 0 when dedupe_key was queued before. PS_OK,
 * PS_NOTFOUND (to NULL and no such client), PS_INVALID (too long) or a
 * db.h status. */
enum pstatus dbm_queue(
    struct db *db, const struct dbm_new *m, int64_t now, int *queued);

/* A claimed message, with what the sender needs to render it. */
struct dbm_msg {
	int64_t id;
	int64_t practice_id;
	int64_t client_id;
	char practice_slug[DB_SLUG_MAX + 1];
	char kind[DBM_KIND_MAX + 1];
	char to[DB_EMAIL_MAX + 1];
	char first_name[DB_NAME_MAX + 1]; /* the client's, "" when none */
	char last_name[DB_NAME_MAX + 1];
	char params[DBM_PARAMS_MAX + 1];
	char secret_box[DBM_BOX_MAX + 1]; /* "" when none */
	int64_t attempts;                 /* counting this one */
	int64_t created_at;
};

/* Claims the oldest message due at due_at: 'queued' with next_attempt_at
 * <= due_at, or 'sending' claimed at or before stale_before (its sender
 * died). In one transaction of its own: the row becomes 'sending',
 * claimed_at = now, attempts + 1, and is committed before this returns,
 * so no other sender takes it while this one talks SMTP. PS_OK with *out
 * filled, PS_NOTFOUND when nothing is due, or a db.h status. */
enum pstatus dbm_claim(struct db *db, int64_t due_at, int64_t stale_before,
    int64_t now, struct dbm_msg *out);

/* Marks claimed message id sent at now and forgets its secret. PS_OK,
 * PS_NOTFOUND (not claimed any more) or a db.h status. */
enum pstatus dbm_sent(struct db *db, int64_t id, int64_t now);

/* Gives claimed message id back after a failed try: due again at next_at,
 * or 'failed' for good (its secret forgotten) when next_at is 0. err (no
 * secret in it) is kept for `portalctl mail status`. PS_OK, PS_NOTFOUND or
 * a db.h status. */
enum pstatus dbm_failed(
    struct db *db, int64_t id, int64_t next_at, const char *err);

/* Makes every queued message due at now, and queues again the failed ones
 * that need no link token (those would carry a dead link). *n (may be
 * NULL) gets the count. PS_OK or a db.h status. */
enum pstatus dbm_retry_now(struct db *db, int64_t now, int64_t *n);

/* Counts of the outbox by status. */
struct dbm_counts {
	int64_t queued, sending, sent, failed;
};
enum pstatus dbm_counts(struct db *db, struct dbm_counts *out);

/* One message not yet sent, for `portalctl mail status`. */
struct dbm_row {
	int64_t id;
	char practice_slug[DB_SLUG_MAX + 1];
	char kind[DBM_KIND_MAX + 1];
	char to[DB_EMAIL_MAX + 1];
	char status[16];
	int64_t attempts;
	int64_t next_attempt_at;
	char last_error[DBM_ERR_MAX + 1];
	int64_t created_at;
};

/* Calls fn(arg, row) for the messages not sent (queued, sending, failed),
 * oldest first, at most limit; fn returns non-zero to stop. PS_OK or a
 * db.h status. */
enum pstatus dbm_unsent_list(struct db *db, int limit,
    int (*fn)(void *arg, const struct dbm_row *row), void *arg);

/* A usable card on file, for the "card expiring" reminder. */
struct dbm_card {
	int64_t id;
	int64_t client_id;
	char brand[25];
	char last4[5];
};

/* Calls fn(arg, card) for the usable cards of practice_id that expire at
 * the end of month/year; fn returns non-zero to stop. PS_OK or a db.h
 * status. */
enum pstatus dbm_cards_expiring(struct db *db, int64_t practice_id, int month,
    int year, int (*fn)(void *arg, const struct dbm_card *card), void *arg);

/* ---- password reset links ---- */

/* Stores a reset link of user_id whose token hashes to token_hash, valid
 * until expires. PS_OK or a db.h status. */
enum pstatus dbm_reset_create(struct db *db, int64_t user_id,
    const char *token_hash, int64_t expires, int64_t now);

/* Finds the unused reset link hashing to token_hash that is still valid at
 * now; *user_id and *practice_id get its user and the user's practice.
 * PS_OK, PS_NOTFOUND (unknown, used or expired) or a db.h status. */
enum pstatus dbm_reset_find(struct db *db, const char *token_hash, int64_t now,
    int64_t *user_id, int64_t *practice_id);

/* The one use of a reset link, atomically: marks it used at now and sets
 * the user's password hash, only if it is unused and valid at now. Of two
 * racing uses one gets PS_OK, the other PS_NOTFOUND. *user_id gets the
 * user. Other db.h statuses. */
enum pstatus dbm_reset_use(struct db *db, const char *token_hash, int64_t now,
    const char *pwhash, int64_t *user_id);

#endif
