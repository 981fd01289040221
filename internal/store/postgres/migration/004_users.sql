-- Dashboard users and sessions. Passwords are stored as password hashes
-- only; a session is looked up by the hash of its cookie value, so a
-- database read does not yield usable cookies.
CREATE TABLE users (
	username      TEXT    PRIMARY KEY,
	password_hash TEXT    NOT NULL,
	role          TEXT    NOT NULL, -- viewer, operator, admin
	disabled      BOOLEAN NOT NULL,
	must_change   BOOLEAN NOT NULL,
	created_at    BIGINT  NOT NULL,
	last_login    BIGINT  NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
	id_hash    BYTEA   PRIMARY KEY,
	username   TEXT    NOT NULL,
	csrf       TEXT    NOT NULL,
	created_at BIGINT  NOT NULL,
	expires_at BIGINT  NOT NULL
);
CREATE INDEX sessions_user ON sessions (username);
CREATE INDEX sessions_expires ON sessions (expires_at);
