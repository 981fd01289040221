package api

import (
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/imp-health/imp/internal/lab"
)

// A fast path for lab.Result, the record of the hottest endpoint (the
// LIS posts every result). It handles the plain, common form of a record
// (exact member names, ASCII strings without escapes, integer versions, no
// nulls) and declines anything else, which then takes encoding/json's
// strict path: so the fast path only has to be right when it says yes,
// and FuzzResultCodec checks exactly that against encoding/json, for
// decoding and for encoding.
//
// If lab.Result gains or loses a member, resultFields no longer matches
// the type and the fast path switches itself off rather than drop data.

var resultFields = []string{"accession_number", "test_code", "version", "value_type", "value", "unit", "reference_range",
	"abnormal_flag", "status", "observed_at", "verified_by", "verified_at", "customer_id", "tier", "comments",
	"performing_lab", "updated_at"}

var fastResult = func() bool {
	var names []string
	for _, f := range jsonFields(reflect.TypeFor[lab.Result]()) {
		names = append(names, f.name)
	}
	return slices.Equal(names, resultFields)
}()

type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) next(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// plain reads a string of printable ASCII without escapes and returns its
// contents (aliasing the input) and the index of its opening quote.
func (s *scanner) plain() ([]byte, int, bool) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, 0, false
	}
	q := s.i
	for j := s.i + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return s.b[q+1 : j], q, true
		case c < 0x20 || c > 0x7e || c == '\\':
			return nil, 0, false
		}
	}
	return nil, 0, false
}

func (s *scanner) str(dst *string) bool {
	v, _, ok := s.plain()
	if ok {
		*dst = string(v)
	}
	return ok
}

func (s *scanner) time(dst *time.Time) bool {
	_, q, ok := s.plain()
	if !ok {
		return false
	}
	// The quoted string goes to time's own UnmarshalJSON: the same rules
	// as encoding/json's path.
	return dst.UnmarshalJSON(s.b[q:s.i]) == nil
}

func (s *scanner) int64(dst *int64) bool {
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	digits := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	if s.i == digits || (s.b[digits] == '0' && s.i-digits > 1) {
		return false
	}
	if s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		return false
	}
	n, err := strconv.ParseInt(string(s.b[start:s.i]), 10, 64)
	*dst = n
	return err == nil
}

func (s *scanner) strings(dst *[]string) bool {
	if !s.next('[') {
		return false
	}
	out := []string{}
	if s.next(']') {
		*dst = out
		return true
	}
	for {
		var v string
		if !s.str(&v) {
			return false
		}
		out = append(out, v)
		if s.next(']') {
			*dst = out
			return true
		}
		if !s.next(',') {
			return false
		}
	}
}

// decodeResultFast decodes b into r, or reports false (r then holds
// garbage and must be reset) when b is not in the plain form.
func decodeResultFast(b []byte, r *lab.Result) bool {
	if !fastResult {
		return false
	}
	s := scanner{b: b}
	if !s.next('{') {
		return false
	}
	if !s.next('}') {
		for {
			k, _, ok := s.plain()
			if !ok || !s.next(':') {
				return false
			}
			switch string(k) {
			case "accession_number":
				ok = s.str(&r.AccessionNumber)
			case "test_code":
				ok = s.str(&r.TestCode)
			case "version":
				ok = s.int64(&r.Version)
			case "value_type":
				ok = s.str((*string)(&r.ValueType))
			case "value":
				ok = s.str(&r.Value)
			case "unit":
				ok = s.str(&r.Unit)
			case "reference_range":
				ok = s.str(&r.ReferenceRange)
			case "abnormal_flag":
				ok = s.str((*string)(&r.AbnormalFlag))
			case "status":
				ok = s.str((*string)(&r.Status))
			case "observed_at":
				ok = s.time(&r.ObservedAt)
			case "verified_by":
				ok = s.str(&r.VerifiedBy)
			case "verified_at":
				ok = s.time(&r.VerifiedAt)
			case "customer_id":
				ok = s.str(&r.CustomerID)
			case "tier":
				ok = s.str((*string)(&r.Tier))
			case "comments":
				ok = s.strings(&r.Comments)
			case "performing_lab":
				ok = s.str(&r.PerformingLab)
			case "updated_at":
				ok = s.time(&r.UpdatedAt)
			default:
				return false // unknown, or a case-insensitive match: the slow path decides
			}
			if !ok {
				return false
			}
			if s.next('}') {
				break
			}
			if !s.next(',') {
				return false
			}
		}
	}
	s.ws()
	return s.i == len(b)
}

