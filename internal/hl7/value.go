package hl7

import "strings"

// Segment is a view of one segment of a message: a pointer and a position,
// cheap to copy. It sees later changes made to the segment through the
// message. The zero Segment stands for an absent segment: its fields are
// all absent.
type Segment struct {
	m *Message
	i int // 1-based; 0 for the zero Segment
}

// Name returns the three-character segment name, e.g. "OBX".
func (s Segment) Name() string {
	raw := s.Raw()
	if len(raw) < 3 {
		return raw
	}
	return raw[:3]
}

// IsZero reports whether s is the zero Segment (the segment was absent).
func (s Segment) IsZero() bool { return s.m == nil }

// Index returns the 1-based position of the segment in its message, or 0
// for the zero Segment.
func (s Segment) Index() int { return s.i }

// Raw returns the encoded segment without terminator.
func (s Segment) Raw() string {
	if s.m == nil {
		return ""
	}
	return s.m.segs[s.i-1].raw
}

// Delimiters returns the delimiters of the segment's message.
func (s Segment) Delimiters() Delimiters {
	if s.m == nil {
		return Delimiters{}
	}
	return s.m.delims
}

func isMSH(raw string) bool { return len(raw) >= 4 && raw[:3] == "MSH" }

// Fields returns the number of the last field present, in HL7 numbering
// (so "PID|1|x" has 2 fields and "MSH|^~\&|A" has 3).
func (s Segment) Fields() int {
	raw := s.Raw()
	if len(raw) <= 3 {
		return 0
	}
	n := strings.Count(raw, string(s.m.delims.Field))
	if isMSH(raw) {
		n++
	}
	return n
}

// Field returns field n (HL7 numbering). For MSH, Field(1) is the field
// separator and Field(2) the encoding characters; both are returned
// literally, never split or unescaped.
func (s Segment) Field(n int) Value {
	if n < 1 || s.m == nil {
		return Value{}
	}
	m := s.m
	k := n // position among fs-separated elements; element 0 is the name
	if raw := m.segs[s.i-1].raw; isMSH(raw) {
		switch n {
		case 1:
			return Value{raw: raw[3:4], d: m.delims, lvl: levelLiteral, ok: true}
		case 2:
			enc := raw[4:]
			if i := strings.IndexByte(enc, m.delims.Field); i >= 0 {
				enc = enc[:i]
			}
			return Value{raw: enc, d: m.delims, lvl: levelLiteral, ok: true}
		}
		k = n - 1
	}
	raw, ok := m.field(s.i-1, k)
	return Value{raw: raw, d: m.delims, lvl: levelField, ok: ok}
}

// element returns the k-th (0-based) sep-separated element of s.
func element(s string, sep byte, k int) (string, bool) {
	start := 0
	for ; k > 0; k-- {
		i := strings.IndexByte(s[start:], sep)
		if i < 0 {
			return "", false
		}
		start += i + 1
	}
	rest := s[start:]
	if i := strings.IndexByte(rest, sep); i >= 0 {
		return rest[:i], true
	}
	return rest, true
}

type level uint8

const (
	levelField   level = iota // children are repetitions
	levelRep                  // children are components
	levelComp                 // children are sub-components
	levelSub                  // a leaf
	levelLiteral              // MSH-1 and MSH-2: a leaf that is never unescaped
)

// Value is a read-only view of a field, one repetition, a component or a
// sub-component. Raw returns the encoded text; String the unescaped value.
// The zero Value is absent.
type Value struct {
	raw string
	d   Delimiters
	lvl level
	ok  bool
}

// Exists reports whether the value is present in the encoding: its
// separators reach it, even if it is empty. "PID|1||x" has an empty but
// existing PID-2 and an absent PID-9.
func (v Value) Exists() bool { return v.ok }

// IsEmpty reports whether the value is absent or empty ("not valued").
func (v Value) IsEmpty() bool { return v.raw == "" }

// IsNull reports whether the value is the HL7 explicit null `""`, which
// tells the receiver to delete what it holds (distinct from empty, which
// means "no change").
func (v Value) IsNull() bool { return v.raw == Null }

// Null is the HL7 explicit null value.
const Null = `""`

// Raw returns the encoded (escaped) text of the value, including any
// separators of the levels below it.
func (v Value) Raw() string { return v.raw }

