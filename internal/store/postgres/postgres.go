// Package postgres is the production store driver: PostgreSQL through pgx
// v5's database/sql adapter.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/store/sqlstore"
)

//go:embed migration/*.sql
var migrations embed.FS

// migrationLockID is the advisory lock key migrators take; any constant
// unique to IMP will do.
const migrationLockID = 0x1a9_0001

// Open connects to the database at url and migrates it.
func Open(ctx context.Context, url string) (*sqlstore.DB, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	sub, err := fs.Sub(migrations, "migration")
	if err != nil {
		return nil, err
	}
	s := sqlstore.New(db, sqlstore.Dialect{
		Name:       "postgres",
		Migrations: sub,
		LockMigrations: func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockID)
			return err
		},
		MapError: mapError,
	})
	if err := s.Migrate(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

func mapError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code[:2] {
		case "23": // integrity constraint violation
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		case "08", "53", "57": // connection, resources, operator intervention
			return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
		}
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}
