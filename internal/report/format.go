package report

import (
	"strconv"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/lab"
)

// timeLayout prints times to the minute, ISO order, so readers in any
// country read them the same way.
const timeLayout = "2006-01-02 15:04"

// patientName prints "Family, Given": the family name first, as lab
// reports and patient wristbands do, without upper-casing it (that loses
// information: "ß", "van der").
func patientName(c lab.Customer) string {
	family, given := strings.TrimSpace(c.FamilyName), strings.TrimSpace(c.GivenName)
	if given == "" {
		return family
	}
	return family + ", " + given
}

// sexName spells out an HL7 table 0001 code.
func sexName(code string) string {
	switch strings.ToUpper(code) {
	case "F":
		return "Female"
	case "M":
		return "Male"
	case "O":
		return "Other"
	case "U", "":
		return "Unknown"
	case "A":
		return "Ambiguous"
	case "N":
		return "Not applicable"
	}
	return code
}

// ageAt returns the age in whole years on the date of at, or -1 when the
// birth date is missing, malformed or after at.
func ageAt(birthDate string, at time.Time) int {
	b, err := time.Parse(time.DateOnly, birthDate)
	if err != nil || at.IsZero() {
		return -1
	}
	y, m, d := at.Date()
	age := y - b.Year()
	if m < b.Month() || (m == b.Month() && d < b.Day()) {
		age--
	}
	if age < 0 {
		return -1
	}
	return age
}

// birthLine prints the birth date with the age at collection: the age
// decides which reference ranges apply, so the reader should see it.
func birthLine(birthDate string, at time.Time) string {
	if birthDate == "" {
		return "Unknown"
	}
	if a := ageAt(birthDate, at); a >= 0 {
		return birthDate + " (" + strconv.Itoa(a) + " y)"
	}
	return birthDate
}

// formatRange prints a catalog reference range the way a result's
// ReferenceRange is printed. Limits are inclusive, hence "<=" and ">=".
func formatRange(r lab.ReferenceRange) string {
	var s string
	switch {
	case r.Low != nil && r.High != nil:
		s = number(*r.Low) + " - " + number(*r.High)
	case r.Low != nil:
		s = ">= " + number(*r.Low)
	case r.High != nil:
		s = "<= " + number(*r.High)
	}
	if t := strings.TrimSpace(r.Text); t != "" {
		if s == "" {
			return t
		}
		s += " (" + t + ")"
	}
	return s
}

func number(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// unitText hides UCUM's "1" (unitless), which readers would take for a
// value.
func unitText(u string) string {
	if u == "1" {
		return ""
	}
	return u
}

// staffName prints a verifier as "Given Family (id)", or the id alone
// when the staff list does not have it.
func staffName(staff map[string]lab.Employee, id string) string {
	e, ok := staff[id]
	if !ok {
		return id
	}
	name := strings.TrimSpace(strings.TrimSpace(e.GivenName) + " " + strings.TrimSpace(e.FamilyName))
	if name == "" {
		return id
	}
	return name + " (" + id + ")"
}

// statusLabel is what the Status column shows. A correction is shouted:
// the reader may have acted on the earlier value.
func statusLabel(s lab.ResultStatus) string {
	switch s {
	case lab.ResultPreliminary:
		return "Preliminary"
	case lab.ResultFinal:
		return "Final"
	case lab.ResultCorrected:
		return "CORRECTED"
	case lab.ResultCancelled:
		return "Cancelled"
	}
	return string(s)
}

// priorityLabel spells out the order's priority.
func priorityLabel(p lab.Priority) string {
	switch p {
	case lab.PriorityRoutine, "":
		return "Routine"
	case lab.PriorityUrgent, "asap":
		return "Urgent"
	case lab.PriorityStat:
		return "STAT"
	}
	return string(p)
}
