package hl7

import (
	"strconv"
	"strings"
)

// DefaultMaxSize is the size limit Parse applies. Lab results may embed
// base64 PDFs or images in OBX-5, so it is generous; transports enforce
// their own, usually smaller, limits before parsing.
const DefaultMaxSize = 16 << 20

const utf8BOM = "\xef\xbb\xbf"

// Parser parses messages with non-default options. The zero value is ready
// to use and behaves like Parse.
type Parser struct {
	// MaxSize is the largest input accepted, in bytes. 0 means
	// DefaultMaxSize; a negative value means no limit.
	MaxSize int
}

// Parse parses one ER7-encoded message with the default Parser.
//
// Segments may end with "\r", "\n" or "\r\n", mixed freely; a leading UTF-8
// byte-order mark, blank lines and lines holding only spaces or tabs are
// ignored. The first segment must be MSH; its MSH-1 and MSH-2 define the
// delimiters. Parse copies data, so the caller may reuse the slice.
//
// A syntax error is returned as a *ParseError matching ErrMalformed.
func Parse(data []byte) (*Message, error) {
	return Parser{}.Parse(data)
}

// Parse parses one ER7-encoded message; see the package-level Parse.
func (p Parser) Parse(data []byte) (*Message, error) {
	max := p.MaxSize
	if max == 0 {
		max = DefaultMaxSize
	}
	if max > 0 && len(data) > max {
		return nil, &ParseError{
			Offset: max,
			Code:   CodeApplicationInternal,
			Reason: "message exceeds the maximum size of " + strconv.Itoa(max) + " bytes",
			Err:    ErrTooLarge,
		}
	}
	m := new(Message)
	if err := m.parse(string(data)); err != nil {
		return nil, err
	}
	return m, nil
}

// ParseHeader parses only the MSH segment of data: the first non-blank
// line. It is for callers that must identify a message (control id, sender)
// without trusting or paying for the rest, such as building an ACK for a
// message that failed to parse or was too large to read completely.
func ParseHeader(data []byte) (*Message, error) {
	pos := 0
	if len(data) >= 3 && string(data[:3]) == utf8BOM {
		pos = 3
	}
	line := 1
	for pos < len(data) {
		end := pos
		for end < len(data) && data[end] != '\r' && data[end] != '\n' {
			end++
		}
		if !isBlank(data[pos:end]) {
			m := new(Message)
			// Parse the line on its own but keep positions relative to data.
			if err := m.parseAt(string(data[pos:end]), pos, line-1); err != nil {
				return nil, err
			}
			return m, nil
		}
		if end+1 < len(data) && data[end] == '\r' && data[end+1] == '\n' {
			end++
		}
		pos = end + 1
		line++
	}
	return nil, &ParseError{Line: line, Offset: len(data), Code: CodeSegmentSequence, Reason: "message is empty; expected an MSH segment"}
}

func (m *Message) parse(s string) error {
	pos := 0
	if strings.HasPrefix(s, utf8BOM) {
		pos = 3
	}
	return m.parseFrom(s, pos, 0, 0)
}

// parseAt parses s as if it started at byte offset base and line lineBase of
// a larger input, so errors point into the caller's data.
func (m *Message) parseAt(s string, base, lineBase int) error {
	return m.parseFrom(s, 0, base, lineBase)
}

// parseFrom is the parser proper. It splits s into segments without
// allocating per segment: each segment is a substring of s, and the
// segment slice starts in storage inside the Message.
//
// Finding line ends uses strings.IndexByte for '\r' and '\n' separately and
// remembers both positions, so a message with a single kind of terminator is
// scanned once by the vectorised search and mixed terminators cost nothing
// extra.
func (m *Message) parseFrom(s string, pos, base, line int) error {
	m.segs = m.inline[:0]
	cr, lf := -1, -1
	for pos < len(s) {
		line++
		if cr < pos {
			cr = indexFrom(s, pos, '\r')
		}
		if lf < pos {
			lf = indexFrom(s, pos, '\n')
		}
		end := min(cr, lf)
		seg := s[pos:end]
		start := pos
		pos = end + 1
		if end+1 < len(s) && s[end] == '\r' && s[end+1] == '\n' {
			pos++
		}
		if len(seg) == 0 || (seg[0] == ' ' || seg[0] == '\t') && isBlank(seg) {
			continue
		}
		if len(m.segs) == 0 {
			if err := m.parseMSH(seg, base+start, line); err != nil {
				return err
			}
		} else if !validSegment(seg, m.delims.Field) {
			return &ParseError{Line: line, Offset: base + start, Code: CodeSegmentSequence,
				Reason: "segment name must be 3 upper-case letters or digits followed by the field separator"}
		}
		m.segs = append(m.segs, newSegment(seg))
	}
	if len(m.segs) == 0 {
		return &ParseError{Line: line, Offset: base + len(s), Code: CodeSegmentSequence, Reason: "message is empty; expected an MSH segment"}
	}
	return nil
}

// parseMSH reads the delimiters from the first segment.
func (m *Message) parseMSH(seg string, off, line int) error {
	if !strings.HasPrefix(seg, "MSH") {
		return &ParseError{Line: line, Offset: off, Code: CodeSegmentSequence, Reason: "first segment must be MSH"}
	}
	// "MSH" + field separator + the four mandatory encoding characters.
	if len(seg) < 8 {
		return &ParseError{Segment: "MSH", Line: line, Field: 2, Offset: off + len(seg), Code: CodeRequiredFieldMissing,
			Reason: "MSH is too short to hold the field separator and encoding characters"}
	}
	fs := seg[3]
	if !validDelimiter(fs) {
		return &ParseError{Segment: "MSH", Line: line, Field: 1, Offset: off + 3, Code: CodeDataType,
			Reason: "invalid field separator"}
	}
	enc := seg[4:]
	if i := strings.IndexByte(enc, fs); i >= 0 {
		enc = enc[:i]
	}
	if len(enc) != 4 && len(enc) != 5 {
		return &ParseError{Segment: "MSH", Line: line, Field: 2, Offset: off + 4, Code: CodeDataType,
			Reason: "encoding characters must be 4 characters (5 with a truncation character), got " + strconv.Itoa(len(enc))}
	}
	d := Delimiters{Field: fs, Component: enc[0], Repetition: enc[1], Escape: enc[2], Subcomponent: enc[3]}
	if len(enc) == 5 {
		d.Truncation = enc[4]
	}
	if err := d.Validate(); err != nil {
		return &ParseError{Segment: "MSH", Line: line, Field: 2, Offset: off + 4, Code: CodeDataType,
			Reason: "invalid encoding characters: each must be a distinct printable non-alphanumeric character"}
	}
	m.delims = d
	return nil
}

// validSegment checks the segment name: exactly three of A-Z and 0-9,
// followed by the field separator or the end of the segment.
func validSegment(seg string, fs byte) bool {
	if len(seg) < 3 || len(seg) > 3 && seg[3] != fs {
		return false
	}
	for i := range 3 {
		c := seg[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func validSegmentName(name string) bool {
	return len(name) == 3 && validSegment(name, 0)
}

// indexFrom returns the index of c in s at or after from, or len(s).
func indexFrom(s string, from int, c byte) int {
	i := strings.IndexByte(s[from:], c)
	if i < 0 {
		return len(s)
	}
	return from + i
}

func isBlank[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '\t' {
			return false
		}
	}
	return true
}
