package dashboard

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/consumer"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/stream"
)

// rateBuckets is the overview's window: the last hour in one-minute buckets.
const (
	rateBuckets = 60
	rateBucket  = time.Minute
)

// series is one consumer's outcomes per minute over the last hour; bucket
// i starts at Start + i minutes, the last one is the current minute.
type series struct {
	Start  time.Time
	Total  [rateBuckets]int64
	Failed [rateBuckets]int64
}

func (s *series) sums() (total, failed int64) {
	for i := range rateBuckets {
		total += s.Total[i]
		failed += s.Failed[i]
	}
	return total, failed
}

// perMinute is the mean rate over the last five minutes.
func (s *series) perMinute() float64 {
	var n int64
	for i := rateBuckets - 5; i < rateBuckets; i++ {
		n += s.Total[i]
	}
	return float64(n) / 5
}

// snapshot is what the live pages show: lag, dead letters, rates and
// health at one moment. It holds no PHI, so every role gets the same one.
type snapshot struct {
	At time.Time

	Lag    map[string]broker.GroupLag // by consumer name
	LagErr string

	DLQ       map[string]int // dead letters waiting, by consumer
	DLQStream map[string]int // by stream
	DLQTotal  int
	DLQCapped bool // more than dlqCountLimit: counts are lower bounds

	Rates   map[string]*series // by consumer
	All     *series
	RatesAt time.Time

	Broker, Store, Ready string // "ok" or what failed
}

// dlqCountLimit bounds the dead-letter count query; the store has no
// COUNT, and more than this many waiting is an incident either way.
const dlqCountLimit = 1000

// collect reads a fresh snapshot. Rates (a grouped query over the last
// hour of tracking) are reused from prev when younger than ratesMaxAge.
func (h *Handler) collect(ctx context.Context, prev *snapshot) *snapshot {
	now := h.now()
	s := &snapshot{At: now, Broker: "ok", Store: "ok", Ready: "ok"}
	tctx, cancel := context.WithTimeout(ctx, max(2*h.opt.RefreshInterval, 5*time.Second))
	defer cancel()

	if err := h.opt.Store.Ping(tctx); err != nil {
		s.Store = "unreachable: " + err.Error()
	}
	if h.opt.Admin == nil {
		s.Broker = "not configured"
	} else if _, err := h.opt.Admin.BrokerMetadata(tctx); err != nil {
		s.Broker = "unreachable: " + err.Error()
	}
	if h.opt.Ready != nil {
		if err := h.opt.Ready(tctx); err != nil {
			s.Ready = err.Error()
		}
	}

	s.Lag = map[string]broker.GroupLag{}
	if h.opt.Admin != nil && s.Broker == "ok" {
		lags, err := h.lag(tctx)
		if err != nil {
			s.LagErr = err.Error()
		}
		for name, l := range lags {
			s.Lag[name] = l
		}
	}

	s.DLQ, s.DLQStream = map[string]int{}, map[string]int{}
	if dls, err := h.opt.Store.DeadLetterList(tctx, store.DeadQuery{State: "dead", Limit: dlqCountLimit}); err == nil {
		for _, d := range dls {
			s.DLQ[d.Consumer]++
			s.DLQStream[d.Stream]++
		}
		s.DLQTotal, s.DLQCapped = len(dls), len(dls) >= dlqCountLimit
	}

	ratesMaxAge := max(5*h.opt.RefreshInterval, 10*time.Second)
	if prev != nil && prev.Rates != nil && now.Sub(prev.RatesAt) < ratesMaxAge && now.Truncate(rateBucket).Equal(prev.All.Start.Add((rateBuckets-1)*rateBucket)) {
		s.Rates, s.All, s.RatesAt = prev.Rates, prev.All, prev.RatesAt
	} else {
		s.Rates, s.All = h.rates(tctx, now)
		s.RatesAt = now
	}
	return s
}

