package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/imp-health/imp/internal/auth"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
)

func TestBatchPartialFailure(t *testing.T) {
	for _, mode := range []string{"json", "ndjson"} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t)
			tok := e.token(t, auth.ScopeOrdersWrite)
			ok := validRecords()["orders"]
			recs := []map[string]any{
				with(ok, "accession_number", "A-1"),
				with(ok, "accession_number", "A-2", "tests", []any{}), // index 1: no tests
				with(ok, "accession_number", "A-3"),
				with(ok, "accession_number", "A-4", "colour", "red"), // index 3: unknown field
				with(ok, "accession_number", "A-5"),
			}
			var r reply
			if mode == "json" {
				r = e.call("POST", "/v1/orders/batch", tok, recs)
			} else {
				var b strings.Builder
				for i, rec := range recs {
					j, _ := json.Marshal(rec)
					b.Write(j)
					b.WriteString("\n")
					if i == 2 {
						b.WriteString("\r\n\n") // blank lines are not records
					}
				}
				b.WriteString(`{"accession_number": "A-6", broken` + "\n")
				r = e.call("POST", "/v1/orders/batch", tok, b.String(), "Content-Type", "application/x-ndjson")
			}
			if r.code != http.StatusMultiStatus {
				t.Fatalf("status %d, want 207: %s", r.code, r.body)
			}
			var res struct {
				Accepted, Failed int
				Results          []struct {
					Index     int
					MessageID string `json:"message_id"`
					Stream    string
					Partition *int32
					Offset    *int64
					Error     *struct {
						Type, Title string
						Status      int
						Errors      []lab.FieldError
					}
				}
			}
			if err := json.Unmarshal(r.body, &res); err != nil {
				t.Fatal(err)
			}
			wantFailed := map[int]string{1: "tests", 3: "colour"}
			if mode == "ndjson" {
				wantFailed[5] = ""
			}
			if res.Accepted != 3 || res.Failed != len(wantFailed) || len(res.Results) != 3+len(wantFailed) {
				t.Fatalf("counts: %s", r.body)
			}
			ids := map[string]bool{}
			for i, it := range res.Results {
				if it.Index != i {
					t.Fatalf("result %d has index %d", i, it.Index)
				}
				field, bad := wantFailed[i]
				switch {
				case bad && it.Error == nil:
					t.Fatalf("index %d accepted: %s", i, r.body)
				case bad && field != "":
					if it.Error.Status != 422 || len(it.Error.Errors) == 0 || it.Error.Errors[0].Field != field {
						t.Fatalf("index %d error %+v, want field %s", i, it.Error, field)
					}
				case bad:
					if it.Error.Status != 400 {
						t.Fatalf("index %d error %+v, want 400 malformed", i, it.Error)
					}
				case it.Error != nil || it.MessageID == "" || it.Stream != "lis-orders" || it.Partition == nil || it.Offset == nil:
					t.Fatalf("index %d: %+v", i, it)
				default:
					ids[it.MessageID] = true
				}
			}
			// The good ones are on the topic, the bad ones are not.
			got := map[string]bool{}
			for _, rec := range e.records(t, prefix+"lis-orders") {
				if !ids[header(rec, "imp-message-id")] {
					t.Fatalf("unexpected record %s", rec.Key)
				}
				got[string(rec.Key)] = true
				if header(rec, "imp-keys") != "order="+string(rec.Key)+";customer=C-1" {
					t.Fatalf("imp-keys = %q", header(rec, "imp-keys"))
				}
			}
			if len(got) != 3 || !got["A-1"] || !got["A-3"] || !got["A-5"] {
				t.Fatalf("records on topic: %v", got)
			}
		})
	}
}

