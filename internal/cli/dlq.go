package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/imp-health/imp/internal/app"
	"github.com/imp-health/imp/internal/consumer"
	"github.com/imp-health/imp/internal/inventory"
	"github.com/imp-health/imp/internal/store"
)

// deadFilter is the flags shared by dlq, repush and discard.
type deadFilter struct {
	ids                                      []string
	stream, consumerName, class, order, cust string
	since, until                             string
	limit                                    int
}

func (f *deadFilter) flags(c *cobra.Command) {
	c.Flags().StringSliceVar(&f.ids, "id", nil, "message id (repeatable)")
	c.Flags().StringVar(&f.stream, "stream", "", "stream, e.g. lis-orders")
	c.Flags().StringVar(&f.consumerName, "consumer", "", "consumer that dead-lettered it")
	c.Flags().StringVar(&f.class, "error-class", "", "permanent or retryable")
	c.Flags().StringVar(&f.order, "order", "", "order accession number")
	c.Flags().StringVar(&f.cust, "customer", "", "customer id")
	c.Flags().StringVar(&f.since, "since", "", "dead since (RFC 3339 or a duration ago, e.g. 2h)")
	c.Flags().StringVar(&f.until, "until", "", "dead before (RFC 3339 or a duration ago)")
	c.Flags().IntVar(&f.limit, "limit", 1000, "at most this many")
}

func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, fmt.Errorf("%q is neither RFC 3339 nor a duration", s)
	}
	return t, nil
}

// select lists the matching dead letters; ids are looked up one by one.
func (f *deadFilter) list(ctx context.Context, st store.Store, state string) ([]store.DeadLetter, error) {
	now := time.Now()
	from, err := parseWhen(f.since, now)
	if err != nil {
		return nil, fmt.Errorf("--since: %w", err)
	}
	to, err := parseWhen(f.until, now)
	if err != nil {
		return nil, fmt.Errorf("--until: %w", err)
	}
	q := store.DeadQuery{Stream: f.stream, Consumer: f.consumerName, ErrorClass: f.class, Order: f.order,
		Customer: f.cust, From: from, To: to, Limit: f.limit, State: state}
	if len(f.ids) == 0 {
		return st.DeadLetterList(ctx, q)
	}
	var out []store.DeadLetter
	for _, id := range f.ids {
		q.MessageID = id
		ds, err := st.DeadLetterList(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	return out, nil
}

func (f *deadFilter) empty() bool {
	return len(f.ids) == 0 && f.stream == "" && f.consumerName == "" && f.class == "" && f.order == "" &&
		f.cust == "" && f.since == "" && f.until == ""
}

func printDead(e *env, ds []store.DeadLetter) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MESSAGE ID\tCONSUMER\tSTREAM\tCLASS\tATTEMPTS\tDEAD AT\tSTATE\tKEYS\tERROR")
	for _, d := range ds {
		var keys []string
		for k, v := range d.Keys {
			keys = append(keys, k+"="+v)
		}
		errText := d.Error
		if len(errText) > 80 {
			errText = errText[:77] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", d.MessageID, d.Consumer, d.Stream, d.ErrorClass, d.Attempts,
			d.DeadAt.Format(time.RFC3339), d.State, strings.Join(keys, ","), errText)
	}
	return tw.Flush()
}

func actorName() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if h, err := os.Hostname(); err == nil {
		name += "@" + h
	}
	return "cli:" + name
}

func dlqCmd(e *env) *cobra.Command {
	var f deadFilter
	var state string
	c := &cobra.Command{
		Use:   "dlq",
		Short: "List dead letters (filters: --stream, --consumer, --error-class, --order, --customer, --since, --until, --id)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, e, func(st store.Store) error {
				ds, err := f.list(cmd.Context(), st, state)
				if err != nil {
					return err
				}
				return printDead(e, ds)
			})
		},
	}
	f.flags(c)
	c.Flags().StringVar(&state, "state", "dead", "dead, repushed, discarded or any")
	return c
}

func repushCmd(e *env) *cobra.Command {
	return actionCmd(e, "repush", "Move dead letters back to their stream (records who did it)",
		func(ctx context.Context, op *consumer.Operator, ds []store.DeadLetter, actor string) (int, error) {
			return op.Repush(ctx, ds, actor)
		})
}

func discardCmd(e *env) *cobra.Command {
	return actionCmd(e, "discard", "Mark dead letters discarded (records who did it)",
		func(ctx context.Context, op *consumer.Operator, ds []store.DeadLetter, actor string) (int, error) {
			return op.Discard(ctx, ds, actor)
		})
}

