package hl7map

import (
	"strconv"
	"strings"

	"github.com/imp-health/imp/internal/hl7"
)

// Kind is what an inbound message is for IMP, and so where the MLLP
// listener routes it.
type Kind uint8

// The kinds of inbound message. The zero Kind is KindUnsupported.
const (
	// KindUnsupported: IMP does not read this message type; answer AR with
	// Unsupported's error (code 200 or 201).
	KindUnsupported Kind = iota
	// KindOrder: ORM^O01 or OML^O21 placing, changing or cancelling an
	// order (DecodeOrder, to lis-orders).
	KindOrder
	// KindResults: ORU^R01 or OUL^R21-R24 with results (DecodeResults, to
	// the result stream of the customer's tier).
	KindResults
	// KindStatus: order progress without results (DecodeStatus, to
	// lis-test-status).
	KindStatus
	// KindPatient: ADT registering or updating a patient (DecodeCustomer,
	// to customer).
	KindPatient
	// KindAck: an acknowledgment or order response (ACK, MCF, ORR, ORL);
	// never answered with another ACK.
	KindAck
)

func (k Kind) String() string {
	switch k {
	case KindUnsupported:
		return "unsupported"
	case KindOrder:
		return "order"
	case KindResults:
		return "results"
	case KindStatus:
		return "status"
	case KindPatient:
		return "patient"
	case KindAck:
		return "ack"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Classify tells what an inbound message is, from MSH-9 and, where one
// message type serves two purposes, its content:
//
//   - ACK, MCF, ORR, ORL: ack.
//   - ORM^O01, OML^O21: status when the first ORC-1 is a status or response
//     control (SC status changed; OK, CR, DR, OC, OR, XR done as requested;
//     UA, UC, UD, UF, UH, UM, UN, UR, UX unable to), else order (NW, CA,
//     XO, DC, ...). An LIS reports progress of IMP's orders with ORM SC.
//   - ORU^R01, OUL^R21-R24: results when some OBX that DecodeResults reads
//     carries a result (OBX-11 other than I pending, O order detail, N not
//     asked; a value type other than ED and RP), else status: an ORU holding
//     only OBR-25 partial states (O, I, S) is progress, not results.
//   - ADT^A01, A04, A05, A08, A28, A31: patient.
//   - anything else: unsupported.
//
// A missing trigger event is read as the only one IMP knows for ORM
// (O01), OML (O21) and ORU (R01).
func Classify(m *hl7.Message) Kind {
	t := m.Type()
	code := strings.ToUpper(t.Code)
	switch code {
	case "ACK", "MCF", "ORR", "ORL":
		return KindAck
	}
	if !supportedTrigger(code, t.Trigger) {
		return KindUnsupported
	}
	switch code {
	case "ORM", "OML":
		if statusControl(m.First("ORC").Field(1).String()) {
			return KindStatus
		}
		return KindOrder
	case "ORU", "OUL":
		if hasResults(m) {
			return KindResults
		}
		return KindStatus
	case "ADT":
		return KindPatient
	}
	return KindUnsupported
}

// hasResults reports whether some OBX of an order group (not of a
// specimen or of the patient, see DecodeResults) carries a result.
func hasResults(m *hl7.Message) bool {
	patient, order, specimen := false, false, false
	for i := 1; i <= m.Len(); i++ {
		s := m.Segment(i)
		switch s.Name() {
		case "PID":
			patient, order, specimen = true, false, false
		case "ORC", "OBR":
			order, specimen = true, false
		case "SPM":
			specimen = true
		case "OBX":
			if specimen || patient && !order {
				continue
			}
			switch strings.ToUpper(s.Field(11).String()) {
			case "I", "O", "N":
			default:
				if t := strings.ToUpper(s.Field(2).String()); t != "ED" && t != "RP" {
					return true
				}
			}
		}
	}
	return false
}

// triggers lists the trigger events IMP reads per message code.
var triggers = map[string][]string{
	"ORM": {"O01", ""},
	"OML": {"O21", ""},
	"ORU": {"R01", ""},
	"OUL": {"R21", "R22", "R23", "R24"},
	"ADT": {"A01", "A04", "A05", "A08", "A28", "A31"},
	"ORR": {"O02"},
	"ORL": {"O22"},
}

func supportedTrigger(code, trigger string) bool {
	for _, t := range triggers[strings.ToUpper(code)] {
		if strings.EqualFold(t, trigger) {
			return true
		}
	}
	return false
}

// statusControl reports whether an ORC-1 order control code reports on an
// order (status changed, done or refused as requested) rather than asking
// for something to be done.
func statusControl(ctl string) bool {
	switch strings.ToUpper(ctl) {
	case "SC", "OK", "CR", "DR", "OC", "OR", "XR",
		"UA", "UC", "UD", "UF", "UH", "UM", "UN", "UR", "UX":
		return true
	}
	return false
}

// Unsupported returns the error to reject m with when Classify reports
// KindUnsupported: code 200 (unsupported message type) at MSH-9-1 when IMP
// reads no message of that code, 201 (unsupported event code) at MSH-9-2
// when it reads the code with other triggers. It returns nil for a
// supported type.
func Unsupported(m *hl7.Message) *Error {
	t := m.Type()
	switch strings.ToUpper(t.Code) {
	case "ACK", "MCF", "ORR", "ORL":
		return nil
	}
	if _, known := triggers[strings.ToUpper(t.Code)]; known {
		if supportedTrigger(t.Code, t.Trigger) {
			return nil
		}
		return triggerError(t)
	}
	return &Error{Location: hl7.ERL{Segment: "MSH", Sequence: 1, Field: 9, Component: 1},
		Code: hl7.CodeUnsupportedMessageType, Reason: "message type " + safeType(t) + " is not supported"}
}

func triggerError(t hl7.MSG) *Error {
	return &Error{Location: hl7.ERL{Segment: "MSH", Sequence: 1, Field: 9, Component: 2},
		Code: hl7.CodeUnsupportedEventCode, Reason: "trigger event " + safeType(t) + " is not supported"}
}

// safeType renders a message type for an error text: the codes when they
// look like HL7 codes (three letters or digits), else a placeholder, so an
// error text never echoes arbitrary sender content.
func safeType(t hl7.MSG) string {
	ok := func(s string) bool {
		if len(s) != 3 {
			return false
		}
		for i := 0; i < 3; i++ {
			if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
				return false
			}
		}
		return true
	}
	switch {
	case !ok(t.Code):
		return "(unreadable)"
	case t.Trigger == "":
		return t.Code
	case !ok(t.Trigger):
		return t.Code + "^(unreadable)"
	}
	return t.Code + "^" + t.Trigger
}

func itoa(i int) string { return strconv.Itoa(i) }
