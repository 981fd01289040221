package lab

import (
	"math"
	"strings"
	"time"
)

// SpecimenType is the kind of material a test is performed on.
type SpecimenType string

// The specimen types IMP knows. Other covers the rest (tissue, fluids,
// hair, ...) until the lab needs to route on them.
const (
	SpecimenSerum      SpecimenType = "serum"
	SpecimenPlasma     SpecimenType = "plasma"
	SpecimenWholeBlood SpecimenType = "whole-blood"
	SpecimenUrine      SpecimenType = "urine"
	SpecimenCSF        SpecimenType = "csf"
	SpecimenSwab       SpecimenType = "swab"
	SpecimenStool      SpecimenType = "stool"
	SpecimenOther      SpecimenType = "other"
)

// SpecimenTypes lists every specimen type.
var SpecimenTypes = []SpecimenType{
	SpecimenSerum, SpecimenPlasma, SpecimenWholeBlood, SpecimenUrine,
	SpecimenCSF, SpecimenSwab, SpecimenStool, SpecimenOther,
}

// Valid reports whether s is a known specimen type.
func (s SpecimenType) Valid() bool {
	for _, k := range SpecimenTypes {
		if s == k {
			return true
		}
	}
	return false
}

const specimenTypeList = "serum, plasma, whole-blood, urine, csf, swab, stool, other"

// ValueType is the kind of value a test reports (HL7 OBX-2, simplified).
type ValueType string

// The value types IMP knows.
const (
	ValueNumeric ValueType = "numeric" // a decimal number, optionally "<" or ">" prefixed (NM, SN)
	ValueText    ValueType = "text"    // free text (ST, TX, FT)
	ValueCoded   ValueType = "coded"   // a code from a value set (CE, CWE), e.g. "POS"
)

// ValueTypes lists every value type.
var ValueTypes = []ValueType{ValueNumeric, ValueText, ValueCoded}

// Valid reports whether v is a known value type.
func (v ValueType) Valid() bool {
	for _, k := range ValueTypes {
		if v == k {
			return true
		}
	}
	return false
}

// ReferenceRange is the normal range of a test for a population. Sex and
// the age bounds narrow the population; when they are absent the range
// applies to everyone. Age bounds are whole years and inclusive: 18 to 65
// covers a 65-year-old. Low and High are inclusive normal limits;
// CriticalLow and CriticalHigh are the panic limits beyond which a value
// is flagged LL or HH (strictly below/above). Qualitative tests use Text
// ("negative") instead of limits.
type ReferenceRange struct {
	Sex          string   `json:"sex,omitempty"` // "F", "M" or empty for both
	AgeMinYears  *int     `json:"age_min_years,omitempty"`
	AgeMaxYears  *int     `json:"age_max_years,omitempty"`
	Low          *float64 `json:"low,omitempty"`
	High         *float64 `json:"high,omitempty"`
	CriticalLow  *float64 `json:"critical_low,omitempty"`
	CriticalHigh *float64 `json:"critical_high,omitempty"`
	Text         string   `json:"text,omitempty"`
}

// covers reports whether the range applies to a patient of that sex and age.
// A negative age means unknown: only ranges without age bounds apply.
func (r ReferenceRange) covers(sex string, ageYears int) bool {
	if r.Sex != "" && !strings.EqualFold(r.Sex, sex) {
		return false
	}
	if r.AgeMinYears == nil && r.AgeMaxYears == nil {
		return true
	}
	if ageYears < 0 {
		return false
	}
	if r.AgeMinYears != nil && ageYears < *r.AgeMinYears {
		return false
	}
	if r.AgeMaxYears != nil && ageYears > *r.AgeMaxYears {
		return false
	}
	return true
}

// Test is an entry of the test catalog (the LIS "test master"). Version
// orders updates from the source system: a record with a lower version than
// the stored one is stale and never applied.
//
// Active has no default: a record that leaves it out describes an inactive
// test, and orders for inactive tests are refused, so producers must always
// send it.
type Test struct {
	Code            string           `json:"code"`
	Version         int64            `json:"version"`
	Name            string           `json:"name"`
	LOINC           string           `json:"loinc,omitempty"` // optional: local tests may have none
	SpecimenType    SpecimenType     `json:"specimen_type"`
	Unit            string           `json:"unit,omitempty"` // UCUM; required for numeric tests ("1" when unitless)
	ValueType       ValueType        `json:"value_type"`
	ReferenceRanges []ReferenceRange `json:"reference_ranges,omitempty"`
	TATMinutes      int              `json:"tat_minutes"` // turnaround time promised to customers
	Active          bool             `json:"active"`
	UpdatedAt       time.Time        `json:"updated_at,omitzero"`
}

