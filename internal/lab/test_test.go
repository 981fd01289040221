package lab

import (
	"math"
	"strings"
	"testing"
)

// validTest is potassium, serum: sex- and age-specific ranges with
// critical limits.
func validTest() Test {
	return Test{
		Code:         "K",
		Version:      7,
		Name:         "Potassium",
		LOINC:        "2823-3",
		SpecimenType: SpecimenSerum,
		Unit:         "mmol/L",
		ValueType:    ValueNumeric,
		ReferenceRanges: []ReferenceRange{
			{AgeMaxYears: ptr(17), Low: ptr(3.4), High: ptr(4.7)},
			{Sex: "F", AgeMinYears: ptr(18), Low: ptr(3.5), High: ptr(5.1), CriticalLow: ptr(2.8), CriticalHigh: ptr(6.2)},
			{Low: ptr(3.5), High: ptr(5.1), CriticalLow: ptr(2.8), CriticalHigh: ptr(6.2)},
		},
		TATMinutes: 60,
		Active:     true,
		UpdatedAt:  t0,
	}
}

func qualitativeTest() Test {
	return Test{
		Code:            "SARS2-PCR",
		Name:            "SARS-CoV-2 RNA",
		LOINC:           "94500-6",
		SpecimenType:    SpecimenSwab,
		ValueType:       ValueCoded,
		ReferenceRanges: []ReferenceRange{{Text: "Not detected"}},
		TATMinutes:      24 * 60,
		Active:          true,
	}
}

func TestTestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		base   func() Test
		edit   func(*Test)
		fields []string
	}{
		{"valid", validTest, func(*Test) {}, nil},
		{"valid qualitative without unit", qualitativeTest, func(*Test) {}, nil},
		{"no loinc", validTest, func(t *Test) { t.LOINC = "" }, nil},
		{"no ranges", validTest, func(t *Test) { t.ReferenceRanges = nil }, nil},
		{"unitless numeric uses 1", validTest, func(t *Test) { t.Unit = "1" }, nil},
		{"only low", validTest, func(t *Test) { t.ReferenceRanges = []ReferenceRange{{Low: ptr(0.0)}} }, nil},
		{"only high", validTest, func(t *Test) { t.ReferenceRanges = []ReferenceRange{{High: ptr(200.0)}} }, nil},
		{"low equals high", validTest, func(t *Test) { t.ReferenceRanges = []ReferenceRange{{Low: ptr(1.0), High: ptr(1.0)}} }, nil},
		{"age band of one year", validTest, func(t *Test) { t.ReferenceRanges[0].AgeMinYears = ptr(17) }, nil},
		{"every specimen type", validTest, func(t *Test) { t.SpecimenType = SpecimenWholeBlood }, nil},

		{"missing code", validTest, func(t *Test) { t.Code = "" }, []string{"code"}},
		{"bad code", validTest, func(t *Test) { t.Code = "K/1" }, []string{"code"}},
		{"negative version", validTest, func(t *Test) { t.Version = -2 }, []string{"version"}},
		{"missing name", validTest, func(t *Test) { t.Name = "" }, []string{"name"}},
		{"long name", validTest, func(t *Test) { t.Name = strings.Repeat("n", 201) }, []string{"name"}},
		{"loinc check digit", validTest, func(t *Test) { t.LOINC = "2345-8" }, []string{"loinc"}},
		{"loinc form", validTest, func(t *Test) { t.LOINC = "LP12345" }, []string{"loinc"}},
		{"missing specimen type", validTest, func(t *Test) { t.SpecimenType = "" }, []string{"specimen_type"}},
		{"unknown specimen type", validTest, func(t *Test) { t.SpecimenType = "blood" }, []string{"specimen_type"}},
		{"missing value type", qualitativeTest, func(t *Test) { t.ValueType = "" }, []string{"value_type"}},
		{"unknown value type", qualitativeTest, func(t *Test) { t.ValueType = "boolean" }, []string{"value_type"}},
		{"missing value type is reported once", validTest, func(t *Test) { t.ValueType = "" }, []string{"value_type"}},
		{"numeric without unit", validTest, func(t *Test) { t.Unit = "" }, []string{"unit"}},
		{"unit with space", validTest, func(t *Test) { t.Unit = "mmol per L" }, []string{"unit"}},
		{"unit non-ASCII", validTest, func(t *Test) { t.Unit = "µmol/L" }, []string{"unit"}},
		{"unit too long", qualitativeTest, func(t *Test) { t.Unit = strings.Repeat("g", 33) }, []string{"unit"}},
		{"unit unbalanced", validTest, func(t *Test) { t.Unit = "mm[Hg" }, []string{"unit"}},
		{"zero tat", validTest, func(t *Test) { t.TATMinutes = 0 }, []string{"tat_minutes"}},
		{"negative tat", validTest, func(t *Test) { t.TATMinutes = -5 }, []string{"tat_minutes"}},

		{"range bad sex", validTest, func(t *Test) { t.ReferenceRanges[1].Sex = "O" }, []string{"reference_ranges[1].sex"}},
		{"range lower-case sex", validTest, func(t *Test) { t.ReferenceRanges[1].Sex = "f" }, []string{"reference_ranges[1].sex"}},
		{"range negative age min", validTest, func(t *Test) { t.ReferenceRanges[1].AgeMinYears = ptr(-1) }, []string{"reference_ranges[1].age_min_years"}},
		{"range age max too high", validTest, func(t *Test) { t.ReferenceRanges[0].AgeMaxYears = ptr(151) }, []string{"reference_ranges[0].age_max_years"}},
		{"range ages crossed", validTest, func(t *Test) { t.ReferenceRanges[1].AgeMaxYears = ptr(10) }, []string{"reference_ranges[1].age_max_years"}},
		{"range low above high", validTest, func(t *Test) { t.ReferenceRanges[2].Low = ptr(5.2) }, []string{"reference_ranges[2].low"}},
		{"range empty", validTest, func(t *Test) { t.ReferenceRanges[0] = ReferenceRange{AgeMaxYears: ptr(17)} }, []string{"reference_ranges[0]"}},
		{"range blank text only", qualitativeTest, func(t *Test) { t.ReferenceRanges[0].Text = "  " }, []string{"reference_ranges[0]"}},
		{"range long text", qualitativeTest, func(t *Test) { t.ReferenceRanges[0].Text = strings.Repeat("t", 101) }, []string{"reference_ranges[0].text"}},
		{"range NaN low", validTest, func(t *Test) { t.ReferenceRanges[2].Low = ptr(math.NaN()) }, []string{"reference_ranges[2].low"}},
		{"range infinite high", validTest, func(t *Test) { t.ReferenceRanges[2].High = ptr(math.Inf(1)) }, []string{"reference_ranges[2].high"}},
		{"range limits on coded test", qualitativeTest, func(t *Test) { t.ReferenceRanges[0].High = ptr(1.0) }, []string{"reference_ranges[0].high"}},
		{"range critical low above low", validTest, func(t *Test) { t.ReferenceRanges[2].CriticalLow = ptr(3.6) }, []string{"reference_ranges[2].critical_low"}},
		{"range critical high below high", validTest, func(t *Test) { t.ReferenceRanges[2].CriticalHigh = ptr(5.0) }, []string{"reference_ranges[2].critical_high"}},
		{"range critical low without low", validTest, func(t *Test) { t.ReferenceRanges[2].Low = nil }, []string{"reference_ranges[2].critical_low"}},
		{"range critical high without high", validTest, func(t *Test) { t.ReferenceRanges[2].High = nil }, []string{"reference_ranges[2].critical_high"}},
		{"range duplicate band", validTest, func(t *Test) {
			t.ReferenceRanges = append(t.ReferenceRanges, ReferenceRange{Low: ptr(3.0), High: ptr(5.0)})
		}, []string{"reference_ranges[3]"}},

		{"every field", validTest, func(t *Test) { *t = Test{Version: -1, ValueType: ValueNumeric} },
			[]string{"code", "version", "name", "specimen_type", "unit", "tat_minutes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := tc.base()
			tc.edit(&x)
			wantFields(t, x.Validate(), tc.fields...)
		})
	}
}

