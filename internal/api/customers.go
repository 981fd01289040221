package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/imp-health/imp/internal/ingest"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/stream"
)

// postCustomer accepts a customer master update for consumer-customer.
func (s *Server) postCustomer(w http.ResponseWriter, r *http.Request) {
	body, _, err := readBody(w, r, s.opt.MaxBody, "application/json")
	if err != nil {
		s.writeBodyError(w, r, stream.Customer, err)
		return
	}
	var c lab.Customer
	if err := decodeStrict(body, &c); err != nil {
		s.writeBodyError(w, r, stream.Customer, err)
		return
	}
	if err := c.Validate(); err != nil {
		s.writeBodyError(w, r, stream.Customer, err)
		return
	}
	now := time.Now().UTC()
	if c.Version == 0 {
		// Without a source-system version, later acceptance wins.
		c.Version = now.UnixMicro()
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = now
	}
	value, err := json.Marshal(c)
	if err != nil {
		s.writeBodyError(w, r, stream.Customer, err)
		return
	}
	acc, err := s.publish(r.Context(), ingest.Envelope{Stream: stream.Customer, Key: c.ID, Kind: "customer", Value: value})
	if err != nil {
		s.writePublishError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, acc)
}

// getCustomer reads a customer from the master.
func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request) {
	c, err := s.opt.Store.Customer(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) writeStoreError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		writeProblem(w, r, problem(http.StatusNotFound, probNotFound, "Not found", "no such resource"))
		return
	}
	s.log.Error("store read failed", "err", err, "correlation_id", correlationID(r.Context()))
	w.Header().Set("Retry-After", "1")
	writeProblem(w, r, problem(http.StatusServiceUnavailable, probUnavailable, "Store unavailable", "the store could not be read; retry"))
}
