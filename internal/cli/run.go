package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/imp-health/imp/internal/app"
	"github.com/imp-health/imp/internal/consumer"
	"github.com/imp-health/imp/internal/dashboard"
)

func serveCmd(e *env) *cobra.Command {
	var demo demoOpts
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run everything in one process: API, every enabled consumer (embedded broker and store by default)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			defs, err := consumer.Select(nil, e.cfg.Consumers, e.cfg.DisableConsumers)
			if err != nil {
				return err
			}
			return run(e, app.Parts{API: true, Consumers: defs, Maintenance: true, Dashboard: "/ui/"}, demo)
		},
	}
	c.Flags().BoolVar(&demo.on, "demo", false, "also run an LIS simulator and a partner webhook sink, with demo data (see the README walkthrough)")
	c.Flags().StringVar(&demo.sink, "demo-sink", "127.0.0.1:8090", "address of the demo partner's webhook sink")
	c.Flags().DurationVar(&demo.delay, "demo-delay", 3*time.Second, "how long the simulated LIS takes to send results")
	return c
}

// demoOpts are serve --demo's settings.
type demoOpts struct {
	on    bool
	sink  string
	delay time.Duration
}

func apiCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "api",
		Short: "Run the stateless REST API only (the seed's api deployment)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(e, app.Parts{API: true, Maintenance: true}, demoOpts{})
		},
	}
}

func dashboardCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "dashboard",
		Short: "Run the monitoring dashboard only (the seed's flower deployment), at / on --http-addr",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(e, app.Parts{Dashboard: "/"}, demoOpts{})
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
			return run(e, app.Parts{Consumers: defs}, demoOpts{})
		},
	}
	c.Flags().BoolVar(&list, "list", false, "list every consumer definition and exit")
	return c
}

// run opens the app, runs the parts until a signal, and shuts down.
func run(e *env, parts app.Parts, demo demoOpts) error {
	start := time.Now()
	ctx, stop := signalContext(e.log)
	defer stop()
	var lisAddr string
	if demo.on {
		var err error
		if lisAddr, err = app.PrepareDemo(e.cfg.LISAddr); err != nil {
			return err
		}
		e.cfg.LISAddr, e.cfg.WebhookAllowHTTP = lisAddr, true
	}
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
	var dashUser, dashPassword string
	if parts.Dashboard != "" {
		user, pw, created, err := dashboard.EnsureAdmin(ctx, a.Store)
		if err != nil {
			return fmt.Errorf("dashboard admin: %w", err)
		}
		if created {
			dashUser, dashPassword = user, pw
		}
	}
	running, err := a.Start(ctx, parts)
	if err != nil {
		return err
	}
	if dashPassword != "" {
		e.log.Info("created the first dashboard user; its one-time password is printed once on stdout", "user", dashUser)
		fmt.Fprintf(e.stdout, "\nIMP dashboard at http://%s%s — first sign-in (shown once; you choose a new password at sign-in):\n\n    user: %s   password: %s\n\n",
			running.HTTPAddr, parts.Dashboard, dashUser, dashPassword)
	}
	names := make([]string, len(parts.Consumers))
	for i, d := range parts.Consumers {
		names[i] = d.Name
	}
	e.log.Info("IMP started", "startup_ms", time.Since(start).Milliseconds(), "api", running.HTTPAddr,
		"mllp", running.MLLPAddr, "consumers", names, "store", a.Store.Driver(), "embedded_broker", a.Embedded != nil)
	if demo.on {
		d, err := a.StartDemo(ctx, running, lisAddr, demo.sink, demo.delay)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, demoText, d.LISAddr, d.SinkURL, running.HTTPAddr)
	}
	err = running.Wait()
	e.log.Info("IMP stopped")
	return err
}

const demoText = `
Demo mode: an LIS simulator takes IMP's orders at %s and sends results back;
a partner webhook sink shows what partners receive at %s/ .
Seeded: tests GLU NA K HGB CREA TSH (and XFAIL, which the LIS refuses),
customers C-GEN-1 (general), C-VIP-1 (svip1), C-ACME-1 (partner ACME, b2b).

  KEY=<your admin key>; API=http://%s
  curl -s -X POST $API/v1/orders -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d '{"accession_number":"DEMO-1","customer_id":"C-VIP-1","ordering_clinician":{"id":"D1","name":"Dr Demo"},
         "tests":[{"code":"GLU"},{"code":"NA"}],"ordered_at":"2026-01-01T08:00:00Z"}'
  curl -s $API/v1/orders/DEMO-1 -H "Authorization: Bearer $KEY"      # status, LIS state, results
  open the sink page to see the signed result delivery; then the PDF:
  curl -s -o report.pdf $API/v1/orders/DEMO-1/report -H "Authorization: Bearer $KEY"
`
