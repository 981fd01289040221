// Package storetest is the test suite every store driver must pass. A driver
// calls Exercise from its own tests with a constructor that returns a fresh,
// migrated, isolated store per call.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
)

// Exercise runs the suite. newStore must return an isolated store (its own
// file or schema) so subtests can run in parallel.
func Exercise(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	tests := map[string]func(t *testing.T, s store.Store){
		"MigrateIsIdempotent":      testMigrateIdempotent,
		"ClaimOnce":                testClaimOnce,
		"ClaimPerConsumer":         testClaimPerConsumer,
		"ClaimLargeBatch":          testClaimLargeBatch,
		"ClaimConcurrent":          testClaimConcurrent,
		"UnclaimInSameTx":          testUnclaim,
		"PanicRollsBack":           testPanicRollsBack,
		"UpsertCustomerVersions":   testUpsertCustomerVersions,
		"UpsertCustomerBatchDupes": testUpsertCustomerBatchDupes,
		"TxRollbackLeavesNothing":  testTxRollback,
		"CustomerNotFound":         testCustomerNotFound,
		"APIKeys":                  testAPIKeys,
		"UpsertMasterVersions":     testUpsertMasterVersions,
		"ResultsNewerWins":         testResultsNewerWins,
		"StatusOrdering":           testStatusOrdering,
		"LISStateAndTiers":         testLISStateAndTiers,
		"Tracking":                 testTracking,
		"DeadLetters":              testDeadLetters,
		"AuditAndIdempotency":      testAuditAndIdempotency,
		"PruneBounded":             testPruneBounded,
		"Destinations":             testDestinations,
		"UsersAndSessions":         testUsersAndSessions,
		"Reports":                  testReports,
		"OrderViews":               testOrderViews,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, newStore(t))
		})
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func testMigrateIdempotent(t *testing.T, s store.Store) {
	c := ctx(t)
	v1, err := s.MigrationVersion(c)
	if err != nil {
		t.Fatal(err)
	}
	if v1 < 1 {
		t.Fatalf("migration version = %d after Open, want >= 1", v1)
	}
	if err := s.Migrate(c); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	v2, err := s.MigrationVersion(c)
	if err != nil || v2 != v1 {
		t.Fatalf("version after re-migrate = %d, %v; want %d", v2, err, v1)
	}
}

func claim(t *testing.T, s store.Store, consumer string, ids ...string) map[string]bool {
	t.Helper()
	var fresh map[string]bool
	err := s.InTx(ctx(t), func(tx store.Tx) error {
		var err error
		fresh, err = tx.Claim(ctx(t), consumer, ids)
		return err
	})
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return fresh
}

func testClaimOnce(t *testing.T, s store.Store) {
	got := claim(t, s, "customer", "m1", "m2", "m2")
	if len(got) != 2 || !got["m1"] || !got["m2"] {
		t.Fatalf("first claim = %v, want m1 and m2", got)
	}
	got = claim(t, s, "customer", "m2", "m3")
	if len(got) != 1 || !got["m3"] {
		t.Fatalf("second claim = %v, want only m3", got)
	}
}

func testClaimPerConsumer(t *testing.T, s store.Store) {
	claim(t, s, "customer", "m1")
	if got, err := s.Processed(ctx(t), "customer", []string{"m1", "m2"}); err != nil || !got["m1"] || got["m2"] {
		t.Fatalf("processed = %v, %v", got, err)
	}
	if got := claim(t, s, "employee", "m1"); !got["m1"] {
		t.Fatalf("another consumer's claim of m1 = %v, want fresh", got)
	}
}

func testClaimLargeBatch(t *testing.T, s store.Store) {
	ids := make([]string, 1234) // more than one statement's worth of rows
	for i := range ids {
		ids[i] = fmt.Sprintf("m%05d", i)
	}
	if got := claim(t, s, "c", ids...); len(got) != len(ids) {
		t.Fatalf("fresh = %d, want %d", len(got), len(ids))
	}
	if got := claim(t, s, "c", ids...); len(got) != 0 {
		t.Fatalf("re-claim fresh = %d, want 0", len(got))
	}
}

func testClaimConcurrent(t *testing.T, s store.Store) {
	const n = 8
	var wg sync.WaitGroup
	wins := make(chan int, n)
	for range n {
		wg.Go(func() {
			var fresh map[string]bool
			err := s.InTx(ctx(t), func(tx store.Tx) error {
				var err error
				fresh, err = tx.Claim(ctx(t), "c", []string{"same"})
				return err
			})
			if err != nil {
				t.Errorf("claim: %v", err)
				return
			}
			wins <- len(fresh)
		})
	}
	wg.Wait()
	close(wins)
	total := 0
	for w := range wins {
		total += w
	}
	if total != 1 {
		t.Fatalf("%d concurrent claims succeeded, want exactly 1", total)
	}
}

