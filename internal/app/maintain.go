package app

import (
	"context"
	"time"

	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/consumer"
	"github.com/imp-health/imp/internal/inventory"
)

// maintain keeps the lag gauges fresh and prunes tracking past its
// retention, in bounded batches, until ctx ends.
func (a *App) maintain(ctx context.Context) {
	lagTick := time.NewTicker(a.Cfg.LagInterval)
	defer lagTick.Stop()
	pruneTick := time.NewTicker(time.Minute)
	defer pruneTick.Stop()
	a.updateLag(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-lagTick.C:
			a.updateLag(ctx)
		case <-pruneTick.C:
			a.prune(ctx)
		}
	}
}

// updateLag sets imp_consumer_lag for every consumer definition.
func (a *App) updateLag(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, a.Cfg.LagInterval)
	defer cancel()
	lags, err := a.Lag(ctx, consumer.All())
	if err != nil {
		if ctx.Err() == nil {
			a.Log.Warn("lag read failed", "err", err)
		}
		return
	}
	for _, l := range lags {
		per := map[string]int64{}
		for _, p := range l.Partitions {
			per[p.Topic] += p.Lag
		}
		for topic, n := range per {
			a.Metrics.Lag.WithLabelValues(l.Definition.Name, topic).Set(float64(n))
		}
	}
}

// ConsumerLag is a definition's group lag.
type ConsumerLag struct {
	Definition consumer.Definition
	broker.GroupLag
}

// Lag reads the lag of defs' groups on their topics.
func (a *App) Lag(ctx context.Context, defs []consumer.Definition) ([]ConsumerLag, error) {
	groups := map[string][]string{}
	byGroup := map[string]consumer.Definition{}
	for _, d := range defs {
		g := d.Group(a.Topics)
		byGroup[g] = d
		for _, s := range d.Streams {
			groups[g] = append(groups[g], a.Topics.Main(s))
		}
		for _, s := range d.RetryStreams {
			groups[g] = append(groups[g], a.Topics.Retry(s))
		}
	}
	lags, err := broker.Lag(ctx, a.Admin, groups)
	if err != nil {
		return nil, err
	}
	out := make([]ConsumerLag, len(lags))
	for i, l := range lags {
		out[i] = ConsumerLag{Definition: byGroup[l.Group], GroupLag: l}
	}
	return out, nil
}

// prune deletes tracking older than the retention, a bounded batch at a
// time, yielding between batches.
func (a *App) prune(ctx context.Context) {
	before := time.Now().Add(-a.Cfg.TrackingRetention)
	for range 100 { // at most 100 batches a minute; the rest waits for the next tick
		n, err := a.Store.Prune(ctx, before, 5000)
		if err != nil {
			if ctx.Err() == nil {
				a.Log.Warn("tracking retention failed", "err", err)
			}
			return
		}
		if n == 0 {
			return
		}
		a.Log.Debug("pruned tracking", "rows", n)
	}
}

// Enabled says which consumers this configuration runs.
func (a *App) Enabled() map[string]bool {
	on := map[string]bool{}
	defs, err := consumer.Select(nil, a.Cfg.Consumers, a.Cfg.DisableConsumers)
	if err != nil {
		return on
	}
	for _, d := range defs {
		on[d.Name] = true
	}
	return on
}

// Inventory reviews every consumer definition.
func (a *App) Inventory(ctx context.Context) ([]inventory.Row, error) {
	return inventory.Build(ctx, inventory.Source{Admin: a.Admin, Store: a.Store, Topics: a.Topics, Enabled: a.Enabled()}, consumer.All())
}
