package sqlstore

import (
	"context"
	"strings"
	"time"
)

// prunable tables: each is pruned by its key columns so the statement is
// the same on both databases and bounded by LIMIT (no unbounded deletes,
// no long locks).
var prunable = []struct{ table, keys, at, extra string }{
	{"processed_messages", "consumer, message_id", "processed_at", ""},
	{"messages", "message_id, consumer", "updated_at", ""},
	{"message_events", "id", "at", ""},
	{"idempotency", "client, idem_key", "created_at", ""},
	{"dead_letters", "message_id, consumer", "acted_at", " AND state <> 'dead'"},
	{"sessions", "id_hash", "expires_at", ""}, // abandoned logins
}

// Prune deletes rows older than before, at most limit per table.
func (s *DB) Prune(ctx context.Context, before time.Time, limit int) (int, error) {
	total := 0
	for _, p := range prunable {
		keys := p.keys
		if strings.Contains(keys, ",") {
			keys = "(" + keys + ")" // row value: both databases accept (a, b) IN (SELECT a, b ...)
		}
		q := `DELETE FROM ` + p.table + ` WHERE ` + keys + ` IN (SELECT ` + p.keys + ` FROM ` + p.table +
			` WHERE ` + p.at + ` < $1` + p.extra + ` LIMIT ` + itoa(max(1, limit)) + `)`
		res, err := s.db.ExecContext(ctx, s.d.rebind(q), micros(before))
		if err != nil {
			return total, s.err("prune "+p.table, err)
		}
		n, _ := res.RowsAffected()
		total += int(n)
	}
	return total, nil
}
