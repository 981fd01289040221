package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/imp-health/imp/internal/auth"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
)

func TestReads(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	at := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	err := e.st.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.UpsertCustomers(ctx, []lab.Customer{{ID: "C-1", Version: 1, Tier: lab.TierB2B, FamilyName: "Example"}}); err != nil {
			return err
		}
		if _, err := tx.UpsertEmployees(ctx, []lab.Employee{{ID: "E-1", Version: 1, FamilyName: "Sample", Role: lab.RoleCourier, Active: true}}); err != nil {
			return err
		}
		if _, err := tx.UpsertTests(ctx, []lab.Test{{Code: "GLU", Version: 1, Name: "Glucose", SpecimenType: lab.SpecimenSerum, Unit: "mg/dL", ValueType: lab.ValueNumeric, TATMinutes: 60, Active: true}}); err != nil {
			return err
		}
		if _, err := tx.UpsertOrders(ctx, []lab.Order{{AccessionNumber: "A-1", Version: 1, CustomerID: "C-1", OrderingClinician: lab.Clinician{ID: "D", Name: "Dr"},
			Tests: []lab.OrderTest{{Code: "GLU"}}, Priority: lab.PriorityRoutine, OrderedAt: at, Status: lab.StatusOrdered}}); err != nil {
			return err
		}
		_, err := tx.ApplyResults(ctx, []lab.Result{{AccessionNumber: "A-1", TestCode: "GLU", Version: 1, Value: "5", Status: lab.ResultPreliminary, ObservedAt: at}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.Track(ctx, []store.TrackRecord{
		{MessageID: "m-1", Consumer: "lis-orders", Stream: "lis-orders", Topic: "imp.lis-orders", Status: "retrying", Attempt: 1, Error: "LIS down", Keys: map[string]string{"order": "A-1"}, At: at},
		{MessageID: "m-1", Consumer: "lis-orders", Stream: "lis-orders", Topic: "imp.lis-orders", Status: "processed", Attempt: 2, Keys: map[string]string{"order": "A-1"}, At: at.Add(time.Minute)},
	}); err != nil {
		t.Fatal(err)
	}
	tok := e.token(t, auth.ScopeRead)
	cases := []struct {
		path   string
		status int
		has    string
	}{
		{"/v1/customers/C-1", 200, `"tier":"b2b"`},
		{"/v1/customers/nobody", 404, `/problems/not-found`},
		{"/v1/employees/E-1", 200, `"role":"courier"`},
		{"/v1/employees/E-2", 404, `/problems/not-found`},
		{"/v1/tests", 200, `"code":"GLU"`},
		{"/v1/tests?x=1", 400, `"field":"x"`},
		{"/v1/tests/GLU", 200, `"name":"Glucose"`},
		{"/v1/tests/NOPE", 404, `not-found`},
		{"/v1/orders/A-1", 200, `"test_code":"GLU"`},
		{"/v1/orders/A-2", 404, `not-found`},
		{"/v1/messages?order=A-1", 200, `"status":"processed"`},
		{"/v1/messages?order=A-2", 200, `"messages":[]`},
		{"/v1/messages?from=2025-12-31T00:00:00Z&to=2026-01-02T00:00:00Z&limit=5", 200, `"message_id":"m-1"`},
		{"/v1/messages?from=yesterday", 400, `"field":"from"`},
		{"/v1/messages?limit=0", 400, `"field":"limit"`},
		{"/v1/messages?limit=many", 400, `"field":"limit"`},
		{"/v1/messages?before=2026-13-01T00:00:00Z", 400, `"field":"before"`},
		{"/v1/messages?order=A&order=B", 400, `"field":"order"`},
		{"/v1/messages?colour=red", 400, `"field":"colour"`},
		{"/v1/messages/m-1", 200, `"error":"LIS down"`},
		{"/v1/messages/m-unknown", 404, `not-found`},
		{"/v1/dead-letters", 200, `"dead_letters":[]`},
		{"/v1/dead-letters?state=weird", 400, `"field":"state"`},
		{"/v1/dead-letters?to=now", 400, `"field":"to"`},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			r := e.call("GET", c.path, tok, nil)
			if r.code != c.status || !strings.Contains(string(r.body), c.has) {
				t.Fatalf("%d %s, want %d with %s", r.code, r.body, c.status, c.has)
			}
			if c.status >= 400 && r.hdr.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("Content-Type %q", r.hdr.Get("Content-Type"))
			}
		})
	}
}

