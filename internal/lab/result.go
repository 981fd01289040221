package lab

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ResultStatus is the state of one test's result (HL7 OBX-11, simplified).
type ResultStatus string

// The result statuses IMP knows.
const (
	ResultPreliminary ResultStatus = "preliminary"
	ResultFinal       ResultStatus = "final"
	ResultCorrected   ResultStatus = "corrected"
	ResultCancelled   ResultStatus = "cancelled" // no result will be produced
)

// ResultStatuses lists every result status, in Rank order.
var ResultStatuses = []ResultStatus{ResultPreliminary, ResultCancelled, ResultFinal, ResultCorrected}

// Rank orders result statuses for Newer: preliminary 1, cancelled 2, final
// 3, corrected 4, unknown 0. Cancelled sits between preliminary and final
// because HL7 allows cancelling a pending result but changes a final one
// only by a correction.
func (s ResultStatus) Rank() int {
	for i, k := range ResultStatuses {
		if s == k {
			return i + 1
		}
	}
	return 0
}

// Valid reports whether s is a known result status.
func (s ResultStatus) Valid() bool { return s.Rank() > 0 }

// ResultStatusFromOBX11 maps an HL7 v2 observation result status (OBX-11,
// table 0085): P → preliminary, F → final, C → corrected, X → cancelled.
// Lossy: R (entered, not verified) and S (partial) → preliminary; D
// (deleted) and W (posted as wrong) → cancelled. I, N, O and U carry no
// result value of their own and report false (U, "made final without
// retransmitting", needs the earlier value: the mapper must merge it).
func ResultStatusFromOBX11(code string) (ResultStatus, bool) {
	switch strings.ToUpper(strings.TrimSpace(code)) {
	case "P", "R", "S":
		return ResultPreliminary, true
	case "F":
		return ResultFinal, true
	case "C":
		return ResultCorrected, true
	case "X", "D", "W":
		return ResultCancelled, true
	}
	return "", false
}

// OBX11 maps s to an HL7 v2 observation result status (OBX-11, table
// 0085): P, F, C or X; "" for an unknown status.
func (s ResultStatus) OBX11() string {
	switch s {
	case ResultPreliminary:
		return "P"
	case ResultFinal:
		return "F"
	case ResultCorrected:
		return "C"
	case ResultCancelled:
		return "X"
	}
	return ""
}

// AbnormalFlag interprets a result against its reference range: the subset
// of HL7 table 0078 IMP uses. Empty means "not flagged" (not evaluated).
type AbnormalFlag string

// The abnormal flags IMP knows.
const (
	FlagNone             AbnormalFlag = ""
	FlagNormal           AbnormalFlag = "N"
	FlagLow              AbnormalFlag = "L"
	FlagHigh             AbnormalFlag = "H"
	FlagCriticalLow      AbnormalFlag = "LL"
	FlagCriticalHigh     AbnormalFlag = "HH"
	FlagAbnormal         AbnormalFlag = "A"
	FlagCriticalAbnormal AbnormalFlag = "AA"
)

// Valid reports whether f is one of the flags IMP knows, including empty.
func (f AbnormalFlag) Valid() bool {
	switch f {
	case FlagNone, FlagNormal, FlagLow, FlagHigh, FlagCriticalLow, FlagCriticalHigh, FlagAbnormal, FlagCriticalAbnormal:
		return true
	}
	return false
}

// IsAbnormal reports whether f marks the result as outside normal limits.
func (f AbnormalFlag) IsAbnormal() bool { return f.Valid() && f != FlagNone && f != FlagNormal }

// IsCritical reports whether f is a panic value (LL, HH, AA) that the lab
// must phone through and that deliveries must not hold back.
func (f AbnormalFlag) IsCritical() bool {
	return f == FlagCriticalLow || f == FlagCriticalHigh || f == FlagCriticalAbnormal
}

