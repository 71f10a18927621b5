/* db_autopay.h: the AutoPay queries of app/db (sql/0006_autopay.sql):
 * enrollments, night windows, the clients due a charge, the one charge per
 * client and night, runs and their report. Used by app/billing/autopay.c.
 * Conventions as in db.h and db_billing.h: every read and write is scoped
 * by practice_id (and client_id), dates are "YYYY-MM-DD" text, and the
 * functions marked "in a transaction" lock rows and must run between
 * db_begin and db_commit (or in db_tx). The SQL text lives in
 * app/db/db_autopay_sql.h, in db.c's statement table: each statement is
 * prepared once per connection and kept, like the platform's own. */
#ifndef PORTAL_DB_AUTOPAY_H
#define PORTAL_DB_AUTOPAY_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

#define DBA_STATUS_MAX 16
#define DBA_RUNNER_MAX 128

/* ---- enrollments ---- */

struct dba_enrollment {
	int64_t client_id;
	char email[DB_EMAIL_MAX + 1];
	char first_name[DB_NAME_MAX + 1];
	char last_name[DB_NAME_MAX + 1];
	int64_t enabled;
	int64_t enrolled_at;
	int64_t disabled_at;      /* 0 = none */
	char disabled_reason[16]; /* "", "clinician", "failures" */
	char disabled_on[11];     /* run date it turned off, or "" */
	int64_t failed_nights;    /* as of the last run */
	char last_run_on[11];     /* "" = never */
	char last_status[DBA_STATUS_MAX + 1]; /* attempt status that night */
};

/* Enrolls client_id of practice_id at now (a new row, or a disabled one
 * enabled again with enrolled_at = now and failed_nights 0). *was_on (may
 * be NULL) gets 1 when it was enrolled already (then nothing changes).
 * PS_OK or a db.h status. */
enum pstatus dba_enroll(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t now, int *was_on);

/* Turns the client's AutoPay off at now for reason ("clinician" or
 * "failures"); run_on (may be NULL) is the night it happened. PS_OK,
 * PS_NOTFOUND (not enrolled), or a db.h status. */
enum pstatus dba_unenroll(struct db *db, int64_t practice_id, int64_t client_id,
    const char *reason, const char *run_on, int64_t now);

/* Reads the client's enrollment row (enabled or not). PS_OK, PS_NOTFOUND,
 * PS_ERROR. */
enum pstatus dba_enrollment_get(struct db *db, int64_t practice_id,
    int64_t client_id, struct dba_enrollment *out);

/* Calls fn(arg, row) for the enrollment rows of practice_id (disabled
 * ones too when all), by last and first name. fn returns non-zero to
 * stop. PS_OK or PS_ERROR. */
enum pstatus dba_enrollment_list(struct db *db, int64_t practice_id, int all,
    int (*fn)(void *arg, const struct dba_enrollment *row), void *arg);

/* The claim: locks the client's enabled enrollment row with SELECT ... FOR
 * UPDATE SKIP LOCKED. *got is 1 when this connection now holds it, 0 when
 * another runner holds it or the client is not enrolled. In a
 * transaction: the lock lasts until it ends, and ends with the connection
 * when the runner dies. PS_OK or a db.h status. */
enum pstatus dba_enrollment_claim(
    struct db *db, int64_t practice_id, int64_t client_id, int *got);

/* Records what the night run_on did for the client: the attempt status and
 * the failed nights in a row. PS_OK or a db.h status. */
enum pstatus dba_enrollment_note(struct db *db, int64_t practice_id,
    int64_t client_id, const char *run_on, const char *status,
    int64_t failed_nights, int64_t now);

/* ---- night windows ---- */

/* Reads the practice's window in minutes after midnight [start, end). No
 * row: PS_NOTFOUND (the caller uses 00:00-02:00). */
enum pstatus dba_window_get(
    struct db *db, int64_t practice_id, int64_t *start, int64_t *end);

/* Sets the practice's window. PS_OK, PS_INVALID, or a db.h status. */
enum pstatus dba_window_set(struct db *db, int64_t practice_id, int64_t start,
    int64_t end, int64_t now);

/* ---- who is due ---- */

/* One enrolled client as the night finds it (a consistent read, no locks:
 * the charge re-checks all of it under the client's lock). */
struct dba_due {
	int64_t client_id;
	char email[DB_EMAIL_MAX + 1];
	int64_t balance;     /* sum over invoices of what is due, >= 0 */
	int64_t max_invoice; /* newest invoice id, 0 = none */
	int64_t through;     /* newest invoice a succeeded AutoPay charge
	                        covered, 0 = none */
	int64_t tonight;     /* attempt id of the night's charge, 0 = none */
	char tonight_status[DBA_STATUS_MAX + 1]; /* its status, or "" */
};

