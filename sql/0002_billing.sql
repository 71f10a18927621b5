-- 0002_billing.sql: invoices and their lines, processor customers, cards on
-- file, payment attempts, payments, their allocation to invoices, receipts,
-- refunds and the per-practice document number counters.
--
-- Conventions as in 0001_init.sql. Money is BIGINT minor units of the
-- practice's currency. Nothing here stores a card number, a CVV or a
-- processor secret: only the processor's ids, brand, last 4 and expiry.
-- An invoice's status (paid or not) is derived from its lines, allocations
-- and refunds; it is never stored as the only copy. Balance = invoiced -
-- applied payments + refunds, computed from these rows.

-- Next document number per practice and kind ('invoice', 'receipt'), taken
-- under SELECT ... FOR UPDATE in the transaction that uses it.
CREATE TABLE IF NOT EXISTS billing_counters (
	practice_id BIGINT NOT NULL,
	kind VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	next_value BIGINT NOT NULL,
	PRIMARY KEY (practice_id, kind),
	CONSTRAINT billing_counters_practice_fk FOREIGN KEY (practice_id)
		REFERENCES practices (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS invoices (
	id BIGINT NOT NULL AUTO_INCREMENT,
	practice_id BIGINT NOT NULL,
	client_id BIGINT NOT NULL,
	number VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	issued_on DATE NOT NULL,
	due_on DATE NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY invoices_number (practice_id, number),
	KEY invoices_client (practice_id, client_id, issued_on),
	CONSTRAINT invoices_practice_fk FOREIGN KEY (practice_id)
		REFERENCES practices (id),
	CONSTRAINT invoices_client_fk FOREIGN KEY (client_id)
		REFERENCES clients (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One service on an invoice. amount = quantity * unit_amount. Descriptions
-- are what the client reads; never a diagnosis or CPT code.
CREATE TABLE IF NOT EXISTS invoice_lines (
	id BIGINT NOT NULL AUTO_INCREMENT,
	practice_id BIGINT NOT NULL,
	client_id BIGINT NOT NULL,
	invoice_id BIGINT NOT NULL,
	line_no INT NOT NULL,
	date_of_service DATE NOT NULL,
	description VARCHAR(200) NOT NULL,
	quantity INT NOT NULL DEFAULT 1,
	unit_amount BIGINT NOT NULL,
	amount BIGINT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY invoice_lines_no (invoice_id, line_no),
	KEY invoice_lines_client (practice_id, client_id),
	CONSTRAINT invoice_lines_invoice_fk FOREIGN KEY (invoice_id)
		REFERENCES invoices (id),
	CONSTRAINT invoice_lines_amount CHECK (quantity > 0 AND unit_amount >= 0
		AND amount = quantity * unit_amount)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The processor's customer of a client, per plugin.
CREATE TABLE IF NOT EXISTS processor_customers (
	id BIGINT NOT NULL AUTO_INCREMENT,
	practice_id BIGINT NOT NULL,
	client_id BIGINT NOT NULL,
	plugin VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	customer_ref VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY processor_customers_client (practice_id, client_id, plugin),
	CONSTRAINT processor_customers_client_fk FOREIGN KEY (client_id)
		REFERENCES clients (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Cards on file. Clients add cards and choose the default; only the
-- clinician disables one (disabled_at), and rows are never deleted.
CREATE TABLE IF NOT EXISTS payment_methods (
	id BIGINT NOT NULL AUTO_INCREMENT,
	practice_id BIGINT NOT NULL,
	client_id BIGINT NOT NULL,
	plugin VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	customer_ref VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	processor_pm VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	brand VARCHAR(24) NOT NULL DEFAULT '',
	last4 VARCHAR(4) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	exp_month TINYINT UNSIGNED NOT NULL,
	exp_year SMALLINT UNSIGNED NOT NULL,
	is_default TINYINT(1) NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	disabled_at BIGINT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY payment_methods_ref (practice_id, plugin, processor_pm),
	KEY payment_methods_client (practice_id, client_id),
	CONSTRAINT payment_methods_client_fk FOREIGN KEY (client_id)
		REFERENCES clients (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One try to charge, inserted 'pending' with its idempotency key and
-- committed before the processor is called (DESIGN: a payment,
-- crash-safely). form_key is the pay form's one-time key: a resubmitted
-- form finds its attempt. 'pending'/'unknown' rows are settled by
-- `portalctl payments reconcile`.
CREATE TABLE IF NOT EXISTS payment_attempts (
	id BIGINT NOT NULL AUTO_INCREMENT,
	practice_id BIGINT NOT NULL,
	client_id BIGINT NOT NULL,
	user_id BIGINT NULL,
	form_key VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
	idempotency_key VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
	target ENUM('balance','invoice') NOT NULL,
	invoice_id BIGINT NULL,
	amount BIGINT NOT NULL,
	currency CHAR(3) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	plugin VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	source ENUM('card','token') NOT NULL,
	payment_method_id BIGINT NULL,
	save_card TINYINT(1) NOT NULL DEFAULT 0,
	make_default TINYINT(1) NOT NULL DEFAULT 0,
	off_session TINYINT(1) NOT NULL DEFAULT 0,
	status ENUM('pending','succeeded','declined','requires_action',
		'unknown','failed') NOT NULL,
	processor_ref VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
	decline_code VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
	message VARCHAR(255) NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY payment_attempts_key (idempotency_key),
	UNIQUE KEY payment_attempts_form (practice_id, client_id, form_key),
	KEY payment_attempts_status (practice_id, status, updated_at),
	CONSTRAINT payment_attempts_client_fk FOREIGN KEY (client_id)
		REFERENCES clients (id),
	CONSTRAINT payment_attempts_amount CHECK (amount > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Money received: one row per succeeded attempt.
CREATE TABLE IF NOT EXISTS payments (
	id BIGINT NOT NULL AUTO_INCREMENT,
	practice_id BIGINT NOT NULL,
	client_id BIGINT NOT NULL,
	attempt_id BIGINT NOT NULL,
	amount BIGINT NOT NULL,
	currency CHAR(3) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	processor_ref VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	payment_method_id BIGINT NULL,
	card_brand VARCHAR(24) NOT NULL DEFAULT '',
	card_last4 VARCHAR(4) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
		DEFAULT '',
	paid_at BIGINT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY payments_attempt (attempt_id),
	KEY payments_client (practice_id, client_id, paid_at),
	CONSTRAINT payments_attempt_fk FOREIGN KEY (attempt_id)
		REFERENCES payment_attempts (id),
	CONSTRAINT payments_amount CHECK (amount > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- How a payment was applied to invoices.
CREATE TABLE IF NOT EXISTS allocations (
	id BIGINT NOT NULL AUTO_INCREMENT,
	practice_id BIGINT NOT NULL,
	client_id BIGINT NOT NULL,
	payment_id BIGINT NOT NULL,
	invoice_id BIGINT NOT NULL,
	amount BIGINT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY allocations_pair (payment_id, invoice_id),
	KEY allocations_invoice (invoice_id),
	KEY allocations_client (practice_id, client_id),
	CONSTRAINT allocations_payment_fk FOREIGN KEY (payment_id)
		REFERENCES payments (id),
	CONSTRAINT allocations_invoice_fk FOREIGN KEY (invoice_id)
		REFERENCES invoices (id),
	CONSTRAINT allocations_amount CHECK (amount > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One receipt per payment, made in the payment's transaction; never
-- updated (app/db has no statement that would).
CREATE TABLE IF NOT EXISTS receipts (
	id BIGINT NOT NULL AUTO_INCREMENT,
	practice_id BIGINT NOT NULL,
	client_id BIGINT NOT NULL,
	payment_id BIGINT NOT NULL,
	number VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	issued_at BIGINT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY receipts_payment (payment_id),
	UNIQUE KEY receipts_number (practice_id, number),
	KEY receipts_client (practice_id, client_id),
	CONSTRAINT receipts_payment_fk FOREIGN KEY (payment_id)
		REFERENCES payments (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Refunds (the clinician's), full or partial, to the original card.
-- invoice_id names the invoice whose paid amount the refund reduces.
CREATE TABLE IF NOT EXISTS refunds (
	id BIGINT NOT NULL AUTO_INCREMENT,
	practice_id BIGINT NOT NULL,
	client_id BIGINT NOT NULL,
	payment_id BIGINT NOT NULL,
	invoice_id BIGINT NULL,
	amount BIGINT NOT NULL,
	idempotency_key VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	status ENUM('pending','succeeded','failed','unknown') NOT NULL,
	processor_ref VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY refunds_key (idempotency_key),
	KEY refunds_payment (payment_id),
	KEY refunds_invoice (invoice_id),
	KEY refunds_client (practice_id, client_id),
	CONSTRAINT refunds_payment_fk FOREIGN KEY (payment_id)
		REFERENCES payments (id),
	CONSTRAINT refunds_amount CHECK (amount > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
