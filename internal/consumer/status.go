package consumer

import (
	"context"
	"errors"
	"fmt"

	"github.com/imp-health/imp/internal/dispatch"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/stream"
)

func init() {
	register(Definition{
		Name: "lis-test-status", Doc: "order and sample status changes: update the order, notify subscribed partners",
		Streams: []string{stream.Status}, Enabled: true, Concurrency: 4,
		Scaling: Scaling{Replicas: 1, MaxReplicas: 3, LagThreshold: 20},
		New:     statusHandler,
	})
}

func statusHandler(d Deps) Handler {
	return HandlerFunc(func(ctx context.Context, msgs []*Message) error {
		decoded := map[*Message]lab.StatusEvent{}
		var ok []*Message
		for _, m := range msgs {
			var ev lab.StatusEvent
			if err := decodeStrict(m.Value, &ev); err != nil {
				m.Fail(err)
				continue
			}
			if err := ev.Validate(); err != nil {
				m.Fail(Permanent(err))
				continue
			}
			m.SetKey("order", ev.AccessionNumber)
			decoded[m] = ev
			ok = append(ok, m)
		}
		apply := Dedupe(d.Store, storeClaim(stream.Status), TxHandlerFunc(func(ctx context.Context, tx store.Tx, ms []*Message) error {
			evs := make([]lab.StatusEvent, len(ms))
			for i, m := range ms {
				evs[i] = decoded[m]
			}
			applied, err := tx.ApplyStatus(ctx, evs)
			if err != nil {
				return err
			}
			for i, m := range ms {
				if !applied[i] {
					m.Note = "older than the current status; not applied"
				}
			}
			return nil
		}))
		if len(ok) > 0 {
			if err := apply.Handle(ctx, ok); err != nil {
				failAll(ok, err)
			}
		}
		for _, m := range ok {
			if m.Err() != nil {
				continue
			}
			applied := m.duplicate
			m.duplicate = false
			if made := notifyStatus(ctx, d, m, decoded[m]); made == 0 && applied && m.Err() == nil {
				m.duplicate = true
			}
		}
		return nil
	})
}

// notifyStatus tells the order's subscribers, when ev is the order's
// current status (a stale event is not announced).
func notifyStatus(ctx context.Context, d Deps, m *Message, ev lab.StatusEvent) int {
	v, err := d.Store.Order(ctx, ev.AccessionNumber)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		m.Fail(err)
		return 0
	}
	if v.Status != ev.Status || !v.StatusAt.Equal(ev.At) {
		if m.Note == "" {
			m.Note = "superseded; not announced"
		}
		return 0
	}
	dests, err := d.Store.DestinationsFor(ctx, owners(v.Order.CustomerID, v.Order.PartnerID), "status")
	if err != nil {
		m.Fail(err)
		return 0
	}
	order := v.Order
	order.AccessionNumber = ev.AccessionNumber
	n := deliverTo(ctx, d, m, dests, dispatch.Event{Kind: "status", MessageID: m.ID, Order: order, Status: &ev})
	if m.Err() == nil && m.Note == "" {
		m.Note = fmt.Sprintf("applied; announced to %d of %d subscribers", n, len(dests))
	}
	return n
}
