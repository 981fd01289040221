package sqlstore

import (
	"context"
	"database/sql"
	"time"
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

// Processed reports which ids consumer has claimed.
func (s *DB) Processed(ctx context.Context, consumer string, ids []string) (map[string]bool, error) {
	out := make(map[string]bool, len(ids))
	ids = dedupe(ids)
	for start := 0; start < len(ids); start += chunkRows {
		chunk := ids[start:min(start+chunkRows, len(ids))]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, consumer)
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT message_id FROM processed_messages WHERE consumer = $1 AND message_id IN (`+placeholders(2, len(chunk))+`)`), args...)
		err = eachRow(rows, err, func(rows *sql.Rows) error {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			out[id] = true
			return nil
		})
		if err != nil {
			return nil, s.err("processed", err)
		}
	}
	return out, nil
}
