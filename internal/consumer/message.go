package consumer

import (
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/imp-health/imp/internal/broker"
)

// Message is one record being handled.
type Message struct {
	ID            string
	CorrelationID string
	Kind          string
	Stream        string
	Key           string
	Value         []byte
	// Attempt counts earlier failed deliveries (0 on the first).
	Attempt      int
	FirstFailure time.Time
	Record       *kgo.Record

	// Keys are business keys for tracking (order, customer, test...), set
	// by the handler.
	Keys map[string]string
	// Note is a short, PHI-free outcome note for tracking ("stale version").
	Note string

	err       error
	duplicate bool
}

// Fail records that this message failed; the error decides retry or DLQ.
func (m *Message) Fail(err error) { m.err = err }

// Err is the message's failure, or nil.
func (m *Message) Err() error { return m.err }

// Duplicate reports that the message had been processed before and was
// skipped.
func (m *Message) Duplicate() bool { return m.duplicate }

// SetKey records a business key for tracking.
func (m *Message) SetKey(name, value string) {
	if value == "" {
		return
	}
	if m.Keys == nil {
		m.Keys = map[string]string{}
	}
	m.Keys[name] = value
}

func newMessage(r *kgo.Record, streamName string) *Message {
	m := &Message{
		ID:            broker.Header(r, broker.HeaderMessageID),
		CorrelationID: broker.Header(r, broker.HeaderCorrelationID),
		Kind:          broker.Header(r, broker.HeaderKind),
		Stream:        streamName,
		Key:           string(r.Key),
		Value:         r.Value,
		Attempt:       int(broker.HeaderInt(r, broker.HeaderAttempt)),
		FirstFailure:  broker.HeaderTime(r, broker.HeaderFirstFailure),
		Record:        r,
	}
	if m.ID == "" {
		// Records from outside IMP may lack an id; their position is a
		// stable identity for dedupe.
		m.ID = "kafka:" + r.Topic + "/" + itoa(int64(r.Partition)) + "/" + itoa(r.Offset)
	}
	if keys := broker.Header(r, broker.HeaderBusinessKeys); keys != "" {
		for kv := range strings.SplitSeq(keys, ";") {
			if k, v, ok := strings.Cut(kv, "="); ok {
				m.SetKey(k, v)
			}
		}
	}
	return m
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
