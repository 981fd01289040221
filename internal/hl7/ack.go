package hl7

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"time"
)

// AckCode is MSA-1, the acknowledgment code (HL7 table 0008).
type AckCode string

// Original mode codes (AA, AE, AR) answer for the receiving application;
// enhanced mode commit codes (CA, CE, CR) answer only for having stored the
// message.
const (
	AA AckCode = "AA" // application accept
	AE AckCode = "AE" // application error: the sender should fix and resend
	AR AckCode = "AR" // application reject: unusable message (syntax, type, version)
	CA AckCode = "CA" // commit accept
	CE AckCode = "CE" // commit error
	CR AckCode = "CR" // commit reject
)

// IsError reports whether c says the message was not accepted.
func (c AckCode) IsError() bool { return c == AE || c == AR || c == CE || c == CR }

// Severity is ERR-4 (HL7 table 0516).
type Severity string

// The severities of table 0516.
const (
	SeverityError       Severity = "E"
	SeverityWarning     Severity = "W"
	SeverityInformation Severity = "I"
	SeverityFatal       Severity = "F"
)

// ErrorDetail is one ERR segment of an ACK.
type ErrorDetail struct {
	Location ERL       // ERR-2 (ERR-1 before v2.5): where the problem is
	Code     ErrorCode // ERR-3: table 0357
	Severity Severity  // ERR-4; empty means SeverityError
	// Diagnostic is ERR-7, technical detail for the sender's support staff.
	Diagnostic string
	// Message is ERR-8, the text shown to the sender's users. Like every
	// part of an ACK it goes back to the sender: say what is wrong, never
	// repeat other patients' data or internal secrets.
	Message string
}

type ackConfig struct {
	text      string
	controlID string
	at        time.Time
	sender    *[2]HD
	errs      []ErrorDetail
}

// AckOption customises ACK.
type AckOption func(*ackConfig)

// WithText sets MSA-3, the text message.
func WithText(text string) AckOption { return func(c *ackConfig) { c.text = text } }

// WithError adds an ERR segment.
func WithError(d ErrorDetail) AckOption {
	return func(c *ackConfig) { c.errs = append(c.errs, d) }
}

// WithControlID sets MSH-10 of the ACK instead of generating one.
func WithControlID(id string) AckOption { return func(c *ackConfig) { c.controlID = id } }

// WithTime sets MSH-7 of the ACK instead of the current time.
func WithTime(t time.Time) AckOption { return func(c *ackConfig) { c.at = t } }

// WithSender sets MSH-3 and MSH-4 of the ACK instead of taking them from
// MSH-5 and MSH-6 of the incoming message, for receivers that were not
// addressed by name.
func WithSender(application, facility HD) AckOption {
	return func(c *ackConfig) { c.sender = &[2]HD{application, facility} }
}

// ACK builds the acknowledgment of in: an MSH with sender and receiver
// swapped, the incoming delimiters, processing id and version, message type
// ACK^<trigger>^ACK and a new control id; MSA-1 code and MSA-2 the incoming
// MSH-10.
//
// For an error code (AE, AR, CE, CR) an ERR segment is written for each
// WithError detail, or a generic one (207, application internal error) when
// none is given, because v2.5 makes ERR-3 mandatory in a negative ACK.
// For versions before 2.5 the location and code go into ERR-1 (ELD), which
// is what those receivers read.
//
// in may be nil (nothing of the incoming message could be read); the ACK
// then has empty receiver fields and MSA-2.
func ACK(in *Message, code AckCode, opts ...AckOption) *Message {
	var cfg ackConfig
	for _, o := range opts {
		o(&cfg)
	}
	var h Header
	var trigger string
	if in != nil && len(in.segs) > 0 {
		msh := in.MSH()
		h.Delimiters = in.delims
		h.SendingApplication, h.SendingFacility = msh.ReceivingApplication(), msh.ReceivingFacility()
		h.ReceivingApplication, h.ReceivingFacility = msh.SendingApplication(), msh.SendingFacility()
		h.ProcessingID = msh.ProcessingID()
		h.Version = msh.Version()
		h.CharacterSet = msh.CharacterSet()
		trigger = msh.MessageType().Trigger
	}
	if cfg.sender != nil {
		h.SendingApplication, h.SendingFacility = cfg.sender[0], cfg.sender[1]
	}
	h.ControlID = cfg.controlID
	h.Time = cfg.at
	structure := ""
	if h.Version == "" || versionAtLeast(h.Version, 2, 4) {
		structure = "ACK"
	}
	ack := NewMessage("ACK", trigger, structure, h)

	text := cfg.text
	errs := cfg.errs
	if code.IsError() && len(errs) == 0 {
		errs = []ErrorDetail{{Code: CodeApplicationInternal, Message: text}}
	}
	if text == "" && len(errs) > 0 && code.IsError() {
		text = errs[0].Message
	}
	controlID := ""
	if in != nil {
		controlID = in.ControlID()
	}
	ack.AddSegment("MSA").Set(1, string(code)).Set(2, controlID).Set(3, text)

	legacy := h.Version != "" && !versionAtLeast(h.Version, 2, 5)
	for _, e := range errs {
		b := ack.AddSegment("ERR")
		if legacy {
			// ELD: segment^sequence^field^code, the code a CE in
			// sub-components.
			d := ack.delims
			b.SetRaw(1, string(joinTrim(nil, d.Component,
				Escape(e.Location.Segment, d), itoa(e.Location.Sequence), itoa(e.Location.Field),
				string(joinTrim(nil, d.Subcomponent, e.Code.String(), Escape(e.Code.Text(), d), "HL70357")))))
			continue
		}
		sev := e.Severity
		if sev == "" {
			sev = SeverityError
		}
		if !e.Location.IsZero() {
			b.SetValue(2, e.Location)
		}
		b.SetValue(3, CWE{Code: e.Code.String(), Text: e.Code.Text(), System: "HL70357"}).
			Set(4, string(sev)).
			Set(7, e.Diagnostic).
			Set(8, e.Message)
	}
	return ack
}

