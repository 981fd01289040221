package consumer

import (
	"context"
	"time"
)

// RetryInPlace retries retryable failures a few times with a short backoff
// before the runner sends them up the retry ladder: most failures (a lock
// timeout, a dropped connection) are over within a second, and an in-place
// retry keeps the record's place in its partition.
func RetryInPlace(attempts int, backoff time.Duration) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, msgs []*Message) error {
			todo := msgs
			for try := 0; ; try++ {
				err := next.Handle(ctx, todo)
				if err != nil {
					failAll(todo, err)
				}
				var again []*Message
				for _, m := range todo {
					if _, deferred := deferredUntil(m.err); m.err != nil && !IsPermanent(m.err) && !deferred {
						again = append(again, m)
					}
				}
				if len(again) == 0 || try+1 >= attempts {
					return nil
				}
				select {
				case <-ctx.Done():
					return nil // failures stay marked; the ladder takes them
				case <-time.After(backoff << try):
				}
				for _, m := range again {
					m.err = nil
				}
				todo = again
			}
		})
	}
}
