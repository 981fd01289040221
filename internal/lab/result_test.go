package lab

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func validResult() Result {
	return Result{
		AccessionNumber: "ACC-2025-000123",
		TestCode:        "K",
		Version:         2,
		ValueType:       ValueNumeric,
		Value:           "4.2",
		Unit:            "mmol/L",
		ReferenceRange:  "3.5-5.1",
		AbnormalFlag:    FlagNormal,
		Status:          ResultFinal,
		ObservedAt:      t0,
		VerifiedBy:      "emp-0042",
		VerifiedAt:      t0.Add(time.Hour),
		CustomerID:      "cust-1001",
		Tier:            TierSVIP1,
		Comments:        []string{"Sample slightly haemolysed."},
		PerformingLab:   "Core Lab North",
		UpdatedAt:       t0.Add(time.Hour),
	}
}

func TestResultValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		edit   func(*Result)
		fields []string
	}{
		{"valid", func(*Result) {}, nil},
		{"below measuring range", func(r *Result) { r.Value, r.AbnormalFlag = "<0.5", FlagCriticalLow }, nil},
		{"above measuring range with space", func(r *Result) { r.Value = "> 10" }, nil},
		{"negative number", func(r *Result) { r.Value = "-1.5" }, nil},
		{"text value without value type", func(r *Result) { r.ValueType, r.Value = "", "see comment" }, nil},
		{"coded value", func(r *Result) { r.ValueType, r.Value, r.Unit = ValueCoded, "POS", "" }, nil},
		{"preliminary needs no verifier", func(r *Result) {
			r.Status, r.VerifiedBy, r.VerifiedAt = ResultPreliminary, "", time.Time{}
		}, nil},
		{"cancelled needs no value", func(r *Result) {
			r.Status, r.Value, r.VerifiedBy, r.VerifiedAt = ResultCancelled, "", "", time.Time{}
		}, nil},
		{"no routing hints", func(r *Result) { r.CustomerID, r.Tier = "", "" }, nil},
		{"cancelled keeps a note as text", func(r *Result) {
			r.Status, r.ValueType, r.Value, r.VerifiedBy, r.VerifiedAt = ResultCancelled, ValueText, "haemolysed", "", time.Time{}
		}, nil},
		{"cancelled numeric value still parses", func(r *Result) {
			r.Status, r.Value, r.VerifiedBy, r.VerifiedAt = ResultCancelled, "n/a", "", time.Time{}
		}, []string{"value"}},

		{"missing accession number", func(r *Result) { r.AccessionNumber = "" }, []string{"accession_number"}},
		{"bad accession number", func(r *Result) { r.AccessionNumber = "ACC/1" }, []string{"accession_number"}},
		{"missing test code", func(r *Result) { r.TestCode = "" }, []string{"test_code"}},
		{"bad test code", func(r *Result) { r.TestCode = "K 1" }, []string{"test_code"}},
		{"negative version", func(r *Result) { r.Version = -1 }, []string{"version"}},
		{"unknown value type", func(r *Result) { r.ValueType = "boolean" }, []string{"value_type"}},
		{"missing value", func(r *Result) { r.Value = "" }, []string{"value"}},
		{"missing preliminary value", func(r *Result) { r.Status, r.Value = ResultPreliminary, " " }, []string{"value"}},
		{"long value", func(r *Result) { r.ValueType, r.Value = ValueText, strings.Repeat("v", 65537) }, []string{"value"}},
		{"numeric value is text", func(r *Result) { r.Value = "positive" }, []string{"value"}},
		{"numeric value with exponent", func(r *Result) { r.Value = "1e3" }, []string{"value"}},
		{"numeric value NaN", func(r *Result) { r.Value = "NaN" }, []string{"value"}},
		{"numeric value with comparator <=", func(r *Result) { r.Value = "<=5" }, []string{"value"}},
		{"numeric value with decimal comma", func(r *Result) { r.Value = "4,2" }, []string{"value"}},
		{"numeric value with trailing unit", func(r *Result) { r.Value = "4.2 mmol/L" }, []string{"value"}},
		{"bad unit", func(r *Result) { r.Unit = "mmol per L" }, []string{"unit"}},
		{"long reference range", func(r *Result) { r.ReferenceRange = strings.Repeat("r", 101) }, []string{"reference_range"}},
		{"unknown flag", func(r *Result) { r.AbnormalFlag = ">" }, []string{"abnormal_flag"}},
		{"lower-case flag", func(r *Result) { r.AbnormalFlag = "h" }, []string{"abnormal_flag"}},
		{"missing status", func(r *Result) { r.Status = "" }, []string{"status"}},
		{"unknown status", func(r *Result) { r.Status = "F" }, []string{"status"}},
		{"missing observed_at", func(r *Result) { r.ObservedAt = time.Time{} }, []string{"observed_at"}},
		{"final without verifier", func(r *Result) { r.VerifiedBy = "" }, []string{"verified_by"}},
		{"final without verified_at", func(r *Result) { r.VerifiedAt = time.Time{} }, []string{"verified_at"}},
		{"corrected without verified_at", func(r *Result) { r.Status, r.VerifiedAt = ResultCorrected, time.Time{} }, []string{"verified_at"}},
		{"bad verifier on preliminary", func(r *Result) { r.Status, r.VerifiedBy = ResultPreliminary, "Dr Who" }, []string{"verified_by"}},
		{"bad customer", func(r *Result) { r.CustomerID = "cust 1" }, []string{"customer_id"}},
		{"unknown tier", func(r *Result) { r.Tier = "gold" }, []string{"tier"}},
		{"blank comment", func(r *Result) { r.Comments = append(r.Comments, "") }, []string{"comments[1]"}},
		{"long comment", func(r *Result) { r.Comments[0] = strings.Repeat("c", 2001) }, []string{"comments[0]"}},
		{"long performing lab", func(r *Result) { r.PerformingLab = strings.Repeat("l", 201) }, []string{"performing_lab"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := validResult()
			tc.edit(&r)
			wantFields(t, r.Validate(), tc.fields...)
		})
	}
}