// Validate checks every field and names each one that is wrong.
func (t *Test) Validate() error {
	var p Problems
	p.ID("code", t.Code)
	p.NonNegative("version", t.Version)
	if p.Required("name", t.Name) {
		p.MaxLen("name", t.Name, 200)
	}
	p.LOINC("loinc", t.LOINC)
	if p.Required("specimen_type", string(t.SpecimenType)) && !t.SpecimenType.Valid() {
		p.Add("specimen_type", "must be one of "+specimenTypeList)
	}
	numeric := t.ValueType == ValueNumeric
	if p.Required("value_type", string(t.ValueType)) && !t.ValueType.Valid() {
		p.Add("value_type", "must be one of numeric, text, coded")
	}
	if numeric && t.Unit == "" {
		p.Add("unit", "is required for numeric tests (UCUM \"1\" when unitless)")
	}
	p.UCUM("unit", t.Unit)
	// Limits are judged only against a known value type: a missing one is
	// reported once, on value_type, not again on every limit.
	limitsAllowed := numeric || !t.ValueType.Valid()
	for i, r := range t.ReferenceRanges {
		r.validate(&p, elem("reference_ranges", i), limitsAllowed)
		for j := range i {
			if sameBand(r, t.ReferenceRanges[j]) {
				p.Add(elem("reference_ranges", i), "has the same sex and age bounds as %s", elem("reference_ranges", j))
				break
			}
		}
	}
	if t.TATMinutes <= 0 {
		p.Add("tat_minutes", "must be greater than zero")
	}
	return p.Err()
}

func (r ReferenceRange) validate(p *Problems, path string, limitsAllowed bool) {
	if r.Sex != "" {
		p.OneOf(path+".sex", r.Sex, "F", "M")
	}
	for _, a := range []struct {
		name string
		v    *int
	}{{".age_min_years", r.AgeMinYears}, {".age_max_years", r.AgeMaxYears}} {
		if a.v != nil && (*a.v < 0 || *a.v > 150) {
			p.Add(path+a.name, "must be between 0 and 150")
		}
	}
	if r.AgeMinYears != nil && r.AgeMaxYears != nil && *r.AgeMinYears > *r.AgeMaxYears {
		p.Add(path+".age_max_years", "must not be less than age_min_years")
	}
	limits := []struct {
		name string
		v    *float64
	}{{".low", r.Low}, {".high", r.High}, {".critical_low", r.CriticalLow}, {".critical_high", r.CriticalHigh}}
	finite := true
	for _, l := range limits {
		if l.v == nil {
			continue
		}
		if !limitsAllowed {
			p.Add(path+l.name, "is only allowed for numeric tests")
			finite = false
		} else if math.IsNaN(*l.v) || math.IsInf(*l.v, 0) {
			p.Add(path+l.name, "must be a finite number")
			finite = false
		}
	}
	if r.Low == nil && r.High == nil && strings.TrimSpace(r.Text) == "" {
		p.Add(path, "needs at least one of low, high or text")
	}
	p.MaxLen(path+".text", r.Text, 100)
	if !finite {
		return
	}
	if r.Low != nil && r.High != nil && *r.Low > *r.High {
		p.Add(path+".low", "must not be greater than high")
	}
	if r.CriticalLow != nil {
		if r.Low == nil {
			p.Add(path+".critical_low", "needs low")
		} else if *r.CriticalLow > *r.Low {
			p.Add(path+".critical_low", "must not be greater than low")
		}
	}
	if r.CriticalHigh != nil {
		if r.High == nil {
			p.Add(path+".critical_high", "needs high")
		} else if *r.CriticalHigh < *r.High {
			p.Add(path+".critical_high", "must not be less than high")
		}
	}
}

// sameBand reports whether two ranges claim the same population, which
// would make RangeFor's choice between them arbitrary.
func sameBand(a, b ReferenceRange) bool {
	eq := func(x, y *int) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return strings.EqualFold(a.Sex, b.Sex) && eq(a.AgeMinYears, b.AgeMinYears) && eq(a.AgeMaxYears, b.AgeMaxYears)
}

// RangeFor returns the reference range for a patient of the given sex ("F"
// or "M"; anything else matches only ranges without a sex) and age in whole
// years (negative when unknown: only ranges without age bounds match).
// A range for the patient's sex is preferred over one for both sexes; among
// equally specific ranges the first in list order wins, so catalogs should
// list narrower age bands first. It reports false when no range applies.
func (t Test) RangeFor(sex string, ageYears int) (ReferenceRange, bool) {
	for _, r := range t.ReferenceRanges {
		if r.Sex != "" && r.covers(sex, ageYears) {
			return r, true
		}
	}
	for _, r := range t.ReferenceRanges {
		if r.Sex == "" && r.covers(sex, ageYears) {
			return r, true
		}
	}
	return ReferenceRange{}, false
}
