package hl7

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"
)

// Header is what NewMessage writes into MSH. Zero fields get the defaults
// noted on each.
type Header struct {
	SendingApplication   HD // MSH-3
	SendingFacility      HD // MSH-4
	ReceivingApplication HD // MSH-5
	ReceivingFacility    HD // MSH-6
	// Time is MSH-7; zero means time.Now().
	Time time.Time
	// ControlID is MSH-10; empty means NewControlID().
	ControlID string
	// ProcessingID is MSH-11: P (production), T (training), D (debugging).
	// Empty means "P".
	ProcessingID string
	// Version is MSH-12; empty means DefaultVersion.
	Version string
	// AcceptAckType and ApplicationAckType are MSH-15 and MSH-16 ("AL",
	// "NE", "ER", "SU"); empty leaves them out (original acknowledgment mode).
	AcceptAckType      string
	ApplicationAckType string
	// CharacterSet is MSH-18, e.g. "UNICODE UTF-8"; empty leaves it out.
	CharacterSet string
	// Delimiters; the zero value means DefaultDelimiters.
	Delimiters Delimiters
}

// DefaultVersion is the HL7 version NewMessage declares when none is given:
// the version most lab interfaces (and the US lab IGs) are written against.
const DefaultVersion = "2.5.1"

// NewMessage starts a message with an MSH built from h and the message type
// code^trigger^structure (e.g. "ORU", "R01", "ORU_R01"; structure may be
// empty for versions before 2.4). Add segments with AddSegment.
//
// Invalid delimiters in h are recorded and reported by Err, and the default
// delimiters are used instead, so building code can check once at the end.
func NewMessage(code, trigger, structure string, h Header) *Message {
	m := new(Message)
	m.segs = m.inline[:0]
	d := h.Delimiters
	if d == (Delimiters{}) {
		d = DefaultDelimiters
	} else if err := d.Validate(); err != nil {
		m.err = err
		d = DefaultDelimiters
	}
	m.delims = d
	if h.Time.IsZero() {
		h.Time = time.Now()
	}
	if h.ControlID == "" {
		h.ControlID = NewControlID()
	}
	if h.ProcessingID == "" {
		h.ProcessingID = "P"
	}
	if h.Version == "" {
		h.Version = DefaultVersion
	}
	m.appendSegment("MSH" + string(d.Field) + d.EncodingCharacters())
	b := m.AddSegment("MSH")
	b.SetValue(3, h.SendingApplication).
		SetValue(4, h.SendingFacility).
		SetValue(5, h.ReceivingApplication).
		SetValue(6, h.ReceivingFacility).
		Set(7, FormatTime(h.Time)).
		SetValue(9, MSG{Code: code, Trigger: trigger, Structure: structure}).
		Set(10, h.ControlID).
		Set(11, h.ProcessingID).
		Set(12, h.Version).
		Set(15, h.AcceptAckType).
		Set(16, h.ApplicationAckType).
		Set(18, h.CharacterSet)
	return m
}

// SegmentBuilder writes the fields of one segment of a message. Its methods
// return the builder so calls chain; the first error (an invalid field
// number) is kept and reported by Err and by the message's Err.
type SegmentBuilder struct {
	m   *Message
	idx int
	err error
}

// AddSegment appends an empty segment named name and returns a builder for
// it. AddSegment("MSH") returns a builder for the existing header instead,
// since a message has exactly one.
func (m *Message) AddSegment(name string) *SegmentBuilder {
	b := &SegmentBuilder{m: m, idx: -1}
	if name == "MSH" && len(m.segs) > 0 && hasName(m.segs[0].raw, "MSH") {
		b.idx = 0
		return b
	}
	if !validSegmentName(name) {
		b.fail(fmt.Errorf("%w: segment name %q is not 3 upper-case letters or digits", ErrInvalidPath, name))
		return b
	}
	if len(m.segs) == 0 {
		b.fail(fmt.Errorf("%w: add segments to a message created with NewMessage or Parse", ErrInvalidPath))
		return b
	}
	m.appendSegment(name)
	b.idx = len(m.segs) - 1
	return b
}

