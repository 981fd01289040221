package consumer

import (
	"context"
	"time"
)

// Timeout bounds one handler call. A call that runs out of time fails with
// a retryable error (the context's), so slow receivers go to the ladder.
func Timeout(d time.Duration) Middleware {
	return func(next Handler) Handler {
		if d <= 0 {
			return next
		}
		return HandlerFunc(func(ctx context.Context, msgs []*Message) error {
			ctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			return next.Handle(ctx, msgs)
		})
	}
}
