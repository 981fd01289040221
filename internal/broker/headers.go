package broker

import (
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Record header names. Every record IMP produces carries the message id; the
// retry ladder adds the rest.
const (
	HeaderMessageID     = "imp-message-id"
	HeaderCorrelationID = "imp-correlation-id"
	HeaderKind          = "imp-kind"   // payload type, e.g. "customer"
	HeaderClient        = "imp-client" // API key id or listener that accepted it
	HeaderAcceptedAt    = "imp-accepted-at"
	HeaderAttempt       = "imp-attempt"
	HeaderNotBefore     = "imp-not-before"
	HeaderFirstFailure  = "imp-first-failure"
	HeaderErrorClass    = "imp-error-class"
	HeaderError         = "imp-error"
	HeaderOrigTopic     = "imp-orig-topic"
	HeaderOrigPartition = "imp-orig-partition"
	HeaderOrigOffset    = "imp-orig-offset"
	HeaderRouteTier     = "imp-route-tier"
	HeaderRouteReason   = "imp-route-reason"
	HeaderRepushedBy    = "imp-repushed-by"
	HeaderRepushedAt    = "imp-repushed-at"
	HeaderBusinessKeys  = "imp-keys" // "order=A1;customer=C1;test=GLU"
)

// Header returns the value of the last header named k.
func Header(r *kgo.Record, k string) string {
	for i := len(r.Headers) - 1; i >= 0; i-- {
		if r.Headers[i].Key == k {
			return string(r.Headers[i].Value)
		}
	}
	return ""
}

// SetHeader replaces (or adds) header k.
func SetHeader(r *kgo.Record, k, v string) {
	for i := range r.Headers {
		if r.Headers[i].Key == k {
			r.Headers[i].Value = []byte(v)
			return
		}
	}
	r.Headers = append(r.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
}

// DelHeader removes every header named k.
func DelHeader(r *kgo.Record, k string) {
	out := r.Headers[:0]
	for _, h := range r.Headers {
		if h.Key != k {
			out = append(out, h)
		}
	}
	r.Headers = out
}

// HeaderInt reads an integer header; absent or malformed is 0.
func HeaderInt(r *kgo.Record, k string) int64 {
	n, _ := strconv.ParseInt(Header(r, k), 10, 64)
	return n
}

// HeaderTime reads a time header written by SetHeaderTime.
func HeaderTime(r *kgo.Record, k string) time.Time {
	us := HeaderInt(r, k)
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// SetHeaderTime writes t as microseconds since the epoch.
func SetHeaderTime(r *kgo.Record, k string, t time.Time) {
	SetHeader(r, k, strconv.FormatInt(t.UnixMicro(), 10))
}
