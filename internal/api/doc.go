// Package api is IMP's REST front door on net/http: it authenticates the
// client, validates the body against the lab domain, publishes the record
// to its stream and answers 202 only after the broker acknowledged it.
// Reads come from the store.
//
// Every route is declared once in routes.go, with its scope; the router,
// the auth check and the OpenAPI document (openapi.go) are derived from
// that table. The writable collections (ingest.go) share one definition
// between the single and the batch handler (batch.go). Idempotency-Key
// handling is in idempotency.go; the fast path for results in
// resultcodec.go. Errors are RFC 9457 problem+json documents (problem.go),
// with field paths (decode.go, explain.go).
//
// The package must never log request or response bodies, nor patient
// identifiers: log lines carry the correlation id, route patterns, key
// ids and message ids only.
package api
