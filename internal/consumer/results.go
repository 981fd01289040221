package consumer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/imp-health/imp/internal/dispatch"
	"github.com/imp-health/imp/internal/ingest"
	"github.com/imp-health/imp/internal/jobs"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/stream"
)

// The seed's scaling of the result consumers.
var resultScaling = map[lab.Tier]Scaling{
	lab.TierGeneral: {Replicas: 1, MaxReplicas: 3, LagThreshold: 20},
	lab.TierB2B:     {Replicas: 1, MaxReplicas: 3, LagThreshold: 20},
	lab.TierCorp:    {Replicas: 1},
	lab.TierSVIP1:   {Replicas: 1, MaxReplicas: 1, LagThreshold: 20},
	lab.TierSVIP2:   {Replicas: 1, MaxReplicas: 1, LagThreshold: 20},
}

// SVIPRetry is the SVIP re-push consumer's own policy: quick first
// retries and a long tail, because an SVIP patient is waiting.
var SVIPRetry = RetryPolicy{
	InPlaceAttempts: 2,
	InPlaceBackoff:  100 * time.Millisecond,
	MaxAttempts:     10,
	Backoff: []time.Duration{2 * time.Second, 5 * time.Second, 15 * time.Second, 30 * time.Second, time.Minute,
		2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 30 * time.Minute},
}

func init() {
	for _, t := range lab.Tiers {
		name := lab.ResultStreamFor(t)
		def := Definition{
			Name: name, Doc: fmt.Sprintf("results of %s customers: store (versioned) and deliver to their destinations", t),
			Streams: []string{name}, Enabled: true, Concurrency: 4, Scaling: resultScaling[t],
			New: func(d Deps) Handler { return resultHandler(d) },
		}
		if t == lab.TierSVIP1 || t == lab.TierSVIP2 {
			// Their retries belong to the SVIP re-push consumer.
			def.RetryStreams = []string{}
		}
		register(def)
	}
	register(Definition{
		Name: "lis-test-result-svip-repush", Doc: "re-push of SVIP result deliveries that failed, with its own backoff",
		RetryStreams: []string{stream.ResultsSVIP1, stream.ResultsSVIP2}, Enabled: true, Concurrency: 4,
		Retry: SVIPRetry, Scaling: Scaling{Replicas: 1},
		New: func(d Deps) Handler { return resultHandler(d) },
	})
}

// storeClaim is the claim namespace of a stream's store effects: shared
// by the stream's consumer and whoever handles its retries.
func storeClaim(streamName string) string { return "store:" + streamName }

// resultHandler stores results (versioned, once) and delivers each to the
// destinations of its customer and the order's partner.
func resultHandler(d Deps) Handler {
	return HandlerFunc(func(ctx context.Context, msgs []*Message) error {
		decoded := map[*Message]lab.Result{}
		byStream := map[string][]*Message{}
		for _, m := range msgs {
			var r lab.Result
			if err := decodeStrict(m.Value, &r); err != nil {
				m.Fail(err)
				continue
			}
			if err := r.Validate(); err != nil {
				m.Fail(Permanent(err))
				continue
			}
			m.SetKey("order", r.AccessionNumber)
			m.SetKey("test", r.TestCode)
			m.SetKey("customer", r.CustomerID)
			decoded[m] = r
			byStream[m.Stream] = append(byStream[m.Stream], m)
		}
		for s, ms := range byStream {
			store := Dedupe(d.Store, storeClaim(s), TxHandlerFunc(func(ctx context.Context, tx store.Tx, ms []*Message) error {
				rs := make([]lab.Result, len(ms))
				for i, m := range ms {
					rs[i] = decoded[m]
				}
				_, err := tx.ApplyResults(ctx, rs)
				return err
			}))
			if err := store.Handle(ctx, ms); err != nil {
				failAll(ms, err)
			}
		}
		views := map[string]*store.OrderView{}
		triggerReports(ctx, d, msgs, decoded, views)
		reads := newBatchReads(d)
		var due []owed
		stored := map[*Message]bool{}
		for _, m := range msgs {
			r, ok := decoded[m]
			if !ok || m.Err() != nil {
				continue
			}
			// A stored duplicate may still owe deliveries (a retry after a
			// failed one): it is a duplicate only if nothing new happens.
			stored[m] = m.duplicate
			m.duplicate = false
			due = append(due, resultDeliveries(ctx, d, reads, m, r, views)...)
		}
		made := deliverAll(ctx, d, due)
		for m, wasStored := range stored {
			if m.Err() != nil {
				continue
			}
			if made[m] == 0 && wasStored {
				m.duplicate = true
			}
			if m.Note == "" {
				m.Note = fmt.Sprintf("stored; %d deliveries made", made[m])
			}
		}
		return nil
	})
}

