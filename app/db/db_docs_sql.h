/* db_docs_sql.h: the SQL of the billing-document statements (app/db/db_docs.c),
 * as designated initializers of db.c's statement table; included only
 * there, inside the table. Fields: name, SQL and flags
 * (db_int.h): DB_SAFE if it may run again after a lost connection, and
 * DB_INVAL_* for the errors that are PS_INVALID beyond the usual ones (a
 * CHECK constraint, a value too long). */
/* clang-format off */
#define DOC_INV_PAID(inv)                                                     \
	"(COALESCE((SELECT SUM(a.amount) FROM allocations a"                  \
	" WHERE a.invoice_id = " inv "), 0)"                                  \
	" - COALESCE((SELECT SUM(r.amount) FROM refunds r"                    \
	" WHERE r.invoice_id = " inv " AND r.status = 'succeeded'), 0))"
#define DOC_INV_TOTAL(inv)                                                    \
	"COALESCE((SELECT SUM(l.amount) FROM invoice_lines l"                 \
	" WHERE l.invoice_id = " inv "), 0)"

[S_DOC_PROVIDER_PUT] = {"provider put",
    "INSERT INTO doc_providers (practice_id, name, credentials, npi,"
    " org_npi, tax_id, licence, taxonomy, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON DUPLICATE KEY UPDATE name = VALUES(name),"
    " credentials = VALUES(credentials), org_npi = VALUES(org_npi),"
    " tax_id = VALUES(tax_id), licence = VALUES(licence),"
    " taxonomy = VALUES(taxonomy), updated_at = VALUES(updated_at),"
    " id = LAST_INSERT_ID(id)",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
[S_DOC_PROVIDER_DEFAULT] = {"provider default",
    "UPDATE doc_providers SET is_default = (id = ?) WHERE practice_id = ?",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
[S_DOC_PROVIDER_GET] = {"provider get",
    "SELECT id, name, credentials, npi, COALESCE(org_npi, ''), tax_id,"
    " licence, taxonomy, is_default FROM doc_providers"
    " WHERE practice_id = ? AND (? = 0 OR id = ?)"
    " ORDER BY is_default DESC, id LIMIT 1",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
[S_DOC_PROVIDER_BY_NPI] = {"provider by npi",
    "SELECT id FROM doc_providers WHERE practice_id = ? AND npi = ?",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
[S_DOC_PROFILE_PUT] = {"profile put",
    "INSERT INTO doc_client_profiles (practice_id, client_id,"
    " date_of_birth, address1, address2, city, region, postal_code,"
    " insurer, member_id, updated_at)"
    " SELECT practice_id, id, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM clients"
    " WHERE practice_id = ? AND id = ?"
    " ON DUPLICATE KEY UPDATE date_of_birth = VALUES(date_of_birth),"
    " address1 = VALUES(address1), address2 = VALUES(address2),"
    " city = VALUES(city), region = VALUES(region),"
    " postal_code = VALUES(postal_code), insurer = VALUES(insurer),"
    " member_id = VALUES(member_id), updated_at = VALUES(updated_at)",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
[S_DOC_PROFILE_GET] = {"profile get",
    "SELECT COALESCE(DATE_FORMAT(COALESCE(p.date_of_birth,"
    " c.date_of_birth), '%Y-%m-%d'), ''), COALESCE(p.address1, ''),"
    " COALESCE(p.address2, ''), COALESCE(p.city, ''),"
    " COALESCE(p.region, ''), COALESCE(p.postal_code, ''),"
    " COALESCE(p.insurer, ''), COALESCE(p.member_id, '')"
    " FROM clients c LEFT JOIN doc_client_profiles p ON p.client_id = c.id"
    " WHERE c.practice_id = ? AND c.id = ?",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
[S_DOC_INVOICE_BY_NUMBER] = {"invoice by number",
    "SELECT id, client_id FROM invoices WHERE practice_id = ? AND number = ?",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
[S_DOC_INVOICE_LIST] = {"invoice list",
    "SELECT i.id, i.number, DATE_FORMAT(i.issued_on, '%Y-%m-%d'),"
    " COALESCE(DATE_FORMAT(i.due_on, '%Y-%m-%d'), ''),"
    " CAST(" DOC_INV_TOTAL("i.id") " AS SIGNED),"
    " CAST(" DOC_INV_PAID("i.id") " AS SIGNED)"
    " FROM invoices i"
    " WHERE i.practice_id = ? AND i.client_id = ? AND (? = 0 OR i.id = ?)"
    " ORDER BY i.issued_on DESC, i.id DESC",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
#define DOC_LINE_COLS                                                         \
	"SELECT l.id, l.invoice_id, i.number, l.line_no,"                     \
	" DATE_FORMAT(l.date_of_service, '%Y-%m-%d'), l.description,"         \
	" l.quantity, l.amount,"                                              \
	" CAST(LEAST(l.amount, GREATEST(0, "                                  \
	DOC_INV_PAID("l.invoice_id")                                          \
	" - COALESCE((SELECT SUM(l2.amount) FROM invoice_lines l2"            \
	" WHERE l2.invoice_id = l.invoice_id AND l2.line_no < l.line_no),"    \
	" 0))) AS SIGNED),"                                                   \
	" COALESCE(c.pos, ''), COALESCE(c.cpt, ''),"                          \
	" COALESCE(c.modifiers, ''), COALESCE(c.icd, ''),"                    \
	" COALESCE(c.units, 0), (c.invoice_line_id IS NOT NULL)"              \
	" FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id"        \
	" LEFT JOIN doc_line_codes c ON c.invoice_line_id = l.id "
[S_DOC_INVOICE_LINES] = {"invoice lines",
    DOC_LINE_COLS "WHERE l.practice_id = ? AND l.client_id = ?"
    " AND l.invoice_id = ? ORDER BY l.line_no",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
[S_DOC_LINES_ON_DATE] = {"lines on date",
    DOC_LINE_COLS "WHERE l.practice_id = ? AND l.client_id = ?"
    " AND l.date_of_service = ? ORDER BY i.issued_on, i.id,"
    " l.line_no",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
[S_DOC_SUPERBILL_LINES] = {"superbill lines",
    DOC_LINE_COLS "JOIN doc_superbill_lines s ON s.invoice_line_id = l.id"
    " WHERE l.practice_id = ? AND l.client_id = ?"
    " AND s.document_id = ?"
    " ORDER BY l.date_of_service, i.id, l.line_no",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
[S_DOC_LINE_FIND] = {"line find",
    "SELECT l.id, l.client_id FROM invoice_lines l JOIN invoices i"
    " ON i.id = l.invoice_id WHERE i.practice_id = ? AND i.number = ?"
    " AND l.line_no = ?",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
[S_DOC_CODE_PUT] = {"code put",
    "INSERT INTO doc_line_codes (invoice_line_id, practice_id, client_id,"
    " pos, cpt, modifiers, icd, units, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON DUPLICATE KEY UPDATE pos = VALUES(pos), cpt = VALUES(cpt),"
    " modifiers = VALUES(modifiers), icd = VALUES(icd),"
    " units = VALUES(units), updated_at = VALUES(updated_at)",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
#define DOC_DOC_COLS                                                          \
	"SELECT id, client_id, kind, number,"                                 \
	" DATE_FORMAT(issued_on, '%Y-%m-%d'),"                                \
	" DATE_FORMAT(period_start, '%Y-%m-%d'),"                             \
	" DATE_FORMAT(period_end, '%Y-%m-%d'), COALESCE(provider_id, 0),"     \
	" (shared_at IS NOT NULL) FROM doc_documents "
[S_DOC_DOCUMENT_INSERT] = {"document insert",
    "INSERT INTO doc_documents (practice_id, client_id, kind, number,"
    " issued_on, period_start, period_end, period_end_at, provider_id,"
    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    DB_INVAL_CHECK | DB_INVAL_LONG},
[S_DOC_DOCUMENT_GET] = {"document get",
    DOC_DOC_COLS "WHERE practice_id = ? AND (? = 0 OR client_id = ?)"
    " AND number = ?",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
[S_DOC_DOCUMENT_LIST] = {"document list",
    DOC_DOC_COLS "WHERE practice_id = ? AND client_id = ?"
    " AND (? = 0 OR shared_at IS NOT NULL)"
    " ORDER BY issued_on DESC, id DESC",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
[S_DOC_DOCUMENT_SHARE] = {"document share",
    "UPDATE doc_documents SET shared_at = IF(? = 1,"
    " COALESCE(shared_at, ?), NULL) WHERE practice_id = ? AND id = ?",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
[S_DOC_SUPERBILL_ADD] = {"superbill add",
    "INSERT INTO doc_superbill_lines (document_id, invoice_line_id)"
    " VALUES (?, ?) ON DUPLICATE KEY UPDATE document_id = document_id",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
[S_DOC_RECEIPT_LIST] = {"receipt list",
    "SELECT r.id, r.payment_id, r.number, r.issued_at, p.amount, p.paid_at,"
    " p.card_brand, p.card_last4, p.processor_ref FROM receipts r"
    " JOIN payments p ON p.id = r.payment_id"
    " WHERE r.practice_id = ? AND r.client_id = ? AND p.client_id = ?"
    " AND (? IS NULL OR r.number = ?)"
    " ORDER BY r.issued_at DESC, r.id DESC",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
[S_DOC_PAYMENT_APPLIED] = {"payment applied",
    "SELECT i.number, DATE_FORMAT(i.issued_on, '%Y-%m-%d'), a.amount"
    " FROM allocations a JOIN invoices i ON i.id = a.invoice_id"
    " WHERE a.practice_id = ? AND a.client_id = ? AND a.payment_id = ?"
    " ORDER BY i.issued_on, i.id",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
[S_DOC_LEDGER] = {"ledger",
    "SELECT 0, DATE_FORMAT(i.issued_on, '%Y-%m-%d'), i.number,"
    " COALESCE((SELECT l.description FROM invoice_lines l"
    " WHERE l.invoice_id = i.id ORDER BY l.line_no LIMIT 1), ''),"
    " CAST(" DOC_INV_TOTAL("i.id") " AS SIGNED),"
    " CAST(" DOC_INV_PAID("i.id") " AS SIGNED), '', '', i.id, 0"
    " FROM invoices i WHERE i.practice_id = ? AND i.client_id = ?"
    " AND i.issued_on BETWEEN ? AND ?"
    " UNION ALL"
    " SELECT 1, '', COALESCE(rc.number, ''), '', p.amount, 0,"
    " p.card_brand, p.card_last4, p.id, p.paid_at FROM payments p"
    " LEFT JOIN receipts rc ON rc.payment_id = p.id"
    " WHERE p.practice_id = ? AND p.client_id = ?"
    " AND p.paid_at >= ? AND p.paid_at < ?"
    " UNION ALL"
    " SELECT 2, '', COALESCE(rc.number, ''), '', f.amount, 0,"
    " p.card_brand, p.card_last4, f.id, f.updated_at FROM refunds f"
    " JOIN payments p ON p.id = f.payment_id"
    " LEFT JOIN receipts rc ON rc.payment_id = p.id"
    " WHERE f.practice_id = ? AND f.client_id = ?"
    " AND f.status = 'succeeded' AND f.updated_at >= ?"
    " AND f.updated_at < ?"
    " ORDER BY 1, 9",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
[S_DOC_BALANCE_BEFORE] = {"balance before",
    "SELECT CAST(COALESCE((SELECT SUM(l.amount) FROM invoice_lines l"
    " JOIN invoices i ON i.id = l.invoice_id WHERE i.practice_id = ?"
    " AND i.client_id = ? AND i.issued_on < ?), 0)"
    " - COALESCE((SELECT SUM(p.amount) FROM payments p"
    " WHERE p.practice_id = ? AND p.client_id = ?"
    " AND p.paid_at < ?), 0)"
    " + COALESCE((SELECT SUM(f.amount) FROM refunds f"
    " WHERE f.practice_id = ? AND f.client_id = ? AND f.status = 'succeeded'"
    " AND f.updated_at < ?), 0) AS SIGNED)",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
/* Everything of the Billing Documents list in one statement: invoices
 * (0, every one: sharing governs the documents only), statements (1)
 * with the balance at the end of their period (its last day's invoices,
 * and payments and refunds before period_end_at, the end of that day in
 * the practice's time zone),
 * superbills (2) with their lines' fees and what was paid of them (as
 * DOC_LINE_COLS computes a line's paid part), receipts (3). Each part on
 * the client's index (invoices_client, doc_documents_client,
 * receipts_client); the correlated sums on invoice_id, document_id or
 * the client's payments_client and refunds_client. */
#define DOC_PERIOD_END "(d.period_end + INTERVAL 1 DAY)"
[S_DOC_ENTRY_LIST] = {"document entries",
    "SELECT 0, i.number, DATE_FORMAT(i.issued_on, '%Y-%m-%d'), 0,"
    " CAST(" DOC_INV_TOTAL("i.id") " AS SIGNED),"
    " CAST(" DOC_INV_PAID("i.id") " AS SIGNED),"
    " 1 FROM invoices i WHERE i.practice_id = ? AND i.client_id = ?"
    " UNION ALL"
    " SELECT IF(d.kind = 'statement', 1, 2), d.number,"
    " DATE_FORMAT(d.issued_on, '%Y-%m-%d'), 0,"
    " CAST(IF(d.kind = 'statement',"
    " COALESCE((SELECT SUM(l.amount) FROM invoice_lines l"
    " JOIN invoices i ON i.id = l.invoice_id WHERE i.practice_id ="
    " d.practice_id AND i.client_id = d.client_id"
    " AND i.issued_on < " DOC_PERIOD_END "), 0)"
    " - COALESCE((SELECT SUM(p.amount) FROM payments p"
    " WHERE p.practice_id = d.practice_id AND p.client_id = d.client_id"
    " AND p.paid_at < d.period_end_at), 0)"
    " + COALESCE((SELECT SUM(f.amount) FROM refunds f"
    " WHERE f.practice_id = d.practice_id AND f.client_id = d.client_id"
    " AND f.status = 'succeeded'"
    " AND f.updated_at < d.period_end_at), 0),"
    " COALESCE((SELECT SUM(l.amount) FROM doc_superbill_lines b"
    " JOIN invoice_lines l ON l.id = b.invoice_line_id"
    " WHERE b.document_id = d.id AND l.practice_id = d.practice_id"
    " AND l.client_id = d.client_id), 0)) AS SIGNED),"
    " CAST(IF(d.kind = 'statement', 0,"
    " COALESCE((SELECT SUM(LEAST(l.amount, GREATEST(0, "
    DOC_INV_PAID("l.invoice_id")
    " - COALESCE((SELECT SUM(l2.amount) FROM invoice_lines l2"
    " WHERE l2.invoice_id = l.invoice_id AND l2.line_no < l.line_no),"
    " 0)))) FROM doc_superbill_lines b"
    " JOIN invoice_lines l ON l.id = b.invoice_line_id"
    " WHERE b.document_id = d.id AND l.practice_id = d.practice_id"
    " AND l.client_id = d.client_id), 0)) AS SIGNED),"
    " (d.shared_at IS NOT NULL)"
    " FROM doc_documents d WHERE d.practice_id = ? AND d.client_id = ?"
    " AND (? = 0 OR d.shared_at IS NOT NULL)"
    " UNION ALL"
    " SELECT 3, r.number, '', r.issued_at, p.amount, p.amount, 1"
    " FROM receipts r JOIN payments p ON p.id = r.payment_id"
    " WHERE r.practice_id = ? AND r.client_id = ? AND p.client_id = ?",
    DB_SAFE | DB_INVAL_CHECK | DB_INVAL_LONG},
#undef DOC_PERIOD_END
#undef DOC_INV_PAID
#undef DOC_INV_TOTAL
#undef DOC_LINE_COLS
#undef DOC_DOC_COLS
    /* clang-format on */
