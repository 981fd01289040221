package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/imp-health/imp/internal/store"
)

// AddAudit appends an audit entry.
func (s *DB) AddAudit(ctx context.Context, e store.AuditEntry) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO audit_log (actor, action, target, detail, at) VALUES ($1, $2, $3, $4, $5)`),
		e.Actor, e.Action, e.Target, e.Detail, micros(e.At))
	return s.err("audit", err)
}

// AuditLog lists entries newest first; before (an id, 0 for none) pages.
func (s *DB) AuditLog(ctx context.Context, n int, before int64) ([]store.AuditEntry, error) {
	var w where
	if before > 0 {
		w.args = append(w.args, before)
		w.conds = append(w.conds, "id < $1")
	}
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT id, actor, action, target, detail, at FROM audit_log`+w.sql()+
		` ORDER BY id DESC LIMIT `+itoa(limit(n))), w.args...)
	if err != nil {
		return nil, s.err("audit log", err)
	}
	defer rows.Close()
	var out []store.AuditEntry
	for rows.Next() {
		var e store.AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &e.Actor, &e.Action, &e.Target, &e.Detail, &at); err != nil {
			return nil, s.err("audit log", err)
		}
		e.At = fromMicros(at)
		out = append(out, e)
	}
	return out, s.err("audit log", rows.Err())
}

// PutIdempotency stores an Idempotency-Key outcome unless one exists.
func (s *DB) PutIdempotency(ctx context.Context, rec store.IdempotencyRecord) (store.IdempotencyRecord, error) {
	res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO idempotency (client, idem_key, request_hash, status, response, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`),
		rec.Client, rec.Key, rec.RequestHash, rec.Status, rec.Response, micros(rec.CreatedAt))
	if err != nil {
		return rec, s.err("put idempotency", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return rec, nil
	}
	existing, err := s.GetIdempotency(ctx, rec.Client, rec.Key)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) { // pruned in between
			return rec, fmt.Errorf("put idempotency: %w", store.ErrConflict)
		}
		return rec, err
	}
	return existing, fmt.Errorf("idempotency key %q: %w", rec.Key, store.ErrConflict)
}

// GetIdempotency reads a stored outcome.
func (s *DB) GetIdempotency(ctx context.Context, client, key string) (store.IdempotencyRecord, error) {
	rec := store.IdempotencyRecord{Client: client, Key: key}
	var at int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT request_hash, status, response, created_at FROM idempotency
		WHERE client = $1 AND idem_key = $2`), client, key).Scan(&rec.RequestHash, &rec.Status, &rec.Response, &at)
	rec.CreatedAt = fromMicros(at)
	return rec, s.err("get idempotency", err)
}
