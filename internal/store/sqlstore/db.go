package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/imp-health/imp/internal/store"
)

// DB implements store.Store on a *sql.DB.
type DB struct {
	db *sql.DB
	d  Dialect

	mu      sync.Mutex
	queries map[string]string // rebound query cache, keyed by the $N text
}

var _ store.Store = (*DB)(nil)

// New wraps db. The caller has opened it with the right driver and settings.
func New(db *sql.DB, d Dialect) *DB {
	if d.MapError == nil {
		d.MapError = func(err error) error { return err }
	}
	return &DB{db: db, d: d, queries: map[string]string{}}
}

// SQL exposes the underlying handle (tests and operations only).
func (s *DB) SQL() *sql.DB { return s.db }

// Driver names the dialect.
func (s *DB) Driver() string { return s.d.Name }

// q returns the dialect's form of a $N query, caching the rewrite.
func (s *DB) q(query string) string {
	if !s.d.NumberedParams {
		return query
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.queries[query]
	if !ok {
		r = s.d.rebind(query)
		if len(s.queries) < 1024 { // dynamic batch queries must not grow the cache forever
			s.queries[query] = r
		}
	}
	return r
}

// err maps a driver error to store sentinels, keeping the cause.
func (s *DB) err(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: %w", op, s.d.MapError(err))
}

// Ping checks the database answers.
func (s *DB) Ping(ctx context.Context) error {
	return s.err("ping", s.db.PingContext(ctx))
}

// Close closes the pool.
func (s *DB) Close() error { return s.db.Close() }

// InTx runs fn in a transaction.
func (s *DB) InTx(ctx context.Context, fn func(store.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.err("begin", err)
	}
	// Roll back on error and on panic, so a panicking handler cannot leak
	// a connection holding locks.
	done := false
	defer func() {
		if !done {
			_ = tx.Rollback()
		}
	}()
	if err := fn(&txn{s: s, tx: tx}); err != nil {
		return err
	}
	done = true
	return s.err("commit", tx.Commit())
}

// txn is the store.Tx of one transaction.
type txn struct {
	s  *DB
	tx *sql.Tx
}

// micros stores a time; the zero time is 0.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros reads a stored time; 0 is the zero time.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// values builds "($1,$2,$3),($4,$5,$6)" for rows×cols placeholders.
func values(rows, cols int) string {
	var b strings.Builder
	b.Grow(rows * cols * 5)
	n := 1
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			n++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// placeholders builds "$from,$from+1,..." for n parameters.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(from + i))
	}
	return b.String()
}

// chunkRows bounds rows per statement under both databases' parameter limits.
const chunkRows = 500

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// eachRow runs fn for every row of a query and closes the rows.
func eachRow(rows *sql.Rows, err error, fn func(*sql.Rows) error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
