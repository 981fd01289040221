package hl7map_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/hl7map"
	"github.com/imp-health/imp/internal/lab"
)

// Round trips: what IMP encodes, IMP decodes back to the same records, for
// every field HL7 carries.

func mustParse(t testing.TB, data []byte) *hl7.Message {
	t.Helper()
	m, err := hl7.Parse(data)
	if err != nil {
		t.Fatalf("encoded message does not parse: %v", err)
	}
	return m
}

func TestOrderRoundTrip(t *testing.T) {
	t.Parallel()
	c := readCase(t, goldenInput(t, "encode_orm/stat_with_catalog.golden"))
	encoders := map[string]func(lab.Order, lab.Customer, map[string]lab.Test, hl7map.Options) ([]byte, string, error){
		"ORM": hl7map.EncodeORM,
		"OML": hl7map.EncodeOML,
	}
	for name, encode := range encoders {
		for _, status := range lab.Statuses {
			for _, prio := range lab.Priorities {
				for _, catalog := range []map[string]lab.Test{c.tests(), nil} {
					o := c.Order
					o.Status, o.Priority = status, prio
					data, _, err := encode(o, c.Customer, catalog, c.options())
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					m := mustParse(t, data)
					if k := hl7map.Classify(m); k != hl7map.KindOrder {
						t.Errorf("%s: Classify = %v, want order", name, k)
					}
					got, gotC, err := hl7map.DecodeOrder(m, c.options())
					if err != nil {
						t.Fatalf("%s %s %s: DecodeOrder: %v", name, status, prio, err)
					}
					want := o
					// ORC-5 is coarser than lab.Status; the mapping is lab's.
					want.Status, _ = lab.StatusFromORC5(status.ORC5())
					if status == lab.StatusCancelled {
						want.Status = lab.StatusCancelled
					}
					want.Tests = slices.Clone(want.Tests)
					for i, tc := range want.Tests {
						if x, ok := catalog[tc.Code]; ok {
							want.Tests[i].Name = x.Name // OBR-4 carries the catalog's name
						}
					}
					checkOrder(t, name, want, got, name == "OML")
					checkCustomer(t, name, c.Customer, gotC)
					if got.Version != now.UnixMicro() {
						t.Errorf("%s: version %d, want MSH-7 in microseconds %d", name, got.Version, now.UnixMicro())
					}
				}
			}
		}
	}
}

func checkOrder(t *testing.T, name string, want, got lab.Order, specimens bool) {
	t.Helper()
	switch {
	case got.AccessionNumber != want.AccessionNumber:
		t.Errorf("%s: accession %q, want %q", name, got.AccessionNumber, want.AccessionNumber)
	case got.CustomerID != want.CustomerID:
		t.Errorf("%s: customer %q, want %q", name, got.CustomerID, want.CustomerID)
	case got.OrderingClinician != want.OrderingClinician:
		t.Errorf("%s: clinician %+v, want %+v", name, got.OrderingClinician, want.OrderingClinician)
	case !slices.Equal(got.Tests, want.Tests):
		t.Errorf("%s: tests %+v, want %+v", name, got.Tests, want.Tests)
	case got.Priority != want.Priority:
		t.Errorf("%s: priority %q, want %q", name, got.Priority, want.Priority)
	case got.Notes != want.Notes:
		t.Errorf("%s: notes %q, want %q", name, got.Notes, want.Notes)
	case !got.OrderedAt.Equal(want.OrderedAt):
		t.Errorf("%s: ordered_at %v, want %v", name, got.OrderedAt, want.OrderedAt)
	case got.Status != want.Status:
		t.Errorf("%s: status %q, want %q", name, got.Status, want.Status)
	}
	if !specimens {
		return
	}
	byID := func(a, b lab.Specimen) int { return strings.Compare(a.ID, b.ID) }
	w, g := slices.SortedFunc(slices.Values(want.Specimens), byID), slices.SortedFunc(slices.Values(got.Specimens), byID)
	if len(w) != len(g) {
		t.Fatalf("%s: %d specimens, want %d", name, len(g), len(w))
	}
	for i := range w {
		if w[i].ID != g[i].ID || w[i].Type != g[i].Type || !w[i].CollectedAt.Equal(g[i].CollectedAt) {
			t.Errorf("%s: specimen %+v, want %+v", name, g[i], w[i])
		}
	}
}

func checkCustomer(t *testing.T, name string, want, got lab.Customer) {
	t.Helper()
	w, g := want, got
	// Tier, delivery preferences, partner and versions are IMP's, not HL7's.
	w.Tier, w.Delivery, w.PartnerID, w.Version, w.UpdatedAt = "", lab.Delivery{}, "", 0, time.Time{}
	g.Tier, g.Version, g.UpdatedAt = "", 0, time.Time{}
	if w != g {
		t.Errorf("%s: customer\n got %+v\nwant %+v", name, g, w)
	}
}

func TestCustomerRoundTrip(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"encode_adt/a04_register.golden", "encode_adt/a08_update_v23.golden"} {
		c := readCase(t, goldenInput(t, file))
		data, _, err := hl7map.EncodeADT(c.Customer, c.Trigger, c.options())
		if err != nil {
			t.Fatal(err)
		}
		m := mustParse(t, data)
		if k := hl7map.Classify(m); k != hl7map.KindPatient {
			t.Errorf("%s: Classify = %v, want patient", file, k)
		}
		got, err := hl7map.DecodeCustomer(m, c.options())
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		checkCustomer(t, file, c.Customer, got)
	}
}

