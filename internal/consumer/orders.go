package consumer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/stream"
)

// LIS sends orders to the laboratory information system. SendOrder
// returns nil on an accepting ACK (AA), a permanent error carrying the
// ACK's text on AE/AR, and a retryable error on timeouts and connection
// failures. messageID is the idempotency key the LIS dedupes on (it
// becomes the control id).
type LIS interface {
	SendOrder(ctx context.Context, messageID string, o lab.Order, c lab.Customer, tests map[string]lab.Test) error
}

// ErrNoLIS fails orders while no LIS is configured: they wait in the
// retry ladder, then the DLQ, and can be re-pushed once it is.
var ErrNoLIS = errors.New("no LIS is configured (IMP_LIS_ADDR); the order waits for re-push")

func init() {
	register(Definition{
		Name: "lis-orders", Doc: "orders: validate against the test catalog and customer master, send to the LIS as HL7 over MLLP",
		Streams: []string{stream.Orders}, Enabled: true, Concurrency: 8, BatchSize: 50,
		Timeout: 90 * time.Second, Scaling: Scaling{Replicas: 3},
		// Orders wait minutes, not an hour: a lab needs to hear soon that
		// an order is stuck.
		Retry: RetryPolicy{InPlaceAttempts: 2, InPlaceBackoff: 200 * time.Millisecond, MaxAttempts: 5,
			Backoff: []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute}},
		New: orderHandler,
	})
}

// lisSent is the claim namespace of orders the LIS accepted.
const lisSent = "lis:sent"

func orderHandler(d Deps) Handler {
	cat := &catalog{st: d.Store, ttl: 30 * time.Second}
	return HandlerFunc(func(ctx context.Context, msgs []*Message) error {
		type checked struct {
			o lab.Order
			c lab.Customer
		}
		decoded := map[*Message]checked{}
		var ok []*Message
		for _, m := range msgs {
			var o lab.Order
			if err := decodeStrict(m.Value, &o); err != nil {
				m.Fail(err)
				continue
			}
			if err := o.Validate(); err != nil {
				m.Fail(Permanent(err))
				continue
			}
			m.SetKey("order", o.AccessionNumber)
			m.SetKey("customer", o.CustomerID)
			tests, err := cat.get(ctx)
			if err != nil {
				m.Fail(err)
				continue
			}
			c, cerr := d.Store.Customer(ctx, o.CustomerID)
			if cerr != nil && !errors.Is(cerr, store.ErrNotFound) {
				m.Fail(cerr)
				continue
			}
			err = o.CheckAgainst(func(code string) (lab.Test, bool) { return cat.lookup(ctx, tests, code) },
				func(string) bool { return cerr == nil })
			if err != nil {
				// The customer or a test may be unknown only because its
				// master record is still on its way (clinics send both at
				// once): retry through the ladder, dead-letter after it.
				m.Fail(fmt.Errorf("references not in the master data (yet): %w", err))
				continue
			}
			decoded[m] = checked{o: o, c: c}
			ok = append(ok, m)
		}
		save := Dedupe(d.Store, storeClaim(stream.Orders), TxHandlerFunc(func(ctx context.Context, tx store.Tx, ms []*Message) error {
			os := make([]lab.Order, len(ms))
			for i, m := range ms {
				os[i] = decoded[m].o
			}
			_, err := tx.UpsertOrders(ctx, os)
			return err
		}))
		if len(ok) > 0 {
			if err := save.Handle(ctx, ok); err != nil {
				failAll(ok, err)
			}
		}
		tests, _ := cat.get(ctx)
		for _, m := range ok {
			if m.Err() != nil {
				continue
			}
			// A stored duplicate may not have reached the LIS yet.
			m.duplicate = false
			sendOrder(ctx, d, m, decoded[m].o, decoded[m].c, tests)
		}
		return nil
	})
}

// sendOrder sends an order to the LIS once it is stored, unless the LIS
// accepted this message before, and records the LIS's answer.
func sendOrder(ctx context.Context, d Deps, m *Message, o lab.Order, c lab.Customer, tests map[string]lab.Test) {
	done, err := d.Store.Processed(ctx, lisSent, []string{m.ID})
	if err != nil {
		m.Fail(err)
		return
	}
	if done[m.ID] {
		m.duplicate = true
		return
	}
	if d.LIS == nil {
		m.Fail(ErrNoLIS)
		return
	}
	sendErr := d.LIS.SendOrder(ctx, m.ID, o, c, tests)
	state := store.LISState{State: "sent", At: time.Now().UTC()}
	switch {
	case sendErr == nil:
	case IsPermanent(sendErr):
		state.State, state.Detail = "rejected", sendErr.Error()
	default:
		m.Fail(sendErr) // timeout or connection: the ladder retries
		return
	}
	err = d.Store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.SetLISState(ctx, o.AccessionNumber, state); err != nil {
			return err
		}
		if sendErr == nil {
			_, err := tx.Claim(ctx, lisSent, []string{m.ID})
			return err
		}
		return nil
	})
	switch {
	case err != nil:
		// The LIS has it but IMP did not record that: a retry resends with
		// the same control id, which the LIS dedupes.
		m.Fail(fmt.Errorf("record LIS state: %w", err))
	case sendErr != nil:
		m.Fail(sendErr) // AE/AR: dead-lettered with the ACK's text
	default:
		m.Note = "accepted by the LIS"
	}
}

// catalog caches the test catalog for order validation.
type catalog struct {
	st  store.Store
	ttl time.Duration

	mu    sync.Mutex
	tests map[string]lab.Test
	at    time.Time
}

func (c *catalog) get(ctx context.Context) (map[string]lab.Test, error) {
	return c.load(ctx, c.ttl)
}

// lookup finds a code, reloading the catalog once on a miss if the cache
// is more than a second old, so a test added just before an order is found.
func (c *catalog) lookup(ctx context.Context, tests map[string]lab.Test, code string) (lab.Test, bool) {
	if t, ok := tests[code]; ok {
		return t, true
	}
	fresh, err := c.load(ctx, time.Second)
	if err != nil {
		return lab.Test{}, false
	}
	t, ok := fresh[code]
	return t, ok
}

func (c *catalog) load(ctx context.Context, maxAge time.Duration) (map[string]lab.Test, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tests != nil && time.Since(c.at) < maxAge {
		return c.tests, nil
	}
	ts, err := c.st.Tests(ctx)
	if err != nil {
		if c.tests != nil {
			return c.tests, nil // a stale catalog beats refusing orders during a blip
		}
		return nil, err
	}
	m := make(map[string]lab.Test, len(ts))
	for _, t := range ts {
		m[t.Code] = t
	}
	c.tests, c.at = m, time.Now()
	return m, nil
}
