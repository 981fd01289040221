package consumer

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/metrics"
	"github.com/imp-health/imp/internal/stream"
)

// RunnerConfig is what every runner shares.
type RunnerConfig struct {
	Broker   broker.Config
	Topics   stream.Topics
	Producer *broker.Producer
	Logger   *slog.Logger
	Metrics  *metrics.Metrics // optional
	Tracker  Tracker          // optional
	// ShutdownTimeout bounds finishing in-flight work after the context
	// is cancelled.
	ShutdownTimeout time.Duration
	// MaxPoll bounds the records taken per poll (default 2000).
	MaxPoll int
	// Now is the clock (tests).
	Now func() time.Time
	// ClientOpts are extra kgo options (tests).
	ClientOpts []kgo.Opt
	// InstanceID enables static group membership (suffixed per consumer).
	InstanceID string
}

// Runner runs one consumer definition as a member of its group.
type Runner struct {
	def  Definition
	h    Handler
	cfg  RunnerConfig
	log  *slog.Logger
	cl   *kgo.Client
	seed maphash.Seed

	mu    sync.Mutex
	holds map[holdKey]*time.Timer // paused retry partitions and their resume timers
}

type holdKey struct {
	topic     string
	partition int32
}

// NewRunner builds the runner and its group client (it does not connect
// until Run).
func NewRunner(def Definition, deps Deps, cfg RunnerConfig) (*Runner, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxPoll == 0 {
		cfg.MaxPoll = 2000
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 25 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	def = def.withDefaults()
	r := &Runner{
		def: def, cfg: cfg, seed: maphash.MakeSeed(), holds: map[holdKey]*time.Timer{},
		log: cfg.Logger.With("consumer", def.Name),
	}
	r.h = Chain(def.New(deps),
		Recover(),
		RetryInPlace(def.Retry.InPlaceAttempts, def.Retry.InPlaceBackoff),
		Timeout(def.Timeout),
	)
	opts := append([]kgo.Opt{
		kgo.ConsumerGroup(def.Group(cfg.Topics)),
		kgo.ConsumeTopics(r.topics()...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		// Long enough for a batch with in-place retries to finish before
		// the group gives up on this member during a rebalance.
		kgo.RebalanceTimeout(2*def.Timeout*time.Duration(max(1, def.Retry.InPlaceAttempts)) + 30*time.Second),
		// A crashed member's partitions move on within seconds.
		kgo.SessionTimeout(10 * time.Second),
		kgo.HeartbeatInterval(time.Second),
		kgo.FetchMaxWait(250 * time.Millisecond),
	}, cfg.ClientOpts...)
	if cfg.InstanceID != "" {
		opts = append(opts, kgo.InstanceID(cfg.InstanceID+"-"+def.Name))
	}
	cl, err := cfg.Broker.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	r.cl = cl
	return r, nil
}

func (r *Runner) topics() []string {
	var ts []string
	for _, s := range r.def.Streams {
		ts = append(ts, r.cfg.Topics.Main(s))
	}
	for _, s := range r.def.RetryStreams {
		ts = append(ts, r.cfg.Topics.Retry(s))
	}
	return ts
}

// Run consumes until ctx is cancelled, then finishes the batch in hand,
// commits it and leaves the group, all within ShutdownTimeout.
func (r *Runner) Run(ctx context.Context) error {
	// Work in hand outlives ctx by at most ShutdownTimeout.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	stop := context.AfterFunc(ctx, func() {
		time.AfterFunc(r.cfg.ShutdownTimeout, cancelWork)
	})
	defer stop()
	if m := r.cfg.Metrics; m != nil {
		m.WorkersOnline.WithLabelValues(r.def.Name).Set(1)
		defer m.WorkersOnline.WithLabelValues(r.def.Name).Set(0)
	}
	r.log.Info("consumer started", "group", r.def.Group(r.cfg.Topics), "topics", r.topics())
	defer r.close(work)

	failures := 0
	for {
		fetches := r.cl.PollRecords(ctx, r.cfg.MaxPoll)
		if ctx.Err() != nil || fetches.IsClientClosed() {
			// Records polled but not handled are not committed; the
			// group hands them out again.
			r.cl.AllowRebalance()
			return nil
		}
		fetches.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.Canceled) {
				r.log.Warn("fetch error", "topic", t, "partition", p, "err", err)
			}
		})
		recs := fetches.Records()
		if len(recs) == 0 {
			r.cl.AllowRebalance()
			continue
		}
		done, err := r.process(work, recs)
		if err != nil {
			// Nothing of this poll is committed: rewind and try again.
			failures++
			r.rewind(recs)
			r.cl.AllowRebalance()
			wait := min(time.Duration(failures)*time.Second, 30*time.Second)
			r.log.Error("batch not completed; it will be handled again", "records", len(recs), "retry_in", wait, "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(wait):
			}
			continue
		}
		failures = 0
		if len(done) > 0 {
			if err := r.cl.CommitRecords(work, done...); err != nil {
				// Effects are claimed in the store, so redelivery of these
				// records after a failed commit changes nothing.
				r.log.Warn("offset commit failed; records may be redelivered", "err", err)
			}
		}
		r.cl.AllowRebalance()
	}
}

