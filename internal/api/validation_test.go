package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// Valid records per collection, as JSON objects the cases below break.
func validRecords() map[string]map[string]any {
	return map[string]map[string]any{
		"customers": {"id": "C-1", "family_name": "Example", "tier": "svip1"},
		"employees": {"id": "E-1", "family_name": "Sample", "role": "technologist", "active": true},
		"tests": {"code": "GLU", "name": "Glucose", "specimen_type": "serum", "value_type": "numeric", "unit": "mg/dL",
			"tat_minutes": 60, "active": true},
		"orders": {"accession_number": "A-1", "customer_id": "C-1", "ordering_clinician": map[string]any{"id": "DR-1", "name": "Dr. A"},
			"tests": []any{map[string]any{"code": "GLU"}}, "ordered_at": "2026-01-01T08:00:00Z"},
		"results": {"accession_number": "A-1", "test_code": "GLU", "value": "5.4", "status": "preliminary",
			"observed_at": "2026-01-01T09:00:00Z"},
		"statuses": {"accession_number": "A-1", "status": "received", "at": "2026-01-01T08:30:00Z"},
	}
}

func with(base map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == del {
			delete(out, k)
			continue
		}
		out[k] = kv[i+1]
	}
	return out
}

type deleted struct{}

var del = deleted{}

// TestValidationNamesTheField posts a broken record per rule and expects
// 422 with the field path in the problem document.
func TestValidationNamesTheField(t *testing.T) {
	e := newEnv(t)
	ok := validRecords()
	cases := []struct {
		coll   string
		body   map[string]any
		field  string
		reason string // substring
	}{
		{"customers", with(ok["customers"], "id", del), "id", "is required"},
		{"customers", with(ok["customers"], "id", "has space"), "id", "letters, digits"},
		{"customers", with(ok["customers"], "family_name", ""), "family_name", "is required"},
		{"customers", with(ok["customers"], "tier", "gold"), "tier", "must be one of"},
		{"customers", with(ok["customers"], "birth_date", "1.2.1980"), "birth_date", "YYYY-MM-DD"},
		{"customers", with(ok["customers"], "email", "nope"), "email", "email address"},
		{"customers", with(ok["customers"], "delivery", map[string]any{"sms": true}), "delivery.sms", "needs phone"},
		{"customers", with(ok["customers"], "delivery", map[string]any{"webhook_url": "ftp://x"}), "delivery.webhook_url", "http"},
		{"customers", with(ok["customers"], "version", -1), "version", "negative"},
		{"customers", with(ok["customers"], "nickname", "x"), "nickname", "not a known field"},
		{"customers", with(ok["customers"], "delivery", map[string]any{"fax": true}), "delivery.fax", "not a known field"},
		{"customers", with(ok["customers"], "version", "7"), "version", "must be an integer"},
		{"customers", with(ok["customers"], "updated_at", "yesterday"), "updated_at", "RFC 3339"},
		{"employees", with(ok["employees"], "role", "wizard"), "role", "must be one of"},
		{"employees", with(ok["employees"], "role", del), "role", "is required"},
		{"employees", with(ok["employees"], "license_number", "!!"), "license_number", "letters"},
		{"employees", with(ok["employees"], "active", "yes"), "active", "must be a boolean"},
		{"tests", with(ok["tests"], "loinc", "1558-7"), "loinc", "check digit"},
		{"tests", with(ok["tests"], "unit", del), "unit", "required for numeric"},
		{"tests", with(ok["tests"], "tat_minutes", 0), "tat_minutes", "greater than zero"},
		{"tests", with(ok["tests"], "specimen_type", "blood"), "specimen_type", "must be one of"},
		{"tests", with(ok["tests"], "reference_ranges", []any{map[string]any{"low": 5, "high": 1}}), "reference_ranges[0].low", "greater than high"},
		{"tests", with(ok["tests"], "reference_ranges", []any{map[string]any{"low": 1}, map[string]any{"low": "x"}}), "reference_ranges[1].low", "must be a number"},
		{"orders", with(ok["orders"], "tests", []any{}), "tests", "at least one"},
		{"orders", with(ok["orders"], "tests", []any{map[string]any{"code": "GLU"}, map[string]any{"code": "GLU"}}), "tests[1].code", "duplicates"},
		{"orders", with(ok["orders"], "tests", []any{map[string]any{"code": "GLU", "qty": 2}}), "tests[0].qty", "not a known field"},
		{"orders", with(ok["orders"], "ordering_clinician", map[string]any{"id": "DR-1"}), "ordering_clinician.name", "is required"},
		{"orders", with(ok["orders"], "ordered_at", del), "ordered_at", "is required"},
		{"orders", with(ok["orders"], "priority", "whenever"), "priority", "must be one of"},
		{"orders", with(ok["orders"], "specimens", []any{map[string]any{"id": "S1", "type": "blood"}}), "specimens[0].type", "must be one of"},
		{"results", with(ok["results"], "value", ""), "value", "required unless"},
		{"results", with(ok["results"], "status", "done"), "status", "must be one of"},
		{"results", with(ok["results"], "status", "final"), "verified_by", "is required"},
		{"results", with(ok["results"], "abnormal_flag", "X"), "abnormal_flag", "must be one of"},
		{"results", with(ok["results"], "tier", "platinum"), "tier", "must be one of"},
		{"results", with(ok["results"], "value_type", "numeric", "value", "high"), "value", "decimal number"},
		{"results", with(ok["results"], "unit", "mg per dL"), "unit", "UCUM"},
		{"results", with(ok["results"], "comments", []any{"ok", 3}), "comments[1]", "must be a string"},
		{"results", with(ok["results"], "observed_at", "2026-01-01"), "observed_at", "RFC 3339"},
		{"statuses", with(ok["statuses"], "status", "lost"), "status", "must be one of"},
		{"statuses", with(ok["statuses"], "at", del), "at", "is required"},
		{"statuses", with(ok["statuses"], "source", "the lis"), "source", "letters"},
	}
	for _, c := range cases {
		t.Run(c.coll+"/"+c.field+"/"+c.reason, func(t *testing.T) {
			r := e.call("POST", "/v1/"+c.coll, e.admin, c.body)
			if r.code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422: %s", r.code, r.body)
			}
			if ct := r.hdr.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q", ct)
			}
			p := r.json(t)
			if p["type"] != "/problems/validation" || p["status"] != float64(422) || p["correlation_id"] == "" {
				t.Fatalf("problem = %s", r.body)
			}
			errs, _ := p["errors"].([]any)
			for _, fe := range errs {
				m := fe.(map[string]any)
				if m["field"] == c.field && strings.Contains(m["reason"].(string), c.reason) {
					return
				}
			}
			t.Fatalf("no error {field: %q, reason: ~%q} in %s", c.field, c.reason, r.body)
		})
	}
	// The valid records are accepted, so the failures above are the rule's.
	for coll, body := range ok {
		if r := e.call("POST", "/v1/"+coll, e.admin, body); r.code != http.StatusAccepted {
			t.Errorf("valid %s: %d %s", coll, r.code, r.body)
		}
	}
}

