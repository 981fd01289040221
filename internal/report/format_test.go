package report

import (
	"strings"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/lab"
)

func TestFold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"plain ASCII", "plain ASCII"},
		{"José Müller, Größe, Ærø, Ñ", "José Müller, Größe, Ærø, Ñ"},         // Latin-1: kept
		{"Œuvre Šárka Žofie Ÿ €5 – “q” …", "Œuvre Šárka Žofie Ÿ €5 – “q” …"}, // Windows-1252 extras: kept
		{"Łucja Wałęsa-Dvořák, Ğ ş ı", "Lucja Walesa-Dvorák, G s i"},         // folded to base letters
		{"Ștefan Țiriac", "Stefan Tiriac"},
		{"≤ 5 μmol/L ≥ −1", "<= 5 µmol/L >= -1"},
		{"tab\there\r\nline", "tab here  line"},
		{"zero\u200bwidth\ufeff", "zerowidth"},
		{"日本 Ωmega", "?? ?mega"},
	} {
		if got := fold(tc.in, false); got != tc.want {
			t.Errorf("fold(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := fold("a\nb\tc", true); got != "a\nb c" {
		t.Errorf("fold keeping newlines = %q", got)
	}
}

// TestLatinExtAIsComplete keeps the table one entry per code point.
func TestLatinExtAIsComplete(t *testing.T) {
	t.Parallel()
	if len(latinExtA) != 0x180-0x100 {
		t.Fatalf("latinExtA has %d entries, want %d", len(latinExtA), 0x180-0x100)
	}
	for i := range len(latinExtA) {
		c := rune(0x100 + i)
		kept := latinExtA[i] == '*'
		if kept != strings.ContainsRune(cp1252Extra, c) {
			t.Errorf("U+%04X %c: kept = %v, but Windows-1252 has it = %v", c, c, kept, !kept)
		}
	}
}

func TestAgeAt(t *testing.T) {
	t.Parallel()
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		birth string
		at    time.Time
		want  int
	}{
		{"1971-06-15", day(2025, 6, 14), 53},
		{"1971-06-15", day(2025, 6, 15), 54},
		{"2000-02-29", day(2025, 2, 28), 24},
		{"2000-02-29", day(2025, 3, 1), 25},
		{"2025-06-15", day(2025, 6, 14), -1}, // born after the sample: unknown
		{"15.06.1971", day(2025, 6, 14), -1},
		{"", day(2025, 6, 14), -1},
		{"1971-06-15", time.Time{}, -1},
	} {
		if got := ageAt(tc.birth, tc.at); got != tc.want {
			t.Errorf("ageAt(%q, %s) = %d, want %d", tc.birth, tc.at.Format(time.DateOnly), got, tc.want)
		}
	}
}

