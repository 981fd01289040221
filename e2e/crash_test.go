package e2e

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/store/sqlite"
)

// TestCrashLosesNothing posts 5,000 customer updates to `imp serve`, kills
// it with SIGKILL mid-stream, starts it again on the same data, and checks
// that every update that got a 202 is applied exactly once: its message id
// is claimed once, and each customer ends at its newest accepted version.
func TestCrashLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test runs the binary")
	}
	dir := t.TempDir()
	p := start(t, dir, nil, "serve")

	const customers, versions, workers = 500, 10, 16
	var (
		mu       sync.Mutex
		accepted = map[string]bool{}  // message ids answered 202
		maxAcc   = map[string]int64{} // customer -> newest accepted version
		sent     = map[string]int64{} // customer -> newest version sent at all
		count    atomic.Int64
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for v := int64(1); v <= versions; v++ {
				for c := w; c < customers; c += workers {
					id := fmt.Sprintf("K-%04d", c)
					mu.Lock()
					sent[id] = v
					mu.Unlock()
					code, body, err := post(ctx, p.base, "/v1/customers", map[string]any{
						"id": id, "version": v, "family_name": fmt.Sprintf("V%d", v),
					})
					if err != nil || ctx.Err() != nil {
						return // the server is gone
					}
					if code != 202 {
						t.Errorf("POST: %d %v", code, body)
						return
					}
					mu.Lock()
					accepted[body["message_id"].(string)] = true
					maxAcc[id] = max(maxAcc[id], v)
					mu.Unlock()
					count.Add(1)
				}
			}
		})
	}
	// Kill mid-stream.
	for count.Load() < 2500 {
		time.Sleep(time.Millisecond)
	}
	p.kill9(t)
	cancel()
	wg.Wait()
	t.Logf("accepted %d updates before SIGKILL", len(accepted))
	if len(accepted) < 2500 {
		t.Fatalf("only %d accepted", len(accepted))
	}

	// Restart on the same data; everything accepted must be applied.
	p = start(t, dir, nil, "serve")
	deadline := time.Now().Add(60 * time.Second)
	for id, v := range maxAcc {
		for {
			code, c, err := get(p.base, "/v1/customers/"+id)
			if err == nil && code == 200 {
				got := int64(c["version"].(float64))
				if got >= v {
					if got > sent[id] {
						t.Fatalf("customer %s at version %d, never sent", id, got)
					}
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("customer %s: accepted version %d not applied after restart (got %d %v)", id, v, code, c)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	p.stop(t, 30*time.Second)

	// Every accepted message id is claimed exactly once by consumer-customer.
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "imp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ids := make([]string, 0, len(accepted))
	for id := range accepted {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	rollback := errors.New("rollback")
	var fresh map[string]bool
	err = st.InTx(context.Background(), func(tx store.Tx) error {
		var err error
		if fresh, err = tx.Claim(context.Background(), "customer", ids); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	if len(fresh) != 0 {
		t.Fatalf("%d accepted updates were never applied (lost)", len(fresh))
	}
	for id, v := range maxAcc {
		c, err := st.Customer(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Version < v || c.FamilyName != fmt.Sprintf("V%d", c.Version) {
			t.Fatalf("customer %s = v%d %q, want >= v%d with matching data", id, c.Version, c.FamilyName, v)
		}
	}
}
