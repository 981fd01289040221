package consumer

import (
	"context"
	"time"

	"github.com/imp-health/imp/internal/store"
)

// Outcome statuses.
const (
	StatusProcessed = "processed"
	StatusDuplicate = "duplicate"
	StatusRetrying  = "retrying"
	StatusScheduled = "scheduled"
	StatusDead      = "dead"
)

// Outcome is what became of one record, for message tracking.
type Outcome struct {
	MessageID string
	Consumer  string
	Stream    string
	Topic     string
	Partition int32
	Offset    int64
	Status    string
	Attempt   int
	Error     string
	Note      string
	Keys      map[string]string
	At        time.Time
	// For dead records: the error class and where the DLQ copy is.
	ErrorClass   string
	DLQTopic     string
	DLQPartition int32
	DLQOffset    int64
}

// Tracker records outcomes (the store's message tracking).
type Tracker interface {
	Track(ctx context.Context, outcomes []Outcome) error
}

// track counts outcomes and hands them to the tracker. Tracking is
// observability: a failure is logged, never allowed to block the stream.
func (r *Runner) track(ctx context.Context, msgs []*Message, ds []disposition) {
	byMsg := make(map[*Message]disposition, len(ds))
	for _, d := range ds {
		byMsg[d.msg] = d
	}
	now := r.cfg.Now()
	outs := make([]Outcome, 0, len(msgs))
	for _, m := range msgs {
		o := Outcome{
			MessageID: m.ID, Consumer: r.def.Name, Stream: m.Stream, Topic: m.Record.Topic,
			Partition: m.Record.Partition, Offset: m.Record.Offset, Attempt: m.Attempt,
			Note: m.Note, Keys: m.Keys, At: now,
		}
		switch d, failed := byMsg[m]; {
		case failed && d.scheduled:
			o.Status, o.Note = StatusScheduled, m.err.Error()
		case failed && d.dead:
			o.Status, o.Attempt, o.Error = StatusDead, d.attempt, m.err.Error()
			o.ErrorClass, o.DLQTopic, o.DLQPartition, o.DLQOffset = ErrorClass(m.err), d.record.Topic, d.record.Partition, d.record.Offset
		case failed:
			o.Status, o.Attempt, o.Error = StatusRetrying, d.attempt, m.err.Error()
		case m.duplicate:
			o.Status = StatusDuplicate
		default:
			o.Status = StatusProcessed
		}
		if mt := r.cfg.Metrics; mt != nil {
			mt.EventsTotal.WithLabelValues(r.def.Name, m.Stream, o.Status).Inc()
		}
		outs = append(outs, o)
	}
	if r.cfg.Tracker == nil {
		return
	}
	if err := r.cfg.Tracker.Track(ctx, outs); err != nil {
		r.log.Warn("message tracking failed", "records", len(outs), "err", err)
	}
}

// StoreTracker records outcomes in the store's message tracking and
// indexes dead letters for search and re-push.
type StoreTracker struct{ Store store.Store }

// Track writes the outcomes.
func (t StoreTracker) Track(ctx context.Context, outs []Outcome) error {
	recs := make([]store.TrackRecord, len(outs))
	var dead []store.DeadLetter
	for i, o := range outs {
		recs[i] = store.TrackRecord{
			MessageID: o.MessageID, Consumer: o.Consumer, Stream: o.Stream, Topic: o.Topic, Partition: o.Partition,
			Offset: o.Offset, Status: o.Status, Attempt: o.Attempt, Error: o.Error, Note: o.Note, Keys: o.Keys, At: o.At,
		}
		if o.Status == StatusDead {
			dead = append(dead, store.DeadLetter{
				MessageID: o.MessageID, Consumer: o.Consumer, Stream: o.Stream, Topic: o.DLQTopic,
				Partition: o.DLQPartition, Offset: o.DLQOffset, ErrorClass: o.ErrorClass, Error: o.Error,
				Attempts: o.Attempt, Keys: o.Keys, DeadAt: o.At, State: "dead",
			})
		}
	}
	if err := t.Store.AddDeadLetters(ctx, dead); err != nil {
		return err
	}
	return t.Store.Track(ctx, recs)
}
