-- Processed-message records: a consumer claims a message id in the same
-- transaction as its effect, so a redelivered record changes nothing.
CREATE TABLE processed_messages (
	consumer     TEXT    NOT NULL,
	message_id   TEXT    NOT NULL,
	processed_at BIGINT  NOT NULL,
	PRIMARY KEY (consumer, message_id)
);
CREATE INDEX processed_messages_at ON processed_messages (processed_at);

CREATE TABLE customers (
	id         TEXT    PRIMARY KEY,
	version    BIGINT  NOT NULL,
	tier       TEXT    NOT NULL,
	doc        JSONB   NOT NULL,
	updated_at BIGINT  NOT NULL
);

CREATE TABLE api_keys (
	id         TEXT    PRIMARY KEY,
	name       TEXT    NOT NULL,
	hash       BYTEA   NOT NULL,
	scopes     TEXT    NOT NULL,
	created_at BIGINT  NOT NULL,
	revoked_at BIGINT  NOT NULL DEFAULT 0,
	last_used  BIGINT  NOT NULL DEFAULT 0
);
