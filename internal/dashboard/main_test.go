package dashboard_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/goleak"

	"github.com/imp-health/imp/internal/auth"
	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/consumer"
	"github.com/imp-health/imp/internal/dashboard"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/store/sqlite"
	"github.com/imp-health/imp/internal/stream"
)

func TestMain(m *testing.M) {
	dashboard.UseTestHashing()
	goleak.VerifyTestMain(m,
		// database/sql's opener lives until the pool is closed; stores
		// close in Cleanup, after goleak's view of a single test.
		goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"),
	)
}

var topics = stream.Topics{Prefix: "imp."}

// env is one dashboard with real dependencies: an in-process kfake
// broker, a franz-go producer, a SQLite store in a temp dir, API keys and
// the operator, served by an httptest server under /ui/.
type env struct {
	t       *testing.T
	h       *dashboard.Handler
	srv     *httptest.Server
	st      store.Store
	keys    *auth.Keys
	prod    *broker.Producer
	bcfg    broker.Config
	cluster *kfake.Cluster
	logs    *syncBuffer
	now     *clock
	base    string // server URL + mount
	mount   string // "/ui/" or "/"
}

// clock is a settable time for session expiry tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return time.Now().UTC()
	}
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
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

func newEnv(t *testing.T, mod ...func(*dashboard.Options)) *env {
	t.Helper()
	var names []string
	for _, s := range stream.All() {
		names = append(names, topics.Main(s.Name), topics.Retry(s.Name), topics.DLQ(s.Name))
	}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, names...))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "imp.db"))
	if err != nil {
		cluster.Close()
		t.Fatal(err)
	}
	bcfg := broker.Config{Brokers: cluster.ListenAddrs(), ClientID: "dashboard-test"}
	prod, err := broker.NewProducer(bcfg, 10*time.Second, kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	e := &env{t: t, st: st, prod: prod, bcfg: bcfg, cluster: cluster, logs: logs, now: &clock{},
		keys: auth.NewKeys(st, "pepper", time.Second)}
	opt := dashboard.Options{
		Store: st, Admin: kadm.NewClient(prod.Client()), Broker: bcfg, Topics: topics, Keys: e.keys,
		Operator: &consumer.Operator{Broker: bcfg, Store: st, Producer: prod, Topics: topics},
		Ready:    func(ctx context.Context) error { return st.Ping(ctx) },
		Enabled:  map[string]bool{"customer": true, "lis-orders": true, "worker": true},
		Logger:   slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		BasePath: "/ui/", Now: e.now.Now, RefreshInterval: 100 * time.Millisecond,
	}
	for _, m := range mod {
		m(&opt)
	}
	e.h = dashboard.New(opt)
	mount := "/" + strings.Trim(opt.BasePath, "/") + "/"
	if mount == "//" {
		mount = "/"
	}
	mux := http.NewServeMux()
	mux.Handle(mount, e.h)
	e.srv = httptest.NewServer(mux)
	e.base, e.mount = e.srv.URL+mount, mount
	t.Cleanup(func() {
		e.h.Close()
		e.srv.Close()
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		prod.Close(cctx)
		cluster.Close()
		_ = st.Close()
		// Whatever else a test checks, nothing secret reaches the log.
		if strings.Contains(logs.String(), "imp_session") || strings.Contains(logs.String(), "password\":\"") {
			t.Errorf("the log holds a cookie or password: %s", logs.String())
		}
	})
	return e
}

