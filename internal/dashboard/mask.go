package dashboard

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/stream"
)

// Masking for the viewer role. Known lab documents are decoded by stream
// and masked with the lab.Mask* functions, which know their fields; any
// other content (jobs, legacy feeds, text) is masked conservatively: every
// value under a key that may hold a person's data, every e-mail address,
// phone number and date anywhere, and the patient segments of HL7.

const hidden = "***"

// maskJSON returns the indented, masked form of a JSON payload.
func maskJSON(streamName string, v []byte) string {
	if streamName == stream.TestMaster { // the test catalog describes tests, not people
		var out bytes.Buffer
		if json.Indent(&out, v, "", "  ") == nil {
			return out.String()
		}
	}
	if out, ok := maskKnown(streamName, v); ok {
		return out
	}
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return hidden
	}
	b, err := json.MarshalIndent(maskValue(doc, false), "", "  ")
	if err != nil {
		return hidden
	}
	return string(b)
}

// resultStreams are the streams whose records are lab.Result documents.
var resultStreams = map[string]bool{
	stream.Results: true, stream.ResultsB2B: true, stream.ResultsCorp: true, stream.ResultsSVIP1: true,
	stream.ResultsSVIP2: true, "iris-test-result": true, "test-result": true,
}

// maskKnown decodes a payload of a stream whose document type IMP knows,
// strictly (an unexpected field means it is not that type, and falls to
// the conservative masking), and masks it with the lab package's rules.
func maskKnown(streamName string, v []byte) (string, bool) {
	var masked any
	switch {
	case streamName == stream.Customer || streamName == "group":
		var c lab.Customer
		if !strictDecode(v, &c) {
			return "", false
		}
		masked = lab.MaskCustomer(c)
	case streamName == stream.Orders || streamName == "orders":
		var o lab.Order
		if !strictDecode(v, &o) {
			return "", false
		}
		masked = lab.MaskOrder(o)
	case resultStreams[streamName]:
		var r lab.Result
		if !strictDecode(v, &r) {
			return "", false
		}
		masked = lab.MaskResult(r)
	default:
		return "", false
	}
	b, err := json.MarshalIndent(masked, "", "  ")
	if err != nil {
		return "", false
	}
	return string(b), true
}

func strictDecode(v []byte, into any) bool {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return false
	}
	return !dec.More()
}

// sensitiveKeys are key fragments (lower case, without separators) whose
// values are hidden in unknown documents.
var sensitiveKeys = []string{
	"name", "given", "family", "surname", "birth", "dob", "phone", "mobile", "tel", "fax", "email", "mail",
	"address", "street", "city", "zip", "postal", "postcode", "ssn", "nationalid", "passport", "insurance",
	"note", "comment", "text", "body", "message", "content", "html", "subject", "value", "recipient", "to",
	"patient", "guarantor", "kin", "contact",
}

// identifierKeys stay visible even inside a sensitive object: operators
// search by them, and they identify records, not people, in IMP.
var identifierKeys = []string{"id", "accession", "code", "kind", "type", "status", "tier", "version", "stream"}

func normKey(k string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '.', ' ':
			return -1
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, k)
}

func isSensitive(key string) bool {
	k := normKey(key)
	if k == "to" || k == "cc" || k == "bcc" {
		return true
	}
	for _, s := range sensitiveKeys {
		if len(s) > 2 && strings.Contains(k, s) {
			return true
		}
	}
	return false
}

func isIdentifier(key string) bool {
	k := normKey(key)
	for _, s := range identifierKeys {
		if k == s || strings.HasSuffix(k, s) && (s == "id" || s == "code") {
			return true
		}
	}
	return false
}

// maskValue walks a decoded document. Under a sensitive key every leaf is
// hidden except identifiers; elsewhere strings are scanned for contact
// details, dates and HL7.
func maskValue(v any, sensitive bool) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			switch {
			case isIdentifier(k) && !isBirth(k):
				out[k] = maskValue(e, false)
			case isBirth(k):
				if s, ok := e.(string); ok {
					out[k] = keepYear(s)
				} else {
					out[k] = maskValue(e, true)
				}
			default:
				out[k] = maskValue(e, sensitive || isSensitive(k))
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = maskValue(e, sensitive)
		}
		return out
	case string:
		if sensitive {
			if x == "" {
				return ""
			}
			return hidden
		}
		return maskText(x)
	case json.Number:
		if sensitive {
			return hidden
		}
		return x
	default: // bool, nil
		return x
	}
}

