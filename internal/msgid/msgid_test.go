package msgid

import (
	"testing"
	"time"
)

func TestNewIsValidAndOrdered(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	a, b := At(t0), At(t0.Add(time.Millisecond))
	if !Valid(a) || !Valid(b) {
		t.Fatalf("invalid ids %q %q", a, b)
	}
	if a[14] != '7' {
		t.Fatalf("version nibble of %q is not 7", a)
	}
	if !(a < b) {
		t.Fatalf("ids do not sort by time: %q >= %q", a, b)
	}
	got, ok := Time(a)
	if !ok || !got.Equal(t0) {
		t.Fatalf("Time(%q) = %v, %v; want %v", a, got, ok, t0)
	}
	if a, b := New(), New(); a == b {
		t.Fatal("two ids are equal")
	}
}

func TestValidRejects(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "x", "0190c1a2-7b3c-7d4e-8f00-00000000000G", "0190c1a27b3c7d4e8f0000000000000000aa"} {
		if Valid(s) {
			t.Errorf("Valid(%q) = true", s)
		}
	}
}

func TestDeriveIsStableAndDistinct(t *testing.T) {
	t.Parallel()
	a, b := Derive("report", "A-1", "abc"), Derive("report", "A-1", "abc")
	if a != b || !Valid(a) || a[14] != '8' {
		t.Fatalf("Derive = %q, %q", a, b)
	}
	// Length-prefixing keeps ("ab","c") and ("a","bc") apart.
	if Derive("ab", "c") == Derive("a", "bc") || Derive("report", "A-1", "abd") == a {
		t.Fatal("different parts gave the same id")
	}
}
