/* autopay.h: AutoPay, the nightly charge of enrolled clients' balances:
 * enrollment (the clinician's), the client's AutoPay notice for /billing,
 * the batch (safe to run twice and on several hosts) and its report.
 *
 * The batch, per night and practice: every enrolled client with a
 * positive balance and an invoice newer than the last one a succeeded
 * AutoPay charge covered gets the default card charged the full balance,
 * off-session, under an idempotency key fixed by (practice, client,
 * night). Each charge is claimed by locking the client's enrollment row
 * with SELECT ... FOR UPDATE SKIP LOCKED on a connection of its own, held
 * until the charge is recorded, so runners on several hosts share the
 * work and a runner that dies lets go of its claims with its connections.
 * The attempt and the night's charge row are committed before the
 * processor is called (DESIGN.md "A payment, crash-safely"); a later run
 * that finds the night's attempt still open looks it up at the processor
 * and, when the processor never saw it, sends it again under the same key.
 * An attempt of the client left pending or unknown by anything else stops
 * AutoPay for the client until `portalctl payments reconcile` settles it:
 * never a new key while one is unresolved. */
#ifndef PORTAL_AUTOPAY_H
#define PORTAL_AUTOPAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "billing/billing.h"
#include "conf/conf.h"
#include "db/db.h"
#include "util/util.h"

struct gw_instance;

#define AUTOPAY_POOL_DEFAULT  32
#define AUTOPAY_POOL_MAX      256
#define AUTOPAY_FAILED_NIGHTS 3   /* failed nights in a row that end it */
#define AUTOPAY_WINDOW_START  0   /* minutes after midnight, practice time */
#define AUTOPAY_WINDOW_END    120 /* exclusive */
#define AUTOPAY_DATE_SIZE     11  /* "YYYY-MM-DD" and a NUL */

/* ---- enrollment (the clinician's action; w->actor is the clinician) ---- */

/* Enrolls client w->client_id. Only when the practice has Online Payments
 * on with a gateway (PS_DENIED otherwise) and the client has a default
 * card (PS_INVALID otherwise); PS_OK also when enrolled already (msg says
 * so). msg[msgsz] gets a sentence for the clinician in every case.
 * Audited ("autopay.enroll", "autopay.enroll_refused"). PS_ERROR on a
 * database failure. */
enum pstatus autopay_enroll(
    const struct billing_who *w, char *msg, size_t msgsz);

/* Ends the client's AutoPay. PS_OK, PS_NOTFOUND (not enrolled), PS_ERROR;
 * msg as above. Audited ("autopay.unenroll"). */
enum pstatus autopay_unenroll(
    const struct billing_who *w, char *msg, size_t msgsz);

/* ---- the client's notice on /billing ---- */

struct autopay_status {
	int enrolled;       /* 1: AutoPay is on */
	int turned_off;     /* 1: the batch turned it off after failed nights */
	int has_card;       /* 1: a default card to charge (card_* below) */
	int card_expired;   /* 1: that card is past its expiry month: AutoPay
	                       skips it */
	int card_elsewhere; /* 1: no default card at the processor account
	                       asked about, but cards of another one */
	char card_brand[32];    /* "Visa", "Mastercard", ... (display form) */
	char card_last4[8];     /* "4242" */
	int action_required;    /* 1: the last AutoPay charge needs the client
	                           to come back and pay on-session (3-D
	                           Secure) and the balance is still due */
	int64_t action_amount;  /* the balance to pay then */
	int64_t action_attempt; /* that charge's attempt: the client confirms
	                           it (billing_pay_action) */
	int64_t failed_nights;  /* failed nights in a row so far */
	char last_run_on[AUTOPAY_DATE_SIZE]; /* last night charged, or "" */
	char last_status[16];                /* that attempt's status, or "" */
	/* Ready sentences for the page (plain text, "" when none): notice
	 * says whether AutoPay is on and with which card ("AutoPay is on,
	 * using Visa ending in 4242."); action says what to do after a
	 * charge that needs the client. */
	char notice[256];
	char action[320];
};

/* Fills *out for client client_id of practice practice_id (ids from the
 * session). currency (may be NULL: "USD") formats action_amount in the
 * sentences; today (the practice's date YYYY-MM-DD, or NULL: not judged)
 * tells an expired default card. A client never enrolled is PS_OK with enrolled
 * 0 and an empty notice. PS_OK or PS_ERROR. Reads only; no audit row. */