// resultDeliveries lists what r owes its destinations, unless a newer
// result for the same test is already stored (a stale record is never
// delivered).
func resultDeliveries(ctx context.Context, d Deps, reads *batchReads, m *Message, r lab.Result, views map[string]*store.OrderView) []owed {
	v, ok := views[r.AccessionNumber]
	if !ok {
		got, err := d.Store.Order(ctx, r.AccessionNumber)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			m.Fail(err)
			return nil
		}
		v = &got
		views[r.AccessionNumber] = v
	}
	for _, cur := range v.Results {
		if cur.TestCode == r.TestCode && cur.Newer(r) {
			m.Note = "superseded by a newer result; not delivered"
			return nil
		}
	}
	customerID := r.CustomerID
	if customerID == "" {
		customerID = v.Order.CustomerID
	}
	c, err := reads.customer(ctx, customerID)
	if err != nil {
		m.Fail(err)
		return nil
	}
	dests, err := reads.destinations(ctx, owners(customerID, v.Order.PartnerID), "result")
	if err != nil {
		m.Fail(err)
		return nil
	}
	order := v.Order
	if order.AccessionNumber == "" {
		order.AccessionNumber = r.AccessionNumber
	}
	ev := dispatch.Event{Kind: "result", MessageID: m.ID, Order: order, Customer: c, Results: []lab.Result{r}}
	out := make([]owed, len(dests))
	for i, dest := range dests {
		out[i] = owed{m: m, dest: dest, ev: ev}
	}
	return out
}

// triggerReports enqueues the PDF report job of every order the batch made
// complete. The job's id is derived from the set of results, so a
// redelivered final result, or two consumers seeing the same completion,
// make one report version; a correction makes the next.
func triggerReports(ctx context.Context, d Deps, msgs []*Message, decoded map[*Message]lab.Result, views map[string]*store.OrderView) {
	byOrder := map[string][]*Message{}
	for _, m := range msgs {
		if r, ok := decoded[m]; ok && m.Err() == nil {
			byOrder[r.AccessionNumber] = append(byOrder[r.AccessionNumber], m)
		}
	}
	accs := make([]string, 0, len(byOrder))
	for acc := range byOrder {
		accs = append(accs, acc)
	}
	got, err := d.Store.OrderViews(ctx, accs)
	if err != nil {
		for _, ms := range byOrder {
			failAll(ms, err)
		}
		return
	}
	var es []ingest.Envelope
	var owners [][]*Message
	for acc, ms := range byOrder {
		v, ok := got[acc]
		if !ok {
			// Results of an order IMP has not seen: nothing to report on,
			// and nothing stored to supersede them.
			views[acc] = &store.OrderView{Order: lab.Order{AccessionNumber: acc}}
			continue
		}
		views[acc] = &v
		if !jobs.Complete(v.Order, v.Results) {
			continue
		}
		digest := jobs.Digest(v.Results)
		args, _ := jsonMarshal(jobs.PDFReportArgs{AccessionNumber: acc})
		body, _ := jsonMarshal(jobs.Job{Kind: jobs.KindPDFReport, Args: args})
		es = append(es, ingest.Envelope{Stream: jobs.Stream(jobs.KindPDFReport), Key: acc, Kind: "job", Value: body,
			MessageID: jobs.ReportJobID(acc, digest), CorrelationID: ms[0].CorrelationID, Client: "results"})
		owners = append(owners, ms)
	}
	if len(es) == 0 || d.Publisher == nil {
		return
	}
	_, errs := d.Publisher.PublishMany(ctx, es)
	for i, err := range errs {
		if err != nil {
			failAll(owners[i], fmt.Errorf("enqueue report: %w", err))
		}
	}
}