// ACKForError builds an AR acknowledgment for data that could not be used
// because of err, typically a *ParseError. It reads what it can of the MSH
// (sender, receiver, control id, version) from the raw bytes; when even that
// is impossible the ACK has empty MSA-2 and receiver fields, and the sender
// must match it by connection.
//
// err's text is sent to the peer in ERR-8 and MSA-3: pass parse errors or
// errors written for the sender, never ones carrying internal detail.
func ACKForError(data []byte, err error) *Message {
	in, herr := ParseHeader(data)
	if herr != nil {
		in = salvageHeader(data)
	}
	detail := ErrorDetail{Code: CodeApplicationInternal, Severity: SeverityError}
	if err != nil {
		detail.Message = err.Error()
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		detail.Code = pe.Code
		detail.Message = pe.Reason
		if pe.Segment != "" {
			detail.Location = ERL{Segment: pe.Segment, Field: pe.Field}
			if pe.Segment == "MSH" {
				detail.Location.Sequence = 1
			}
		}
		if pe.Line > 0 {
			detail.Diagnostic = "line " + strconv.Itoa(pe.Line) + ", byte offset " + strconv.Itoa(pe.Offset)
		}
	}
	return ACK(in, AR, WithError(detail))
}

// salvageHeader reads what it can from a first line that starts like an
// MSH but whose encoding characters are unusable: with only the field
// separator known, the identifying fields are taken up to the first
// standard component separator, so the sender can still match the ACK to
// its message by MSA-2. It returns nil when even that is impossible.
func salvageHeader(data []byte) *Message {
	line := data
	if len(line) >= 3 && string(line[:3]) == utf8BOM {
		line = line[3:]
	}
	for len(line) > 0 && (line[0] == '\r' || line[0] == '\n' || line[0] == ' ' || line[0] == '\t') {
		line = line[1:]
	}
	if i := bytes.IndexAny(line, "\r\n"); i >= 0 {
		line = line[:i]
	}
	if len(line) < 4 || string(line[:3]) != "MSH" || !validDelimiter(line[3]) {
		return nil
	}
	fields := strings.Split(string(line), string(line[3]))
	get := func(n int) string { // MSH-n is element n-1
		if n-1 >= len(fields) {
			return ""
		}
		v, _, _ := strings.Cut(fields[n-1], "^")
		return v
	}
	m := NewMessage(get(9), "", "", Header{
		SendingApplication:   HD{NamespaceID: get(3)},
		SendingFacility:      HD{NamespaceID: get(4)},
		ReceivingApplication: HD{NamespaceID: get(5)},
		ReceivingFacility:    HD{NamespaceID: get(6)},
		ControlID:            get(10),
		ProcessingID:         get(11),
		Version:              get(12),
	})
	// NewMessage generated a control id if MSH-10 was empty; the ACK must
	// echo the sender's, even when that is empty.
	m.AddSegment("MSH").Set(10, get(10))
	if m.Err() != nil {
		return nil
	}
	return m
}

// versionAtLeast reports whether an HL7 version string such as "2.5.1" is
// at least major.minor. Unreadable versions count as recent, so the
// current ACK layout is used.
func versionAtLeast(v string, major, minor int) bool {
	maj, rest, _ := strings.Cut(v, ".")
	min, _, _ := strings.Cut(rest, ".")
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(min)
	if err1 != nil || err2 != nil {
		return true
	}
	return a > major || a == major && b >= minor
}
