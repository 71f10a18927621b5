/* mail.h: the portal's outgoing mail: queueing a message in the outbox
 * (inside the caller's transaction, with the event that causes it), the
 * messages' words (text and HTML parts), and the sender that claims each
 * due message, sends it over SMTP (libcurl) and records the outcome.
 * Nothing here speaks HTTP; every message names the practice and carries
 * no card number, diagnosis, service code or secret beyond its own link.
 * See portal.yaml(5) (mail:) and portalctl(8) (mail send, mail status). */
#ifndef PORTAL_MAIL_H
#define PORTAL_MAIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/conf.h"
#include "db/db.h"
#include "db/db_mail.h"
#include "util/util.h"

/* The messages (outbox kind) and the params each reads ("key=value"). */
#define MAIL_INVITE            "invite"           /* link token; expires */
#define MAIL_RESET             "reset"            /* link token */
#define MAIL_RECEIPT           "receipt"          /* number, amount, currency */
#define MAIL_AUTOPAY_PAID      "autopay_paid"     /* number, amount, currency */
#define MAIL_AUTOPAY_DECLINED  "autopay_declined" /* amount, currency */
#define MAIL_AUTOPAY_ACTION    "autopay_action"   /* amount, currency */
#define MAIL_AUTOPAY_OFF       "autopay_off"      /* nights */
#define MAIL_AUTOPAY_OFF_STAFF "autopay_off_staff" /* client */
#define MAIL_DOC_SHARED                                               \
	"doc_shared"                       /* doc (invoice|statement| \
	                                      superbill), number */
#define MAIL_CARD_EXPIRING "card_expiring" /* brand, last4, exp */
#define MAIL_AUTOPAY_SUMMARY                           \
	"autopay_summary" /* night, count, total,      \
	                    currency, line=NAME|AMOUNT \
	                    (repeated) */

/* A message's values as "key=value\n" lines. Values lose any CR or LF. */
struct mail_params {
	char p[DBM_PARAMS_MAX + 1];
	size_t n;
	int overflow; /* 1: a value did not fit (mail_queue refuses it) */
};

/* Empties p. */
void mail_params_init(struct mail_params *p);
/* Appends key=value (printf-style value). */
void mail_param(struct mail_params *p, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Copies the value of the first line named key of params (NUL-terminated
 * text, as stored) into out[outsz]; returns 1, or 0 (out "") when absent. */
int mail_param_get(
    const char *params, const char *key, char *out, size_t outsz);

/* What to queue. */
struct mail_new {
	int64_t practice_id;
	int64_t client_id;                /* 0 = none (then to is required) */
	const char *kind;                 /* MAIL_* */
	const char *to;                   /* NULL = the client's email */
	const struct mail_params *params; /* NULL = none */
	/* The link token of MAIL_INVITE and MAIL_RESET (else NULL): sealed
	 * under key[0..keylen) (the portal's secret key) before it is
	 * stored, and opened only by the sender. */
	const char *token;
	const unsigned char *key;
	size_t keylen;
	const char *dedupe_key; /* NULL, or one message per key for good */
};

/* Queues m at now on db, inside the caller's transaction when there is
 * one. *queued (may be NULL) gets 0 when dedupe_key was queued before.
 * PS_OK, PS_INVALID (params overflow, a token without a key) or a
 * db_mail.h status. */
enum pstatus mail_queue(
    struct db *db, const struct mail_new *m, int64_t now, int *queued);

/* Longest link token that can be sealed. */
#define MAIL_TOKEN_MAX 64

/* Seals token (at most MAIL_TOKEN_MAX bytes) under key[0..keylen) with a
 * fresh random nonce into out (hex). PS_OK, PS_INVALID (too long) or
 * PS_ERROR. mail_queue does this for a message's token. */
enum pstatus mail_box_seal(const unsigned char *key, size_t keylen,
    const char *token, char out[DBM_BOX_MAX + 1]);

/* Opens the sealed token box (an outbox row's secret_box) with the key it
 * was sealed under into token. PS_OK or PS_INVALID (not sealed under this
 * key, or damaged). The caller wipes token. */
enum pstatus mail_box_open(const unsigned char *key, size_t keylen,
    const char *box, char token[MAIL_TOKEN_MAX + 1]);

/* ---- words and format ---- */

/* A rendered message: subject, plain text and HTML (heap, buf_free). */
struct mail_text {
	struct buf subject, text, html;
};
void mail_text_free(struct mail_text *t);

/* Renders message m (a claimed outbox row) for practice pc (NULL: the
 * practice is no longer configured; its slug is used as its name) with
 * links under base_url; token is the opened link token or NULL. PS_OK,
 * PS_INVALID (unknown kind, missing token: err says which), PS_NOMEM. */
enum pstatus mail_render(const struct practice_conf *pc, const char *base_url,
    const struct dbm_msg *m, const char *token, struct mail_text *out,
    char *err, size_t errsz);

/* Writes the Message-ID of outbox row (id, created_at) under the domain of
 * from ("<portal.12.1700000000@example.com>") into out[outsz]. The same
 * row always gets the same id, so a message sent again after a crash is
 * recognisably the same message. */
void mail_message_id(
    int64_t id, int64_t created_at, const char *from, char *out, size_t outsz);

/* Builds the RFC 5322 message (multipart/alternative: text, then HTML,
 * 8bit UTF-8) into out. PS_OK or PS_NOMEM. */
enum pstatus mail_mime(const char *from_name, const char *from, const char *to,
    const char *message_id, int64_t date, const struct mail_text *t,
    struct buf *out);

/* ---- sending ---- */

struct mail_smtp;

/* Opens an SMTP client for conf's mail: block with password (NULL when
 * none; copied, wiped at close). PS_OK, PS_INVALID (no smtp_url), PS_NOMEM,
 * PS_ERROR (err says why). */
enum pstatus mail_smtp_open(const struct conf_mail *mc, const char *password,
    struct mail_smtp **out, char *err, size_t errsz);
/* Closes s (and its connection). NULL is fine. */
void mail_smtp_close(struct mail_smtp *s);
/* Sends msg[0..n) to one recipient. PS_OK (the server accepted it),
 * PS_RETRY (not accepted now: connection, TLS, 4xx), PS_DECLINED (refused
 * for good: 5xx), with the reason in err (no secret in it). */
enum pstatus mail_smtp_send(struct mail_smtp *s, const char *to,
    const char *msg, size_t n, char *err, size_t errsz);

/* Counts of one run of mail_send_due. */
struct mail_run {
	int sent;    /* accepted by the SMTP server */
	int retried; /* given back to be tried later */
	int failed;  /* failed for good */
};

/* Sends every message due at now (and those whose sender died), one at a
 * time: claims it (committed), renders it, sends it, marks it sent; a
 * failure is given back with back-off (retry_base doubled per try, at
 * most retry_max) or fails for good after max_attempts or a permanent
 * refusal. Stops after limit messages (0 = no limit) or when none is due.
 * One line per message to report (may be NULL): id, kind, outcome, never
 * the address's content beyond the recipient, never a link. PS_OK (also
 * when some failed: see run), PS_ERROR when the database failed (err). */
enum pstatus mail_send_due(struct db *db, const struct portal_conf *conf,
    struct mail_smtp *s, int limit, FILE *report, struct mail_run *run,
    char *err, size_t errsz);

#endif
