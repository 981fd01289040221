package inventory

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/imp-health/imp/internal/consumer"
	"github.com/imp-health/imp/internal/store/sqlite"
	"github.com/imp-health/imp/internal/stream"
)

func TestRecommend(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		r    Row
		want string
	}{
		{"disabled and silent", Row{}, "delete"},
		{"disabled with traffic", Row{Traffic30d: 4}, "enable"},
		{"disabled with waiting records", Row{Lag: 2}, "enable"},
		{"enabled and idle", Row{Enabled: true, Replicas: 1}, "review"},
		{"lag over threshold", Row{Enabled: true, Traffic30d: 9, Lag: 90, Replicas: 1, MaxReplicas: 3, LagThreshold: 20, Desired: 3}, "scale"},
		{"critical on one replica", Row{Consumer: "lis-orders", Enabled: true, Traffic30d: 9, Replicas: 1}, "scale"},
		{"in use", Row{Consumer: "customer", Enabled: true, Traffic1d: 5, Traffic30d: 9, Replicas: 1}, "keep"},
	}
	for _, tc := range cases {
		if got, why := recommend(tc.r); got != tc.want || why == "" {
			t.Errorf("%s: %s (%s), want %s", tc.name, got, why, tc.want)
		}
	}
}

// TestBuildCountsTraffic puts records on a legacy stream and on customer,
// and checks the rows' traffic, lag and recommendations.
func TestBuildCountsTraffic(t *testing.T) {
	t.Parallel()
	topics := stream.Topics{Prefix: "inv."}
	var names []string
	for _, s := range stream.All() {
		names = append(names, topics.Main(s.Name), topics.Retry(s.Name))
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, names...))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	for range 3 {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topics.Main("orders"), Value: []byte("{}")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topics.Main(stream.Customer), Value: []byte("{}")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "imp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := Build(ctx, Source{Admin: kadm.NewClient(cl), Store: st, Topics: topics,
		Enabled: map[string]bool{"customer": true}, Now: time.Now}, consumer.All())
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]Row{}
	for _, r := range rows {
		by[r.Consumer] = r
	}
	if r := by["orders"]; r.Traffic30d != 3 || r.Lag != 3 || r.Recommendation != "enable" || r.Workload != "consumer-orders" {
		t.Fatalf("legacy orders = %+v", r)
	}
	if r := by["worker-pdf"]; r.Recommendation != "delete" || r.Workload != "worker-pdf" {
		t.Fatalf("worker-pdf = %+v", r)
	}
	if r := by["customer"]; !r.Enabled || r.Traffic1d != 1 || r.Recommendation != "keep" {
		t.Fatalf("customer = %+v", r)
	}
	if len(rows) != len(consumer.All()) {
		t.Fatalf("%d rows for %d consumers", len(rows), len(consumer.All()))
	}
}
