package consumer

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/imp-health/imp/internal/dispatch"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
)

// deliverClaim is the claim namespace of one destination: a message
// delivered there is claimed under it, so a retry skips destinations that
// already have it and tries only those that failed.
func deliverClaim(destID string) string { return "deliver:" + destID }

// owed is one event owed to one destination.
type owed struct {
	m    *Message
	dest store.Destination
	ev   dispatch.Event
}

// maxParallelDeliveries bounds the deliveries a handler call makes at once.
const maxParallelDeliveries = 8

// deliverAll makes the deliveries a batch owes: it skips those already
// made (one query per destination), delivers the rest — in parallel across
// message keys, in order within a key — and records every success in one
// transaction. Failures are marked on their messages (permanent only when
// all of a message's failures are). It returns the deliveries made per
// message.
func deliverAll(ctx context.Context, d Deps, items []owed) map[*Message]int {
	made := map[*Message]int{}
	if len(items) == 0 {
		return made
	}
	if d.Dispatcher == nil {
		for _, it := range items {
			it.m.Fail(errors.New("deliveries are configured but no dispatcher runs in this process"))
		}
		return made
	}
	byDest := map[string][]string{}
	for _, it := range items {
		byDest[it.dest.ID] = append(byDest[it.dest.ID], it.m.ID)
	}
	done := map[string]map[string]bool{}
	for dest, ids := range byDest {
		got, err := d.Store.Processed(ctx, deliverClaim(dest), ids)
		if err != nil {
			for _, it := range items {
				it.m.Fail(err)
			}
			return made
		}
		done[dest] = got
	}
	// Lanes by message key keep one key's deliveries in order.
	lanes := map[string][]owed{}
	var keys []string
	for _, it := range items {
		if done[it.dest.ID][it.m.ID] {
			continue
		}
		if _, ok := lanes[it.m.Key]; !ok {
			keys = append(keys, it.m.Key)
		}
		lanes[it.m.Key] = append(lanes[it.m.Key], it)
	}
	var (
		mu   sync.Mutex
		ok   []owed
		errs = map[*Message][]error{}
		wg   sync.WaitGroup
		sem  = make(chan struct{}, maxParallelDeliveries)
	)
	for _, k := range keys {
		lane := lanes[k]
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			for _, it := range lane {
				_, err := d.Dispatcher.Deliver(ctx, it.dest, it.ev)
				mu.Lock()
				if err != nil {
					errs[it.m] = append(errs[it.m], err)
				} else {
					ok = append(ok, it)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(ok) > 0 {
		claims := map[string][]string{}
		for _, it := range ok {
			claims[it.dest.ID] = append(claims[it.dest.ID], it.m.ID)
		}
		err := d.Store.InTx(ctx, func(tx store.Tx) error {
			for dest, ids := range claims {
				if _, err := tx.Claim(ctx, deliverClaim(dest), ids); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			// Delivered but not recorded: a retry delivers again, which
			// receivers dedupe by the message id (at-least-once outbound).
			for _, it := range ok {
				errs[it.m] = append(errs[it.m], fmt.Errorf("record delivery to %s: %w", it.dest.ID, err))
			}
		} else {
			for _, it := range ok {
				made[it.m]++
			}
		}
	}
	for m, es := range errs {
		err := errors.Join(es...)
		allPermanent := true
		for _, e := range es {
			if !IsPermanent(e) {
				allPermanent = false
			}
		}
		if allPermanent {
			err = Permanent(err)
		}
		m.Fail(err)
	}
	return made
}

// deliverTo delivers one message's event to its destinations.
func deliverTo(ctx context.Context, d Deps, m *Message, dests []store.Destination, ev dispatch.Event) int {
	items := make([]owed, len(dests))
	for i, dest := range dests {
		items[i] = owed{m: m, dest: dest, ev: ev}
	}
	return deliverAll(ctx, d, items)[m]
}

// owners are the destination owners interested in an order's events.
func owners(customerID, partnerID string) []string {
	var o []string
	if customerID != "" {
		o = append(o, "customer:"+customerID)
	}
	if partnerID != "" {
		o = append(o, "partner:"+partnerID)
	}
	return o
}

// batchReads caches the reads a batch's deliveries share.
type batchReads struct {
	d         Deps
	customers map[string]customerRead
	dests     map[string]destRead
}

type customerRead struct {
	c   lab.Customer
	err error
}

type destRead struct {
	ds  []store.Destination
	err error
}

func newBatchReads(d Deps) *batchReads {
	return &batchReads{d: d, customers: map[string]customerRead{}, dests: map[string]destRead{}}
}

// customer reads a customer once per batch; unknown is the zero customer.
func (b *batchReads) customer(ctx context.Context, id string) (lab.Customer, error) {
	if id == "" {
		return lab.Customer{}, nil
	}
	r, ok := b.customers[id]
	if !ok {
		r.c, r.err = b.d.Store.Customer(ctx, id)
		if errors.Is(r.err, store.ErrNotFound) {
			r.c, r.err = lab.Customer{}, nil
		}
		b.customers[id] = r
	}
	return r.c, r.err
}

// destinations lists the destinations of owners taking event, once per
// batch.
func (b *batchReads) destinations(ctx context.Context, owners []string, event string) ([]store.Destination, error) {
	key := event + "|" + fmt.Sprint(owners)
	r, ok := b.dests[key]
	if !ok {
		r.ds, r.err = b.d.Store.DestinationsFor(ctx, owners, event)
		b.dests[key] = r
	}
	return r.ds, r.err
}