// TestDeadLetterRepushAndDiscard puts two records in a DLQ, re-pushes one
// by id and discards the other by filter; both are audit-logged with the
// API key as actor.
func TestDeadLetterRepushAndDiscard(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dlq := topics.DLQ("lis-orders")
	var dls []store.DeadLetter
	for i, id := range []string{"m-a", "m-b"} {
		rec := &kgo.Record{Topic: dlq, Partition: 0, Key: []byte("A-" + id), Value: []byte(`{}`),
			Headers: []kgo.RecordHeader{{Key: "imp-message-id", Value: []byte(id)}}}
		if err := e.prod.Produce(ctx, rec); err != nil {
			t.Fatal(err)
		}
		dls = append(dls, store.DeadLetter{MessageID: id, Consumer: "lis-orders", Stream: "lis-orders", Topic: dlq, Partition: rec.Partition,
			Offset: rec.Offset, ErrorClass: []string{"permanent", "validation"}[i], Error: "boom", Attempts: 3, DeadAt: time.Now().UTC(), State: "dead"})
	}
	if err := e.st.AddDeadLetters(ctx, dls); err != nil {
		t.Fatal(err)
	}
	tok, key, err := e.keys.Create(ctx, "night-operator", []string{auth.ScopeOperate, auth.ScopeRead})
	if err != nil {
		t.Fatal(err)
	}
	if r := e.call("GET", "/v1/dead-letters?stream=lis-orders", tok, nil); r.code != 200 || strings.Count(string(r.body), `"state":"dead"`) != 2 {
		t.Fatalf("list: %d %s", r.code, r.body)
	}
	for _, bad := range []any{
		map[string]any{},
		map[string]any{"filter": map[string]any{}},
		map[string]any{"filter": map[string]any{"limit": 5}},
		map[string]any{"message_ids": []string{"m-a"}, "filter": map[string]any{"stream": "x"}},
		map[string]any{"message_ids": []string{""}},
		map[string]any{"filter": map[string]any{"stream": "x", "state": "dead"}},
	} {
		if r := e.call("POST", "/v1/dead-letters/repush", tok, bad); r.code != 422 {
			t.Fatalf("%v: %d %s", bad, r.code, r.body)
		}
	}
	r := e.call("POST", "/v1/dead-letters/repush", tok, map[string]any{"message_ids": []string{"m-a", "m-a", "m-nothing"}})
	if r.code != 200 || r.json(t)["count"] != float64(1) {
		t.Fatalf("repush: %d %s", r.code, r.body)
	}
	main := e.records(t, topics.Main("lis-orders"))
	if len(main) != 1 || header(main[0], "imp-message-id") != "m-a" || !strings.Contains(header(main[0], "imp-repushed-by"), key.ID) {
		t.Fatalf("re-pushed records: %v", main)
	}
	r = e.call("POST", "/v1/dead-letters/discard", tok, map[string]any{"filter": map[string]any{"error_class": "validation"}})
	if r.code != 200 || r.json(t)["count"] != float64(1) {
		t.Fatalf("discard: %d %s", r.code, r.body)
	}
	// Nothing left: count 0, not an error.
	r = e.call("POST", "/v1/dead-letters/discard", tok, map[string]any{"filter": map[string]any{"stream": "lis-orders"}})
	if r.code != 200 || r.json(t)["count"] != float64(0) {
		t.Fatalf("discard again: %d %s", r.code, r.body)
	}
	audit, err := e.st.AuditLog(ctx, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]string{}
	for _, a := range audit {
		actions[a.Action+" "+a.Target] = a.Actor
	}
	want := "night-operator (key " + key.ID + ")"
	if actions["repush m-a"] != want || actions["discard m-b"] != want {
		t.Fatalf("audit: %v", actions)
	}
}

