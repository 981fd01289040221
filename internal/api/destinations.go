package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/delivery"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
)

// DestinationRequest creates or replaces a destination.
type DestinationRequest struct {
	ID        string               `json:"id"`
	Owner     string               `json:"owner"`  // partner:<id>, customer:<id> or *
	Events    []string             `json:"events"` // result, status, report
	Format    string               `json:"format"` // json, hl7, fhir
	Connector delivery.Destination `json:"connector"`
	Disabled  bool                 `json:"disabled,omitempty"`
}

// DestinationView is a destination as listed: no secret.
type DestinationView struct {
	ID        string    `json:"id"`
	Owner     string    `json:"owner"`
	Events    []string  `json:"events"`
	Format    string    `json:"format"`
	Connector string    `json:"connector"` // e.g. "webhook partner.example"
	Enabled   bool      `json:"enabled"`
	CreatedAt time.Time `json:"created_at"`
}

// DestinationList is GET /v1/destinations.
type DestinationList struct {
	Destinations []DestinationView `json:"destinations"`
}

// exampleDestination is the OpenAPI example; its secret is a placeholder.
var exampleDestination = DestinationRequest{ID: "acme-results", Owner: "partner:ACME", Events: []string{"result", "status"}, Format: "json",
	Connector: delivery.Destination{Connector: "webhook", URL: "https://partner.example/imp/hook", Secret: "shared-hmac-secret"}} //nolint:gosec // an example, not a credential

func viewDestination(d store.Destination) DestinationView {
	var to delivery.Destination
	_ = json.Unmarshal(d.Connector, &to)
	return DestinationView{ID: d.ID, Owner: d.Owner, Events: d.Events, Format: d.Format, Connector: to.String(), Enabled: d.Enabled, CreatedAt: d.CreatedAt}
}

func (s *Server) listDestinations(w http.ResponseWriter, r *http.Request) {
	ds, err := s.opt.Store.ListDestinations(r.Context())
	if err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	out := DestinationList{Destinations: make([]DestinationView, 0, len(ds))}
	for _, d := range ds {
		out.Destinations = append(out.Destinations, viewDestination(d))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) putDestination(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, s.opt.MaxBody, ctJSON)
	defer body.release()
	if err != nil {
		s.writeBodyError(w, r, "", err)
		return
	}
	var req DestinationRequest
	if err := decodeStrict(body.b, &req); err != nil {
		s.writeBodyError(w, r, "", err)
		return
	}
	var p lab.Problems
	p.ID("id", req.ID)
	if req.Owner != "*" && !strings.HasPrefix(req.Owner, "partner:") && !strings.HasPrefix(req.Owner, "customer:") {
		p.Add("owner", "must be partner:<id>, customer:<id> or *")
	}
	if len(req.Events) == 0 {
		p.Add("events", "is required")
	}
	for i, ev := range req.Events {
		if !slices.Contains([]string{"result", "status", "report"}, ev) {
			p.Add("events["+strconv.Itoa(i)+"]", "must be result, status or report")
		}
	}
	p.OneOf("format", req.Format, "json", "hl7", "fhir")
	switch req.Connector.Connector {
	case "webhook":
		p.Required("connector.url", req.Connector.URL)
		p.Required("connector.secret", req.Connector.Secret)
	case "mllp":
		p.Required("connector.addr", req.Connector.Addr)
	case "email":
		if len(req.Connector.Email) == 0 {
			p.Add("connector.email", "is required")
		}
	case "sms":
		p.Required("connector.phone", req.Connector.Phone)
	case "file":
	default:
		p.Add("connector.connector", "must be webhook, mllp, email, sms or file")
	}
	if err := p.Err(); err != nil {
		s.writeBodyError(w, r, "", err)
		return
	}
	conn, _ := json.Marshal(req.Connector)
	d := store.Destination{ID: req.ID, Owner: req.Owner, Events: req.Events, Format: req.Format, Connector: conn,
		Enabled: !req.Disabled, CreatedAt: time.Now().UTC()}
	if err := s.opt.Store.PutDestination(r.Context(), d); err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	s.audit(r, "destination.put", d.ID, "owner="+d.Owner+" connector="+req.Connector.Connector)
	writeJSON(w, http.StatusCreated, viewDestination(d))
}

func (s *Server) deleteDestination(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.opt.Store.DeleteDestination(r.Context(), id); err != nil {
		s.writeStoreError(w, r, err) // unknown ids are 404
		return
	}
	s.audit(r, "destination.delete", id, "")
	w.WriteHeader(http.StatusNoContent)
}
