package consumer

import (
	"context"
)

// Recover turns a panic into a permanent failure of the record that caused
// it, never a crash loop. A batch that panics is re-run one message at a
// time so only the guilty message fails.
func Recover() Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, msgs []*Message) error {
			err, panicked := call(ctx, next, msgs)
			if !panicked {
				return err
			}
			if len(msgs) == 1 {
				msgs[0].Fail(err)
				return nil
			}
			for _, m := range msgs {
				m.err = nil
				one := []*Message{m}
				if err, _ := call(ctx, next, one); err != nil {
					m.Fail(err)
				}
			}
			return nil
		})
	}
}

func call(ctx context.Context, h Handler, msgs []*Message) (err error, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			err, panicked = Permanentf("handler panic: %v", r), true
		}
	}()
	return h.Handle(ctx, msgs), false
}
