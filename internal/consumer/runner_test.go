package consumer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/goleak"

	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/store/sqlite"
	"github.com/imp-health/imp/internal/stream"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// database/sql keeps an opener goroutine per pool until Close;
		// modernc's and kgo's internals settle after Close returns.
		goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"),
	)
}

// harness is a kfake cluster, a SQLite store and a producer.
type harness struct {
	t        *testing.T
	cluster  *kfake.Cluster
	bcfg     broker.Config
	producer *broker.Producer
	store    store.Store
	topics   stream.Topics
	log      *slog.Logger
}

const testStream = "things"

func newHarness(t *testing.T, partitions int32) *harness {
	t.Helper()
	topics := stream.Topics{Prefix: "test."}
	c, err := kfake.NewCluster(kfake.NumBrokers(1),
		kfake.SeedTopics(partitions, topics.Main(testStream), topics.Retry(testStream), topics.DLQ(testStream)))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, cluster: c, topics: topics, bcfg: broker.Config{Brokers: c.ListenAddrs(), ClientID: "test"}}
	h.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		h.log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	// A short delivery timeout: a faulted produce surfaces quickly and the
	// runner's rewind-and-retry path runs inside the test's time.
	h.producer, err = broker.NewProducer(h.bcfg, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	h.store, err = sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "imp.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		h.producer.Close(context.Background())
		_ = h.store.Close()
		c.Close()
	})
	return h
}

// run starts a runner for def and stops it at cleanup.
func (h *harness) run(def Definition) *Runner {
	h.t.Helper()
	r, err := NewRunner(def, Deps{Store: h.store, Producer: h.producer, Topics: h.topics, Logger: h.log}, RunnerConfig{
		Broker: h.bcfg, Topics: h.topics, Producer: h.producer, Logger: h.log,
		Tracker: StoreTracker{Store: h.store}, ShutdownTimeout: 5 * time.Second, MaxPoll: 500,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := r.Run(ctx); err != nil {
			h.t.Errorf("run: %v", err)
		}
	}()
	h.t.Cleanup(func() { cancel(); <-done })
	return r
}

func (h *harness) produce(key, id, value string) {
	h.t.Helper()
	r := &kgo.Record{Topic: h.topics.Main(testStream), Key: []byte(key), Value: []byte(value),
		Headers: []kgo.RecordHeader{{Key: broker.HeaderMessageID, Value: []byte(id)}}}
	if err := h.producer.Produce(context.Background(), r); err != nil {
		h.t.Fatal(err)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (h *harness) tracked(id string) store.TrackRecord {
	rs, err := h.store.Messages(context.Background(), store.MessageQuery{MessageID: id})
	if err != nil || len(rs) == 0 {
		return store.TrackRecord{}
	}
	return rs[0]
}

// readAll reads every record of topic currently there.
func (h *harness) readAll(topic string) []*kgo.Record {
	h.t.Helper()
	cl, err := h.bcfg.NewClient(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		h.t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var out []*kgo.Record
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return out
		}
		out = append(out, fs.Records()...)
	}
}

var fastRetry = RetryPolicy{InPlaceAttempts: 1, InPlaceBackoff: time.Millisecond, MaxAttempts: 3, Backoff: []time.Duration{400 * time.Millisecond}}

// effects is a store-backed handler that counts applied effects per id and
// fails as told.
type effects struct {
	mu      sync.Mutex
	applied map[string]int
	calls   map[string][]time.Time
	fail    func(m *Message, call int) error
}

func newEffects(fail func(m *Message, call int) error) *effects {
	return &effects{applied: map[string]int{}, calls: map[string][]time.Time{}, fail: fail}
}

func (e *effects) def(name string, h *harness) Definition {
	return Definition{
		Name: name, Streams: []string{testStream}, RetryStreams: []string{testStream}, Concurrency: 2, BatchSize: 50,
		Timeout: 5 * time.Second, Retry: fastRetry,
		New: func(d Deps) Handler {
			return Dedupe(d.Store, name, TxHandlerFunc(func(ctx context.Context, tx store.Tx, msgs []*Message) error {
				e.mu.Lock()
				defer e.mu.Unlock()
				for _, m := range msgs {
					e.calls[m.ID] = append(e.calls[m.ID], time.Now())
					m.SetKey("order", "ACC-"+m.Key)
					if err := e.fail(m, len(e.calls[m.ID])); err != nil {
						m.Fail(err)
						continue
					}
					e.applied[m.ID]++
				}
				return nil
			}))
		},
	}
}

func (e *effects) count(id string) (applied, calls int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.applied[id], len(e.calls[id])
}

func TestFailTwiceThenSucceedAppliedOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 2)
	e := newEffects(func(m *Message, call int) error {
		if m.ID == "flaky" && call <= 2 {
			return errors.New("receiver busy")
		}
		return nil
	})
	h.run(e.def("c1", h))
	h.produce("k1", "flaky", "{}")
	h.produce("k2", "fine", "{}")
	waitFor(t, 10*time.Second, "flaky applied", func() bool { a, _ := e.count("flaky"); return a == 1 })
	// Give redeliveries a chance to show up, then check nothing ran twice.
	time.Sleep(300 * time.Millisecond)
	if a, calls := e.count("flaky"); a != 1 || calls != 3 {
		t.Fatalf("flaky applied %d times in %d calls, want 1 in 3", a, calls)
	}
	if a, _ := e.count("fine"); a != 1 {
		t.Fatalf("fine applied %d times", a)
	}
	e.mu.Lock()
	calls := e.calls["flaky"]
	e.mu.Unlock()
	for i := 1; i < len(calls); i++ {
		if gap := calls[i].Sub(calls[i-1]); gap < 350*time.Millisecond {
			t.Fatalf("retry %d ran %v after the previous try, before its due time", i, gap)
		}
	}
	waitFor(t, 5*time.Second, "tracking", func() bool { return h.tracked("flaky").Status == StatusProcessed })
	tl, err := h.store.Timeline(context.Background(), "flaky")
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, ev := range tl {
		steps = append(steps, fmt.Sprintf("%s/%d", ev.Status, ev.Attempt))
	}
	if fmt.Sprint(steps) != "[retrying/1 retrying/2 processed/2]" {
		t.Fatalf("timeline = %v", steps)
	}
}

