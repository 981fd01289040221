package api

import (
	"encoding/json"
	"net/http"

	"github.com/imp-health/imp/internal/lab"
)

// Problem is an RFC 9457 problem details document.
type Problem struct {
	Type          string           `json:"type"`
	Title         string           `json:"title"`
	Status        int              `json:"status"`
	Detail        string           `json:"detail,omitempty"`
	Instance      string           `json:"instance,omitempty"`
	Errors        []lab.FieldError `json:"errors,omitempty"`
	CorrelationID string           `json:"correlation_id,omitempty"`
	// ACK is the HL7 AE/AR acknowledgement of a refused HL7 message.
	ACK string `json:"ack,omitempty"`
}

// Problem types: relative URIs documented in docs/api.md.
const (
	probValidation   = "/problems/validation"
	probBadBody      = "/problems/malformed-body"
	probTooLarge     = "/problems/body-too-large"
	probMediaType    = "/problems/unsupported-media-type"
	probUnauthorized = "/problems/unauthorized"
	probForbidden    = "/problems/forbidden"
	probNotFound     = "/problems/not-found"
	probMethod       = "/problems/method-not-allowed"
	probUnavailable  = "/problems/unavailable"
	probInternal     = "/problems/internal"
	probConflict     = "/problems/conflict"
	probIdempotency  = "/problems/idempotency-key-reused"
	probBadHeader    = "/problems/bad-header"
	probBadQuery     = "/problems/bad-query"
	probBatch        = "/problems/bad-batch"
)

// Media types.
const (
	ctJSON    = "application/json"
	ctNDJSON  = "application/x-ndjson"
	ctProblem = "application/problem+json"
)

func writeProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	problemResponse(r, p).write(w)
}

// problemResponse renders p for r (its correlation id and path).
func problemResponse(r *http.Request, p Problem) response {
	if p.CorrelationID == "" {
		p.CorrelationID = correlationID(r.Context())
	}
	if p.Instance == "" {
		p.Instance = r.URL.Path
	}
	b, _ := json.Marshal(p)
	return response{status: p.Status, contentType: ctProblem, body: append(b, '\n')}
}

func (rs response) withRetry() response {
	rs.retryAfter = true
	return rs
}

func problem(status int, typ, title, detail string) Problem {
	return Problem{Type: typ, Title: title, Status: status, Detail: detail}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", ctJSON)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
