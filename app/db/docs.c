/* docs.c: the billing-document queries of db_docs.h. The statements are
 * prepared on the caller's connection each time they run (the shared
 * statement table of db.c belongs to the platform), with the same error
 * mapping, reconnect and deadlock rules as db_run(). */
#include <stdio.h>
#include <string.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "db/db.h"
#include "db/db_docs.h"
#include "db/db_int.h"

#ifndef ER_CONNECTION_KILLED
#define ER_CONNECTION_KILLED 1927
#endif

/* One run of a statement: like struct q of db_int.h, with the SQL text and
 * its name instead of a slot of the shared table. safe: may run again
 * after the connection was lost once the statement had been sent. */
struct dq {
	const char *name;
	const char *sql;
	int safe;
	const struct arg *a;
	size_t na;
	const struct col *c;
	size_t nc;
	int (*row)(void *rowarg);
	void *rowarg;
	uint64_t rows;
	int64_t affected;
	int64_t insert_id;
};

#define NA(x) (sizeof(x) / sizeof((x)[0]))

static int
conn_lost(unsigned int e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST ||
	       e == CR_SERVER_LOST_EXTENDED || e == ER_CONNECTION_KILLED ||
	       e == 4031;
}

/* Prepares, binds, runs and fetches q once on db's connection; the server's
 * error number goes to *errnum (0 for local failures). */
static enum pstatus
dq_once(struct db *db, struct dq *q, unsigned int *errnum)
{
	MYSQL_STMT *s = NULL;
	MYSQL_BIND pb[Q_MAXARGS], rb[Q_MAXCOLS];
	unsigned long plen[Q_MAXARGS], rlen[Q_MAXCOLS];
	my_bool rnull[Q_MAXCOLS], rerr[Q_MAXCOLS];
	long long ival[Q_MAXCOLS];
	size_t i;
	int rc, stored = 0;
	enum pstatus st = PS_ERROR;

	*errnum = 0;
	if (q->na > Q_MAXARGS || q->nc > Q_MAXCOLS) {
		db_set_err(db, "%s: too many parameters or columns", q->name);
		return PS_ERROR;
	}
	if (db->my == NULL) {
		*errnum = CR_SERVER_GONE_ERROR;
		db_set_err(db, "%s: not connected", q->name);
		return PS_ERROR;
	}
	if ((s = mysql_stmt_init(db->my)) == NULL) {
		db_set_err(db, "%s: cannot allocate a statement", q->name);
		return PS_NOMEM;
	}
	if (mysql_stmt_prepare(s, q->sql, strlen(q->sql)) != 0) {
		*errnum = mysql_stmt_errno(s);
		db_set_err(db, "prepare %s: %s (%u)", q->name,
		    mysql_stmt_error(s), *errnum);
		/* A statement that never ran: treat a lost link as unsent. */
		if (conn_lost(*errnum))
			*errnum = CR_SERVER_GONE_ERROR;
		goto out;
	}
	if (mysql_stmt_param_count(s) != q->na) {
		db_set_err(db, "%s: %lu parameters, %zu given", q->name,
		    mysql_stmt_param_count(s), q->na);
		goto out;
	}
	memset(pb, 0, sizeof(pb));
	for (i = 0; i < q->na; i++) {
		const struct arg *a = &q->a[i];

		if (a->t == A_I64) {
			pb[i].buffer_type = MYSQL_TYPE_LONGLONG;
			pb[i].buffer = (void *)&a->i;
		} else if (a->s == NULL) {
			pb[i].buffer_type = MYSQL_TYPE_NULL;
		} else {
			plen[i] = (unsigned long)strlen(a->s);
			pb[i].buffer_type = MYSQL_TYPE_STRING;
			pb[i].buffer = (void *)a->s;
			pb[i].buffer_length = plen[i];
			pb[i].length = &plen[i];
		}
	}
	if (q->na > 0 && mysql_stmt_bind_param(s, pb) != 0)
		goto stmt_err;
	if (mysql_stmt_execute(s) != 0)
		goto stmt_err;
	q->affected = (int64_t)mysql_stmt_affected_rows(s);
	q->insert_id = (int64_t)mysql_stmt_insert_id(s);
	q->rows = 0;
	if (mysql_stmt_field_count(s) == 0) {
		st = PS_OK;
		goto out;
	}
	if (mysql_stmt_field_count(s) != q->nc) {
		db_set_err(db, "%s: %u columns, %zu expected", q->name,
		    mysql_stmt_field_count(s), q->nc);
		goto out;
	}
	memset(rb, 0, sizeof(rb));
	for (i = 0; i < q->nc; i++) {
		rb[i].is_null = &rnull[i];
		rb[i].error = &rerr[i];
		rb[i].length = &rlen[i];
		if (q->c[i].t == C_I64) {
			rb[i].buffer_type = MYSQL_TYPE_LONGLONG;
			rb[i].buffer = &ival[i];
		} else {
			rb[i].buffer_type = MYSQL_TYPE_STRING;
			rb[i].buffer = q->c[i].p;
			rb[i].buffer_length = q->c[i].sz - 1;
		}
	}
	if (mysql_stmt_bind_result(s, rb) != 0)
		goto stmt_err;
	/* Buffer the rows so a row callback may run other statements. */
	if (mysql_stmt_store_result(s) != 0)
		goto stmt_err;
	stored = 1;
	for (;;) {
		rc = mysql_stmt_fetch(s);
		if (rc == MYSQL_NO_DATA)
			break;
		if (rc == 1)
			goto stmt_err;
		for (i = 0; i < q->nc; i++) {
			if (q->c[i].t == C_I64) {
				*(int64_t *)q->c[i].p =
				    rnull[i] ? 0 : (int64_t)ival[i];
				continue;
			}
			if (rnull[i])
				rlen[i] = 0;
			if (rc == MYSQL_DATA_TRUNCATED && rerr[i]) {
				db_set_err(db, "%s: column %zu longer than %zu",
				    q->name, i, q->c[i].sz - 1);
				goto out;
			}
			((char *)q->c[i].p)[rlen[i]] = '\0';
		}
		if (rc == MYSQL_DATA_TRUNCATED) {
			db_set_err(
			    db, "%s: integer column out of range", q->name);
			goto out;
		}
		q->rows++;
		if (q->row != NULL) {
			if (q->row(q->rowarg) != 0)
				break;
		} else if (q->rows == 1)
			break;
	}
	st = PS_OK;
	goto out;
stmt_err:
	*errnum = mysql_stmt_errno(s);
	db_set_err(db, "%s: %s (%u)", q->name, mysql_stmt_error(s), *errnum);
out:
	if (s != NULL) {
		if (stored)
			mysql_stmt_free_result(s);
		mysql_stmt_close(s);
	}
	return st;
}

