package consumer

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Handler handles a batch of messages. It marks individual failures with
// Message.Fail; a returned error fails every message of the batch. A
// handler must leave no effect for a message it fails.
type Handler interface {
	Handle(ctx context.Context, msgs []*Message) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, msgs []*Message) error

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, msgs []*Message) error { return f(ctx, msgs) }

// Middleware wraps a handler.
type Middleware func(Handler) Handler

// Chain applies middlewares so the first is outermost.
func Chain(h Handler, mws ...Middleware) Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// permanentError marks an error that no retry can fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as permanent: the record goes straight to the DLQ.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// Permanentf is fmt.Errorf marked permanent.
func Permanentf(format string, args ...any) error { return Permanent(fmt.Errorf(format, args...)) }

// Permanent() bool lets other packages (delivery connectors, say) classify
// their errors without importing this one.
func (e permanentError) Permanent() bool { return true }

// IsPermanent reports whether err was marked permanent: by Permanent, or by
// any error in its chain with a Permanent() bool method returning true.
// Everything else is retryable: an unclassified error is assumed to be
// passing (a timeout, a store or receiver outage), since retrying a
// permanent error only costs time while dead-lettering a passing one costs
// an operator.
func IsPermanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// ErrorClass names an error's class for headers and tracking.
func ErrorClass(err error) string {
	if IsPermanent(err) {
		return "permanent"
	}
	return "retryable"
}

// failAll marks every message failed with err, keeping earlier failures.
func failAll(msgs []*Message, err error) {
	for _, m := range msgs {
		if m.err == nil {
			m.err = err
		}
	}
}

// deferral postpones a record to a time: it waits on its stream's retry
// topic (whose partitions pause until their head is due) and runs again
// then, without counting as a failed attempt. Scheduled jobs use it.
type deferral struct{ until time.Time }

func (d deferral) Error() string { return "scheduled for " + d.until.UTC().Format(time.RFC3339) }

// Defer marks a message to run again at until.
func Defer(until time.Time) error { return deferral{until: until} }

// deferredUntil reports a deferral's time.
func deferredUntil(err error) (time.Time, bool) {
	var d deferral
	if errors.As(err, &d) {
		return d.until, true
	}
	return time.Time{}, false
}
