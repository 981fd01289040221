package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/imp-health/imp/internal/consumer"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
)

// DeadLetterList is a dead-letter search's answer, newest first.
type DeadLetterList struct {
	DeadLetters []store.DeadLetter `json:"dead_letters"`
}

var deadParams = []string{"stream", "consumer", "error_class", "state", "order", "customer", "message_id", "from", "to", "limit"}

var deadStates = []string{"dead", "repushed", "discarded", "any"}

func (s *Server) listDeadLetters(w http.ResponseWriter, r *http.Request) {
	qp := queryParser{q: r.URL.Query()}
	q := store.DeadQuery{
		Stream: qp.str("stream"), Consumer: qp.str("consumer"), ErrorClass: qp.str("error_class"), State: qp.str("state"),
		Order: qp.str("order"), Customer: qp.str("customer"), MessageID: qp.str("message_id"),
		From: qp.time("from"), To: qp.time("to"), Limit: qp.limit("limit"),
	}
	if q.State != "" && !contains(deadStates, q.State) {
		qp.fail("state", "must be one of dead, repushed, discarded, any")
	}
	qp.known(deadParams)
	if qp.err != nil {
		writeProblem(w, r, *qp.err)
		return
	}
	ds, err := s.opt.Store.DeadLetterList(r.Context(), q)
	if err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, DeadLetterList{DeadLetters: nonNil(ds)})
}

// DeadLetterFilter selects dead letters (those still in state dead) like
// the GET's query parameters.
type DeadLetterFilter struct {
	Stream     string    `json:"stream,omitempty"`
	Consumer   string    `json:"consumer,omitempty"`
	ErrorClass string    `json:"error_class,omitempty"`
	Order      string    `json:"order,omitempty"`
	Customer   string    `json:"customer,omitempty"`
	MessageID  string    `json:"message_id,omitempty"`
	From       time.Time `json:"from,omitzero"`
	To         time.Time `json:"to,omitzero"`
	// Limit bounds how many are acted on in one call (default and
	// maximum 1000); call again for more.
	Limit int `json:"limit,omitempty"`
}

func (f DeadLetterFilter) empty() bool {
	return f.Stream == "" && f.Consumer == "" && f.ErrorClass == "" && f.Order == "" && f.Customer == "" &&
		f.MessageID == "" && f.From.IsZero() && f.To.IsZero()
}

// DeadLetterAction names the dead letters to re-push or discard: either
// message ids or a filter, never both.
type DeadLetterAction struct {
	MessageIDs []string          `json:"message_ids,omitempty"`
	Filter     *DeadLetterFilter `json:"filter,omitempty"`
}

// DeadLetterActionResult says how many dead letters were acted on.
type DeadLetterActionResult struct {
	Count int `json:"count"`
	// Errors lists what went wrong with some of them (e.g. a record no
	// longer in its DLQ topic).
	Errors []string `json:"errors,omitempty"`
}

const maxDeadAction = 1000

func (a *DeadLetterAction) validate() error {
	var p lab.Problems
	switch {
	case len(a.MessageIDs) > 0 && a.Filter != nil:
		p.Add("message_ids", "%s", "give either message_ids or filter, not both")
	case len(a.MessageIDs) == 0 && a.Filter == nil:
		p.Add("message_ids", "%s", "give message_ids or a filter")
	case len(a.MessageIDs) > maxDeadAction:
		p.Add("message_ids", "%s", fmt.Sprintf("must list at most %d ids", maxDeadAction))
	case a.Filter != nil:
		if a.Filter.empty() {
			p.Add("filter", "%s", "must set at least one of stream, consumer, error_class, order, customer, message_id, from, to (an empty filter would act on every dead letter)")
		}
		if a.Filter.Limit < 0 || a.Filter.Limit > maxDeadAction {
			p.Add("filter.limit", "%s", fmt.Sprintf("must be from 1 to %d", maxDeadAction))
		}
	}
	for i, id := range a.MessageIDs {
		if id == "" || len(id) > 128 {
			p.Add(fmt.Sprintf("message_ids[%d]", i), "must be 1-128 characters")
		}
	}
	return p.Err()
}

// deadAction serves POST /v1/dead-letters/repush and /discard.
func (s *Server) deadAction(repush bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r, s.opt.MaxBody, ctJSON)
		defer body.release()
		if err != nil {
			s.writeBodyError(w, r, "", err)
			return
		}
		s.idempotent(w, r, body.b, func(idGen) response {
			var a DeadLetterAction
			if err := decodeStrict(body.b, &a); err != nil {
				return problemResponse(r, bodyProblem(err))
			}
			if err := a.validate(); err != nil {
				return problemResponse(r, bodyProblem(err))
			}
			if s.opt.Operator == nil {
				return problemResponse(r, problem(http.StatusServiceUnavailable, probUnavailable, "Unavailable",
					"dead-letter operations are not configured in this process"))
			}
			ctx := r.Context()
			dls, err := s.selectDead(r, a)
			if err != nil {
				s.log.ErrorContext(ctx, "dead-letter lookup failed", "err", err)
				return problemResponse(r, problem(http.StatusServiceUnavailable, probUnavailable, "Store unavailable",
					"the dead letters could not be read; retry")).withRetry()
			}
			actor := actorOf(r)
			var n int
			if repush {
				n, err = s.opt.Operator.Repush(ctx, dls, actor)
			} else {
				n, err = s.opt.Operator.Discard(ctx, dls, actor)
			}
			res := DeadLetterActionResult{Count: n}
			switch {
			case err == nil, errors.Is(err, consumer.ErrNothingToDo):
			case n == 0:
				s.log.ErrorContext(ctx, "dead-letter action failed", "repush", repush, "err", err)
				return problemResponse(r, problem(http.StatusServiceUnavailable, probUnavailable, "Unavailable",
					"the dead letters could not be processed; retry")).withRetry()
			default:
				s.log.WarnContext(ctx, "dead-letter action partly failed", "repush", repush, "count", n, "err", err)
				res.Errors = []string{err.Error()}
			}
			return response{status: http.StatusOK, body: appendJSON(nil, res), store: n > 0}
		})
	}
}

// selectDead finds the dead letters an action names (only those still
// dead: the Operator ignores the rest anyway).
func (s *Server) selectDead(r *http.Request, a DeadLetterAction) ([]store.DeadLetter, error) {
	ctx := r.Context()
	if a.Filter != nil {
		f := a.Filter
		return s.opt.Store.DeadLetterList(ctx, store.DeadQuery{Stream: f.Stream, Consumer: f.Consumer, ErrorClass: f.ErrorClass,
			State: "dead", Order: f.Order, Customer: f.Customer, MessageID: f.MessageID, From: f.From, To: f.To,
			Limit: cmpOr(f.Limit, maxDeadAction)})
	}
	var out []store.DeadLetter
	seen := map[string]bool{}
	for _, id := range a.MessageIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		ds, err := s.opt.Store.DeadLetterList(ctx, store.DeadQuery{MessageID: id, State: "dead", Limit: maxDeadAction})
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	return out, nil
}

// actorOf names the API key acting, for the audit log.
func actorOf(r *http.Request) string {
	p := principal(r.Context())
	return fmt.Sprintf("%s (key %s)", p.Name, p.KeyID)
}

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
