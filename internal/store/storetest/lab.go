package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func inTx(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.InTx(ctx(t), fn); err != nil {
		t.Fatal(err)
	}
}

func testUpsertMasterVersions(t *testing.T, s store.Store) {
	c := ctx(t)
	emp := func(v int64, dept string) lab.Employee {
		return lab.Employee{ID: "E1", Version: v, FamilyName: "Curie", Role: lab.RoleTechnologist, Department: dept, Active: true}
	}
	tst := func(v int64, name string) lab.Test {
		return lab.Test{Code: "GLU", Version: v, Name: name, SpecimenType: "serum", Unit: "mmol/L", ValueType: lab.ValueNumeric, TATMinutes: 60, Active: true}
	}
	ord := func(v int64, notes string) lab.Order {
		return lab.Order{AccessionNumber: "A1", Version: v, CustomerID: "C1", Tests: []lab.OrderTest{{Code: "GLU"}}, Priority: lab.PriorityRoutine, Notes: notes, OrderedAt: t0}
	}
	var a1, a2, a3 map[string]bool
	inTx(t, s, func(tx store.Tx) (err error) {
		if a1, err = tx.UpsertEmployees(c, []lab.Employee{emp(2, "chem"), emp(1, "old")}); err != nil {
			return err
		}
		if a2, err = tx.UpsertTests(c, []lab.Test{tst(5, "Glucose")}); err != nil {
			return err
		}
		a3, err = tx.UpsertOrders(c, []lab.Order{ord(3, "first")})
		return err
	})
	if !a1["E1"] || !a2["GLU"] || !a3["A1"] {
		t.Fatalf("inserts not applied: %v %v %v", a1, a2, a3)
	}
	inTx(t, s, func(tx store.Tx) (err error) {
		if a1, err = tx.UpsertEmployees(c, []lab.Employee{emp(1, "stale")}); err != nil {
			return err
		}
		if a2, err = tx.UpsertTests(c, []lab.Test{tst(4, "Stale")}); err != nil {
			return err
		}
		a3, err = tx.UpsertOrders(c, []lab.Order{ord(3, "same version")})
		return err
	})
	if a1["E1"] || a2["GLU"] || a3["A1"] {
		t.Fatalf("stale or equal versions applied: %v %v %v", a1, a2, a3)
	}
	e, err := s.Employee(c, "E1")
	if err != nil || e.Department != "chem" || e.Version != 2 {
		t.Fatalf("employee = %+v, %v", e, err)
	}
	x, err := s.Test(c, "GLU")
	if err != nil || x.Name != "Glucose" {
		t.Fatalf("test = %+v, %v", x, err)
	}
	ts, err := s.Tests(c)
	if err != nil || len(ts) != 1 {
		t.Fatalf("tests = %v, %v", ts, err)
	}
	v, err := s.Order(c, "A1")
	if err != nil || v.Order.Notes != "first" || v.LIS.State != "pending" || len(v.Results) != 0 {
		t.Fatalf("order = %+v, %v", v, err)
	}
	if _, err := s.Employee(c, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown employee: %v", err)
	}
	if _, err := s.Order(c, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown order: %v", err)
	}
}

func result(code string, v int64, st lab.ResultStatus, value string, updated time.Time) lab.Result {
	return lab.Result{AccessionNumber: "A1", TestCode: code, Version: v, Value: value, Status: st, ObservedAt: t0, UpdatedAt: updated, CustomerID: "C1", Tier: lab.TierSVIP1}
}

func testResultsNewerWins(t *testing.T, s store.Store) {
	c := ctx(t)
	apply := func(rs ...lab.Result) map[string]bool {
		var a map[string]bool
		inTx(t, s, func(tx store.Tx) (err error) { a, err = tx.ApplyResults(c, rs); return err })
		return a
	}
	if a := apply(result("GLU", 1, lab.ResultPreliminary, "5.0", t0), result("NA", 1, lab.ResultFinal, "140", t0)); len(a) != 2 {
		t.Fatalf("applied = %v", a)
	}
	if a := apply(result("GLU", 1, lab.ResultFinal, "5.1", t0)); !a["A1/GLU"] {
		t.Fatal("final did not supersede preliminary at the same version")
	}
	if a := apply(result("GLU", 1, lab.ResultPreliminary, "9.9", t0.Add(time.Hour))); a["A1/GLU"] {
		t.Fatal("a preliminary overwrote a final at the same version")
	}
	if a := apply(result("GLU", 1, lab.ResultCorrected, "5.2", t0)); !a["A1/GLU"] {
		t.Fatal("corrected did not supersede final")
	}
	if a := apply(result("GLU", 1, lab.ResultCorrected, "5.2", t0)); a["A1/GLU"] {
		t.Fatal("a redelivery counted as newer")
	}
	if a := apply(result("NA", 0, lab.ResultCorrected, "1", t0)); a["A1/NA"] {
		t.Fatal("a lower version won")
	}
	// In one batch, the newest of several wins.
	if a := apply(result("K", 2, lab.ResultFinal, "4.0", t0), result("K", 3, lab.ResultFinal, "4.2", t0), result("K", 1, lab.ResultFinal, "3", t0)); !a["A1/K"] {
		t.Fatal("batch result not applied")
	}
	var o lab.Order
	var rs []lab.Result
	inTx(t, s, func(tx store.Tx) (err error) {
		_, err = tx.UpsertOrders(c, []lab.Order{{AccessionNumber: "A1", Version: 1, CustomerID: "C1", Tests: []lab.OrderTest{{Code: "GLU"}}, OrderedAt: t0}})
		if err != nil {
			return err
		}
		o, rs, err = tx.OrderResults(c, "A1")
		return err
	})
	if o.AccessionNumber != "A1" || len(rs) != 3 {
		t.Fatalf("order results = %+v %d", o, len(rs))
	}
	got := map[string]string{}
	for _, r := range rs {
		got[r.TestCode] = r.Value
	}
	if got["GLU"] != "5.2" || got["NA"] != "140" || got["K"] != "4.2" {
		t.Fatalf("stored values = %v", got)
	}
}