func TestBatchAllAccepted(t *testing.T) {
	e := newEnv(t)
	var recs []any
	for i := range 600 {
		recs = append(recs, with(validRecords()["statuses"], "accession_number", "A-"+itoa(i)))
	}
	r := e.call("POST", "/v1/statuses/batch", e.admin, recs)
	if r.code != http.StatusAccepted {
		t.Fatalf("%d %.300s", r.code, r.body)
	}
	if m := r.json(t); m["accepted"] != float64(600) || m["failed"] != float64(0) {
		t.Fatalf("%.300s", r.body)
	}
	if n := len(e.records(t, prefix+"lis-test-status")); n != 600 {
		t.Fatalf("%d records", n)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestResultTierRouting: a result is routed at ingress to the stream of
// its customer's tier, with the decision in its headers.
func TestResultTierRouting(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	err := e.st.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.UpsertCustomers(ctx, []lab.Customer{
			{ID: "VIP-1", Version: 1, Tier: lab.TierSVIP1, FamilyName: "Vip"},
			{ID: "CORP-1", Version: 1, Tier: lab.TierCorp, FamilyName: "Corp"},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tok := e.token(t, auth.ScopeResultsWrite)
	base := validRecords()["results"]
	cases := []struct {
		name         string
		body         map[string]any
		stream       string
		tier, reason string
	}{
		{"svip1 customer", with(base, "customer_id", "VIP-1"), "lis-test-result-svip1", "svip1", "customer-master"},
		{"corp customer", with(base, "customer_id", "CORP-1"), "lis-test-result-corp", "corp", "customer-master"},
		{"explicit tier wins", with(base, "customer_id", "VIP-1", "tier", "svip2"), "lis-test-result-svip2", "svip2", "explicit"},
		{"unknown customer", with(base, "customer_id", "NOBODY"), "lis-test-result", "general", "unknown-customer"},
		{"no customer", base, "lis-test-result", "general", "no-customer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(e.records(t, prefix+c.stream))
			r := e.call("POST", "/v1/results", tok, c.body)
			if r.code != 202 || r.json(t)["stream"] != c.stream {
				t.Fatalf("%d %s, want stream %s", r.code, r.body, c.stream)
			}
			// The batch form routes the same way.
			b := e.call("POST", "/v1/results/batch", tok, []any{c.body})
			if b.code != 202 || !strings.Contains(string(b.body), `"stream":"`+c.stream+`"`) {
				t.Fatalf("batch: %d %s", b.code, b.body)
			}
			recs := e.records(t, prefix+c.stream)
			if len(recs) != before+2 {
				t.Fatalf("%d records on %s, want %d", len(recs), c.stream, before+2)
			}
			for _, rec := range recs[before:] {
				if header(rec, "imp-route-tier") != c.tier || header(rec, "imp-route-reason") != c.reason {
					t.Fatalf("route headers %q %q", header(rec, "imp-route-tier"), header(rec, "imp-route-reason"))
				}
				if header(rec, "imp-kind") != "result" || string(rec.Key) != "A-1" || header(rec, "imp-correlation-id") == "" {
					t.Fatalf("record %s headers %v", rec.Key, rec.Headers)
				}
			}
		})
	}
}

// TestResultTierRoutingConcurrent: many results for one customer at once
// share the tier lookup and all land on the customer's stream.
func TestResultTierRoutingConcurrent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.st.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.UpsertCustomers(ctx, []lab.Customer{{ID: "VIP-2", Version: 1, Tier: lab.TierSVIP2, FamilyName: "Vip"}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	tok := e.token(t, auth.ScopeResultsWrite)
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			body := with(validRecords()["results"], "customer_id", "VIP-2", "accession_number", "A-"+itoa(i))
			if r := e.call("POST", "/v1/results", tok, body); r.code != 202 || r.json(t)["stream"] != "lis-test-result-svip2" {
				t.Errorf("%d %s", r.code, r.body)
			}
		})
	}
	wg.Wait()
	if n := len(e.records(t, prefix+"lis-test-result-svip2")); n != 32 {
		t.Fatalf("%d records on svip2", n)
	}
}
