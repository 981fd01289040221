package dashboard

import (
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/imp-health/imp/internal/store"
)

// Jobs are the messages of the job consumers (worker, worker-order), read
// from tracking only, so the page works whatever job kinds run there.

type jobRow struct {
	store.TrackRecord
	Kind string
}

// Retries is how many times the job failed before its current state.
func (j jobRow) Retries() int { return j.Attempt }

type jobsView struct {
	Consumer, Status, Kind string
	Consumers              []string
	Statuses               []string
	Kinds                  []string
	Rows                   []jobRow
	ByStatus               []countRow
	ByKind                 []countRow
}

type countRow struct {
	Name  string
	Count int
}

// jobKind names a job's kind from what tracking keeps: a "kind" or "job"
// business key, or a note of the form "kind: ..." / "kind=..." / the
// note's first word before a colon.
func jobKind(r store.TrackRecord) string {
	for _, k := range []string{"kind", "job", "type"} {
		if v := r.Keys[k]; v != "" {
			return v
		}
	}
	note := strings.TrimSpace(r.Note)
	for _, p := range []string{"kind=", "kind: ", "job="} {
		if rest, ok := strings.CutPrefix(note, p); ok {
			return firstWord(rest)
		}
	}
	if head, _, ok := strings.Cut(note, ":"); ok && !strings.Contains(head, " ") && head != "" {
		return head
	}
	return "unknown"
}

func firstWord(s string) string {
	if i := strings.IndexAny(s, " ;,"); i >= 0 {
		return s[:i]
	}
	return s
}

func (h *Handler) jobs(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	v := jobsView{Consumer: q.Get("consumer"), Status: q.Get("status"), Kind: q.Get("kind"),
		Consumers: jobConsumers, Statuses: trackStatuses}
	consumers := jobConsumers
	if slices.Contains(jobConsumers, v.Consumer) {
		consumers = []string{v.Consumer}
	}
	var all []jobRow
	for _, c := range consumers {
		recs, err := h.opt.Store.Messages(r.Context(), store.MessageQuery{Consumer: c, Status: v.Status, Limit: 500})
		if err != nil {
			h.serverError(w, r, "read jobs", err)
			return
		}
		for _, rec := range recs {
			all = append(all, jobRow{TrackRecord: rec, Kind: jobKind(rec)})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].At.After(all[j].At) })
	kinds, statuses := map[string]int{}, map[string]int{}
	for _, j := range all {
		kinds[j.Kind]++
		if v.Kind == "" || j.Kind == v.Kind {
			statuses[j.Status]++
			v.Rows = append(v.Rows, j)
		}
	}
	for k := range kinds {
		v.Kinds = append(v.Kinds, k)
	}
	sort.Strings(v.Kinds)
	for _, k := range v.Kinds {
		v.ByKind = append(v.ByKind, countRow{k, kinds[k]})
	}
	for _, st := range trackStatuses {
		if statuses[st] > 0 {
			v.ByStatus = append(v.ByStatus, countRow{st, statuses[st]})
		}
	}
	if len(v.Rows) > 200 {
		v.Rows = v.Rows[:200]
	}
	h.render(w, r, http.StatusOK, "jobs", pageData{Title: "Jobs", Nav: "jobs", Session: s, Body: v})
}
