package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/imp-health/imp/internal/ingest"
)

type kgoHeader = kgo.RecordHeader

// envelope stamps the request's correlation id and client on e.
func envelope(ctx context.Context, e ingest.Envelope) ingest.Envelope {
	e.CorrelationID = correlationID(ctx)
	e.Client = principal(ctx).KeyID
	return e
}

// publish produces one record and waits for the broker's acknowledgement.
func (s *Server) publish(ctx context.Context, e ingest.Envelope) (ingest.Accepted, error) {
	if s.opt.Publisher == nil {
		return ingest.Accepted{}, errors.New("no publisher configured")
	}
	return s.opt.Publisher.Publish(ctx, envelope(ctx, e))
}

// publishFailure answers a failed publish: the broker did not take the
// record, so the client must retry (nothing was accepted).
func (s *Server) publishFailure(r *http.Request, err error) response {
	if !errors.Is(err, context.Canceled) {
		s.log.WarnContext(r.Context(), "publish failed", "err", err)
	}
	return problemResponse(r, problem(http.StatusServiceUnavailable, probUnavailable, "Broker unavailable",
		"the record was not accepted (the broker did not acknowledge it); retry")).withRetry()
}

// writeBodyError answers a body that could not be read, decoded or
// validated, counting it as invalid input for its stream.
func (s *Server) writeBodyError(w http.ResponseWriter, r *http.Request, streamName string, err error) {
	if streamName != "" && s.opt.Publisher != nil {
		s.opt.Publisher.Invalid(streamName)
	}
	writeProblem(w, r, bodyProblem(err))
}
