// Package inventory answers the seed's cleanup review ("15 deployments
// scaled to 0 — review each: if unused delete, if occasional keep and
// document") for every consumer IMP defines: its state, last activity,
// traffic over 1, 7 and 30 days, lag, and a recommendation.
//
// Traffic is read from the broker (records appended to the consumer's
// topics in each window), so it does not depend on tracking retention.
package inventory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/consumer"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/stream"
)

// Row is one workload.
type Row struct {
	Workload       string    `json:"workload"`
	Consumer       string    `json:"consumer"`
	Doc            string    `json:"doc"`
	Enabled        bool      `json:"enabled"`
	Legacy         bool      `json:"legacy"`
	Streams        []string  `json:"streams"`
	LastActivity   time.Time `json:"last_activity,omitzero"`
	Traffic1d      int64     `json:"traffic_1d"`
	Traffic7d      int64     `json:"traffic_7d"`
	Traffic30d     int64     `json:"traffic_30d"`
	Lag            int64     `json:"lag"`
	Replicas       int       `json:"replicas"`
	MaxReplicas    int       `json:"max_replicas"`
	LagThreshold   int       `json:"lag_threshold"`
	Desired        int       `json:"desired_replicas"`
	Recommendation string    `json:"recommendation"` // keep, scale, enable, delete, review
	Reason         string    `json:"reason"`
}

// Critical consumers should run at least two replicas (the seed's
// resilience recommendation).
var Critical = []string{"lis-orders", "lis-test-result", "lis-test-result-b2b", "lis-test-status"}

// Source is what the inventory reads.
type Source struct {
	Admin  *kadm.Client
	Store  store.Store
	Topics stream.Topics
	// Enabled says which consumers this deployment runs.
	Enabled map[string]bool
	Now     func() time.Time
}

// Build makes the inventory of defs.
func Build(ctx context.Context, src Source, defs []consumer.Definition) ([]Row, error) {
	now := time.Now()
	if src.Now != nil {
		now = src.Now()
	}
	var topics []string
	for _, d := range defs {
		for _, s := range d.Streams {
			topics = append(topics, src.Topics.Main(s))
		}
	}
	ends, err := src.Admin.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("end offsets: %w", err)
	}
	windows := map[int]kadm.ListedOffsets{}
	for _, days := range []int{1, 7, 30} {
		at, err := src.Admin.ListOffsetsAfterMilli(ctx, now.AddDate(0, 0, -days).UnixMilli(), topics...)
		if err != nil {
			return nil, fmt.Errorf("offsets %d days ago: %w", days, err)
		}
		windows[days] = at
	}
	traffic := func(d consumer.Definition, days int) int64 {
		var n int64
		for _, s := range d.Streams {
			t := src.Topics.Main(s)
			ends.Each(func(e kadm.ListedOffset) {
				if e.Topic != t {
					return
				}
				if o, ok := windows[days].Lookup(t, e.Partition); ok && o.Err == nil && o.Offset >= 0 {
					n += max(0, e.Offset-o.Offset)
				}
			})
		}
		return n
	}
	groups := map[string][]string{}
	for _, d := range defs {
		g := d.Group(src.Topics)
		for _, s := range d.Streams {
			groups[g] = append(groups[g], src.Topics.Main(s))
		}
		for _, s := range d.RetryStreams {
			groups[g] = append(groups[g], src.Topics.Retry(s))
		}
	}
	lags, err := broker.Lag(ctx, src.Admin, groups)
	if err != nil {
		return nil, err
	}
	lagOf := map[string]broker.GroupLag{}
	for _, l := range lags {
		lagOf[l.Group] = l
	}
	activity, err := src.Store.Activity(ctx, now.AddDate(0, 0, -30))
	if err != nil {
		return nil, err
	}
	last := map[string]time.Time{}
	for _, a := range activity {
		last[a.Consumer] = a.Last
	}
	rows := make([]Row, 0, len(defs))
	for _, d := range defs {
		gl := lagOf[d.Group(src.Topics)]
		r := Row{
			Workload: d.Workload(), Consumer: d.Name, Doc: d.Doc, Enabled: src.Enabled[d.Name], Legacy: d.Legacy,
			Streams: d.Streams, LastActivity: last[d.Name], Lag: gl.Total,
			Traffic1d: traffic(d, 1), Traffic7d: traffic(d, 7), Traffic30d: traffic(d, 30),
			Replicas: d.Scaling.Replicas, MaxReplicas: d.Scaling.MaxReplicas, LagThreshold: d.Scaling.LagThreshold,
		}
		kedaLag, kedaParts := d.KEDAView(src.Topics, gl.Partitions)
		r.Desired = consumer.DesiredReplicas(d.Scaling, kedaLag, kedaParts)
		r.Recommendation, r.Reason = recommend(r)
		rows = append(rows, r)
	}
	return rows, nil
}

// recommend applies the seed's review rules.
func recommend(r Row) (string, string) {
	switch {
	case !r.Enabled && r.Traffic30d == 0 && r.Lag == 0:
		return "delete", "disabled, no records in 30 days and none waiting"
	case !r.Enabled:
		return "enable", fmt.Sprintf("disabled, but %d records arrived in 30 days and %d are waiting: enable it or re-route the sender", r.Traffic30d, r.Lag)
	case r.Traffic30d == 0 && r.Lag == 0:
		return "review", "enabled but idle for 30 days: scale to zero if the feed is seasonal, else delete"
	case r.LagThreshold > 0 && r.Desired > max(1, r.Replicas):
		return "scale", fmt.Sprintf("lag %d over threshold %d: KEDA wants %d replicas", r.Lag, r.LagThreshold, r.Desired)
	case slices.Contains(Critical, r.Consumer) && r.Replicas < 2:
		return "scale", "critical consumer on one replica: run at least 2 for resilience"
	default:
		return "keep", "in use"
	}
}