func TestResultKey(t *testing.T) {
	t.Parallel()
	if got := validResult().ResultKey(); got != "ACC-2025-000123/K" {
		t.Errorf("ResultKey() = %q", got)
	}
}

func TestResultCheckAgainst(t *testing.T) {
	t.Parallel()
	catalog := func(code string) (Test, bool) {
		switch code {
		case "K":
			return Test{Code: "K", ValueType: ValueNumeric, Unit: "mmol/L", Active: true}, true
		case "HIV":
			return Test{Code: "HIV", ValueType: ValueCoded, Active: true}, true
		}
		return Test{}, false
	}
	for _, tc := range []struct {
		name   string
		edit   func(*Result)
		fields []string
	}{
		{"matches", func(*Result) {}, nil},
		{"unknown test", func(r *Result) { r.TestCode = "NOPE" }, []string{"test_code"}},
		{"value type disagrees", func(r *Result) { r.ValueType = ValueText }, []string{"value_type"}},
		{"numeric test, text value, no value type", func(r *Result) { r.ValueType, r.Value = "", "see comment" }, []string{"value"}},
		{"cancelled numeric without value", func(r *Result) { r.Status, r.Value = ResultCancelled, "" }, nil},
		{"coded test", func(r *Result) { r.TestCode, r.ValueType, r.Value, r.Unit = "HIV", "", "NEG", "" }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := validResult()
			tc.edit(&r)
			wantFields(t, r.CheckAgainst(catalog), tc.fields...)
		})
	}
	t.Run("fills value type and unit", func(t *testing.T) {
		t.Parallel()
		r := validResult()
		r.ValueType, r.Unit = "", ""
		wantFields(t, r.CheckAgainst(catalog))
		if r.ValueType != ValueNumeric || r.Unit != "mmol/L" {
			t.Errorf("value type, unit = %q, %q; want filled from the catalog", r.ValueType, r.Unit)
		}
	})
	t.Run("nil catalog", func(t *testing.T) {
		t.Parallel()
		r := validResult()
		r.TestCode = "NOPE"
		wantFields(t, r.CheckAgainst(nil))
	})
}

