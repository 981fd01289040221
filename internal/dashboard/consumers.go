package dashboard

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/consumer"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/stream"
)

// consumerRow is one consumer definition with what the pages show of it.
type consumerRow struct {
	Def       consumer.Definition
	Enabled   bool
	Streams   string
	Lag       broker.GroupLag
	HasLag    bool
	Partition int // partitions of its main topics
	Desired   int
	LastAt    time.Time
	LastError *store.TrackRecord
	Active    bool // traffic, lag or dead letters in the last hour
}

// Autoscaled reports whether KEDA scales the consumer on lag.
func (c consumerRow) Autoscaled() bool {
	return c.Def.Scaling.LagThreshold > 0 && c.Def.Scaling.MaxReplicas > c.Def.Scaling.Replicas
}

func (h *Handler) consumerRows(snap *snapshot) []consumerRow {
	rows := make([]consumerRow, 0, len(h.defs))
	for _, d := range h.defs {
		l, ok := snap.Lag[d.Name]
		r := consumerRow{Def: d, Enabled: h.opt.Enabled[d.Name], Streams: strings.Join(d.Streams, ", "), Lag: l, HasLag: ok}
		if ok {
			// A consumer of retry topics only (the SVIP re-push) has no main
			// partitions; its own partitions bound it instead.
			if r.Partition = h.mainPartitions(l); r.Partition == 0 {
				r.Partition = len(l.Partitions)
			}
			r.Desired = consumer.DesiredReplicas(d.Scaling, l.Total, r.Partition)
		}
		var total int64
		if s := snap.Rates[d.Name]; s != nil {
			total, _ = s.sums()
		}
		r.Active = total > 0 || l.Total > 0 || snap.DLQ[d.Name] > 0
		rows = append(rows, r)
	}
	// Enabled consumers first, in registry order; the seed's disabled
	// workloads after them.
	slices.SortStableFunc(rows, func(a, b consumerRow) int {
		switch {
		case a.Enabled == b.Enabled:
			return 0
		case a.Enabled:
			return -1
		}
		return 1
	})
	return rows
}

// ShowStreams reports whether the streams say more than the name.
func (c consumerRow) ShowStreams() bool { return c.Streams != "" && c.Streams != c.Def.Name }

type overviewView struct {
	Rows    []consumerRow
	Idle    int // disabled consumers with nothing going on, not listed
	Streams []streamRow
}

type streamRow struct {
	Name      string
	Doc       string
	Legacy    bool
	Consumers []string
}

func (h *Handler) overview(w http.ResponseWriter, r *http.Request, s *session) {
	snap := h.snapshot(r)
	v := h.view(snap)
	var ov overviewView
	for _, row := range h.consumerRows(snap) {
		if row.Enabled || row.Active {
			ov.Rows = append(ov.Rows, row)
		} else {
			ov.Idle++
		}
	}
	byStream := map[string][]string{}
	for _, d := range h.defs {
		for _, st := range d.Streams {
			byStream[st] = append(byStream[st], d.Name)
		}
	}
	for _, st := range stream.All() {
		if st.Legacy && snap.DLQStream[st.Name] == 0 && v.Text["slag:"+st.Name] == "0" {
			continue
		}
		ov.Streams = append(ov.Streams, streamRow{Name: st.Name, Doc: st.Doc, Legacy: st.Legacy, Consumers: byStream[st.Name]})
	}
	h.render(w, r, http.StatusOK, "overview", pageData{Title: "Overview", Nav: "overview", Session: s, Events: true,
		Live: v.Text, LiveClass: v.Class, Body: struct {
			overviewView
			SVG map[string]string
		}{ov, v.SVG}})
}

type consumersView struct {
	Rows []consumerRow
	SVG  map[string]string
}

func (h *Handler) consumers(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	snap := h.snapshot(r)
	v := h.view(snap)
	rows := h.consumerRows(snap)
	last, err := h.lastActivity(ctx)
	if err != nil {
		h.serverError(w, r, "read consumer activity", err)
		return
	}
	for i := range rows {
		rows[i].LastAt = last[rows[i].Def.Name]
		if rows[i].LastError, err = h.lastError(ctx, rows[i].Def.Name); err != nil {
			h.serverError(w, r, "read consumer errors", err)
			return
		}
	}
	h.render(w, r, http.StatusOK, "consumers", pageData{Title: "Consumers", Nav: "consumers", Session: s, Events: true,
		Live: v.Text, LiveClass: v.Class, Body: consumersView{Rows: rows, SVG: v.SVG}})
}

// lastActivity is each consumer's newest tracked message in 30 days.
func (h *Handler) lastActivity(ctx context.Context) (map[string]time.Time, error) {
	act, err := h.opt.Store.Activity(ctx, h.now().AddDate(0, 0, -30))
	if err != nil {
		return nil, err
	}
	out := map[string]time.Time{}
	for _, a := range act {
		out[a.Consumer] = a.Last
	}
	return out, nil
}

// lastError is the consumer's newest tracked failure (retrying or dead).
func (h *Handler) lastError(ctx context.Context, name string) (*store.TrackRecord, error) {
	var newest *store.TrackRecord
	for _, st := range []string{"dead", "retrying"} {
		recs, err := h.opt.Store.Messages(ctx, store.MessageQuery{Consumer: name, Status: st, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(recs) > 0 && (newest == nil || recs[0].At.After(newest.At)) {
			newest = &recs[0]
		}
	}
	return newest, nil
}

type consumerView struct {
	Row      consumerRow
	Recent   []store.TrackRecord
	Failures []store.TrackRecord
	Topics   []string
	SVG      map[string]string
}

func (h *Handler) consumerDetail(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	name := r.PathValue("name")
	snap := h.snapshot(r)
	rows := h.consumerRows(snap)
	i := slices.IndexFunc(rows, func(r consumerRow) bool { return r.Def.Name == name || r.Def.Workload() == name })
	if i < 0 {
		h.errorPage(w, r, s, http.StatusNotFound, "No such consumer", "There is no consumer named "+name+".")
		return
	}
	v := h.view(snap)
	row := rows[i]
	last, err := h.lastActivity(ctx)
	if err != nil {
		h.serverError(w, r, "read consumer activity", err)
		return
	}
	row.LastAt = last[row.Def.Name]
	if row.LastError, err = h.lastError(ctx, row.Def.Name); err != nil {
		h.serverError(w, r, "read consumer errors", err)
		return
	}
	recent, err := h.opt.Store.Messages(ctx, store.MessageQuery{Consumer: row.Def.Name, Limit: 20})
	if err != nil {
		h.serverError(w, r, "read messages", err)
		return
	}
	var failures []store.TrackRecord
	for _, st := range []string{"dead", "retrying"} {
		f, err := h.opt.Store.Messages(ctx, store.MessageQuery{Consumer: row.Def.Name, Status: st, Limit: 10})
		if err != nil {
			h.serverError(w, r, "read messages", err)
			return
		}
		failures = append(failures, f...)
	}
	slices.SortFunc(failures, func(a, b store.TrackRecord) int { return b.At.Compare(a.At) })
	var topics []string
	for _, st := range row.Def.Streams {
		topics = append(topics, h.opt.Topics.Main(st))
	}
	for _, st := range row.Def.RetryStreams {
		topics = append(topics, h.opt.Topics.Retry(st))
	}
	h.render(w, r, http.StatusOK, "consumer", pageData{Title: row.Def.Workload(), Nav: "consumers", Session: s, Events: true,
		Live: v.Text, LiveClass: v.Class, Body: consumerView{Row: row, Recent: recent, Failures: failures, Topics: topics, SVG: v.SVG}})
}