/* Runs q with the rules of db_run() (db.h): a lost connection is
 * reconnected (through db_ping) and a read run again once; inside a
 * transaction the caller gets PS_RETRY; a deadlock outside one is
 * repeated. */
static enum pstatus
dq_run(struct db *db, struct dq *q)
{
	unsigned int e = 0;
	int tries = 0;
	enum pstatus st;

	db->err[0] = '\0';
again:
	if (db->my == NULL) {
		if (db->in_tx)
			return PS_RETRY;
		if ((st = db_ping(db)) != PS_OK)
			return st;
	}
	st = dq_once(db, q, &e);
	if (st == PS_OK || e == 0)
		return st;
	if (conn_lost(e)) {
		char keep[sizeof(db->err)];

		snprintf(keep, sizeof(keep), "%s", db->err);
		if (db->in_tx) {
			/* db_ping reconnects; the transaction is gone. */
			db_ping(db);
			snprintf(db->err, sizeof(db->err), "%s", keep);
			return PS_RETRY;
		}
		if (tries++ > 0)
			return PS_ERROR;
		if (db_ping(db) != PS_OK)
			return q->safe || e == CR_SERVER_GONE_ERROR
			           ? PS_ERROR
			           : PS_UNKNOWN;
		if (q->safe || e == CR_SERVER_GONE_ERROR)
			goto again;
		snprintf(db->err, sizeof(db->err),
		    "%s: connection lost after the statement was sent; "
		    "outcome unknown",
		    q->name);
		return PS_UNKNOWN;
	}
	if (e == ER_LOCK_DEADLOCK || e == ER_LOCK_WAIT_TIMEOUT) {
		if (e == ER_LOCK_DEADLOCK && !db->in_tx && tries++ < 3)
			goto again;
		return PS_RETRY;
	}
	if (e == ER_DUP_ENTRY)
		return PS_CONFLICT;
	if (e == ER_TRUNCATED_WRONG_VALUE || e == 1366 || e == 1292 ||
	    e == 4025 /* CHECK constraint */ || e == 1406 /* too long */)
		return PS_INVALID;
	return PS_ERROR;
}

/* ---- SQL ---- */

#define INV_PAID(inv)                                        \
	"(COALESCE((SELECT SUM(a.amount) FROM allocations a" \
	" WHERE a.invoice_id = " inv "), 0)"                 \
	" - COALESCE((SELECT SUM(r.amount) FROM refunds r"   \
	" WHERE r.invoice_id = " inv " AND r.status = 'succeeded'), 0))"
#define INV_TOTAL(inv)                                        \
	"COALESCE((SELECT SUM(l.amount) FROM invoice_lines l" \
	" WHERE l.invoice_id = " inv "), 0)"

static const char sql_provider_put[] =
    "INSERT INTO doc_providers (practice_id, name, credentials, npi,"
    " org_npi, tax_id, licence, taxonomy, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON DUPLICATE KEY UPDATE name = VALUES(name),"
    " credentials = VALUES(credentials), org_npi = VALUES(org_npi),"
    " tax_id = VALUES(tax_id), licence = VALUES(licence),"
    " taxonomy = VALUES(taxonomy), updated_at = VALUES(updated_at),"
    " id = LAST_INSERT_ID(id)";
static const char sql_provider_default[] =
    "UPDATE doc_providers SET is_default = (id = ?) WHERE practice_id = ?";
