package cli

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/imp-health/imp/internal/lis/sim"
)

func simCmd(e *env) *cobra.Command {
	c := &cobra.Command{Use: "sim", Short: "Simulators for demos and tests: an LIS (sim lis) and a partner webhook sink (sim sink)"}
	var cfg sim.Config
	var reject []string
	lisC := &cobra.Command{
		Use:   "lis",
		Short: "Run an LIS simulator: takes orders over MLLP, ACKs them, sends status and ORU^R01 results to IMP",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signalContext(e.log)
			defer stop()
			cfg.Reject, cfg.Logger = reject, e.log
			s, err := sim.New(cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "LIS simulator: orders at %s, results to %s (point IMP_LIS_ADDR here)\n", s.Addr(), cfg.IMP)
			return s.Run(ctx)
		},
	}
	lisC.Flags().StringVar(&cfg.Listen, "listen", "127.0.0.1:2576", "where the simulated LIS takes orders (MLLP)")
	lisC.Flags().StringVar(&cfg.IMP, "imp", "127.0.0.1:2575", "IMP's MLLP listener, where results go")
	lisC.Flags().DurationVar(&cfg.ResultDelay, "delay", 3*time.Second, "time from order to results")
	lisC.Flags().StringSliceVar(&reject, "reject", []string{"XFAIL"}, "test codes the LIS refuses (AE)")
	var listen, secret string
	sinkC := &cobra.Command{
		Use:   "sink",
		Short: "Run a partner webhook sink that checks IMP's signatures and shows what arrived (GET /)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signalContext(e.log)
			defer stop()
			ln, err := new(net.ListenConfig).Listen(ctx, "tcp", listen)
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: &sim.Sink{Secret: secret}, ReadHeaderTimeout: 5 * time.Second}
			go func() { <-ctx.Done(); _ = srv.Close() }()
			fmt.Fprintf(e.stdout, "webhook sink at http://%s/ (secret %q)\n", ln.Addr(), secret)
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	sinkC.Flags().StringVar(&listen, "listen", "127.0.0.1:8090", "listen address")
	sinkC.Flags().StringVar(&secret, "secret", "demo-partner-secret", "HMAC secret the deliveries are signed with")
	c.AddCommand(lisC, sinkC)
	return c
}
