package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/imp-health/imp/internal/consumer"
	"github.com/imp-health/imp/internal/store"
)

var deadStates = []string{"dead", "repushed", "discarded", "any"}

type deadFilter struct {
	Stream, Consumer, Class, Order, Customer, ID, From, To, State string
}

func deadFilterFrom(get func(string) string, prefix string) deadFilter {
	f := func(k string) string { return strings.TrimSpace(get(prefix + k)) }
	return deadFilter{Stream: f("stream"), Consumer: f("consumer"), Class: f("class"), Order: f("order"),
		Customer: f("customer"), ID: f("id"), From: f("from"), To: f("to"), State: f("state")}
}

// fields lists the filter as form fields under prefix.
func (f deadFilter) fields(prefix string) [][2]string {
	var out [][2]string
	for _, kv := range [][2]string{{"stream", f.Stream}, {"consumer", f.Consumer}, {"class", f.Class}, {"order", f.Order},
		{"customer", f.Customer}, {"id", f.ID}, {"from", f.From}, {"to", f.To}, {"state", f.State}} {
		if kv[1] != "" {
			out = append(out, [2]string{prefix + kv[0], kv[1]})
		}
	}
	return out
}

// Fields lists the filter as form fields.
func (f deadFilter) Fields() [][2]string { return f.fields("") }

// Query is the filter as a URL query (for links back to the list).
func (f deadFilter) Query() string {
	v := url.Values{}
	for _, kv := range f.fields("") {
		v.Set(kv[0], kv[1])
	}
	return v.Encode()
}

// Any reports whether anything narrows the list.
func (f deadFilter) Any() bool {
	g := f
	g.State = ""
	return len(g.fields("")) > 0
}

func (f deadFilter) query() (store.DeadQuery, error) {
	q := store.DeadQuery{Stream: f.Stream, Consumer: f.Consumer, ErrorClass: f.Class, Order: f.Order,
		Customer: f.Customer, MessageID: f.ID, State: f.State, Limit: 1000}
	if q.State != "" && !slices.Contains(deadStates, q.State) {
		return q, fmt.Errorf("state must be one of %s", strings.Join(deadStates, ", "))
	}
	var err error
	if q.From, err = parseTime(f.From); err != nil {
		return q, fmt.Errorf("from: %w", err)
	}
	if q.To, err = parseTime(f.To); err != nil {
		return q, fmt.Errorf("to: %w", err)
	}
	return q, nil
}

type deadView struct {
	Filter    deadFilter
	Rows      []store.DeadLetter
	Shown     int
	Capped    bool
	Streams   []string
	Consumers []string
	Classes   []string
	States    []string
}

// deadPageSize is how many rows the list shows; actions on "all
// matching" reach up to the query limit (1000).
const deadPageSize = 200

func (h *Handler) deadLetters(w http.ResponseWriter, r *http.Request, s *session) {
	f := deadFilterFrom(r.URL.Query().Get, "")
	d := pageData{Title: "Dead letters", Nav: "dead", Session: s}
	v := deadView{Filter: f, Streams: h.streamNames(), Consumers: h.consumerNames(),
		Classes: []string{"permanent", "retryable"}, States: deadStates}
	q, err := f.query()
	if err != nil {
		d.Error = err.Error()
	} else {
		rows, err := h.opt.Store.DeadLetterList(r.Context(), q)
		if err != nil {
			h.serverError(w, r, "list dead letters", err)
			return
		}
		v.Shown = len(rows)
		v.Capped = len(rows) >= q.Limit
		v.Rows = rows[:min(len(rows), deadPageSize)]
	}
	d.Body = v
	h.render(w, r, http.StatusOK, "deadletters", d)
}

// jobConsumers run background jobs (the Jobs page, re-run).
var jobConsumers = []string{"worker", "worker-order"}

// deadActions are what an operator can do to dead letters.
var deadActions = map[string]struct{ verb, done string }{
	"repush":  {"Re-push", "Re-pushed"},
	"discard": {"Discard", "Discarded"},
	"rerun":   {"Re-run", "Re-ran"},
}

// confirmView is the confirmation step of an action: what will happen,
// and a form that repeats the request with confirm=yes.
type confirmView struct {
	Question string
	Button   string
	Explain  string
	Items    []store.DeadLetter
	More     int
	Nothing  bool   // the action would change nothing
	Target   string // where the confirmed form posts
	Hidden   [][2]string
	Back     string
	Danger   bool
}

