package consumer

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/ingest"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/store/postgres"
	"github.com/imp-health/imp/internal/store/sqlite"
	"github.com/imp-health/imp/internal/stream"
)

// BenchmarkApplyCustomers measures consumer-customer's exactly-once apply
// rate (claim + versioned upsert in one transaction per batch) through the
// real runner, from records already on the broker to rows committed.
//
//	go test -run '^$' -bench ApplyCustomers -benchtime 20000x ./internal/consumer
func BenchmarkApplyCustomers(b *testing.B) {
	for _, tracked := range []bool{false, true} {
		suffix := ""
		if tracked {
			suffix = "+tracking"
		}
		b.Run("sqlite"+suffix, func(b *testing.B) {
			st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "imp.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			benchApply(b, st, tracked)
		})
		b.Run("postgres"+suffix, func(b *testing.B) {
			base := os.Getenv("IMP_TEST_DATABASE_URL")
			if base == "" {
				b.Skip("IMP_TEST_DATABASE_URL is unset")
			}
			st := pgSchema(b, base)
			defer st.Close()
			benchApply(b, st, tracked)
		})
	}
}

func pgSchema(b *testing.B, base string) store.Store {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	r := make([]byte, 6)
	_, _ = rand.Read(r)
	schema := "bench_" + hex.EncodeToString(r)
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		a, _ := sql.Open("pgx", base)
		_, _ = a.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		_ = a.Close()
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	st, err := postgres.Open(context.Background(), u.String())
	if err != nil {
		b.Fatal(err)
	}
	return st
}

// benchApply runs consumer-customer over b.N records; with tracked, the
// runtime also writes each record's tracking row (StoreTracker), as it
// does in IMP.
func benchApply(b *testing.B, st store.Store, tracked bool) {
	topics := stream.Topics{Prefix: "bench."}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(6, topics.Main(stream.Customer), topics.Retry(stream.Customer), topics.DLQ(stream.Customer)))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	bcfg := broker.Config{Brokers: c.ListenAddrs(), ClientID: "bench"}
	p, err := broker.NewProducer(bcfg, 30*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close(context.Background())
	n := b.N
	recs := make([]*kgo.Record, n)
	for i := range n {
		cust := lab.Customer{ID: fmt.Sprintf("C-%06d", i%5000), Version: int64(i + 1), Tier: lab.TierGeneral, FamilyName: "Bench"}
		v, _ := json.Marshal(cust)
		recs[i] = &kgo.Record{Topic: topics.Main(stream.Customer), Key: []byte(cust.ID), Value: v,
			Headers: []kgo.RecordHeader{{Key: broker.HeaderMessageID, Value: []byte(fmt.Sprintf("m-%08d", i))}}}
	}
	for _, err := range p.ProduceAll(context.Background(), recs) {
		if err != nil {
			b.Fatal(err)
		}
	}
	def, _ := Lookup("customer")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	done := make(chan struct{})
	var seen int
	real := StoreTracker{Store: st}
	tracker := trackerFunc(func(ctx context.Context, outs []Outcome) error {
		if tracked {
			if err := real.Track(ctx, outs); err != nil {
				return err
			}
		}
		seen += len(outs) // Track is called from the single poll goroutine
		if seen >= n {
			select {
			case <-done:
			default:
				close(done)
			}
		}
		return nil
	})
	r, err := NewRunner(def, Deps{Store: st, Producer: p, Topics: topics, Logger: log}, RunnerConfig{
		Broker: bcfg, Topics: topics, Producer: p, Logger: log, Tracker: tracker, MaxPoll: 5000,
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.ResetTimer()
	start := time.Now()
	stopped := make(chan struct{})
	go func() { _ = r.Run(ctx); close(stopped) }()
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		b.Fatal("timed out")
	}
	el := time.Since(start)
	b.StopTimer()
	cancel()
	<-stopped
	b.ReportMetric(float64(n)/el.Seconds(), "records/s")
}

type trackerFunc func(context.Context, []Outcome) error

func (f trackerFunc) Track(ctx context.Context, o []Outcome) error { return f(ctx, o) }

// BenchmarkWorkerJobs measures create-order jobs through the real runner
// on consumer-worker-order: decode the job, map the partner's order,
// publish the customer and the order (acks=all), claim the job — with
// tracking, as in IMP.
//
//	go test -run '^$' -bench WorkerJobs -benchtime 5000x ./internal/consumer
func BenchmarkWorkerJobs(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "imp.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	topics := stream.Topics{Prefix: "bench."}
	var seed []string
	for _, s := range []string{stream.WorkerOrder, stream.Customer, stream.Orders} {
		seed = append(seed, topics.Main(s), topics.Retry(s), topics.DLQ(s))
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(6, seed...))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	bcfg := broker.Config{Brokers: c.ListenAddrs(), ClientID: "bench"}
	p, err := broker.NewProducer(bcfg, 30*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close(ctx)
	n := b.N
	recs := make([]*kgo.Record, n)
	for i := range n {
		payload := fmt.Sprintf(`{"partner_order_id":"PO-%d","patient":{"id":"P-%d","first_name":"A","last_name":"B"},"doctor":{"id":"D1","name":"Dr Who"},"tests":"GLU,NA"}`, i, i%1000)
		v := fmt.Sprintf(`{"kind":"create-order","args":{"format":"flat-json","partner_id":"ACME","payload":%s}}`, payload)
		recs[i] = &kgo.Record{Topic: topics.Main(stream.WorkerOrder), Key: []byte(fmt.Sprint(i)), Value: []byte(v),
			Headers: []kgo.RecordHeader{{Key: broker.HeaderMessageID, Value: []byte(fmt.Sprintf("job-%08d", i))}}}
	}
	for _, err := range p.ProduceAll(ctx, recs) {
		if err != nil {
			b.Fatal(err)
		}
	}
	def, _ := Lookup("worker-order")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	done := make(chan struct{})
	seen := 0
	real := StoreTracker{Store: st}
	tracker := trackerFunc(func(ctx context.Context, outs []Outcome) error {
		if err := real.Track(ctx, outs); err != nil {
			return err
		}
		for _, o := range outs {
			if o.Status != StatusProcessed {
				b.Errorf("job %s: %s %s", o.MessageID, o.Status, o.Error)
				select {
				case <-done:
				default:
					close(done)
				}
				return nil
			}
		}
		seen += len(outs)
		if seen >= n {
			select {
			case <-done:
			default:
				close(done)
			}
		}
		return nil
	})
	pub := ingest.NewPublisher(p, topics, nil)
	r, err := NewRunner(def, Deps{Store: st, Producer: p, Publisher: pub, Topics: topics, Logger: log}, RunnerConfig{
		Broker: bcfg, Topics: topics, Producer: p, Logger: log, Tracker: tracker, MaxPoll: 2000,
	})
	if err != nil {
		b.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	b.ResetTimer()
	start := time.Now()
	stopped := make(chan struct{})
	go func() { _ = r.Run(rctx); close(stopped) }()
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		b.Fatal("timed out")
	}
	el := time.Since(start)
	b.StopTimer()
	cancel()
	<-stopped
	b.ReportMetric(float64(n)/el.Seconds(), "jobs/s")
}
