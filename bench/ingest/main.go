// Command ingest is IMP's ingest load harness. In one run it starts the
// embedded Kafka-protocol broker (internal/broker, as `imp serve` does, with
// its data in a temp dir) and drives, with the same concurrent keep-alive
// HTTP clients over loopback:
//
//   - IMP's real API handler for POST /v1/results (auth, decoding,
//     validation, tier routing, producing with acks=all, answering 202 after
//     the acknowledgement), with a SQLite store and API keys;
//   - a bare baseline: a minimal net/http handler that decodes the body and
//     produces it with franz-go, waiting for the acknowledgement;
//
// and prints events/s, p50 and p99 for each and the ratio IMP/baseline;
// then the same at a fixed rate (default: half of IMP's measured maximum)
// for latency, and the batch form (POST /v1/results/batch) in records/s.
//
//	go run ./bench/ingest -duration 10s -conns 64 -batch 500 -mode all
//
// It is a harness, not a test: numbers go to docs/benchmarks.md.
package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/imp-health/imp/internal/api"
	"github.com/imp-health/imp/internal/auth"
	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/ingest"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/store/sqlite"
	"github.com/imp-health/imp/internal/stream"
)

type config struct {
	duration   time.Duration
	warmup     time.Duration
	conns      int
	batch      int
	mode       string
	rate       float64
	partitions int
	linger     time.Duration
	cpuprofile string
	target     string
	repeat     int
}

func main() {
	var c config
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "how long each measured phase runs")
	flag.DurationVar(&c.warmup, "warmup", 2*time.Second, "unmeasured warm-up before each phase")
	flag.IntVar(&c.conns, "conns", 64, "concurrent keep-alive HTTP clients")
	flag.IntVar(&c.batch, "batch", 500, "records per request in batch mode")
	flag.StringVar(&c.mode, "mode", "all", "single | rate | batch | all (single, then rate at half the max, then batch)")
	flag.Float64Var(&c.rate, "rate", 0, "requests/s in rate mode (0: half of the single-mode maximum)")
	flag.IntVar(&c.partitions, "partitions", 6, "partitions of each topic")
	flag.DurationVar(&c.linger, "linger", 0, "producer linger for both IMP and the baseline (kgo's default is 10ms)")
	flag.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of the IMP phases to this file")
	flag.StringVar(&c.target, "target", "both", "imp | baseline | both | null (a do-nothing handler: the HTTP loop's ceiling)")
	flag.IntVar(&c.repeat, "repeat", 1, "single mode: alternate IMP and baseline this many rounds and report medians (a shared machine is noisy)")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// rig is the system under test: broker, IMP and the baseline, listening on
// loopback.
type rig struct {
	emb            *broker.Embedded
	impURL, base   string
	null           string
	token          string
	close          func()
	impProd, bProd *broker.Producer
}

