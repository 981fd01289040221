package sqlstore

import (
	"context"
	"database/sql"
	"io/fs"
	"regexp"
	"strconv"
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

// rebind adapts a $N query to the dialect. When the placeholders appear
// once each in ascending order (every query IMP builds), they become plain
// '?': SQLite keeps no name list for those, while modernc's driver looks
// each numbered ?NNN up by name, which makes wide multi-row statements
// quadratic in their parameter count.
func (d *Dialect) rebind(q string) string {
	if !d.NumberedParams {
		return q
	}
	next := 1
	ordered := true
	for _, m := range dollarParam.FindAllStringSubmatch(q, -1) {
		if m[1] != strconv.Itoa(next) {
			ordered = false
			break
		}
		next++
	}
	if ordered {
		return dollarParam.ReplaceAllString(q, "?")
	}
	return dollarParam.ReplaceAllString(q, "?$1")
}
