package api_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/auth"
	"github.com/imp-health/imp/internal/store"
)

const oru = "MSH|^~\\&|LIS|LAB|IMP|LAB|20261127073000||ORU^R01^ORU_R01|CTRL-42|P|2.5.1\r" +
	"PID|1||CUST-9^^^IMP^MR||Lovelace^Ada||19701210|F\r" +
	"OBR|1|ACC-42^IMP|LIS-88^LIS|GLU^Glucose^L|||20261127070000|||||||||||||||20261127073000|||F\r" +
	"OBX|1|NM|GLU^Glucose^L||5.4|mmol/L|3.9-5.6|N|||F|||20261127071500||E-7^Franklin^Rosalind\r"

func hl7call(e *env, token, body, contentType string) reply {
	return e.call("POST", "/v1/hl7", token, body, "Content-Type", contentType)
}

func TestPostHL7(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.token(t, auth.ScopeResultsWrite)
	r := hl7call(e, tok, oru, "application/hl7-v2")
	if r.code != 202 {
		t.Fatalf("ORU: %d %s", r.code, r.body)
	}
	body := r.json(t)
	if body["kind"] != "results" || !strings.Contains(body["ack"].(string), "MSA|AA|CTRL-42") {
		t.Fatalf("answer = %v", body)
	}
	if recs := e.records(t, "imp.lis-test-result"); len(recs) != 1 {
		t.Fatalf("%d records on the general result stream", len(recs))
	}
	// The same message again (a lost ACK) carries the same message id.
	r2 := hl7call(e, tok, oru, "text/plain")
	id1 := body["accepted"].([]any)[0].(map[string]any)["message_id"]
	id2 := r2.json(t)["accepted"].([]any)[0].(map[string]any)["message_id"]
	if id1 != id2 {
		t.Fatalf("a resent message got a new id: %v vs %v", id1, id2)
	}

	broken := strings.Replace(oru, "OBX|1|NM|GLU^Glucose^L|", "OBX|1|NM||", 1)
	r = hl7call(e, tok, broken, "application/hl7-v2")
	p := r.json(t)
	if r.code != 422 || !strings.Contains(p["ack"].(string), "MSA|AE|CTRL-42") || !strings.Contains(string(r.body), "OBX") {
		t.Fatalf("missing test code: %d %s", r.code, r.body)
	}
	siu := "MSH|^~\\&|X|Y|IMP|LAB|20261127073000||SIU^S12|C9|P|2.5.1\r"
	if r := hl7call(e, tok, siu, "application/hl7-v2"); r.code != 400 || !strings.Contains(string(r.body), "MSA|AR|C9") {
		t.Fatalf("unsupported type: %d %s", r.code, r.body)
	}
	if r := hl7call(e, tok, "not hl7 at all", "application/hl7-v2"); r.code != 400 {
		t.Fatalf("garbage: %d %s", r.code, r.body)
	}
	if r := hl7call(e, tok, oru, "application/json"); r.code != 415 {
		t.Fatalf("wrong media type: %d", r.code)
	}
	if r := hl7call(e, e.token(t, auth.ScopeOrdersWrite), oru, "application/hl7-v2"); r.code != 403 {
		t.Fatalf("without results:write: %d", r.code)
	}
}

func TestPostJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.token(t, auth.ScopeJobsWrite)
	r := e.call("POST", "/v1/jobs", tok, map[string]any{"kind": "pdf-report", "args": map[string]any{"accession_number": "A-1"}})
	if r.code != 202 || r.json(t)["stream"] != "worker" {
		t.Fatalf("pdf job: %d %s", r.code, r.body)
	}
	r = e.call("POST", "/v1/jobs", tok, map[string]any{"kind": "create-order", "args": map[string]any{"format": "xml", "partner_id": "P", "payload": map[string]any{}}})
	if r.code != 422 || !strings.Contains(string(r.body), "args.format") {
		t.Fatalf("bad job: %d %s", r.code, r.body)
	}
	recs := e.records(t, "imp.worker")
	if len(recs) != 1 || string(recs[0].Key) != "A-1" {
		t.Fatalf("worker records = %d", len(recs))
	}
}

func TestDestinationsAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := map[string]any{"id": "acme", "owner": "partner:ACME", "events": []string{"result"}, "format": "json",
		"connector": map[string]any{"connector": "webhook", "url": "https://acme.example/hook", "secret": "s3cret-value"}}
	if r := e.call("POST", "/v1/destinations", e.admin, body); r.code != 201 {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	r := e.call("GET", "/v1/destinations", e.admin, nil)
	if r.code != 200 || strings.Contains(string(r.body), "s3cret-value") || !strings.Contains(string(r.body), "acme") {
		t.Fatalf("list: %d %s", r.code, r.body)
	}
	bad := map[string]any{"id": "x", "owner": "someone", "events": []string{"gossip"}, "format": "xml", "connector": map[string]any{"connector": "webhook"}}
	r = e.call("POST", "/v1/destinations", e.admin, bad)
	for _, f := range []string{"owner", "events[0]", "format", "connector.url", "connector.secret"} {
		if !strings.Contains(string(r.body), `"`+f+`"`) {
			t.Errorf("invalid destination: %s not named in %s", f, r.body)
		}
	}
	if r := e.call("POST", "/v1/destinations", e.token(t, auth.ScopeOperate), body); r.code != 403 {
		t.Fatalf("operator created a destination: %d", r.code)
	}
	if r := e.call("DELETE", "/v1/destinations/acme", e.admin, nil); r.code != 204 {
		t.Fatalf("delete: %d %s", r.code, r.body)
	}
	if r := e.call("DELETE", "/v1/destinations/acme", e.admin, nil); r.code != 404 {
		t.Fatalf("second delete: %d", r.code)
	}
	log, _ := e.st.AuditLog(context.Background(), 10, 0)
	actions := map[string]bool{}
	for _, a := range log {
		actions[a.Action] = true
	}
	if !actions["destination.put"] || !actions["destination.delete"] {
		t.Fatalf("audit = %+v", log)
	}
}

func TestGetReport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := t.TempDir()
	for v, content := range map[int]string{1: "%PDF-1.4 first", 2: "%PDF-1.4 second"} {
		path := filepath.Join(dir, "r"+string(rune('0'+v))+".pdf")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		err := e.st.InTx(context.Background(), func(tx store.Tx) error {
			_, _, err := tx.AddReport(context.Background(), store.Report{ID: "RPT-" + content[9:], Accession: "A-9", Digest: content, Path: path, Size: int64(len(content)), CreatedAt: time.Now()})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	tok := e.token(t, auth.ScopeRead)
	r := e.call("GET", "/v1/orders/A-9/report", tok, nil)
	if r.code != 200 || r.hdr.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(r.body), "%PDF") {
		t.Fatalf("newest report: %d %v", r.code, r.hdr)
	}
	if r := e.call("GET", "/v1/orders/A-9/report?version=1", tok, nil); r.hdr.Get("X-IMP-Report-Version") != "1" {
		t.Fatalf("version 1: %d %v", r.code, r.hdr)
	}
	if r := e.call("GET", "/v1/orders/A-9/report?version=x", tok, nil); r.code != 400 {
		t.Fatalf("bad version: %d", r.code)
	}
	if r := e.call("GET", "/v1/orders/NOPE/report", tok, nil); r.code != 404 {
		t.Fatalf("no report: %d", r.code)
	}
	if r := e.call("GET", "/v1/orders/A-9/report", "", nil); r.code != 401 {
		t.Fatalf("anonymous: %d", r.code)
	}
}
