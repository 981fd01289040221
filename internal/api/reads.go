package api

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
)

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request) {
	c, err := s.opt.Store.Customer(r.Context(), r.PathValue("id"))
	s.writeRead(w, r, c, err)
}

func (s *Server) getEmployee(w http.ResponseWriter, r *http.Request) {
	e, err := s.opt.Store.Employee(r.Context(), r.PathValue("id"))
	s.writeRead(w, r, e, err)
}

func (s *Server) getTest(w http.ResponseWriter, r *http.Request) {
	t, err := s.opt.Store.Test(r.Context(), r.PathValue("code"))
	s.writeRead(w, r, t, err)
}

// TestList is the catalog.
type TestList struct {
	Tests []lab.Test `json:"tests"`
}

func (s *Server) listTests(w http.ResponseWriter, r *http.Request) {
	if !s.checkQuery(w, r) {
		return
	}
	ts, err := s.opt.Store.Tests(r.Context())
	s.writeRead(w, r, TestList{Tests: nonNil(ts)}, err)
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	o, err := s.opt.Store.Order(r.Context(), r.PathValue("accession"))
	if err == nil && o.Results == nil {
		o.Results = nonNil(o.Results)
	}
	s.writeRead(w, r, o, err)
}

// MessageList is a tracking search's answer, newest first.
type MessageList struct {
	Messages []store.TrackRecord `json:"messages"`
	// Next pages on: pass it as before= to get older rows.
	Next string `json:"next,omitempty"`
}

var messageParams = []string{"message_id", "order", "customer", "test", "stream", "consumer", "status", "from", "to", "limit", "before"}

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	qp := queryParser{q: q}
	mq := store.MessageQuery{
		MessageID: qp.str("message_id"), Order: qp.str("order"), Customer: qp.str("customer"), Test: qp.str("test"),
		Stream: qp.str("stream"), Consumer: qp.str("consumer"), Status: qp.str("status"),
		From: qp.time("from"), To: qp.time("to"), Before: qp.time("before"), Limit: qp.limit("limit"),
	}
	qp.known(messageParams)
	if qp.err != nil {
		writeProblem(w, r, *qp.err)
		return
	}
	ms, err := s.opt.Store.Messages(r.Context(), mq)
	if err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	out := MessageList{Messages: nonNil(ms)}
	if n := len(ms); n > 0 && n == effectiveLimit(mq.Limit) {
		out.Next = ms[n-1].At.Format(time.RFC3339Nano)
	}
	writeJSON(w, http.StatusOK, out)
}

func effectiveLimit(n int) int {
	if n <= 0 {
		return 100
	}
	return min(n, 1000)
}

// MessageDetail is one message: its state at each consumer and its
// timeline.
type MessageDetail struct {
	MessageID string               `json:"message_id"`
	Consumers []store.TrackRecord  `json:"consumers"`
	Timeline  []store.MessageEvent `json:"timeline"`
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	ctx := r.Context()
	ms, err := s.opt.Store.Messages(ctx, store.MessageQuery{MessageID: id, Limit: 1000})
	if err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	tl, err := s.opt.Store.Timeline(ctx, id)
	if err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	if len(ms) == 0 && len(tl) == 0 {
		writeProblem(w, r, problem(http.StatusNotFound, probNotFound, "Not found",
			"no consumer has tracked this message (yet): it may still be in flight, or the id is unknown"))
		return
	}
	writeJSON(w, http.StatusOK, MessageDetail{MessageID: id, Consumers: nonNil(ms), Timeline: nonNil(tl)})
}

func (s *Server) writeRead(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) writeStoreError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		writeProblem(w, r, problem(http.StatusNotFound, probNotFound, "Not found", "no such resource"))
		return
	}
	s.log.ErrorContext(r.Context(), "store read failed", "err", err)
	problemResponse(r, problem(http.StatusServiceUnavailable, probUnavailable, "Store unavailable",
		"the store could not be read; retry")).withRetry().write(w)
}

// checkQuery refuses query parameters on routes that take none.
func (s *Server) checkQuery(w http.ResponseWriter, r *http.Request) bool {
	qp := queryParser{q: r.URL.Query()}
	qp.known(nil)
	if qp.err != nil {
		writeProblem(w, r, *qp.err)
		return false
	}
	return true
}

func fieldError(name, reason string) lab.FieldError {
	return lab.FieldError{Field: name, Reason: reason}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// queryParser reads query parameters, keeping the first mistake as a 400
// problem that names the parameter.
type queryParser struct {
	q   url.Values
	err *Problem
}

func (p *queryParser) fail(name, reason string) {
	if p.err == nil {
		pr := problem(http.StatusBadRequest, probBadQuery, "Bad query parameter", name+": "+reason)
		pr.Errors = append(pr.Errors, fieldError(name, reason))
		p.err = &pr
	}
}

func (p *queryParser) str(name string) string {
	vs := p.q[name]
	if len(vs) > 1 {
		p.fail(name, "must be given at most once")
	}
	if len(vs) == 0 {
		return ""
	}
	if len(vs[0]) > 256 {
		p.fail(name, "must be at most 256 characters")
	}
	return vs[0]
}

func (p *queryParser) time(name string) time.Time {
	v := p.str(name)
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		p.fail(name, "must be an RFC 3339 date-time, e.g. 2026-01-02T15:04:05Z")
	}
	return t
}

func (p *queryParser) limit(name string) int {
	v := p.str(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		p.fail(name, "must be an integer from 1 to 1000")
	}
	return n
}

// known refuses parameters outside names: a misspelt filter would
// otherwise silently match everything.
func (p *queryParser) known(names []string) {
	for k := range p.q {
		ok := false
		for _, n := range names {
			if k == n {
				ok = true
			}
		}
		if !ok {
			p.fail(k, "is not a known parameter")
		}
	}
}
