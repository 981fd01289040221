package api_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/imp-health/imp/internal/auth"
)

// BenchmarkPostResult measures the single-record hot path end to end in
// process: auth, decoding, validation, tier routing, producing to a kfake
// broker with acks=all and waiting for the acknowledgement, the 202 body.
// Run in parallel so the producer batches as it does under load.
func BenchmarkPostResult(b *testing.B) {
	e := newEnvAt(b, slog.LevelInfo)
	tok := e.token(b, auth.ScopeResultsWrite)
	bodies := make([][]byte, 256)
	for i := range bodies {
		bodies[i] = []byte(`{"accession_number":"A-` + strconv.Itoa(100000+i) + `","test_code":"GLU","value_type":"numeric","value":"` +
			strconv.Itoa(60+i%80) + `","unit":"mg/dL","reference_range":"70-99","status":"final","observed_at":"2026-03-01T08:00:00Z",` +
			`"verified_by":"E-1","verified_at":"2026-03-01T09:00:00Z","customer_id":"C-` + strconv.Itoa(i%50) + `"}`)
	}
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			req, _ := http.NewRequest("POST", "/v1/results", bytes.NewReader(bodies[i%len(bodies)]))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			if rec.Code != http.StatusAccepted {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
		}
	})
}
