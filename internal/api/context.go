package api

import (
	"context"

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
