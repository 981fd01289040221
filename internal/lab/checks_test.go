package lab

import (
	"strings"
	"testing"
	"time"
)

func TestValidLOINC(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code string
		want bool
	}{
		{"2345-7", true},  // glucose
		{"718-7", true},   // hemoglobin
		{"2951-2", true},  // sodium
		{"2823-3", true},  // potassium
		{"2160-0", true},  // creatinine
		{"94500-6", true}, // SARS-CoV-2 RNA
		{"2345-8", false}, // wrong check digit
		{"718-8", false},
		{"2345", false},
		{"2345-", false},
		{"-7", false},
		{"12345678-9", false}, // body too long
		{"2345-77", false},
		{" 2345-7", false},
		{"2345–7", false}, // en dash
		{"٢٣٤٥-7", false}, // non-ASCII digits
		{"", false},
	} {
		t.Run(tc.code, func(t *testing.T) {
			t.Parallel()
			if got := ValidLOINC(tc.code); got != tc.want {
				t.Errorf("ValidLOINC(%q) = %v, want %v", tc.code, got, tc.want)
			}
		})
	}
}

func TestProblemsLOINCReasons(t *testing.T) {
	t.Parallel()
	var p Problems
	p.LOINC("a", "2345-8")
	p.LOINC("b", "glucose")
	p.LOINC("c", "")
	p.LOINC("d", "2345-7")
	err := p.Err()
	wantFields(t, err, "a", "b")
	if !strings.Contains(err.Error(), "check digit") {
		t.Errorf("reason for a wrong check digit should say so: %v", err)
	}
}

func TestValidUCUM(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		unit string
		want bool
	}{
		{"mg/dL", true},
		{"mmol/L", true},
		{"10*3/uL", true},
		{"%", true},
		{"1", true},
		{"mm[Hg]", true},
		{"{cells}/uL", true},
		{"[IU]/L", true},
		{"ug/{total}[IU]", true},
		{strings.Repeat("g", 32), true},
		{strings.Repeat("g", 33), false},
		{"", false},
		{"mg per dL", false},
		{"µg/L", false},
		{"mm[Hg", false},
		{"{cells/uL", false},
		{"mm]Hg[", false},
		{"[{]}", false},
		{"mg\t", false},
	} {
		t.Run(tc.unit, func(t *testing.T) {
			t.Parallel()
			if got := ValidUCUM(tc.unit); got != tc.want {
				t.Errorf("ValidUCUM(%q) = %v, want %v", tc.unit, got, tc.want)
			}
		})
	}
}

func TestProblemsHelpers(t *testing.T) {
	t.Parallel()
	var p Problems
	p.NonNegative("version_ok", 0)
	p.NonNegative("version", -1)
	if !p.RequiredTime("at_ok", t0) {
		t.Error("RequiredTime of a set time = false")
	}
	if p.RequiredTime("at", time.Time{}) {
		t.Error("RequiredTime of the zero time = true")
	}
	p.Email("email_ok", "")
	p.Email("email_ok2", "a@b.example")
	p.Email("email", "not-an-address")
	p.Phone("phone_ok", "+44 20 7946 0958")
	p.Phone("phone", "call me")
	p.UCUM("unit_ok", "")
	p.UCUM("unit", "mg per dL")
	wantFields(t, p.Err(), "version", "at", "email", "phone", "unit")
}