func (r *Runner) close(work context.Context) {
	r.mu.Lock()
	for k, t := range r.holds {
		t.Stop()
		delete(r.holds, k)
	}
	r.mu.Unlock()
	closed := make(chan struct{})
	go func() {
		r.cl.CloseAllowingRebalance() // leaves the group
		close(closed)
	}()
	select {
	case <-closed:
	case <-work.Done():
		r.log.Warn("shutdown deadline reached before leaving the group")
	}
	r.log.Info("consumer stopped")
}

// process handles one poll and returns the records whose outcome is
// durable, for commit. An error means no outcome of this poll may be
// committed.
func (r *Runner) process(ctx context.Context, recs []*kgo.Record) ([]*kgo.Record, error) {
	start := r.cfg.Now()
	ready, held := r.dueRecords(recs, start)
	if len(ready) == 0 {
		return nil, nil
	}
	msgs := make([]*Message, len(ready))
	for i, rec := range ready {
		name, _, _ := r.cfg.Topics.Parse(rec.Topic)
		msgs[i] = newMessage(rec, name)
	}
	r.runLanes(ctx, msgs)
	if m := r.cfg.Metrics; m != nil {
		m.RuntimeSeconds.WithLabelValues(r.def.Name).Observe(time.Since(start).Seconds())
		m.BatchSize.WithLabelValues(r.def.Name).Observe(float64(len(msgs)))
	}
	ds, err := r.dispose(ctx, msgs)
	if err != nil {
		return nil, err
	}
	r.track(ctx, msgs, ds)
	if held > 0 {
		r.log.Debug("retry records held until due", "records", held)
	}
	return ready, nil
}

// dueRecords splits off retry-topic records that are not due yet: for each
// such partition the first not-due record and everything after it are left
// for later, the partition is paused and rewound to it, and a timer resumes
// it when it is due. Other partitions keep flowing; nothing busy-loops.
func (r *Runner) dueRecords(recs []*kgo.Record, now time.Time) (ready []*kgo.Record, held int) {
	blocked := map[holdKey]bool{}
	ready = recs[:0:0]
	for _, rec := range recs {
		k := holdKey{rec.Topic, rec.Partition}
		if blocked[k] {
			held++
			continue
		}
		if _, kind, _ := r.cfg.Topics.Parse(rec.Topic); kind == stream.Retry {
			if due := broker.HeaderTime(rec, broker.HeaderNotBefore); due.After(now) {
				blocked[k] = true
				held++
				r.hold(k, rec.Offset, rec.LeaderEpoch, due.Sub(now))
				continue
			}
		}
		ready = append(ready, rec)
	}
	return ready, held
}

