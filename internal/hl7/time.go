package hl7

import (
	"fmt"
	"time"
)

// ParseTime parses an HL7 DTM (or the first component of a TS):
// YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]. Missing parts take their
// lowest value. Without a UTC offset the time is in loc, the sender's zone,
// which only the caller knows; nil loc means UTC.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	bad := func() (time.Time, error) {
		return time.Time{}, fmt.Errorf("%w: want YYYY[MM[DD[HH[MM[SS[.SSSS]]]]]][+/-ZZZZ]", ErrInvalidTime)
	}
	// Split off the offset.
	body, zone := s, ""
	for i := 0; i < len(s); i++ {
		if s[i] == '+' || s[i] == '-' {
			body, zone = s[:i], s[i:]
			break
		}
	}
	digits, frac := body, ""
	for i := 0; i < len(body); i++ {
		if body[i] == '.' {
			digits, frac = body[:i], body[i+1:]
			break
		}
	}
	if n := len(digits); n < 4 || n > 14 || n%2 != 0 || !allDigits(digits) || !allDigits(frac) || len(frac) > 4 {
		return bad()
	}
	if frac != "" && len(digits) != 14 {
		return bad()
	}
	num := func(from, to, def int) int {
		if len(digits) < to {
			return def
		}
		n := 0
		for _, c := range digits[from:to] {
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(0, 4, 0), num(4, 6, 1), num(6, 8, 1)
	hour, minute, sec := num(8, 10, 0), num(10, 12, 0), num(12, 14, 0)
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return bad()
	}
	nsec := 0
	if frac != "" {
		for i := 0; i < 9; i++ {
			nsec *= 10
			if i < len(frac) {
				nsec += int(frac[i] - '0')
			}
		}
	}
	if zone != "" {
		if len(zone) != 5 || !allDigits(zone[1:]) {
			return bad()
		}
		h := int(zone[1]-'0')*10 + int(zone[2]-'0')
		mi := int(zone[3]-'0')*10 + int(zone[4]-'0')
		if h > 14 || mi > 59 {
			return bad()
		}
		off := (h*60 + mi) * 60
		if zone[0] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc)
	if t.Day() != day { // 31 February and the like
		return bad()
	}
	return t, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FormatTime formats t as an HL7 DTM to the second with its UTC offset,
// e.g. "20240131154500+0700": every receiver can read it, and the offset
// keeps it unambiguous.
func FormatTime(t time.Time) string {
	return t.Format("20060102150405-0700")
}
