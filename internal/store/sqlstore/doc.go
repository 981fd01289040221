// Package sqlstore is the SQL engine shared by IMP's store drivers: it
// implements store.Store over database/sql, and a Dialect supplies what
// differs between databases (placeholders, migration locking, error
// mapping, the migration files themselves).
//
// Queries are written once, in PostgreSQL placeholder style ($1, $2, ...),
// and rebound by the dialect. Times are stored as BIGINT microseconds since
// the Unix epoch (UTC) so both databases compare and index them the same way.
package sqlstore
