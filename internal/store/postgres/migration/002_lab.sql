-- Master data and lab state. Each versioned table keeps the document as
-- JSON beside the columns IMP filters on; a stale version never overwrites
-- a newer one (the upserts compare versions).
CREATE TABLE employees (
	id         TEXT    PRIMARY KEY,
	version    BIGINT  NOT NULL,
	role       TEXT    NOT NULL,
	active     BOOLEAN NOT NULL,
	doc        JSONB   NOT NULL,
	updated_at BIGINT  NOT NULL
);

CREATE TABLE tests (
	code       TEXT    PRIMARY KEY,
	version    BIGINT  NOT NULL,
	active     BOOLEAN NOT NULL,
	doc        JSONB   NOT NULL,
	updated_at BIGINT  NOT NULL
);

CREATE TABLE orders (
	accession   TEXT    PRIMARY KEY,
	version     BIGINT  NOT NULL,
	customer_id TEXT    NOT NULL,
	partner_id  TEXT    NOT NULL,
	doc         JSONB   NOT NULL,
	updated_at  BIGINT  NOT NULL,
	lis_state   TEXT    NOT NULL DEFAULT 'pending',
	lis_detail  TEXT    NOT NULL DEFAULT '',
	lis_at      BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX orders_customer ON orders (customer_id);

-- Current status per accession; status events may arrive before the order.
CREATE TABLE order_status (
	accession  TEXT    PRIMARY KEY,
	status     TEXT    NOT NULL,
	status_at  BIGINT  NOT NULL,
	doc        JSONB   NOT NULL
);

CREATE TABLE results (
	accession      TEXT    NOT NULL,
	test_code      TEXT    NOT NULL,
	version        BIGINT  NOT NULL,
	status_rank    INTEGER NOT NULL,
	result_updated BIGINT  NOT NULL,
	customer_id    TEXT    NOT NULL,
	tier           TEXT    NOT NULL,
	doc            JSONB   NOT NULL,
	PRIMARY KEY (accession, test_code)
);
CREATE INDEX results_customer ON results (customer_id);

-- Message tracking: the latest outcome per (message, consumer) and a
-- timeline of the steps that were not plain success.
CREATE TABLE messages (
	message_id   TEXT    NOT NULL,
	consumer     TEXT    NOT NULL,
	stream       TEXT    NOT NULL,
	topic        TEXT    NOT NULL,
	part         INTEGER NOT NULL,
	off          BIGINT  NOT NULL,
	status       TEXT    NOT NULL,
	attempt      INTEGER NOT NULL,
	error        TEXT    NOT NULL,
	note         TEXT    NOT NULL,
	actor        TEXT    NOT NULL,
	order_key    TEXT    NOT NULL,
	customer_key TEXT    NOT NULL,
	test_key     TEXT    NOT NULL,
	first_at     BIGINT  NOT NULL,
	updated_at   BIGINT  NOT NULL,
	PRIMARY KEY (message_id, consumer)
);
CREATE INDEX messages_updated ON messages (updated_at);
CREATE INDEX messages_order ON messages (order_key);
CREATE INDEX messages_customer ON messages (customer_key);
CREATE INDEX messages_test ON messages (test_key);
CREATE INDEX messages_consumer ON messages (consumer, updated_at);

CREATE TABLE message_events (
	id         BIGSERIAL PRIMARY KEY,
	message_id TEXT    NOT NULL,
	consumer   TEXT    NOT NULL,
	status     TEXT    NOT NULL,
	attempt    INTEGER NOT NULL,
	error      TEXT    NOT NULL,
	actor      TEXT    NOT NULL,
	at         BIGINT  NOT NULL
);
CREATE INDEX message_events_msg ON message_events (message_id);
CREATE INDEX message_events_at ON message_events (at);

CREATE TABLE dead_letters (
	message_id   TEXT    NOT NULL,
	consumer     TEXT    NOT NULL,
	stream       TEXT    NOT NULL,
	topic        TEXT    NOT NULL,
	part         INTEGER NOT NULL,
	off          BIGINT  NOT NULL,
	error_class  TEXT    NOT NULL,
	error        TEXT    NOT NULL,
	attempts     INTEGER NOT NULL,
	order_key    TEXT    NOT NULL,
	customer_key TEXT    NOT NULL,
	test_key     TEXT    NOT NULL,
	dead_at      BIGINT  NOT NULL,
	state        TEXT    NOT NULL,
	actor        TEXT    NOT NULL,
	acted_at     BIGINT  NOT NULL,
	PRIMARY KEY (message_id, consumer)
);
CREATE INDEX dead_letters_state ON dead_letters (state, dead_at);
CREATE INDEX dead_letters_order ON dead_letters (order_key);
CREATE INDEX dead_letters_customer ON dead_letters (customer_key);

CREATE TABLE audit_log (
	id     BIGSERIAL PRIMARY KEY,
	actor  TEXT   NOT NULL,
	action TEXT   NOT NULL,
	target TEXT   NOT NULL,
	detail TEXT   NOT NULL,
	at     BIGINT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE idempotency (
	client       TEXT    NOT NULL,
	idem_key     TEXT    NOT NULL,
	request_hash BYTEA   NOT NULL,
	status       INTEGER NOT NULL,
	response     BYTEA   NOT NULL,
	created_at   BIGINT  NOT NULL,
	PRIMARY KEY (client, idem_key)
);
CREATE INDEX idempotency_created ON idempotency (created_at);
