/* db_billing_sql.h: the SQL of the billing statements (app/db/db_billing.c), as
 * designated initializers of db.c's statement table; included only there,
 * inside the table. Fields: name, SQL, safe to repeat after a lost
 * connection. */
/* clang-format off */
#define BILL_INVOICE_COLS                                                     \
	"SELECT i.id, i.client_id, i.number,"                                 \
	" DATE_FORMAT(i.issued_on, '%Y-%m-%d'),"                              \
	" COALESCE(DATE_FORMAT(i.due_on, '%Y-%m-%d'), ''),"                   \
	" COALESCE((SELECT l.description FROM invoice_lines l"                \
	" WHERE l.invoice_id = i.id ORDER BY l.line_no LIMIT 1), ''),"        \
	" CAST(COALESCE((SELECT SUM(l.amount) FROM invoice_lines l"           \
	" WHERE l.invoice_id = i.id), 0) AS SIGNED),"                         \
	" CAST(COALESCE((SELECT SUM(a.amount) FROM allocations a"             \
	" WHERE a.invoice_id = i.id), 0)"                                     \
	" - COALESCE((SELECT SUM(r.amount) FROM refunds r"                    \
	" WHERE r.invoice_id = i.id AND r.status = 'succeeded'), 0)"          \
	" AS SIGNED),"                                                        \
	" (SELECT COUNT(*) FROM invoice_lines l WHERE l.invoice_id = i.id),"  \
	" c.email FROM invoices i JOIN clients c ON c.id = i.client_id "
#define BILL_CARD_COLS                                                        \
	"SELECT id, client_id, plugin, customer_ref, processor_pm, brand,"    \
	" last4, exp_month, exp_year, is_default, created_at,"                \
	" COALESCE(disabled_at, 0), account FROM payment_methods "
#define BILL_ATTEMPT_COLS                                                     \
	"SELECT t.id, t.practice_id, t.client_id, COALESCE(t.user_id, 0),"    \
	" COALESCE(t.form_key, ''), COALESCE(t.idempotency_key, ''),"         \
	" t.target, COALESCE(t.invoice_id, 0), t.amount, t.currency,"         \
	" t.plugin, t.source, COALESCE(t.payment_method_id, 0), t.save_card," \
	" t.make_default, t.off_session, t.status,"                           \
	" COALESCE(t.processor_ref, ''), COALESCE(t.decline_code, ''),"       \
	" COALESCE(t.message, ''), t.created_at, t.updated_at, t.account,"    \
	" COALESCE(t.action_ref, ''), COALESCE(t.token, '')"

[S_BILL_CLIENT_LOCK] = {"billing client lock",
    "SELECT id FROM clients WHERE practice_id = ? AND id = ? FOR UPDATE",
    0},
[S_BILL_CLIENT_BY_EMAIL] = {"billing client by email",
    "SELECT id FROM clients WHERE practice_id = ? AND email = ?"
    " ORDER BY id LIMIT 1",
    1},
[S_BILL_COUNTER_INIT] = {"billing counter init",
    "INSERT INTO billing_counters (practice_id, kind, next_value)"
    " VALUES (?, ?, 1) ON DUPLICATE KEY UPDATE next_value = next_value",
    0},
[S_BILL_COUNTER_GET] = {"billing counter get",
    "SELECT next_value FROM billing_counters"
    " WHERE practice_id = ? AND kind = ? FOR UPDATE",
    0},
[S_BILL_COUNTER_SET] = {"billing counter set",
    "UPDATE billing_counters SET next_value = ?"
    " WHERE practice_id = ? AND kind = ?",
    0},