func (r *Runner) hold(k holdKey, offset int64, epoch int32, wait time.Duration) {
	r.cl.PauseFetchPartitions(map[string][]int32{k.topic: {k.partition}})
	r.cl.SetOffsets(map[string]map[int32]kgo.EpochOffset{k.topic: {k.partition: {Epoch: epoch, Offset: offset}}})
	r.mu.Lock()
	defer r.mu.Unlock()
	if t, ok := r.holds[k]; ok {
		t.Stop()
	}
	r.holds[k] = time.AfterFunc(wait, func() {
		r.mu.Lock()
		delete(r.holds, k)
		r.mu.Unlock()
		r.cl.ResumeFetchPartitions(map[string][]int32{k.topic: {k.partition}})
	})
	r.log.Debug("retry partition paused until due", "topic", k.topic, "partition", k.partition, "offset", offset, "wait", wait)
}

// rewind moves each partition of recs back to its first record.
func (r *Runner) rewind(recs []*kgo.Record) {
	first := map[string]map[int32]kgo.EpochOffset{}
	for _, rec := range recs {
		ps := first[rec.Topic]
		if ps == nil {
			ps = map[int32]kgo.EpochOffset{}
			first[rec.Topic] = ps
		}
		if cur, ok := ps[rec.Partition]; !ok || rec.Offset < cur.Offset {
			ps[rec.Partition] = kgo.EpochOffset{Epoch: rec.LeaderEpoch, Offset: rec.Offset}
		}
	}
	r.cl.SetOffsets(first)
}

// runLanes hashes messages onto lanes by key: different keys in parallel,
// one key in order.
func (r *Runner) runLanes(ctx context.Context, msgs []*Message) {
	n := max(1, r.def.Concurrency)
	lanes := make([][]*Message, n)
	for _, m := range msgs {
		i := 0
		if n > 1 {
			i = int(maphash.String(r.seed, m.Key) % uint64(n))
		}
		lanes[i] = append(lanes[i], m)
	}
	var wg sync.WaitGroup
	for _, lane := range lanes {
		if len(lane) == 0 {
			continue
		}
		wg.Go(func() {
			for start := 0; start < len(lane); start += r.def.BatchSize {
				batch := lane[start:min(start+r.def.BatchSize, len(lane))]
				if err := r.h.Handle(ctx, batch); err != nil {
					failAll(batch, err)
				}
			}
		})
	}
	wg.Wait()
}

// dispose sends each failed message up the ladder or to the DLQ and waits
// for the broker's acknowledgement.
func (r *Runner) dispose(ctx context.Context, msgs []*Message) ([]disposition, error) {
	now := r.cfg.Now()
	var ds []disposition
	for _, m := range msgs {
		if m.err != nil {
			ds = append(ds, decide(m, r.def.Retry, r.cfg.Topics, now))
		}
	}
	if len(ds) == 0 {
		return nil, nil
	}
	todo := ds
	var last error
	for try := 0; len(todo) > 0; try++ {
		if try == 3 || ctx.Err() != nil {
			return nil, fmt.Errorf("move %d failed records to retry/DLQ: giving up for now: %w", len(todo), last)
		}
		recs := make([]*kgo.Record, len(todo))
		for i, d := range todo {
			recs[i] = d.record
		}
		errs := r.cfg.Producer.ProduceAll(ctx, recs)
		var again []disposition
		for i, err := range errs {
			if err != nil {
				again = append(again, todo[i])
				last = err
			}
		}
		todo = again
		if len(todo) > 0 {
			time.Sleep(time.Duration(try+1) * 200 * time.Millisecond)
		}
	}
	for _, d := range ds {
		m := d.msg
		if d.scheduled {
			continue
		}
		if d.dead {
			r.log.Warn("record dead-lettered", "message_id", m.ID, "stream", m.Stream, "attempt", d.attempt,
				"error_class", ErrorClass(m.err), "err", m.err)
		} else {
			r.log.Info("record sent to retry", "message_id", m.ID, "stream", m.Stream, "attempt", d.attempt, "err", m.err)
		}
	}
	return ds, nil
}
