package ingest

import (
	"context"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/lab"
)

// TierLookup reads customers' tiers from the master.
type TierLookup interface {
	CustomerTiers(ctx context.Context, ids []string) (map[string]lab.Tier, error)
}

// Tiers caches customer tiers for routing at ingress. A tier change in
// the master reaches routing within ttl; unknown customers are cached
// briefly so a flood for a new customer does not hammer the store, yet
// its first master record is picked up quickly.
type Tiers struct {
	src         TierLookup
	ttl, negTTL time.Duration
	now         func() time.Time

	mu     sync.Mutex
	cache  map[string]tierEntry
	flight map[string]*tierCall // lookups in progress, shared by concurrent callers
}

// tierCall is one store lookup that concurrent callers of the same
// customer wait on: when an entry expires under load, every request for
// that customer would otherwise query the store at once (that stampede was
// the API's p99, docs/benchmarks.md).
type tierCall struct {
	done  chan struct{}
	tier  lab.Tier
	known bool
}

type tierEntry struct {
	tier  lab.Tier
	known bool
	at    time.Time
}

// NewTiers caches src.
func NewTiers(src TierLookup, ttl time.Duration) *Tiers {
	return &Tiers{src: src, ttl: ttl, negTTL: min(ttl, 5*time.Second), now: time.Now, cache: map[string]tierEntry{}, flight: map[string]*tierCall{}}
}

// Lookup returns a customer's tier; a store error routes as unknown (the
// general stream) rather than refusing the result: routing is a priority
// hint, losing the result would be worse.
func (t *Tiers) Lookup(ctx context.Context, id string) (lab.Tier, bool) {
	now := t.now()
	t.mu.Lock()
	e, ok := t.cache[id]
	if ok {
		ttl := t.ttl
		if !e.known {
			ttl = t.negTTL
		}
		if now.Sub(e.at) < ttl {
			t.mu.Unlock()
			return e.tier, e.known
		}
	}
	if c, ok := t.flight[id]; ok {
		t.mu.Unlock()
		select {
		case <-c.done:
			return c.tier, c.known
		case <-ctx.Done():
			return lab.TierGeneral, false
		}
	}
	c := &tierCall{done: make(chan struct{})}
	t.flight[id] = c
	t.mu.Unlock()
	// The shared call must not fail because its first caller went away.
	if m, err := t.src.CustomerTiers(context.WithoutCancel(ctx), []string{id}); err == nil {
		c.tier, c.known = m[id]
	}
	t.mu.Lock()
	delete(t.flight, id)
	if len(t.cache) > 100_000 {
		clear(t.cache)
	}
	// A failed lookup routes as unknown and is cached briefly, like one.
	t.cache[id] = tierEntry{tier: c.tier, known: c.known, at: now}
	t.mu.Unlock()
	close(c.done)
	if !c.known {
		return lab.TierGeneral, false
	}
	return c.tier, true
}

// RouteResult decides a result's stream: an explicit tier in the record
// wins, then the customer master's, and an unknown customer goes to the
// general stream. The decision travels in record headers.
func (t *Tiers) RouteResult(ctx context.Context, r *lab.Result) (streamName string, headers []kgo.RecordHeader) {
	tier, reason := lab.RouteResult(r.Tier, func(id string) (lab.Tier, bool) { return t.Lookup(ctx, id) }, r.CustomerID)
	return lab.ResultStreamFor(tier), []kgo.RecordHeader{
		{Key: broker.HeaderRouteTier, Value: []byte(tier)},
		{Key: broker.HeaderRouteReason, Value: []byte(reason)},
	}
}
