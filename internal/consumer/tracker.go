package consumer

import (
	"context"
	"time"
)

// Outcome statuses.
const (
	StatusProcessed = "processed"
	StatusDuplicate = "duplicate"
	StatusRetrying  = "retrying"
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
		case failed && d.dead:
			o.Status, o.Attempt, o.Error = StatusDead, d.attempt, m.err.Error()
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
