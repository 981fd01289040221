package sqlstore

import (
	"context"
	"database/sql"
	"io/fs"
)

// Dialect is what a driver supplies.
type Dialect struct {
	// Name is the driver's name, as store.Store.Driver reports it.
	Name string
	// Migrations holds NNN_name.sql files, applied in order.
	Migrations fs.FS
	// NumberedParams rewrites $N placeholders as ?N (SQLite).
	NumberedParams bool
	// LockMigrations serialises concurrent migrators inside tx.
	LockMigrations func(ctx context.Context, tx *sql.Tx) error
	// MapError turns driver errors into store sentinels (may return err).
	MapError func(err error) error
}

// rebind adapts a $N query to the dialect. When the placeholders appear
// once each in ascending order (every query IMP builds), they become plain
// '?': SQLite keeps no name list for those, while modernc's driver looks
// each numbered ?NNN up by name, which makes wide multi-row statements
// quadratic in their parameter count. One pass, no regexp: multi-row
// statements are rebound on every call.
func (d *Dialect) rebind(q string) string {
	if !d.NumberedParams {
		return q
	}
	b := make([]byte, 0, len(q))
	next, ordered := 1, true
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c != '$' || i+1 >= len(q) || q[i+1] < '0' || q[i+1] > '9' {
			b = append(b, c)
			continue
		}
		j := i + 1
		n := 0
		for j < len(q) && q[j] >= '0' && q[j] <= '9' {
			n = n*10 + int(q[j]-'0')
			j++
		}
		if n != next {
			ordered = false
		}
		next++
		b = append(b, '?')
		b = append(b, q[i+1:j]...)
		i = j - 1
	}
	if !ordered {
		return string(b)
	}
	// Drop the numbers: plain positional '?'.
	out := b[:0]
	for i := 0; i < len(b); i++ {
		out = append(out, b[i])
		if b[i] == '?' {
			for i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '9' {
				i++
			}
		}
	}
	return string(out)
}
