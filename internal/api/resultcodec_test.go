package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/imp-health/imp/internal/lab"
)

// FuzzResultCodec holds the fast path to encoding/json: whenever it
// decodes, encoding/json's strict decoder decodes the same value; whenever
// it encodes, json.Marshal writes the same bytes.
func FuzzResultCodec(f *testing.F) {
	ex, _ := json.Marshal(exampleResult())
	f.Add(ex)
	f.Add([]byte(`{"accession_number":"A-1","test_code":"GLU","version":-0,"value":"5","status":"final","observed_at":"2026-01-01T09:00:00.123+01:00","comments":[]}`))
	f.Add([]byte(`{"accession_number":"A-1","accession_number":"A-2","comments":["a","b"],"comments":["c"]}`))
	f.Add([]byte(` { "version" : 9223372036854775807 , "updated_at" : "2026-01-01T00:00:00Z" } `))
	f.Add([]byte(`{"Version":1}`))
	f.Add([]byte(`{"version":1.0}`))
	f.Add([]byte(`{"value":"a<b&c"}`))
	f.Add([]byte(`{"observed_at":"0000-01-01T00:00:00+23:59"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var slow, fast lab.Result
		slowErr := decodeStrict(b, &slow)
		if decodeResultFast(b, &fast) {
			if slowErr != nil {
				t.Fatalf("fast path took %q, encoding/json refused it: %v", b, slowErr)
			}
			if !reflect.DeepEqual(slow, fast) {
				t.Fatalf("%q decoded as\n%#v\nbut encoding/json says\n%#v", b, fast, slow)
			}
		}
		if slowErr != nil {
			return
		}
		want, err := json.Marshal(slow)
		if err != nil {
			return
		}
		if got, ok := appendResult(nil, &slow); ok && !bytes.Equal(got, want) {
			t.Fatalf("encoded\n%s\njson.Marshal\n%s", got, want)
		}
	})
}

func TestResultFastPathIsOn(t *testing.T) {
	if !fastResult {
		t.Fatal("lab.Result's members changed: update resultFields and the fast codec (resultcodec.go)")
	}
	ex, _ := json.Marshal(exampleResult())
	var r lab.Result
	if !decodeResultFast(ex, &r) {
		t.Fatal("the example result does not take the fast path")
	}
	if got, ok := appendResult(nil, &r); !ok || !bytes.Equal(got, ex) {
		t.Fatalf("round trip: %s", got)
	}
}
