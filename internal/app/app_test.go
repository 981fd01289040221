package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/imp-health/imp/internal/app"
	"github.com/imp-health/imp/internal/config"
	"github.com/imp-health/imp/internal/consumer"
	"github.com/imp-health/imp/internal/store"
)

const adminKey = "test-admin-key-0123456789"

func testConfig(t *testing.T, dir string) config.Config {
	t.Helper()
	cfg := config.Defaults()
	cfg.DataDir = dir
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.KafkaListen = "127.0.0.1:0"
	cfg.MLLPAddr = "127.0.0.1:0"
	cfg.AdminKey = adminKey
	cfg.Partitions = 3
	cfg.ShutdownTimeout = 10 * time.Second
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func logger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// started is one in-process `imp serve`.
type started struct {
	app    *app.App
	run    *app.Running
	cancel context.CancelFunc
	base   string
}

func serve(t *testing.T, cfg config.Config) *started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, logger(t))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if _, err := a.EnsureAdminKey(ctx); err != nil {
		t.Fatal(err)
	}
	defs, err := consumer.Select(nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	run, err := a.Start(ctx, app.Parts{API: true, Consumers: defs})
	if err != nil {
		t.Fatal(err)
	}
	return &started{app: a, run: run, cancel: cancel, base: "http://" + run.HTTPAddr}
}

func (s *started) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	if err := s.run.Wait(); err != nil {
		t.Errorf("run: %v", err)
	}
	s.app.Close()
}

func do(t *testing.T, method, url string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func waitCustomer(t *testing.T, base, id string, version int64) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, b := do(t, "GET", base+"/v1/customers/"+id, nil)
		if code == 200 {
			var c map[string]any
			_ = json.Unmarshal(b, &c)
			if int64(c["version"].(float64)) == version {
				return c
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("customer %s v%d not applied in time (last: %d %s)", id, version, code, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeRestartKeepsStateAndAppliesOnce is the newcomer's story: post
// customers, read them back, stop, start again on the same data: the state
// is there and no record is handled a second time.
func TestServeRestartKeepsStateAndAppliesOnce(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	s := serve(t, cfg)

	const n = 20
	ids := map[string]bool{}
	for i := range n {
		id := fmt.Sprintf("C-%03d", i)
		for v := int64(1); v <= 2; v++ {
			code, b := do(t, "POST", s.base+"/v1/customers", map[string]any{
				"id": id, "version": v, "family_name": fmt.Sprintf("Family-%d", v), "tier": "b2b",
			})
			if code != http.StatusAccepted {
				t.Fatalf("POST customer: %d %s", code, b)
			}
			var acc map[string]any
			_ = json.Unmarshal(b, &acc)
			if acc["message_id"] == "" || acc["stream"] != "customer" {
				t.Fatalf("202 body = %s", b)
			}
			ids[acc["message_id"].(string)] = true
		}
	}
	for i := range n {
		c := waitCustomer(t, s.base, fmt.Sprintf("C-%03d", i), 2)
		if c["family_name"] != "Family-2" || c["tier"] != "b2b" {
			t.Fatalf("customer = %v", c)
		}
	}
	processed := testutil.ToFloat64(s.app.Metrics.EventsTotal.WithLabelValues("customer", "customer", consumer.StatusProcessed))
	if processed != 2*n {
		t.Fatalf("processed = %v, want %d", processed, 2*n)
	}
	s.stop(t)

	// Start again on the same data directory.
	cfg = testConfig(t, dir)
	s = serve(t, cfg)
	defer s.stop(t)
	for i := range n {
		waitCustomer(t, s.base, fmt.Sprintf("C-%03d", i), 2)
	}
	// A stale update posted now is accepted, handled, and changes nothing.
	if code, b := do(t, "POST", s.base+"/v1/customers", map[string]any{"id": "C-000", "version": 1, "family_name": "Stale"}); code != 202 {
		t.Fatalf("stale post: %d %s", code, b)
	}
	deadline := time.Now().Add(10 * time.Second)
	for testutil.ToFloat64(s.app.Metrics.EventsTotal.WithLabelValues("customer", "customer", consumer.StatusProcessed)) < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the stale update was not handled")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Only the new record was handled after the restart: nothing from
	// before was redelivered (offsets were committed after the effects).
	if got := testutil.ToFloat64(s.app.Metrics.EventsTotal.WithLabelValues("customer", "customer", consumer.StatusProcessed)); got != 1 {
		t.Fatalf("records handled after restart = %v, want 1 (the stale update)", got)
	}
	if got := testutil.ToFloat64(s.app.Metrics.EventsTotal.WithLabelValues("customer", "customer", consumer.StatusDuplicate)); got != 0 {
		t.Fatalf("duplicates after restart = %v, want 0", got)
	}
	if c := waitCustomer(t, s.base, "C-000", 2); c["family_name"] != "Family-2" {
		t.Fatalf("stale version overwrote the newer one: %v", c)
	}
	// Every accepted message was claimed exactly once.
	claimed := claimedIDs(t, s.app.Store, "customer", ids)
	if claimed != len(ids) {
		t.Fatalf("claimed %d of %d accepted messages", claimed, len(ids))
	}
}

// claimedIDs counts how many of ids are recorded as processed by consumer
// (a claim of an already-claimed id returns nothing, so this rolls back).
func claimedIDs(t *testing.T, st store.Store, consumerName string, ids map[string]bool) int {
	t.Helper()
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	sort.Strings(list)
	var fresh map[string]bool
	errRollback := fmt.Errorf("rollback")
	err := st.InTx(context.Background(), func(tx store.Tx) error {
		var err error
		fresh, err = tx.Claim(context.Background(), consumerName, list)
		if err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	return len(list) - len(fresh)
}

// TestTopicsProvisioned checks every stream's main, retry and DLQ topics
// exist after start, with the configured partition counts.
func TestTopicsProvisioned(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.StreamPartitions = map[string]int{"lis-orders": 5}
	s := serve(t, cfg)
	defer s.stop(t)
	topics, err := s.app.Admin.ListTopics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	specs := s.app.TopicSpecs()
	if len(specs) < 36 {
		t.Fatalf("only %d topic specs; want main, retry and dlq for every stream", len(specs))
	}
	for _, spec := range specs {
		td, ok := topics[spec.Name]
		if !ok {
			t.Errorf("topic %s missing", spec.Name)
			continue
		}
		if int32(len(td.Partitions)) != spec.Partitions {
			t.Errorf("topic %s has %d partitions, want %d", spec.Name, len(td.Partitions), spec.Partitions)
		}
	}
	for _, name := range []string{"imp.lis-orders", "imp.lis-orders.retry", "imp.lis-orders.dlq"} {
		if got := len(topics[name].Partitions); got != 5 {
			t.Errorf("%s: %d partitions, want 5", name, got)
		}
	}
	for _, name := range []string{"imp.customer", "imp.lis-test-result-svip1.retry", "imp.worker-order.dlq"} {
		if _, ok := topics[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
}
