package delivery

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// orDiscard returns l, or a logger that drops everything.
func orDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// Outcomes as logged.
const (
	outcomeDelivered = "delivered"
	outcomeRetryable = "retryable"
	outcomePermanent = "permanent"
)

// outcome names err's class.
func outcome(err error) string {
	switch {
	case err == nil:
		return outcomeDelivered
	case IsPermanent(err):
		return outcomePermanent
	default:
		return outcomeRetryable
	}
}

// logDelivery writes the one line every delivery logs. Only ids, names,
// hosts, codes and timings go in; err texts are built PHI-free by the
// connectors (see redact).
func logDelivery(ctx context.Context, l *slog.Logger, connector string, to Destination, m Message, r Receipt, start time.Time, err error, extra ...slog.Attr) {
	level := slog.LevelInfo
	if err != nil {
		level = slog.LevelWarn
	}
	if !l.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 10+len(extra))
	attrs = append(attrs,
		slog.String("connector", connector),
		slog.String("msg_id", m.ID),
		slog.String("kind", m.Kind),
		slog.Any("destination", to),
		slog.String("outcome", outcome(err)),
		slog.Duration("latency", time.Since(start)),
	)
	if r.StatusCode != 0 {
		attrs = append(attrs, slog.Int("status", r.StatusCode))
	}
	if r.AckCode != "" {
		attrs = append(attrs, slog.String("ack", r.AckCode))
	}
	attrs = append(attrs, extra...)
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
		if errors.Is(err, context.DeadlineExceeded) {
			attrs = append(attrs, slog.Bool("timeout", true))
		}
	}
	l.LogAttrs(ctx, level, "delivery", attrs...)
}
