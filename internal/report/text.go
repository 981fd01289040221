package report

import (
	"strings"
	"sync"

	"github.com/go-pdf/fpdf"
)

// The PDF uses the core Helvetica font, whose encoding is Windows-1252.
// fpdf's translator maps UTF-8 to it but turns every other character into
// '.', which on a patient's name ("Wałęsa" → "Wa..sa") is an
// identification hazard. fold first replaces what Windows-1252 lacks with
// the nearest character it has, and anything else with '?', so the
// translator only ever sees characters it can encode.

// latinExtA holds, for U+0100 to U+017F, the base letter of each character
// ('*' where Windows-1252 has the character itself: Œ œ Š š Ÿ Ž ž).
// Generated from Unicode's canonical decompositions; letters without one
// (Đ, Ł, Ħ, ı, ...) take the letter they are read as.
const latinExtA = "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiIiJjKkkLlLlLlLlLlNnNnNnnNnOoOoOo**RrRrRrSsSsSs**TtTtTtUuUuUuUuUuUuWwYy*ZzZz**s"

// cp1252Extra are the characters Windows-1252 places in 0x80-0x9F.
const cp1252Extra = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"

// fold returns s with every character Windows-1252 cannot encode replaced,
// and control characters turned into spaces ('\n' kept when keepNewlines).
func fold(s string, keepNewlines bool) string {
	clean := true
	for _, c := range s {
		if c >= 0x80 || c < 0x20 || c == 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, c := range s {
		switch {
		case c == '\n' && keepNewlines:
			b.WriteRune(c)
		case c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0):
			b.WriteByte(' ')
		case c <= 0xff:
			b.WriteRune(c)
		case c >= 0x100 && c <= 0x17f:
			if base := latinExtA[c-0x100]; base != '*' {
				b.WriteByte(base)
			} else {
				b.WriteRune(c)
			}
		case strings.ContainsRune(cp1252Extra, c):
			b.WriteRune(c)
		default:
			b.WriteString(symbol(c))
		}
	}
	return b.String()
}

// symbol maps the characters lab systems send that Windows-1252 lacks.
func symbol(c rune) string {
	switch c {
	case 'μ': // Greek mu, as in "μmol/L"; Windows-1252 has the micro sign
		return "µ"
	case '≤':
		return "<="
	case '≥':
		return ">="
	case '−', '‐', '‑', '‒': // minus sign, hyphens, figure dash
		return "-"
	case '\u2009', '\u200a', '\u202f', '\u2007': // thin and narrow spaces
		return " "
	case '\u200b', '\u200c', '\u200d', '\ufeff': // zero-width characters
		return ""
	case 'Ș':
		return "S"
	case 'ș':
		return "s"
	case 'Ț':
		return "T"
	case 'ț':
		return "t"
	}
	return "?"
}

// translators pools fpdf's UTF-8 to Windows-1252 translators. Building one
// parses the code page map (a good part of a small report's render time),
// and one is not safe for concurrent use (it reuses a buffer), so each
// render borrows one.
var translators sync.Pool

func borrowTranslator(pdf *fpdf.Fpdf) func(string) string {
	if t, ok := translators.Get().(func(string) string); ok {
		return t
	}
	return pdf.UnicodeTranslatorFromDescriptor("")
}

func returnTranslator(t func(string) string) { translators.Put(t) }
