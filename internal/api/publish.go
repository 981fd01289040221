package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/msgid"
)

// Accepted is the 202 answer: the record is durable on the broker.
type Accepted struct {
	MessageID string `json:"message_id"`
	Stream    string `json:"stream"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

// envelope is one record to publish.
type envelope struct {
	stream, key, kind string
	value             []byte
	headers           []kgo.RecordHeader
}

func (s *Server) record(ctx context.Context, e envelope, id string) *kgo.Record {
	hs := make([]kgo.RecordHeader, 0, 5+len(e.headers))
	hs = append(hs,
		kgo.RecordHeader{Key: broker.HeaderMessageID, Value: []byte(id)},
		kgo.RecordHeader{Key: broker.HeaderCorrelationID, Value: []byte(correlationID(ctx))},
		kgo.RecordHeader{Key: broker.HeaderKind, Value: []byte(e.kind)},
		kgo.RecordHeader{Key: broker.HeaderClient, Value: []byte(principal(ctx).KeyID)},
	)
	hs = append(hs, e.headers...)
	return &kgo.Record{Topic: s.opt.Topics.Main(e.stream), Key: []byte(e.key), Value: e.value, Headers: hs}
}

// publish produces one record and waits for the broker's acknowledgement.
func (s *Server) publish(ctx context.Context, e envelope) (Accepted, error) {
	start := time.Now()
	id := msgid.New()
	rec := s.record(ctx, e, id)
	err := s.opt.Producer.Produce(ctx, rec)
	s.observe(e.stream, start, err)
	if err != nil {
		return Accepted{}, err
	}
	return Accepted{MessageID: id, Stream: e.stream, Partition: rec.Partition, Offset: rec.Offset}, nil
}

func (s *Server) observe(streamName string, start time.Time, err error) {
	m := s.opt.Metrics
	if m == nil {
		return
	}
	outcome := "accepted"
	if err != nil {
		outcome = "failed"
	}
	m.IngestTotal.WithLabelValues(streamName, outcome).Inc()
	if err == nil {
		m.IngestSeconds.WithLabelValues(streamName).Observe(time.Since(start).Seconds())
	}
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
	if m := s.opt.Metrics; m != nil && streamName != "" {
		m.IngestTotal.WithLabelValues(streamName, "invalid").Inc()
	}
	var be *bodyError
	if errors.As(err, &be) {
		writeProblem(w, r, be.p)
		return
	}
	writeProblem(w, r, validationProblem(err))
}