// client is one browser: a cookie jar and the dashboard's origin.
type client struct {
	e      *env
	hc     *http.Client
	origin string // sent as Origin on POST; "" sends none
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, origin: e.srv.URL, hc: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type resp struct {
	code int
	loc  string
	body string
	hdr  http.Header
}

func (c *client) do(req *http.Request) resp {
	c.e.t.Helper()
	r, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return resp{code: r.StatusCode, loc: r.Header.Get("Location"), body: string(b), hdr: r.Header}
}

func (c *client) get(path string) resp {
	c.e.t.Helper()
	req, _ := http.NewRequest("GET", c.e.base+strings.TrimPrefix(path, "/"), nil)
	return c.do(req)
}

// post sends a form with the page's CSRF token (csrf) added unless the
// form has one.
func (c *client) post(path string, form url.Values) resp {
	c.e.t.Helper()
	req, _ := http.NewRequest("POST", c.e.base+strings.TrimPrefix(path, "/"), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.origin != "" {
		req.Header.Set("Origin", c.origin)
	}
	return c.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token from a page.
func (c *client) csrf(path string) string {
	c.e.t.Helper()
	r := c.get(path)
	m := csrfRE.FindStringSubmatch(r.body)
	if m == nil {
		c.e.t.Fatalf("no CSRF token on %s (%d): %s", path, r.code, r.body)
	}
	return m[1]
}

// form posts values with a fresh CSRF token from page.
func (c *client) form(page, path string, kv ...string) resp {
	c.e.t.Helper()
	v := url.Values{"csrf": {c.csrf(page)}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return c.post(path, v)
}

// login signs in and returns the response to the login POST.
func (c *client) login(user, pw string) resp {
	c.e.t.Helper()
	return c.form("login", "login", "username", user, "password", pw)
}

var otpRE = regexp.MustCompile(`id="otp">([^<]+)<`)

// admin signs in as the first admin (changing the one-time password) and
// returns the client.
func (e *env) admin() *client {
	e.t.Helper()
	user, otp, created, err := dashboard.EnsureAdmin(context.Background(), e.st)
	if err != nil || !created || user != "admin" {
		e.t.Fatalf("EnsureAdmin = %q, %v, %v", user, created, err)
	}
	c := e.client()
	c.mustLogin("admin", otp, adminPassword)
	return c
}

const (
	adminPassword    = "correct horse battery staple"
	operatorPassword = "operator horse battery staple"
	viewerPassword   = "viewer horse battery staple"
)

// mustLogin signs in with a one-time password and changes it to pw.
func (c *client) mustLogin(user, otp, pw string) {
	c.e.t.Helper()
	r := c.login(user, otp)
	if r.code != http.StatusSeeOther || r.loc != c.e.mount+"password" {
		c.e.t.Fatalf("first login of %s: %d %s %s", user, r.code, r.loc, r.body)
	}
	r = c.form("password", "password", "current", otp, "new", pw, "confirm", pw)
	if r.code != http.StatusSeeOther || r.loc != c.e.mount {
		c.e.t.Fatalf("password change of %s: %d %s %s", user, r.code, r.loc, r.body)
	}
}

// user has the admin create a user of role and signs them in.
func (e *env) user(adminC *client, name, role, pw string) *client {
	e.t.Helper()
	r := adminC.form("users", "users", "username", name, "role", role)
	m := otpRE.FindStringSubmatch(r.body)
	if r.code != http.StatusOK || m == nil {
		e.t.Fatalf("create user %s: %d %s", name, r.code, r.body)
	}
	c := e.client()
	c.mustLogin(name, m[1], pw)
	return c
}

// dead puts a record on a stream's DLQ topic and indexes it as the
// consumer runtime would.
func (e *env) dead(id, consumerName, streamName string, value []byte, keys map[string]string) store.DeadLetter {
	e.t.Helper()
	ctx := context.Background()
	rec := &kgo.Record{Topic: topics.DLQ(streamName), Key: []byte(keys["order"]), Value: value, Headers: []kgo.RecordHeader{
		{Key: broker.HeaderMessageID, Value: []byte(id)}, {Key: broker.HeaderErrorClass, Value: []byte("permanent")},
	}}
	if err := e.prod.Produce(ctx, rec); err != nil {
		e.t.Fatal(err)
	}
	d := store.DeadLetter{MessageID: id, Consumer: consumerName, Stream: streamName, Topic: rec.Topic, Partition: rec.Partition,
		Offset: rec.Offset, ErrorClass: "permanent", Error: "LIS rejected the order (AE)", Attempts: 1, Keys: keys,
		DeadAt: time.Now().UTC(), State: "dead"}
	if err := e.st.AddDeadLetters(ctx, []store.DeadLetter{d}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.Track(ctx, []store.TrackRecord{{MessageID: id, Consumer: consumerName, Stream: streamName, Topic: rec.Topic,
		Partition: rec.Partition, Offset: rec.Offset, Status: "dead", Attempt: 1, Error: d.Error, Keys: keys, At: d.DeadAt}}); err != nil {
		e.t.Fatal(err)
	}
	return d
}

// published puts a record on a stream's main topic and tracks it as
// processed by consumer.
func (e *env) published(id, consumerName, streamName string, value []byte, keys map[string]string, note string) {
	e.t.Helper()
	ctx := context.Background()
	rec := &kgo.Record{Topic: topics.Main(streamName), Value: value, Headers: []kgo.RecordHeader{
		{Key: broker.HeaderMessageID, Value: []byte(id)}, {Key: broker.HeaderKind, Value: []byte(streamName)},
	}}
	if err := e.prod.Produce(ctx, rec); err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.Track(ctx, []store.TrackRecord{{MessageID: id, Consumer: consumerName, Stream: streamName, Topic: rec.Topic,
		Partition: rec.Partition, Offset: rec.Offset, Status: "processed", Keys: keys, Note: note, At: time.Now().UTC()}}); err != nil {
		e.t.Fatal(err)
	}
}

// audit returns the audit entries of action, newest first.
func (e *env) audit(action string) []store.AuditEntry {
	e.t.Helper()
	all, err := e.st.AuditLog(context.Background(), 1000, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []store.AuditEntry
	for _, a := range all {
		if a.Action == action {
			out = append(out, a)
		}
	}
	return out
}

// records reads every record now on topic (nothing is deleted in tests,
// so the end offsets say how many to wait for).
func (e *env) records(t *testing.T, topic string) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ends, err := kadm.NewClient(e.prod.Client()).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	ends.Each(func(o kadm.ListedOffset) { want += o.Offset })
	cl, err := e.bcfg.NewClient(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
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
