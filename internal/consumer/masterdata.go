package consumer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/stream"
)

func init() {
	register(Definition{
		Name: "customer", Doc: "customer master upserts (tier, contact, delivery preferences)",
		Streams: []string{stream.Customer}, Enabled: true, Scaling: Scaling{Replicas: 1},
		New: func(d Deps) Handler { return Dedupe(d.Store, "customer", TxHandlerFunc(applyCustomers)) },
	})
	register(Definition{
		Name: "employee", Doc: "employee master upserts (staff list for the LIS and HR)",
		Streams: []string{stream.Employee}, Enabled: true, Scaling: Scaling{Replicas: 1},
		New: func(d Deps) Handler { return Dedupe(d.Store, "employee", TxHandlerFunc(applyEmployees)) },
	})
	register(Definition{
		Name: "lis-test-master", Doc: "test catalog upserts (code, LOINC, specimen, unit, ranges, TAT)",
		Streams: []string{stream.TestMaster}, Enabled: true, Scaling: Scaling{Replicas: 1},
		New: func(d Deps) Handler { return Dedupe(d.Store, "lis-test-master", TxHandlerFunc(applyTests)) },
	})
}

// validator is a lab entity that validates itself.
type validator interface{ Validate() error }

// decodeValid decodes and validates each message into a T; failures are
// marked permanent on their message. It returns the good ones beside
// their messages.
func decodeValid[T any, PT interface {
	*T
	validator
}](msgs []*Message, keys func(*Message, *T)) ([]T, []*Message) {
	out := make([]T, 0, len(msgs))
	ok := make([]*Message, 0, len(msgs))
	for _, m := range msgs {
		var v T
		if err := decodeStrict(m.Value, &v); err != nil {
			m.Fail(err)
			continue
		}
		if err := PT(&v).Validate(); err != nil {
			m.Fail(Permanent(err))
			continue
		}
		keys(m, &v)
		out = append(out, v)
		ok = append(ok, m)
	}
	return out, ok
}

// noteStale marks messages whose entity was not applied.
func noteStale(msgs []*Message, keys []string, applied map[string]bool) {
	for i, m := range msgs {
		if !applied[keys[i]] {
			m.Note = "stale version, not applied"
		}
	}
}

func applyEmployees(ctx context.Context, tx store.Tx, msgs []*Message) error {
	es, ok := decodeValid(msgs, func(*Message, *lab.Employee) {})
	if len(es) == 0 {
		return nil
	}
	applied, err := tx.UpsertEmployees(ctx, es)
	if err != nil {
		return fmt.Errorf("upsert employees: %w", err)
	}
	keys := make([]string, len(es))
	for i, e := range es {
		keys[i] = e.ID
	}
	noteStale(ok, keys, applied)
	return nil
}

func applyTests(ctx context.Context, tx store.Tx, msgs []*Message) error {
	ts, ok := decodeValid(msgs, func(m *Message, t *lab.Test) { m.SetKey("test", t.Code) })
	if len(ts) == 0 {
		return nil
	}
	applied, err := tx.UpsertTests(ctx, ts)
	if err != nil {
		return fmt.Errorf("upsert tests: %w", err)
	}
	keys := make([]string, len(ts))
	for i, t := range ts {
		keys[i] = t.Code
	}
	noteStale(ok, keys, applied)
	return nil
}

// decodeStrict decodes one JSON document, refusing unknown fields and
// trailing data: a record that does not decode is permanently bad.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Permanentf("decode: %w", err)
	}
	if dec.More() {
		return Permanentf("decode: trailing data after the document")
	}
	return nil
}

// applyCustomers upserts a batch of customers; stale versions are skipped
// and noted, invalid ones fail permanently.
func applyCustomers(ctx context.Context, tx store.Tx, msgs []*Message) error {
	cs, ok := decodeValid(msgs, func(m *Message, c *lab.Customer) { m.SetKey("customer", c.ID) })
	if len(cs) == 0 {
		return nil
	}
	applied, err := tx.UpsertCustomers(ctx, cs)
	if err != nil {
		return fmt.Errorf("upsert customers: %w", err)
	}
	keys := make([]string, len(cs))
	for i, c := range cs {
		keys[i] = c.ID
	}
	noteStale(ok, keys, applied)
	return nil
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
