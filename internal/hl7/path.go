package hl7

import (
	"fmt"
	"strconv"
	"strings"
)

// Path addresses a value the way HAPI's terser does: "PID-3-1",
// "OBX(2)-5", "PID-3(2)-1", "PID-5-1-2". Every number is 1-based. "." is
// accepted in place of "-" ("PID.3.1") because some interface engines
// write paths that way.
type Path struct {
	Segment      string // segment name, e.g. "OBX"
	SegmentRep   int    // which occurrence of the segment; 0 means the first
	Field        int    // field number, at least 1
	FieldRep     int    // repetition; 0 means unspecified (see Message.Set)
	Component    int    // 0 means unspecified
	Subcomponent int    // 0 means unspecified
}

// ParsePath parses a terser path. Parsing a path once and reusing it with
// Message.ValueAt avoids re-parsing in hot mapping code, though parsing is
// cheap and allocation-free either way.
func ParsePath(s string) (Path, error) {
	var p Path
	bad := func(why string) (Path, error) {
		return Path{}, fmt.Errorf("%w %q: %s", ErrInvalidPath, s, why)
	}
	if len(s) < 3 || !validSegmentName(s[:3]) {
		return bad("must start with a segment name of 3 upper-case letters or digits")
	}
	p.Segment = s[:3]
	rest := s[3:]
	var ok bool
	if p.SegmentRep, rest, ok = parseRep(rest); !ok {
		return bad("malformed segment repetition")
	}
	nums := [3]*int{&p.Field, &p.Component, &p.Subcomponent}
	for level, dst := range nums {
		if rest == "" {
			break
		}
		if rest[0] != '-' && rest[0] != '.' {
			return bad("expected '-' before a number")
		}
		var n int
		if n, rest, ok = parseNum(rest[1:]); !ok {
			return bad("expected a number from 1")
		}
		*dst = n
		if level == 0 {
			if p.FieldRep, rest, ok = parseRep(rest); !ok {
				return bad("malformed field repetition")
			}
		}
	}
	if rest != "" {
		return bad("unexpected text after the path")
	}
	if p.Field == 0 {
		return bad("a field number is required")
	}
	return p, nil
}

// parseRep parses an optional "(n)".
func parseRep(s string) (int, string, bool) {
	if s == "" || s[0] != '(' {
		return 0, s, true
	}
	n, rest, ok := parseNum(s[1:])
	if !ok || rest == "" || rest[0] != ')' {
		return 0, s, false
	}
	return n, rest[1:], true
}

// parseNum parses a positive decimal number of at most 6 digits.
func parseNum(s string) (int, string, bool) {
	n, i := 0, 0
	for i < len(s) && i < 7 && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + int(s[i]-'0')
		i++
	}
	if i == 0 || i > 6 || n == 0 {
		return 0, s, false
	}
	return n, s[i:], true
}

// String formats p as a terser path.
func (p Path) String() string {
	var b strings.Builder
	b.WriteString(p.Segment)
	if p.SegmentRep > 0 {
		b.WriteString("(" + strconv.Itoa(p.SegmentRep) + ")")
	}
	b.WriteString("-" + strconv.Itoa(p.Field))
	if p.FieldRep > 0 {
		b.WriteString("(" + strconv.Itoa(p.FieldRep) + ")")
	}
	if p.Component > 0 {
		b.WriteString("-" + strconv.Itoa(p.Component))
		if p.Subcomponent > 0 {
			b.WriteString("-" + strconv.Itoa(p.Subcomponent))
		}
	}
	return b.String()
}

// Get returns the unescaped value at path, or "" when the path is invalid
// or the value is absent. When the path stops above a leaf, the first
// repetition, component and sub-component are read (HAPI's convention):
// Get("PID-5") is the family name. Use Lookup to tell absent from empty.
func (m *Message) Get(path string) string {
	p, err := ParsePath(path)
	if err != nil {
		return ""
	}
	return m.ValueAt(p).String()
}

// Lookup is Get that also reports whether the value exists in the
// encoding (see Value.Exists). An invalid path reports false.
func (m *Message) Lookup(path string) (string, bool) {
	p, err := ParsePath(path)
	if err != nil {
		return "", false
	}
	v := m.ValueAt(p)
	return v.String(), v.Exists()
}

// ValueAt returns a view of the value at p, for access to raw text,
// repetitions and components.
func (m *Message) ValueAt(p Path) Value {
	rep := max(p.SegmentRep, 1)
	v := m.find(p.Segment, rep).Field(p.Field)
	if p.FieldRep > 0 {
		v = v.Rep(p.FieldRep)
	}
	if p.Component > 0 {
		v = v.Component(p.Component)
	}
	if p.Subcomponent > 0 {
		v = v.Subcomponent(p.Subcomponent)
	}
	return v
}

