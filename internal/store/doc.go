// Package store is IMP's persistence seam: one Store interface that every
// consumer, the API and the dashboard use, with a driver per database
// (store/sqlite for the embedded default, store/postgres for production)
// built on the shared SQL engine in store/sqlstore. The shared test suite in
// store/storetest is run by every driver.
//
// Effects that must happen once (a consumer applying a record) go through Tx,
// which records the processed message id in the same transaction as the
// state change. The package must never log record payloads or patient data.
package store