// String returns the unescaped value. For a field, repetition or component
// it is the value of the first sub-component of the first component of the
// first repetition, the convention of HAPI's terser: "PID-8" reads as
// "F" and "PID-5" as the family name.
func (v Value) String() string {
	if v.lvl == levelLiteral {
		return v.raw
	}
	leaf, esc := firstLeaf(v.raw, v.lvl, v.d)
	if !esc {
		return leaf
	}
	return unescape(leaf, v.d)
}

// firstLeaf cuts raw at the first separator of any level below lvl (the
// first sub-component of the first component of the first repetition) and
// reports whether that leaf contains the escape character, all in one pass
// because this runs for nearly every value read.
func firstLeaf(raw string, lvl level, d Delimiters) (string, bool) {
	esc := false
	switch lvl {
	case levelField:
		for i := 0; i < len(raw); i++ {
			switch raw[i] {
			case d.Subcomponent, d.Component, d.Repetition:
				return raw[:i], esc
			case d.Escape:
				esc = true
			}
		}
	case levelRep:
		for i := 0; i < len(raw); i++ {
			switch raw[i] {
			case d.Subcomponent, d.Component:
				return raw[:i], esc
			case d.Escape:
				esc = true
			}
		}
	case levelComp:
		for i := 0; i < len(raw); i++ {
			switch raw[i] {
			case d.Subcomponent:
				return raw[:i], esc
			case d.Escape:
				esc = true
			}
		}
	default:
		return raw, strings.IndexByte(raw, d.Escape) >= 0
	}
	return raw, esc
}

func (v Value) sep() byte {
	switch v.lvl {
	case levelField:
		return v.d.Repetition
	case levelRep:
		return v.d.Component
	case levelComp:
		return v.d.Subcomponent
	}
	return 0
}

// child returns part i (1-based) at the level below v.
func (v Value) child(i int) Value {
	if i < 1 || !v.ok {
		return Value{d: v.d, lvl: v.lvl + 1}
	}
	if v.lvl >= levelSub {
		if i == 1 {
			return v
		}
		return Value{d: v.d, lvl: v.lvl}
	}
	raw, ok := element(v.raw, v.sep(), i-1)
	return Value{raw: raw, d: v.d, lvl: v.lvl + 1, ok: ok}
}

// self returns v as part 1 of a level it is already below; asking for any
// other part of a leaf gives an absent value.
func (v Value) self(i int) Value {
	if i == 1 {
		return v
	}
	return Value{d: v.d, lvl: v.lvl}
}

// Rep returns repetition i (1-based) of a field. On a value below field
// level, Rep(1) is the value itself.
func (v Value) Rep(i int) Value {
	if v.lvl == levelField {
		return v.child(i)
	}
	return v.self(i)
}

// Component returns component i (1-based). On a field it reads the first
// repetition; on a component or below, Component(1) is the value itself.
func (v Value) Component(i int) Value {
	switch v.lvl {
	case levelField:
		return v.child(1).child(i)
	case levelRep:
		return v.child(i)
	}
	return v.self(i)
}

// Subcomponent returns sub-component i (1-based) of the first component of
// the first repetition (or of this component).
func (v Value) Subcomponent(i int) Value {
	switch v.lvl {
	case levelField:
		return v.child(1).child(1).child(i)
	case levelRep:
		return v.child(1).child(i)
	case levelComp:
		return v.child(i)
	}
	return v.self(i)
}

// Reps returns the number of repetitions of a field; 0 when empty.
func (v Value) Reps() int {
	if v.lvl != levelField {
		return v.countOwn()
	}
	return count(v.raw, v.d.Repetition)
}

// Components returns the number of components (of the first repetition
// for a field); 0 when empty.
func (v Value) Components() int {
	switch v.lvl {
	case levelField:
		return count(v.child(1).raw, v.d.Component)
	case levelRep:
		return count(v.raw, v.d.Component)
	}
	return v.countOwn()
}

// Subcomponents returns the number of sub-components of the first
// component; 0 when empty.
func (v Value) Subcomponents() int {
	switch v.lvl {
	case levelField, levelRep:
		return count(v.Component(1).raw, v.d.Subcomponent)
	case levelComp:
		return count(v.raw, v.d.Subcomponent)
	}
	return v.countOwn()
}

func (v Value) countOwn() int {
	if v.raw == "" {
		return 0
	}
	return 1
}

func count(s string, sep byte) int {
	if s == "" {
		return 0
	}
	return strings.Count(s, string(sep)) + 1
}