// deadAction re-pushes, discards or re-runs dead letters: the selected
// ones or all matching a filter. The first POST shows what will happen;
// only the POST from that confirmation page (confirm=yes) acts.
func (h *Handler) deadAction(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	action, all := strings.CutSuffix(r.PostFormValue("action"), "-all")
	act, ok := deadActions[action]
	if !ok {
		h.errorPage(w, r, s, http.StatusBadRequest, "Unknown action", "Choose re-push, discard or re-run.")
		return
	}
	if h.opt.Operator == nil {
		h.errorPage(w, r, s, http.StatusServiceUnavailable, "Not available", "This process cannot re-push or discard (no producer).")
		return
	}
	back := h.backURL(r.PostFormValue("back"))
	dls, capped, err := h.resolveDead(ctx, r, all)
	if err != nil {
		h.errorPage(w, r, s, http.StatusBadRequest, "Nothing selected", err.Error())
		return
	}
	if action == "rerun" {
		dls = slices.DeleteFunc(dls, func(d store.DeadLetter) bool { return !slices.Contains(jobConsumers, d.Consumer) })
	}
	if r.PostFormValue("confirm") != "yes" {
		count := plural(len(dls), "dead letter", "dead letters")
		if capped {
			count = "the first " + count
		}
		if action == "rerun" {
			count = plural(len(dls), "job", "jobs")
		}
		v := confirmView{Question: act.verb + " " + count + "?", Button: act.verb + " " + count, Target: h.url("dead-letters/action"),
			Back: back, Danger: action == "discard", Nothing: len(dls) == 0}
		v.Items = dls[:min(len(dls), 50)]
		v.More = len(dls) - len(v.Items)
		for k, vals := range r.PostForm {
			if k == "csrf" || k == "confirm" {
				continue
			}
			for _, x := range vals {
				v.Hidden = append(v.Hidden, [2]string{k, x})
			}
		}
		slices.SortFunc(v.Hidden, func(a, b [2]string) int { return strings.Compare(a[0]+a[1], b[0]+b[1]) })
		switch action {
		case "discard":
			v.Explain = "Discarded dead letters leave the list. Their records stay in the DLQ topic until retention; nothing is delivered."
		case "rerun":
			v.Explain = "Each job goes back to its stream with its retry count reset, and runs again."
		default:
			v.Explain = "Each record goes back to its stream's main topic with its retry count reset, and its consumer handles it again."
		}
		h.render(w, r, http.StatusOK, "confirm", pageData{Title: "Confirm: " + act.verb, Nav: navFor(action), Session: s, Body: v})
		return
	}
	var n int
	if action == "discard" {
		n, err = h.opt.Operator.Discard(ctx, dls, s.actor())
	} else {
		n, err = h.opt.Operator.Repush(ctx, dls, s.actor())
	}
	if action == "rerun" && n > 0 {
		for _, d := range dls {
			h.auditf(ctx, s.actor(), "job.rerun", d.MessageID, "consumer=%s stream=%s", d.Consumer, d.Stream)
		}
	}
	h.log.Info("dead letters "+act.done, "user", s.User.Username, "count", n, "err", err)
	switch {
	case errors.Is(err, consumer.ErrNothingToDo):
		h.flash(w, "Nothing to do: none of them is dead any more.")
	case err != nil:
		h.flash(w, fmt.Sprintf("%s %s; some failed: %v", act.done, plural(n, "dead letter", "dead letters"), err))
	default:
		h.flash(w, fmt.Sprintf("%s %s.", act.done, plural(n, "dead letter", "dead letters")))
	}
	http.Redirect(w, r, back, http.StatusSeeOther) //nolint:gosec // G710: backURL admits only paths under the base
}

func navFor(action string) string {
	if action == "rerun" {
		return "jobs"
	}
	return "dead"
}

// resolveDead reads the dead letters an action names: "sel" values
// ("consumer/message id") or every dead letter that
// matches the f_* fields (up to the query limit) when all is set.
func (h *Handler) resolveDead(ctx context.Context, r *http.Request, all bool) ([]store.DeadLetter, bool, error) {
	if all {
		f := deadFilterFrom(r.PostFormValue, "f_")
		f.State = "dead"
		q, err := f.query()
		if err != nil {
			return nil, false, err
		}
		dls, err := h.opt.Store.DeadLetterList(ctx, q)
		return dls, len(dls) >= q.Limit, err
	}
	sel := r.PostForm["sel"]
	if len(sel) == 0 {
		return nil, false, errors.New("select at least one dead letter")
	}
	if len(sel) > 1000 {
		return nil, false, errors.New("select at most 1000 dead letters at once, or act on a filter")
	}
	var out []store.DeadLetter
	seen := map[string]bool{}
	for _, x := range sel {
		name, id, ok := strings.Cut(x, "/")
		if !ok || id == "" || seen[x] {
			continue
		}
		seen[x] = true
		dls, err := h.opt.Store.DeadLetterList(ctx, store.DeadQuery{MessageID: id, Consumer: name, State: "dead", Limit: 1})
		if err != nil {
			return nil, false, err
		}
		out = append(out, dls...)
	}
	return out, false, nil
}

// backURL is where an action returns: a page of this dashboard, the dead
// letter list by default.
func (h *Handler) backURL(back string) string {
	if strings.HasPrefix(back, h.base) && !strings.HasPrefix(back, "//") {
		back = strings.TrimPrefix(back, h.base)
	}
	if back != "" && !strings.HasPrefix(back, "/") && !strings.Contains(back, "//") && !strings.Contains(back, "\\") {
		if u := h.safeNext(h.url(back)); u != "" {
			return u
		}
	}
	return h.url("dead-letters")
}