/* Calls fn(arg, row) for every enabled enrollment of practice_id, by
 * client id, with the sums above for night run_on. fn returns non-zero to
 * stop. PS_OK or PS_ERROR. */
enum pstatus dba_due_list(struct db *db, int64_t practice_id,
    const char *run_on, int (*fn)(void *arg, const struct dba_due *row),
    void *arg);

/* ---- charges ---- */

struct dba_charge {
	int64_t id;
	int64_t client_id;
	char run_on[11];
	int64_t attempt_id;
	int64_t amount;
	int64_t through_invoice_id;
	char runner[DBA_RUNNER_MAX + 1];
	int64_t created_at;
};

/* Inserts the night's charge of the client. In a transaction (with its
 * attempt). PS_OK, PS_CONFLICT (the night has one), or a db.h status. */
enum pstatus dba_charge_insert(struct db *db, int64_t practice_id,
    const struct dba_charge *c, int64_t now);

/* Reads the client's charge of night run_on. PS_OK, PS_NOTFOUND,
 * PS_ERROR. */
enum pstatus dba_charge_get(struct db *db, int64_t practice_id,
    int64_t client_id, const char *run_on, struct dba_charge *out);

/* Sets *through to the newest invoice id covered by a succeeded AutoPay
 * charge of the client (0 = none). PS_OK or PS_ERROR. */
enum pstatus dba_charge_through(
    struct db *db, int64_t practice_id, int64_t client_id, int64_t *through);

/* Counts the client's failed nights in a row: walks its AutoPay charges
 * created at or after since and after the client's last payment (by hand
 * or by AutoPay: its attempt is later than that payment's, so a success
 * resets the count), newest night first, over the settled ones
 * (succeeded, declined, requires_action; attempts that never reached the
 * processor or are unresolved are passed over), and stops at the first
 * success. *n gets the count (at most 100). PS_OK or PS_ERROR. */
enum pstatus dba_failed_nights(struct db *db, int64_t practice_id,
    int64_t client_id, int64_t since, int64_t *n);

/* The client's newest AutoPay charge with its attempt's status, message
 * and when it was made, and whether a payment of the client was recorded
 * after it (paid_after). PS_OK, PS_NOTFOUND (never charged), PS_ERROR. */
struct dba_last_charge {
	struct dba_charge c;
	char status[DBA_STATUS_MAX + 1];
	char message[256];
	int64_t paid_after; /* payments of the client since the attempt */
};
enum pstatus dba_last_charge(struct db *db, int64_t practice_id,
    int64_t client_id, struct dba_last_charge *out);

/* ---- runs and the report ---- */

struct dba_run {
	int64_t id;
	char run_on[11];
	char runner[DBA_RUNNER_MAX + 1];
	int64_t dry_run;
	int64_t started_at, finished_at; /* finished_at 0: did not finish */
	int64_t due;
	int64_t succeeded, succeeded_amount;
	int64_t declined, declined_amount;
	int64_t action_required, action_amount;
	int64_t unknown, unknown_amount;
	int64_t not_sent, skipped, turned_off;
};

/* Inserts run r (its run_on, runner, dry_run) started at now; sets r->id.
 * PS_OK or a db.h status. */
enum pstatus dba_run_insert(
    struct db *db, int64_t practice_id, struct dba_run *r, int64_t now);

/* Stores the counters of run r and finished_at = now. PS_OK or a db.h
 * status. */
enum pstatus dba_run_finish(
    struct db *db, int64_t practice_id, const struct dba_run *r, int64_t now);

/* Calls fn(arg, row) for the runs of practice_id (of night run_on when not
 * NULL), newest first, at most limit. PS_OK or PS_ERROR. */
enum pstatus dba_run_list(struct db *db, int64_t practice_id,
    const char *run_on, int limit,
    int (*fn)(void *arg, const struct dba_run *row), void *arg);

/* One line of a night's totals: the charges of night run_on whose attempt
 * is now in status, how many and how much. */
struct dba_night {
	char run_on[11];
	char status[DBA_STATUS_MAX + 1];
	int64_t count;
	int64_t amount;
};

/* Calls fn(arg, row) per night (run_on when not NULL, else the newest
 * limit nights) and attempt status, newest night first. PS_OK or
 * PS_ERROR. */
enum pstatus dba_night_totals(struct db *db, int64_t practice_id,
    const char *run_on, int limit,
    int (*fn)(void *arg, const struct dba_night *row), void *arg);

/* Calls fn(arg, row) for the clients whose AutoPay the batch turned off on
 * night run_on. PS_OK or PS_ERROR. */
enum pstatus dba_turned_off_list(struct db *db, int64_t practice_id,
    const char *run_on, int (*fn)(void *arg, const struct dba_enrollment *row),
    void *arg);

#endif
