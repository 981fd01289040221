package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/imp-health/imp/internal/ingest"
)

// envelope stamps the request's correlation id and client on e.
func envelope(ctx context.Context, e ingest.Envelope) ingest.Envelope {
	e.CorrelationID = correlationID(ctx)
	e.Client = principal(ctx).KeyID
	return e
}

// publish produces one record and waits for the broker's acknowledgement.
func (s *Server) publish(ctx context.Context, e ingest.Envelope) (ingest.Accepted, error) {
	return s.opt.Publisher.Publish(ctx, envelope(ctx, e))
}

// writePublishError answers a failed publish: the broker did not take the
// record, so the client must retry (nothing was accepted).
func (s *Server) writePublishError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return // the client went away
	}
	s.log.Warn("publish failed", "err", err, "correlation_id", correlationID(r.Context()))
	w.Header().Set("Retry-After", "1")
	writeProblem(w, r, problem(http.StatusServiceUnavailable, probUnavailable, "Broker unavailable",
		"the record was not accepted (the broker did not acknowledge it); retry"))
}

// writeBodyError answers a decode or validation failure.
func (s *Server) writeBodyError(w http.ResponseWriter, r *http.Request, streamName string, err error) {
	if streamName != "" && s.opt.Publisher != nil {
		s.opt.Publisher.Invalid(streamName)
	}
	var be *bodyError
	if errors.As(err, &be) {
		writeProblem(w, r, be.p)
		return
	}
	writeProblem(w, r, validationProblem(err))
}