// Set stores value, escaped, at path. It addresses exactly what the path
// names: "PID-8" replaces the whole field (all repetitions and components),
// "PID-3(2)" one repetition, "PID-5-2" one component of the first
// repetition. Missing separators are added, and when the path names a
// segment occurrence beyond the last one, empty segments are appended up to
// it. MSH-1 and MSH-2 cannot be set: the delimiters are fixed when the
// message is created.
func (m *Message) Set(path, value string) error {
	p, err := ParsePath(path)
	if err != nil {
		return err
	}
	return m.SetAt(p, value)
}

// SetAt is Set with a parsed path.
func (m *Message) SetAt(p Path, value string) error {
	// Whatever level the path names, value is one leaf value, so every
	// delimiter in it is escaped.
	return m.setRaw(p, Escape(value, m.delims))
}

// SetRaw stores already-encoded ER7 text at path without escaping it, for
// composite values built elsewhere ("DOE^JANE"). The text must not contain
// separators of the level it is stored at or above (a field separator in a
// field, a component separator in a component), or segment terminators.
func (m *Message) SetRaw(path, er7 string) error {
	p, err := ParsePath(path)
	if err != nil {
		return err
	}
	return m.setRaw(p, er7)
}

func (m *Message) setRaw(p Path, raw string) error {
	if err := m.checkRaw(p, raw); err != nil {
		return err
	}
	if p.Segment == "MSH" && (p.Field <= 2 || p.SegmentRep > 1) {
		return fmt.Errorf("%w %s: MSH-1 and MSH-2 hold the delimiters and cannot be set, and a message has one MSH", ErrInvalidPath, p)
	}
	if len(m.segs) == 0 {
		return fmt.Errorf("%w %s: the message has no MSH segment", ErrInvalidPath, p)
	}
	rep := max(p.SegmentRep, 1)
	idx := -1
	for i := range m.segs {
		if hasName(m.segs[i].raw, p.Segment) {
			rep--
			if rep == 0 {
				idx = i
				break
			}
		}
	}
	for ; rep > 0; rep-- {
		m.appendSegment(p.Segment)
		idx = len(m.segs) - 1
	}
	m.replaceSegment(idx, setIn(m.segs[idx].raw, m.delims, p, raw))
	return nil
}

// checkRaw rejects text that would change the structure around the target.
func (m *Message) checkRaw(p Path, raw string) error {
	d := m.delims
	forbidden := []byte{'\r', '\n', d.Field}
	if p.FieldRep > 0 || p.Component > 0 {
		forbidden = append(forbidden, d.Repetition)
	}
	if p.Component > 0 {
		forbidden = append(forbidden, d.Component)
	}
	if p.Subcomponent > 0 {
		forbidden = append(forbidden, d.Subcomponent)
	}
	if strings.ContainsAny(raw, string(forbidden)) {
		return fmt.Errorf("%w %s: raw value contains a separator of its own level or above", ErrInvalidPath, p)
	}
	return nil
}

// setIn returns seg with the value addressed by p replaced by raw. The
// levels are applied one after another, each narrowing the window
// [lo, hi) of seg and padding with separators when the target lies beyond
// the last one present.
func setIn(seg string, d Delimiters, p Path, raw string) string {
	k := p.Field + 1 // 1-based element among fs-separated parts; the name is element 1
	if p.Segment == "MSH" {
		k = p.Field
	}
	seg, lo, hi := span(seg, 0, len(seg), d.Field, k)
	rep := p.FieldRep
	if rep == 0 && p.Component > 0 {
		rep = 1
	}
	if rep > 0 {
		seg, lo, hi = span(seg, lo, hi, d.Repetition, rep)
	}
	if p.Component > 0 {
		seg, lo, hi = span(seg, lo, hi, d.Component, p.Component)
		if p.Subcomponent > 0 {
			seg, lo, hi = span(seg, lo, hi, d.Subcomponent, p.Subcomponent)
		}
	}
	return seg[:lo] + raw + seg[hi:]
}

// span locates part idx (1-based) of seg[lo:hi] split by sep, appending
// separators at hi when there are fewer parts. It returns the possibly
// padded seg and the part's bounds.
func span(seg string, lo, hi int, sep byte, idx int) (string, int, int) {
	a := lo
	for k := 1; k < idx; k++ {
		i := strings.IndexByte(seg[a:hi], sep)
		if i < 0 {
			pad := idx - k
			seg = seg[:hi] + strings.Repeat(string(sep), pad) + seg[hi:]
			hi += pad
			return seg, hi, hi
		}
		a += i + 1
	}
	b := hi
	if i := strings.IndexByte(seg[a:hi], sep); i >= 0 {
		b = a + i
	}
	return seg, a, b
}
