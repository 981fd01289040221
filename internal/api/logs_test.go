package api_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestLogsCarryCorrelationNotPHI sends requests full of distinctive
// patient data, good and bad, and reads every log line they produced:
// each names the request's correlation id, none holds a payload value.
func TestLogsCarryCorrelationNotPHI(t *testing.T) {
	e := newEnv(t)
	const family, given, birth, email = "Quizzlewhistle", "Marvolette", "1961-07-13", "marvolette@example.org"
	secrets := []string{family, given, birth, email, "C-PHI-77", "A-PHI-42", "98.765"}
	customer := map[string]any{"id": "C-PHI-77", "family_name": family, "given_name": given, "birth_date": birth, "email": email}
	result := map[string]any{"accession_number": "A-PHI-42", "test_code": "GLU", "value": "98.765", "status": "preliminary",
		"observed_at": "2026-01-01T09:00:00Z", "customer_id": "C-PHI-77"}
	requests := []struct {
		method, path string
		body         any
		cid          string
	}{
		{"POST", "/v1/customers", customer, "cid-ok-1"},
		{"POST", "/v1/results", result, "cid-ok-2"},
		{"POST", "/v1/customers", with(customer, "birth_date", family), "cid-bad-1"},
		{"POST", "/v1/customers", with(customer, "updated_at", family), "cid-bad-2"},
		{"POST", "/v1/customers", `{"family_name":"` + family + `",`, "cid-bad-3"},
		{"POST", "/v1/customers/batch", []any{customer, with(customer, "id", "")}, "cid-batch"},
		{"GET", "/v1/customers/C-PHI-77", nil, "cid-read"},
		{"GET", "/v1/messages?customer=C-PHI-77&from=" + family, nil, "cid-query"},
	}
	for _, rq := range requests {
		r := e.call(rq.method, rq.path, e.admin, rq.body, "X-Correlation-ID", rq.cid)
		if r.hdr.Get("X-Correlation-ID") != rq.cid {
			t.Fatalf("%s %s: correlation id echoed as %q", rq.method, rq.path, r.hdr.Get("X-Correlation-ID"))
		}
		if r.code >= 500 {
			t.Fatalf("%s %s: %d", rq.method, rq.path, r.code)
		}
	}
	// A bad correlation id is replaced, not logged.
	if r := e.call("GET", "/healthz", "", nil, "X-Correlation-ID", "bad id\n"+family); strings.Contains(r.hdr.Get("X-Correlation-ID"), family) {
		t.Fatal("bad correlation id echoed")
	}
	logs := e.logs.String()
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the logs contain %q:\n%s", s, logs)
		}
	}
	seen := map[string]bool{}
	for line := range strings.SplitSeq(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		cid, _ := m["correlation_id"].(string)
		if cid == "" {
			t.Errorf("log line without correlation id: %s", line)
		}
		seen[cid] = true
	}
	for _, rq := range requests {
		if !seen[rq.cid] {
			t.Errorf("no log line for %s", rq.cid)
		}
	}
	// The correlation id travels on the records too.
	for _, rec := range e.records(t, prefix+"customer") {
		if c := header(rec, "imp-correlation-id"); c != "cid-ok-1" && c != "cid-batch" {
			t.Errorf("customer record correlation id %q", c)
		}
	}
	for _, rec := range e.records(t, prefix+"lis-test-result") {
		if c := header(rec, "imp-correlation-id"); c != "cid-ok-2" {
			t.Errorf("result record correlation id %q", c)
		}
	}
}
