package hl7map

import (
	"encoding/json"
	"testing"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/lab"
)

func TestSpecimenCodes(t *testing.T) {
	t.Parallel()
	// Every lab specimen type is written with a code that reads back as it.
	for _, st := range lab.SpecimenTypes {
		c, ok := specimenCodes[st]
		if !ok {
			t.Errorf("no HL7 code for %s", st)
			continue
		}
		if got := specimenFromCode(c); got != st {
			t.Errorf("%s is written as %s and reads back as %s", st, c.Code, got)
		}
	}
	for _, tc := range []struct {
		in   hl7.CWE
		want lab.SpecimenType
	}{
		{hl7.CWE{Code: "119364003", Text: "Serum specimen", System: "SCT"}, lab.SpecimenSerum},
		{hl7.CWE{Code: "X1", AltCode: "pls"}, lab.SpecimenPlasma},
		{hl7.CWE{Code: "ASERU", Text: "Serum"}, lab.SpecimenSerum},
		{hl7.CWE{Text: " whole blood "}, lab.SpecimenWholeBlood},
		{hl7.CWE{Code: "SKBP", Text: "Biopsy, Skin"}, lab.SpecimenOther},
		{hl7.CWE{}, lab.SpecimenOther},
	} {
		if got := specimenFromCode(tc.in); got != tc.want {
			t.Errorf("specimenFromCode(%+v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestFlagFrom(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]lab.AbnormalFlag{
		"": lab.FlagNone, "N": lab.FlagNormal, "L": lab.FlagLow, "H": lab.FlagHigh, "LL": lab.FlagCriticalLow,
		"HH": lab.FlagCriticalHigh, "A": lab.FlagAbnormal, "AA": lab.FlagCriticalAbnormal,
		"l": lab.FlagLow, "<": lab.FlagLow, ">": lab.FlagHigh, "LU": lab.FlagLow, "HU": lab.FlagHigh,
		"L~A": lab.FlagLow, "A~HH": lab.FlagCriticalHigh, "N~A": lab.FlagAbnormal, "POS": lab.FlagNone,
		"S": lab.FlagNone, "~N": lab.FlagNormal, "A^A^HL70078": lab.FlagAbnormal,
	} {
		m, err := hl7.Parse([]byte("MSH|^~\\&\rOBX|1|NM|X||1|||" + raw))
		if err != nil {
			t.Fatal(err)
		}
		x := m.First("OBX")
		if got := flagFrom(x.Field(8).Raw(), x.Field); got != want {
			t.Errorf("flagFrom(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestJSONNumber(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"4.2": "4.2", "+1": "1", ".5": "0.5", "-.5": "-0.5", "007.50": "7.50", "0": "0", "-0": "-0", "10": "10",
	} {
		got := jsonNumber(in)
		if string(got) != want {
			t.Errorf("jsonNumber(%q) = %q, want %q", in, got, want)
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("jsonNumber(%q) = %q is not JSON", in, got)
		}
	}
}

func TestReferenceRange(t *testing.T) {
	t.Parallel()
	q := func(v string) string {
		if v == "" {
			return "-"
		}
		return v
	}
	for _, tc := range []struct{ in, low, high string }{
		{"70-99", "70", "99"},
		{"3.5 - 5.1", "3.5", "5.1"},
		{"<5.7", "", "5.7"},
		{"<=200", "", "200"},
		{"> 60", "60", ""},
		{"-5-5", "-5", "5"},
		{"Negative", "", ""},
		{"1:128", "", ""},
		{"5-", "", ""},
	} {
		rr := referenceRange(tc.in, "mg/dL")
		var lo, hi string
		if rr.Low != nil {
			lo = string(rr.Low.Value)
		}
		if rr.High != nil {
			hi = string(rr.High.Value)
		}
		if lo != tc.low || hi != tc.high || rr.Text != tc.in {
			t.Errorf("referenceRange(%q) = low %s high %s text %q, want %s %s", tc.in, q(lo), q(hi), rr.Text, q(tc.low), q(tc.high))
		}
	}
}
