package hl7

import (
	"iter"
	"log/slog"
	"strconv"
	"sync"
)

// Message is one parsed or constructed HL7 v2 message.
//
// Segments are stored as immutable strings (without terminators); values
// read from a Message are substrings of them whenever no unescaping is
// needed, so they stay valid and unchanged whatever happens to the Message
// later. Concurrent reads are safe; writes (Set, AddSegment and the
// SegmentBuilder methods) must not run concurrently with anything else.
type Message struct {
	delims Delimiters
	segs   []segment
	err    error // first error recorded by a SegmentBuilder

	// Field separator positions, built on the first field access (see
	// index.go). Parsing does not build it, so code that only routes on MSH
	// does not pay for it.
	indexOnce sync.Once
	fsPos     []uint32
	indexed   bool // written inside indexOnce, or by writers

	// inline holds the segment list of typical messages so that parsing
	// allocates only the Message and the copy of the text.
	inline [24]segment
}

// segment is one segment's text and where its field separators are listed
// in Message.fsPos.
type segment struct {
	raw   string
	first uint32 // index in fsPos of the first field separator
	n     int32  // number of field separators; -1 until indexed
}

func newSegment(raw string) segment { return segment{raw: raw, n: -1} }

// Delimiters returns the message's delimiters.
func (m *Message) Delimiters() Delimiters { return m.delims }

// Len returns the number of segments.
func (m *Message) Len() int { return len(m.segs) }

// Segment returns the i-th segment, 1-based; the zero Segment if out of
// range.
func (m *Message) Segment(i int) Segment {
	if i < 1 || i > len(m.segs) {
		return Segment{}
	}
	return Segment{m: m, i: i}
}

// Segments iterates over all segments in order.
func (m *Message) Segments() iter.Seq[Segment] {
	return func(yield func(Segment) bool) {
		for i := range m.segs {
			if !yield(Segment{m: m, i: i + 1}) {
				return
			}
		}
	}
}

// All iterates over the segments named name, in order.
func (m *Message) All(name string) iter.Seq[Segment] {
	return func(yield func(Segment) bool) {
		for i := range m.segs {
			if hasName(m.segs[i].raw, name) && !yield(Segment{m: m, i: i + 1}) {
				return
			}
		}
	}
}

// Count returns the number of segments named name.
func (m *Message) Count(name string) int {
	n := 0
	for i := range m.segs {
		if hasName(m.segs[i].raw, name) {
			n++
		}
	}
	return n
}

// First returns the first segment named name, or the zero Segment.
func (m *Message) First(name string) Segment { return m.find(name, 1) }

// find returns the rep-th (1-based) segment named name.
func (m *Message) find(name string, rep int) Segment {
	for i := range m.segs {
		if hasName(m.segs[i].raw, name) {
			rep--
			if rep == 0 {
				return Segment{m: m, i: i + 1}
			}
		}
	}
	return Segment{}
}

func hasName(seg, name string) bool {
	return len(name) == 3 && len(seg) >= 3 && seg[:3] == name
}

// Type returns MSH-9: message code, trigger event and structure.
func (m *Message) Type() MSG { return m.MSH().MessageType() }

// ControlID returns MSH-10.
func (m *Message) ControlID() string { return m.MSH().ControlID() }

// Version returns MSH-12.1, the HL7 version id.
func (m *Message) Version() string { return m.MSH().Version() }

// Err returns the first error recorded while building the message with
// SegmentBuilder (an invalid segment name or field number), or nil.
func (m *Message) Err() error { return m.err }

// Encode returns the message in ER7 with every segment terminated by "\r",
// as the standard requires, whatever terminators the input used.
func (m *Message) Encode() []byte {
	n := 0
	for i := range m.segs {
		n += len(m.segs[i].raw) + 1
	}
	return m.AppendEncode(make([]byte, 0, n))
}

// AppendEncode appends the encoded message to dst, for callers that reuse
// buffers (MLLP framing).
func (m *Message) AppendEncode(dst []byte) []byte {
	for i := range m.segs {
		dst = append(dst, m.segs[i].raw...)
		dst = append(dst, '\r')
	}
	return dst
}

// String describes the message without its content (type, control id and
// segment count) so that printing a Message by accident never leaks
// patient data into logs. Use Encode for the message text.
func (m *Message) String() string {
	if m == nil {
		return "hl7.Message(nil)"
	}
	return "hl7.Message{" + m.Type().String() + " control_id=" + strconv.Quote(m.ControlID()) +
		" segments=" + strconv.Itoa(len(m.segs)) + "}"
}

// LogValue implements slog.LogValuer with the same content-free summary as
// String.
func (m *Message) LogValue() slog.Value {
	if m == nil {
		return slog.StringValue("<nil>")
	}
	return slog.GroupValue(
		slog.String("type", m.Type().String()),
		slog.String("control_id", m.ControlID()),
		slog.Int("segments", len(m.segs)),
	)
}

// CheckHeader reports the first MSH field that every receiver needs but
// that is empty: MSH-9.1 (message code), MSH-10 (control id, without which
// an ACK cannot be matched), MSH-11 (processing id) and MSH-12 (version).
// Parse does not require them, so that a message missing them can still be
// read and answered; a receiver calls CheckHeader and rejects with
// ACKForError. The error is a *ParseError with Code 101.
func (m *Message) CheckHeader() error {
	msh := m.MSH()
	required := []struct {
		field int
		name  string
		value string
	}{
		{9, "message type", msh.MessageType().Code},
		{10, "message control id", msh.ControlID()},
		{11, "processing id", msh.ProcessingID()},
		{12, "version id", msh.Version()},
	}
	for _, r := range required {
		if r.value == "" {
			return &ParseError{Segment: "MSH", Line: 1, Field: r.field, Code: CodeRequiredFieldMissing,
				Reason: "MSH-" + strconv.Itoa(r.field) + " (" + r.name + ") is required"}
		}
	}
	return nil
}