// FlagFor computes the flag of the numeric value v against r: LL or HH
// strictly beyond the critical limits, L or H strictly beyond the normal
// limits, N within them (inclusive). It returns FlagNone when r has no
// numeric limits or v is NaN: the range cannot tell.
func FlagFor(v float64, r ReferenceRange) AbnormalFlag {
	switch {
	case math.IsNaN(v):
		return FlagNone
	case r.CriticalLow != nil && v < *r.CriticalLow:
		return FlagCriticalLow
	case r.CriticalHigh != nil && v > *r.CriticalHigh:
		return FlagCriticalHigh
	case r.Low != nil && v < *r.Low:
		return FlagLow
	case r.High != nil && v > *r.High:
		return FlagHigh
	case r.Low != nil || r.High != nil:
		return FlagNormal
	}
	return FlagNone
}

// FlagForValue computes the flag of a result value as reported ("4.2",
// "<0.5", ">500") against r. A "<x" value is only known to be below x, so
// it is flagged when that is enough to decide (x at or below a limit) and
// reported undecidable otherwise; likewise ">x". It reports false when the
// value is not numeric or the range cannot decide.
func FlagForValue(value string, r ReferenceRange) (AbnormalFlag, bool) {
	cmp, x, ok := ParseNumericValue(value)
	if !ok {
		return FlagNone, false
	}
	var f AbnormalFlag
	switch cmp {
	case "":
		f = FlagFor(x, r)
	case "<": // the true value is below x
		switch {
		case r.CriticalLow != nil && x <= *r.CriticalLow:
			f = FlagCriticalLow
		case r.Low != nil && x <= *r.Low:
			f = FlagLow
		case r.Low == nil && r.High != nil && x <= *r.High:
			f = FlagNormal
		}
	case ">": // the true value is above x
		switch {
		case r.CriticalHigh != nil && x >= *r.CriticalHigh:
			f = FlagCriticalHigh
		case r.High != nil && x >= *r.High:
			f = FlagHigh
		case r.High == nil && r.Low != nil && x >= *r.Low:
			f = FlagNormal
		}
	}
	return f, f != FlagNone
}

// ParseNumericValue parses a numeric result value: a decimal number
// ("4.2", "-1", ".5"), optionally prefixed with "<" or ">" (and one space)
// when the value is beyond the measuring range. Exponents, "NaN", "Inf"
// and thousands separators are refused: instruments do not send them and
// ParseFloat alone would take some of them.
func ParseNumericValue(s string) (comparator string, v float64, ok bool) {
	m := numericPattern.FindStringSubmatch(s)
	if m == nil {
		return "", 0, false
	}
	v, err := strconv.ParseFloat(m[2], 64)
	if err != nil {
		return "", 0, false
	}
	return m[1], v, true
}

var numericPattern = regexp.MustCompile(`^(?:([<>]) ?)?([+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+))$`)

// Result is one test's result for an order, keyed by ResultKey. Version and
// Status decide which of two records for the same key is newer (see Newer):
// a stale record never overwrites a newer one.
//
// ValueType is optional (HL7 OBX-2 gives it); when it is numeric, Validate
// checks that Value parses. CheckAgainst fills it from the catalog.
type Result struct {
	AccessionNumber string       `json:"accession_number"`
	TestCode        string       `json:"test_code"`
	Version         int64        `json:"version"`
	ValueType       ValueType    `json:"value_type,omitempty"`
	Value           string       `json:"value"`
	Unit            string       `json:"unit,omitempty"`            // UCUM
	ReferenceRange  string       `json:"reference_range,omitempty"` // as printed on the report, e.g. "3.5-5.1"
	AbnormalFlag    AbnormalFlag `json:"abnormal_flag,omitempty"`
	Status          ResultStatus `json:"status"`
	ObservedAt      time.Time    `json:"observed_at"`
	VerifiedBy      string       `json:"verified_by,omitempty"` // employee id
	VerifiedAt      time.Time    `json:"verified_at,omitzero"`
	CustomerID      string       `json:"customer_id,omitempty"` // for tier routing
	Tier            Tier         `json:"tier,omitempty"`        // explicit tier; wins over the customer's
	Comments        []string     `json:"comments,omitempty"`
	PerformingLab   string       `json:"performing_lab,omitempty"`
	UpdatedAt       time.Time    `json:"updated_at,omitzero"`
}

