package hl7map

import (
	"strings"
	"testing"

	"github.com/imp-health/imp/internal/lab"
)

// TestChecksAgreeWithLab keeps the hand-written checks the result decoder
// uses in step with internal/lab's rules, which they replace on the hot
// path: if lab changes a rule, this fails until the copy follows.
func TestChecksAgreeWithLab(t *testing.T) {
	t.Parallel()
	values := []string{
		"", "0", "4.2", "-1", "+1", ".5", "-.5", "5.", "1.2.3", "<0.5", "> 500", ">500", "<  5", "< -1", "<>1",
		"1e5", "NaN", "Inf", "1,000", " 1", "1 ", "0x10", "1" + strings.Repeat("0", 400), strings.Repeat("9", 308),
		strings.Repeat("9", 309), "-" + strings.Repeat("0", 350) + "1", "0." + strings.Repeat("0", 400) + "1", "٣", "12a", "-", "+", ".",
		"mg/dL", "10*3/uL", "%", "[in_i]", "{cells}/uL", "mg per dL", "µg", "[a{b]}", "]", "{", strings.Repeat("m", 32),
		strings.Repeat("m", 33), "ACC-1", "acc_1.2", "A B", "A/B", strings.Repeat("i", 64), strings.Repeat("i", 65), "é",
	}
	for _, v := range values {
		_, _, ok := lab.ParseNumericValue(v)
		if got := numeric(v); got != ok {
			t.Errorf("numeric(%q) = %v, lab.ParseNumericValue says %v", v, got, ok)
		}
		if got, want := validUCUM(v), lab.ValidUCUM(v); got != want {
			t.Errorf("validUCUM(%q) = %v, lab.ValidUCUM says %v", v, got, want)
		}
		var p lab.Problems
		p.ID("id", v)
		if got, want := validID(v), p.Err() == nil; got != want {
			t.Errorf("validID(%q) = %v, lab says %v", v, got, want)
		}
	}
}

// FuzzChecks compares the copies with lab's rules on arbitrary strings.
func FuzzChecks(f *testing.F) {
	for _, s := range []string{"4.2", "<0.5", "10*3/uL", "ACC-1", "[a{b]}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if _, _, ok := lab.ParseNumericValue(v); numeric(v) != ok {
			t.Errorf("numeric(%q) = %v, lab says %v", v, !ok, ok)
		}
		if validUCUM(v) != lab.ValidUCUM(v) {
			t.Errorf("validUCUM(%q) disagrees with lab", v)
		}
		var p lab.Problems
		p.ID("id", v)
		if validID(v) != (p.Err() == nil) {
			t.Errorf("validID(%q) disagrees with lab", v)
		}
	})
}