func TestKeysOverREST(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.call("POST", "/v1/keys", e.admin, map[string]any{"name": "partner-x", "scopes": []string{"results:write", "read"}})
	if r.code != http.StatusCreated {
		t.Fatalf("%d %s", r.code, r.body)
	}
	created := r.json(t)
	token, _ := created["token"].(string)
	id, _ := created["id"].(string)
	if !strings.HasPrefix(token, "imp_"+id+"_") {
		t.Fatalf("created: %s", r.body)
	}
	// The new key works, within its scopes.
	if r := e.call("GET", "/v1/tests", token, nil); r.code != 200 {
		t.Fatalf("new key read: %d", r.code)
	}
	if r := e.call("GET", "/v1/keys", token, nil); r.code != 403 {
		t.Fatalf("new key admin: %d", r.code)
	}
	// The list never holds secrets or hashes.
	r = e.call("GET", "/v1/keys", e.admin, nil)
	if r.code != 200 || !strings.Contains(string(r.body), `"name":"partner-x"`) {
		t.Fatalf("list: %d %s", r.code, r.body)
	}
	for _, leak := range []string{token, token[len("imp_"+id+"_"):], "hash", "Hash"} {
		if strings.Contains(string(r.body), leak) {
			t.Fatalf("list leaks %q: %s", leak, r.body)
		}
	}
	for _, bad := range []any{
		map[string]any{"name": "", "scopes": []string{"read"}},
		map[string]any{"name": "x", "scopes": []string{}},
		map[string]any{"name": "x", "scopes": []string{"root"}},
		map[string]any{"name": "x", "scopes": []string{"read"}, "hash": "x"},
	} {
		if r := e.call("POST", "/v1/keys", e.admin, bad); r.code != 422 {
			t.Fatalf("%v: %d %s", bad, r.code, r.body)
		}
	}
	// An Idempotency-Key replay creates nothing and never shows the token.
	k1 := e.call("POST", "/v1/keys", e.admin, map[string]any{"name": "replayed", "scopes": []string{"read"}}, "Idempotency-Key", "key-1")
	k2 := e.call("POST", "/v1/keys", e.admin, map[string]any{"name": "replayed", "scopes": []string{"read"}}, "Idempotency-Key", "key-1")
	if k1.code != 201 || k2.code != 201 || k2.hdr.Get("Idempotent-Replayed") != "true" || k1.json(t)["id"] != k2.json(t)["id"] {
		t.Fatalf("replay: %s / %s", k1.body, k2.body)
	}
	if k1.json(t)["token"] == nil || k2.json(t)["token"] != nil {
		t.Fatalf("token shown on replay or not at first: %s / %s", k1.body, k2.body)
	}
	ks, _ := e.st.ListAPIKeys(ctx)
	replayed := 0
	for _, k := range ks {
		if k.Name == "replayed" {
			replayed++
		}
	}
	if replayed != 1 {
		t.Fatalf("%d keys named replayed", replayed)
	}
	// Revoke: 204, then the key is refused; unknown ids are 404.
	if r := e.call("DELETE", "/v1/keys/"+id, e.admin, nil); r.code != 204 {
		t.Fatalf("revoke: %d %s", r.code, r.body)
	}
	if r := e.call("GET", "/v1/tests", token, nil); r.code != 401 {
		t.Fatalf("revoked key: %d", r.code)
	}
	if r := e.call("DELETE", "/v1/keys/nosuchkey123", e.admin, nil); r.code != 404 {
		t.Fatalf("unknown key: %d", r.code)
	}
	audit, _ := e.st.AuditLog(ctx, 20, 0)
	seen := map[string]bool{}
	for _, a := range audit {
		seen[a.Action+" "+a.Target] = true
	}
	if !seen["key.create "+id] || !seen["key.revoke "+id] {
		t.Fatalf("audit: %v", seen)
	}
}