static const char sql_provider_get[] =
    "SELECT id, name, credentials, npi, COALESCE(org_npi, ''), tax_id,"
    " licence, taxonomy, is_default FROM doc_providers"
    " WHERE practice_id = ? AND (? = 0 OR id = ?)"
    " ORDER BY is_default DESC, id LIMIT 1";
static const char sql_provider_by_npi[] =
    "SELECT id FROM doc_providers WHERE practice_id = ? AND npi = ?";
static const char sql_profile_put[] =
    "INSERT INTO doc_client_profiles (practice_id, client_id,"
    " date_of_birth, address1, address2, city, region, postal_code,"
    " insurer, member_id, updated_at)"
    " SELECT practice_id, id, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM clients"
    " WHERE practice_id = ? AND id = ?"
    " ON DUPLICATE KEY UPDATE date_of_birth = VALUES(date_of_birth),"
    " address1 = VALUES(address1), address2 = VALUES(address2),"
    " city = VALUES(city), region = VALUES(region),"
    " postal_code = VALUES(postal_code), insurer = VALUES(insurer),"
    " member_id = VALUES(member_id), updated_at = VALUES(updated_at)";
static const char sql_profile_get[] =
    "SELECT COALESCE(DATE_FORMAT(COALESCE(p.date_of_birth,"
    " c.date_of_birth), '%Y-%m-%d'), ''), COALESCE(p.address1, ''),"
    " COALESCE(p.address2, ''), COALESCE(p.city, ''),"
    " COALESCE(p.region, ''), COALESCE(p.postal_code, ''),"
    " COALESCE(p.insurer, ''), COALESCE(p.member_id, '')"
    " FROM clients c LEFT JOIN doc_client_profiles p ON p.client_id = c.id"
    " WHERE c.practice_id = ? AND c.id = ?";
static const char sql_invoice_by_number[] =
    "SELECT id, client_id FROM invoices WHERE practice_id = ? AND number = ?";
static const char sql_invoice_share[] =
    "INSERT INTO doc_invoice_shares (invoice_id, practice_id, client_id,"
    " shared_at) SELECT id, practice_id, client_id, ? FROM invoices"
    " WHERE practice_id = ? AND client_id = ? AND id = ?"
    " ON DUPLICATE KEY UPDATE shared_at = shared_at";
static const char sql_invoice_unshare[] =
    "DELETE FROM doc_invoice_shares WHERE practice_id = ? AND client_id = ?"
    " AND invoice_id = ?";
static const char sql_invoice_is_shared[] =
    "SELECT COUNT(*) FROM doc_invoice_shares WHERE practice_id = ?"
    " AND client_id = ? AND invoice_id = ?";
static const char sql_invoice_list[] =
    "SELECT i.id, i.number, DATE_FORMAT(i.issued_on, '%Y-%m-%d'),"
    " COALESCE(DATE_FORMAT(i.due_on, '%Y-%m-%d'), ''),"
    " CAST(" INV_TOTAL(
        "i.id") " AS SIGNED),"
                " CAST(" INV_PAID(
                    "i.id") " AS SIGNED),"
                            " (s.invoice_id IS NOT NULL)"
                            " FROM invoices i LEFT JOIN doc_invoice_shares s"
                            " ON s.invoice_id = i.id AND s.client_id = i.client_id"
                            " WHERE i.practice_id = ? AND i.client_id = ? AND (? = 0 OR i.id = ?)"
                            " AND (? = 0 OR s.invoice_id IS NOT NULL)"
                            " ORDER BY i.issued_on DESC, i.id DESC";
#define LINE_COLS                                                                              \
	"SELECT l.id, l.invoice_id, i.number, l.line_no,"                                      \
	" DATE_FORMAT(l.date_of_service, '%Y-%m-%d'), l.description,"                          \
	" l.quantity, l.amount,"                                                               \
	" CAST(LEAST(l.amount, GREATEST(0, " INV_PAID(                                         \
	    "l.invoice_id") " - COALESCE((SELECT SUM(l2.amount) FROM invoice_lines l2"         \
	                    " WHERE l2.invoice_id = l.invoice_id AND l2.line_no < l.line_no)," \
	                    " 0))) AS SIGNED),"                                                \
	                    " COALESCE(c.pos, ''), COALESCE(c.cpt, ''),"                       \
	                    " COALESCE(c.modifiers, ''), COALESCE(c.icd, ''),"                 \
	                    " COALESCE(c.units, 0), (c.invoice_line_id IS NOT NULL)"           \
	                    " FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id"     \
	                    " LEFT JOIN doc_line_codes c ON c.invoice_line_id = l.id "
static const char sql_invoice_lines[] =
    LINE_COLS "WHERE l.practice_id = ? AND l.client_id = ?"
              " AND l.invoice_id = ? ORDER BY l.line_no";
static const char sql_lines_on_date[] =
    LINE_COLS "WHERE l.practice_id = ? AND l.client_id = ?"
              " AND l.date_of_service = ? ORDER BY i.issued_on, i.id,"
              " l.line_no";
static const char sql_superbill_lines[] =
    LINE_COLS "JOIN doc_superbill_lines s ON s.invoice_line_id = l.id"
              " WHERE l.practice_id = ? AND l.client_id = ?"
              " AND s.document_id = ?"
              " ORDER BY l.date_of_service, i.id, l.line_no";
