package hl7map

import (
	"errors"
	"strconv"
	"strings"

	"github.com/imp-health/imp/internal/hl7"
)

// Sentinel errors. Every error a decoder returns is an *Error that matches
// ErrUnmappable; those about the message type also match ErrUnsupported.
// Both are permanent: resending the same message cannot succeed.
var (
	// ErrUnmappable is matched by every *Error: the message is valid HL7
	// but cannot become lab records.
	ErrUnmappable = errors.New("hl7map: message cannot be mapped")
	// ErrUnsupported is matched when a decoder is given a message type it
	// does not read (table 0357 codes 200 and 201).
	ErrUnsupported = errors.New("hl7map: unsupported message type")
	// ErrCannotEncode is matched by encoder errors: the lab record lacks
	// something the HL7 message needs, or an argument is out of range.
	// Records that pass lab validation encode; these errors mean one
	// reached the encoder without it.
	ErrCannotEncode = errors.New("hl7map: record cannot be encoded as HL7")
)

// Error says where in a message a mapping failed and why. Its text names
// the position and the rule, never the content, so it is safe to log and to
// send back to the sender in an ACK.
type Error struct {
	// Location is where the problem is, as ERR-2 carries it: segment name,
	// segment occurrence among segments of that name (1-based), field and,
	// when it matters, component.
	Location hl7.ERL
	// Code is the HL7 table 0357 code for ERR-3.
	Code hl7.ErrorCode
	// Reason says what is wrong.
	Reason string
	// Err is an underlying sentinel such as hl7.ErrInvalidTime, or nil.
	Err error
}

// Error returns e.g. "OBX(3)-3: missing test code".
func (e *Error) Error() string {
	loc := Path(e.Location)
	if loc == "" {
		return e.Reason
	}
	return loc + ": " + e.Reason
}

// Unwrap matches ErrUnmappable, ErrUnsupported for codes 200 and 201, and
// Err when set.
func (e *Error) Unwrap() []error {
	errs := []error{ErrUnmappable}
	if e.Code == hl7.CodeUnsupportedMessageType || e.Code == hl7.CodeUnsupportedEventCode {
		errs = append(errs, ErrUnsupported)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// Detail returns the ERR segment content for an AE or AR acknowledgment.
func (e *Error) Detail() hl7.ErrorDetail {
	return hl7.ErrorDetail{
		Location: e.Location,
		Code:     e.Code,
		Severity: hl7.SeverityError,
		Message:  e.Error(),
	}
}

// AckCode is the acknowledgment code to answer the message with: AR for an
// unsupported message type (the sender must not retry), AE otherwise (the
// sender should correct and resend).
func (e *Error) AckCode() hl7.AckCode {
	if e.Code == hl7.CodeUnsupportedMessageType || e.Code == hl7.CodeUnsupportedEventCode {
		return hl7.AR
	}
	return hl7.AE
}

// Path formats an error location as a terser-style path: "OBX(3)-3",
// "MSH-9-2". The MSH occurrence is left out, as a message has one.
func Path(l hl7.ERL) string {
	if l.Segment == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString(l.Segment)
	if l.Sequence > 0 && l.Segment != "MSH" {
		b.WriteByte('(')
		b.WriteString(strconv.Itoa(l.Sequence))
		b.WriteByte(')')
	}
	if l.Field > 0 {
		b.WriteByte('-')
		b.WriteString(strconv.Itoa(l.Field))
		if l.Component > 0 {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(l.Component))
		}
	}
	return b.String()
}

// at is a segment occurrence during decoding: its name and sequence, for
// building error locations.
type at struct {
	name string
	seq  int
}

func (a at) err(field int, code hl7.ErrorCode, reason string) *Error {
	return &Error{Location: hl7.ERL{Segment: a.name, Sequence: a.seq, Field: field}, Code: code, Reason: reason}
}

func (a at) missing(field int, what string) *Error {
	return a.err(field, hl7.CodeRequiredFieldMissing, "missing "+what)
}

func (a at) invalid(field int, reason string) *Error {
	return a.err(field, hl7.CodeDataType, reason)
}

var mshAt = at{"MSH", 1}

// cannotEncode reports an encoder input problem, naming the lab field by its
// JSON path.
func cannotEncode(field, reason string) error {
	return &encodeError{field: field, reason: reason}
}

type encodeError struct{ field, reason string }

func (e *encodeError) Error() string { return "hl7map: " + e.field + ": " + e.reason }
func (e *encodeError) Unwrap() error { return ErrCannotEncode }