// TestBadBodies covers the transport-level mistakes: every one is a 4xx
// problem, never a 5xx.
func TestBadBodies(t *testing.T) {
	e := newEnv(t)
	ok := `{"accession_number":"A-1","test_code":"GLU","value":"5","status":"preliminary","observed_at":"2026-01-01T09:00:00Z"}`
	big := `{"accession_number":"A-1","test_code":"GLU","value":"` + strings.Repeat("9", 1<<20) + `","status":"preliminary","observed_at":"2026-01-01T09:00:00Z"}`
	cases := []struct {
		name   string
		path   string
		ct     string
		body   string
		status int
		typ    string
	}{
		{"empty", "/v1/results", "application/json", "", 400, "/problems/malformed-body"},
		{"whitespace only", "/v1/results", "application/json", "  \n", 400, "/problems/malformed-body"},
		{"syntax", "/v1/results", "application/json", `{"accession_number":`, 400, "/problems/malformed-body"},
		{"not json", "/v1/results", "application/json", `accession=1`, 400, "/problems/malformed-body"},
		{"trailing data", "/v1/results", "application/json", ok + ` {}`, 400, "/problems/malformed-body"},
		{"trailing brace", "/v1/results", "application/json", ok + `}`, 400, "/problems/malformed-body"},
		{"array for one", "/v1/results", "application/json", `[` + ok + `]`, 422, "/problems/validation"},
		{"wrong content type", "/v1/results", "text/plain", ok, 415, "/problems/unsupported-media-type"},
		{"no content type", "/v1/results", "", ok, 415, "/problems/unsupported-media-type"},
		{"ndjson for one", "/v1/results", "application/x-ndjson", ok, 415, "/problems/unsupported-media-type"},
		{"too large", "/v1/results", "application/json", big, 413, "/problems/body-too-large"},
		{"charset ok", "/v1/results", "application/json; charset=utf-8", ok, 202, ""},
		{"batch not array", "/v1/results/batch", "application/json", ok, 400, "/problems/bad-batch"},
		{"batch empty", "/v1/results/batch", "application/json", `[]`, 400, "/problems/bad-batch"},
		{"batch missing comma", "/v1/results/batch", "application/json", `[` + ok + ok + `]`, 400, "/problems/bad-batch"},
		{"batch trailing", "/v1/results/batch", "application/json", `[` + ok + `] x`, 400, "/problems/bad-batch"},
		{"batch unterminated", "/v1/results/batch", "application/json", `[` + ok, 400, "/problems/bad-batch"},
		{"batch wrong type", "/v1/results/batch", "text/csv", ok, 415, "/problems/unsupported-media-type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hdr := []string{"Content-Type", c.ct}
			r := e.call("POST", c.path, e.admin, []byte(c.body), hdr...)
			if r.code != c.status {
				t.Fatalf("status %d, want %d: %.300s", r.code, c.status, r.body)
			}
			if c.typ == "" {
				return
			}
			if p := r.json(t); p["type"] != c.typ {
				t.Fatalf("type %v, want %s", p["type"], c.typ)
			}
		})
	}
	t.Run("batch too many records", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("[")
		for i := range 10_001 {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("{}")
		}
		b.WriteString("]")
		if r := e.call("POST", "/v1/results/batch", e.admin, b.String()); r.code != 413 {
			t.Fatalf("status %d: %.300s", r.code, r.body)
		}
	})
	t.Run("batch too large", func(t *testing.T) {
		body := `[` + strings.Repeat(ok+",", (16<<20)/len(ok)) + ok + `]`
		if r := e.call("POST", "/v1/results/batch", e.admin, body); r.code != 413 {
			t.Fatalf("status %d: %.300s", r.code, r.body)
		}
	})
	t.Run("unknown path", func(t *testing.T) {
		if r := e.call("GET", "/v1/nothing", e.admin, nil); r.code != 404 || r.hdr.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%d %s", r.code, r.body)
		}
	})
	t.Run("wrong method", func(t *testing.T) {
		r := e.call("PUT", "/v1/tests", e.admin, nil)
		if r.code != 405 || r.hdr.Get("Allow") != "GET, POST" && r.hdr.Get("Allow") != "POST, GET" {
			t.Fatalf("%d Allow=%q %s", r.code, r.hdr.Get("Allow"), r.body)
		}
	})
}