func TestResultNewer(t *testing.T) {
	t.Parallel()
	res := func(v int64, s ResultStatus, updated time.Time) Result {
		return Result{AccessionNumber: "A1", TestCode: "K", Version: v, Status: s, UpdatedAt: updated}
	}
	for _, tc := range []struct {
		name    string
		r, than Result
		want    bool
	}{
		{"higher version wins", res(3, ResultPreliminary, t0), res(2, ResultCorrected, t0), true},
		{"lower version loses whatever its status", res(1, ResultCorrected, t0.Add(time.Hour)), res(2, ResultPreliminary, t0), false},
		{"final beats preliminary", res(2, ResultFinal, t0), res(2, ResultPreliminary, t0), true},
		{"preliminary does not beat final", res(2, ResultPreliminary, t0.Add(time.Hour)), res(2, ResultFinal, t0), false},
		{"corrected beats final", res(2, ResultCorrected, t0), res(2, ResultFinal, t0), true},
		{"final does not beat corrected", res(2, ResultFinal, t0.Add(time.Hour)), res(2, ResultCorrected, t0), false},
		{"cancelled beats preliminary", res(2, ResultCancelled, t0), res(2, ResultPreliminary, t0), true},
		{"cancelled does not beat final", res(2, ResultCancelled, t0.Add(time.Hour)), res(2, ResultFinal, t0), false},
		{"second correction, later update", res(2, ResultCorrected, t0.Add(time.Hour)), res(2, ResultCorrected, t0), true},
		{"second correction, earlier update", res(2, ResultCorrected, t0), res(2, ResultCorrected, t0.Add(time.Hour)), false},
		{"redelivery is not newer", res(2, ResultFinal, t0), res(2, ResultFinal, t0), false},
		{"anything beats an empty store row", res(0, ResultPreliminary, t0), Result{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.r.Newer(tc.than); got != tc.want {
				t.Errorf("Newer = %v, want %v", got, tc.want)
			}
			if tc.want && tc.than.Newer(tc.r) {
				t.Error("Newer holds both ways")
			}
		})
	}
}

func TestResultStatusRank(t *testing.T) {
	t.Parallel()
	if !(ResultPreliminary.Rank() < ResultCancelled.Rank() && ResultCancelled.Rank() < ResultFinal.Rank() &&
		ResultFinal.Rank() < ResultCorrected.Rank()) {
		t.Error("result status ranks out of order")
	}
	if ResultStatus("F").Rank() != 0 || ResultStatus("").Valid() {
		t.Error("unknown result status ranked or valid")
	}
}

func TestOBX11Mapping(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s    ResultStatus
		code string
	}{{ResultPreliminary, "P"}, {ResultFinal, "F"}, {ResultCorrected, "C"}, {ResultCancelled, "X"}} {
		t.Run(string(tc.s), func(t *testing.T) {
			t.Parallel()
			if got := tc.s.OBX11(); got != tc.code {
				t.Errorf("%q.OBX11() = %q, want %q", tc.s, got, tc.code)
			}
			if got, ok := ResultStatusFromOBX11(tc.code); !ok || got != tc.s {
				t.Errorf("ResultStatusFromOBX11(%q) = %q, %v; want %q", tc.code, got, ok, tc.s)
			}
		})
	}
	lossy := map[string]ResultStatus{"R": ResultPreliminary, "S": ResultPreliminary, "D": ResultCancelled, "W": ResultCancelled, " f": ResultFinal}
	for code, want := range lossy {
		t.Run("lossy "+code, func(t *testing.T) {
			t.Parallel()
			if got, ok := ResultStatusFromOBX11(code); !ok || got != want {
				t.Errorf("ResultStatusFromOBX11(%q) = %q, %v; want %q", code, got, ok, want)
			}
		})
	}
	for _, code := range []string{"I", "N", "O", "U", "", "Q"} {
		t.Run("unmapped "+code, func(t *testing.T) {
			t.Parallel()
			if got, ok := ResultStatusFromOBX11(code); ok {
				t.Errorf("ResultStatusFromOBX11(%q) = %q, true; want false", code, got)
			}
		})
	}
	if ResultStatus("done").OBX11() != "" {
		t.Error("unknown result status mapped")
	}
}

