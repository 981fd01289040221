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
		Streams: []string{stream.Customer}, Enabled: true,
		New: func(d Deps) Handler { return Dedupe(d.Store, "customer", TxHandlerFunc(applyCustomers)) },
	})
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
	cs := make([]lab.Customer, 0, len(msgs))
	ok := make([]*Message, 0, len(msgs))
	for _, m := range msgs {
		var c lab.Customer
		if err := decodeStrict(m.Value, &c); err != nil {
			m.Fail(err)
			continue
		}
		if err := c.Validate(); err != nil {
			m.Fail(Permanent(err))
			continue
		}
		m.SetKey("customer", c.ID)
		cs = append(cs, c)
		ok = append(ok, m)
	}
	if len(cs) == 0 {
		return nil
	}
	applied, err := tx.UpsertCustomers(ctx, cs)
	if err != nil {
		return fmt.Errorf("upsert customers: %w", err)
	}
	for i, m := range ok {
		if !applied[cs[i].ID] {
			m.Note = "stale version, not applied"
		}
	}
	return nil
}
