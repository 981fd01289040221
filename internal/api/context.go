package api

import (
	"context"
	"log/slog"

	"github.com/imp-health/imp/internal/auth"
)

type ctxKey int

const keyState ctxKey = 0

// reqState is what the server knows about a request beyond net/http's:
// its correlation id and, once authenticated, its client.
type reqState struct {
	cid string
	p   auth.Principal
	sw  statusWriter
}

func state(ctx context.Context) *reqState {
	st, _ := ctx.Value(keyState).(*reqState)
	if st == nil {
		return &reqState{}
	}
	return st
}

func correlationID(ctx context.Context) string { return state(ctx).cid }

func principal(ctx context.Context) auth.Principal { return state(ctx).p }

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
