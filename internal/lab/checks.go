package lab

import (
	"fmt"
	"regexp"
	"time"
)

// NonNegative records a problem when v is below zero. Versions use it: they
// order updates from a source system, and zero means "not versioned".
func (p *Problems) NonNegative(field string, v int64) {
	if v < 0 {
		p.Add(field, "must not be negative")
	}
}

// RequiredTime records a problem when t is the zero time, which is what an
// absent or null JSON timestamp decodes to.
func (p *Problems) RequiredTime(field string, t time.Time) bool {
	if t.IsZero() {
		p.Add(field, "is required")
		return false
	}
	return true
}

// Email checks an optional email address.
func (p *Problems) Email(field, v string) {
	if v != "" && !emailPattern.MatchString(v) {
		p.Add(field, "must be an email address")
	}
}

// Phone checks an optional phone number.
func (p *Problems) Phone(field, v string) {
	if v != "" && !phonePattern.MatchString(v) {
		p.Add(field, "must be a phone number")
	}
}

// LOINC checks an optional LOINC code: its form and its mod-10 check digit,
// so a mistyped code is caught at ingress instead of mislabelling results.
func (p *Problems) LOINC(field, v string) {
	if v == "" {
		return
	}
	if !loincPattern.MatchString(v) {
		p.Add(field, "must be a LOINC code: 1-7 digits, '-', a check digit")
		return
	}
	if !ValidLOINC(v) {
		p.Add(field, "has a wrong check digit")
	}
}

// UCUM checks an optional unit as a plausible UCUM expression.
func (p *Problems) UCUM(field, v string) {
	if v != "" && !ValidUCUM(v) {
		p.Add(field, "must be a UCUM unit: at most 32 printable ASCII characters, no spaces, balanced brackets")
	}
}

// ValidLOINC reports whether code has the LOINC form (1-7 digits, a hyphen,
// one check digit) and a correct check digit. LOINC's check digit is the
// mod-10 (Luhn) algorithm over the digits before the hyphen: from the
// right, every other digit starting with the rightmost is doubled.
func ValidLOINC(code string) bool {
	if !loincPattern.MatchString(code) {
		return false
	}
	body, check := code[:len(code)-2], int(code[len(code)-1]-'0')
	sum := 0
	for i := range len(body) {
		d := int(body[len(body)-1-i] - '0')
		if i%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return (10-sum%10)%10 == check
}

// ValidUCUM reports whether unit is a plausible UCUM expression: 1-32
// printable ASCII characters without spaces, with balanced [] and {}.
// It does not parse the UCUM grammar; it stops the common feed mistakes
// (free text like "mg per dL", non-ASCII "µ", truncated annotations).
func ValidUCUM(unit string) bool {
	if !ucumPattern.MatchString(unit) {
		return false
	}
	var open []byte
	for i := range len(unit) {
		switch c := unit[i]; c {
		case '[', '{':
			open = append(open, c)
		case ']', '}':
			want := byte('[')
			if c == '}' {
				want = '{'
			}
			if len(open) == 0 || open[len(open)-1] != want {
				return false
			}
			open = open[:len(open)-1]
		}
	}
	return len(open) == 0
}

// elem names element i of the list field, as a JSON path: "tests[1]".
func elem(field string, i int) string {
	return fmt.Sprintf("%s[%d]", field, i)
}

var (
	loincPattern = regexp.MustCompile(`^[0-9]{1,7}-[0-9]$`)
	ucumPattern  = regexp.MustCompile(`^[!-~]{1,32}$`)
)