func isBirth(key string) bool {
	k := normKey(key)
	return strings.Contains(k, "birth") || k == "dob"
}

// keepYear keeps the year of a date ("1980-04-02" → "1980"), as
// lab.MaskCustomer does for birth dates.
func keepYear(s string) string {
	if len(s) >= 4 && isDigits(s[:4]) {
		return s[:4]
	}
	if s == "" {
		return ""
	}
	return hidden
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

var (
	emailRE = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	// A phone number: at least seven digits with the usual separators,
	// not glued to letters (which would make it an identifier like
	// A-2026-000123).
	phoneRE   = regexp.MustCompile(`(^|[^\w\-])(\+?\(?\d[\d ()./\-]{5,}\d)`)
	isoDateRE = regexp.MustCompile(`\b(\d{4})-(\d{2})-(\d{2})(T[\d:.]+(Z|[+\-]\d{2}:?\d{2})?)?`)
	dmyDateRE = regexp.MustCompile(`\b\d{1,2}[/.]\d{1,2}[/.](\d{4})\b`)
	segmentRE = regexp.MustCompile(`(?m)^[A-Z][A-Z0-9]{2}\|`)
)

// maskText hides e-mail addresses, phone numbers and dates (keeping the
// year) in free text, and the patient segments of any HL7 in it.
func maskText(s string) string {
	if segmentRE.MatchString(s) {
		s = maskHL7(hl7Lines(s))
	}
	s = emailRE.ReplaceAllString(s, hidden+"@"+hidden)
	s = isoDateRE.ReplaceAllString(s, "$1-**-**")
	s = dmyDateRE.ReplaceAllString(s, "**/**/$1")
	s = phoneRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := phoneRE.FindStringSubmatch(m)
		digits := 0
		for _, c := range sub[2] {
			if c >= '0' && c <= '9' {
				digits++
			}
		}
		if digits < 7 {
			return m
		}
		return sub[1] + hidden
	})
	return s
}

// hl7Rules say which fields of a segment stay visible for a viewer; the
// rest of the segment's non-empty fields are hidden. Segments not listed
// stay whole, except those in hl7Free.
var hl7Rules = map[string]map[int]bool{
	"PID": {1: true, 2: true, 3: true, 4: true, 8: true}, // set id, patient ids, sex
	"NK1": {1: true}, "GT1": {1: true}, "IN1": {1: true, 2: true, 3: true}, "IN2": {1: true},
	"PD1": {1: true}, "MRG": {1: true}, "ROL": {1: true}, "ACC": {},
}

// hl7Free are free-text or value fields hidden wherever they are.
var hl7Free = map[string][]int{"NTE": {3}, "OBX": {5}, "OBR": {13}, "DG1": {3, 4}, "PV2": {3, 12}, "AL1": {3, 5}}

// maskHL7 hides the patient's identity in HL7 v2 text with one segment per
// line: PID keeps ids and sex, the birth date keeps its year; next of kin,
// guarantor and insurance keep only their set ids; observation values and
// notes are hidden.
func maskHL7(text string) string {
	fieldSep := "|"
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		if len(line) < 4 {
			continue
		}
		name := line[:3]
		if name == "MSH" || name == "FHS" || name == "BHS" {
			fieldSep = line[3:4]
			continue
		}
		keep, ruled := hl7Rules[name]
		free := hl7Free[name]
		if !ruled && free == nil {
			continue
		}
		fields := strings.Split(line, fieldSep)
		for n := 1; n < len(fields); n++ {
			if fields[n] == "" {
				continue
			}
			switch {
			case name == "PID" && n == 7:
				fields[n] = keepYear(fields[n])
			case ruled && !keep[n]:
				fields[n] = hidden
			case containsInt(free, n):
				fields[n] = hidden
			}
		}
		lines[i] = strings.Join(fields, fieldSep)
	}
	return strings.Join(lines, "\n")
}

func containsInt(xs []int, n int) bool {
	for _, x := range xs {
		if x == n {
			return true
		}
	}
	return false
}
