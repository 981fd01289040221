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
)

func writeProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	if p.CorrelationID == "" {
		p.CorrelationID = correlationID(r.Context())
	}
	if p.Instance == "" {
		p.Instance = r.URL.Path
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func problem(status int, typ, title, detail string) Problem {
	return Problem{Type: typ, Title: title, Status: status, Detail: detail}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