func actionCmd(e *env, use, short string, do func(context.Context, *consumer.Operator, []store.DeadLetter, string) (int, error)) *cobra.Command {
	var f deadFilter
	var dry bool
	var actor string
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.empty() {
				return errors.New("give at least one filter (--id, --stream, --consumer, --error-class, --order, --customer, --since, --until)")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Minute)
			defer cancel()
			a, err := app.Open(ctx, e.cfg, e.log)
			if err != nil {
				return err
			}
			defer a.Close()
			ds, err := f.list(ctx, a.Store, "dead")
			if err != nil {
				return err
			}
			if dry || len(ds) == 0 {
				fmt.Fprintf(e.stdout, "%d dead letters match%s\n", len(ds), map[bool]string{true: " (dry run)", false: ""}[dry])
				return printDead(e, ds)
			}
			if actor == "" {
				actor = actorName()
			}
			n, err := do(ctx, a.Operator(), ds, actor)
			fmt.Fprintf(e.stdout, "%s: %d of %d by %s\n", use, n, len(ds), actor)
			return err
		},
	}
	f.flags(c)
	c.Flags().BoolVar(&dry, "dry-run", false, "only list what would be affected")
	c.Flags().StringVar(&actor, "actor", "", "who is acting (default cli:user@host)")
	return c
}

func messagesCmd(e *env) *cobra.Command {
	var q store.MessageQuery
	var since string
	var asJSON bool
	c := &cobra.Command{
		Use:   "messages [MESSAGE-ID]",
		Short: "Search message tracking (by id, --order, --customer, --test, --stream, --status) or show one message's timeline",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, e, func(st store.Store) error {
				if len(args) == 1 {
					tl, err := st.Timeline(cmd.Context(), args[0])
					if err != nil {
						return err
					}
					if len(tl) == 0 {
						return fmt.Errorf("message %s: %w", args[0], store.ErrNotFound)
					}
					tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "AT\tCONSUMER\tSTATUS\tATTEMPT\tACTOR\tERROR")
					for _, ev := range tl {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", ev.At.Format(time.RFC3339Nano), ev.Consumer, ev.Status, ev.Attempt, ev.Actor, ev.Error)
					}
					return tw.Flush()
				}
				from, err := parseWhen(since, time.Now())
				if err != nil {
					return fmt.Errorf("--since: %w", err)
				}
				q.From = from
				rs, err := st.Messages(cmd.Context(), q)
				if err != nil {
					return err
				}
				if asJSON {
					return json.NewEncoder(e.stdout).Encode(rs)
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "MESSAGE ID\tCONSUMER\tSTREAM\tSTATUS\tATTEMPT\tUPDATED\tNOTE")
				for _, r := range rs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.MessageID, r.Consumer, r.Stream, r.Status, r.Attempt, r.At.Format(time.RFC3339), r.Note)
				}
				return tw.Flush()
			})
		},
	}
	c.Flags().StringVar(&q.Order, "order", "", "order accession number")
	c.Flags().StringVar(&q.Customer, "customer", "", "customer id")
	c.Flags().StringVar(&q.Test, "test", "", "test code")
	c.Flags().StringVar(&q.Stream, "stream", "", "stream")
	c.Flags().StringVar(&q.Consumer, "consumer", "", "consumer")
	c.Flags().StringVar(&q.Status, "status", "", "processed, duplicate, retrying, dead, repushed, discarded")
	c.Flags().StringVar(&since, "since", "", "updated since (RFC 3339 or a duration ago)")
	c.Flags().IntVar(&q.Limit, "limit", 100, "at most this many")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func inventoryCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "inventory",
		Short: "Review every consumer of the seed: state, last activity, 1/7/30-day traffic, lag, recommendation",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
			defer cancel()
			a, err := app.Open(ctx, e.cfg, e.log)
			if err != nil {
				return err
			}
			defer a.Close()
			rows, err := a.Inventory(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(e.stdout).Encode(rows)
			}
			return printInventory(e, rows)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func printInventory(e *env, rows []inventory.Row) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKLOAD\tSTATE\tLAST ACTIVITY\t1D\t7D\t30D\tLAG\tREPLICAS\tRECOMMENDATION\tWHY")
	for _, r := range rows {
		state := "enabled"
		if !r.Enabled {
			state = "disabled"
		}
		last := "-"
		if !r.LastActivity.IsZero() {
			last = r.LastActivity.Format(time.RFC3339)
		}
		reps := fmt.Sprint(r.Replicas)
		if r.MaxReplicas > r.Replicas {
			reps = fmt.Sprintf("%d-%d", r.Replicas, r.MaxReplicas)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", r.Workload, state, last, r.Traffic1d, r.Traffic7d, r.Traffic30d,
			r.Lag, reps, r.Recommendation, r.Reason)
	}
	return tw.Flush()
}
