package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/imp-health/imp/internal/app"
	"github.com/imp-health/imp/internal/consumer"
)

func serveCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run everything in one process: API, every enabled consumer (embedded broker and store by default)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			defs, err := consumer.Select(nil, e.cfg.Consumers, e.cfg.DisableConsumers)
			if err != nil {
				return err
			}
			return run(e, app.Parts{API: true, Consumers: defs, Maintenance: true})
		},
	}
}

func apiCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "api",
		Short: "Run the stateless REST API only (the seed's api deployment)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(e, app.Parts{API: true, Maintenance: true})
		},
	}
}

func consumeCmd(e *env) *cobra.Command {
	var list bool
	c := &cobra.Command{
		Use:   "consume NAME...",
		Short: "Run the named consumers only (the seed's consumer-* and worker-* deployments)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				for _, d := range consumer.All() {
					state := "enabled"
					if !d.Enabled {
						state = "disabled by default"
					}
					fmt.Fprintf(e.stdout, "%-34s %-20s %s\n", d.Workload(), state, d.Doc)
				}
				return nil
			}
			names := splitNames(args)
			if len(names) == 0 {
				return fmt.Errorf("name at least one consumer (imp consume --list shows them)")
			}
			defs, err := consumer.Select(names, nil, nil)
			if err != nil {
				return err
			}
			return run(e, app.Parts{Consumers: defs})
		},
	}
	c.Flags().BoolVar(&list, "list", false, "list every consumer definition and exit")
	return c
}

// run opens the app, runs the parts until a signal, and shuts down.
func run(e *env, parts app.Parts) error {
	start := time.Now()
	ctx, stop := signalContext(e.log)
	defer stop()
	a, err := app.Open(ctx, e.cfg, e.log)
	if err != nil {
		return err
	}
	defer a.Close()
	if parts.API {
		token, err := a.EnsureAdminKey(ctx)
		if err != nil {
			return fmt.Errorf("admin key: %w", err)
		}
		if token != "" {
			e.log.Info("created the first admin API key; it is printed once on stdout")
			fmt.Fprintf(e.stdout, "\nIMP admin API key (shown once; store it now):\n\n    %s\n\n", token)
		}
	}
	running, err := a.Start(ctx, parts)
	if err != nil {
		return err
	}
	names := make([]string, len(parts.Consumers))
	for i, d := range parts.Consumers {
		names[i] = d.Name
	}
	e.log.Info("IMP started", "startup_ms", time.Since(start).Milliseconds(), "api", running.HTTPAddr,
		"consumers", names, "store", a.Store.Driver(), "embedded_broker", a.Embedded != nil)
	err = running.Wait()
	e.log.Info("IMP stopped")
	return err
}
