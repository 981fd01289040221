package consumer

import (
	"context"
	"errors"
	"fmt"

	"github.com/imp-health/imp/internal/dispatch"
	"github.com/imp-health/imp/internal/store"
)

// deliverClaim is the claim namespace of one destination: a message
// delivered there is claimed under it, so a retry skips destinations that
// already have it and tries only those that failed.
func deliverClaim(destID string) string { return "deliver:" + destID }

// deliverTo delivers ev for m to each destination that does not have it
// yet, claiming each success. Failures are marked on m (the ladder retries
// them; permanent ones go to the DLQ). It returns how many deliveries were
// made now.
func deliverTo(ctx context.Context, d Deps, m *Message, dests []store.Destination, ev dispatch.Event) int {
	if d.Dispatcher == nil {
		if len(dests) > 0 {
			m.Fail(errors.New("deliveries are configured but no dispatcher runs in this process"))
		}
		return 0
	}
	made := 0
	var errs []error
	for _, dest := range dests {
		done, err := d.Store.Processed(ctx, deliverClaim(dest.ID), []string{m.ID})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if done[m.ID] {
			continue
		}
		if _, err := d.Dispatcher.Deliver(ctx, dest, ev); err != nil {
			errs = append(errs, err)
			continue
		}
		err = d.Store.InTx(ctx, func(tx store.Tx) error {
			_, err := tx.Claim(ctx, deliverClaim(dest.ID), []string{m.ID})
			return err
		})
		if err != nil {
			// Delivered but not recorded: a retry delivers again, which the
			// receiver dedupes by the message id (at-least-once outbound).
			errs = append(errs, fmt.Errorf("record delivery to %s: %w", dest.ID, err))
			continue
		}
		made++
	}
	if len(errs) > 0 {
		err := errors.Join(errs...)
		allPermanent := true
		for _, e := range errs {
			if !IsPermanent(e) {
				allPermanent = false
			}
		}
		if allPermanent {
			err = Permanent(err)
		}
		m.Fail(err)
	}
	return made
}

// owners are the destination owners interested in an order's events.
func owners(customerID, partnerID string) []string {
	var o []string
	if customerID != "" {
		o = append(o, "customer:"+customerID)
	}
	if partnerID != "" {
		o = append(o, "partner:"+partnerID)
	}
	return o
}