// safe reports whether encoding/json writes v verbatim between quotes.
func safe(v string) bool {
	for i := range len(v) {
		if c := v[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

func appendStr(b []byte, name, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, `":"`...)
	b = append(b, v...)
	return append(b, '"')
}

func appendTime(b []byte, name string, t time.Time) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, `":`...)
	return t.AppendFormat(b, `"`+time.RFC3339Nano+`"`)
}

// timeOK reports whether time's MarshalJSON would succeed and produce what
// AppendFormat does: a four-digit year and a whole-minute offset.
func timeOK(t time.Time) bool {
	_, off := t.Zone()
	return t.Year() >= 0 && t.Year() <= 9999 && off%60 == 0
}

// appendResult renders r exactly as json.Marshal does, or reports false
// when r holds something it does not handle (escapes, odd times).
func appendResult(b []byte, r *lab.Result) ([]byte, bool) {
	if !fastResult {
		return b, false
	}
	for _, v := range [...]string{r.AccessionNumber, r.TestCode, string(r.ValueType), r.Value, r.Unit, r.ReferenceRange,
		string(r.AbnormalFlag), string(r.Status), r.VerifiedBy, r.CustomerID, string(r.Tier), r.PerformingLab} {
		if !safe(v) {
			return b, false
		}
	}
	for _, c := range r.Comments {
		if !safe(c) {
			return b, false
		}
	}
	if !timeOK(r.ObservedAt) || !timeOK(r.VerifiedAt) || !timeOK(r.UpdatedAt) {
		return b, false
	}
	b = append(b, `{"accession_number":"`...)
	b = append(b, r.AccessionNumber...)
	b = append(b, '"')
	b = appendStr(b, "test_code", r.TestCode)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, r.Version, 10)
	if r.ValueType != "" {
		b = appendStr(b, "value_type", string(r.ValueType))
	}
	b = appendStr(b, "value", r.Value)
	if r.Unit != "" {
		b = appendStr(b, "unit", r.Unit)
	}
	if r.ReferenceRange != "" {
		b = appendStr(b, "reference_range", r.ReferenceRange)
	}
	if r.AbnormalFlag != "" {
		b = appendStr(b, "abnormal_flag", string(r.AbnormalFlag))
	}
	b = appendStr(b, "status", string(r.Status))
	b = appendTime(b, "observed_at", r.ObservedAt)
	if r.VerifiedBy != "" {
		b = appendStr(b, "verified_by", r.VerifiedBy)
	}
	if !r.VerifiedAt.IsZero() {
		b = appendTime(b, "verified_at", r.VerifiedAt)
	}
	if r.CustomerID != "" {
		b = appendStr(b, "customer_id", r.CustomerID)
	}
	if r.Tier != "" {
		b = appendStr(b, "tier", string(r.Tier))
	}
	if len(r.Comments) > 0 {
		b = append(b, `,"comments":[`...)
		for i, c := range r.Comments {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, c...)
			b = append(b, '"')
		}
		b = append(b, ']')
	}
	if r.PerformingLab != "" {
		b = appendStr(b, "performing_lab", r.PerformingLab)
	}
	if !r.UpdatedAt.IsZero() {
		b = appendTime(b, "updated_at", r.UpdatedAt)
	}
	return append(b, '}'), true
}