[S_BILL_INV_INS] = {"invoice insert",
    "INSERT INTO invoices (practice_id, client_id, number, issued_on,"
    " due_on, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    0},
[S_BILL_LINE_INS] = {"invoice line insert",
    "INSERT INTO invoice_lines (practice_id, client_id, invoice_id,"
    " line_no, date_of_service, description, quantity, unit_amount, amount)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    0},
/* One statement per shape, each on its index (invoices_client, the
 * primary key, invoices_number): no catch-all "(? = 0 OR ...)" that keeps
 * the optimizer off the client's index. */
[S_BILL_INV_LIST] = {"invoice list",
    BILL_INVOICE_COLS "WHERE i.practice_id = ? AND i.client_id = ?"
                      " ORDER BY i.issued_on, i.id",
    1},
[S_BILL_INV_LIST_ALL] = {"invoice list of a practice",
    BILL_INVOICE_COLS "WHERE i.practice_id = ? ORDER BY i.issued_on, i.id",
    1},
[S_BILL_INV_GET] = {"invoice get",
    BILL_INVOICE_COLS "WHERE i.practice_id = ? AND i.client_id = ?"
                      " AND i.id = ?",
    1},
[S_BILL_INV_COUNT] = {"invoice count",
    "SELECT COUNT(*) FROM invoices WHERE practice_id = ? AND client_id = ?",
    1},
[S_BILL_CUST_GET] = {"processor customer get",
    "SELECT customer_ref FROM processor_customers"
    " WHERE practice_id = ? AND client_id = ? AND plugin = ? AND account = ?",
    1},
[S_BILL_CUST_PUT] = {"processor customer put",
    "INSERT INTO processor_customers (practice_id, client_id, plugin,"
    " account, customer_ref, created_at) VALUES (?, ?, ?, ?, ?, ?)"
    " ON DUPLICATE KEY UPDATE customer_ref = customer_ref",
    1},
[S_BILL_PM_INS] = {"card insert",
    "INSERT INTO payment_methods (practice_id, client_id, plugin, account,"
    " customer_ref, processor_pm, brand, last4, exp_month, exp_year,"
    " is_default, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
    0},
[S_BILL_PM_BY_REF] = {"card by reference",
    "SELECT id FROM payment_methods WHERE practice_id = ? AND plugin = ?"
    " AND processor_pm = ?",
    1},
[S_BILL_PM_GET] = {"card get",
    BILL_CARD_COLS "WHERE practice_id = ? AND client_id = ? AND id = ?", 1},
[S_BILL_PM_LIST] = {"card list",
    BILL_CARD_COLS "WHERE practice_id = ? AND client_id = ?"
                   " AND (? = 1 OR disabled_at IS NULL)"
                   " ORDER BY disabled_at IS NOT NULL, is_default DESC, id",
    1},
[S_BILL_PM_CLEAR_DEFAULT] = {"card clear default",
    "UPDATE payment_methods SET is_default = 0"
    " WHERE practice_id = ? AND client_id = ? AND is_default = 1"
    " AND plugin = ? AND (account = ? OR account = '' OR ? = '')",
    1},
[S_BILL_PM_SET_DEFAULT] = {"card set default",
    "UPDATE payment_methods SET is_default = 1 WHERE practice_id = ?"
    " AND client_id = ? AND id = ? AND disabled_at IS NULL",
    1},
[S_BILL_PM_HAS_DEFAULT] = {"card has default",
    "SELECT COUNT(*) FROM payment_methods WHERE practice_id = ?"
    " AND client_id = ? AND is_default = 1 AND disabled_at IS NULL"
    " AND plugin = ? AND (account = ? OR account = '' OR ? = '')",
    1},
[S_BILL_PM_DISABLE] = {"card disable",
    "UPDATE payment_methods SET disabled_at = ?, is_default = 0"
    " WHERE practice_id = ? AND client_id = ? AND id = ?"
    " AND disabled_at IS NULL",
    0},
[S_BILL_ATT_INS] = {"attempt insert",
    "INSERT INTO payment_attempts (practice_id, client_id, user_id,"
    " form_key, target, invoice_id, amount, currency, plugin, account,"
    " source, payment_method_id, save_card, make_default, off_session,"
    " status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
    " ?, ?, ?, ?, ?, 'pending', ?, ?)",
    0},
[S_BILL_ATT_SET_KEY] = {"attempt set key",
    "UPDATE payment_attempts SET idempotency_key = ?"
    " WHERE id = ? AND idempotency_key IS NULL",
    0},
[S_BILL_ATT_GET] = {"attempt get",
    BILL_ATTEMPT_COLS " FROM payment_attempts t"
                      " WHERE t.practice_id = ? AND t.id = ?",
    1},
[S_BILL_ATT_LOCK] = {"attempt lock",
    BILL_ATTEMPT_COLS " FROM payment_attempts t"
                      " WHERE t.practice_id = ? AND t.id = ? FOR UPDATE",
    0},
[S_BILL_ATT_BY_FORM] = {"attempt by form key",
    BILL_ATTEMPT_COLS " FROM payment_attempts t WHERE t.practice_id = ?"
                      " AND t.client_id = ? AND t.form_key = ?",
    1},
[S_BILL_ATT_OPEN] = {"attempt open count",
    "SELECT COUNT(*) FROM payment_attempts WHERE practice_id = ?"
    " AND client_id = ? AND status IN ('pending', 'unknown')",
    1},
[S_BILL_CLIENT_FLAGS] = {"billing client flags",
    "SELECT (SELECT COUNT(*) FROM payment_attempts WHERE practice_id = ?"
    " AND client_id = ? AND status IN ('pending', 'unknown')),"
    " (SELECT COUNT(*) FROM autopay_enrollments WHERE practice_id = ?"
    " AND client_id = ?)",
    1},
[S_BILL_ATT_OUTCOME] = {"attempt outcome",
    "UPDATE payment_attempts SET status = ?,"
    " processor_ref = COALESCE(?, processor_ref),"
    " decline_code = COALESCE(?, decline_code),"
    " message = COALESCE(?, message), updated_at = ? WHERE id = ?",
    1},
[S_BILL_ATT_ACTION] = {"attempt action",
    "UPDATE payment_attempts SET action_ref = ?, token = COALESCE(?, token)"
    " WHERE id = ?",
    1},
[S_BILL_SETUP_INS] = {"card setup insert",
    "INSERT INTO card_setups (practice_id, client_id, plugin, account,"
    " customer_ref, token, idempotency_key, action_ref, make_default,"
    " status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
    " 'requires_action', ?, ?)",
    0},
[S_BILL_SETUP_GET] = {"card setup get",
    "SELECT id, plugin, account, customer_ref, token, idempotency_key,"
    " action_ref, make_default, status FROM card_setups"
    " WHERE practice_id = ? AND client_id = ? AND id = ?",
    1},
[S_BILL_SETUP_SET] = {"card setup set",
    "UPDATE card_setups SET status = ?, action_ref = COALESCE(?, action_ref),"
    " payment_method_id = COALESCE(?, payment_method_id), updated_at = ?"
    " WHERE practice_id = ? AND client_id = ? AND id = ?",
    1},
[S_BILL_ATT_STALE] = {"attempt stale",
    "SELECT id FROM payment_attempts WHERE practice_id = ?"
    " AND status IN ('pending', 'unknown') AND updated_at <= ?"
    " ORDER BY id",
    1},
[S_BILL_ATT_LIST] = {"attempt list",
    BILL_ATTEMPT_COLS ", c.email, COALESCE(r.number, '')"
                      " FROM payment_attempts t"
                      " JOIN clients c ON c.id = t.client_id"
                      " LEFT JOIN payments p ON p.attempt_id = t.id"
                      " LEFT JOIN receipts r ON r.payment_id = p.id"
                      " WHERE t.practice_id = ? AND (? = 0 OR t.client_id = ?)"
                      " ORDER BY t.id DESC",
    1},
[S_BILL_PAY_INS] = {"payment insert",
    "INSERT INTO payments (practice_id, client_id, attempt_id, amount,"
    " currency, processor_ref, payment_method_id, card_brand, card_last4,"
    " paid_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    0},
[S_BILL_PAY_BY_ATT] = {"payment by attempt",
    "SELECT id FROM payments WHERE attempt_id = ?", 1},
[S_BILL_ALLOC_INS] = {"allocation insert",
    "INSERT INTO allocations (practice_id, client_id, payment_id,"
    " invoice_id, amount) VALUES (?, ?, ?, ?, ?)",
    0},
[S_BILL_RCPT_INS] = {"receipt insert",
    "INSERT INTO receipts (practice_id, client_id, payment_id, number,"
    " issued_at) VALUES (?, ?, ?, ?, ?)",
    0},
[S_BILL_RCPT_BY_ATT] = {"receipt by attempt",
    "SELECT r.number FROM receipts r JOIN payments p ON p.id = r.payment_id"
    " WHERE p.attempt_id = ?",
    1},
[S_BILL_ATT_BY_KEY] = {"attempt by key",
    BILL_ATTEMPT_COLS " FROM payment_attempts t WHERE t.practice_id = ?"
                      " AND t.idempotency_key = ?",
    1},
[S_BILL_EVT_HAS] = {"processor event seen",
    "SELECT COUNT(*) FROM processor_events WHERE practice_id = ?"
    " AND plugin = ? AND event_id = ?",
    1},
[S_BILL_EVT_INS] = {"processor event insert",
    "INSERT INTO processor_events (practice_id, plugin, event_id,"
    " type_name, payment_ref, attempt_id, received_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)",
    0},
    /* clang-format on */