static const char sql_line_find[] =
    "SELECT l.id, l.client_id FROM invoice_lines l JOIN invoices i"
    " ON i.id = l.invoice_id WHERE i.practice_id = ? AND i.number = ?"
    " AND l.line_no = ?";
static const char sql_code_put[] =
    "INSERT INTO doc_line_codes (invoice_line_id, practice_id, client_id,"
    " pos, cpt, modifiers, icd, units, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON DUPLICATE KEY UPDATE pos = VALUES(pos), cpt = VALUES(cpt),"
    " modifiers = VALUES(modifiers), icd = VALUES(icd),"
    " units = VALUES(units), updated_at = VALUES(updated_at)";
#define DOC_COLS                                                          \
	"SELECT id, client_id, kind, number,"                             \
	" DATE_FORMAT(issued_on, '%Y-%m-%d'),"                            \
	" DATE_FORMAT(period_start, '%Y-%m-%d'),"                         \
	" DATE_FORMAT(period_end, '%Y-%m-%d'), COALESCE(provider_id, 0)," \
	" (shared_at IS NOT NULL) FROM doc_documents "
static const char sql_document_insert[] =
    "INSERT INTO doc_documents (practice_id, client_id, kind, number,"
    " issued_on, period_start, period_end, provider_id, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char sql_document_get[] =
    DOC_COLS "WHERE practice_id = ? AND (? = 0 OR client_id = ?)"
             " AND number = ?";
static const char sql_document_list[] =
    DOC_COLS "WHERE practice_id = ? AND client_id = ?"
             " AND (? = 0 OR shared_at IS NOT NULL)"
             " ORDER BY issued_on DESC, id DESC";
static const char sql_document_share[] =
    "UPDATE doc_documents SET shared_at = IF(? = 1,"
    " COALESCE(shared_at, ?), NULL) WHERE practice_id = ? AND id = ?";
static const char sql_superbill_add[] =
    "INSERT INTO doc_superbill_lines (document_id, invoice_line_id)"
    " VALUES (?, ?) ON DUPLICATE KEY UPDATE document_id = document_id";
static const char sql_receipt_list[] =
    "SELECT r.id, r.payment_id, r.number, r.issued_at, p.amount, p.paid_at,"
    " p.card_brand, p.card_last4, p.processor_ref FROM receipts r"
    " JOIN payments p ON p.id = r.payment_id"
    " WHERE r.practice_id = ? AND r.client_id = ? AND p.client_id = ?"
    " AND (? IS NULL OR r.number = ?)"
    " ORDER BY r.issued_at DESC, r.id DESC";
static const char sql_payment_applied[] =
    "SELECT i.number, DATE_FORMAT(i.issued_on, '%Y-%m-%d'), a.amount"
    " FROM allocations a JOIN invoices i ON i.id = a.invoice_id"
    " WHERE a.practice_id = ? AND a.client_id = ? AND a.payment_id = ?"
    " ORDER BY i.issued_on, i.id";
static const char sql_ledger[] =
    "SELECT 0, DATE_FORMAT(i.issued_on, '%Y-%m-%d'), i.number,"
    " COALESCE((SELECT l.description FROM invoice_lines l"
    " WHERE l.invoice_id = i.id ORDER BY l.line_no LIMIT 1), ''),"
    " CAST(" INV_TOTAL(
        "i.id") " AS SIGNED),"
                " CAST(" INV_PAID(
                    "i.id") " AS SIGNED), '', '', i.id"
                            " FROM invoices i WHERE i.practice_id = ? AND i.client_id = ?"
                            " AND i.issued_on BETWEEN ? AND ?"
                            " UNION ALL"
                            " SELECT 1, DATE_FORMAT(FROM_UNIXTIME(p.paid_at), '%Y-%m-%d'),"
                            " COALESCE(rc.number, ''), '', p.amount, 0, p.card_brand,"
                            " p.card_last4, p.id FROM payments p"
                            " LEFT JOIN receipts rc ON rc.payment_id = p.id"
                            " WHERE p.practice_id = ? AND p.client_id = ?"
                            " AND p.paid_at >= UNIX_TIMESTAMP(?)"
                            " AND p.paid_at < UNIX_TIMESTAMP(DATE_ADD(?, INTERVAL 1 DAY))"
                            " UNION ALL"
                            " SELECT 2, DATE_FORMAT(FROM_UNIXTIME(f.updated_at), '%Y-%m-%d'),"
                            " COALESCE(rc.number, ''), '', f.amount, 0, p.card_brand,"
                            " p.card_last4, f.id FROM refunds f"
                            " JOIN payments p ON p.id = f.payment_id"
                            " LEFT JOIN receipts rc ON rc.payment_id = p.id"
                            " WHERE f.practice_id = ? AND f.client_id = ?"
                            " AND f.status = 'succeeded' AND f.updated_at >= UNIX_TIMESTAMP(?)"
                            " AND f.updated_at < UNIX_TIMESTAMP(DATE_ADD(?, INTERVAL 1 DAY))"
                            " ORDER BY 2, 1, 9";
