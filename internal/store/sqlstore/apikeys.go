package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/store"
)

// CreateAPIKey stores a key; an existing id is ErrConflict.
func (s *DB) CreateAPIKey(ctx context.Context, k store.APIKey) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO api_keys (id, name, hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5)`),
		k.ID, k.Name, k.Hash, strings.Join(k.Scopes, " "), micros(k.CreatedAt))
	return s.err("create api key", err)
}

const apiKeyCols = `id, name, hash, scopes, created_at, revoked_at, last_used` //nolint:gosec // column names, not credentials

func scanAPIKey(sc interface{ Scan(...any) error }) (store.APIKey, error) {
	var k store.APIKey
	var scopes string
	var created, revoked, used int64
	if err := sc.Scan(&k.ID, &k.Name, &k.Hash, &scopes, &created, &revoked, &used); err != nil {
		return k, err
	}
	k.Scopes = strings.Fields(scopes)
	k.CreatedAt, k.RevokedAt, k.LastUsed = fromMicros(created), fromMicros(revoked), fromMicros(used)
	return k, nil
}

// APIKey reads a key by id.
func (s *DB) APIKey(ctx context.Context, id string) (store.APIKey, error) {
	k, err := scanAPIKey(s.db.QueryRowContext(ctx, s.q(`SELECT `+apiKeyCols+` FROM api_keys WHERE id = $1`), id))
	return k, s.err("api key", err)
}

// ListAPIKeys lists every key, oldest first.
func (s *DB) ListAPIKeys(ctx context.Context) ([]store.APIKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, s.err("list api keys", err)
	}
	defer rows.Close()
	var out []store.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, s.err("list api keys", err)
		}
		out = append(out, k)
	}
	return out, s.err("list api keys", rows.Err())
}

// RevokeAPIKey marks a key revoked; an unknown id is ErrNotFound.
func (s *DB) RevokeAPIKey(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at = 0`), micros(at), id)
	if err != nil {
		return s.err("revoke api key", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.APIKey(ctx, id); err != nil {
			return err
		}
		return fmt.Errorf("revoke api key %s: already revoked: %w", id, store.ErrConflict)
	}
	return nil
}
