package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/store"
)

func testTracking(t *testing.T, s store.Store) {
	c := ctx(t)
	rec := func(id, consumer, status string, attempt int, at time.Time) store.TrackRecord {
		return store.TrackRecord{MessageID: id, Consumer: consumer, Stream: "lis-orders", Topic: "imp.lis-orders", Partition: 1,
			Offset: int64(attempt), Status: status, Attempt: attempt, Keys: map[string]string{"order": "A" + id}, At: at}
	}
	err := s.Track(c, []store.TrackRecord{
		rec("m1", "lis-orders", "retrying", 1, t0),
		rec("m2", "lis-orders", "processed", 0, t0),
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Track(c, []store.TrackRecord{
		rec("m1", "lis-orders", "retrying", 2, t0.Add(time.Second)),
		rec("m1", "lis-orders", "processed", 2, t0.Add(2*time.Second)),
		{MessageID: "m3", Consumer: "customer", Stream: "customer", Status: "dead", Error: "bad", Keys: map[string]string{"customer": "C9"}, At: t0.Add(time.Minute)},
	})
	if err != nil {
		t.Fatal(err)
	}
	// An older outcome arriving late does not overwrite a newer one.
	if err := s.Track(c, []store.TrackRecord{rec("m1", "lis-orders", "retrying", 1, t0)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Messages(c, store.MessageQuery{Order: "Am1"})
	if err != nil || len(got) != 1 || got[0].Status != "processed" || got[0].Attempt != 2 || !got[0].FirstAt.Equal(t0) {
		t.Fatalf("by order = %+v, %v", got, err)
	}
	if got, _ := s.Messages(c, store.MessageQuery{Customer: "C9"}); len(got) != 1 || got[0].MessageID != "m3" || got[0].Error != "bad" {
		t.Fatalf("by customer = %+v", got)
	}
	if got, _ := s.Messages(c, store.MessageQuery{Stream: "lis-orders", Status: "processed"}); len(got) != 2 {
		t.Fatalf("by stream and status = %+v", got)
	}
	if got, _ := s.Messages(c, store.MessageQuery{From: t0.Add(30 * time.Second)}); len(got) != 1 {
		t.Fatalf("by time = %+v", got)
	}
	// Events sort by their own time, so the late copy of attempt 1 sits
	// beside the first.
	tl, err := s.Timeline(c, "m1")
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, e := range tl {
		steps = append(steps, fmt.Sprintf("%s/%d", e.Status, e.Attempt))
	}
	if fmt.Sprint(steps) != "[retrying/1 retrying/1 retrying/2 processed/2]" {
		t.Fatalf("timeline = %v", steps)
	}
	rates, err := s.Rates(c, t0.Add(-time.Hour), time.Minute)
	if err != nil || len(rates) != 2 {
		t.Fatalf("rates = %+v, %v", rates, err)
	}
	for _, p := range rates {
		if p.Consumer == "customer" && (p.Total != 1 || p.Failed != 1 || !p.Start.Equal(t0.Add(time.Minute).Truncate(time.Minute))) {
			t.Fatalf("customer rate = %+v", p)
		}
	}
	act, err := s.Activity(c, t0.Add(-time.Hour))
	if err != nil || len(act) != 2 {
		t.Fatalf("activity = %+v, %v", act, err)
	}
	for _, a := range act {
		if a.Consumer == "customer" && (a.Total != 1 || a.Failed != 1) {
			t.Fatalf("customer activity = %+v", a)
		}
	}
}

func testDeadLetters(t *testing.T, s store.Store) {
	c := ctx(t)
	dl := func(id, stream, class string, at time.Time) store.DeadLetter {
		return store.DeadLetter{MessageID: id, Consumer: stream, Stream: stream, Topic: "imp." + stream + ".dlq", Partition: 0, Offset: 7,
			ErrorClass: class, Error: "boom", Attempts: 3, Keys: map[string]string{"order": "A-" + id}, DeadAt: at}
	}
	if err := s.AddDeadLetters(c, []store.DeadLetter{dl("d1", "lis-orders", "permanent", t0), dl("d2", "lis-orders", "retryable", t0.Add(time.Minute)), dl("d3", "customer", "permanent", t0)}); err != nil {
		t.Fatal(err)
	}
	all, err := s.DeadLetterList(c, store.DeadQuery{})
	if err != nil || len(all) != 3 || all[0].MessageID != "d2" {
		t.Fatalf("list = %+v, %v", all, err)
	}
	if got, _ := s.DeadLetterList(c, store.DeadQuery{Stream: "lis-orders", ErrorClass: "permanent"}); len(got) != 1 || got[0].MessageID != "d1" {
		t.Fatalf("filtered = %+v", got)
	}
	if got, _ := s.DeadLetterList(c, store.DeadQuery{Order: "A-d3"}); len(got) != 1 || got[0].Keys["order"] != "A-d3" {
		t.Fatalf("by order = %+v", got)
	}
	n, err := s.SetDeadState(c, []store.DeadKey{{MessageID: "d1", Consumer: "lis-orders"}, {MessageID: "nope", Consumer: "x"}}, "repushed", "alice", t0.Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("set state = %d, %v", n, err)
	}
	if n, _ := s.SetDeadState(c, []store.DeadKey{{MessageID: "d1", Consumer: "lis-orders"}}, "discarded", "bob", t0); n != 0 {
		t.Fatal("a re-pushed dead letter was discarded")
	}
	if got, _ := s.DeadLetterList(c, store.DeadQuery{State: "repushed"}); len(got) != 1 || got[0].Actor != "alice" {
		t.Fatalf("repushed = %+v", got)
	}
	// Dying again puts it back in the dead list.
	if err := s.AddDeadLetters(c, []store.DeadLetter{dl("d1", "lis-orders", "permanent", t0.Add(2*time.Hour))}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.DeadLetterList(c, store.DeadQuery{MessageID: "d1"}); len(got) != 1 || got[0].State != "dead" {
		t.Fatalf("re-dead = %+v", got)
	}
}

func testAuditAndIdempotency(t *testing.T, s store.Store) {
	c := ctx(t)
	for i := range 3 {
		if err := s.AddAudit(c, store.AuditEntry{Actor: "alice", Action: "repush", Target: fmt.Sprint("m", i), At: t0}); err != nil {
			t.Fatal(err)
		}
	}
	log, err := s.AuditLog(c, 2, 0)
	if err != nil || len(log) != 2 || log[0].Target != "m2" {
		t.Fatalf("audit = %+v, %v", log, err)
	}
	older, _ := s.AuditLog(c, 10, log[1].ID)
	if len(older) != 1 || older[0].Target != "m0" {
		t.Fatalf("audit page 2 = %+v", older)
	}
	rec := store.IdempotencyRecord{Client: "k1", Key: "idem-1", RequestHash: []byte{1}, Status: 202, Response: []byte(`{"a":1}`), CreatedAt: t0}
	if _, err := s.PutIdempotency(c, rec); err != nil {
		t.Fatal(err)
	}
	rec2 := rec
	rec2.Response = []byte(`{"a":2}`)
	got, err := s.PutIdempotency(c, rec2)
	if !errors.Is(err, store.ErrConflict) || !bytes.Equal(got.Response, rec.Response) || got.Status != 202 {
		t.Fatalf("second put = %+v, %v", got, err)
	}
	if _, err := s.GetIdempotency(c, "k2", "idem-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other client's key: %v", err)
	}
}

func testPruneBounded(t *testing.T, s store.Store) {
	c := ctx(t)
	old, fresh := t0, t0.Add(48*time.Hour)
	var recs []store.TrackRecord
	for i := range 30 {
		at := old
		if i >= 25 {
			at = fresh
		}
		recs = append(recs, store.TrackRecord{MessageID: fmt.Sprint("p", i), Consumer: "c", Status: "retrying", At: at})
	}
	if err := s.Track(c, recs); err != nil {
		t.Fatal(err)
	}
	cut := t0.Add(24 * time.Hour)
	n, err := s.Prune(c, cut, 10)
	if err != nil {
		t.Fatal(err)
	}
	if n != 20 { // 10 message rows and 10 events, bounded per table
		t.Fatalf("first prune deleted %d rows, want 20", n)
	}
	for {
		n, err = s.Prune(c, cut, 10)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	left, _ := s.Messages(c, store.MessageQuery{Limit: 1000})
	if len(left) != 5 {
		t.Fatalf("%d messages left, want the 5 fresh ones", len(left))
	}
}

func testDestinations(t *testing.T, s store.Store) {
	c := ctx(t)
	conn := []byte(`{"connector":"webhook","url":"https://partner.example/hook","secret":"s"}`)
	put := func(id, owner, events string, enabled bool) {
		t.Helper()
		if err := s.PutDestination(c, store.Destination{ID: id, Owner: owner, Events: strings.Fields(events), Format: "json",
			Connector: conn, Enabled: enabled, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	put("d1", "partner:P1", "result status", true)
	put("d2", "customer:C1", "result", true)
	put("d3", "*", "status", true)
	put("d4", "partner:P1", "result", false)
	got, err := s.DestinationsFor(c, []string{"partner:P1", "customer:C1"}, "result")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range got {
		ids = append(ids, d.ID)
	}
	if fmt.Sprint(ids) != "[d1 d2]" {
		t.Fatalf("result destinations = %v", ids)
	}
	got, _ = s.DestinationsFor(c, []string{"partner:P2"}, "status")
	if len(got) != 1 || got[0].ID != "d3" || string(got[0].Connector) == "" {
		t.Fatalf("status destinations for another partner = %+v", got)
	}
	put("d1", "partner:P1", "status", true) // replace
	if got, _ := s.DestinationsFor(c, []string{"partner:P1"}, "result"); len(got) != 0 {
		t.Fatalf("replaced destination still takes results: %+v", got)
	}
	if err := s.DeleteDestination(c, "d2"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDestination(c, "d2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	all, _ := s.ListDestinations(c)
	if len(all) != 3 {
		t.Fatalf("list = %d", len(all))
	}
}

func testUsersAndSessions(t *testing.T, s store.Store) {
	c := ctx(t)
	u := store.User{Username: "alice", PasswordHash: "$argon2id$x", Role: "operator", MustChange: true, CreatedAt: t0} //nolint:gosec // a fake hash for the test
	if err := s.CreateUser(c, u); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(c, u); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate user: %v", err)
	}
	u.Role, u.MustChange, u.LastLogin = "admin", false, t0.Add(time.Hour)
	if err := s.UpdateUser(c, u); err != nil {
		t.Fatal(err)
	}
	got, err := s.User(c, "alice")
	if err != nil || got.Role != "admin" || got.MustChange || !got.LastLogin.Equal(t0.Add(time.Hour)) || got.PasswordHash != u.PasswordHash {
		t.Fatalf("user = %+v, %v", got, err)
	}
	if err := s.UpdateUser(c, store.User{Username: "bob"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update unknown: %v", err)
	}
	if n, _ := s.CountUsers(c); n != 1 {
		t.Fatalf("count = %d", n)
	}
	ss := store.Session{IDHash: []byte("h1"), Username: "alice", CSRF: "tok", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateSession(c, ss); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Session(c, []byte("h1"), t0.Add(time.Minute)); err != nil || got.CSRF != "tok" || got.Username != "alice" {
		t.Fatalf("session = %+v, %v", got, err)
	}
	if _, err := s.Session(c, []byte("h1"), t0.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired session: %v", err)
	}
	if err := s.DeleteSessions(c, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(c, []byte("h1"), t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted session: %v", err)
	}
}

func testReports(t *testing.T, s store.Store) {
	c := ctx(t)
	add := func(id, digest string) (store.Report, bool) {
		t.Helper()
		var got store.Report
		var created bool
		inTx(t, s, func(tx store.Tx) (err error) {
			got, created, err = tx.AddReport(c, store.Report{ID: id, Accession: "A1", Digest: digest, Path: "/r/" + id, Size: 10, CreatedAt: t0})
			return err
		})
		return got, created
	}
	r1, created := add("r1", "d1")
	if !created || r1.Version != 1 {
		t.Fatalf("first = %+v %v", r1, created)
	}
	again, created := add("r1-again", "d1")
	if created || again.ID != "r1" || again.Version != 1 {
		t.Fatalf("same digest = %+v %v", again, created)
	}
	r2, created := add("r2", "d2")
	if !created || r2.Version != 2 {
		t.Fatalf("second = %+v %v", r2, created)
	}
	list, err := s.Reports(c, "A1")
	if err != nil || len(list) != 2 || list[0].ID != "r2" || list[1].Path != "/r/r1" {
		t.Fatalf("reports = %+v, %v", list, err)
	}
}