// rates reads the last hour's outcomes per consumer into minute buckets.
func (h *Handler) rates(ctx context.Context, now time.Time) (map[string]*series, *series) {
	start := now.Truncate(rateBucket).Add(-(rateBuckets - 1) * rateBucket)
	all := &series{Start: start}
	out := map[string]*series{}
	pts, err := h.opt.Store.Rates(ctx, start, rateBucket)
	if err != nil {
		h.log.Warn("read rates", "err", err)
		return out, all
	}
	for _, p := range pts {
		i := int(p.Start.Sub(start) / rateBucket)
		if i < 0 || i >= rateBuckets {
			continue
		}
		s := out[p.Consumer]
		if s == nil {
			s = &series{Start: start}
			out[p.Consumer] = s
		}
		s.Total[i] += p.Total
		s.Failed[i] += p.Failed
		all.Total[i] += p.Total
		all.Failed[i] += p.Failed
	}
	return out, all
}

// lag reads every definition's group lag on its main and retry topics,
// as App.Lag does (KEDA counts the same partitions).
func (h *Handler) lag(ctx context.Context) (map[string]broker.GroupLag, error) {
	groups := map[string][]string{}
	byGroup := map[string]string{}
	for _, d := range h.defs {
		g := d.Group(h.opt.Topics)
		byGroup[g] = d.Name
		for _, s := range d.Streams {
			groups[g] = append(groups[g], h.opt.Topics.Main(s))
		}
		for _, s := range d.RetryStreams {
			groups[g] = append(groups[g], h.opt.Topics.Retry(s))
		}
	}
	lags, err := broker.Lag(ctx, h.opt.Admin, groups)
	out := map[string]broker.GroupLag{}
	for _, l := range lags {
		out[byGroup[l.Group]] = l
	}
	return out, err
}

// liveView is what the event stream sends and what pages render first:
// element texts by data-live key, state classes by data-live-class key,
// and SVG charts by data-live-svg key.
type liveView struct {
	Text  map[string]string `json:"text"`
	Class map[string]string `json:"class"`
	SVG   map[string]string `json:"svg"`
	At    string            `json:"at"`
}

func healthClass(s string) string {
	if s == "ok" {
		return "ok"
	}
	return "bad"
}

