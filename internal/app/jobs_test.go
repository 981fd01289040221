package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/delivery/smtptest"
	"github.com/imp-health/imp/internal/ingest"
	"github.com/imp-health/imp/internal/jobs"
	"github.com/imp-health/imp/internal/store"
)

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func finalResult(code, value string) map[string]any {
	return map[string]any{
		"accession_number": "ACC-7", "test_code": code, "version": 1, "value": value, "unit": "mmol/L",
		"status": "final", "observed_at": "2026-11-27T07:00:00Z", "verified_by": "E-7", "verified_at": "2026-11-27T07:30:00Z",
		"customer_id": "PAT-7", "updated_at": "2026-11-27T07:30:00Z",
	}
}

// TestAllResultsFinalGiveOneReportOneEmail: when every test of an order has
// a final result, IMP renders one PDF report and emails the customer once,
// even though the last final result is posted twice.
func TestAllResultsFinalGiveOneReportOneEmail(t *testing.T) {
	smtp := smtptest.NewServer(t, smtptest.Options{})
	cfg := testConfig(t, t.TempDir())
	cfg.SMTPHost, cfg.SMTPPort, cfg.SMTPFrom = smtp.Host(), smtp.Port(), "Lab <lab@example.org>"
	s := serve(t, cfg)
	defer s.stop(t)
	post := func(path string, body map[string]any) {
		t.Helper()
		if code, b := do(t, "POST", s.base+path, body); code != 202 {
			t.Fatalf("POST %s: %d %s", path, code, b)
		}
	}
	post("/v1/customers", map[string]any{"id": "PAT-7", "version": 1, "given_name": "Ana", "family_name": "Silva",
		"email": "ana@example.org", "delivery": map[string]any{"email": true, "attach_pdf": true}})
	for _, code := range []string{"GLU", "NA"} {
		post("/v1/tests", map[string]any{"code": code, "version": 1, "name": code + " test", "specimen_type": "serum",
			"unit": "mmol/L", "value_type": "numeric", "tat_minutes": 60, "active": true})
	}
	post("/v1/employees", map[string]any{"id": "E-7", "version": 1, "given_name": "Rosalind", "family_name": "Franklin", "role": "pathologist", "active": true})
	waitCustomer(t, s.base, "PAT-7", 1)
	waitFor(t, 10*time.Second, "catalog", func() bool { ts, _ := s.app.Store.Tests(context.Background()); return len(ts) == 2 })
	post("/v1/orders", map[string]any{"accession_number": "ACC-7", "version": 1, "customer_id": "PAT-7",
		"ordering_clinician": map[string]any{"id": "D1", "name": "Dr Who"}, "tests": []any{map[string]any{"code": "GLU"}, map[string]any{"code": "NA"}},
		"ordered_at": "2026-11-27T06:00:00Z"})
	waitFor(t, 15*time.Second, "order stored", func() bool {
		v, err := s.app.Store.Order(context.Background(), "ACC-7")
		return err == nil && len(v.Order.Tests) == 2
	})
	post("/v1/results", finalResult("GLU", "5.4"))
	post("/v1/results", finalResult("NA", "139"))
	post("/v1/results", finalResult("NA", "139")) // the LIS sends the last one twice
	waitFor(t, 20*time.Second, "email", func() bool { return len(smtp.Messages()) >= 1 })
	time.Sleep(1500 * time.Millisecond) // room for a second report or email, which must not come
	msgs := smtp.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d emails, want 1", len(msgs))
	}
	p, err := msgs[0].Parse()
	if err != nil {
		t.Fatal(err)
	}
	if msgs[0].To[0] != "ana@example.org" || len(p.Attachments) != 1 || !bytes.HasPrefix(p.Attachments[0].Data, []byte("%PDF")) {
		t.Fatalf("email to %v, subject %q, %d attachments", msgs[0].To, p.Subject, len(p.Attachments))
	}
	reps, err := s.app.Store.Reports(context.Background(), "ACC-7")
	if err != nil || len(reps) != 1 || reps[0].Version != 1 {
		t.Fatalf("reports = %+v, %v", reps, err)
	}
	if b, err := os.ReadFile(reps[0].Path); err != nil || !bytes.HasPrefix(b, []byte("%PDF")) {
		t.Fatalf("report file: %v", err)
	}
}

// TestScheduledJobWaitsWhileOthersFlow: a job due in 2 s does not run
// before then and runs after it, while jobs enqueued after it run at once.
func TestScheduledJobWaitsWhileOthersFlow(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Partitions = 1 // one partition: the scheduled job sits in front of the others
	s := serve(t, cfg)
	defer s.stop(t)
	ctx := context.Background()
	job := func(runAt time.Time) ingest.Envelope {
		args, _ := json.Marshal(jobs.DefaultArgs{Task: "prune-tracking"})
		body, _ := json.Marshal(jobs.Job{Kind: jobs.KindDefault, Args: args, RunAt: runAt})
		return ingest.Envelope{Stream: "worker", Key: "k", Kind: "job", Value: body}
	}
	due := time.Now().Add(2 * time.Second)
	later, err := s.app.Publisher.Publish(ctx, job(due))
	if err != nil {
		t.Fatal(err)
	}
	var now []string
	for range 3 {
		a, err := s.app.Publisher.Publish(ctx, job(time.Time{}))
		if err != nil {
			t.Fatal(err)
		}
		now = append(now, a.MessageID)
	}
	var mu sync.Mutex
	status := func(id string) store.TrackRecord {
		mu.Lock()
		defer mu.Unlock()
		rs, _ := s.app.Store.Messages(ctx, store.MessageQuery{MessageID: id, Consumer: "worker"})
		if len(rs) == 0 {
			return store.TrackRecord{}
		}
		return rs[0]
	}
	waitFor(t, 10*time.Second, "immediate jobs", func() bool {
		for _, id := range now {
			if status(id).Status != "processed" {
				return false
			}
		}
		return true
	})
	if st := status(later.MessageID); st.Status == "processed" {
		t.Fatal("the scheduled job ran before its time")
	} else if st.Status != "scheduled" {
		t.Fatalf("scheduled job tracked as %q", st.Status)
	}
	waitFor(t, 10*time.Second, "scheduled job", func() bool { return status(later.MessageID).Status == "processed" })
	if at := status(later.MessageID).At; at.Before(due) {
		t.Fatalf("scheduled job processed at %v, before %v", at, due)
	}
}