func TestAbnormalFlagPredicates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f                         AbnormalFlag
		valid, abnormal, critical bool
	}{
		{FlagNone, true, false, false},
		{FlagNormal, true, false, false},
		{FlagLow, true, true, false},
		{FlagHigh, true, true, false},
		{FlagAbnormal, true, true, false},
		{FlagCriticalLow, true, true, true},
		{FlagCriticalHigh, true, true, true},
		{FlagCriticalAbnormal, true, true, true},
		{"<", false, false, false},
		{"hh", false, false, false},
	} {
		t.Run(string(tc.f), func(t *testing.T) {
			t.Parallel()
			if tc.f.Valid() != tc.valid || tc.f.IsAbnormal() != tc.abnormal || tc.f.IsCritical() != tc.critical {
				t.Errorf("%q: valid, abnormal, critical = %v, %v, %v; want %v, %v, %v",
					tc.f, tc.f.Valid(), tc.f.IsAbnormal(), tc.f.IsCritical(), tc.valid, tc.abnormal, tc.critical)
			}
		})
	}
}

func TestFlagFor(t *testing.T) {
	t.Parallel()
	k := ReferenceRange{Low: ptr(3.5), High: ptr(5.1), CriticalLow: ptr(2.8), CriticalHigh: ptr(6.2)}
	for _, tc := range []struct {
		name string
		v    float64
		r    ReferenceRange
		want AbnormalFlag
	}{
		{"normal", 4.2, k, FlagNormal},
		{"at low limit is normal", 3.5, k, FlagNormal},
		{"at high limit is normal", 5.1, k, FlagNormal},
		{"just below low", 3.49, k, FlagLow},
		{"just above high", 5.11, k, FlagHigh},
		{"at critical low is only low", 2.8, k, FlagLow},
		{"below critical low", 2.79, k, FlagCriticalLow},
		{"at critical high is only high", 6.2, k, FlagHigh},
		{"above critical high", 6.3, k, FlagCriticalHigh},
		{"upper limit only, below", 0, ReferenceRange{High: ptr(200.0)}, FlagNormal},
		{"upper limit only, above", 201, ReferenceRange{High: ptr(200.0)}, FlagHigh},
		{"lower limit only, below", 59, ReferenceRange{Low: ptr(60.0)}, FlagLow},
		{"text range cannot tell", 4, ReferenceRange{Text: "negative"}, FlagNone},
		{"NaN cannot tell", math.NaN(), k, FlagNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := FlagFor(tc.v, tc.r); got != tc.want {
				t.Errorf("FlagFor(%v) = %q, want %q", tc.v, got, tc.want)
			}
		})
	}
}

