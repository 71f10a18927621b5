-- 0007_locale.sql: the practice's locale. Invoices need no sharing (every
-- invoice of a client is in the client's Billing Documents), so the table
-- that said which ones were shared goes. A statement's or superbill's
-- period ends at an instant of the practice's time zone: period_end_at
-- is the first second after its last day there (unix seconds, UTC), which
-- the Billing Documents list compares payments and refunds with. Rows
-- made before this migration end at midnight UTC, as they were computed.
--
-- Conventions as in 0001_init.sql.

DROP TABLE IF EXISTS doc_invoice_shares;

ALTER TABLE doc_documents ADD COLUMN IF NOT EXISTS period_end_at BIGINT NULL
	AFTER period_end;

UPDATE doc_documents
	SET period_end_at = UNIX_TIMESTAMP(period_end + INTERVAL 1 DAY)
	WHERE period_end_at IS NULL;

ALTER TABLE doc_documents MODIFY period_end_at BIGINT NOT NULL;
