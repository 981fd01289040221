package app

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/imp-health/imp/internal/api"
	"github.com/imp-health/imp/internal/consumer"
)

// Parts chooses what a process runs.
type Parts struct {
	API       bool
	Consumers []consumer.Definition
}

// Running is a started process.
type Running struct {
	// HTTPAddr is where the API listens (empty without the API).
	HTTPAddr string
	done     chan struct{}
	err      error
}

// Wait blocks until everything stopped and returns the first error.
func (r *Running) Wait() error {
	<-r.done
	return r.err
}

// Start listens and starts the parts; they run until ctx is cancelled,
// then stop gracefully within the configured shutdown timeout.
func (a *App) Start(ctx context.Context, parts Parts) (*Running, error) {
	run := &Running{done: make(chan struct{})}
	var (
		srv *http.Server
		ln  net.Listener
	)
	if parts.API {
		var err error
		ln, err = net.Listen("tcp", a.Cfg.HTTPAddr)
		if err != nil {
			return nil, err
		}
		run.HTTPAddr = ln.Addr().String()
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(a.Metrics.Registry, promhttp.HandlerOpts{}))
		mux.Handle("/", api.New(api.Options{
			Producer: a.Producer, Store: a.Store, Keys: a.Keys, Topics: a.Topics,
			Logger: a.Log, Metrics: a.Metrics, Ready: a.Ready,
		}))
		srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	}
	runners := make([]*consumer.Runner, 0, len(parts.Consumers))
	deps := consumer.Deps{Store: a.Store, Producer: a.Producer, Topics: a.Topics, Logger: a.Log}
	for _, d := range parts.Consumers {
		r, err := consumer.NewRunner(d, deps, consumer.RunnerConfig{
			Broker: a.Broker, Topics: a.Topics, Producer: a.Producer, Logger: a.Log,
			Metrics: a.Metrics, ShutdownTimeout: a.Cfg.ShutdownTimeout,
		})
		if err != nil {
			if ln != nil {
				_ = ln.Close()
			}
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
	if srv != nil {
		a.Log.Info("API listening", "addr", run.HTTPAddr)
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
	}
	go func() {
		wg.Wait()
		run.err = errors.Join(errs...)
		close(run.done)
	}()
	return run, nil
}