func customer(id string, version int64, family string) lab.Customer {
	return lab.Customer{ID: id, Version: version, Tier: lab.TierGeneral, FamilyName: family,
		UpdatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func upsert(t *testing.T, s store.Store, cs ...lab.Customer) map[string]bool {
	t.Helper()
	var applied map[string]bool
	err := s.InTx(ctx(t), func(tx store.Tx) error {
		var err error
		applied, err = tx.UpsertCustomers(ctx(t), cs)
		return err
	})
	if err != nil {
		t.Fatalf("upsert: %v", err)
	}
	return applied
}

func wantFamily(t *testing.T, s store.Store, id, family string, version int64) {
	t.Helper()
	c, err := s.Customer(ctx(t), id)
	if err != nil {
		t.Fatalf("customer %s: %v", id, err)
	}
	if c.FamilyName != family || c.Version != version {
		t.Fatalf("customer %s = %q v%d, want %q v%d", id, c.FamilyName, c.Version, family, version)
	}
}

func testUpsertCustomerVersions(t *testing.T, s store.Store) {
	if a := upsert(t, s, customer("c1", 2, "Two")); !a["c1"] {
		t.Fatalf("insert not applied: %v", a)
	}
	if a := upsert(t, s, customer("c1", 1, "One")); a["c1"] {
		t.Fatal("stale version 1 applied over version 2")
	}
	wantFamily(t, s, "c1", "Two", 2)
	if a := upsert(t, s, customer("c1", 2, "Other")); a["c1"] {
		t.Fatal("equal version applied twice")
	}
	wantFamily(t, s, "c1", "Two", 2)
	c3 := customer("c1", 3, "Three")
	c3.Tier = lab.TierSVIP1
	if a := upsert(t, s, c3); !a["c1"] {
		t.Fatal("newer version 3 not applied")
	}
	got, err := s.Customer(ctx(t), "c1")
	if err != nil || got.Tier != lab.TierSVIP1 || !got.UpdatedAt.Equal(c3.UpdatedAt) {
		t.Fatalf("customer = %+v, %v; want tier svip1 and updated_at kept", got, err)
	}
}

func testUpsertCustomerBatchDupes(t *testing.T, s store.Store) {
	a := upsert(t, s, customer("c1", 1, "One"), customer("c1", 3, "Three"), customer("c1", 2, "Two"), customer("c2", 1, "X"))
	if !a["c1"] || !a["c2"] || len(a) != 2 {
		t.Fatalf("applied = %v, want c1 and c2", a)
	}
	wantFamily(t, s, "c1", "Three", 3)
}

func testTxRollback(t *testing.T, s store.Store) {
	boom := errors.New("boom")
	err := s.InTx(ctx(t), func(tx store.Tx) error {
		if _, err := tx.Claim(ctx(t), "c", []string{"m1"}); err != nil {
			return err
		}
		if _, err := tx.UpsertCustomers(ctx(t), []lab.Customer{customer("c1", 1, "One")}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx error = %v, want boom", err)
	}
	if _, err := s.Customer(ctx(t), "c1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("customer after rollback: err = %v, want ErrNotFound", err)
	}
	if got := claim(t, s, "c", "m1"); !got["m1"] {
		t.Fatal("claim survived a rolled-back transaction")
	}
}

func testCustomerNotFound(t *testing.T, s store.Store) {
	if _, err := s.Customer(ctx(t), "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func testAPIKeys(t *testing.T, s store.Store) {
	c := ctx(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	k := store.APIKey{ID: "k1", Name: "lis", Hash: []byte{1, 2, 3}, Scopes: []string{"orders:write", "read"}, CreatedAt: now}
	if err := s.CreateAPIKey(c, k); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAPIKey(c, k); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate create: err = %v, want ErrConflict", err)
	}
	got, err := s.APIKey(c, "k1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "lis" || string(got.Hash) != "\x01\x02\x03" || len(got.Scopes) != 2 || !got.CreatedAt.Equal(now) || !got.RevokedAt.IsZero() {
		t.Fatalf("key = %+v", got)
	}
	if _, err := s.APIKey(c, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown key: err = %v", err)
	}
	if err := s.RevokeAPIKey(c, "k1", now); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAPIKey(c, "k1", now); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second revoke: err = %v, want ErrConflict", err)
	}
	if err := s.RevokeAPIKey(c, "nope", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke unknown: err = %v, want ErrNotFound", err)
	}
	list, err := s.ListAPIKeys(c)
	if err != nil || len(list) != 1 || list[0].RevokedAt.IsZero() {
		t.Fatalf("list = %+v, %v", list, err)
	}
}

func testUnclaim(t *testing.T, s store.Store) {
	err := s.InTx(ctx(t), func(tx store.Tx) error {
		if _, err := tx.Claim(ctx(t), "c", []string{"ok", "failed"}); err != nil {
			return err
		}
		return tx.Unclaim(ctx(t), "c", []string{"failed"})
	})
	if err != nil {
		t.Fatal(err)
	}
	got := claim(t, s, "c", "ok", "failed")
	if got["ok"] || !got["failed"] {
		t.Fatalf("claim after unclaim = %v, want only failed fresh", got)
	}
}

func testPanicRollsBack(t *testing.T, s store.Store) {
	func() {
		defer func() { _ = recover() }()
		_ = s.InTx(ctx(t), func(tx store.Tx) error {
			if _, err := tx.Claim(ctx(t), "c", []string{"m1"}); err != nil {
				return err
			}
			panic("handler bug")
		})
	}()
	// The store must still take writes (no leaked transaction holding the
	// lock) and the claim must be gone.
	if got := claim(t, s, "c", "m1"); !got["m1"] {
		t.Fatal("claim of a panicked transaction survived")
	}
}
