package hl7map

import (
	"strconv"
	"strings"
)

// These mirror the rules of internal/lab's validation (lab.Problems.ID,
// lab.ParseNumericValue, lab.ValidUCUM) without their regular expressions:
// the result decoder applies them to every OBX, and a regular expression
// costs more than the rest of the mapping. TestChecksAgreeWithLab keeps
// them in step.

// validID is lab's identifier rule: 1-64 of letters, digits, '.', '_', '-'.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// numeric is lab.ParseNumericValue's grammar: an optional "<" or ">" and
// one space, a sign, then digits with an optional fraction or a bare
// fraction (".5"); the number must fit a float64.
func numeric(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '<' || s[i] == '>') {
		i++
		if i < len(s) && s[i] == ' ' {
			i++
		}
	}
	num := s[i:]
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	intDigits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		intDigits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		frac := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			frac++
		}
		if frac == 0 {
			return false
		}
	} else if intDigits == 0 {
		return false
	}
	if i != len(s) {
		return false
	}
	// Without an exponent only a huge integer part can overflow a float64
	// (underflow rounds to zero without error), so the parse, the slowest
	// step, is needed for long numbers only.
	if intDigits < 300 {
		return true
	}
	_, err := strconv.ParseFloat(num, 64)
	return err == nil
}

// validUCUM is lab.ValidUCUM: 1-32 printable ASCII characters, no spaces,
// balanced [] and {}.
func validUCUM(u string) bool {
	if len(u) == 0 || len(u) > 32 {
		return false
	}
	var stack [32]byte
	n := 0
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c < '!' || c > '~' {
			return false
		}
		switch c {
		case '[', '{':
			if n == len(stack) {
				return false // deeper than any unit IMP accepts
			}
			stack[n] = c
			n++
		case ']', '}':
			want := byte('[')
			if c == '}' {
				want = '{'
			}
			if n == 0 || stack[n-1] != want { //nolint:gosec // n > 0 is checked first
				return false
			}
			n--
		}
	}
	return n == 0
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }
