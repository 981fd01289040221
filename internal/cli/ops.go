package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/imp-health/imp/internal/app"
	"github.com/imp-health/imp/internal/auth"
	"github.com/imp-health/imp/internal/consumer"
	"github.com/imp-health/imp/internal/store"
)

func migrateCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply the store's pending migrations and exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := app.OpenStore(ctx, e.cfg) // opening migrates
			if err != nil {
				return err
			}
			defer st.Close()
			v, err := st.MigrationVersion(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s store at migration %d\n", st.Driver(), v)
			return nil
		},
	}
}

func keysCmd(e *env) *cobra.Command {
	c := &cobra.Command{Use: "keys", Short: "Manage API keys (create, list, revoke)"}
	var name string
	var scopes []string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API key; the key is printed once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return fmt.Errorf("--name is required")
			}
			st, err := app.OpenStore(cmd.Context(), e.cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			keys := auth.NewKeys(st, e.cfg.KeyPepper, 0)
			token, k, err := keys.Create(cmd.Context(), name, scopes)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "id:     %s\nname:   %s\nscopes: %s\nkey:    %s\n(the key is shown only now)\n", k.ID, k.Name, strings.Join(k.Scopes, " "), token)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "who the key is for (e.g. the partner or system)")
	create.Flags().StringSliceVar(&scopes, "scopes", []string{auth.ScopeRead}, "scopes: "+strings.Join(auth.AllScopes, ", "))
	list := &cobra.Command{
		Use:   "list",
		Short: "List API keys (never the keys themselves)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, e, func(st store.Store) error {
				ks, err := st.ListAPIKeys(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tCREATED\tSTATE")
				for _, k := range ks {
					state := "active"
					if !k.RevokedAt.IsZero() {
						state = "revoked " + k.RevokedAt.Format(time.RFC3339)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, strings.Join(k.Scopes, ","), k.CreatedAt.Format(time.RFC3339), state)
				}
				return tw.Flush()
			})
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API key (takes effect within 10 s on running APIs)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, e, func(st store.Store) error {
				if err := auth.NewKeys(st, e.cfg.KeyPepper, 0).Revoke(cmd.Context(), args[0]); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "revoked %s\n", args[0])
				return nil
			})
		},
	}
	c.AddCommand(create, list, revoke)
	return c
}

func lagCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "lag [NAME...]",
		Short: "Show consumer group lag per consumer, like KEDA's view (kubectl get hpa)",
		RunE: func(cmd *cobra.Command, args []string) error {
			defs := consumer.All()
			if names := splitNames(args); len(names) > 0 {
				var err error
				if defs, err = consumer.Select(names, nil, nil); err != nil {
					return err
				}
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 20*time.Second)
			defer cancel()
			a, err := app.Open(ctx, e.cfg, e.log)
			if err != nil {
				return err
			}
			defer a.Close()
			lags, err := a.Lag(ctx, defs)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CONSUMER\tGROUP\tSTATE\tMEMBERS\tLAG\tPARTITIONS WITH LAG\tTHRESHOLD\tDESIRED")
			for _, gl := range lags {
				d := gl.Definition
				withLag := 0
				for _, p := range gl.Partitions {
					if p.Lag > 0 {
						withLag++
					}
				}
				state := gl.State
				if state == "" {
					state = "-"
				}
				kedaLag, kedaParts := d.KEDAView(a.Topics, gl.Partitions)
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d/%d\t%s\t%s\n", d.Workload(), gl.Group, state, gl.Members, gl.Total,
					withLag, len(gl.Partitions), threshold(d), desired(d, kedaLag, kedaParts))
			}
			return tw.Flush()
		},
	}
}

func threshold(d consumer.Definition) string {
	if d.Scaling.LagThreshold == 0 {
		return "-"
	}
	return fmt.Sprint(d.Scaling.LagThreshold)
}

// desired is KEDA's kafka scaler formula: ceil(lag / lagThreshold), within
// [min, max] and never more than the partitions it could use.
func desired(d consumer.Definition, lag int64, partitions int) string {
	if d.Scaling.LagThreshold == 0 || d.Scaling.MaxReplicas == 0 {
		return fmt.Sprint(d.Scaling.Replicas)
	}
	return fmt.Sprint(consumer.DesiredReplicas(d.Scaling, lag, partitions))
}

func versionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(e.stdout, "imp", app.Version())
			return nil
		},
	}
}

// withStore opens the configured store (migrating it) for fn and closes it.
func withStore(cmd *cobra.Command, e *env, fn func(store.Store) error) error {
	st, err := app.OpenStore(cmd.Context(), e.cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}
