package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/store/sqlite"
)

// split runs `imp api` (with the embedded broker) and `imp consume` for the
// master-data consumers as separate processes on one data directory, as
// the seed runs api and consumer-* deployments.
type split struct {
	dir, brokerAddr string
	api             *proc
}

func startSplit(t *testing.T) *split {
	t.Helper()
	dir := t.TempDir()
	broker := freePort(t)
	api := start(t, dir, []string{"IMP_KAFKA_LISTEN=" + broker}, "api")
	return &split{dir: dir, brokerAddr: broker, api: api}
}

func (s *split) consume(t *testing.T) *proc {
	t.Helper()
	return start(t, s.dir, []string{
		"IMP_KAFKA_BROKERS=" + s.brokerAddr,
		"IMP_INSTANCE_ID=e2e-consumer", // a restarted member takes its partitions back at once
		"IMP_SHUTDOWN_TIMEOUT=10s",
	}, "consume", "customer", "employee", "lis-test-master")
}

// update is one master-data update the test posts.
type update struct {
	path, id string
	version  int64
	body     map[string]any
}

func masterUpdates(n int) []update {
	var us []update
	for i := range n {
		v := int64(i/30 + 1) // 30 entities per kind, versions rising
		switch i % 3 {
		case 0:
			id := fmt.Sprintf("C-%02d", i%30)
			us = append(us, update{"/v1/customers", id, v, map[string]any{"id": id, "version": v, "family_name": fmt.Sprint("V", v)}})
		case 1:
			id := fmt.Sprintf("E-%02d", i%30)
			us = append(us, update{"/v1/employees", id, v, map[string]any{"id": id, "version": v, "family_name": fmt.Sprint("V", v), "role": "technologist", "active": true}})
		default:
			code := fmt.Sprintf("T%02d", i%30)
			us = append(us, update{"/v1/tests", code, v, map[string]any{"code": code, "version": v, "name": fmt.Sprint("V", v),
				"specimen_type": "serum", "value_type": "text", "tat_minutes": 60, "active": true}})
		}
	}
	return us
}

// postAll posts updates with a few concurrent clients and returns the
// accepted message ids.
func postAll(t *testing.T, base string, us []update) map[string]bool {
	t.Helper()
	var mu sync.Mutex
	ids := map[string]bool{}
	var wg sync.WaitGroup
	work := make(chan update)
	for range 8 {
		wg.Go(func() {
			for u := range work {
				code, body, err := post(context.Background(), base, u.path, u.body)
				if err != nil || code != 202 {
					t.Errorf("POST %s: %d %v %v", u.path, code, body, err)
					continue
				}
				mu.Lock()
				ids[body["message_id"].(string)] = true
				mu.Unlock()
			}
		})
	}
	for _, u := range us {
		work <- u
	}
	close(work)
	wg.Wait()
	return ids
}

// checkExactlyOnce stops nothing; it opens the store read-side and checks
// every accepted id was processed exactly once by its consumer and that
// each entity ends at its newest version.
func checkExactlyOnce(t *testing.T, dir string, us []update, ids map[string]bool) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "imp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	newest := map[string]int64{}
	for _, u := range us {
		newest[u.path+"/"+u.id] = max(newest[u.path+"/"+u.id], u.version)
	}
	deadline := time.Now().Add(60 * time.Second)
	for key, v := range newest {
		for {
			var got int64
			var err error
			switch {
			case key[:13] == "/v1/customers":
				var c struct{ Version int64 }
				cc, e := st.Customer(ctx, key[14:])
				c.Version, err = cc.Version, e
				got = c.Version
			case key[:13] == "/v1/employees":
				e, er := st.Employee(ctx, key[14:])
				got, err = e.Version, er
			default:
				x, er := st.Test(ctx, key[10:])
				got, err = x.Version, er
			}
			if err == nil && got == v {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: version %d, want %d (err %v)", key, got, v, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// Exactly once: every accepted id is tracked processed once and never
	// as a duplicate application.
	for id := range ids {
		var rs []store.TrackRecord
		for {
			rs, err = st.Messages(ctx, store.MessageQuery{MessageID: id})
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(rs) != 1 {
			t.Fatalf("message %s tracked %d times: %+v", id, len(rs), rs)
		}
		if rs[0].Status != "processed" && rs[0].Status != "duplicate" {
			t.Fatalf("message %s ended %s", id, rs[0].Status)
		}
	}
}

// TestConsumerKill9LosesAndDoublesNothing posts 10,000 mixed master-data
// updates while the consumer process is killed with SIGKILL at random
// moments and restarted; every update is applied exactly once and every
// entity ends at its newest version.
func TestConsumerKill9LosesAndDoublesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	s := startSplit(t)
	us := masterUpdates(10_000)
	ids := map[string]bool{}
	var mu sync.Mutex
	posted := make(chan struct{})
	go func() {
		defer close(posted)
		got := postAll(t, s.api.base, us)
		mu.Lock()
		ids = got
		mu.Unlock()
	}()
	c := s.consume(t)
	for trial := range 4 {
		time.Sleep(time.Duration(200+rand.IntN(600)) * time.Millisecond)
		c.kill9(t)
		t.Logf("trial %d: consumer killed", trial)
		c = s.consume(t)
	}
	<-posted
	mu.Lock()
	defer mu.Unlock()
	if len(ids) != len(us) {
		t.Fatalf("accepted %d of %d", len(ids), len(us))
	}
	checkExactlyOnce(t, s.dir, us, ids)
	c.stop(t, 15*time.Second)
}

// TestConsumerSIGTERMDrains sends SIGTERM to the consumer under load: it
// exits within its drain deadline, and after a restart nothing it had
// handled is handled again (no duplicates in tracking).
func TestConsumerSIGTERMDrains(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	s := startSplit(t)
	us := masterUpdates(3000)
	c := s.consume(t)
	posted := make(chan map[string]bool, 1)
	go func() { posted <- postAll(t, s.api.base, us) }()
	time.Sleep(700 * time.Millisecond)
	took := c.stop(t, 12*time.Second) // the drain deadline is 10 s
	t.Logf("consumer drained and exited in %v", took)
	c = s.consume(t)
	ids := <-posted
	checkExactlyOnce(t, s.dir, us, ids)
	c.stop(t, 12*time.Second)
	st, err := sqlite.Open(context.Background(), filepath.Join(s.dir, "imp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dups, err := st.Messages(context.Background(), store.MessageQuery{Status: "duplicate", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(dups) != 0 {
		t.Fatalf("%d records were handled again after a graceful restart", len(dups))
	}
}
