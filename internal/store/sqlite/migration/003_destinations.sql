-- Where results, statuses and reports go: per partner, per customer, or for
-- everyone. The connector settings (URL, MLLP address, secret) are a JSON
-- document read by internal/delivery.
CREATE TABLE destinations (
	id         TEXT    PRIMARY KEY,
	owner      TEXT    NOT NULL, -- partner:<id>, customer:<id> or *
	events     TEXT    NOT NULL, -- space-separated: result status report
	format     TEXT    NOT NULL, -- json, hl7, fhir
	connector  TEXT   NOT NULL,
	enabled    BOOLEAN NOT NULL,
	created_at BIGINT  NOT NULL
);
CREATE INDEX destinations_owner ON destinations (owner);