// view turns a snapshot into live values. Keys:
//
//	health:broker|store|ready   "ok" or the failure
//	lag:<consumer>, lag:total   records behind
//	plag:<consumer>:<topic>:<partition>, pmember:...
//	state:<consumer>, members:<consumer>, desired:<consumer>
//	dlq:<consumer>, dlqs:<stream>, dlq:total
//	rate:<consumer>, tput:<consumer>, err:<consumer>, errpct:<consumer> (and :total)
//	spark:<consumer>, chart:total (SVG)
func (h *Handler) view(s *snapshot) liveView {
	v := liveView{Text: map[string]string{}, Class: map[string]string{}, SVG: map[string]string{}, At: s.At.Format("15:04:05")}
	v.Text["updated"] = s.At.Format("15:04:05") + " UTC"
	for k, st := range map[string]string{"broker": s.Broker, "store": s.Store, "ready": s.Ready} {
		label := "OK"
		if st != "ok" {
			label = st
		}
		v.Text["health:"+k] = label
		v.Class["health:"+k] = healthClass(st)
	}
	var lagTotal int64
	streamLag := map[string]int64{}
	for _, st := range stream.All() {
		v.Text["dlqs:"+st.Name] = "0"
		v.Class["dlqs:"+st.Name] = countClass(0)
		if len(s.Lag) > 0 {
			streamLag[st.Name] = 0
		}
	}
	for _, d := range h.defs {
		n := d.Name
		l, ok := s.Lag[n]
		if ok {
			lagTotal += l.Total
			v.Text["lag:"+n] = fmtNum(l.Total)
			v.Text["state:"+n] = orDash(l.State)
			v.Text["members:"+n] = strconv.Itoa(l.Members)
			v.Text["desired:"+n] = strconv.Itoa(consumer.DesiredReplicas(d.Scaling, l.Total, h.mainPartitions(l)))
			v.Class["lag:"+n] = lagClass(d, l.Total)
			v.Class["state:"+n] = stateClass(l.State, h.opt.Enabled[n])
			for _, p := range l.Partitions {
				k := n + ":" + p.Topic + ":" + strconv.Itoa(int(p.Partition))
				v.Text["plag:"+k] = fmtNum(p.Lag)
				v.Text["pend:"+k] = fmtNum(p.End)
				v.Text["pcommit:"+k] = committed(p.Committed)
				v.Text["pmember:"+k] = orDash(p.Member)
				if name, kind, ok := h.opt.Topics.Parse(p.Topic); ok && kind == stream.Main {
					streamLag[name] += p.Lag
				}
			}
		} else {
			v.Text["lag:"+n] = "—"
		}
		v.Text["dlq:"+n] = fmtNum(s.DLQ[n])
		v.Class["dlq:"+n] = countClass(s.DLQ[n])
		sr := s.Rates[n]
		if sr == nil {
			sr = &series{Start: s.All.Start}
		}
		t, f := sr.sums()
		v.Text["tput:"+n] = fmtNum(t)
		v.Text["err:"+n] = fmtNum(f)
		v.Text["errpct:"+n] = fmtPct(f, t)
		v.Class["err:"+n] = countClass(int(f))
		v.Text["rate:"+n] = fmtRate(sr.perMinute())
		v.SVG["spark:"+n] = sparkline(sr, 150, 28)
		v.SVG["keda:"+n] = kedaBar(l.Total, d.Scaling.LagThreshold, max(d.Scaling.MaxReplicas, d.Scaling.Replicas, 1), 120, 10)
	}
	for st, n := range streamLag {
		v.Text["slag:"+st] = fmtNum(n)
	}
	for st, n := range s.DLQStream {
		v.Text["dlqs:"+st] = fmtNum(n)
		v.Class["dlqs:"+st] = countClass(n)
	}
	v.Text["lag:total"] = fmtNum(lagTotal)
	dlq := fmtNum(s.DLQTotal)
	if s.DLQCapped {
		dlq += "+"
	}
	v.Text["dlq:total"] = dlq
	v.Class["dlq:total"] = countClass(s.DLQTotal)
	t, f := s.All.sums()
	v.Text["tput:total"] = fmtNum(t)
	v.Text["err:total"] = fmtNum(f)
	v.Text["errpct:total"] = fmtPct(f, t)
	v.Text["rate:total"] = fmtRate(s.All.perMinute())
	v.SVG["chart:total"] = barChart(s.All, 720, 160)
	return v
}

// mainPartitions is how many partitions KEDA could spread the group over:
// those of its main topics.
func (h *Handler) mainPartitions(l broker.GroupLag) int {
	n := 0
	for _, p := range l.Partitions {
		if _, kind, ok := h.opt.Topics.Parse(p.Topic); ok && kind == stream.Main {
			n++
		}
	}
	return n
}

func committed(c int64) string {
	if c < 0 {
		return "none"
	}
	return fmtNum(c)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func fmtRate(perMin float64) string {
	switch {
	case perMin == 0:
		return "0/min"
	case perMin < 10:
		return strconv.FormatFloat(perMin, 'f', 1, 64) + "/min"
	default:
		return fmtNum(int64(perMin+0.5)) + "/min"
	}
}

func countClass(n int) string {
	if n > 0 {
		return "bad"
	}
	return "muted"
}

// lagClass warns when lag is over the KEDA threshold of the minimum
// replicas (KEDA would scale out), and marks any lag at all.
func lagClass(d consumer.Definition, lag int64) string {
	th := int64(d.Scaling.LagThreshold) * int64(max(1, d.Scaling.Replicas))
	switch {
	case th > 0 && lag > th:
		return "bad"
	case lag > 0:
		return "warn"
	}
	return ""
}

func stateClass(state string, enabled bool) string {
	switch state {
	case "Stable":
		return "ok"
	case "Empty", "Dead", "":
		if enabled {
			return "warn"
		}
		return "muted"
	}
	return "warn"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", one)
	}
	return fmt.Sprintf("%s %s", fmtNum(n), many)
}