func TestFlagForValue(t *testing.T) {
	t.Parallel()
	k := ReferenceRange{Low: ptr(3.5), High: ptr(5.1), CriticalLow: ptr(2.8), CriticalHigh: ptr(6.2)}
	upper := ReferenceRange{High: ptr(200.0)}
	lower := ReferenceRange{Low: ptr(60.0)}
	for _, tc := range []struct {
		name  string
		value string
		r     ReferenceRange
		want  AbnormalFlag
		ok    bool
	}{
		{"plain number", "4.2", k, FlagNormal, true},
		{"plain high", "5.5", k, FlagHigh, true},
		{"below a value under critical low", "<2.5", k, FlagCriticalLow, true},
		{"below critical low itself", "<2.8", k, FlagCriticalLow, true},
		{"below low itself", "<3.5", k, FlagLow, true},
		{"below a value inside the range: undecidable", "<4", k, FlagNone, false},
		{"above critical high", ">6.2", k, FlagCriticalHigh, true},
		{"above high", "> 5.1", k, FlagHigh, true},
		{"above a value inside the range: undecidable", ">4", k, FlagNone, false},
		{"below, upper limit only", "<10", upper, FlagNormal, true},
		{"below, upper limit only, above it: undecidable", "<300", upper, FlagNone, false},
		{"above, upper limit only", ">200", upper, FlagHigh, true},
		{"above, lower limit only", ">90", lower, FlagNormal, true},
		{"below, lower limit only", "<15", lower, FlagLow, true},
		{"not numeric", "positive", k, FlagNone, false},
		{"empty", "", k, FlagNone, false},
		{"no numeric limits", "4", ReferenceRange{Text: "see report"}, FlagNone, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := FlagForValue(tc.value, tc.r)
			if got != tc.want || ok != tc.ok {
				t.Errorf("FlagForValue(%q) = %q, %v; want %q, %v", tc.value, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestParseNumericValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in  string
		cmp string
		v   float64
		ok  bool
	}{
		{"4.2", "", 4.2, true},
		{"-1", "", -1, true},
		{"+7", "", 7, true},
		{".5", "", 0.5, true},
		{"0", "", 0, true},
		{"<0.5", "<", 0.5, true},
		{"> 500", ">", 500, true},
		{"", "", 0, false},
		{"5.", "", 0, false},
		{"1e3", "", 0, false},
		{"0x10", "", 0, false},
		{"Inf", "", 0, false},
		{"NaN", "", 0, false},
		{"1_000", "", 0, false},
		{"1,000", "", 0, false},
		{"<", "", 0, false},
		{"<<1", "", 0, false},
		{" 4.2", "", 0, false},
		{"4.2 ", "", 0, false},
		{"<  1", "", 0, false},
		{">=1", "", 0, false},
		{strings.Repeat("9", 400), "", 0, false}, // overflows float64
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			cmp, v, ok := ParseNumericValue(tc.in)
			if cmp != tc.cmp || v != tc.v || ok != tc.ok {
				t.Errorf("ParseNumericValue(%q) = %q, %v, %v; want %q, %v, %v", tc.in, cmp, v, ok, tc.cmp, tc.v, tc.ok)
			}
		})
	}
}

// The flag IMP computes agrees with the range the catalog gives the patient.
func TestFlagFromCatalog(t *testing.T) {
	t.Parallel()
	k := validTest()
	r, ok := k.RangeFor("F", 40)
	if !ok {
		t.Fatal("no range for an adult female")
	}
	if f, ok := FlagForValue("2.5", r); !ok || !f.IsCritical() || f != FlagCriticalLow {
		t.Errorf("potassium 2.5 for an adult female = %q, %v; want LL", f, ok)
	}
	r, _ = k.RangeFor("M", 10)
	if f, _ := FlagForValue("4.9", r); f != FlagHigh {
		t.Errorf("potassium 4.9 for a child = %q, want H (child range tops at 4.7)", f)
	}
}

func ExampleResult_Validate() {
	r := Result{
		AccessionNumber: "ACC-2025-000123",
		TestCode:        "K",
		ValueType:       ValueNumeric,
		Value:           "4,2",
		Status:          ResultFinal,
		ObservedAt:      time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC),
		VerifiedBy:      "emp-0042",
	}
	err := r.Validate()
	var ve *ValidationError
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			fmt.Println(f)
		}
	}
	// Output:
	// value: must be a decimal number, optionally prefixed with < or >
	// verified_at: is required when status is final
}
