// Command e2e measures results end to end through IMP: posted to the API,
// made durable on the embedded broker, routed, stored by the tier
// consumer, and delivered to a partner webhook (signed) — counted at the
// webhook. Two runs: as fast as possible (batches), and a fixed rate of
// single posts with the latency from the 202 to the delivery.
//
//	go run ./bench/e2e -results 20000 -rate 500 -duration 10s
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"time"

	"github.com/imp-health/imp/internal/app"
	"github.com/imp-health/imp/internal/config"
	"github.com/imp-health/imp/internal/consumer"
	"github.com/imp-health/imp/internal/delivery"
	"github.com/imp-health/imp/internal/store"
)

const key = "bench-e2e-admin-key-0123456789"

func main() {
	n := flag.Int("results", 20000, "results for the throughput run")
	rate := flag.Int("rate", 500, "results per second for the latency run")
	dur := flag.Duration("duration", 10*time.Second, "length of the latency run")
	cpu := flag.String("cpuprofile", "", "write a CPU profile of the throughput run")
	flag.Parse()
	dir, _ := os.MkdirTemp("", "imp-e2e-bench")
	defer os.RemoveAll(dir)
	cfg := config.Defaults()
	cfg.DataDir, cfg.HTTPAddr, cfg.KafkaListen, cfg.MLLPAddr = dir, "127.0.0.1:0", "127.0.0.1:0", ""
	cfg.AdminKey, cfg.WebhookAllowHTTP, cfg.LogLevel = key, true, "warn"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.Open(ctx, cfg, log)
	check(err)
	defer a.Close()
	_, err = a.EnsureAdminKey(ctx)
	check(err)
	defs, _ := consumer.Select(nil, nil, nil)
	run, err := a.Start(ctx, app.Parts{API: true, Consumers: defs})
	check(err)
	base := "http://" + run.HTTPAddr

	s := newSink()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	go func() { _ = http.Serve(ln, s) }()
	conn, _ := json.Marshal(delivery.Destination{Connector: "webhook", URL: "http://" + ln.Addr().String() + "/hook", Secret: "s"})
	check(a.Store.PutDestination(ctx, store.Destination{ID: "bench", Owner: "customer:C-1", Events: []string{"result"}, Format: "json", Connector: conn, Enabled: true}))

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	post := func(path string, body any) map[string]any {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", base+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		check(err)
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode >= 300 {
			check(fmt.Errorf("POST %s: %d %v", path, resp.StatusCode, out))
		}
		return out
	}
	result := func(i int) map[string]any {
		return map[string]any{"accession_number": fmt.Sprintf("A-%07d", i), "test_code": "GLU", "version": 1, "value": "5.1",
			"status": "preliminary", "observed_at": "2026-11-27T07:00:00Z", "customer_id": "C-1"}
	}

	// Throughput: batches of 500 from 4 clients, until every result is delivered.
	if *cpu != "" {
		f, err := os.Create(*cpu)
		check(err)
		check(pprof.StartCPUProfile(f))
	}
	start := time.Now()
	var wg sync.WaitGroup
	work := make(chan int)
	for range 4 {
		wg.Go(func() {
			for from := range work {
				batch := make([]map[string]any, 0, 500)
				for i := from; i < min(from+500, *n); i++ {
					batch = append(batch, result(i))
				}
				post("/v1/results/batch", batch)
			}
		})
	}
	for from := 0; from < *n; from += 500 {
		work <- from
	}
	close(work)
	wg.Wait()
	accepted := time.Since(start)
	check(s.waitFor(*n, 5*time.Minute))
	total := time.Since(start)
	if *cpu != "" {
		pprof.StopCPUProfile()
	}
	fmt.Printf("throughput: %d results accepted in %v, all delivered to the webhook in %v: %.0f results/s delivered\n",
		*n, accepted.Round(time.Millisecond), total.Round(time.Millisecond), float64(*n)/total.Seconds())

	// Latency at a fixed rate of single posts.
	s.reset()
	sent := map[string]time.Time{}
	var mu sync.Mutex
	tick := time.NewTicker(time.Second / time.Duration(*rate))
	end := time.Now().Add(*dur)
	i := *n
	var pw sync.WaitGroup
	for time.Now().Before(end) {
		<-tick.C
		i++
		j := i // each post its own accession
		pw.Go(func() {
			t0 := time.Now()
			out := post("/v1/results", result(j))
			mu.Lock()
			sent[out["message_id"].(string)] = t0
			mu.Unlock()
		})
	}
	tick.Stop()
	pw.Wait()
	if err := s.waitFor(len(sent), time.Minute); err != nil {
		got := s.arrivals()
		shown := 0
		for id := range sent {
			if _, ok := got[id]; ok || shown >= 5 {
				continue
			}
			shown++
			tl, _ := a.Store.Timeline(ctx, id)
			fmt.Printf("undelivered %s: %+v\n", id, tl)
		}
		check(err)
	}
	var lat []time.Duration
	for id, at := range s.arrivals() {
		if t0, ok := sent[id]; ok {
			lat = append(lat, at.Sub(t0))
		}
	}
	slices.Sort(lat)
	fmt.Printf("latency at %d results/s for %v (%d results): p50 %v, p99 %v, max %v (POST to webhook delivery)\n",
		*rate, *dur, len(lat), lat[len(lat)/2].Round(100*time.Microsecond), lat[len(lat)*99/100].Round(100*time.Microsecond),
		lat[len(lat)-1].Round(100*time.Microsecond))
}

type sink struct {
	mu  sync.Mutex
	at  map[string]time.Time
	cnd *sync.Cond
}

func newSink() *sink {
	s := &sink{at: map[string]time.Time{}}
	s.cnd = sync.NewCond(&s.mu)
	return s
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	now := time.Now()
	s.mu.Lock()
	if _, ok := s.at[r.Header.Get("Idempotency-Key")]; !ok {
		s.at[r.Header.Get("Idempotency-Key")] = now
	}
	s.cnd.Broadcast()
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *sink) reset() {
	s.mu.Lock()
	s.at = map[string]time.Time{}
	s.mu.Unlock()
}

func (s *sink) arrivals() map[string]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.at
}

func (s *sink) waitFor(n int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	go func() {
		time.Sleep(limit)
		s.mu.Lock()
		s.cnd.Broadcast()
		s.mu.Unlock()
	}()
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.at) < n && time.Now().Before(deadline) {
		s.cnd.Wait()
	}
	if len(s.at) < n {
		return fmt.Errorf("only %d of %d delivered", len(s.at), n)
	}
	return nil
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
}