enum pstatus autopay_client_status(struct db *db, int64_t practice_id,
    int64_t client_id, const char *currency, const char *today,
    struct autopay_status *out);
/* As autopay_client_status(), with the card AutoPay would charge taken at
 * processor gw's plugin and account (gw NULL: any): a client whose cards
 * all belong to another processor account is told so in notice. */
enum pstatus autopay_client_status_at(struct db *db, int64_t practice_id,
    int64_t client_id, const char *currency, struct gw_instance *gw,
    const char *today, struct autopay_status *out);

/* ---- the night window ---- */

/* Decides the night for practice pc at now: run_on[AUTOPAY_DATE_SIZE]
 * gets the practice-time date of the night (a window that starts before
 * midnight names the night by the date after it), *inside 1 when now is
 * inside the window [*start, *end) (minutes after midnight, from
 * autopay_windows or the default 00:00-02:00), both in the practice's
 * time zone (pc->tz). PS_OK, or PS_ERROR with err. */
enum pstatus autopay_window(struct db *db, const struct practice_conf *pc,
    int64_t practice_id, int64_t now, int *inside,
    char run_on[AUTOPAY_DATE_SIZE], int64_t *start, int64_t *end, char *err,
    size_t errsz);

/* ---- the batch ---- */

struct autopay_opts {
	const char *run_on; /* the night, "YYYY-MM-DD"; NULL = the practice's
	                       night now, and only inside its window */
	int force;          /* with run_on NULL: ignore the window */
	int dry_run;        /* list who would be charged; charge nobody */
	int pool;           /* charges in parallel; 0 = AUTOPAY_POOL_DEFAULT */
	const struct db_params *dbp; /* how each worker connects (two
	                                connections per worker) */
	const char *runner;          /* "host:pid", recorded with each charge */
	FILE *out;      /* the dry-run listing and notes; may be NULL */
	FILE *progress; /* a terminal for the progress bar, or NULL */
	int64_t now;    /* unix seconds; 0 = the clock */
};

struct autopay_summary {
	char run_on[AUTOPAY_DATE_SIZE];
	int outside_window; /* 1: nothing done (the window is shut) */
	int64_t run_id;     /* the autopay_runs row */
	int64_t due;        /* clients found due (work items) */
	int64_t succeeded, succeeded_amount;
	int64_t declined, declined_amount;
	int64_t action_required, action_amount;
	int64_t unknown, unknown_amount; /* left to reconcile */
	int64_t not_sent;   /* the processor could not be reached: nothing
	                       charged, tried again the next night */
	int64_t skipped;    /* claimed by another runner, done already, or
	                       no longer due under the lock */
	int64_t turned_off; /* clients whose AutoPay ended this run */
	int64_t would_charge, would_amount; /* dry run */
	double seconds;
};

/* Runs the night for practice pc (database id practice_id) with gateway
 * gw. db is the caller's connection (the due list, the run row); each
 * worker opens its own two. Returns PS_OK with *sum filled (also when the
 * window is shut: sum->outside_window), PS_DENIED (Online Payments off or
 * no gateway: err says so), PS_INVALID (bad run_on or time zone) or
 * PS_ERROR (err says what). The summary is also logged (one line
 * "event=autopay_run ..."). */
enum pstatus autopay_run(struct db *db, const struct practice_conf *pc,
    int64_t practice_id, struct gw_instance *gw, const struct autopay_opts *o,
    struct autopay_summary *sum, char *err, size_t errsz);

/* Writes the clinician's report of practice pc to out: for night run_on
 * (NULL = the last 7 nights with charges) the charges by their current
 * outcome (counts and amounts: succeeded, declined, action required,
 * unknown, not sent), each run of those nights with what it did, and the
 * clients whose AutoPay was turned off. PS_OK or PS_ERROR. */
enum pstatus autopay_report(struct db *db, const struct practice_conf *pc,
    int64_t practice_id, const char *run_on, FILE *out);

/* Queues the practice's evening summary of night run_on (YYYY-MM-DD): the
 * clients the night's run will charge, each with the balance it will
 * charge, and the total, to pc's email (the practice YAML's). One summary
 * per practice and night (a second call queues nothing: *queued 0).
 * *count and *total get the figures. PS_OK, PS_INVALID (no practice
 * email), or a db.h status; err says why. */
enum pstatus autopay_summary_queue(struct db *db,
    const struct practice_conf *pc, int64_t practice_id, const char *run_on,
    int64_t now, int *count, int64_t *total, int *queued, char *err,
    size_t errsz);

#endif
