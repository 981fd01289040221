// Package dashboard is IMP's operations dashboard, what Flower was for the
// seed's Celery workers, for every consumer, message and dead letter: an
// http.Handler of server-rendered pages (html/template, embedded assets, a
// little vanilla JS for Server-Sent Events) mounted under a base path by
// `imp serve` (/ui/) and `imp dashboard` (/).
//
// It reads tracking, dead letters, audit and users from the store, lag and
// offsets from the broker (kadm), and payloads from Kafka at a tracked
// record's position. Operators re-push and discard through
// consumer.Operator, which writes the audit log and the message timeline.
//
// Users have one of three roles: viewer (read-only, patient identifiers in
// payloads masked), operator (re-push, discard, re-run), admin (users and
// API keys). Every state-changing request carries a per-session CSRF token
// and must come from the dashboard's own origin.
//
// It must never log passwords, session cookies, CSRF tokens, API key
// tokens or payloads, and must never show a viewer an unmasked payload.
package dashboard
