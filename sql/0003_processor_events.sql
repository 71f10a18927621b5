-- 0003_processor_events.sql: webhook events from card processors, kept by
-- event id so that a delivery repeated by the processor is handled once.
-- Conventions as in 0001_init.sql.

CREATE TABLE IF NOT EXISTS processor_events (
	id BIGINT NOT NULL AUTO_INCREMENT,
	practice_id BIGINT NOT NULL,
	plugin VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	event_id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	type_name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	payment_ref VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
	attempt_id BIGINT NULL,
	received_at BIGINT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY processor_events_event (practice_id, plugin, event_id),
	CONSTRAINT processor_events_practice_fk FOREIGN KEY (practice_id)
		REFERENCES practices (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
