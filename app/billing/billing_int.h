/* billing_int.h: billing.c's pieces shared inside app/billing (AutoPay):
 * making and recording a payment attempt. Not an interface for other
 * areas; they use billing.h. */
#ifndef BILLING_BILLING_INT_H
#define BILLING_BILLING_INT_H

#include <stddef.h>
#include <stdint.h>

#include "billing/billing.h"
#include "db/db_billing.h"
#include "gw/gw.h"

/* Longest idempotency key made here (Square allows 45 characters). */
#define BILL_KEY_MAX 45

/* The processor's word on one attempt, to record (step 3 of DESIGN.md's
 * crash-safe payment). */
struct bill_gw_outcome {
	int32_t gs; /* enum pgw_status; PGW_NOT_FOUND from a lookup */
	const struct pgw_payment *pay; /* may be NULL */
	const char *code;              /* decline code or "" */
	const char *message;           /* client-safe text or "" */
	/* 1: the attempt was sent before (AutoPay resuming the night's
	 * attempt), so a RETRYABLE or ERROR answer to this request leaves it
	 * 'unknown' rather than 'failed': the first request may have
	 * charged. */
	int resumed;
	/* 1: the payment names the attempt's stored card even when the
	 * processor reports the card it charged (AutoPay charges the stored
	 * card). */
	int stored_card;
	/* 1: the client's completion of an attempt that ended
	 * requires_action (3-D Secure): that attempt takes the new outcome. */
	int completing;
};

/* Records outcome o of attempt a (a->practice_id, a->client_id, a->id) in
 * one transaction on db, at time now, under the client's lock. On
 * PGW_SUCCEEDED: the payment, its allocation to the client's invoices
 * (a->invoice_id first when a->target is "invoice", then the others
 * oldest first), a card to keep (a->save_card) and the receipt; an
 * attempt already 'succeeded' is left as it is; otherwise an open
 * attempt gets the status o maps to and a settled one keeps its own.
 * Returns PS_OK with *end the attempt as stored after it, receipt
 * (caller's DBB_NUMBER_MAX + 1 bytes) its receipt number ("" when none)
 * and, when recorded is not NULL, *recorded 1 when this call recorded
 * the payment; else the transaction's status (nothing written; the
 * attempt stays as it was, for reconcile). */
enum pstatus billing_apply_outcome(struct db *db, const struct dbb_attempt *a,
    const struct bill_gw_outcome *o, int64_t now, struct dbb_attempt *end,
    char receipt[DBB_NUMBER_MAX + 1], int *recorded);

/* Step 1's insert, inside the caller's transaction on db: stores attempt
 * a (filled by the caller) as 'pending' at time now and gives it the
 * idempotency key "portal-<slug>-<what>-<key_id>[-<rnd>]" (the slug of
 * pc shortened to fit BILL_KEY_MAX; key_id 0 = the new attempt's id; rnd
 * may be ""). On PS_OK a->id, a->idempotency_key, a->status,
 * a->created_at and a->updated_at are set; else the db status. */
enum pstatus billing_attempt_insert(struct db *db,
    const struct practice_conf *pc, struct dbb_attempt *a, const char *what,
    int64_t key_id, const char *rnd, int64_t now);

/* 1 when an attempt's status is open ('pending' or 'unknown'): the
 * processor's word is still to come. */
int billing_is_open(const char *status);

/* 1 when d (may be NULL) is a real YYYY-MM-DD date. */
int billing_date_ok(const char *d);

/* Copies src (NULL = "") into dst[dstsz], truncated, NUL-terminated. */
void billing_copy(char *dst, size_t dstsz, const char *src);

/* The practice's currency, "USD" when pc or its currency is NULL. The
 * string is pc's (or static). */
const char *billing_currency(const struct practice_conf *pc);

/* Sleeps ms milliseconds (an interrupted sleep ends early). */
void billing_sleep_ms(long ms);

#endif
