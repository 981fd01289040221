package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/imp-health/imp/internal/api"
	"github.com/imp-health/imp/internal/consumer"
	"github.com/imp-health/imp/internal/dashboard"
	"github.com/imp-health/imp/internal/mllp"
)

// Parts chooses what a process runs.
type Parts struct {
	// API serves the REST API; without it the HTTP address still serves
	// /healthz, /readyz and /metrics for the probes.
	API       bool
	Consumers []consumer.Definition
	// Maintenance runs lag gauges and tracking retention.
	Maintenance bool
	// Dashboard mounts the dashboard at this base path: "/ui/" in imp
	// serve, "/" in imp dashboard; empty runs none.
	Dashboard string
}

// Running is a started process.
type Running struct {
	// HTTPAddr is where the API or the probes listen.
	HTTPAddr string
	// MLLPAddr is where the MLLP listener takes HL7 (empty without it).
	MLLPAddr string
	done     chan struct{}
	err      error
}

// Wait blocks until everything stopped and returns the first error.
func (r *Running) Wait() error {
	<-r.done
	return r.err
}

// Handler is the process's HTTP surface: the API (or only its health
// routes) plus /metrics, and the dashboard when dash is not nil, mounted
// at dashBase.
func (a *App) Handler(withAPI bool, dash http.Handler, dashBase string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.Metrics.Registry, promhttp.HandlerOpts{}))
	srv := api.New(api.Options{
		Publisher: a.Publisher, Tiers: a.Tiers, Store: a.Store, Keys: a.Keys, Topics: a.Topics,
		Logger: a.Log, Metrics: a.Metrics, Ready: a.Ready, Operator: a.Operator(), HealthOnly: !withAPI,
		HL7: a.Inbound(),
	})
	switch {
	case dash == nil:
		mux.Handle("/", srv)
	case dashBase == "/":
		// imp dashboard: the dashboard owns the root; the probes stay.
		mux.Handle("GET /healthz", srv)
		mux.Handle("GET /readyz", srv)
		mux.Handle("/", dash)
	default:
		mux.Handle(dashBase, dash)
		mux.Handle("/", srv)
	}
	return mux
}

// Dashboard builds the dashboard mounted at base ("/ui/" or "/").
func (a *App) Dashboard(base string) *dashboard.Handler {
	return dashboard.New(dashboard.Options{
		Store: a.Store, Admin: a.Admin, Broker: a.Broker, Topics: a.Topics, Keys: a.Keys, Operator: a.Operator(),
		Ready: a.Ready, Enabled: a.Enabled(), Inventory: a.Inventory, Logger: a.Log, BasePath: base,
		SecureCookies: a.Cfg.DashboardSecureCookies, TrustedOrigins: a.Cfg.DashboardOrigins,
	})
}

// Start listens and starts the parts; they run until ctx is cancelled,
// then stop gracefully within the configured shutdown timeout.
func (a *App) Start(ctx context.Context, parts Parts) (*Running, error) {
	run := &Running{done: make(chan struct{})}
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", a.Cfg.HTTPAddr)
	if err != nil {
		return nil, err
	}
	run.HTTPAddr = ln.Addr().String()
	var dash http.Handler // stays a nil interface without a dashboard
	var dashClose func()
	if parts.Dashboard != "" {
		d := a.Dashboard(parts.Dashboard)
		dash, dashClose = d, d.Close
	}
	// No WriteTimeout: the dashboard's event streams are long responses.
	srv := &http.Server{Handler: a.Handler(parts.API, dash, parts.Dashboard), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	if dashClose != nil {
		// Shutdown waits for open responses; event streams end only when told.
		srv.RegisterOnShutdown(dashClose)
	}

	runners := make([]*consumer.Runner, 0, len(parts.Consumers))
	for _, d := range parts.Consumers {
		r, err := consumer.NewRunner(d, a.Deps(), consumer.RunnerConfig{
			Broker: a.Broker, Topics: a.Topics, Producer: a.Producer, Logger: a.Log, Metrics: a.Metrics,
			Tracker: consumer.StoreTracker{Store: a.Store}, ShutdownTimeout: a.Cfg.ShutdownTimeout, InstanceID: a.Cfg.InstanceID,
		})
		if err != nil {
			_ = ln.Close()
			return nil, err
		}
		runners = append(runners, r)
	}

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for _, r := range runners {
		wg.Go(func() {
			if err := r.Run(ctx); err != nil {
				fail(err)
			}
		})
	}
	if parts.Maintenance {
		wg.Go(func() { a.maintain(ctx) })
	}
	if parts.API && a.Cfg.MLLPAddr != "" {
		srv, mln, err := a.mllpListener()
		if err != nil {
			_ = ln.Close()
			return nil, err
		}
		run.MLLPAddr = mln.Addr().String()
		a.Log.Info("MLLP listener taking HL7 v2", "addr", run.MLLPAddr, "tls", a.Cfg.MLLPTLSCert != "")
		wg.Go(func() {
			if err := srv.Serve(context.WithoutCancel(ctx), mln); err != nil && !errors.Is(err, mllp.ErrClosed) {
				fail(err)
			}
		})
		wg.Go(func() {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), a.Cfg.ShutdownTimeout)
			defer cancel()
			_ = srv.Shutdown(sctx)
		})
	}
	what := "probes and metrics"
	switch {
	case parts.API:
		what = "API"
	case parts.Dashboard != "":
		what = "dashboard"
	}
	a.Log.Info(what+" listening", "addr", run.HTTPAddr)
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fail(err)
		}
	})
	wg.Go(func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), a.Cfg.ShutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			fail(err)
		}
	})
	go func() {
		wg.Wait()
		run.err = errors.Join(errs...)
		close(run.done)
	}()
	return run, nil
}

// mllpListener builds the MLLP server over Inbound; the ACK is written
// only after the broker acknowledged every record of a message.
func (a *App) mllpListener() (*mllp.Server, net.Listener, error) {
	cfg := mllp.ServerConfig{Handler: mllp.HandlerFunc(a.Inbound().MLLP), Logger: a.Log}
	if a.Cfg.MLLPTLSCert != "" {
		cert, err := tls.LoadX509KeyPair(a.Cfg.MLLPTLSCert, a.Cfg.MLLPTLSKey)
		if err != nil {
			return nil, nil, fmt.Errorf("mllp tls: %w", err)
		}
		cfg.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	srv, err := mllp.NewServer(cfg)
	if err != nil {
		return nil, nil, err
	}
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", a.Cfg.MLLPAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("mllp listen: %w", err)
	}
	return srv, ln, nil
}