func TestFormatRange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		r    lab.ReferenceRange
		want string
	}{
		{lab.ReferenceRange{Low: ptr(3.5), High: ptr(5.1)}, "3.5 - 5.1"},
		{lab.ReferenceRange{Low: ptr(60.0)}, ">= 60"},
		{lab.ReferenceRange{High: ptr(0.04)}, "<= 0.04"},
		{lab.ReferenceRange{Text: "negative"}, "negative"},
		{lab.ReferenceRange{Low: ptr(70.0), High: ptr(99.0), Text: "fasting"}, "70 - 99 (fasting)"},
		{lab.ReferenceRange{}, ""},
	} {
		if got := formatRange(tc.r); got != tc.want {
			t.Errorf("formatRange(%+v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}

// TestPlanUsesCatalogRangeForPatient: a result without a range gets the
// catalog's range for the patient's sex and age at collection.
func TestPlanUsesCatalogRangeForPatient(t *testing.T) {
	t.Parallel()
	r := fixture()
	r.Results = r.Results[1:2] // hemoglobin
	r.Results[0].ReferenceRange, r.Results[0].Unit = "", ""
	hb := r.Tests["718-7"]
	hb.ReferenceRanges = []lab.ReferenceRange{
		{Sex: "F", Low: ptr(12.0), High: ptr(15.5)},
		{Sex: "M", AgeMaxYears: ptr(53), Low: ptr(13.5), High: ptr(17.5)},
		{Sex: "M", AgeMinYears: ptr(54), Low: ptr(13.0), High: ptr(17.0)},
	}
	r.Tests = map[string]lab.Test{"718-7": hb}
	// Born 1971-06-15, collected 2025-03-01: 53.
	l := plan(&r, time.UTC)
	if got := l.rows[0]; got.rng != "13.5 - 17.5" || got.unit != "g/dL" || got.name != "Hemoglobin" {
		t.Errorf("row = %+v, want the male <=53 range and the catalog unit", got)
	}
	r.Customer.Sex = "F"
	if got := plan(&r, time.UTC).rows[0].rng; got != "12 - 15.5" {
		t.Errorf("female range = %q", got)
	}
	r.Customer.Sex = "U"
	if got := plan(&r, time.UTC).rows[0].rng; got != "" {
		t.Errorf("range for unknown sex = %q, want none rather than a guess", got)
	}
}

func TestPlanNames(t *testing.T) {
	t.Parallel()
	r := fixture()
	r.Results = r.Results[:2]
	r.Tests = map[string]lab.Test{"2345-7": r.Tests["2345-7"]}
	r.Order.Tests = []lab.OrderTest{{Code: "718-7", Name: "Hb (as ordered)"}}
	l := plan(&r, time.UTC)
	if l.rows[0].name != "Glucose, fasting" || l.rows[1].name != "Hb (as ordered)" {
		t.Errorf("names = %q, %q: want the catalog's, else the order's", l.rows[0].name, l.rows[1].name)
	}
	r.Order.Tests = nil
	if got := plan(&r, time.UTC).rows[1].name; got != "718-7" {
		t.Errorf("name without catalog or order = %q, want the code", got)
	}
}

func TestVerification(t *testing.T) {
	t.Parallel()
	staff := map[string]lab.Employee{"E-1": {GivenName: "Ana", FamilyName: "Ruiz"}}
	res := func(status lab.ResultStatus, by string, hour int) lab.Result {
		r := lab.Result{Status: status, VerifiedBy: by}
		if by != "" {
			r.VerifiedAt = at(1, hour, 0)
		}
		return r
	}
	for _, tc := range []struct {
		name    string
		results []lab.Result
		signoff string
		notes   []string
	}{
		{"one verifier", []lab.Result{res(lab.ResultFinal, "E-1", 9), res(lab.ResultCorrected, "E-1", 9), res(lab.ResultCancelled, "", 0)},
			"All results verified by Ana Ruiz (E-1) on 2025-03-01 09:00.", []string{"", "", ""}},
		{"most common wins", []lab.Result{res(lab.ResultFinal, "E-2", 9), res(lab.ResultFinal, "E-1", 10), res(lab.ResultFinal, "E-1", 10), res(lab.ResultPreliminary, "", 0)},
			"Results verified by Ana Ruiz (E-1) on 2025-03-01 10:00, unless noted at the result.",
			[]string{"Verified by E-2 on 2025-03-01 09:00.", "", "", "Not verified yet."}},
		{"same verifier, other time", []lab.Result{res(lab.ResultFinal, "E-1", 9), res(lab.ResultFinal, "E-1", 11)},
			"Results verified by Ana Ruiz (E-1) on 2025-03-01 09:00, unless noted at the result.",
			[]string{"", "Verified by Ana Ruiz (E-1) on 2025-03-01 11:00."}},
		{"none verified", []lab.Result{res(lab.ResultPreliminary, "", 0)},
			"The results on this report have not been verified yet.", []string{""}},
		{"all cancelled", []lab.Result{res(lab.ResultCancelled, "", 0)}, "", []string{""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &Report{Results: tc.results, Staff: staff}
			notes, signoff := verification(r, time.UTC)
			if signoff != tc.signoff {
				t.Errorf("signoff = %q, want %q", signoff, tc.signoff)
			}
			if strings.Join(notes, "|") != strings.Join(tc.notes, "|") {
				t.Errorf("notes = %q, want %q", notes, tc.notes)
			}
		})
	}
}

// TestPlanAgeWithoutCollectionTime: the age, which picks the reference
// range, is taken at ordering when no specimen has a collection time.
func TestPlanAgeWithoutCollectionTime(t *testing.T) {
	t.Parallel()
	r := fixture()
	r.Order.Specimens = nil
	r.Order.OrderedAt = time.Date(2025, 6, 15, 0, 30, 0, 0, time.UTC) // 14 June, 23:30 UTC-1
	west := time.FixedZone("UTC-1", -3600)
	l := plan(&r, west)
	if !l.collectedAt.IsZero() {
		t.Errorf("collectedAt = %v, want zero", l.collectedAt)
	}
	if got := birthLine(r.Customer.BirthDate, l.ageRef); got != "1971-06-15 (53 y)" {
		t.Errorf("birth line = %q: want the age on the local date of ordering", got)
	}
}
