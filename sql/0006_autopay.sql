-- 0006_autopay.sql: AutoPay: who is enrolled, each practice's night
-- window, one charge row per client and night, and one row per run.
--
-- Conventions as in 0001_init.sql. What a night charged and how it ended is
-- read from payment_attempts (the attempt of each autopay_charges row), so
-- `portalctl payments reconcile` settling an attempt is seen here at once;
-- the counters of autopay_runs are what one runner saw when it ran.

-- Enrollment of a client (the clinician's action). A row is never deleted:
-- unenrolling (by the clinician, or by the batch after 3 failed nights)
-- clears enabled and says why. enrolled_at is when the current enrollment
-- began: failed nights before it do not count.
CREATE TABLE IF NOT EXISTS autopay_enrollments (
	id BIGINT NOT NULL AUTO_INCREMENT,
	practice_id BIGINT NOT NULL,
	client_id BIGINT NOT NULL,
	enabled TINYINT(1) NOT NULL DEFAULT 1,
	enrolled_at BIGINT NOT NULL,
	disabled_at BIGINT NULL,
	disabled_reason ENUM('clinician','failures') NULL,
	disabled_on DATE NULL,
	failed_nights INT NOT NULL DEFAULT 0,
	last_run_on DATE NULL,
	last_status VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY autopay_enrollments_client (practice_id, client_id),
	KEY autopay_enrollments_on (practice_id, enabled),
	CONSTRAINT autopay_enrollments_client_fk FOREIGN KEY (client_id)
		REFERENCES clients (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The night window of a practice, in minutes after midnight practice time
-- (end exclusive). No row: 00:00 to 02:00.
CREATE TABLE IF NOT EXISTS autopay_windows (
	practice_id BIGINT NOT NULL,
	start_min SMALLINT NOT NULL,
	end_min SMALLINT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (practice_id),
	CONSTRAINT autopay_windows_practice_fk FOREIGN KEY (practice_id)
		REFERENCES practices (id),
	CONSTRAINT autopay_windows_range CHECK (start_min >= 0
		AND start_min < 1440 AND end_min > 0 AND end_min <= 1440
		AND start_min <> end_min)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One AutoPay charge per client and night, inserted in the transaction
-- that inserts its payment attempt (whose idempotency key is fixed by
-- practice, client and run_on): a second runner, a rerun or a second host
-- finds it and charges nobody twice. through_invoice_id is the newest
-- invoice the charged balance covered.
CREATE TABLE IF NOT EXISTS autopay_charges (
	id BIGINT NOT NULL AUTO_INCREMENT,
	practice_id BIGINT NOT NULL,
	client_id BIGINT NOT NULL,
	run_on DATE NOT NULL,
	attempt_id BIGINT NOT NULL,
	amount BIGINT NOT NULL,
	through_invoice_id BIGINT NOT NULL,
	runner VARCHAR(128) NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY autopay_charges_night (practice_id, client_id, run_on),
	UNIQUE KEY autopay_charges_attempt (attempt_id),
	KEY autopay_charges_run (practice_id, run_on),
	CONSTRAINT autopay_charges_attempt_fk FOREIGN KEY (attempt_id)
		REFERENCES payment_attempts (id),
	CONSTRAINT autopay_charges_client_fk FOREIGN KEY (client_id)
		REFERENCES clients (id),
	CONSTRAINT autopay_charges_amount CHECK (amount > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per `portalctl autopay run` of a practice (several runners on
-- several hosts make several rows for one night): what that runner did.
CREATE TABLE IF NOT EXISTS autopay_runs (
	id BIGINT NOT NULL AUTO_INCREMENT,
	practice_id BIGINT NOT NULL,
	run_on DATE NOT NULL,
	runner VARCHAR(128) NOT NULL,
	dry_run TINYINT(1) NOT NULL DEFAULT 0,
	started_at BIGINT NOT NULL,
	finished_at BIGINT NULL,
	due INT NOT NULL DEFAULT 0,
	succeeded INT NOT NULL DEFAULT 0,
	succeeded_amount BIGINT NOT NULL DEFAULT 0,
	declined INT NOT NULL DEFAULT 0,
	declined_amount BIGINT NOT NULL DEFAULT 0,
	action_required INT NOT NULL DEFAULT 0,
	action_amount BIGINT NOT NULL DEFAULT 0,
	unknown INT NOT NULL DEFAULT 0,
	unknown_amount BIGINT NOT NULL DEFAULT 0,
	not_sent INT NOT NULL DEFAULT 0,
	skipped INT NOT NULL DEFAULT 0,
	turned_off INT NOT NULL DEFAULT 0,
	PRIMARY KEY (id),
	KEY autopay_runs_night (practice_id, run_on),
	CONSTRAINT autopay_runs_practice_fk FOREIGN KEY (practice_id)
		REFERENCES practices (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
