package ingest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/lab"
)

type fakeTiers struct {
	calls atomic.Int32
	tiers map[string]lab.Tier
	err   error
	delay time.Duration
}

func (f *fakeTiers) CustomerTiers(_ context.Context, ids []string) (map[string]lab.Tier, error) {
	f.calls.Add(1)
	time.Sleep(f.delay)
	if f.err != nil {
		return nil, f.err
	}
	out := map[string]lab.Tier{}
	for _, id := range ids {
		if t, ok := f.tiers[id]; ok {
			out[id] = t
		}
	}
	return out, nil
}

func TestRouteResult(t *testing.T) {
	t.Parallel()
	src := &fakeTiers{tiers: map[string]lab.Tier{"VIP": lab.TierSVIP1, "ACME": lab.TierB2B}}
	tiers := NewTiers(src, time.Minute)
	cases := []struct {
		r      lab.Result
		stream string
		reason lab.RouteReason
	}{
		{lab.Result{CustomerID: "VIP"}, "lis-test-result-svip1", lab.RouteCustomerMaster},
		{lab.Result{CustomerID: "VIP", Tier: lab.TierCorp}, "lis-test-result-corp", lab.RouteExplicit},
		{lab.Result{CustomerID: "nobody"}, "lis-test-result", lab.RouteUnknownCustomer},
		{lab.Result{}, "lis-test-result", lab.RouteNoCustomer},
	}
	for _, tc := range cases {
		s, hs := tiers.RouteResult(context.Background(), &tc.r)
		got := map[string]string{}
		for _, h := range hs {
			got[h.Key] = string(h.Value)
		}
		if s != tc.stream || got[broker.HeaderRouteReason] != string(tc.reason) {
			t.Errorf("%+v routed to %s (%v), want %s (%s)", tc.r, s, got, tc.stream, tc.reason)
		}
	}
}

func TestTierLookupsAreCachedAndShared(t *testing.T) {
	t.Parallel()
	src := &fakeTiers{tiers: map[string]lab.Tier{"C": lab.TierCorp}, delay: 50 * time.Millisecond}
	tiers := NewTiers(src, time.Minute)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if tier, ok := tiers.Lookup(context.Background(), "C"); !ok || tier != lab.TierCorp {
				t.Errorf("lookup = %s %v", tier, ok)
			}
		})
	}
	wg.Wait()
	if n := src.calls.Load(); n != 1 {
		t.Fatalf("20 concurrent lookups made %d store queries, want 1", n)
	}
	tiers.Lookup(context.Background(), "C")
	if n := src.calls.Load(); n != 1 {
		t.Fatalf("a cached tier was looked up again (%d queries)", n)
	}
	// Unknown customers are cached only briefly.
	now := time.Now()
	tiers.now = func() time.Time { return now }
	tiers.Lookup(context.Background(), "new")
	tiers.now = func() time.Time { return now.Add(6 * time.Second) }
	tiers.Lookup(context.Background(), "new")
	if n := src.calls.Load(); n != 3 {
		t.Fatalf("unknown customer looked up %d times in total, want it re-read after 5 s", n)
	}
}

func TestTierStoreErrorRoutesGeneral(t *testing.T) {
	t.Parallel()
	tiers := NewTiers(&fakeTiers{err: errors.New("db down")}, time.Minute)
	if s, _ := tiers.RouteResult(context.Background(), &lab.Result{CustomerID: "VIP"}); s != "lis-test-result" {
		t.Fatalf("a store error routed to %s; a result is never refused for routing", s)
	}
}
