// Package sqlite is the embedded store driver: SQLite through
// modernc.org/sqlite (pure Go, no cgo), in WAL mode with synchronous=NORMAL:
// a committed transaction is in the WAL file before Commit returns, so it
// survives any crash of the process (kill -9); only an OS crash or power
// loss can drop the newest transactions, which is the same durability as
// the embedded broker's log (it does not fsync every write either). For
// durability against power loss run PostgreSQL and a replicated Kafka.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/store/sqlstore"
)

//go:embed migration/*.sql
var migrations embed.FS

// Open opens (creating if needed) the database file at path and migrates it.
func Open(ctx context.Context, path string) (*sqlstore.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(NORMAL)", "busy_timeout(10000)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	// IMMEDIATE transactions take the write lock up front, so two writers
	// wait on busy_timeout instead of failing on a lock upgrade.
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	// One writer at a time is SQLite's model; a small pool keeps readers
	// concurrent under WAL without piling up waiting writers.
	db.SetMaxOpenConns(4)
	sub, err := fs.Sub(migrations, "migration")
	if err != nil {
		return nil, err
	}
	s := sqlstore.New(db, sqlstore.Dialect{
		Name:           "sqlite",
		Migrations:     sub,
		NumberedParams: true,
		MapError:       mapError,
	})
	if err := s.Migrate(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

func mapError(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CONSTRAINT:
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN:
			return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
		}
	}
	return err
}
