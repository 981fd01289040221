package consumer

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/ingest"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/stream"
)

// The seed's scaled-to-zero workloads. Each keeps its own legacy stream
// (so systems still writing to it are not cut off) and bridges what
// arrives there onto the stream that now owns that data; the inventory
// reports their traffic so operators can decide which to delete.
var legacyBridges = []struct {
	name, target, doc string
}{
	{"group", stream.Customer, "customer group master (legacy feed), bridged to the customer stream"},
	{"investigation", stream.TestMaster, "investigation (test) master (legacy feed), bridged to lis-test-master"},
	{"iris-test-result", stream.Results, "results from the IRIS LIS (legacy feed), routed by tier like lis-test-result"},
	{"orders", stream.Orders, "orders (legacy feed), bridged to lis-orders"},
	{"promotion", stream.Worker, "customer promotions (legacy feed), bridged to the worker stream"},
	{"status-attune", stream.Status, "status from the Attune LIS (legacy feed), bridged to lis-test-status"},
	{"test-result", stream.Results, "results (legacy feed), routed by tier like lis-test-result"},
	{"worker-create-order", stream.WorkerOrder, "Celery create-order worker; its jobs run on worker-order"},
	{"worker-default", stream.Worker, "Celery default worker; its jobs run on worker"},
	{"worker-notifications", stream.Worker, "Celery notifications worker; its jobs run on worker"},
	{"worker-pdf", stream.Worker, "Celery PDF worker; its jobs run on worker"},
}

func init() {
	for _, l := range legacyBridges {
		stream.Register(stream.Stream{Name: l.name, Key: "as the source keyed it", Doc: l.doc, Legacy: true})
		target := l.target
		register(Definition{
			Name: l.name, Doc: l.doc, Streams: []string{l.name}, Legacy: true,
			New: func(d Deps) Handler { return bridge(d, target) },
		})
	}
}

// bridge republishes each record onto target, keeping its message id so
// the owning consumer's dedupe sees a redelivered bridge copy as the same
// message. Results are routed to their tier's stream first.
func bridge(d Deps, target string) Handler {
	return HandlerFunc(func(ctx context.Context, msgs []*Message) error {
		recs := make([]*kgo.Record, 0, len(msgs))
		sent := make([]*Message, 0, len(msgs))
		for _, m := range msgs {
			to := target
			headers := append([]kgo.RecordHeader(nil), m.Record.Headers...)
			if target == stream.Results {
				var r lab.Result
				if err := decodeStrict(m.Value, &r); err != nil {
					m.Fail(err)
					continue
				}
				if err := r.Validate(); err != nil {
					m.Fail(Permanent(err))
					continue
				}
				var rh []kgo.RecordHeader
				to, rh = d.Tiers.RouteResult(ctx, &r)
				headers = append(headers, rh...)
				m.SetKey("order", r.AccessionNumber)
				m.SetKey("test", r.TestCode)
			}
			e := ingest.Envelope{Stream: to, Key: m.Key, Kind: m.Kind, Value: m.Value, MessageID: m.ID,
				Headers: append(headers, kgo.RecordHeader{Key: "imp-bridged-from", Value: []byte(m.Stream)})}
			r := d.Publisher.Record(&e)
			dropDuplicateHeaders(r)
			recs = append(recs, r)
			sent = append(sent, m)
		}
		for i, err := range d.Producer.ProduceAll(ctx, recs) {
			if err != nil {
				sent[i].Fail(fmt.Errorf("bridge to %s: %w", target, err))
			} else {
				sent[i].Note = "bridged to " + recs[i].Topic
			}
		}
		return nil
	})
}

// dropDuplicateHeaders keeps the first of each header: Record prepends
// IMP's own, the copied ones follow.
func dropDuplicateHeaders(r *kgo.Record) {
	seen := map[string]bool{}
	out := r.Headers[:0]
	for _, h := range r.Headers {
		if h.Key == broker.HeaderKind || h.Key == broker.HeaderMessageID {
			if seen[h.Key] {
				continue
			}
			seen[h.Key] = true
		}
		out = append(out, h)
	}
	r.Headers = out
}
