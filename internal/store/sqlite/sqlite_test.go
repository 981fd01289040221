package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/store/sqlite"
	"github.com/imp-health/imp/internal/store/storetest"
)

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Exercise(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "imp.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}
