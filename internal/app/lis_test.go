package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/app"
	"github.com/imp-health/imp/internal/config"
	"github.com/imp-health/imp/internal/consumer"
	"github.com/imp-health/imp/internal/store"
)

// TestOrderToLISAndSVIPResultToPartner is the LIS round trip: an order for
// an svip1 customer goes to the (simulated) LIS over MLLP and is ACKed; the
// LIS sends ORU^R01 results back to IMP's MLLP listener; they are routed to
// the svip1 stream, stored, and delivered to the customer's portal webhook
// with a valid signature, exactly once — while a burst of general results
// is in flight on the general stream.
func TestOrderToLISAndSVIPResultToPartner(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.MLLPAddr = "127.0.0.1:0"
	cfg.WebhookAllowHTTP = true
	lisAddr, err := app.PrepareDemo("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.LISAddr = lisAddr
	s := serveWith(t, cfg)
	defer s.stop(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	demo, err := s.app.StartDemo(ctx, s.run, lisAddr, "127.0.0.1:0", 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	waitCustomer(t, s.base, "C-VIP-1", 1)
	waitCustomer(t, s.base, "C-GEN-1", 1)
	waitFor(t, 10*time.Second, "catalog", func() bool { ts, _ := s.app.Store.Tests(context.Background()); return len(ts) == 7 })

	// A burst of general results, in flight while the SVIP order runs.
	burst := make([]map[string]any, 2000)
	for i := range burst {
		burst[i] = map[string]any{"accession_number": fmt.Sprintf("GEN-%04d", i), "test_code": "GLU", "version": 1, "value": "5.0",
			"status": "preliminary", "observed_at": "2026-11-27T07:00:00Z", "customer_id": "C-GEN-1"}
	}
	go func() {
		for start := 0; start < len(burst); start += 500 {
			do(t, "POST", s.base+"/v1/results/batch", burst[start:start+500])
		}
	}()
	code, b := do(t, "POST", s.base+"/v1/orders", map[string]any{"accession_number": "VIP-ORDER-1", "customer_id": "C-VIP-1",
		"ordering_clinician": map[string]any{"id": "D1", "name": "Dr Demo"}, "tests": []any{map[string]any{"code": "GLU"}, map[string]any{"code": "NA"}},
		"ordered_at": "2026-11-27T06:00:00Z"})
	if code != 202 {
		t.Fatalf("order: %d %s", code, b)
	}
	results := func() (n int, bad int) {
		for _, d := range demo.Sink.Deliveries() {
			if d.Kind != "result" {
				continue
			}
			if !d.SignatureOK || d.Duplicate {
				bad++
			}
			n++
		}
		return n, bad
	}
	waitFor(t, 30*time.Second, "both SVIP results at the portal", func() bool { n, _ := results(); return n >= 2 })
	time.Sleep(time.Second) // room for a duplicate, which must not come
	if n, bad := results(); n != 2 || bad != 0 {
		t.Fatalf("portal got %d result deliveries, %d unsigned or repeated; want 2 and 0", n, bad)
	}
	v, err := s.app.Store.Order(context.Background(), "VIP-ORDER-1")
	if err != nil {
		t.Fatal(err)
	}
	if v.LIS.State != "sent" || len(v.Results) != 2 {
		t.Fatalf("order at the LIS: %+v, %d results", v.LIS, len(v.Results))
	}
	for _, r := range v.Results {
		if r.Tier != "" || r.CustomerID != "C-VIP-1" || r.Status != "final" {
			t.Fatalf("stored result = %+v", r)
		}
	}
	msgs, _ := s.app.Store.Messages(context.Background(), storeQuery("VIP-ORDER-1"))
	svip := 0
	for _, m := range msgs {
		if m.Consumer == "lis-test-result-svip1" && m.Status == consumer.StatusProcessed {
			svip++
		}
	}
	if svip != 2 {
		t.Fatalf("svip1 consumer processed %d results of the order: %+v", svip, msgs)
	}
	waitFor(t, 10*time.Second, "order status from OBR-25", func() bool {
		v, _ := s.app.Store.Order(context.Background(), "VIP-ORDER-1")
		return v.Status == "verified"
	})
}

func serveWith(t *testing.T, cfg config.Config) *started { return serve(t, cfg) }

func storeQuery(order string) store.MessageQuery { return store.MessageQuery{Order: order, Limit: 100} }