func TestPermanentFailureGoesToDLQAndDoesNotBlock(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 1)
	e := newEffects(func(m *Message, _ int) error {
		if m.ID == "bad" {
			return Permanentf("field tests[0].code: unknown test")
		}
		return nil
	})
	h.run(e.def("c2", h))
	h.produce("same", "bad", "{}")
	for i := range 5 {
		h.produce("same", fmt.Sprint("after-", i), "{}")
	}
	waitFor(t, 10*time.Second, "records after the bad one", func() bool { a, _ := e.count("after-4"); return a == 1 })
	if _, calls := e.count("bad"); calls != 1 {
		t.Fatalf("a permanent failure was tried %d times", calls)
	}
	waitFor(t, 5*time.Second, "dlq record", func() bool { return len(h.readAll(h.topics.DLQ(testStream))) == 1 })
	dlq := h.readAll(h.topics.DLQ(testStream))[0]
	for k, want := range map[string]string{
		broker.HeaderMessageID: "bad", broker.HeaderErrorClass: "permanent", broker.HeaderAttempt: "1",
		broker.HeaderOrigTopic: "test.things", broker.HeaderOrigPartition: "0", broker.HeaderOrigOffset: "0",
		broker.HeaderError: "field tests[0].code: unknown test",
	} {
		if got := broker.Header(dlq, k); got != want {
			t.Errorf("DLQ header %s = %q, want %q", k, got, want)
		}
	}
	waitFor(t, 5*time.Second, "dead letter indexed", func() bool {
		ds, _ := h.store.DeadLetterList(context.Background(), store.DeadQuery{Order: "ACC-same"})
		return len(ds) == 1
	})
}