static const char sql_balance_before[] =
    "SELECT CAST(COALESCE((SELECT SUM(l.amount) FROM invoice_lines l"
    " JOIN invoices i ON i.id = l.invoice_id WHERE i.practice_id = ?"
    " AND i.client_id = ? AND i.issued_on < ?), 0)"
    " - COALESCE((SELECT SUM(p.amount) FROM payments p"
    " WHERE p.practice_id = ? AND p.client_id = ?"
    " AND p.paid_at < UNIX_TIMESTAMP(?)), 0)"
    " + COALESCE((SELECT SUM(f.amount) FROM refunds f"
    " WHERE f.practice_id = ? AND f.client_id = ? AND f.status = 'succeeded'"
    " AND f.updated_at < UNIX_TIMESTAMP(?)), 0) AS SIGNED)";

/* ---- providers ---- */

enum pstatus
dbd_provider_put(struct db *db, int64_t practice_id,
    const struct dbd_provider *p, int64_t now, int64_t *id)
{
	struct arg a[] = {AI(practice_id), AS(p->name), AS(p->credentials),
	    AS(p->npi), AS(p->org_npi[0] ? p->org_npi : NULL), AS(p->tax_id),
	    AS(p->licence), AS(p->taxonomy), AI(now), AI(now)};
	struct dq q = {"provider put", sql_provider_put, 1, a, NA(a), NULL, 0,
	    NULL, NULL, 0, 0, 0};
	enum pstatus st;

	*id = 0;
	if ((st = dq_run(db, &q)) == PS_OK)
		*id = q.insert_id;
	return st;
}

enum pstatus
dbd_provider_set_default(struct db *db, int64_t practice_id, int64_t id)
{
	struct dbd_provider p;
	struct arg a[] = {AI(id), AI(practice_id)};
	struct dq q = {"provider default", sql_provider_default, 1, a, NA(a),
	    NULL, 0, NULL, NULL, 0, 0, 0};
	enum pstatus st;

	if (id == 0)
		return PS_NOTFOUND;
	if ((st = dbd_provider_get(db, practice_id, id, &p)) != PS_OK)
		return st;
	return dq_run(db, &q);
}

