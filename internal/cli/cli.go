// Package cli is IMP's command line: one cobra command per subcommand of
// the `imp` binary, each loading the one config struct and calling into
// internal/app. It holds no logic of its own beyond parsing and printing.
package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/imp-health/imp/internal/config"
)

// env carries what every command needs.
type env struct {
	cfg    config.Config
	log    *slog.Logger
	stdout io.Writer
	stderr io.Writer
}

// Main runs the binary and returns its exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.Execute(); err != nil {
		fmt.Fprintln(stderr, "imp:", err)
		return 1
	}
	return 0
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	e := &env{cfg: config.Defaults(), stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "imp",
		Short: "IMP, the Integrated Medical Platform: lab integration and messaging on Kafka",
		Long: `IMP takes events from clinics, partners, the LIS and HR/customer systems, makes each
durable on Kafka, and delivers it through dedicated consumers with retries, dead
letters, re-push and tracking.

With no --kafka-brokers and no --database-url, IMP runs an embedded Kafka-protocol
broker and an embedded SQLite store under --data-dir: 'imp serve' is all you need.

Every setting below can also be given as an IMP_* environment variable or in a
YAML file (--config); flags win over env, env over the file.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := config.Load(&e.cfg, cmd.Flags(), os.Environ()); err != nil {
				return err
			}
			if err := e.cfg.Validate(); err != nil {
				return err
			}
			e.log = newLogger(e.cfg, stderr)
			return nil
		},
	}
	config.Flags(root.PersistentFlags(), &e.cfg)
	root.AddCommand(
		serveCmd(e), apiCmd(e), consumeCmd(e), dashboardCmd(e), migrateCmd(e), keysCmd(e), lagCmd(e), inventoryCmd(e),
		dlqCmd(e), repushCmd(e), discardCmd(e), messagesCmd(e), destinationsCmd(e), simCmd(e), versionCmd(e),
	)
	return root
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lv}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// signalContext is cancelled on SIGINT or SIGTERM; a second signal exits
// at once.
func signalContext(log *slog.Logger) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-ch
		log.Info("shutting down", "signal", sig.String())
		cancel()
		<-ch
		log.Warn("second signal: exiting without finishing in-flight work")
		os.Exit(130)
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}

func splitNames(args []string) []string {
	var out []string
	for _, a := range args {
		for p := range strings.SplitSeq(a, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
