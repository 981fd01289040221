package hl7

import (
	"math/bits"
	"strings"
)

// The field index.
//
// Reading a field by scanning its segment from the start costs a pass over
// the segment for every access, and mapping code reads a dozen fields of
// every OBX. So the first field access of a message lists the position of
// every field separator of every segment in one slice (one allocation, one
// pass over the text); from then on Segment.Field is two slice reads.
//
// The index is built under a sync.Once so that concurrent readers stay
// safe. Writers (Set, AddSegment, SegmentBuilder) are exclusive by
// contract; they re-index the one segment they replace.

func (m *Message) ensureIndex() {
	m.indexOnce.Do(m.buildIndex)
}

func (m *Message) buildIndex() {
	fs := m.delims.Field
	total := 0
	for i := range m.segs {
		total += strings.Count(m.segs[i].raw, string(fs))
	}
	m.fsPos = make([]uint32, 0, total)
	for i := range m.segs {
		m.indexSegment(i)
	}
	m.indexed = true
}

// indexSegment appends the field separator positions of segment i.
//
// It tests eight bytes at a time (SWAR): most fields are a few bytes long,
// so a call to strings.IndexByte per field costs more than it saves, and a
// byte-at-a-time loop is the slowest part of mapping a result.
func (m *Message) indexSegment(i int) {
	seg := &m.segs[i]
	raw := seg.raw
	seg.first = uint32(len(m.fsPos))
	const (
		ones = 0x0101010101010101
		low7 = 0x7f7f7f7f7f7f7f7f
	)
	pattern := uint64(m.delims.Field) * ones
	j := 0
	for ; j+8 <= len(raw); j += 8 {
		x := load64(raw, j) ^ pattern
		// High bit of each byte of t is set exactly where x has a zero
		// byte, that is where raw has the field separator.
		t := ^(((x & low7) + low7) | x | low7)
		for t != 0 {
			m.fsPos = append(m.fsPos, uint32(j+bits.TrailingZeros64(t)>>3))
			t &= t - 1
		}
	}
	for ; j < len(raw); j++ {
		if raw[j] == m.delims.Field {
			m.fsPos = append(m.fsPos, uint32(j))
		}
	}
	seg.n = int32(len(m.fsPos)) - int32(seg.first)
}

// load64 reads 8 bytes of s little-endian; the compiler turns it into a
// single load.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// appendSegment adds a segment, indexing it if the message already has an
// index.
func (m *Message) appendSegment(raw string) {
	if m.segs == nil {
		m.segs = m.inline[:0]
	}
	m.segs = append(m.segs, newSegment(raw))
	if m.indexed {
		m.indexSegment(len(m.segs) - 1)
	}
}

// replaceSegment swaps the text of segment i. The old string is left as it
// was: values read earlier may still reference it.
func (m *Message) replaceSegment(i int, raw string) {
	m.segs[i] = newSegment(raw)
	if m.indexed {
		m.indexSegment(i)
	}
}

// field returns element k (0-based; element 0 is the segment name) of
// segment i.
func (m *Message) field(i, k int) (string, bool) {
	m.ensureIndex()
	seg := &m.segs[i]
	n := int(seg.n)
	if k > n {
		return "", false
	}
	raw := seg.raw
	if k == 0 {
		if n == 0 {
			return raw, true
		}
		return raw[:m.fsPos[seg.first]], true
	}
	pos := m.fsPos[int(seg.first)+k-1 : int(seg.first)+n]
	start := int(pos[0]) + 1
	if k == n {
		return raw[start:], true
	}
	return raw[start:pos[1]], true
}
