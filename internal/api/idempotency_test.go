package api_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/imp-health/imp/internal/api"
	"github.com/imp-health/imp/internal/auth"
	"github.com/imp-health/imp/internal/ingest"
	"github.com/imp-health/imp/internal/store"
)

func resultBody(acc string) map[string]any {
	return map[string]any{"accession_number": acc, "test_code": "GLU", "value": "5.4", "status": "preliminary",
		"observed_at": "2026-01-01T09:00:00Z", "tier": "b2b"}
}

const b2bTopic = prefix + "lis-test-result-b2b"

func TestIdempotencyReplaysAndProducesOnce(t *testing.T) {
	e := newEnv(t)
	tok := e.token(t, auth.ScopeResultsWrite)
	first := e.call("POST", "/v1/results", tok, resultBody("A-1"), "Idempotency-Key", "k-1")
	if first.code != http.StatusAccepted || first.hdr.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first: %d %v %s", first.code, first.hdr, first.body)
	}
	again := e.call("POST", "/v1/results", tok, resultBody("A-1"), "Idempotency-Key", "k-1")
	if again.code != http.StatusAccepted || again.hdr.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %v %s", again.code, again.hdr, again.body)
	}
	if string(again.body) != string(first.body) {
		t.Fatalf("replay body %s != first %s", again.body, first.body)
	}
	recs := e.records(t, b2bTopic)
	if len(recs) != 1 {
		t.Fatalf("%d records on %s, want 1", len(recs), b2bTopic)
	}
	if id := header(recs[0], "imp-message-id"); id != first.json(t)["message_id"] {
		t.Fatalf("record id %s, response id %v", id, first.json(t)["message_id"])
	}

	// The same key with another body is refused and produces nothing.
	other := e.call("POST", "/v1/results", tok, resultBody("A-2"), "Idempotency-Key", "k-1")
	if other.code != http.StatusUnprocessableEntity || other.json(t)["type"] != "/problems/idempotency-key-reused" {
		t.Fatalf("other body: %d %s", other.code, other.body)
	}
	// The same key on another operation is another request too.
	if r := e.call("POST", "/v1/results/batch", tok, []any{resultBody("A-1")}, "Idempotency-Key", "k-1"); r.code != 422 {
		t.Fatalf("other path: %d %s", r.code, r.body)
	}
	// Keys are per client: another key's k-1 is its own.
	if r := e.call("POST", "/v1/results", e.token(t, auth.ScopeResultsWrite), resultBody("A-1"), "Idempotency-Key", "k-1"); r.code != 202 || r.hdr.Get("Idempotent-Replayed") != "" {
		t.Fatalf("other client: %d %v", r.code, r.hdr)
	}
	if n := len(e.records(t, b2bTopic)); n != 2 {
		t.Fatalf("%d records, want 2", n)
	}
	// A bad key is a 400.
	if r := e.call("POST", "/v1/results", tok, resultBody("A-1"), "Idempotency-Key", "bad\x01key"); r.code != 400 {
		t.Fatalf("bad key: %d %s", r.code, r.body)
	}
	// A refused body is not an outcome: once fixed, the key works.
	bad := resultBody("A-3")
	bad["status"] = "nope"
	if r := e.call("POST", "/v1/results", tok, bad, "Idempotency-Key", "k-3"); r.code != 422 {
		t.Fatalf("bad body: %d", r.code)
	}
	if r := e.call("POST", "/v1/results", tok, resultBody("A-3"), "Idempotency-Key", "k-3"); r.code != 202 {
		t.Fatalf("fixed body: %d %s", r.code, r.body)
	}
}

func TestIdempotencyConcurrentDuplicatesProduceOnce(t *testing.T) {
	e := newEnv(t)
	tok := e.token(t, auth.ScopeResultsWrite)
	const n = 16
	var wg sync.WaitGroup
	replies := make([]reply, n)
	for i := range n {
		wg.Go(func() { replies[i] = e.call("POST", "/v1/results", tok, resultBody("A-9"), "Idempotency-Key", "same") })
	}
	wg.Wait()
	replayed := 0
	for i, r := range replies {
		if r.code != http.StatusAccepted || string(r.body) != string(replies[0].body) {
			t.Fatalf("reply %d: %d %s (first %s)", i, r.code, r.body, replies[0].body)
		}
		if r.hdr.Get("Idempotent-Replayed") == "true" {
			replayed++
		}
	}
	if replayed != n-1 {
		t.Fatalf("%d replays, want %d", replayed, n-1)
	}
	if recs := e.records(t, b2bTopic); len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
}

// failingPut loses every idempotency record, as a process killed between
// producing and storing would.
type failingPut struct{ store.Store }

func (failingPut) PutIdempotency(context.Context, store.IdempotencyRecord) (store.IdempotencyRecord, error) {
	return store.IdempotencyRecord{}, errors.New("killed")
}

// TestIdempotencyAfterLostRecordKeepsMessageID: when the idempotency record
// is lost, a retry produces again, but under the same message id, so the
// consumers' processed-message claims apply it once.
func TestIdempotencyAfterLostRecordKeepsMessageID(t *testing.T) {
	e := newEnv(t)
	tok := e.token(t, auth.ScopeResultsWrite)
	crashy := api.New(api.Options{Publisher: ingest.NewPublisher(e.prod, topics, nil), Store: failingPut{e.st}, Keys: e.keys, Topics: topics})
	e2 := *e
	e2.h = crashy
	first := e2.call("POST", "/v1/results/batch", tok, []any{resultBody("A-1"), resultBody("A-2")}, "Idempotency-Key", "k")
	retry := e.call("POST", "/v1/results/batch", tok, []any{resultBody("A-1"), resultBody("A-2")}, "Idempotency-Key", "k")
	if first.code != 202 || retry.code != 202 || retry.hdr.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first %d %s, retry %d %s", first.code, first.body, retry.code, retry.body)
	}
	ids := func(r reply) []string {
		var out []string
		for _, it := range r.json(t)["results"].([]any) {
			out = append(out, it.(map[string]any)["message_id"].(string))
		}
		return out
	}
	a, b := ids(first), ids(retry)
	if len(a) != 2 || a[0] != b[0] || a[1] != b[1] || a[0] == a[1] {
		t.Fatalf("ids %v then %v", a, b)
	}
	recs := e.records(t, b2bTopic)
	count := map[string]int{}
	for _, r := range recs {
		count[header(r, "imp-message-id")]++
	}
	if len(recs) != 4 || count[a[0]] != 2 || count[a[1]] != 2 {
		t.Fatalf("records by id: %v", count)
	}
	// And now it is stored: a third try replays.
	if r := e.call("POST", "/v1/results/batch", tok, []any{resultBody("A-1"), resultBody("A-2")}, "Idempotency-Key", "k"); r.hdr.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("third: %d %v", r.code, r.hdr)
	}
}
