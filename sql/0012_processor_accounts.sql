-- 0012_processor_accounts.sql: cards and processor customers belong to one
-- processor account, and payments or card saves that need the client to
-- authenticate (3-D Secure) can be completed later under the same key.
--
-- Conventions as in 0001_init.sql. account is the portal's fingerprint of
-- the processor account a practice's gateway block acts for (app/billing:
-- the plugin's public widget values, hashed; never a secret): a token or
-- customer id is only valid there, so a card is offered and charged only
-- while the practice is on that plugin and account. '' (rows stored before
-- this migration) matches any account of the same plugin.

ALTER TABLE payment_methods
	ADD COLUMN IF NOT EXISTS account VARCHAR(64) CHARACTER SET ascii
		COLLATE ascii_bin NOT NULL DEFAULT '' AFTER plugin;

ALTER TABLE processor_customers
	ADD COLUMN IF NOT EXISTS account VARCHAR(64) CHARACTER SET ascii
		COLLATE ascii_bin NOT NULL DEFAULT '' AFTER plugin,
	DROP INDEX IF EXISTS processor_customers_client,
	ADD UNIQUE KEY IF NOT EXISTS processor_customers_account
		(practice_id, client_id, plugin, account);

-- An attempt that ended requires_action keeps what completing it needs:
-- the processor object of the next action (not secret) and, for a one-time
-- token, the token (a processor id, never card data), so the same payment
-- is completed under the attempt's idempotency key.
ALTER TABLE payment_attempts
	ADD COLUMN IF NOT EXISTS account VARCHAR(64) CHARACTER SET ascii
		COLLATE ascii_bin NOT NULL DEFAULT '' AFTER plugin,
	ADD COLUMN IF NOT EXISTS action_ref VARCHAR(128) CHARACTER SET ascii
		COLLATE ascii_bin NULL AFTER processor_ref,
	ADD COLUMN IF NOT EXISTS token VARCHAR(255) CHARACTER SET ascii
		COLLATE ascii_bin NULL AFTER action_ref;

-- A card save the processor answered with a challenge (a SetupIntent that
-- requires action): what completing it needs, scoped to the client.
CREATE TABLE IF NOT EXISTS card_setups (
	id BIGINT NOT NULL AUTO_INCREMENT,
	practice_id BIGINT NOT NULL,
	client_id BIGINT NOT NULL,
	plugin VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	account VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	customer_ref VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	token VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	idempotency_key VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	action_ref VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	make_default TINYINT(1) NOT NULL DEFAULT 0,
	status ENUM('requires_action','succeeded','failed') NOT NULL,
	payment_method_id BIGINT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY card_setups_key (idempotency_key),
	KEY card_setups_client (practice_id, client_id),
	CONSTRAINT card_setups_client_fk FOREIGN KEY (client_id)
		REFERENCES clients (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