func TestExhaustedRetriesGoToDLQThenRepushSucceeds(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 1)
	var fixed atomic.Bool
	e := newEffects(func(m *Message, _ int) error {
		if m.ID == "lis-down" && !fixed.Load() {
			return errors.New("dial lis: connection refused")
		}
		return nil
	})
	h.run(e.def("c3", h))
	h.produce("k", "lis-down", "{}")
	var dead []store.DeadLetter
	waitFor(t, 15*time.Second, "dead letter after exhausted attempts", func() bool {
		dead, _ = h.store.DeadLetterList(context.Background(), store.DeadQuery{MessageID: "lis-down"})
		return len(dead) == 1
	})
	if dead[0].ErrorClass != "retryable" || dead[0].Attempts != fastRetry.MaxAttempts+1 {
		t.Fatalf("dead letter = %+v", dead[0])
	}
	if a, calls := e.count("lis-down"); a != 0 || calls != fastRetry.MaxAttempts+1 {
		t.Fatalf("applied %d, calls %d", a, calls)
	}
	// The cause is fixed; an operator re-pushes it.
	fixed.Store(true)
	op := &Operator{Broker: h.bcfg, Store: h.store, Producer: h.producer, Topics: h.topics}
	n, err := op.Repush(context.Background(), dead, "alice")
	if err != nil || n != 1 {
		t.Fatalf("repush = %d, %v", n, err)
	}
	waitFor(t, 10*time.Second, "re-pushed record applied", func() bool { a, _ := e.count("lis-down"); return a == 1 })
	// Re-pushing again is refused: it is no longer dead.
	again, _ := h.store.DeadLetterList(context.Background(), store.DeadQuery{MessageID: "lis-down"})
	if len(again) != 0 {
		t.Fatalf("still listed as dead: %+v", again)
	}
	if _, err := op.Repush(context.Background(), dead[:0], "alice"); !errors.Is(err, ErrNothingToDo) {
		t.Fatalf("empty re-push: %v", err)
	}
	log, _ := h.store.AuditLog(context.Background(), 10, 0)
	if len(log) != 1 || log[0].Actor != "alice" || log[0].Action != "repush" || log[0].Target != "lis-down" {
		t.Fatalf("audit = %+v", log)
	}
	waitFor(t, 5*time.Second, "processed after repush", func() bool { return h.tracked("lis-down").Status == StatusProcessed })
}

func TestRetryHeldUntilDueWhileOtherPartitionsFlow(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 2)
	var handled sync.Map
	def := Definition{
		Name: "c4", Streams: []string{testStream}, RetryStreams: []string{testStream}, Retry: fastRetry, Timeout: time.Second,
		New: func(Deps) Handler {
			return HandlerFunc(func(_ context.Context, msgs []*Message) error {
				for _, m := range msgs {
					handled.Store(m.ID, time.Now())
				}
				return nil
			})
		},
	}
	h.run(def)
	// A retry record due in 1.5 s on partition 0, a due one on partition 1,
	// and fresh main-topic records.
	due := time.Now().Add(1500 * time.Millisecond)
	for p, nb := range map[int32]time.Time{0: due, 1: time.Now().Add(-time.Second)} {
		r := &kgo.Record{Topic: h.topics.Retry(testStream), Partition: p, Value: []byte("{}"),
			Headers: []kgo.RecordHeader{{Key: broker.HeaderMessageID, Value: []byte(fmt.Sprint("retry-p", p))}}}
		broker.SetHeaderTime(r, broker.HeaderNotBefore, nb)
		broker.SetHeader(r, broker.HeaderAttempt, "1")
		cl, err := h.bcfg.NewClient(kgo.RecordPartitioner(kgo.ManualPartitioner()))
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(context.Background(), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
		cl.Close()
	}
	h.produce("x", "main-1", "{}")
	waitFor(t, 5*time.Second, "due retry and main record", func() bool {
		_, a := handled.Load("retry-p1")
		_, b := handled.Load("main-1")
		return a && b
	})
	if _, early := handled.Load("retry-p0"); early {
		t.Fatal("the not-yet-due retry record was handled early")
	}
	waitFor(t, 5*time.Second, "held retry record", func() bool { _, ok := handled.Load("retry-p0"); return ok })
	at, _ := handled.Load("retry-p0")
	if at.(time.Time).Before(due) {
		t.Fatalf("held record handled at %v, before its due time %v", at, due)
	}
}

