-- 0005_documents.sql: billing documents beyond invoices and receipts:
-- statements and superbills, which invoices are shared with the client,
-- the rendering providers and client profiles a superbill prints, and the
-- insurance coding (CPT, place of service, ICD-10) of invoice lines.
--
-- Conventions as in 0001_init.sql. A statement stores only its period: its
-- balances and entries are computed from the ledger rows of 0002 when it
-- is shown. A superbill stores which invoice lines it covers. Codes never
-- leave the portal towards a processor (REFERENCE: no CPT or ICD codes in
-- processor metadata); they live only in these tables.

-- A rendering provider of a practice (the clinician named on superbills).
-- One per individual NPI; is_default marks the one documents use when
-- nobody names another.
CREATE TABLE IF NOT EXISTS doc_providers (
	id BIGINT NOT NULL AUTO_INCREMENT,
	practice_id BIGINT NOT NULL,
	name VARCHAR(200) NOT NULL,
	credentials VARCHAR(100) NOT NULL DEFAULT '',
	npi CHAR(10) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	org_npi CHAR(10) CHARACTER SET ascii COLLATE ascii_bin NULL,
	tax_id VARCHAR(20) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	licence VARCHAR(100) NOT NULL DEFAULT '',
	taxonomy VARCHAR(10) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
		DEFAULT '',
	is_default TINYINT(1) NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY doc_providers_npi (practice_id, npi),
	CONSTRAINT doc_providers_practice_fk FOREIGN KEY (practice_id)
		REFERENCES practices (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What a superbill prints about a client beyond clients' own columns.
-- date_of_birth overrides clients.date_of_birth when set.
CREATE TABLE IF NOT EXISTS doc_client_profiles (
	practice_id BIGINT NOT NULL,
	client_id BIGINT NOT NULL,
	date_of_birth DATE NULL,
	address1 VARCHAR(200) NOT NULL DEFAULT '',
	address2 VARCHAR(200) NOT NULL DEFAULT '',
	city VARCHAR(100) NOT NULL DEFAULT '',
	region VARCHAR(100) NOT NULL DEFAULT '',
	postal_code VARCHAR(20) NOT NULL DEFAULT '',
	insurer VARCHAR(200) NOT NULL DEFAULT '',
	member_id VARCHAR(64) NOT NULL DEFAULT '',
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (client_id),
	KEY doc_client_profiles_practice (practice_id, client_id),
	CONSTRAINT doc_client_profiles_client_fk FOREIGN KEY (client_id)
		REFERENCES clients (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The insurance coding of one invoice line: place of service, CPT code and
-- modifiers, up to four ICD-10-CM codes (comma-separated, in pointer
-- order) and units.
CREATE TABLE IF NOT EXISTS doc_line_codes (
	invoice_line_id BIGINT NOT NULL,
	practice_id BIGINT NOT NULL,
	client_id BIGINT NOT NULL,
	pos CHAR(2) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	cpt VARCHAR(5) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	modifiers VARCHAR(11) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
		DEFAULT '',
	icd VARCHAR(39) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	units INT NOT NULL DEFAULT 1,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (invoice_line_id),
	KEY doc_line_codes_client (practice_id, client_id),
	CONSTRAINT doc_line_codes_line_fk FOREIGN KEY (invoice_line_id)
		REFERENCES invoice_lines (id),
	CONSTRAINT doc_line_codes_units CHECK (units >= 1 AND units <= 99)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Invoices the clinician shared with the client (a row means shared).
CREATE TABLE IF NOT EXISTS doc_invoice_shares (
	invoice_id BIGINT NOT NULL,
	practice_id BIGINT NOT NULL,
	client_id BIGINT NOT NULL,
	shared_at BIGINT NOT NULL,
	PRIMARY KEY (invoice_id),
	KEY doc_invoice_shares_client (practice_id, client_id),
	CONSTRAINT doc_invoice_shares_invoice_fk FOREIGN KEY (invoice_id)
		REFERENCES invoices (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Statements and superbills. number is "ST-000001" / "SB-000001" from
-- billing_counters (kinds 'statement' and 'superbill'). shared_at is NULL
-- until the clinician shares the document.
CREATE TABLE IF NOT EXISTS doc_documents (
	id BIGINT NOT NULL AUTO_INCREMENT,
	practice_id BIGINT NOT NULL,
	client_id BIGINT NOT NULL,
	kind ENUM('statement','superbill') NOT NULL,
	number VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	issued_on DATE NOT NULL,
	period_start DATE NOT NULL,
	period_end DATE NOT NULL,
	provider_id BIGINT NULL,
	shared_at BIGINT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY doc_documents_number (practice_id, number),
	KEY doc_documents_client (practice_id, client_id, issued_on),
	CONSTRAINT doc_documents_client_fk FOREIGN KEY (client_id)
		REFERENCES clients (id),
	CONSTRAINT doc_documents_provider_fk FOREIGN KEY (provider_id)
		REFERENCES doc_providers (id),
	CONSTRAINT doc_documents_period CHECK (period_start <= period_end)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The invoice lines a superbill covers.
CREATE TABLE IF NOT EXISTS doc_superbill_lines (
	document_id BIGINT NOT NULL,
	invoice_line_id BIGINT NOT NULL,
	PRIMARY KEY (document_id, invoice_line_id),
	KEY doc_superbill_lines_line (invoice_line_id),
	CONSTRAINT doc_superbill_lines_doc_fk FOREIGN KEY (document_id)
		REFERENCES doc_documents (id),
	CONSTRAINT doc_superbill_lines_line_fk FOREIGN KEY (invoice_line_id)
		REFERENCES invoice_lines (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
