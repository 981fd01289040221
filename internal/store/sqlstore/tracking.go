package sqlstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/store"
)

// Business keys with their own indexed columns.
const (
	KeyOrder    = "order"
	KeyCustomer = "customer"
	KeyTest     = "test"
)

func keysOf(m map[string]string) (order, customer, test string) {
	return m[KeyOrder], m[KeyCustomer], m[KeyTest]
}

func keysMap(order, customer, test string) map[string]string {
	if order == "" && customer == "" && test == "" {
		return nil
	}
	m := map[string]string{}
	for k, v := range map[string]string{KeyOrder: order, KeyCustomer: customer, KeyTest: test} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

// quiet statuses are the plain successes: they update the message row but
// add no timeline event, so the happy path costs one row per message.
func quiet(status string) bool { return status == "processed" || status == "duplicate" }

// Track upserts the latest state per (message, consumer) and appends
// timeline events for the steps that were not plain success.
func (s *DB) Track(ctx context.Context, recs []store.TrackRecord) error {
	if len(recs) == 0 {
		return nil
	}
	// One row per key and statement (PostgreSQL refuses to update a row
	// twice in one INSERT): the last record for a key wins.
	last := map[[2]string]int{}
	for i, r := range recs {
		last[[2]string{r.MessageID, r.Consumer}] = i
	}
	latest := make([]store.TrackRecord, 0, len(last))
	for i, r := range recs {
		if last[[2]string{r.MessageID, r.Consumer}] == i {
			latest = append(latest, r)
		}
	}
	return s.InTx(ctx, func(st store.Tx) error {
		t := st.(*txn)
		const cols = 16
		for start := 0; start < len(latest); start += chunkRows {
			chunk := latest[start:min(start+chunkRows, len(latest))]
			args := make([]any, 0, len(chunk)*cols)
			for _, r := range chunk {
				o, c, tk := keysOf(r.Keys)
				first := r.FirstAt
				if first.IsZero() {
					first = r.At
				}
				args = append(args, r.MessageID, r.Consumer, r.Stream, r.Topic, r.Partition, r.Offset, r.Status,
					r.Attempt, r.Error, r.Note, r.Actor, o, c, tk, micros(first), micros(r.At))
			}
			q := `INSERT INTO messages (message_id, consumer, stream, topic, part, off, status, attempt, error, note, actor,
				order_key, customer_key, test_key, first_at, updated_at) VALUES ` + values(len(chunk), cols) + `
				ON CONFLICT (message_id, consumer) DO UPDATE SET topic = excluded.topic, part = excluded.part,
					off = excluded.off, status = excluded.status, attempt = excluded.attempt, error = excluded.error,
					note = excluded.note, actor = excluded.actor,
					order_key = CASE WHEN excluded.order_key = '' THEN messages.order_key ELSE excluded.order_key END,
					customer_key = CASE WHEN excluded.customer_key = '' THEN messages.customer_key ELSE excluded.customer_key END,
					test_key = CASE WHEN excluded.test_key = '' THEN messages.test_key ELSE excluded.test_key END,
					updated_at = excluded.updated_at
				WHERE messages.updated_at <= excluded.updated_at`
			if _, err := t.tx.ExecContext(ctx, s.d.rebind(q), args...); err != nil {
				return s.err("track", err)
			}
		}
		var evs []store.TrackRecord
		for _, r := range recs {
			if !quiet(r.Status) {
				evs = append(evs, r)
			}
		}
		for start := 0; start < len(evs); start += chunkRows {
			chunk := evs[start:min(start+chunkRows, len(evs))]
			args := make([]any, 0, len(chunk)*7)
			for _, r := range chunk {
				args = append(args, r.MessageID, r.Consumer, r.Status, r.Attempt, r.Error, r.Actor, micros(r.At))
			}
			q := `INSERT INTO message_events (message_id, consumer, status, attempt, error, actor, at) VALUES ` + values(len(chunk), 7)
			if _, err := t.tx.ExecContext(ctx, s.d.rebind(q), args...); err != nil {
				return s.err("track events", err)
			}
		}
		return nil
	})
}

// where builds a WHERE clause from optional equality filters and ranges.
type where struct {
	conds []string
	args  []any
}

func (w *where) eq(col, v string) {
	if v != "" {
		w.args = append(w.args, v)
		w.conds = append(w.conds, col+" = $"+itoa(len(w.args)))
	}
}

func (w *where) cmp(col, op string, t time.Time) {
	if !t.IsZero() {
		w.args = append(w.args, micros(t))
		w.conds = append(w.conds, col+" "+op+" $"+itoa(len(w.args)))
	}
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

func limit(n int) int {
	if n <= 0 {
		return 100
	}
	return min(n, 1000)
}

// Messages searches tracked messages, newest first.
func (s *DB) Messages(ctx context.Context, q store.MessageQuery) ([]store.TrackRecord, error) {
	var w where
	w.eq("message_id", q.MessageID)
	w.eq("order_key", q.Order)
	w.eq("customer_key", q.Customer)
	w.eq("test_key", q.Test)
	w.eq("stream", q.Stream)
	w.eq("consumer", q.Consumer)
	w.eq("status", q.Status)
	w.cmp("updated_at", ">=", q.From)
	w.cmp("updated_at", "<", q.To)
	w.cmp("updated_at", "<", q.Before)
	query := `SELECT message_id, consumer, stream, topic, part, off, status, attempt, error, note, actor,
		order_key, customer_key, test_key, first_at, updated_at FROM messages` + w.sql() +
		` ORDER BY updated_at DESC, message_id LIMIT ` + itoa(limit(q.Limit))
	rows, err := s.db.QueryContext(ctx, s.d.rebind(query), w.args...)
	if err != nil {
		return nil, s.err("messages", err)
	}
	defer rows.Close()
	var out []store.TrackRecord
	for rows.Next() {
		var r store.TrackRecord
		var o, c, tk string
		var first, at int64
		if err := rows.Scan(&r.MessageID, &r.Consumer, &r.Stream, &r.Topic, &r.Partition, &r.Offset, &r.Status,
			&r.Attempt, &r.Error, &r.Note, &r.Actor, &o, &c, &tk, &first, &at); err != nil {
			return nil, s.err("messages", err)
		}
		r.Keys, r.FirstAt, r.At = keysMap(o, c, tk), fromMicros(first), fromMicros(at)
		out = append(out, r)
	}
	return out, s.err("messages", rows.Err())
}

// Timeline lists a message's events, oldest first, ending with the
// current state of each consumer that handled it.
func (s *DB) Timeline(ctx context.Context, messageID string) ([]store.MessageEvent, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT message_id, consumer, status, attempt, error, actor, at
		FROM message_events WHERE message_id = $1 ORDER BY at, id`), messageID)
	if err != nil {
		return nil, s.err("timeline", err)
	}
	defer rows.Close()
	var out []store.MessageEvent
	for rows.Next() {
		var e store.MessageEvent
		var at int64
		if err := rows.Scan(&e.MessageID, &e.Consumer, &e.Status, &e.Attempt, &e.Error, &e.Actor, &at); err != nil {
			return nil, s.err("timeline", err)
		}
		e.At = fromMicros(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.err("timeline", err)
	}
	cur, err := s.Messages(ctx, store.MessageQuery{MessageID: messageID, Limit: 1000})
	if err != nil {
		return nil, err
	}
	for _, r := range cur {
		if quiet(r.Status) {
			out = append(out, store.MessageEvent{MessageID: r.MessageID, Consumer: r.Consumer, Status: r.Status, Attempt: r.Attempt, Note: r.Note, At: r.At})
		}
	}
	return out, nil
}

// Activity summarises tracking per consumer since a time.
func (s *DB) Activity(ctx context.Context, since time.Time) ([]store.ConsumerActivity, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT consumer, COUNT(*),
		SUM(CASE WHEN status IN ('retrying', 'dead') THEN 1 ELSE 0 END), MAX(updated_at)
		FROM messages WHERE updated_at >= $1 GROUP BY consumer ORDER BY consumer`), micros(since))
	if err != nil {
		return nil, s.err("activity", err)
	}
	defer rows.Close()
	var out []store.ConsumerActivity
	for rows.Next() {
		var a store.ConsumerActivity
		var last int64
		if err := rows.Scan(&a.Consumer, &a.Total, &a.Failed, &last); err != nil {
			return nil, s.err("activity", err)
		}
		a.Last = fromMicros(last)
		out = append(out, a)
	}
	return out, s.err("activity", rows.Err())
}

func itoa(n int) string {
	return strconv.Itoa(n)
}

// Rates counts outcomes per consumer and time bucket (by last update).
func (s *DB) Rates(ctx context.Context, since time.Time, bucket time.Duration) ([]store.RatePoint, error) {
	b := bucket.Microseconds()
	if b <= 0 {
		b = time.Minute.Microseconds()
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT consumer, updated_at / $1 AS b, COUNT(*),
		SUM(CASE WHEN status IN ('retrying', 'dead') THEN 1 ELSE 0 END)
		FROM messages WHERE updated_at >= $2 GROUP BY consumer, b ORDER BY consumer, b`), b, micros(since))
	if err != nil {
		return nil, s.err("rates", err)
	}
	defer rows.Close()
	var out []store.RatePoint
	for rows.Next() {
		var p store.RatePoint
		var n int64
		if err := rows.Scan(&p.Consumer, &n, &p.Total, &p.Failed); err != nil {
			return nil, s.err("rates", err)
		}
		p.Start = fromMicros(n * b)
		out = append(out, p)
	}
	return out, s.err("rates", rows.Err())
}
