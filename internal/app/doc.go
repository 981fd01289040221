// Package app wires IMP's parts from a validated config: the embedded or
// external broker, the SQLite or PostgreSQL store, the producer, topic
// provisioning, the API and the consumers, and runs them with a bounded
// graceful shutdown. cmd/imp stays thin by calling into it.
package app
