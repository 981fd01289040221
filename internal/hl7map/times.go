package hl7map

import (
	"time"

	"github.com/imp-health/imp/internal/hl7"
)

// parseTime reads an HL7 DTM and returns it in UTC. A value without a UTC
// offset is in loc.
//
// It splits the offset off itself and hands hl7.ParseTime only the local
// part: with an offset, ParseTime would build a time.FixedZone, one
// allocation per timestamp, and a result message has two per OBX.
func parseTime(s string, loc *time.Location) (time.Time, error) {
	body, off, hasOff, ok := splitOffset(s)
	if !ok {
		return time.Time{}, hl7.ErrInvalidTime
	}
	if !hasOff {
		t, err := hl7.ParseTime(body, loc)
		return t.UTC(), err
	}
	t, err := hl7.ParseTime(body, time.UTC)
	if err != nil {
		return time.Time{}, err
	}
	return t.Add(-time.Duration(off) * time.Second), nil
}

// splitOffset cuts a trailing +HHMM or -HHMM off s, with the checks
// hl7.ParseTime applies to it; off is in seconds east of UTC.
func splitOffset(s string) (body string, off int, hasOff, ok bool) {
	i := 0
	for i < len(s) && s[i] != '+' && s[i] != '-' {
		i++
	}
	if i == len(s) {
		return s, 0, false, true
	}
	zone := s[i:]
	if len(zone) != 5 || !digits(zone[1:]) {
		return "", 0, false, false
	}
	h := int(zone[1]-'0')*10 + int(zone[2]-'0')
	m := int(zone[3]-'0')*10 + int(zone[4]-'0')
	if h > 14 || m > 59 {
		return "", 0, false, false
	}
	off = (h*60 + m) * 60
	if zone[0] == '-' {
		off = -off
	}
	return s[:i], off, true, true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// timeField reads a DTM field of a segment: the zero time when empty, an
// *Error naming the field when malformed.
func timeField(s hl7.Segment, a at, field int, loc *time.Location) (time.Time, *Error) {
	v := s.Field(field).String()
	if v == "" {
		return time.Time{}, nil
	}
	t, err := parseTime(v, loc)
	if err != nil {
		e := a.invalid(field, "not an HL7 date/time (YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ])")
		e.Err = hl7.ErrInvalidTime
		return time.Time{}, e
	}
	return t, nil
}

// formatTime writes t as an HL7 DTM in loc, with its offset.
func formatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return hl7.FormatTime(t.In(loc))
}

// hl7Date turns a lab date (YYYY-MM-DD) into an HL7 DT (YYYYMMDD).
func hl7Date(d string) string {
	if len(d) != 10 || d[4] != '-' || d[7] != '-' {
		return ""
	}
	return d[:4] + d[5:7] + d[8:]
}

// labDate turns the date part of an HL7 DT or DTM into YYYY-MM-DD; "" when
// the value holds no full date.
func labDate(v string) string {
	if len(v) < 8 || !digits(v[:8]) {
		return ""
	}
	d := v[:4] + "-" + v[4:6] + "-" + v[6:8]
	if _, err := time.Parse(time.DateOnly, d); err != nil {
		return ""
	}
	return d
}

// version derives a record version from the message time: its Unix time in
// microseconds. A correction is sent later than what it corrects, so it
// carries a higher version and wins under lab.Result.Newer; a resent old
// message keeps its old version and cannot overwrite a newer record.
func version(t time.Time) int64 { return t.UnixMicro() }

// messageTime reads MSH-7, which every decoder needs for versions.
func messageTime(m *hl7.Message, loc *time.Location) (time.Time, *Error) {
	t, err := timeField(m.MSH().Segment, mshAt, 7, loc)
	if err != nil {
		return t, err
	}
	if t.IsZero() {
		return t, mshAt.missing(7, "message date/time; it orders corrections")
	}
	if t.Before(time.Unix(0, 0)) {
		return t, mshAt.invalid(7, "message date/time before 1970 cannot order versions")
	}
	return t, nil
}
