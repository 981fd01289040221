package hl7map_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/hl7map"
	"github.com/imp-health/imp/internal/lab"
)

// seeds returns the golden inputs (HL7 ones as they are, encoder cases as
// the messages they encode to) and, when present, the public corpus.
func seeds(f *testing.F) [][]byte {
	var out [][]byte
	for _, dir := range []string{"decode_results", "decode_status", "decode_order", "decode_customer"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.golden"))
		for _, file := range files {
			in, _ := readGolden(f, file)
			for bytes.HasPrefix(in, []byte("#")) {
				_, in, _ = bytes.Cut(in, []byte("\n"))
			}
			out = append(out, in)
		}
	}
	for _, file := range []string{"encode_orm/stat_with_catalog.golden", "encode_oru/results_with_catalog.golden", "encode_adt/a04_register.golden"} {
		c := readCase(f, goldenInput(f, file))
		orm, _, _ := hl7map.EncodeORM(c.Order, c.Customer, c.tests(), c.options())
		oml, _, _ := hl7map.EncodeOML(c.Order, c.Customer, c.tests(), c.options())
		adt, _, _ := hl7map.EncodeADT(c.Customer, "A04", c.options())
		out = append(out, orm, oml, adt)
		if len(c.Results) > 0 {
			oru, _, _ := hl7map.EncodeORU(c.Order, c.Customer, c.Results, c.tests(), c.options())
			out = append(out, oru)
		}
	}
	corpus, _ := filepath.Glob(filepath.Join(corpusDir, "*.hl7"))
	for _, file := range corpus {
		if data, err := os.ReadFile(file); err == nil {
			out = append(out, data)
		}
	}
	return out
}

// FuzzDecode parses arbitrary input, classifies it and runs every decoder
// on it. Whatever the input: no panic; Classify and Unsupported agree;
// every error is an *hl7map.Error that makes a parsable ACK; every record
// decoded passes lab validation; and results read back the same after
// EncodeORU, so what IMP forwards to partners is what it received.
func FuzzDecode(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := hl7.Parser{MaxSize: 1 << 16}.Parse(data)
		if err != nil {
			return
		}
		opt := testOptions()
		kind := hl7map.Classify(m)
		if u := hl7map.Unsupported(m); (u != nil) != (kind == hl7map.KindUnsupported) {
			t.Fatalf("Classify = %v but Unsupported = %v", kind, u)
		}
		rs, err := hl7map.DecodeResults(m, opt)
		checkFuzzErr(t, m, err)
		for i := range rs {
			if err := rs[i].Validate(); err != nil {
				t.Fatalf("result %d does not validate: %v", i, err)
			}
		}
		if err == nil {
			reencode(t, rs, opt)
		}
		evs, err := hl7map.DecodeStatus(m, opt)
		checkFuzzErr(t, m, err)
		for i := range evs {
			if err := evs[i].Validate(); err != nil {
				t.Fatalf("status event %d does not validate: %v", i, err)
			}
		}
		orders, c, err := hl7map.DecodeOrders(m, opt)
		checkFuzzErr(t, m, err)
		if err == nil {
			for i := range orders {
				if err := orders[i].Validate(); err != nil {
					t.Fatalf("order %d does not validate: %v", i, err)
				}
			}
			if err := c.Validate(); err != nil {
				t.Fatalf("customer does not validate: %v", err)
			}
		}
		_, _, err = hl7map.DecodeOrder(m, opt)
		checkFuzzErr(t, m, err)
		c, err = hl7map.DecodeCustomer(m, opt)
		checkFuzzErr(t, m, err)
		if err == nil {
			if err := c.Validate(); err != nil {
				t.Fatalf("customer does not validate: %v", err)
			}
		}
	})
}

func checkFuzzErr(t *testing.T, m *hl7.Message, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *hl7map.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *hl7map.Error", err)
	}
	if e.Code.Text() == "" || e.Location.Segment == "" || e.Reason == "" {
		t.Fatalf("error %q has code %d, location %+v", e, e.Code, e.Location)
	}
	if _, err := hl7.Parse(hl7.ACK(m, e.AckCode(), hl7.WithError(e.Detail())).Encode()); err != nil {
		t.Fatalf("ACK for %q does not parse: %v", e, err)
	}
}

