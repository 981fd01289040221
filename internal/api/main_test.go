package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/goleak"

	"github.com/imp-health/imp/internal/api"
	"github.com/imp-health/imp/internal/auth"
	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/consumer"
	"github.com/imp-health/imp/internal/ingest"
	"github.com/imp-health/imp/internal/lis"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/store/sqlite"
	"github.com/imp-health/imp/internal/stream"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// database/sql's opener lives until the pool is closed; the
		// store is closed in Cleanup, after goleak's per-test view.
		goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"),
	)
}

const prefix = "imp."

var topics = stream.Topics{Prefix: prefix}

// env is one API server with real dependencies: an in-process kfake
// broker, franz-go producer, SQLite store in a temp dir and API keys.
type env struct {
	srv     *api.Server
	h       http.Handler
	st      store.Store
	keys    *auth.Keys
	cluster *kfake.Cluster
	prod    *broker.Producer
	bcfg    broker.Config
	admin   string // token with every scope
	logs    *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newEnv starts the server. The log level is debug so tests see every
// line a request can produce.
func newEnv(t testing.TB) *env { return newEnvAt(t, slog.LevelDebug) }

// newEnvAt logs at level (benchmarks use Info, as production does).
func newEnvAt(t testing.TB, level slog.Level) *env {
	t.Helper()
	var names []string
	for _, s := range stream.All() {
		names = append(names, topics.Main(s.Name), topics.Retry(s.Name), topics.DLQ(s.Name))
	}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, names...))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "imp.db"))
	if err != nil {
		cluster.Close()
		t.Fatal(err)
	}
	bcfg := broker.Config{Brokers: cluster.ListenAddrs(), ClientID: "api-test"}
	prod, err := broker.NewProducer(bcfg, 10*time.Second, kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: level}))
	keys := auth.NewKeys(st, "pepper", 10*time.Second)
	e := &env{st: st, keys: keys, cluster: cluster, prod: prod, bcfg: bcfg, logs: logs}
	e.srv = api.New(api.Options{
		Publisher: ingest.NewPublisher(prod, topics, nil),
		Tiers:     ingest.NewTiers(st, time.Minute),
		Store:     st, Keys: keys, Topics: topics, Logger: log,
		Operator: &consumer.Operator{Broker: bcfg, Store: st, Producer: prod, Topics: topics},
		HL7:      &lis.Inbound{Publisher: ingest.NewPublisher(prod, topics, nil), Tiers: ingest.NewTiers(st, time.Minute)},
	})
	e.h = e.srv
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		prod.Close(cctx)
		cluster.Close()
		_ = st.Close()
	})
	e.admin = e.token(t, auth.ScopeAdmin)
	return e
}

// token creates a key with scopes and returns its bearer token.
func (e *env) token(t testing.TB, scopes ...string) string {
	t.Helper()
	tok, _, err := e.keys.Create(context.Background(), "test "+strings.Join(scopes, "+"), scopes)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type reply struct {
	code int
	hdr  http.Header
	body []byte
}

func (r reply) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// call serves one request in process; body may be a string, []byte or a
// value to marshal. hdr holds extra headers as name, value pairs.
func (e *env) call(method, target, token string, body any, hdr ...string) reply {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, target, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return reply{code: rec.Code, hdr: rec.Header(), body: rec.Body.Bytes()}
}

// records reads every record now on topic.
func (e *env) records(t testing.TB, topic string) []*kgo.Record {
	t.Helper()
	adm := e.prod.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The end offsets say how many records to wait for.
	req := kgo.ConsumeTopics(topic)
	cl, err := e.bcfg.NewClient(req, kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	want := endOffsets(t, ctx, adm, topic)
	var out []*kgo.Record
	for int64(len(out)) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records on %s", len(out), want, topic)
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	return out
}

func header(r *kgo.Record, k string) string { return broker.Header(r, k) }

// endOffsets sums the end offsets of topic's partitions: the number of
// records on it (nothing is deleted in tests).
func endOffsets(t testing.TB, ctx context.Context, cl *kgo.Client, topic string) int64 {
	t.Helper()
	offs, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	offs.Each(func(o kadm.ListedOffset) { n += o.Offset })
	return n
}
