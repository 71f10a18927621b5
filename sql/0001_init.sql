-- 0001_init.sql: practices, clinicians, clients, portal users, sessions,
-- login throttling and the audit log.
--
-- Conventions for every migration in this folder (applied in order by
-- `portalctl db migrate`, each file once, recorded in schema_migrations):
-- * InnoDB, utf8mb4, a primary key on every table (Galera needs one).
-- * Times are BIGINT unix seconds, UTC. Calendar dates are DATE.
-- * Rows a client can see carry practice_id and client_id.
-- * Galera-safe: no LOCK TABLES, no GET_LOCK, no MyISAM.
-- * Statements end with ';' at the end of a line; '--' lines are comments.
-- * Token hashes are sha256 hex (ascii_bin); tokens themselves are never
--   stored.

CREATE TABLE IF NOT EXISTS schema_migrations (
	version INT UNSIGNED NOT NULL,
	name VARCHAR(255) NOT NULL,
	applied_at BIGINT NOT NULL,
	PRIMARY KEY (version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS practices (
	id BIGINT NOT NULL AUTO_INCREMENT,
	slug VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	name VARCHAR(200) NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY practices_slug (slug)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS clinicians (
	id BIGINT NOT NULL AUTO_INCREMENT,
	practice_id BIGINT NOT NULL,
	name VARCHAR(200) NOT NULL,
	credentials VARCHAR(100) NOT NULL DEFAULT '',
	npi CHAR(10) CHARACTER SET ascii COLLATE ascii_bin NULL,
	email VARCHAR(254) NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (id),
	KEY clinicians_practice (practice_id),
	CONSTRAINT clinicians_practice_fk FOREIGN KEY (practice_id)
		REFERENCES practices (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS clients (
	id BIGINT NOT NULL AUTO_INCREMENT,
	practice_id BIGINT NOT NULL,
	first_name VARCHAR(100) NOT NULL,
	last_name VARCHAR(100) NOT NULL,
	email VARCHAR(254) NOT NULL,
	date_of_birth DATE NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (id),
	KEY clients_practice (practice_id, last_name, first_name),
	CONSTRAINT clients_practice_fk FOREIGN KEY (practice_id)
		REFERENCES practices (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A client's sign-in account. password_hash is NULL until the client sets a
-- password through the one-time invitation; the invitation is cleared then.
CREATE TABLE IF NOT EXISTS portal_users (
	id BIGINT NOT NULL AUTO_INCREMENT,
	practice_id BIGINT NOT NULL,
	client_id BIGINT NOT NULL,
	email VARCHAR(254) NOT NULL,
	password_hash VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
	invite_token_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
	invite_expires_at BIGINT NULL,
	password_set_at BIGINT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY portal_users_email (email),
	UNIQUE KEY portal_users_client (client_id),
	UNIQUE KEY portal_users_invite (invite_token_hash),
	KEY portal_users_practice (practice_id, client_id),
	CONSTRAINT portal_users_client_fk FOREIGN KEY (client_id)
		REFERENCES clients (id),
	CONSTRAINT portal_users_practice_fk FOREIGN KEY (practice_id)
		REFERENCES practices (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS sessions (
	id BIGINT NOT NULL AUTO_INCREMENT,
	token_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	user_id BIGINT NOT NULL,
	practice_id BIGINT NOT NULL,
	client_id BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL,
	ip VARCHAR(45) CHARACTER SET ascii COLLATE ascii_bin NULL,
	PRIMARY KEY (id),
	UNIQUE KEY sessions_token (token_hash),
	KEY sessions_user (user_id),
	KEY sessions_last_seen (last_seen_at),
	KEY sessions_created (created_at),
	CONSTRAINT sessions_user_fk FOREIGN KEY (user_id)
		REFERENCES portal_users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Failed sign-ins per account (lower-case email) and per address (IP text).
CREATE TABLE IF NOT EXISTS login_throttle (
	scope ENUM('account','address') NOT NULL,
	subject VARCHAR(254) NOT NULL,
	failures INT UNSIGNED NOT NULL DEFAULT 0,
	window_start BIGINT NOT NULL,
	locked_until BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (scope, subject)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Who did what, when. detail never holds a secret, password, token, card
-- number or CVV.
CREATE TABLE IF NOT EXISTS audit_log (
	id BIGINT NOT NULL AUTO_INCREMENT,
	at BIGINT NOT NULL,
	practice_id BIGINT NOT NULL,
	client_id BIGINT NULL,
	user_id BIGINT NULL,
	actor ENUM('client','clinician','system') NOT NULL,
	action VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	detail VARCHAR(1000) NOT NULL DEFAULT '',
	ip VARCHAR(45) CHARACTER SET ascii COLLATE ascii_bin NULL,
	PRIMARY KEY (id),
	KEY audit_practice_client (practice_id, client_id, id),
	KEY audit_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