func testStatusOrdering(t *testing.T, s store.Store) {
	c := ctx(t)
	ev := func(st lab.Status, at time.Time) lab.StatusEvent {
		return lab.StatusEvent{AccessionNumber: "S1", Status: st, At: at}
	}
	var a map[int]bool
	// Out of order inside one batch: the latest event wins.
	inTx(t, s, func(tx store.Tx) (err error) {
		a, err = tx.ApplyStatus(c, []lab.StatusEvent{ev(lab.StatusReceived, t0.Add(2*time.Minute)), ev(lab.StatusCollected, t0.Add(time.Minute))})
		return err
	})
	if !a[0] || a[1] {
		t.Fatalf("applied = %v, want only the later event", a)
	}
	// An order known only from status events is readable.
	v, err := s.Order(c, "S1")
	if err != nil || v.Status != lab.StatusReceived {
		t.Fatalf("order view = %+v, %v", v, err)
	}
	// Across batches: an older event never wins.
	inTx(t, s, func(tx store.Tx) (err error) {
		a, err = tx.ApplyStatus(c, []lab.StatusEvent{ev(lab.StatusOrdered, t0)})
		return err
	})
	if a[0] {
		t.Fatal("an older event was applied")
	}
	inTx(t, s, func(tx store.Tx) (err error) {
		a, err = tx.ApplyStatus(c, []lab.StatusEvent{ev(lab.StatusReleased, t0.Add(time.Hour)), ev(lab.StatusInProgress, t0.Add(2*time.Hour))})
		return err
	})
	if !a[0] || a[1] {
		t.Fatalf("applied = %v: released is terminal", a)
	}
	v, _ = s.Order(c, "S1")
	if v.Status != lab.StatusReleased || !v.StatusAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("status = %s at %v", v.Status, v.StatusAt)
	}
}

func testLISStateAndTiers(t *testing.T, s store.Store) {
	c := ctx(t)
	inTx(t, s, func(tx store.Tx) error {
		if _, err := tx.UpsertOrders(c, []lab.Order{{AccessionNumber: "L1", Version: 1, CustomerID: "C1", Tests: []lab.OrderTest{{Code: "GLU"}}, OrderedAt: t0}}); err != nil {
			return err
		}
		if _, err := tx.UpsertCustomers(c, []lab.Customer{customer("C1", 1, "X"), {ID: "C2", Version: 1, Tier: lab.TierSVIP2, FamilyName: "Y"}}); err != nil {
			return err
		}
		return tx.SetLISState(c, "L1", store.LISState{State: "rejected", Detail: "AE: unknown test", At: t0})
	})
	v, err := s.Order(c, "L1")
	if err != nil || v.LIS.State != "rejected" || v.LIS.Detail != "AE: unknown test" || !v.LIS.At.Equal(t0) {
		t.Fatalf("lis = %+v, %v", v.LIS, err)
	}
	err = s.InTx(c, func(tx store.Tx) error { return tx.SetLISState(c, "nope", store.LISState{State: "sent"}) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("lis state of unknown order: %v", err)
	}
	tiers, err := s.CustomerTiers(c, []string{"C1", "C2", "C3"})
	if err != nil || tiers["C1"] != lab.TierGeneral || tiers["C2"] != lab.TierSVIP2 || len(tiers) != 2 {
		t.Fatalf("tiers = %v, %v", tiers, err)
	}
}

func testOrderViews(t *testing.T, s store.Store) {
	c := ctx(t)
	inTx(t, s, func(tx store.Tx) error {
		if _, err := tx.UpsertOrders(c, []lab.Order{{AccessionNumber: "V1", Version: 1, CustomerID: "C1", PartnerID: "P", Tests: []lab.OrderTest{{Code: "GLU"}}, OrderedAt: t0, Status: lab.StatusOrdered}}); err != nil {
			return err
		}
		if _, err := tx.ApplyResults(c, []lab.Result{result("GLU", 1, lab.ResultFinal, "5", t0)}); err != nil { // accession A1
			return err
		}
		_, err := tx.ApplyStatus(c, []lab.StatusEvent{{AccessionNumber: "V2", Status: lab.StatusReceived, At: t0}})
		return err
	})
	vs, err := s.OrderViews(c, []string{"V1", "A1", "V2", "none", "V1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 3 {
		t.Fatalf("views = %d, want 3 (unknown accessions absent)", len(vs))
	}
	if v := vs["V1"]; v.Order.PartnerID != "P" || v.Status != lab.StatusOrdered || v.LIS.State != "pending" || len(v.Results) != 0 {
		t.Fatalf("V1 = %+v", v)
	}
	if v := vs["A1"]; len(v.Results) != 1 || v.Order.AccessionNumber != "A1" {
		t.Fatalf("A1 (results only) = %+v", v)
	}
	if v := vs["V2"]; v.Status != lab.StatusReceived || !v.StatusAt.Equal(t0) {
		t.Fatalf("V2 (status only) = %+v", v)
	}
}
