package consumer

import (
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/stream"
)

// RetryPolicy says how a consumer retries: a few quick in-place tries, then
// the ladder through the stream's .retry topic with growing delays, then
// the DLQ.
type RetryPolicy struct {
	InPlaceAttempts int
	InPlaceBackoff  time.Duration
	// MaxAttempts is how many times a record may go through the retry
	// topic before it is dead-lettered.
	MaxAttempts int
	// Backoff is the delay before ladder attempt n (1-based); the last
	// entry repeats.
	Backoff []time.Duration
}

// DefaultRetry suits master data and most deliveries: retries over about
// an hour before a human is asked.
var DefaultRetry = RetryPolicy{
	InPlaceAttempts: 3,
	InPlaceBackoff:  100 * time.Millisecond,
	MaxAttempts:     6,
	Backoff:         []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 20 * time.Minute, 30 * time.Minute},
}

// Delay is the wait before ladder attempt n (n >= 1).
func (p RetryPolicy) Delay(n int) time.Duration {
	if len(p.Backoff) == 0 {
		return time.Second
	}
	if n < 1 {
		n = 1
	}
	return p.Backoff[min(n, len(p.Backoff))-1]
}

// disposition is where a failed message goes.
type disposition struct {
	msg       *Message
	dead      bool
	scheduled bool // deferred to its run time, not a failure
	attempt   int
	record    *kgo.Record
}

// maxErrorText bounds the error header; handler errors name fields and
// codes, never values, but a bound keeps headers small regardless.
const maxErrorText = 1024

// decide builds the retry or DLQ record for a failed message.
func decide(m *Message, p RetryPolicy, topics stream.Topics, now time.Time) disposition {
	err := m.Err()
	if until, ok := deferredUntil(err); ok {
		src := m.Record
		r := &kgo.Record{Topic: topics.Retry(m.Stream), Key: src.Key, Value: src.Value, Headers: append([]kgo.RecordHeader(nil), src.Headers...)}
		broker.SetHeader(r, broker.HeaderMessageID, m.ID)
		broker.SetHeaderTime(r, broker.HeaderNotBefore, until)
		return disposition{msg: m, attempt: m.Attempt, record: r, scheduled: true}
	}
	attempt := m.Attempt + 1
	dead := IsPermanent(err) || attempt > p.MaxAttempts
	src := m.Record
	r := &kgo.Record{Key: src.Key, Value: src.Value, Headers: append([]kgo.RecordHeader(nil), src.Headers...)}
	// Records from outside IMP get the id the runner derived for them, so
	// the retry and DLQ copies dedupe against the original.
	broker.SetHeader(r, broker.HeaderMessageID, m.ID)
	if broker.Header(r, broker.HeaderOrigTopic) == "" {
		broker.SetHeader(r, broker.HeaderOrigTopic, src.Topic)
		broker.SetHeader(r, broker.HeaderOrigPartition, strconv.Itoa(int(src.Partition)))
		broker.SetHeader(r, broker.HeaderOrigOffset, strconv.FormatInt(src.Offset, 10))
	}
	if m.FirstFailure.IsZero() {
		broker.SetHeaderTime(r, broker.HeaderFirstFailure, now)
	}
	broker.SetHeader(r, broker.HeaderAttempt, strconv.Itoa(attempt))
	broker.SetHeader(r, broker.HeaderErrorClass, ErrorClass(err))
	text := err.Error()
	if len(text) > maxErrorText {
		text = text[:maxErrorText]
	}
	broker.SetHeader(r, broker.HeaderError, text)
	if dead {
		r.Topic = topics.DLQ(m.Stream)
		broker.DelHeader(r, broker.HeaderNotBefore)
	} else {
		r.Topic = topics.Retry(m.Stream)
		broker.SetHeaderTime(r, broker.HeaderNotBefore, now.Add(p.Delay(attempt)))
	}
	return disposition{msg: m, dead: dead, attempt: attempt, record: r}
}
