package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/msgid"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/stream"
)

// statuses a tracked message can be in.
var trackStatuses = []string{"processed", "duplicate", "retrying", "dead", "repushed", "discarded"}

// timeLayouts are what the filter forms accept: the browser's
// datetime-local value, a date, or RFC 3339. Times without a zone are UTC,
// as the pages show them.
var timeLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02", time.RFC3339}

func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("use YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)")
}

type messageFilter struct {
	ID, Order, Customer, Test, Stream, Consumer, Status, From, To, Before string
}

func (f messageFilter) values() url.Values {
	v := url.Values{}
	for k, x := range map[string]string{"id": f.ID, "order": f.Order, "customer": f.Customer, "test": f.Test,
		"stream": f.Stream, "consumer": f.Consumer, "status": f.Status, "from": f.From, "to": f.To} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v
}

// Any reports whether a filter is set.
func (f messageFilter) Any() bool { return len(f.values()) > 0 }

type messagesView struct {
	Filter    messageFilter
	Rows      []store.TrackRecord
	Streams   []string
	Consumers []string
	Statuses  []string
	Older     string // link to the next page
}

func (h *Handler) streamNames() []string {
	var out []string
	for _, s := range stream.All() {
		out = append(out, s.Name)
	}
	return out
}

func (h *Handler) consumerNames() []string {
	out := make([]string, 0, len(h.defs))
	for _, d := range h.defs {
		out = append(out, d.Name)
	}
	return out
}

func (h *Handler) messages(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	f := messageFilter{ID: strings.TrimSpace(q.Get("id")), Order: strings.TrimSpace(q.Get("order")),
		Customer: strings.TrimSpace(q.Get("customer")), Test: strings.TrimSpace(q.Get("test")),
		Stream: q.Get("stream"), Consumer: q.Get("consumer"), Status: q.Get("status"),
		From: q.Get("from"), To: q.Get("to"), Before: q.Get("before")}
	v := messagesView{Filter: f, Streams: h.streamNames(), Consumers: h.consumerNames(), Statuses: trackStatuses}
	d := pageData{Title: "Messages", Nav: "messages", Session: s}
	mq := store.MessageQuery{MessageID: f.ID, Order: f.Order, Customer: f.Customer, Test: f.Test, Stream: f.Stream,
		Consumer: f.Consumer, Status: f.Status, Limit: 100}
	var err error
	if mq.From, err = parseTime(f.From); err != nil {
		d.Error = "From: " + err.Error()
	}
	if mq.To, err = parseTime(f.To); err != nil {
		d.Error = "To: " + err.Error()
	}
	if f.Before != "" {
		if mq.Before, err = time.Parse(time.RFC3339Nano, f.Before); err != nil {
			d.Error = "The page link is broken; search again."
		}
	}
	if d.Error == "" {
		v.Rows, err = h.opt.Store.Messages(r.Context(), mq)
		if err != nil {
			h.serverError(w, r, "search messages", err)
			return
		}
		if len(v.Rows) == mq.Limit {
			next := f.values()
			next.Set("before", v.Rows[len(v.Rows)-1].At.Format(time.RFC3339Nano))
			v.Older = h.url("messages") + "?" + next.Encode()
		}
	}
	d.Body = v
	h.render(w, r, http.StatusOK, "messages", d)
}

type messageView struct {
	ID          string
	Records     []store.TrackRecord
	Timeline    []store.MessageEvent
	DeadLetters []store.DeadLetter
	Payload     *payloadView
	// Sources are the positions the payload can be read from.
	Sources []source
}

// source is one Kafka position of a message.
type source struct {
	Label     string
	Topic     string
	Partition int32
	Offset    int64
	Consumer  string
}

// Key identifies the source in the "show payload" link.
func (s source) Key() string {
	return s.Topic + "/" + strconv.Itoa(int(s.Partition)) + "/" + strconv.FormatInt(s.Offset, 10)
}

func (h *Handler) message(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	id := r.PathValue("id")
	recs, err := h.opt.Store.Messages(ctx, store.MessageQuery{MessageID: id, Limit: 100})
	if err != nil {
		h.serverError(w, r, "read message", err)
		return
	}
	dls, err := h.opt.Store.DeadLetterList(ctx, store.DeadQuery{MessageID: id, State: "any", Limit: 100})
	if err != nil {
		h.serverError(w, r, "read dead letters", err)
		return
	}
	if len(recs) == 0 && len(dls) == 0 {
		h.errorPage(w, r, s, http.StatusNotFound, "Message not found",
			"No consumer has tracked a message with id "+id+" (or its tracking is past retention).")
		return
	}
	tl, err := h.opt.Store.Timeline(ctx, id)
	if err != nil {
		h.serverError(w, r, "read timeline", err)
		return
	}
	// IMP's ids are UUIDv7 stamped when the broker acknowledged the record:
	// the timeline starts there.
	if at, ok := msgid.Time(id); ok {
		tl = append([]store.MessageEvent{{MessageID: id, Status: "accepted", Note: "made durable on Kafka by IMP", At: at.UTC()}}, tl...)
	}
	v := messageView{ID: id, Records: recs, Timeline: tl, DeadLetters: dls}
	seen := map[string]bool{}
	add := func(src source) {
		if src.Topic == "" || seen[src.Key()] {
			return
		}
		seen[src.Key()] = true
		v.Sources = append(v.Sources, src)
	}
	for _, rec := range recs {
		add(source{Label: "as " + rec.Consumer + " last read it", Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset, Consumer: rec.Consumer})
	}
	for _, d := range dls {
		add(source{Label: "dead letter of " + d.Consumer, Topic: d.Topic, Partition: d.Partition, Offset: d.Offset, Consumer: d.Consumer})
	}
	if want := r.URL.Query().Get("payload"); want != "" {
		i := slices.IndexFunc(v.Sources, func(src source) bool { return src.Key() == want })
		if i < 0 {
			i = 0
		}
		if len(v.Sources) > 0 {
			v.Payload = h.showPayload(r, s, id, v.Sources[i])
		}
	}
	h.render(w, r, http.StatusOK, "message", pageData{Title: "Message " + id, Nav: "messages", Session: s, Body: v})
}