// ResultKey is the record key of a result: accession number, "/", test
// code. IDs cannot contain "/", so the key is unambiguous.
func (r Result) ResultKey() string { return r.AccessionNumber + "/" + r.TestCode }

// Validate checks every field and names each one that is wrong. A value is
// required unless the result is cancelled; a final or corrected result
// needs verified_by and verified_at.
func (r *Result) Validate() error {
	var p Problems
	p.ID("accession_number", r.AccessionNumber)
	p.ID("test_code", r.TestCode)
	p.NonNegative("version", r.Version)
	if r.ValueType != "" && !r.ValueType.Valid() {
		p.Add("value_type", "must be one of numeric, text, coded")
	}
	switch {
	case strings.TrimSpace(r.Value) == "":
		if r.Status != ResultCancelled {
			p.Add("value", "is required unless status is cancelled")
		}
	case len(r.Value) > 65536:
		p.MaxLen("value", r.Value, 65536)
	case r.ValueType == ValueNumeric:
		if _, _, ok := ParseNumericValue(r.Value); !ok {
			p.Add("value", "must be a decimal number, optionally prefixed with < or >")
		}
	}
	p.UCUM("unit", r.Unit)
	p.MaxLen("reference_range", r.ReferenceRange, 100)
	if !r.AbnormalFlag.Valid() {
		p.Add("abnormal_flag", "must be one of N, L, H, LL, HH, A, AA or empty")
	}
	if p.Required("status", string(r.Status)) && !r.Status.Valid() {
		p.Add("status", "must be one of preliminary, final, corrected, cancelled")
	}
	p.RequiredTime("observed_at", r.ObservedAt)
	if r.Status == ResultFinal || r.Status == ResultCorrected {
		p.ID("verified_by", r.VerifiedBy)
		if r.VerifiedAt.IsZero() {
			p.Add("verified_at", "is required when status is %s", r.Status)
		}
	} else {
		p.OptionalID("verified_by", r.VerifiedBy)
	}
	p.OptionalID("customer_id", r.CustomerID)
	if r.Tier != "" && !r.Tier.Valid() {
		p.Add("tier", "must be one of general, b2b, corp, svip1, svip2")
	}
	for i, c := range r.Comments {
		if p.Required(elem("comments", i), c) {
			p.MaxLen(elem("comments", i), c, 2000)
		}
	}
	p.MaxLen("performing_lab", r.PerformingLab, 200)
	return p.Err()
}

// CheckAgainst checks the result against the test catalog: test_code must
// be a known test; value_type, when set, must agree with the catalog's,
// and is filled from it when empty; a numeric test's value must parse.
// The unit is filled from the catalog when empty. A nil catalog skips the
// check.
func (r *Result) CheckAgainst(catalog func(code string) (Test, bool)) error {
	var p Problems
	if catalog == nil || r.TestCode == "" {
		return nil
	}
	t, ok := catalog(r.TestCode)
	if !ok {
		p.Add("test_code", "is not in the test catalog")
		return p.Err()
	}
	switch {
	case r.ValueType == "":
		r.ValueType = t.ValueType
	case r.ValueType != t.ValueType:
		p.Add("value_type", "must be %s, as the test catalog says", t.ValueType)
	}
	if r.Unit == "" {
		r.Unit = t.Unit
	}
	if t.ValueType == ValueNumeric && r.Status != ResultCancelled && r.Value != "" {
		if _, _, ok := ParseNumericValue(r.Value); !ok {
			p.Add("value", "must be a decimal number, optionally prefixed with < or >")
		}
	}
	return p.Err()
}

// Newer reports whether r should replace than, a stored result for the same
// key. The rule, in order:
//
//  1. the higher Version wins;
//  2. on equal versions the higher status Rank wins: corrected beats final
//     beats cancelled beats preliminary;
//  3. on equal versions and statuses the later UpdatedAt wins, so a
//     source that never bumps versions can still send a second correction.
//
// A record equal on all three is a redelivery and is not newer.
func (r Result) Newer(than Result) bool {
	if r.Version != than.Version {
		return r.Version > than.Version
	}
	if a, b := r.Status.Rank(), than.Status.Rank(); a != b {
		return a > b
	}
	return r.UpdatedAt.After(than.UpdatedAt)
}
