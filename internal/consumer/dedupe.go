package consumer

import (
	"context"

	"github.com/imp-health/imp/internal/store"
)

// TxHandler applies a batch's effects inside a store transaction.
type TxHandler interface {
	HandleTx(ctx context.Context, tx store.Tx, msgs []*Message) error
}

// TxHandlerFunc adapts a function to TxHandler.
type TxHandlerFunc func(ctx context.Context, tx store.Tx, msgs []*Message) error

// HandleTx calls f.
func (f TxHandlerFunc) HandleTx(ctx context.Context, tx store.Tx, msgs []*Message) error {
	return f(ctx, tx, msgs)
}

// Dedupe runs h in one transaction that also claims each message id for
// consumer: a message processed before is skipped (marked Duplicate), and a
// message h fails is unclaimed again, all in the same transaction as the
// effects. This is what makes effects in IMP's store happen once.
func Dedupe(st store.Store, consumer string, h TxHandler) Handler {
	return HandlerFunc(func(ctx context.Context, msgs []*Message) error {
		return st.InTx(ctx, func(tx store.Tx) error {
			ids := make([]string, len(msgs))
			for i, m := range msgs {
				ids[i] = m.ID
				m.duplicate = false // a rolled-back earlier try decided nothing
			}
			fresh, err := tx.Claim(ctx, consumer, ids)
			if err != nil {
				return err
			}
			todo := make([]*Message, 0, len(fresh))
			seen := make(map[string]bool, len(fresh))
			for _, m := range msgs {
				// A batch can hold the same id twice (a redelivered retry
				// beside its original): only the first copy runs.
				if fresh[m.ID] && !seen[m.ID] {
					seen[m.ID] = true
					todo = append(todo, m)
				} else {
					m.duplicate = true
				}
			}
			if len(todo) == 0 {
				return nil
			}
			if err := h.HandleTx(ctx, tx, todo); err != nil {
				return err
			}
			var failed []string
			for _, m := range todo {
				if m.err != nil {
					failed = append(failed, m.ID)
				}
			}
			if len(failed) > 0 {
				return tx.Unclaim(ctx, consumer, failed)
			}
			return nil
		})
	})
}
