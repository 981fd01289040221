package report

import (
	"strconv"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/lab"
)

// row is one result as the results table prints it: every string is
// final text (UTF-8, not yet encoded for the PDF).
type row struct {
	name       string // test name
	code       string // test code, and LOINC when it differs
	value      string
	valueBelow bool // value too long for its cell: printed under the row
	unit       string
	rng        string // reference range
	flag       lab.AbnormalFlag
	status     lab.ResultStatus
	comments   []string // printed under the row
	verified   string   // printed under the comments: who verified, when the sign-off line does not say
}

// abnormal reports whether the row's value must stand out. A flag IMP does
// not know is treated as abnormal: better a false alarm than a missed one.
func (rw row) abnormal() bool { return rw.flag.IsAbnormal() || !rw.flag.Valid() }

// flagText is what the Flag column shows: nothing for normal values.
func (rw row) flagText() string {
	if rw.abnormal() {
		return string(rw.flag)
	}
	return ""
}

// maxValueLines is the most lines a value may take in its cell; a longer
// (free text) value is printed under the row, where it may flow across
// pages, so that no table row is ever taller than a page.
const maxValueLines = 6

// layout is what the document prints, worked out before drawing.
type layout struct {
	rows        []row
	signoff     string    // who verified the results, when one line can say it
	collectedAt time.Time // earliest specimen collection; zero when unknown
	ageRef      time.Time // when the patient's age is taken: collection, else order, else report time
	status      string    // report status, e.g. "Final report"
	preliminary bool      // some result is preliminary
	corrected   bool      // some result is corrected
	critical    int       // number of results with a critical flag
}

// plan works out the rows and summary lines of r. Times are printed in loc.
func plan(r *Report, loc *time.Location) layout {
	var l layout
	for _, s := range r.Order.Specimens {
		if !s.CollectedAt.IsZero() && (l.collectedAt.IsZero() || s.CollectedAt.Before(l.collectedAt)) {
			l.collectedAt = s.CollectedAt
		}
	}
	ageRef := l.collectedAt
	if ageRef.IsZero() {
		ageRef = r.Order.OrderedAt
	}
	if ageRef.IsZero() {
		ageRef = r.GeneratedAt
	}
	l.ageRef = ageRef.In(loc)
	age := ageAt(r.Customer.BirthDate, l.ageRef)

	orderNames := make(map[string]string, len(r.Order.Tests))
	for _, t := range r.Order.Tests {
		orderNames[t.Code] = t.Name
	}

	notes, signoff := verification(r, loc)
	l.signoff = signoff
	for i, res := range r.Results {
		t, inCatalog := r.Tests[res.TestCode]
		rw := row{code: res.TestCode, value: res.Value, flag: res.AbnormalFlag, status: res.Status}
		switch {
		case inCatalog && strings.TrimSpace(t.Name) != "":
			rw.name = t.Name
		case strings.TrimSpace(orderNames[res.TestCode]) != "":
			rw.name = orderNames[res.TestCode]
		default:
			rw.name = res.TestCode
		}
		if inCatalog && t.LOINC != "" && t.LOINC != res.TestCode {
			rw.code += " · LOINC " + t.LOINC
		}
		rw.unit = res.Unit
		if rw.unit == "" && inCatalog {
			rw.unit = t.Unit
		}
		rw.unit = unitText(rw.unit)
		rw.rng = res.ReferenceRange
		if rw.rng == "" && inCatalog {
			if rr, ok := t.RangeFor(r.Customer.Sex, age); ok {
				rw.rng = formatRange(rr)
			}
		}
		if res.Status == lab.ResultCancelled && strings.TrimSpace(res.Value) == "" {
			rw.value = "Not reported"
		}
		for _, c := range res.Comments {
			if c = strings.TrimSpace(c); c != "" {
				rw.comments = append(rw.comments, c)
			}
		}
		rw.verified = notes[i]
		if res.Status == lab.ResultPreliminary {
			l.preliminary = true
		}
		if res.Status == lab.ResultCorrected {
			l.corrected = true
		}
		if res.AbnormalFlag.IsCritical() {
			l.critical++
		}
		l.rows = append(l.rows, rw)
	}
	switch {
	case l.corrected && l.preliminary:
		l.status = "Preliminary report, with corrections"
	case l.corrected:
		l.status = "Corrected report"
	case l.preliminary:
		l.status = "Preliminary report"
	default:
		l.status = "Final report"
	}
	return l
}

// verifierKey is who verified a result and when, to the minute printed.
type verifierKey struct{ by, at string }

// verification decides how the report says who verified what. When every
// verified result shares one verifier and time, one line says so; else the
// most common pair goes on that line ("unless noted at the result") and
// each other result gets its own note. notes[i] is result i's note.
func verification(r *Report, loc *time.Location) (notes []string, signoff string) {
	notes = make([]string, len(r.Results))
	count := map[verifierKey]int{}
	var order []verifierKey
	verifiable, verified := 0, 0
	for _, res := range r.Results {
		if res.Status == lab.ResultCancelled {
			continue
		}
		verifiable++
		if res.VerifiedBy == "" {
			continue
		}
		verified++
		k := verifierKey{res.VerifiedBy, formatTime(res.VerifiedAt, loc)}
		if count[k] == 0 {
			order = append(order, k)
		}
		count[k]++
	}
	if verified == 0 {
		if verifiable > 0 {
			signoff = "The results on this report have not been verified yet."
		}
		return notes, signoff
	}
	main := order[0]
	for _, k := range order[1:] {
		if count[k] > count[main] {
			main = k
		}
	}
	by := func(k verifierKey) string { // "by Name (id) on time"
		s := "by " + staffName(r.Staff, k.by)
		if k.at != "" {
			s += " on " + k.at
		}
		return s
	}
	if count[main] == verifiable {
		return notes, "All results verified " + by(main) + "."
	}
	for i, res := range r.Results {
		switch {
		case res.Status == lab.ResultCancelled:
		case res.VerifiedBy == "":
			notes[i] = "Not verified yet."
		default:
			if k := (verifierKey{res.VerifiedBy, formatTime(res.VerifiedAt, loc)}); k != main {
				notes[i] = "Verified " + by(k) + "."
			}
		}
	}
	return notes, "Results verified " + by(main) + ", unless noted at the result."
}

func formatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(timeLayout)
}

// zoneName names loc for the footer's "times in ..." note.
func zoneName(loc *time.Location) string {
	if loc == nil || loc == time.UTC || loc.String() == "UTC" {
		return "UTC"
	}
	return loc.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
