package hl7map

import (
	"math/bits"

	"github.com/imp-health/imp/internal/hl7"
)

// segFields is one segment cut into its encoded fields in a single pass.
//
// The result decoder reads about a dozen fields of every OBX. Through
// hl7.Segment.Field each read is a separate lookup in the codec's field
// index; cutting the segment once costs about as much as three of them. Values are read with the codec's own rules
// (leaf is hl7.Value.String), and TestSegFieldsAgree and FuzzSegFields
// hold the two to the same answers. It is not used for MSH, whose first
// two fields follow other rules.
type segFields struct {
	seg string
	// end[n] is the offset in seg of the separator after field n (or the
	// end of seg); end[0] is the separator after the name. Offsets rather
	// than substrings: storing 23 strings per OBX would run 23 GC write
	// barriers whenever a collection is marking, which profiling showed
	// cost more than the split itself.
	end [maxFields + 1]int32
	n   int // number of the last field present
	d   hl7.Delimiters
}

// maxFields is the last OBX field the decoder reads (OBX-23).
const maxFields = 23

func (s *segFields) split(raw string, d hl7.Delimiters) {
	s.seg, s.d, s.n = raw, d, 0
	if len(raw) <= 3 {
		return
	}
	s.end[0] = 3
	// Eight bytes at a time (SWAR), as the codec's own field index does:
	// fields are a few bytes long, so a call to strings.IndexByte per field
	// costs more than it saves, and a byte loop is slower still.
	const (
		ones = 0x0101010101010101
		low7 = 0x7f7f7f7f7f7f7f7f
	)
	pattern := uint64(d.Field) * ones
	i := 4
	for ; i+8 <= len(raw) && s.n < maxFields; i += 8 {
		x := load64(raw, i) ^ pattern
		t := ^(((x & low7) + low7) | x | low7) // high bit set where raw has d.Field
		for t != 0 && s.n < maxFields {
			s.n++
			s.end[s.n] = int32(i + bits.TrailingZeros64(t)>>3)
			t &= t - 1
		}
	}
	for ; i < len(raw) && s.n < maxFields; i++ {
		if raw[i] == d.Field {
			s.n++
			s.end[s.n] = int32(i)
		}
	}
	if s.n < maxFields {
		s.n++
		s.end[s.n] = int32(len(raw))
	}
}

// load64 reads 8 bytes of s little-endian; the compiler makes it one load.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// raw returns field n as encoded; "" when absent.
func (s *segFields) raw(n int) string {
	if n > s.n {
		return ""
	}
	return s.seg[s.end[n-1]+1 : s.end[n]]
}

// leaf returns field n as hl7.Value.String does: the first sub-component
// of the first component of the first repetition, unescaped.
func (s *segFields) leaf(n int) string {
	f, d := s.raw(n), s.d
	esc := false
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c == d.Repetition || c == d.Component || c == d.Subcomponent {
			f = f[:i]
			break
		}
		if c == d.Escape {
			esc = true
		}
	}
	if esc {
		return hl7.Unescape(f, d)
	}
	return f
}