// reencode encodes decoded results as ORU^R01, one message per accession
// number and customer, and checks they decode to the same results.
func reencode(t *testing.T, rs []lab.Result, opt hl7map.Options) {
	t.Helper()
	type key struct{ acc, cust string }
	groups := map[key][]lab.Result{}
	var order []key
	for _, r := range rs {
		k := key{r.AccessionNumber, r.CustomerID}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	for _, k := range order {
		in := groups[k]
		data, _, err := hl7map.EncodeORU(lab.Order{AccessionNumber: k.acc}, lab.Customer{ID: k.cust}, in, nil, opt)
		if err != nil {
			t.Fatalf("EncodeORU: %v", err)
		}
		m, err := hl7.Parse(data)
		if err != nil {
			t.Fatalf("EncodeORU output does not parse: %v", err)
		}
		out, err := hl7map.DecodeResults(m, opt)
		if err != nil {
			t.Fatalf("EncodeORU output does not decode: %v", err)
		}
		if len(out) != len(in) {
			t.Fatalf("%d results re-encoded as %d", len(in), len(out))
		}
		// ORU groups results by test, so compare by key.
		for _, want := range in {
			found := false
			for _, got := range out {
				if got.ResultKey() == want.ResultKey() {
					found = true
					sameResult(t, 0, normal(want), normal(got))
				}
			}
			if !found {
				t.Fatalf("result %s lost", want.ResultKey())
			}
		}
	}
}

// normal drops what EncodeORU writes differently but equivalently: HL7
// times to the second, the space a comparator may have ("< 5"), and CR LF
// line breaks, which HL7 escapes as \.br\ and gives back as LF.
func normal(r lab.Result) lab.Result {
	r.Value = strings.ReplaceAll(r.Value, "\r\n", "\n")
	r.Comments = slices.Clone(r.Comments)
	for i := range r.Comments {
		r.Comments[i] = strings.ReplaceAll(r.Comments[i], "\r\n", "\n")
	}
	r.ObservedAt = r.ObservedAt.Truncate(time.Second)
	r.VerifiedAt = r.VerifiedAt.Truncate(time.Second)
	if strings.HasPrefix(r.Value, "< ") || strings.HasPrefix(r.Value, "> ") {
		r.Value = r.Value[:1] + r.Value[2:]
	}
	return r
}

// FuzzEncodeRoundTrip puts arbitrary text in the free-text fields of an
// order, a customer and a result: whatever lab validation accepts must
// survive encoding (escaping) and decoding unchanged.
func FuzzEncodeRoundTrip(f *testing.F) {
	f.Add("Fasting | 12h\nCall back", "O'Brien^Smith", "Few cells ~ no casts\r\n\\E\\", "Checked & confirmed.")
	f.Add(`\.br\`, "Ñoño", "<5", "a\rb")
	f.Fuzz(func(t *testing.T, notes, name, value, comment string) {
		c := readCase(t, goldenInput(t, "encode_oru/results_with_catalog.golden"))
		opt := c.options()
		o, cust := c.Order, c.Customer
		o.Notes, o.OrderingClinician.Name = notes, name
		cust.FamilyName, cust.GivenName = name, name
		if o.Validate() != nil || cust.Validate() != nil || blank(notes) || blank(name) {
			return
		}
		for _, encode := range []func(lab.Order, lab.Customer, map[string]lab.Test, hl7map.Options) ([]byte, string, error){hl7map.EncodeORM, hl7map.EncodeOML} {
			data, _, err := encode(o, cust, c.tests(), opt)
			if err != nil {
				t.Fatal(err)
			}
			got, gotC, err := hl7map.DecodeOrder(mustParse(t, data), opt)
			if err != nil {
				t.Fatalf("DecodeOrder: %v", err)
			}
			if got.Notes != strings.ReplaceAll(o.Notes, "\r\n", "\n") || got.OrderingClinician.Name != name {
				t.Fatalf("notes %q name %q, want %q %q", got.Notes, got.OrderingClinician.Name, o.Notes, name)
			}
			if gotC.FamilyName != cust.FamilyName {
				t.Fatalf("family name %q, want %q", gotC.FamilyName, cust.FamilyName)
			}
		}
		r := c.Results[2] // text
		r.Value, r.Comments = value, []string{comment}
		if r.Validate() != nil || blank(comment) {
			return
		}
		data, _, err := hl7map.EncodeORU(o, cust, []lab.Result{r}, c.tests(), opt)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := hl7map.DecodeResults(mustParse(t, data), opt)
		if err != nil || len(rs) != 1 {
			t.Fatalf("DecodeResults: %d results, %v", len(rs), err)
		}
		sameResult(t, 0, normal(r), normal(rs[0]))
	})
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }
