// Package e2e holds end-to-end tests that run the imp binary as a
// subprocess: crash recovery with kill -9, graceful shutdown on SIGTERM.
// The binary is built once per test run from ./cmd/imp.
package e2e