func TestPanicFailsOnlyItsRecord(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 1)
	e := newEffects(func(m *Message, _ int) error {
		if m.ID == "boom" {
			panic("nil map in handler")
		}
		return nil
	})
	h.run(e.def("c5", h))
	h.produce("k", "ok-1", "{}")
	h.produce("k", "boom", "{}")
	h.produce("k", "ok-2", "{}")
	// The store is the truth: a batch that panicked was rolled back, so an
	// in-memory count of handler calls would overcount.
	waitFor(t, 10*time.Second, "others processed", func() bool {
		return h.tracked("ok-1").Status == StatusProcessed && h.tracked("ok-2").Status == StatusProcessed
	})
	done, err := h.store.Processed(context.Background(), "c5", []string{"ok-1", "ok-2", "boom"})
	if err != nil || !done["ok-1"] || !done["ok-2"] || done["boom"] {
		t.Fatalf("claims = %v, %v; want ok-1 and ok-2 only", done, err)
	}
	waitFor(t, 5*time.Second, "panic dead-lettered", func() bool {
		ds, _ := h.store.DeadLetterList(context.Background(), store.DeadQuery{MessageID: "boom"})
		return len(ds) == 1 && ds[0].ErrorClass == "permanent"
	})
}

func TestSameKeyInOrderAcrossLanes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 3)
	var mu sync.Mutex
	seen := map[string][]int{}
	def := Definition{
		Name: "c6", Streams: []string{testStream}, Concurrency: 4, BatchSize: 7, Timeout: time.Second, Retry: fastRetry,
		New: func(Deps) Handler {
			return HandlerFunc(func(_ context.Context, msgs []*Message) error {
				for _, m := range msgs {
					var n int
					if _, err := fmt.Sscan(string(m.Value), &n); err != nil {
						return Permanent(err)
					}
					mu.Lock()
					seen[m.Key] = append(seen[m.Key], n)
					mu.Unlock()
				}
				return nil
			})
		},
	}
	const keys, per = 12, 40
	var recs []*kgo.Record
	for i := range per {
		for k := range keys {
			recs = append(recs, &kgo.Record{Topic: h.topics.Main(testStream), Key: []byte(fmt.Sprint("key-", k)), Value: []byte(fmt.Sprint(i)),
				Headers: []kgo.RecordHeader{{Key: broker.HeaderMessageID, Value: []byte(fmt.Sprintf("m-%d-%d", k, i))}}})
		}
	}
	for _, err := range h.producer.ProduceAll(context.Background(), recs) {
		if err != nil {
			t.Fatal(err)
		}
	}
	h.run(def)
	waitFor(t, 10*time.Second, "all records", func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, s := range seen {
			n += len(s)
		}
		return n == keys*per
	})
	mu.Lock()
	defer mu.Unlock()
	for k, s := range seen {
		for i, n := range s {
			if n != i {
				t.Fatalf("key %s handled out of order: %v", k, s)
			}
		}
	}
}

// TestBrokerFaultsLoseNothing injects failures into the broker: the first
// produce requests to the retry topic and the first offset commits fail.
// Every record must still be applied exactly once.
func TestBrokerFaultsLoseNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 2)
	retryTopic := h.topics.Retry(testStream)
	// A produce request to the retry topic fails before anything is
	// written (NOT_ENOUGH_REPLICAS), and an offset commit is lost
	// (REBALANCE_IN_PROGRESS), so records are redelivered.
	produceFaults := h.cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: retryTopic, Err: kerr.NotEnoughReplicas, Count: 1})
	commitFaults := h.cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Group: "test.consumer-c7", Err: kerr.RebalanceInProgress, Count: 1})
	e := newEffects(func(m *Message, call int) error {
		if m.ID == "m-3" && call == 1 {
			return errors.New("transient")
		}
		return nil
	})
	r := h.run(e.def("c7", h))
	_ = r
	for i := range 20 {
		h.produce(fmt.Sprint("k", i%4), fmt.Sprint("m-", i), "{}")
	}
	waitFor(t, 15*time.Second, "all applied", func() bool {
		for i := range 20 {
			if a, _ := e.count(fmt.Sprint("m-", i)); a != 1 {
				return false
			}
		}
		return true
	})
	time.Sleep(500 * time.Millisecond)
	for i := range 20 {
		if a, _ := e.count(fmt.Sprint("m-", i)); a != 1 {
			t.Fatalf("m-%d applied %d times", i, a)
		}
	}
	if p, c := produceFaults.Hits(), commitFaults.Hits(); p < 1 || c < 1 {
		t.Fatalf("faults not exercised: produce %d commit %d", p, c)
	}
}
