package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/imp-health/imp/internal/lab"
)

// Claim records ids as processed by consumer; it returns those new to it.
func (t *txn) Claim(ctx context.Context, consumer string, ids []string) (map[string]bool, error) {
	fresh := make(map[string]bool, len(ids))
	uniq := dedupe(ids)
	now := time.Now().UnixMicro()
	for start := 0; start < len(uniq); start += chunkRows {
		chunk := uniq[start:min(start+chunkRows, len(uniq))]
		args := make([]any, 0, len(chunk)*3)
		for _, id := range chunk {
			args = append(args, consumer, id, now)
		}
		q := `INSERT INTO processed_messages (consumer, message_id, processed_at) VALUES ` +
			values(len(chunk), 3) + ` ON CONFLICT DO NOTHING RETURNING message_id`
		if err := t.collect(ctx, "claim", q, args, fresh); err != nil {
			return nil, err
		}
	}
	return fresh, nil
}

// Unclaim deletes the consumer's claims of ids.
func (t *txn) Unclaim(ctx context.Context, consumer string, ids []string) error {
	ids = dedupe(ids)
	for start := 0; start < len(ids); start += chunkRows {
		chunk := ids[start:min(start+chunkRows, len(ids))]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, consumer)
		for _, id := range chunk {
			args = append(args, id)
		}
		q := `DELETE FROM processed_messages WHERE consumer = $1 AND message_id IN (` + placeholders(2, len(chunk)) + `)`
		if _, err := t.tx.ExecContext(ctx, t.s.d.rebind(q), args...); err != nil {
			return t.s.err("unclaim", err)
		}
	}
	return nil
}

// collect runs a RETURNING query and adds every returned string to set.
func (t *txn) collect(ctx context.Context, op, q string, args []any, set map[string]bool) error {
	rows, err := t.tx.QueryContext(ctx, t.s.d.rebind(q), args...)
	if err != nil {
		return t.s.err(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return t.s.err(op, err)
		}
		set[id] = true
	}
	return t.s.err(op, rows.Err())
}

func dedupe(ids []string) []string {
	seen := make(map[string]struct{}, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if _, ok := seen[id]; !ok {
			seen[id] = struct{}{}
			out = append(out, id)
		}
	}
	return out
}

// newest keeps, per key, the entry with the highest version (the first one
// on a tie, as the store keeps the first of equal versions), in input order.
func newest[T any](items []T, key func(T) string, version func(T) int64) []T {
	best := make(map[string]int, len(items))
	for i, it := range items {
		k := key(it)
		if j, ok := best[k]; !ok || version(it) > version(items[j]) {
			best[k] = i
		}
	}
	out := make([]T, 0, len(best))
	for i, it := range items {
		if best[key(it)] == i {
			out = append(out, it)
		}
	}
	return out
}

// UpsertCustomers applies customers newer than the stored version.
func (t *txn) UpsertCustomers(ctx context.Context, cs []lab.Customer) (map[string]bool, error) {
	applied := make(map[string]bool, len(cs))
	cs = newest(cs, func(c lab.Customer) string { return c.ID }, func(c lab.Customer) int64 { return c.Version })
	for start := 0; start < len(cs); start += chunkRows {
		chunk := cs[start:min(start+chunkRows, len(cs))]
		args := make([]any, 0, len(chunk)*5)
		for _, c := range chunk {
			doc, err := json.Marshal(c)
			if err != nil {
				return nil, fmt.Errorf("encode customer: %w", err)
			}
			args = append(args, c.ID, c.Version, string(c.Tier), string(doc), micros(c.UpdatedAt))
		}
		q := `INSERT INTO customers (id, version, tier, doc, updated_at) VALUES ` + values(len(chunk), 5) + `
			ON CONFLICT (id) DO UPDATE SET version = excluded.version, tier = excluded.tier,
				doc = excluded.doc, updated_at = excluded.updated_at
			WHERE customers.version < excluded.version
			RETURNING id`
		if err := t.collect(ctx, "upsert customers", q, args, applied); err != nil {
			return nil, err
		}
	}
	return applied, nil
}

// Customer reads one customer.
func (s *DB) Customer(ctx context.Context, id string) (lab.Customer, error) {
	var doc []byte
	err := s.db.QueryRowContext(ctx, s.q(`SELECT doc FROM customers WHERE id = $1`), id).Scan(&doc)
	if err != nil {
		return lab.Customer{}, s.err("customer", err)
	}
	var c lab.Customer
	if err := json.Unmarshal(doc, &c); err != nil {
		return lab.Customer{}, fmt.Errorf("decode customer %s: %w", id, err)
	}
	return c, nil
}
