package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/store/postgres"
	"github.com/imp-health/imp/internal/store/storetest"
)

// TestStore runs the shared suite against the PostgreSQL at
// IMP_TEST_DATABASE_URL, one schema per subtest.
func TestStore(t *testing.T) {
	t.Parallel()
	base := os.Getenv("IMP_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("IMP_TEST_DATABASE_URL is unset: skipping PostgreSQL store tests (CI sets it to postgres://postgres@127.0.0.1:5432/test)")
	}
	storetest.Exercise(t, func(t *testing.T) store.Store {
		return Isolated(t, base)
	})
}

// Isolated opens a store in a fresh schema that is dropped after the test.
func Isolated(t *testing.T, base string) store.Store {
	t.Helper()
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
