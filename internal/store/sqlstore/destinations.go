package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/imp-health/imp/internal/store"
)

// PutDestination creates or replaces a destination.
func (s *DB) PutDestination(ctx context.Context, d store.Destination) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO destinations (id, owner, events, format, connector, enabled, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, events = excluded.events, format = excluded.format,
			connector = excluded.connector, enabled = excluded.enabled`),
		d.ID, d.Owner, strings.Join(d.Events, " "), d.Format, string(d.Connector), d.Enabled, micros(d.CreatedAt))
	return s.err("put destination", err)
}

// DeleteDestination removes a destination; unknown ids are ErrNotFound.
func (s *DB) DeleteDestination(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM destinations WHERE id = $1`), id)
	if err != nil {
		return s.err("delete destination", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("destination %s: %w", id, store.ErrNotFound)
	}
	return nil
}

const destCols = `id, owner, events, format, connector, enabled, created_at`

func (s *DB) destinations(ctx context.Context, where string, args ...any) ([]store.Destination, error) {
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT `+destCols+` FROM destinations`+where+` ORDER BY id`), args...)
	if err != nil {
		return nil, s.err("destinations", err)
	}
	defer rows.Close()
	var out []store.Destination
	for rows.Next() {
		var d store.Destination
		var events string
		var conn []byte
		var at int64
		if err := rows.Scan(&d.ID, &d.Owner, &events, &d.Format, &conn, &d.Enabled, &at); err != nil {
			return nil, s.err("destinations", err)
		}
		d.Events, d.Connector, d.CreatedAt = strings.Fields(events), conn, fromMicros(at)
		out = append(out, d)
	}
	return out, s.err("destinations", rows.Err())
}

// ListDestinations lists every destination.
func (s *DB) ListDestinations(ctx context.Context) ([]store.Destination, error) {
	return s.destinations(ctx, "")
}

// DestinationsFor lists the enabled destinations of owners taking event.
func (s *DB) DestinationsFor(ctx context.Context, owners []string, event string) ([]store.Destination, error) {
	owners = dedupe(append(owners, "*"))
	args := make([]any, len(owners))
	for i, o := range owners {
		args[i] = o
	}
	ds, err := s.destinations(ctx, ` WHERE enabled = `+s.boolTrue()+` AND owner IN (`+placeholders(1, len(owners))+`)`, args...)
	if err != nil {
		return nil, err
	}
	out := ds[:0]
	for _, d := range ds {
		if slices.Contains(d.Events, event) {
			out = append(out, d)
		}
	}
	return out, nil
}

// boolTrue is the literal true for the dialect (SQLite stores booleans as 1).
func (s *DB) boolTrue() string {
	if s.d.NumberedParams {
		return "1"
	}
	return "TRUE"
}
