-- 0009_mail.sql: the mail outbox and password reset links.
--
-- Conventions as in 0001_init.sql. A message is queued in the transaction
-- of the event that causes it (a receipt with its payment, an invitation
-- with its account) and sent later by `portalctl mail send`, which claims
-- one row at a time ('sending', claimed_at) before it talks SMTP, so a
-- sender killed mid-message leaves the row to be sent again with the same
-- Message-ID (made from id and created_at). params holds the message's
-- values as "key=value" lines: never a card number, a diagnosis, a
-- service code or a secret. The one secret a message carries (the token
-- of an invitation or reset link) is kept in secret_box, encrypted under
-- the portal's secret key, and cleared once the message is sent or has
-- failed for good.

CREATE TABLE IF NOT EXISTS mail_outbox (
	id BIGINT NOT NULL AUTO_INCREMENT,
	practice_id BIGINT NOT NULL,
	client_id BIGINT NULL,
	kind VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	to_addr VARCHAR(254) NOT NULL,
	params TEXT NOT NULL,
	secret_box VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
	dedupe_key VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
	status ENUM('queued','sending','sent','failed') NOT NULL
		DEFAULT 'queued',
	attempts INT UNSIGNED NOT NULL DEFAULT 0,
	next_attempt_at BIGINT NOT NULL,
	claimed_at BIGINT NULL,
	sent_at BIGINT NULL,
	last_error VARCHAR(255) NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY mail_outbox_dedupe (dedupe_key),
	KEY mail_outbox_due (status, next_attempt_at),
	KEY mail_outbox_practice (practice_id, status),
	CONSTRAINT mail_outbox_practice_fk FOREIGN KEY (practice_id)
		REFERENCES practices (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One "Forgot password?" link: works once (used_at) until expires_at.
CREATE TABLE IF NOT EXISTS password_resets (
	id BIGINT NOT NULL AUTO_INCREMENT,
	user_id BIGINT NOT NULL,
	token_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at BIGINT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY password_resets_token (token_hash),
	KEY password_resets_user (user_id),
	CONSTRAINT password_resets_user_fk FOREIGN KEY (user_id)
		REFERENCES portal_users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Reset requests are throttled per account and per address like sign-ins.
ALTER TABLE login_throttle MODIFY scope
	ENUM('account','address','reset_account','reset_address') NOT NULL;