func setup(ctx context.Context, c config) (*rig, error) {
	dir, err := os.MkdirTemp("", "imp-bench-")
	if err != nil {
		return nil, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	emb, err := broker.StartEmbedded(filepath.Join(dir, "broker"), "127.0.0.1:0", nil)
	if err != nil {
		return nil, err
	}
	bcfg := broker.Config{Brokers: emb.Addrs(), ClientID: "imp-bench"}
	opts := []kgo.Opt{kgo.ProducerLinger(c.linger)}
	impProd, err := broker.NewProducer(bcfg, 10*time.Second, opts...)
	if err != nil {
		return nil, err
	}
	bProd, err := broker.NewProducer(bcfg, 10*time.Second, opts...)
	if err != nil {
		return nil, err
	}
	topics := stream.Topics{Prefix: "imp."}
	var specs []broker.TopicSpec
	for _, s := range []string{stream.Results, stream.ResultsB2B, stream.ResultsCorp, stream.ResultsSVIP1, stream.ResultsSVIP2, "bench-baseline"} {
		specs = append(specs, broker.TopicSpec{Name: topics.Main(s), Partitions: int32(c.partitions)})
	}
	if err := broker.EnsureTopics(ctx, kadm.NewClient(impProd.Client()), specs, 1); err != nil {
		return nil, err
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "imp.db"))
	if err != nil {
		return nil, err
	}
	// A customer master with every tier, so routing does real lookups.
	err = st.InTx(ctx, func(tx store.Tx) error {
		var cs []lab.Customer
		for i := range 100 {
			cs = append(cs, lab.Customer{ID: "C-" + strconv.Itoa(i), Version: 1, Tier: lab.Tiers[i%len(lab.Tiers)], FamilyName: "Bench"})
		}
		_, err := tx.UpsertCustomers(ctx, cs)
		return err
	})
	if err != nil {
		return nil, err
	}
	keys := auth.NewKeys(st, "bench-pepper", 10*time.Second)
	token, _, err := keys.Create(ctx, "bench", []string{auth.ScopeResultsWrite})
	if err != nil {
		return nil, err
	}
	imp := api.New(api.Options{
		Publisher: ingest.NewPublisher(impProd, topics, nil), Tiers: ingest.NewTiers(st, 30*time.Second),
		Store: st, Keys: keys, Topics: topics, Logger: quiet,
	})
	baseTopic := topics.Main("bench-baseline")
	baseline := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		var res lab.Result
		if err := json.Unmarshal(body, &res); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		rec := &kgo.Record{Topic: baseTopic, Key: []byte(res.AccessionNumber), Value: body}
		if err := bProd.Produce(r.Context(), rec); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"partition":%d,"offset":%d}`, rec.Partition, rec.Offset)
	})
	null := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	})
	nullURL, stopNull, err := listen(null)
	if err != nil {
		return nil, err
	}
	impURL, stopIMP, err := listen(imp)
	if err != nil {
		return nil, err
	}
	baseURL, stopBase, err := listen(baseline)
	if err != nil {
		return nil, err
	}
	return &rig{emb: emb, impURL: impURL, base: baseURL, null: nullURL, token: token, impProd: impProd, bProd: bProd, close: func() {
		stopNull()
		stopIMP()
		stopBase()
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		impProd.Close(cctx)
		bProd.Close(cctx)
		_ = st.Close()
		emb.Close()
		_ = os.RemoveAll(dir)
	}}, nil
}

func listen(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// bodies pre-renders distinct result records so the load generator spends
// its CPU on HTTP, not on JSON.
func bodies(n int) [][]byte {
	out := make([][]byte, n)
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for i := range out {
		r := lab.Result{AccessionNumber: "A-" + strconv.Itoa(100000+i), TestCode: "GLU", ValueType: lab.ValueNumeric,
			Value: strconv.Itoa(60 + i%80), Unit: "mg/dL", ReferenceRange: "70-99", Status: lab.ResultFinal,
			ObservedAt: at, VerifiedBy: "E-1", VerifiedAt: at.Add(time.Hour), CustomerID: "C-" + strconv.Itoa(i%120)}
		out[i], _ = json.Marshal(r)
	}
	return out
}

func batchBodies(recs [][]byte, size, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		var b bytes.Buffer
		b.WriteByte('[')
		for j := range size {
			if j > 0 {
				b.WriteByte(',')
			}
			b.Write(recs[(i*size+j)%len(recs)])
		}
		b.WriteByte(']')
		out[i] = b.Bytes()
	}
	return out
}

// result is one measured phase.
type result struct {
	name     string
	requests int64
	records  int64
	errors   int64
	elapsed  time.Duration
	lat      []time.Duration
	cpu      time.Duration // process CPU (user+sys) while measuring: server, broker and load generator
}

func (r result) reqPerSec() float64 { return float64(r.requests) / r.elapsed.Seconds() }
func (r result) recPerSec() float64 { return float64(r.records) / r.elapsed.Seconds() }

func (r result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(float64(len(r.lat))*p))]
}

func (r result) String() string {
	s := fmt.Sprintf("%-28s %9.0f req/s", r.name, r.reqPerSec())
	if r.records != r.requests {
		s += fmt.Sprintf("  %10.0f records/s", r.recPerSec())
	}
	s += fmt.Sprintf("  p50 %6.2f ms  p99 %6.2f ms  errors %d", ms(r.pct(0.50)), ms(r.pct(0.99)), r.errors)
	if r.requests > 0 {
		s += fmt.Sprintf("  cpu %.1f µs/req (%.0f%% of %d cores)", float64(r.cpu.Microseconds())/float64(r.requests),
			100*r.cpu.Seconds()/r.elapsed.Seconds()/float64(runtime.NumCPU()), runtime.NumCPU())
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// drive runs conns clients against url for d (after warmup); rate > 0
// paces the requests (requests/s over all clients).
// drive runs a phase against the rig. The in-process broker keeps every
// record in memory, so later phases pay more GC work than earlier ones:
// -repeat alternates the order of IMP and the baseline to cancel that out.
// (Deleting the topics between phases would free it, but kfake does not
// survive a producer writing to a re-created topic.)
func (r *rig) drive(c config, name, url string, bodies [][]byte, perReq int, rate float64) result {
	return drive(c, name, url, r.token, bodies, perReq, rate)
}

func drive(c config, name, url, token string, bodies [][]byte, perReq int, rate float64) result {
	base, path := url, "/"
	if i := strings.Index(strings.TrimPrefix(url, "http://"), "/"); i >= 0 {
		base, path = url[:len("http://")+i], url[len("http://")+i:]
	}
	var (
		measuring atomic.Bool
		stop      atomic.Bool
		wg        sync.WaitGroup
		mu        sync.Mutex
		res       = result{name: name}
	)
	start := time.Now()
	for w := range c.conns {
		wg.Go(func() {
			var lat []time.Duration
			var reqs, errs int64
			var cl *rawClient
			var err error
			defer func() {
				if cl != nil {
					_ = cl.Close()
				}
			}()
			interval := time.Duration(0)
			if rate > 0 {
				interval = time.Duration(float64(time.Second) * float64(c.conns) / rate)
			}
			next := time.Now().Add(time.Duration(w) * interval / time.Duration(c.conns))
			for i := w; !stop.Load(); i += c.conns {
				if interval > 0 {
					if d := time.Until(next); d > 0 {
						time.Sleep(d)
					}
					next = next.Add(interval)
				}
				t0 := time.Now()
				if cl == nil {
					if cl, err = dialRaw(base, path, token); err != nil {
						errs++
						time.Sleep(10 * time.Millisecond)
						continue
					}
				}
				status, err := cl.post(bodies[i%len(bodies)])
				if err != nil {
					_ = cl.Close()
					cl = nil
				}
				ok := err == nil && status == http.StatusAccepted
				if !measuring.Load() {
					continue
				}
				if !ok {
					errs++
					continue
				}
				reqs++
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			res.requests += reqs
			res.errors += errs
			res.lat = append(res.lat, lat...)
			mu.Unlock()
		})
	}
	time.Sleep(c.warmup)
	cpu0 := cpuTime()
	measuring.Store(true)
	t0 := time.Now()
	time.Sleep(c.duration)
	measuring.Store(false)
	res.elapsed = time.Since(t0)
	res.cpu = cpuTime() - cpu0
	stop.Store(true)
	wg.Wait()
	_ = start
	res.records = res.requests * int64(perReq)
	slices.Sort(res.lat)
	return res
}

func run(c config) error {
	ctx := context.Background()
	r, err := setup(ctx, c)
	if err != nil {
		return err
	}
	defer r.close()
	fmt.Printf("IMP ingest bench: GOMAXPROCS=%d conns=%d duration=%s linger=%s partitions=%d %s\n",
		runtime.GOMAXPROCS(0), c.conns, c.duration, c.linger, c.partitions, runtime.Version())
	recs := bodies(4096)
	var prof *os.File
	startProf := func() {
		if c.cpuprofile != "" && prof == nil {
			prof, _ = os.Create(c.cpuprofile)
			_ = pprof.StartCPUProfile(prof)
		}
	}
	defer func() {
		if prof != nil {
			pprof.StopCPUProfile()
			_ = prof.Close()
		}
	}()
	if c.target == "null" {
		fmt.Println(r.drive(c, "do-nothing handler", r.null, recs, 1, 0))
		return nil
	}
	impOn, baseOn := c.target != "baseline", c.target != "imp"
	var maxIMP result
	if c.mode == "single" || c.mode == "all" || c.mode == "rate" && c.rate == 0 {
		var imps, bases []result
		for round := range max(1, c.repeat) {
			order := []bool{true, false} // IMP first, then the baseline; swapped every other round
			if round%2 == 1 {
				order = []bool{false, true}
			}
			for _, isIMP := range order {
				switch {
				case isIMP && impOn:
					startProf()
					res := r.drive(c, "IMP POST /v1/results", r.impURL+"/v1/results", recs, 1, 0)
					fmt.Println(res)
					imps = append(imps, res)
				case !isIMP && baseOn:
					if !impOn {
						startProf() // -target baseline -cpuprofile profiles the baseline
					}
					res := r.drive(c, "baseline (decode+produce)", r.base, recs, 1, 0)
					fmt.Println(res)
					bases = append(bases, res)
				}
			}
		}
		if len(imps) > 0 {
			maxIMP = median(imps)
		}
		if len(imps) > 1 || len(bases) > 1 {
			fmt.Printf("median of %d rounds:\n", max(len(imps), len(bases)))
			if len(imps) > 0 {
				fmt.Println(median(imps))
			}
			if len(bases) > 0 {
				fmt.Println(median(bases))
			}
		}
		if len(imps) > 0 && len(bases) > 0 {
			fmt.Printf("ratio IMP/baseline: %.2f (events/s)  %.2f (CPU per request, baseline/IMP)\n",
				median(imps).reqPerSec()/median(bases).reqPerSec(), cpuPerReq(median(bases))/cpuPerReq(median(imps)))
		}
	}
	if c.mode == "rate" || c.mode == "all" {
		rate := c.rate
		if rate == 0 {
			rate = maxIMP.reqPerSec() / 2
		}
		if impOn {
			fmt.Println(r.drive(c, fmt.Sprintf("IMP at %.0f req/s", rate), r.impURL+"/v1/results", recs, 1, rate))
		}
		if baseOn {
			fmt.Println(r.drive(c, fmt.Sprintf("baseline at %.0f req/s", rate), r.base, recs, 1, rate))
		}
	}
	if (c.mode == "batch" || c.mode == "all") && impOn {
		startProf()
		bc := c
		bc.conns = max(1, min(c.conns, 8))
		fmt.Println(r.drive(bc, fmt.Sprintf("IMP batch x%d (%d conns)", c.batch, bc.conns), r.impURL+"/v1/results/batch",
			batchBodies(recs, c.batch, 16), c.batch, 0))
	}
	return nil
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// median is the round with the median throughput.
func median(rs []result) result {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b result) int { return cmp.Compare(a.reqPerSec(), b.reqPerSec()) })
	return s[len(s)/2]
}

func cpuPerReq(r result) float64 { return float64(r.cpu.Microseconds()) / float64(max(1, r.requests)) }
