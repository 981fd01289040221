package ingest

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/metrics"
	"github.com/imp-health/imp/internal/msgid"
	"github.com/imp-health/imp/internal/stream"
)

// Envelope is one record to publish.
type Envelope struct {
	Stream        string
	Key           string
	Kind          string
	Value         []byte
	MessageID     string // empty: a new id is issued
	CorrelationID string
	Client        string // who accepted it: API key id, "mllp", ...
	Headers       []kgo.RecordHeader
}

// Accepted says where the broker put a record.
type Accepted struct {
	MessageID string `json:"message_id"`
	Stream    string `json:"stream"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

// Publisher publishes envelopes.
type Publisher struct {
	producer *broker.Producer
	topics   stream.Topics
	metrics  *metrics.Metrics
}

// NewPublisher publishes with producer under topics; m may be nil.
func NewPublisher(producer *broker.Producer, topics stream.Topics, m *metrics.Metrics) *Publisher {
	return &Publisher{producer: producer, topics: topics, metrics: m}
}

// Record builds the Kafka record of e (issuing its message id if needed).
func (p *Publisher) Record(e *Envelope) *kgo.Record {
	if e.MessageID == "" {
		e.MessageID = msgid.New()
	}
	hs := make([]kgo.RecordHeader, 0, 4+len(e.Headers))
	hs = append(hs,
		kgo.RecordHeader{Key: broker.HeaderMessageID, Value: []byte(e.MessageID)},
		kgo.RecordHeader{Key: broker.HeaderKind, Value: []byte(e.Kind)},
	)
	if e.CorrelationID != "" {
		hs = append(hs, kgo.RecordHeader{Key: broker.HeaderCorrelationID, Value: []byte(e.CorrelationID)})
	}
	if e.Client != "" {
		hs = append(hs, kgo.RecordHeader{Key: broker.HeaderClient, Value: []byte(e.Client)})
	}
	hs = append(hs, e.Headers...)
	return &kgo.Record{Topic: p.topics.Main(e.Stream), Key: []byte(e.Key), Value: e.Value, Headers: hs}
}

// Publish produces one envelope and waits for the acknowledgement.
func (p *Publisher) Publish(ctx context.Context, e Envelope) (Accepted, error) {
	start := time.Now()
	rec := p.Record(&e)
	err := p.producer.Produce(ctx, rec)
	p.observe(e.Stream, start, err)
	if err != nil {
		return Accepted{}, err
	}
	return Accepted{MessageID: e.MessageID, Stream: e.Stream, Partition: rec.Partition, Offset: rec.Offset}, nil
}

// PublishMany produces envelopes concurrently and waits for every
// acknowledgement; each envelope gets its own result.
func (p *Publisher) PublishMany(ctx context.Context, es []Envelope) ([]Accepted, []error) {
	start := time.Now()
	recs := make([]*kgo.Record, len(es))
	for i := range es {
		recs[i] = p.Record(&es[i])
	}
	errs := p.producer.ProduceAll(ctx, recs)
	out := make([]Accepted, len(es))
	for i, r := range recs {
		p.observe(es[i].Stream, start, errs[i])
		if errs[i] == nil {
			out[i] = Accepted{MessageID: es[i].MessageID, Stream: es[i].Stream, Partition: r.Partition, Offset: r.Offset}
		}
	}
	return out, errs
}

func (p *Publisher) observe(streamName string, start time.Time, err error) {
	if p.metrics == nil {
		return
	}
	outcome := "accepted"
	if err != nil {
		outcome = "failed"
	}
	p.metrics.IngestTotal.WithLabelValues(streamName, outcome).Inc()
	if err == nil {
		p.metrics.IngestSeconds.WithLabelValues(streamName).Observe(time.Since(start).Seconds())
	}
}

// Invalid counts a record refused for bad input.
func (p *Publisher) Invalid(streamName string) {
	if p.metrics != nil {
		p.metrics.IngestTotal.WithLabelValues(streamName, "invalid").Inc()
	}
}
