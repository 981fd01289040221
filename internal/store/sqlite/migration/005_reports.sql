-- PDF result reports: one row per report version of an order. The digest
-- identifies the set of results a version was made from, so redelivered
-- triggers never make a second copy of the same version.
CREATE TABLE reports (
	report_id  TEXT    PRIMARY KEY,
	accession  TEXT    NOT NULL,
	version    INTEGER NOT NULL,
	digest     TEXT    NOT NULL,
	path       TEXT    NOT NULL,
	size       BIGINT  NOT NULL,
	created_at BIGINT  NOT NULL,
	UNIQUE (accession, version),
	UNIQUE (accession, digest)
);
