package sqlstore

import (
	"context"
	"time"

	"github.com/imp-health/imp/internal/store"
)

// AddDeadLetters indexes DLQ records; a message that dies again replaces
// its earlier entry (state back to dead, new DLQ position).
func (s *DB) AddDeadLetters(ctx context.Context, ds []store.DeadLetter) error {
	if len(ds) == 0 {
		return nil
	}
	last := map[[2]string]int{}
	for i, d := range ds {
		last[[2]string{d.MessageID, d.Consumer}] = i
	}
	const cols = 16
	var uniq []store.DeadLetter
	for i, d := range ds {
		if last[[2]string{d.MessageID, d.Consumer}] == i {
			uniq = append(uniq, d)
		}
	}
	for start := 0; start < len(uniq); start += chunkRows {
		chunk := uniq[start:min(start+chunkRows, len(uniq))]
		args := make([]any, 0, len(chunk)*cols)
		for _, d := range chunk {
			o, c, tk := keysOf(d.Keys)
			state := d.State
			if state == "" {
				state = "dead"
			}
			args = append(args, d.MessageID, d.Consumer, d.Stream, d.Topic, d.Partition, d.Offset, d.ErrorClass, d.Error,
				d.Attempts, o, c, tk, micros(d.DeadAt), state, d.Actor, micros(d.ActedAt))
		}
		q := `INSERT INTO dead_letters (message_id, consumer, stream, topic, part, off, error_class, error, attempts,
			order_key, customer_key, test_key, dead_at, state, actor, acted_at) VALUES ` + values(len(chunk), cols) + `
			ON CONFLICT (message_id, consumer) DO UPDATE SET stream = excluded.stream, topic = excluded.topic,
				part = excluded.part, off = excluded.off, error_class = excluded.error_class, error = excluded.error,
				attempts = excluded.attempts, order_key = excluded.order_key, customer_key = excluded.customer_key,
				test_key = excluded.test_key, dead_at = excluded.dead_at, state = excluded.state,
				actor = excluded.actor, acted_at = excluded.acted_at`
		if _, err := s.db.ExecContext(ctx, s.d.rebind(q), args...); err != nil {
			return s.err("add dead letters", err)
		}
	}
	return nil
}

// DeadLetterList lists dead letters, newest first.
func (s *DB) DeadLetterList(ctx context.Context, q store.DeadQuery) ([]store.DeadLetter, error) {
	var w where
	state := q.State
	if state == "" {
		state = "dead"
	}
	if state != "any" {
		w.eq("state", state)
	}
	w.eq("stream", q.Stream)
	w.eq("consumer", q.Consumer)
	w.eq("error_class", q.ErrorClass)
	w.eq("order_key", q.Order)
	w.eq("customer_key", q.Customer)
	w.eq("message_id", q.MessageID)
	w.cmp("dead_at", ">=", q.From)
	w.cmp("dead_at", "<", q.To)
	query := `SELECT message_id, consumer, stream, topic, part, off, error_class, error, attempts,
		order_key, customer_key, test_key, dead_at, state, actor, acted_at FROM dead_letters` + w.sql() +
		` ORDER BY dead_at DESC, message_id LIMIT ` + itoa(limit(q.Limit))
	rows, err := s.db.QueryContext(ctx, s.d.rebind(query), w.args...)
	if err != nil {
		return nil, s.err("dead letters", err)
	}
	defer rows.Close()
	var out []store.DeadLetter
	for rows.Next() {
		var d store.DeadLetter
		var o, c, tk string
		var dead, acted int64
		if err := rows.Scan(&d.MessageID, &d.Consumer, &d.Stream, &d.Topic, &d.Partition, &d.Offset, &d.ErrorClass,
			&d.Error, &d.Attempts, &o, &c, &tk, &dead, &d.State, &d.Actor, &acted); err != nil {
			return nil, s.err("dead letters", err)
		}
		d.Keys, d.DeadAt, d.ActedAt = keysMap(o, c, tk), fromMicros(dead), fromMicros(acted)
		out = append(out, d)
	}
	return out, s.err("dead letters", rows.Err())
}

// SetDeadState moves dead letters out of "dead".
func (s *DB) SetDeadState(ctx context.Context, keys []store.DeadKey, state, actor string, at time.Time) (int, error) {
	n := 0
	err := s.InTx(ctx, func(st store.Tx) error {
		t := st.(*txn)
		for _, k := range keys {
			res, err := t.tx.ExecContext(ctx, s.q(`UPDATE dead_letters SET state = $1, actor = $2, acted_at = $3
				WHERE message_id = $4 AND consumer = $5 AND state = 'dead'`), state, actor, micros(at), k.MessageID, k.Consumer)
			if err != nil {
				return s.err("set dead state", err)
			}
			m, _ := res.RowsAffected()
			n += int(m)
		}
		return nil
	})
	return n, err
}
