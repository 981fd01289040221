package api

import (
	"context"
	"log/slog"

	"github.com/imp-health/imp/internal/auth"
)

type ctxKey int

const (
	keyCorrelation ctxKey = iota
	keyPrincipal
)

func correlationID(ctx context.Context) string {
	s, _ := ctx.Value(keyCorrelation).(string)
	return s
}

func principal(ctx context.Context) auth.Principal {
	p, _ := ctx.Value(keyPrincipal).(auth.Principal)
	return p
}

// correlated adds the request's correlation id to every record logged
// with its context.
type correlated struct{ h slog.Handler }

func (c correlated) Enabled(ctx context.Context, l slog.Level) bool { return c.h.Enabled(ctx, l) }

func (c correlated) Handle(ctx context.Context, r slog.Record) error {
	if cid := correlationID(ctx); cid != "" {
		r.AddAttrs(slog.String("correlation_id", cid))
	}
	return c.h.Handle(ctx, r)
}

func (c correlated) WithAttrs(as []slog.Attr) slog.Handler { return correlated{c.h.WithAttrs(as)} }
func (c correlated) WithGroup(name string) slog.Handler    { return correlated{c.h.WithGroup(name)} }
