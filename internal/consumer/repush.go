package consumer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/stream"
)

// Operator actions on dead letters: re-push back to the stream, or discard.
// Both are recorded with who did it: in the dead-letter index, the
// message's timeline and the audit log.
type Operator struct {
	Broker   broker.Config
	Store    store.Store
	Producer *broker.Producer
	Topics   stream.Topics
	Now      func() time.Time
}

// ErrNothingToDo is returned when no dead letter matched.
var ErrNothingToDo = errors.New("no dead letters matched")

// Repush fetches each dead letter's record from its DLQ topic and produces
// it to its stream's main topic with the retry headers reset, then marks
// it re-pushed. It returns how many were re-pushed.
func (o *Operator) Repush(ctx context.Context, dls []store.DeadLetter, actor string) (int, error) {
	dls = onlyDead(dls)
	if len(dls) == 0 {
		return 0, ErrNothingToDo
	}
	recs, err := o.fetch(ctx, dls)
	if err != nil {
		return 0, err
	}
	now := o.now()
	out := make([]*kgo.Record, 0, len(dls))
	done := make([]store.DeadLetter, 0, len(dls))
	var missing []string
	for _, d := range dls {
		src, ok := recs[pos{d.Topic, d.Partition, d.Offset}]
		if !ok {
			missing = append(missing, d.MessageID)
			continue
		}
		r := &kgo.Record{Topic: o.Topics.Main(d.Stream), Key: src.Key, Value: src.Value, Headers: append([]kgo.RecordHeader(nil), src.Headers...)}
		for _, h := range []string{broker.HeaderNotBefore, broker.HeaderErrorClass, broker.HeaderError} {
			broker.DelHeader(r, h)
		}
		broker.SetHeader(r, broker.HeaderAttempt, "0")
		broker.SetHeader(r, broker.HeaderRepushedBy, actor)
		broker.SetHeaderTime(r, broker.HeaderRepushedAt, now)
		out = append(out, r)
		done = append(done, d)
	}
	var errs []error
	ok := done[:0]
	for i, err := range o.Producer.ProduceAll(ctx, out) {
		if err != nil {
			errs = append(errs, fmt.Errorf("re-push %s: %w", done[i].MessageID, err))
			continue
		}
		ok = append(ok, done[i])
	}
	if err := o.record(ctx, ok, "repushed", actor, now); err != nil {
		errs = append(errs, err)
	}
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("%d dead letters are no longer in their DLQ topic (retention?): %v", len(missing), missing))
	}
	return len(ok), errors.Join(errs...)
}

// Discard marks dead letters discarded: they stay in the DLQ topic until
// retention, but leave the operators' list.
func (o *Operator) Discard(ctx context.Context, dls []store.DeadLetter, actor string) (int, error) {
	dls = onlyDead(dls)
	if len(dls) == 0 {
		return 0, ErrNothingToDo
	}
	return len(dls), o.record(ctx, dls, "discarded", actor, o.now())
}

func (o *Operator) record(ctx context.Context, dls []store.DeadLetter, state, actor string, at time.Time) error {
	if len(dls) == 0 {
		return nil
	}
	keys := make([]store.DeadKey, len(dls))
	track := make([]store.TrackRecord, len(dls))
	for i, d := range dls {
		keys[i] = store.DeadKey{MessageID: d.MessageID, Consumer: d.Consumer}
		track[i] = store.TrackRecord{MessageID: d.MessageID, Consumer: d.Consumer, Stream: d.Stream, Topic: d.Topic,
			Partition: d.Partition, Offset: d.Offset, Status: state, Attempt: d.Attempts, Actor: actor, Keys: d.Keys, At: at}
	}
	if _, err := o.Store.SetDeadState(ctx, keys, state, actor, at); err != nil {
		return err
	}
	if err := o.Store.Track(ctx, track); err != nil {
		return err
	}
	action := "repush"
	if state == "discarded" {
		action = "discard"
	}
	for _, d := range dls {
		if err := o.Store.AddAudit(ctx, store.AuditEntry{Actor: actor, Action: action, Target: d.MessageID,
			Detail: fmt.Sprintf("consumer=%s stream=%s error_class=%s", d.Consumer, d.Stream, d.ErrorClass), At: at}); err != nil {
			return err
		}
	}
	return nil
}

func onlyDead(dls []store.DeadLetter) []store.DeadLetter {
	out := make([]store.DeadLetter, 0, len(dls))
	for _, d := range dls {
		if d.State == "" || d.State == "dead" {
			out = append(out, d)
		}
	}
	return out
}

func (o *Operator) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now().UTC()
}

type pos struct {
	topic     string
	partition int32
	offset    int64
}

// fetch reads the records at the dead letters' DLQ positions.
func (o *Operator) fetch(ctx context.Context, dls []store.DeadLetter) (map[pos]*kgo.Record, error) {
	want := map[pos]bool{}
	from := map[string]map[int32]kgo.Offset{}
	lowest := map[[2]any]int64{}
	for _, d := range dls {
		want[pos{d.Topic, d.Partition, d.Offset}] = true
		k := [2]any{d.Topic, d.Partition}
		if cur, ok := lowest[k]; !ok || d.Offset < cur {
			lowest[k] = d.Offset
		}
	}
	for k, off := range lowest {
		t, p := k[0].(string), k[1].(int32)
		if from[t] == nil {
			from[t] = map[int32]kgo.Offset{}
		}
		from[t][p] = kgo.NewOffset().At(off)
	}
	cl, err := o.Broker.NewClient(kgo.ConsumePartitions(from), kgo.FetchMaxWait(200*time.Millisecond))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	got := map[pos]*kgo.Record{}
	for len(got) < len(want) {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			break // report what was found; the rest is missing
		}
		fs.EachRecord(func(r *kgo.Record) {
			if p := (pos{r.Topic, r.Partition, r.Offset}); want[p] {
				got[p] = r
			}
		})
	}
	return got, nil
}