func TestTestRangeFor(t *testing.T) {
	t.Parallel()
	k := validTest()
	child, female, both := k.ReferenceRanges[0], k.ReferenceRanges[1], k.ReferenceRanges[2]
	for _, tc := range []struct {
		name string
		sex  string
		age  int
		want *ReferenceRange
	}{
		{"child of either sex", "M", 10, &child},
		{"child at the inclusive upper bound", "F", 17, &child},
		{"newborn", "", 0, &child},
		{"adult female prefers the sex-specific range", "F", 40, &female},
		{"sex is matched case-insensitively", "f", 40, &female},
		{"adult male falls back to both sexes", "M", 40, &both},
		{"unknown sex falls back to both sexes", "U", 40, &both},
		{"unknown age matches only unbounded ranges", "F", -1, &both},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := k.RangeFor(tc.sex, tc.age)
			if !ok {
				t.Fatalf("RangeFor(%q, %d) found nothing", tc.sex, tc.age)
			}
			if *got.Low != *tc.want.Low || *got.High != *tc.want.High || got.Sex != tc.want.Sex {
				t.Errorf("RangeFor(%q, %d) = %+v, want %+v", tc.sex, tc.age, got, *tc.want)
			}
		})
	}

	t.Run("no range applies", func(t *testing.T) {
		t.Parallel()
		psa := Test{ReferenceRanges: []ReferenceRange{
			{Sex: "M", AgeMinYears: ptr(40), AgeMaxYears: ptr(49), High: ptr(2.5)},
			{Sex: "M", AgeMinYears: ptr(50), High: ptr(3.5)},
		}}
		for _, q := range []struct {
			sex string
			age int
		}{{"F", 45}, {"M", 30}, {"M", -1}, {"", 55}} {
			if r, ok := psa.RangeFor(q.sex, q.age); ok {
				t.Errorf("RangeFor(%q, %d) = %+v, want none", q.sex, q.age, r)
			}
		}
		if r, ok := psa.RangeFor("M", 50); !ok || *r.High != 3.5 {
			t.Errorf("RangeFor(M, 50) = %+v, %v; want the 50+ band", r, ok)
		}
		if r, ok := psa.RangeFor("M", 49); !ok || *r.High != 2.5 {
			t.Errorf("RangeFor(M, 49) = %+v, %v; want the 40-49 band", r, ok)
		}
	})

	t.Run("first in list order wins among equals", func(t *testing.T) {
		t.Parallel()
		x := Test{ReferenceRanges: []ReferenceRange{
			{AgeMaxYears: ptr(60), Text: "young"},
			{AgeMinYears: ptr(18), Text: "adult"},
		}}
		if r, _ := x.RangeFor("F", 30); r.Text != "young" {
			t.Errorf("RangeFor(F, 30) = %q, want the first listed", r.Text)
		}
	})
}

func TestSpecimenAndValueTypesValid(t *testing.T) {
	t.Parallel()
	for _, s := range SpecimenTypes {
		if !s.Valid() {
			t.Errorf("%q.Valid() = false", s)
		}
	}
	for _, v := range ValueTypes {
		if !v.Valid() {
			t.Errorf("%q.Valid() = false", v)
		}
	}
	if SpecimenType("blood").Valid() || ValueType("").Valid() {
		t.Error("unknown types reported valid")
	}
}
