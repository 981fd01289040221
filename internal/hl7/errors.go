package hl7

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. Callers branch on these with errors.Is.
var (
	// ErrMalformed is matched by every *ParseError: the input is not a
	// syntactically valid HL7 v2 message.
	ErrMalformed = errors.New("hl7: malformed message")
	// ErrTooLarge is matched (together with ErrMalformed) when the input
	// exceeds the parser's size limit.
	ErrTooLarge = errors.New("hl7: message too large")
	// ErrInvalidPath is returned for a terser path that cannot address a
	// value, such as "PID-0" or "pid-3", or for writes to MSH-1 and MSH-2.
	ErrInvalidPath = errors.New("hl7: invalid path")
	// ErrInvalidTime is returned by ParseTime for a value that is not an
	// HL7 DTM/TS.
	ErrInvalidTime = errors.New("hl7: invalid date/time")
)

// ParseError describes why and where a message could not be parsed. Its
// text never contains message content, only positions, so it is safe to log
// and to return to the sender in an ACK.
type ParseError struct {
	// Segment is the name of the segment being read ("MSH"), or "" when the
	// segment name itself is invalid.
	Segment string
	// Line is the 1-based line of the input holding the segment; blank lines
	// count. 0 when the error is about the whole message (size).
	Line int
	// Field is the HL7 field number the problem was found in (MSH-2 for bad
	// encoding characters), or 0.
	Field int
	// Offset is the byte offset in the input where the problem was found.
	Offset int
	// Code is the HL7 table 0357 error code that best describes the problem,
	// for use in ERR-3 of the ACK.
	Code ErrorCode
	// Reason says what is wrong.
	Reason string
	// Err is an additional sentinel such as ErrTooLarge, or nil.
	Err error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("hl7: ")
	if e.Line > 0 {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
		if e.Segment != "" {
			b.WriteString(" (")
			b.WriteString(e.Segment)
			if e.Field > 0 {
				b.WriteByte('-')
				b.WriteString(strconv.Itoa(e.Field))
			}
			b.WriteByte(')')
		}
		b.WriteString(", ")
	}
	b.WriteString("offset ")
	b.WriteString(strconv.Itoa(e.Offset))
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap lets errors.Is match ErrMalformed for every parse error, and Err
// (for example ErrTooLarge) when set.
func (e *ParseError) Unwrap() []error {
	if e.Err == nil || errors.Is(e.Err, ErrMalformed) {
		return []error{ErrMalformed}
	}
	return []error{ErrMalformed, e.Err}
}

// ErrorCode is a value of HL7 table 0357 (message error condition codes),
// carried in ERR-3.
type ErrorCode int

// The table 0357 codes.
const (
	CodeAccepted                ErrorCode = 0
	CodeSegmentSequence         ErrorCode = 100
	CodeRequiredFieldMissing    ErrorCode = 101
	CodeDataType                ErrorCode = 102
	CodeTableValueNotFound      ErrorCode = 103
	CodeValueTooLong            ErrorCode = 104 // v2.6 and later
	CodeUnsupportedMessageType  ErrorCode = 200
	CodeUnsupportedEventCode    ErrorCode = 201
	CodeUnsupportedProcessingID ErrorCode = 202
	CodeUnsupportedVersionID    ErrorCode = 203
	CodeUnknownKeyIdentifier    ErrorCode = 204
	CodeDuplicateKeyIdentifier  ErrorCode = 205
	CodeApplicationRecordLocked ErrorCode = 206
	CodeApplicationInternal     ErrorCode = 207
)

// Text returns the table 0357 description of c, as sent in ERR-3.2.
func (c ErrorCode) Text() string {
	switch c {
	case CodeAccepted:
		return "Message accepted"
	case CodeSegmentSequence:
		return "Segment sequence error"
	case CodeRequiredFieldMissing:
		return "Required field missing"
	case CodeDataType:
		return "Data type error"
	case CodeTableValueNotFound:
		return "Table value not found"
	case CodeValueTooLong:
		return "Value too long"
	case CodeUnsupportedMessageType:
		return "Unsupported message type"
	case CodeUnsupportedEventCode:
		return "Unsupported event code"
	case CodeUnsupportedProcessingID:
		return "Unsupported processing id"
	case CodeUnsupportedVersionID:
		return "Unsupported version id"
	case CodeUnknownKeyIdentifier:
		return "Unknown key identifier"
	case CodeDuplicateKeyIdentifier:
		return "Duplicate key identifier"
	case CodeApplicationRecordLocked:
		return "Application record locked"
	case CodeApplicationInternal:
		return "Application internal error"
	}
	return ""
}

// String returns the code as sent on the wire, e.g. "101".
func (c ErrorCode) String() string { return strconv.Itoa(int(c)) }
