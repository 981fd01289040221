package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/imp-health/imp/internal/app"
	"github.com/imp-health/imp/internal/delivery"
	"github.com/imp-health/imp/internal/store"
)

func destinationsCmd(e *env) *cobra.Command {
	c := &cobra.Command{Use: "destinations", Short: "Manage where results, statuses and reports are delivered (per partner or customer)"}
	var d store.Destination
	var to delivery.Destination
	var events []string
	var timeout time.Duration
	var disabled bool
	add := &cobra.Command{
		Use:   "add",
		Short: "Add or replace a destination",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if d.ID == "" || d.Owner == "" || to.Connector == "" {
				return errors.New("--id, --owner and --connector are required")
			}
			if d.Owner != "*" && !strings.HasPrefix(d.Owner, "partner:") && !strings.HasPrefix(d.Owner, "customer:") {
				return errors.New("--owner must be partner:<id>, customer:<id> or *")
			}
			for _, ev := range events {
				if ev != "result" && ev != "status" && ev != "report" {
					return fmt.Errorf("--events: unknown event %q (result, status, report)", ev)
				}
			}
			switch d.Format {
			case "json", "hl7", "fhir":
			default:
				return fmt.Errorf("--format must be json, hl7 or fhir")
			}
			to.Timeout = delivery.Duration(timeout)
			conn, err := json.Marshal(to)
			if err != nil {
				return err
			}
			d.Events, d.Connector, d.Enabled, d.CreatedAt = events, conn, !disabled, time.Now().UTC()
			st, err := app.OpenStore(cmd.Context(), e.cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.PutDestination(cmd.Context(), d); err != nil {
				return err
			}
			_ = st.AddAudit(cmd.Context(), store.AuditEntry{Actor: actorName(), Action: "destination.put", Target: d.ID,
				Detail: "owner=" + d.Owner + " connector=" + to.Connector, At: time.Now().UTC()})
			fmt.Fprintf(e.stdout, "destination %s: %s events %s as %s via %s\n", d.ID, d.Owner, strings.Join(events, ","), d.Format, to)
			return nil
		},
	}
	add.Flags().StringVar(&d.ID, "id", "", "destination id")
	add.Flags().StringVar(&d.Owner, "owner", "", "partner:<id>, customer:<id> or * (everyone)")
	add.Flags().StringSliceVar(&events, "events", []string{"result"}, "events: result, status, report")
	add.Flags().StringVar(&d.Format, "format", "json", "json, hl7 (ORU^R01) or fhir (R4 Bundle)")
	add.Flags().StringVar(&to.Connector, "connector", "", "webhook, mllp, email, sms or file")
	add.Flags().StringVar(&to.URL, "url", "", "webhook URL")
	add.Flags().StringVar(&to.Secret, "secret", "", "webhook HMAC secret")
	add.Flags().StringVar(&to.Addr, "addr", "", "MLLP host:port")
	add.Flags().BoolVar(&to.TLS, "tls", false, "MLLP over TLS")
	add.Flags().StringSliceVar(&to.Email, "email", nil, "email recipients")
	add.Flags().StringVar(&to.Phone, "phone", "", "SMS recipient")
	add.Flags().StringVar(&to.Dir, "dir", "", "file drop directory")
	add.Flags().DurationVar(&timeout, "timeout", 0, "delivery timeout (default per connector)")
	add.Flags().BoolVar(&disabled, "disabled", false, "add it disabled")

	list := &cobra.Command{
		Use:   "list",
		Short: "List destinations (secrets are not shown)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, e, func(st store.Store) error {
				ds, err := st.ListDestinations(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tOWNER\tEVENTS\tFORMAT\tCONNECTOR\tENABLED")
				for _, d := range ds {
					var to delivery.Destination
					_ = json.Unmarshal(d.Connector, &to)
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\n", d.ID, d.Owner, strings.Join(d.Events, ","), d.Format, to, d.Enabled)
				}
				return tw.Flush()
			})
		},
	}
	rm := &cobra.Command{
		Use:   "rm ID",
		Short: "Remove a destination",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, e, func(st store.Store) error {
				if err := st.DeleteDestination(cmd.Context(), args[0]); err != nil {
					return err
				}
				_ = st.AddAudit(cmd.Context(), store.AuditEntry{Actor: actorName(), Action: "destination.delete", Target: args[0], At: time.Now().UTC()})
				fmt.Fprintf(e.stdout, "removed %s\n", args[0])
				return nil
			})
		},
	}
	c.AddCommand(add, list, rm)
	return c
}