enum pstatus
dbd_provider_get(
    struct db *db, int64_t practice_id, int64_t id, struct dbd_provider *out)
{
	struct arg a[] = {AI(practice_id), AI(id), AI(id)};
	struct col c[] = {{C_I64, &out->id, 0},
	    {C_STR, out->name, sizeof(out->name)},
	    {C_STR, out->credentials, sizeof(out->credentials)},
	    {C_STR, out->npi, sizeof(out->npi)},
	    {C_STR, out->org_npi, sizeof(out->org_npi)},
	    {C_STR, out->tax_id, sizeof(out->tax_id)},
	    {C_STR, out->licence, sizeof(out->licence)},
	    {C_STR, out->taxonomy, sizeof(out->taxonomy)},
	    {C_I64, &out->is_default, 0}};
	struct dq q = {"provider get", sql_provider_get, 1, a, NA(a), c, NA(c),
	    NULL, NULL, 0, 0, 0};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	if ((st = dq_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dbd_provider_by_npi(
    struct db *db, int64_t practice_id, const char *npi, int64_t *id)
{
	struct arg a[] = {AI(practice_id), AS(npi)};
	struct col c[] = {{C_I64, id, 0}};
	struct dq q = {"provider by npi", sql_provider_by_npi, 1, a, NA(a), c,
	    NA(c), NULL, NULL, 0, 0, 0};
	enum pstatus st;

	*id = 0;
	if ((st = dq_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

/* ---- client profiles ---- */

enum pstatus
dbd_profile_put(struct db *db, int64_t practice_id, int64_t client_id,
    const struct dbd_profile *p, int64_t now)
{
	struct arg a[] = {AS(p->dob[0] ? p->dob : NULL), AS(p->address1),
	    AS(p->address2), AS(p->city), AS(p->region), AS(p->postal_code),
	    AS(p->insurer), AS(p->member_id), AI(now), AI(practice_id),
	    AI(client_id)};
	struct dq q = {"profile put", sql_profile_put, 1, a, NA(a), NULL, 0,
	    NULL, NULL, 0, 0, 0};
	enum pstatus st;

	if ((st = dq_run(db, &q)) == PS_OK && q.affected == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dbd_profile_get(struct db *db, int64_t practice_id, int64_t client_id,
    struct dbd_profile *out)
{
	struct arg a[] = {AI(practice_id), AI(client_id)};
	struct col c[] = {{C_STR, out->dob, sizeof(out->dob)},
	    {C_STR, out->address1, sizeof(out->address1)},
	    {C_STR, out->address2, sizeof(out->address2)},
	    {C_STR, out->city, sizeof(out->city)},
	    {C_STR, out->region, sizeof(out->region)},
	    {C_STR, out->postal_code, sizeof(out->postal_code)},
	    {C_STR, out->insurer, sizeof(out->insurer)},
	    {C_STR, out->member_id, sizeof(out->member_id)}};
	struct dq q = {"profile get", sql_profile_get, 1, a, NA(a), c, NA(c),
	    NULL, NULL, 0, 0, 0};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	if ((st = dq_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

/* ---- invoices ---- */

enum pstatus
dbd_invoice_by_number(struct db *db, int64_t practice_id, const char *number,
    int64_t *invoice_id, int64_t *client_id)
{
	struct arg a[] = {AI(practice_id), AS(number)};
	struct col c[] = {{C_I64, invoice_id, 0}, {C_I64, client_id, 0}};
	struct dq q = {"invoice by number", sql_invoice_by_number, 1, a, NA(a),
	    c, NA(c), NULL, NULL, 0, 0, 0};
	enum pstatus st;

	*invoice_id = *client_id = 0;
	if ((st = dq_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dbd_invoice_share(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t invoice_id, int shared, int64_t now)
{
	struct arg on[] = {
	    AI(now), AI(practice_id), AI(client_id), AI(invoice_id)};
	struct arg off[] = {AI(practice_id), AI(client_id), AI(invoice_id)};
	struct dq q1 = {"invoice share", sql_invoice_share, 1, on, NA(on), NULL,
	    0, NULL, NULL, 0, 0, 0};
	struct dq q0 = {"invoice unshare", sql_invoice_unshare, 1, off, NA(off),
	    NULL, 0, NULL, NULL, 0, 0, 0};

	return dq_run(db, shared ? &q1 : &q0);
}

enum pstatus
dbd_invoice_is_shared(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t invoice_id, int *shared)
{
	int64_t n = 0;
	struct arg a[] = {AI(practice_id), AI(client_id), AI(invoice_id)};
	struct col c[] = {{C_I64, &n, 0}};
	struct dq q = {"invoice shared", sql_invoice_is_shared, 1, a, NA(a), c,
	    NA(c), NULL, NULL, 0, 0, 0};
	enum pstatus st;

	st = dq_run(db, &q);
	*shared = st == PS_OK && n > 0;
	return st;
}

struct inv_ctx {
	struct dbd_invoice row;
	int (*fn)(void *, const struct dbd_invoice *);
	void *arg;
};

static int
inv_row(void *p)
{
	struct inv_ctx *x = p;

	return x->fn(x->arg, &x->row);
}

enum pstatus
dbd_invoice_list(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t invoice_id, int shared_only,
    int (*fn)(void *arg, const struct dbd_invoice *row), void *arg)
{
	struct inv_ctx x;
	struct dbd_invoice *r = &x.row;
	struct arg a[] = {AI(practice_id), AI(client_id), AI(invoice_id),
	    AI(invoice_id), AI(shared_only ? 1 : 0)};
	struct col c[] = {{C_I64, &r->id, 0},
	    {C_STR, r->number, sizeof(r->number)},
	    {C_STR, r->issued_on, sizeof(r->issued_on)},
	    {C_STR, r->due_on, sizeof(r->due_on)}, {C_I64, &r->total, 0},
	    {C_I64, &r->paid, 0}, {C_I64, &r->shared, 0}};
	struct dq q = {"invoice list", sql_invoice_list, 1, a, NA(a), c, NA(c),
	    inv_row, &x, 0, 0, 0};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	return dq_run(db, &q);
}

struct line_ctx {
	struct dbd_line row;
	int (*fn)(void *, const struct dbd_line *);
	void *arg;
};

static int
line_row(void *p)
{
	struct line_ctx *x = p;

	return x->fn(x->arg, &x->row);
}

/* Runs one of the line queries with arguments a[0..na). */
static enum pstatus
lines_run(struct db *db, const char *name, const char *sql, struct arg *a,
    size_t na, int (*fn)(void *, const struct dbd_line *), void *arg)
{
	struct line_ctx x;
	struct dbd_line *r = &x.row;
	struct col c[] = {{C_I64, &r->id, 0}, {C_I64, &r->invoice_id, 0},
	    {C_STR, r->invoice_number, sizeof(r->invoice_number)},
	    {C_I64, &r->line_no, 0}, {C_STR, r->date, sizeof(r->date)},
	    {C_STR, r->description, sizeof(r->description)},
	    {C_I64, &r->quantity, 0}, {C_I64, &r->amount, 0},
	    {C_I64, &r->paid, 0}, {C_STR, r->pos, sizeof(r->pos)},
	    {C_STR, r->cpt, sizeof(r->cpt)},
	    {C_STR, r->modifiers, sizeof(r->modifiers)},
	    {C_STR, r->icd, sizeof(r->icd)}, {C_I64, &r->units, 0},
	    {C_I64, &r->coded, 0}};
	struct dq q = {name, sql, 1, a, na, c, NA(c), line_row, &x, 0, 0, 0};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	return dq_run(db, &q);
}

enum pstatus
dbd_invoice_lines(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t invoice_id, int (*fn)(void *arg, const struct dbd_line *row),
    void *arg)
{
	struct arg a[] = {AI(practice_id), AI(client_id), AI(invoice_id)};

	return lines_run(
	    db, "invoice lines", sql_invoice_lines, a, NA(a), fn, arg);
}

enum pstatus
dbd_lines_on_date(struct db *db, int64_t practice_id, int64_t client_id,
    const char *date, int (*fn)(void *arg, const struct dbd_line *row),
    void *arg)
{
	struct arg a[] = {AI(practice_id), AI(client_id), AS(date)};

	return lines_run(
	    db, "lines on date", sql_lines_on_date, a, NA(a), fn, arg);
}

enum pstatus
dbd_superbill_lines(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t document_id, int (*fn)(void *arg, const struct dbd_line *row),
    void *arg)
{
	struct arg a[] = {AI(practice_id), AI(client_id), AI(document_id)};

	return lines_run(
	    db, "superbill lines", sql_superbill_lines, a, NA(a), fn, arg);
}

enum pstatus
dbd_line_find(struct db *db, int64_t practice_id, const char *number,
    int64_t line_no, int64_t *line_id, int64_t *client_id)
{
	struct arg a[] = {AI(practice_id), AS(number), AI(line_no)};
	struct col c[] = {{C_I64, line_id, 0}, {C_I64, client_id, 0}};
	struct dq q = {"line find", sql_line_find, 1, a, NA(a), c, NA(c), NULL,
	    NULL, 0, 0, 0};
	enum pstatus st;

	*line_id = *client_id = 0;
	if ((st = dq_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dbd_code_put(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t line_id, const char *pos, const char *cpt, const char *modifiers,
    const char *icd, int64_t units, int64_t now)
{
	struct arg a[] = {AI(line_id), AI(practice_id), AI(client_id), AS(pos),
	    AS(cpt), AS(modifiers), AS(icd), AI(units), AI(now)};
	struct dq q = {"code put", sql_code_put, 1, a, NA(a), NULL, 0, NULL,
	    NULL, 0, 0, 0};

	return dq_run(db, &q);
}

/* ---- statements and superbills ---- */

enum pstatus
dbd_document_insert(struct db *db, int64_t practice_id,
    const struct dbd_document *d, int64_t now, int64_t *id)
{
	struct arg a[] = {AI(practice_id), AI(d->client_id), AS(d->kind),
	    AS(d->number), AS(d->issued_on), AS(d->period_start),
	    AS(d->period_end), AIN(d->provider_id), AI(now)};
	struct dq q = {"document insert", sql_document_insert, 0, a, NA(a),
	    NULL, 0, NULL, NULL, 0, 0, 0};
	enum pstatus st;

	*id = 0;
	if ((st = dq_run(db, &q)) == PS_OK)
		*id = q.insert_id;
	return st;
}

/* The columns of DOC_COLS into *d. */
#define DOC_COLS_OF(d)                                                     \
	{                                                                  \
		{C_I64, &(d)->id, 0}, {C_I64, &(d)->client_id, 0},         \
		    {C_STR, (d)->kind, sizeof((d)->kind)},                 \
		    {C_STR, (d)->number, sizeof((d)->number)},             \
		    {C_STR, (d)->issued_on, sizeof((d)->issued_on)},       \
		    {C_STR, (d)->period_start, sizeof((d)->period_start)}, \
		    {C_STR, (d)->period_end, sizeof((d)->period_end)},     \
		    {C_I64, &(d)->provider_id, 0},                         \
		{                                                          \
			C_I64, &(d)->shared, 0                             \
		}                                                          \
	}

enum pstatus
dbd_document_get(struct db *db, int64_t practice_id, int64_t client_id,
    const char *number, struct dbd_document *out)
{
	struct arg a[] = {
	    AI(practice_id), AI(client_id), AI(client_id), AS(number)};
	struct col c[] = DOC_COLS_OF(out);
	struct dq q = {"document get", sql_document_get, 1, a, NA(a), c, NA(c),
	    NULL, NULL, 0, 0, 0};
	enum pstatus st;

	memset(out, 0, sizeof(*out));
	if ((st = dq_run(db, &q)) == PS_OK && q.rows == 0)
		st = PS_NOTFOUND;
	return st;
}

struct doc_ctx {
	struct dbd_document row;
	int (*fn)(void *, const struct dbd_document *);
	void *arg;
};

static int
doc_row(void *p)
{
	struct doc_ctx *x = p;

	return x->fn(x->arg, &x->row);
}

enum pstatus
dbd_document_list(struct db *db, int64_t practice_id, int64_t client_id,
    int shared_only, int (*fn)(void *arg, const struct dbd_document *row),
    void *arg)
{
	struct doc_ctx x;
	struct arg a[] = {
	    AI(practice_id), AI(client_id), AI(shared_only ? 1 : 0)};
	struct col c[] = DOC_COLS_OF(&x.row);
	struct dq q = {"document list", sql_document_list, 1, a, NA(a), c,
	    NA(c), doc_row, &x, 0, 0, 0};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	return dq_run(db, &q);
}

enum pstatus
dbd_document_share(
    struct db *db, int64_t practice_id, int64_t id, int shared, int64_t now)
{
	struct arg a[] = {AI(shared ? 1 : 0), AI(now), AI(practice_id), AI(id)};
	struct dq q = {"document share", sql_document_share, 1, a, NA(a), NULL,
	    0, NULL, NULL, 0, 0, 0};
	enum pstatus st;

	if ((st = dq_run(db, &q)) == PS_OK && q.affected == 0)
		st = PS_NOTFOUND;
	return st;
}

enum pstatus
dbd_superbill_add(struct db *db, int64_t document_id, int64_t line_id)
{
	struct arg a[] = {AI(document_id), AI(line_id)};
	struct dq q = {"superbill add", sql_superbill_add, 1, a, NA(a), NULL, 0,
	    NULL, NULL, 0, 0, 0};

	return dq_run(db, &q);
}

/* ---- receipts ---- */

struct rct_ctx {
	struct dbd_receipt row;
	int (*fn)(void *, const struct dbd_receipt *);
	void *arg;
};

static int
rct_row(void *p)
{
	struct rct_ctx *x = p;

	return x->fn(x->arg, &x->row);
}

enum pstatus
dbd_receipt_list(struct db *db, int64_t practice_id, int64_t client_id,
    const char *number, int (*fn)(void *arg, const struct dbd_receipt *row),
    void *arg)
{
	struct rct_ctx x;
	struct dbd_receipt *r = &x.row;
	struct arg a[] = {AI(practice_id), AI(client_id), AI(client_id),
	    AS(number), AS(number)};
	struct col c[] = {{C_I64, &r->id, 0}, {C_I64, &r->payment_id, 0},
	    {C_STR, r->number, sizeof(r->number)}, {C_I64, &r->issued_at, 0},
	    {C_I64, &r->amount, 0}, {C_I64, &r->paid_at, 0},
	    {C_STR, r->brand, sizeof(r->brand)},
	    {C_STR, r->last4, sizeof(r->last4)},
	    {C_STR, r->processor_ref, sizeof(r->processor_ref)}};
	struct dq q = {"receipt list", sql_receipt_list, 1, a, NA(a), c, NA(c),
	    rct_row, &x, 0, 0, 0};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	return dq_run(db, &q);
}

struct app_ctx {
	struct dbd_applied row;
	int (*fn)(void *, const struct dbd_applied *);
	void *arg;
};

static int
app_row(void *p)
{
	struct app_ctx *x = p;

	return x->fn(x->arg, &x->row);
}

enum pstatus
dbd_payment_applied(struct db *db, int64_t practice_id, int64_t client_id,
    int64_t payment_id, int (*fn)(void *arg, const struct dbd_applied *row),
    void *arg)
{
	struct app_ctx x;
	struct dbd_applied *r = &x.row;
	struct arg a[] = {AI(practice_id), AI(client_id), AI(payment_id)};
	struct col c[] = {{C_STR, r->number, sizeof(r->number)},
	    {C_STR, r->issued_on, sizeof(r->issued_on)},
	    {C_I64, &r->amount, 0}};
	struct dq q = {"payment applied", sql_payment_applied, 1, a, NA(a), c,
	    NA(c), app_row, &x, 0, 0, 0};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	return dq_run(db, &q);
}

/* ---- the ledger ---- */

struct led_ctx {
	struct dbd_entry row;
	int (*fn)(void *, const struct dbd_entry *);
	void *arg;
};

static int
led_row(void *p)
{
	struct led_ctx *x = p;

	return x->fn(x->arg, &x->row);
}

enum pstatus
dbd_ledger(struct db *db, int64_t practice_id, int64_t client_id,
    const char *from, const char *to,
    int (*fn)(void *arg, const struct dbd_entry *row), void *arg)
{
	struct led_ctx x;
	struct dbd_entry *r = &x.row;
	struct arg a[] = {AI(practice_id), AI(client_id), AS(from), AS(to),
	    AI(practice_id), AI(client_id), AS(from), AS(to), AI(practice_id),
	    AI(client_id), AS(from), AS(to)};
	struct col c[] = {{C_I64, &r->kind, 0},
	    {C_STR, r->date, sizeof(r->date)},
	    {C_STR, r->number, sizeof(r->number)},
	    {C_STR, r->description, sizeof(r->description)},
	    {C_I64, &r->amount, 0}, {C_I64, &r->paid, 0},
	    {C_STR, r->brand, sizeof(r->brand)},
	    {C_STR, r->last4, sizeof(r->last4)}, {C_I64, &r->id, 0}};
	struct dq q = {
	    "ledger", sql_ledger, 1, a, NA(a), c, NA(c), led_row, &x, 0, 0, 0};

	memset(&x, 0, sizeof(x));
	x.fn = fn;
	x.arg = arg;
	return dq_run(db, &q);
}

enum pstatus
dbd_balance_before(struct db *db, int64_t practice_id, int64_t client_id,
    const char *before, int64_t *balance)
{
	struct arg a[] = {AI(practice_id), AI(client_id), AS(before),
	    AI(practice_id), AI(client_id), AS(before), AI(practice_id),
	    AI(client_id), AS(before)};
	struct col c[] = {{C_I64, balance, 0}};
	struct dq q = {"balance before", sql_balance_before, 1, a, NA(a), c,
	    NA(c), NULL, NULL, 0, 0, 0};

	*balance = 0;
	return dq_run(db, &q);
}
