package api_test

import (
	"encoding/json"
	"strings"
	"testing"
)

var collections = []string{"customers", "employees", "tests", "orders", "results", "statuses"}

// FuzzPostRecords drives the JSON decoding path of every write endpoint,
// single and batch (JSON array and NDJSON), with arbitrary bodies: the
// server must never panic nor answer 5xx, and every refusal is a problem
// document.
func FuzzPostRecords(f *testing.F) {
	e := newEnv(f)
	for i, c := range collections {
		b, _ := json.Marshal(validRecords()[c])
		f.Add(uint8(i), uint8(0), b)
		f.Add(uint8(i), uint8(1), append(append([]byte("["), b...), ']'))
		f.Add(uint8(i), uint8(2), append(append(b, '\n'), b...))
		f.Add(uint8(i), uint8(0), b[:len(b)/2])
	}
	f.Add(uint8(3), uint8(0), []byte(`{"tests":[{"code":"A"},{"code":"A","x":1}],"ordered_at":"2026-13-01T00:00:00Z"}`))
	f.Add(uint8(4), uint8(0), []byte(`{"value":"1e999","version":1e400,"observed_at":5,"comments":[null,"\ud800"]}`))
	f.Add(uint8(2), uint8(0), []byte(`{"reference_ranges":[{"low":1e308,"high":-1e308,"age_min_years":99999999999}]}`))
	f.Add(uint8(1), uint8(1), []byte(`[{"a":"]"},"\"",[[[]]],1,null,true]`))
	f.Add(uint8(0), uint8(0), []byte("\xef\xbb\xbf{\"id\":\"C\"}"))
	f.Fuzz(func(t *testing.T, which, mode uint8, body []byte) {
		c := collections[int(which)%len(collections)]
		path, ct := "/v1/"+c, "application/json"
		switch mode % 3 {
		case 1:
			path += "/batch"
		case 2:
			path, ct = path+"/batch", "application/x-ndjson"
		}
		r := e.call("POST", path, e.admin, body, "Content-Type", ct)
		if r.code >= 500 {
			t.Fatalf("POST %s %q: %d %s", path, body, r.code, r.body)
		}
		if r.code >= 400 && r.hdr.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("POST %s %q: %d with Content-Type %q", path, body, r.code, r.hdr.Get("Content-Type"))
		}
		if r.code == 207 && !strings.Contains(string(r.body), `"error"`) {
			t.Fatalf("207 without an error: %s", r.body)
		}
	})
}