func TestResultsRoundTrip(t *testing.T) {
	t.Parallel()
	c := readCase(t, goldenInput(t, "encode_oru/results_with_catalog.golden"))
	for _, catalog := range []map[string]lab.Test{c.tests(), nil} {
		data, _, err := hl7map.EncodeORU(c.Order, c.Customer, c.Results, catalog, c.options())
		if err != nil {
			t.Fatal(err)
		}
		m := mustParse(t, data)
		if k := hl7map.Classify(m); k != hl7map.KindResults {
			t.Errorf("Classify = %v, want results", k)
		}
		got, err := hl7map.DecodeResults(m, c.options())
		if err != nil {
			t.Fatalf("DecodeResults: %v", err)
		}
		if len(got) != len(c.Results) {
			t.Fatalf("%d results, want %d", len(got), len(c.Results))
		}
		for i, want := range c.Results {
			g := got[i]
			if g.Version != now.UnixMicro() || !g.UpdatedAt.Equal(now) {
				t.Errorf("result %d: version %d updated_at %v, want MSH-7 %v", i, g.Version, g.UpdatedAt, now)
			}
			sameResult(t, i, want, g)
		}
	}
}

// sameResult compares the fields HL7 carries: all but version, updated_at
// (both from MSH-7) and tier.
func sameResult(t *testing.T, i int, want, got lab.Result) {
	t.Helper()
	w, g := want, got
	for _, r := range []*lab.Result{&w, &g} {
		r.Version, r.UpdatedAt, r.Tier = 0, time.Time{}, ""
		r.ObservedAt, r.VerifiedAt = r.ObservedAt.UTC(), r.VerifiedAt.UTC()
	}
	if !slices.Equal(w.Comments, g.Comments) {
		t.Errorf("result %d: comments %q, want %q", i, g.Comments, w.Comments)
	}
	w.Comments, g.Comments = nil, nil
	if !reflect.DeepEqual(w, g) {
		t.Errorf("result %d:\n got %+v\nwant %+v", i, g, w)
	}
}

// TestCorrectionWins: a corrected result sent later gets a higher version
// from MSH-7 and replaces the final one; the final one resent afterwards
// does not replace the correction.
func TestCorrectionWins(t *testing.T) {
	t.Parallel()
	c := readCase(t, goldenInput(t, "encode_oru/results_with_catalog.golden"))
	final := c.Results[0]
	corrected := final
	corrected.Value, corrected.Status, corrected.Comments = "101", lab.ResultCorrected, []string{"Recalibrated."}

	decode := func(r lab.Result, at time.Time) lab.Result {
		t.Helper()
		opt := c.options()
		opt.Now = func() time.Time { return at }
		data, _, err := hl7map.EncodeORU(c.Order, c.Customer, []lab.Result{r}, nil, opt)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := hl7map.DecodeResults(mustParse(t, data), opt)
		if err != nil || len(rs) != 1 {
			t.Fatalf("DecodeResults: %d results, %v", len(rs), err)
		}
		return rs[0]
	}
	first := decode(final, now)
	second := decode(corrected, now.Add(time.Second))
	resent := decode(final, now) // the old message again, same MSH-7
	if !second.Newer(first) {
		t.Errorf("correction (version %d) is not newer than the final result (version %d)", second.Version, first.Version)
	}
	if resent.Newer(second) {
		t.Errorf("the resent final result replaces the correction")
	}
	if resent.Newer(first) || first.Newer(resent) {
		t.Errorf("a resent message is not a duplicate: versions %d and %d", first.Version, resent.Version)
	}
}

// TestControlIDStable: a resent order carries the same MSH-10 (derived from
// the IMP message id, or else from the order's key and version), whatever
// the clock says; another message id gives another control id.
func TestControlIDStable(t *testing.T) {
	t.Parallel()
	c := readCase(t, goldenInput(t, "encode_orm/stat_with_catalog.golden"))
	opt := c.options()
	_, id1, _ := hl7map.EncodeORM(c.Order, c.Customer, nil, opt)
	opt.Now = func() time.Time { return now.Add(time.Hour) }
	_, id2, _ := hl7map.EncodeORM(c.Order, c.Customer, nil, opt)
	opt.MessageID = "018e0f5a-3c2b-7d4e-9a1b-000000000000"
	_, id3, _ := hl7map.EncodeORM(c.Order, c.Customer, nil, opt)
	opt.MessageID = ""
	_, id4, _ := hl7map.EncodeORM(c.Order, c.Customer, nil, opt)
	o := c.Order
	o.Version++
	_, id5, _ := hl7map.EncodeORM(o, c.Customer, nil, opt)
	if id1 != id2 {
		t.Errorf("resend changed the control id: %s, %s", id1, id2)
	}
	if id1 != hl7map.ControlID(c.MessageID) {
		t.Errorf("control id %s is not ControlID(message id) %s", id1, hl7map.ControlID(c.MessageID))
	}
	if id3 == id1 || id4 == id3 || id5 == id4 {
		t.Errorf("different messages share a control id: %s %s %s %s", id1, id3, id4, id5)
	}
	for _, id := range []string{id1, id3, id4, id5} {
		if len(id) > 20 || strings.Trim(id, "0123456789ABCDEFGHIJKLMNOPQRSTUV") != "" {
			t.Errorf("control id %q: want at most 20 of 0-9 A-V", id)
		}
	}
}
