package sim

import (
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/imp-health/imp/internal/delivery"
)

// Sink is a partner's webhook receiver: it checks IMP's signature, records
// each delivery, and shows them at GET / (HTML) and GET /deliveries
// (JSON).
type Sink struct {
	Secret string

	mu  sync.Mutex
	got []Received
}

// Received is one delivery the sink accepted or refused.
type Received struct {
	At             time.Time       `json:"at"`
	IdempotencyKey string          `json:"idempotency_key"`
	Kind           string          `json:"kind"`
	SignatureOK    bool            `json:"signature_ok"`
	Duplicate      bool            `json:"duplicate"`
	Body           json.RawMessage `json:"body"`
}

// Deliveries returns what arrived so far.
func (s *Sink) Deliveries() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.got...)
}

// ServeHTTP takes deliveries on POST and shows them on GET.
func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		s.show(w, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<20))
	if err != nil {
		http.Error(w, "body", http.StatusBadRequest)
		return
	}
	ok := delivery.VerifySignature(s.Secret, r.Header.Get(delivery.HeaderTimestamp), string(body), r.Header.Get(delivery.HeaderSignature), 5*time.Minute) == nil
	rec := Received{At: time.Now().UTC(), IdempotencyKey: r.Header.Get("Idempotency-Key"), Kind: r.Header.Get(delivery.HeaderKind), SignatureOK: ok}
	if json.Valid(body) {
		rec.Body = body
	}
	s.mu.Lock()
	for _, g := range s.got {
		if g.IdempotencyKey == rec.IdempotencyKey && g.SignatureOK {
			rec.Duplicate = true
		}
	}
	s.got = append(s.got, rec)
	s.mu.Unlock()
	if !ok {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

var page = template.Must(template.New("sink").Parse(`<!doctype html><meta charset="utf-8"><title>Partner webhook sink</title>
<style>body{font:14px system-ui;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}pre{margin:0;max-width:60em;white-space:pre-wrap}</style>
<h1>What the partner received</h1><p>{{len .}} deliveries. <a href="deliveries">JSON</a></p>
<table><tr><th>at</th><th>kind</th><th>idempotency key</th><th>signature</th><th>body</th></tr>
{{range .}}<tr><td>{{.At.Format "15:04:05"}}</td><td>{{.Kind}}</td><td>{{.IdempotencyKey}}{{if .Duplicate}} (repeat){{end}}</td><td>{{if .SignatureOK}}valid{{else}}INVALID{{end}}</td><td><pre>{{printf "%s" .Body}}</pre></td></tr>{{end}}
</table>`))

func (s *Sink) show(w http.ResponseWriter, r *http.Request) {
	got := s.Deliveries()
	if r.URL.Path == "/deliveries" {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(got)
		return
	}
	for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
		got[i], got[j] = got[j], got[i]
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = page.Execute(w, got)
}