func (b *SegmentBuilder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
	if b.m.err == nil {
		b.m.err = err
	}
}

// Err returns the first error met by this builder.
func (b *SegmentBuilder) Err() error { return b.err }

// Segment returns a view of the segment as built so far.
func (b *SegmentBuilder) Segment() Segment {
	if b.idx < 0 {
		return Segment{}
	}
	return b.m.Segment(b.idx + 1)
}

// Set stores value, escaped, as field n (replacing all of it).
func (b *SegmentBuilder) Set(n int, value string) *SegmentBuilder {
	return b.setRaw(n, Escape(value, b.m.delims))
}

// SetValue stores v as field n; several values become repetitions.
func (b *SegmentBuilder) SetValue(n int, v ...FieldValue) *SegmentBuilder {
	var raw []byte
	for i, x := range v {
		if i > 0 {
			raw = append(raw, b.m.delims.Repetition)
		}
		if x != nil {
			raw = x.AppendER7(raw, b.m.delims)
		}
	}
	// Drop a trailing run of empty repetitions so an empty value leaves the
	// field empty rather than "~~".
	for len(raw) > 0 && raw[len(raw)-1] == b.m.delims.Repetition {
		raw = raw[:len(raw)-1]
	}
	return b.setRaw(n, string(raw))
}

// SetComponents stores field n as components, each escaped.
func (b *SegmentBuilder) SetComponents(n int, comps ...string) *SegmentBuilder {
	return b.SetValue(n, Components(comps))
}

// SetRaw stores already-encoded ER7 text as field n. It must not contain
// the field separator or segment terminators.
func (b *SegmentBuilder) SetRaw(n int, er7 string) *SegmentBuilder {
	for i := 0; i < len(er7); i++ {
		if c := er7[i]; c == b.m.delims.Field || c == '\r' || c == '\n' {
			b.fail(fmt.Errorf("%w: raw value for field %d contains a field separator or line break", ErrInvalidPath, n))
			return b
		}
	}
	return b.setRaw(n, er7)
}

func (b *SegmentBuilder) setRaw(n int, raw string) *SegmentBuilder {
	if b.idx < 0 {
		return b
	}
	seg := b.m.segs[b.idx].raw
	msh := b.idx == 0 && hasName(seg, "MSH")
	if n < 1 || msh && n <= 2 {
		b.fail(fmt.Errorf("%w: cannot set field %d of %s", ErrInvalidPath, n, seg[:3]))
		return b
	}
	if raw == "" && b.m.Segment(b.idx+1).Fields() < n {
		return b // nothing to clear; do not pad the segment with separators
	}
	k := n + 1
	if msh {
		k = n
	}
	seg, lo, hi := span(seg, 0, len(seg), b.m.delims.Field, k)
	b.m.replaceSegment(b.idx, seg[:lo]+raw+seg[hi:])
	return b
}

// NewControlID returns a message control id (MSH-10) unique within this
// process and, with overwhelming probability, across processes: 8 hex
// digits chosen at random when the process starts followed by a 12-digit
// hex counter starting at a random value. 20 characters fit MSH-10 in every
// HL7 version.
func NewControlID() string {
	n := ctrlCounter.Add(1) & (1<<48 - 1)
	var b [20]byte
	const hexdigits = "0123456789ABCDEF"
	p := ctrlPrefix
	for i := 7; i >= 0; i-- {
		b[i] = hexdigits[p&0xf]
		p >>= 4
	}
	for i := 19; i >= 8; i-- {
		b[i] = hexdigits[n&0xf]
		n >>= 4
	}
	return string(b[:])
}

var (
	ctrlPrefix  uint32
	ctrlCounter atomic.Uint64
)

func init() {
	var seed [12]byte
	_, _ = rand.Read(seed[:]) // crypto/rand.Read never fails on supported platforms
	ctrlPrefix = binary.BigEndian.Uint32(seed[:4])
	ctrlCounter.Store(binary.BigEndian.Uint64(seed[4:]))
}
