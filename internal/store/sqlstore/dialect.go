package sqlstore

import (
	"context"
	"database/sql"
	"io/fs"
	"regexp"
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

var dollarParam = regexp.MustCompile(`\$(\d+)`)

// rebind adapts a $N query to the dialect.
func (d *Dialect) rebind(q string) string {
	if d.NumberedParams {
		return dollarParam.ReplaceAllString(q, "?$1")
	}
	return q
}
