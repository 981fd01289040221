package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/delivery"
	"github.com/imp-health/imp/internal/store"
)

// sink is a partner's webhook receiver that checks signatures and can fail
// the first n deliveries.
type sink struct {
	mu       sync.Mutex
	failures int
	got      map[string][]map[string]any // by Idempotency-Key
	srv      *httptest.Server
	bad      int
}

func newSink(t *testing.T, secret string, failFirst int) *sink {
	s := &sink{failures: failFirst, got: map[string][]map[string]any{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		defer s.mu.Unlock()
		if err := delivery.VerifySignature(secret, r.Header.Get(delivery.HeaderTimestamp), string(body), r.Header.Get(delivery.HeaderSignature), time.Minute); err != nil {
			s.bad++
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if s.failures > 0 {
			s.failures--
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		var v map[string]any
		_ = json.Unmarshal(body, &v)
		key := r.Header.Get("Idempotency-Key")
		s.got[key] = append(s.got[key], v)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) deliveries() map[string][]map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]map[string]any{}
	for k, v := range s.got {
		out[k] = append([]map[string]any(nil), v...)
	}
	return out
}

func result(version int64, value string) map[string]any {
	return map[string]any{
		"accession_number": "A-100", "test_code": "GLU", "version": version, "value": value, "unit": "mmol/L",
		"status": "final", "observed_at": "2026-11-27T07:00:00Z", "verified_by": "E-1", "verified_at": "2026-11-27T07:30:00Z",
		"customer_id": "VIP-1",
	}
}

// TestSVIPResultDeliveredOnceThroughRepush posts a result for an svip1
// customer: it is routed to the svip1 stream, stored, and delivered to the
// partner's webhook with a valid signature; the partner fails three times, more than the in-place tries, so
// the SVIP re-push consumer delivers it — exactly once. A stale version
// posted afterwards is stored nowhere and delivered nowhere.
func TestSVIPResultDeliveredOnceThroughRepush(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.WebhookAllowHTTP = true
	s := serve(t, cfg)
	defer s.stop(t)
	const secret = "partner-secret"
	hook := newSink(t, secret, 3) // more than the in-place tries: the re-push consumer must deliver
	conn, _ := json.Marshal(delivery.Destination{Connector: "webhook", URL: hook.srv.URL, Secret: secret})
	if err := s.app.Store.PutDestination(context.Background(), store.Destination{ID: "vip-portal", Owner: "customer:VIP-1",
		Events: []string{"result"}, Format: "json", Connector: conn, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if code, b := do(t, "POST", s.base+"/v1/customers", map[string]any{"id": "VIP-1", "tier": "svip1", "family_name": "Vip", "version": 1}); code != 202 {
		t.Fatalf("customer: %d %s", code, b)
	}
	waitCustomer(t, s.base, "VIP-1", 1)
	code, b := do(t, "POST", s.base+"/v1/results", result(2, "5.4"))
	if code != 202 {
		t.Fatalf("result: %d %s", code, b)
	}
	var acc map[string]any
	_ = json.Unmarshal(b, &acc)
	if acc["stream"] != "lis-test-result-svip1" {
		t.Fatalf("routed to %v, want lis-test-result-svip1", acc["stream"])
	}
	id := acc["message_id"].(string)
	deadline := time.Now().Add(20 * time.Second)
	for len(hook.deliveries()[id]) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("result not delivered")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A stale version is accepted, stored nowhere, delivered nowhere.
	if code, b := do(t, "POST", s.base+"/v1/results", result(1, "9.9")); code != 202 {
		t.Fatalf("stale result: %d %s", code, b)
	}
	time.Sleep(1500 * time.Millisecond)
	got := hook.deliveries()
	if len(got) != 1 || len(got[id]) != 1 {
		t.Fatalf("deliveries = %v, want exactly one, of %s", got, id)
	}
	body := got[id][0]
	rs := body["results"].([]any)
	if body["kind"] != "result" || len(rs) != 1 || rs[0].(map[string]any)["value"] != "5.4" {
		t.Fatalf("delivered body = %v", body)
	}
	if hook.bad != 0 {
		t.Fatalf("%d deliveries had bad signatures", hook.bad)
	}
	// The timeline shows the retry through the SVIP re-push consumer.
	msgs, err := s.app.Store.Messages(context.Background(), store.MessageQuery{MessageID: id})
	if err != nil {
		t.Fatal(err)
	}
	byConsumer := map[string]string{}
	for _, m := range msgs {
		byConsumer[m.Consumer] = m.Status
	}
	if byConsumer["lis-test-result-svip-repush"] != "processed" {
		t.Fatalf("tracking = %v, want the re-push consumer to have delivered it", byConsumer)
	}
	v, err := s.app.Store.Order(context.Background(), "A-100")
	if err != nil || len(v.Results) != 1 || v.Results[0].Value != "5.4" {
		t.Fatalf("stored = %+v, %v", v.Results, err)
	}
}
