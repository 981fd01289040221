// Package api is IMP's REST front door on net/http: it authenticates the
// client, validates the body against the lab domain, publishes the record
// to its stream and answers 202 only after the broker acknowledged it.
// Reads come from the store.
//
// Every route is declared once in routes.go, with its scope; the router,
// the auth check and the OpenAPI document are derived from that table.
// Errors are RFC 9457 problem+json documents. The package must never log
// request or response bodies, nor patient identifiers.
package api
