package hl7

import "strings"

// unescape decodes the escape sequences of one leaf value:
//
//	\F\ \S\ \T\ \R\ \E\   field, component, sub-component, repetition, escape
//	\P\                   truncation character (v2.7), when the message has one
//	\Xhhhh..\             bytes given in hexadecimal
//	\.br\                 line break, decoded as "\n"
//
// Any other sequence (highlighting \H\ \N\, formatting \.sp\ \.in\ ...,
// character sets \C..\ \M..\, locally defined \Z..\) and any malformed or
// unterminated one is kept as it stands, escape characters included, so
// nothing the sender wrote is silently lost.
func unescape(s string, d Delimiters) string {
	i := strings.IndexByte(s, d.Escape)
	if i < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for {
		b = append(b, s[:i]...)
		s = s[i:] // s[0] is the escape character
		j := strings.IndexByte(s[1:], d.Escape)
		if j < 0 {
			b = append(b, s...)
			return string(b)
		}
		seq := s[1 : 1+j]
		whole := s[:j+2]
		s = s[j+2:]
		b = appendUnescaped(b, seq, whole, d)
		i = strings.IndexByte(s, d.Escape)
		if i < 0 {
			b = append(b, s...)
			return string(b)
		}
	}
}

func appendUnescaped(b []byte, seq, whole string, d Delimiters) []byte {
	switch seq {
	case "F":
		return append(b, d.Field)
	case "S":
		return append(b, d.Component)
	case "T":
		return append(b, d.Subcomponent)
	case "R":
		return append(b, d.Repetition)
	case "E":
		return append(b, d.Escape)
	case "P":
		if d.Truncation != 0 {
			return append(b, d.Truncation)
		}
	case ".br":
		return append(b, '\n')
	}
	if len(seq) >= 3 && seq[0] == 'X' && len(seq)%2 == 1 {
		hex := seq[1:]
		out := b
		for k := 0; k < len(hex); k += 2 {
			hi, ok1 := unhex(hex[k])
			lo, ok2 := unhex(hex[k+1])
			if !ok1 || !ok2 {
				return append(b, whole...)
			}
			out = append(out, hi<<4|lo)
		}
		return out
	}
	return append(b, whole...)
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Escape encodes s for use as one leaf value in a message with delimiters d:
// delimiters become \F\ \S\ \T\ \R\ \E\ (and \P\), a line break ("\n" or
// "\r\n") becomes \.br\ and a lone "\r" becomes \X0D\, because a raw CR or
// LF would end the segment. (If '.' is a delimiter of the message, line
// breaks are written in hex too.)
func Escape(s string, d Delimiters) string {
	if !needsEscape(s, d) {
		return s
	}
	return string(appendEscaped(make([]byte, 0, len(s)+8), s, d))
}

// Unescape decodes the escape sequences of s, a leaf value of a message
// with delimiters d. Values read through Get and Value.String are already
// unescaped; this is for raw text obtained with Value.Raw.
func Unescape(s string, d Delimiters) string { return unescape(s, d) }

func needsEscape(s string, d Delimiters) bool {
	for i := 0; i < len(s); i++ {
		if isSpecial(s[i], d) {
			return true
		}
	}
	return false
}

func isSpecial(c byte, d Delimiters) bool {
	return c == d.Field || c == d.Component || c == d.Repetition || c == d.Escape ||
		c == d.Subcomponent || c == '\r' || c == '\n' || (d.Truncation != 0 && c == d.Truncation)
}

// lineBreak returns the escape code for a line break: \.br\, unless '.' is
// one of the message's delimiters (a sender may choose it), in which case
// the sequence would be split apart and hex is used instead.
func lineBreak(d Delimiters, hex string) string {
	if d.Field == '.' || d.Component == '.' || d.Repetition == '.' || d.Subcomponent == '.' || d.Truncation == '.' || d.Escape == '.' {
		return hex
	}
	return ".br"
}

func appendEscaped(b []byte, s string, d Delimiters) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isSpecial(c, d) {
			b = append(b, c)
			continue
		}
		var code string
		switch c {
		case d.Field:
			code = "F"
		case d.Component:
			code = "S"
		case d.Subcomponent:
			code = "T"
		case d.Repetition:
			code = "R"
		case d.Escape:
			code = "E"
		case '\n':
			code = lineBreak(d, "X0A")
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
				code = lineBreak(d, "X0D0A")
			} else {
				code = "X0D"
			}
		default: // the truncation character
			code = "P"
		}
		b = append(b, d.Escape)
		b = append(b, code...)
		b = append(b, d.Escape)
	}
	return b
}
