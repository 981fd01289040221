package hl7map

import (
	"strings"
	"time"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/lab"
)

// DecodeStatus maps the order progress an LIS reports to status events,
// one per accession number, in message order. It reads ORM^O01 and OML^O21
// status updates (ORC-1 SC and the other status controls, see Classify),
// the order responses ORR^O02 and ORL^O22, and results messages (ORU^R01,
// OUL^R21-R24), whose OBR-25 tells how far an order has got.
//
// For each order group (ORC and its OBR):
//
//   - accession number per Options.Accession, as for results;
//   - status from ORC-5 (lab.StatusFromORC5) at ORC-9, else MSH-7; when
//     ORC-5 is empty, ORC-1 CR, OC, DR or OD (cancelled or discontinued
//     as requested) means cancelled; else OBR-25 (lab.StatusFromOBR25) at
//     OBR-22, else MSH-7. ORC-5 wins because it describes the order and
//     OBR-25 only its results;
//   - HD, ER and RP (ORC-5) and Y and Z (OBR-25) have no lab status and
//     are skipped; any other unknown code is an error;
//   - the note is ORC-16 (order control reason).
//
// An order sent as one ORC/OBR group per test gives several statuses for
// one accession number; they become one event: the common status when
// they agree, else resulted when some tests have results, else the least
// advanced status. Cancelled tests count only when every test is cancelled.
// The event's time is the latest of the groups'.
//
// Version is MSH-7 in microseconds and Source is Options.Source. A message
// with no ORC-5 or OBR-25 at all is an error; one whose codes all have no
// lab status gives no events and no error.
func DecodeStatus(m *hl7.Message, opt Options) ([]lab.StatusEvent, error) {
	if err := expect(m, "ORM", "OML", "ORR", "ORL", "ORU", "OUL"); err != nil {
		return nil, err
	}
	loc := opt.location()
	msgTime, merr := messageTime(m, loc)
	if merr != nil {
		return nil, merr
	}
	type pending struct {
		ev       lab.StatusEvent
		statuses []lab.Status
		accLoc   hl7.ERL
		noteLoc  hl7.ERL
	}
	var (
		list      []*pending
		seen      bool // some ORC-5 or OBR-25 was valued
		firstORC  at
		firstOBR  at
		hasGroups bool
	)
	for _, p := range m.Patients() {
		for _, g := range p.Orders {
			hasGroups = true
			orcAt, obrAt := segAt(m, g.ORC.Segment), segAt(m, g.OBR.Segment)
			if firstORC.name == "" && !g.ORC.IsZero() {
				firstORC = orcAt
			}
			if firstOBR.name == "" && !g.OBR.IsZero() {
				firstOBR = obrAt
			}
			var (
				status lab.Status
				when   time.Time
				err    *Error
			)
			orc5, ctl, obr25 := g.ORC.OrderStatus(), strings.ToUpper(g.ORC.OrderControl()), g.OBR.ResultStatus()
			switch {
			case orc5 != "":
				seen = true
				s, ok := lab.StatusFromORC5(orc5)
				if !ok {
					switch strings.ToUpper(orc5) {
					case "HD", "ER", "RP":
						continue
					}
					return nil, orcAt.err(5, hl7.CodeTableValueNotFound, "order status must be one of A, CA, CM, DC, ER, HD, IP, RP, SC")
				}
				status = s
				when, err = timeField(g.ORC.Segment, orcAt, 9, loc)
			case ctl == "CR" || ctl == "OC" || ctl == "DR" || ctl == "OD":
				seen = true
				status = lab.StatusCancelled
				when, err = timeField(g.ORC.Segment, orcAt, 9, loc)
			case obr25 != "":
				seen = true
				s, ok := lab.StatusFromOBR25(obr25)
				if !ok {
					switch strings.ToUpper(obr25) {
					case "Y", "Z":
						continue
					}
					return nil, obrAt.err(25, hl7.CodeTableValueNotFound, "result status must be one of O, I, S, A, P, C, R, F, X, Y, Z")
				}
				status = s
				when, err = timeField(g.OBR.Segment, obrAt, 22, loc)
			default:
				continue
			}
			if err != nil {
				return nil, err
			}
			if when.IsZero() {
				when = msgTime
			}
			acc, accLoc := accession(g.ORC.Segment, g.OBR.Segment, orcAt, obrAt, opt.Accession)
			if acc == "" {
				return nil, &Error{Location: accLoc, Code: hl7.CodeRequiredFieldMissing, Reason: "missing order number (accession number)"}
			}
			var pe *pending
			for _, x := range list {
				if x.ev.AccessionNumber == acc {
					pe = x
					break
				}
			}
			if pe == nil {
				pe = &pending{ev: lab.StatusEvent{AccessionNumber: acc, Source: opt.source(), Version: version(msgTime)}, accLoc: accLoc}
				list = append(list, pe)
			}
			pe.statuses = append(pe.statuses, status)
			if when.After(pe.ev.At) {
				pe.ev.At = when
			}
			if pe.ev.Note == "" {
				r := g.ORC.OrderControlReason()
				if pe.ev.Note = firstNonEmpty(r.Text, r.Code); pe.ev.Note != "" {
					pe.noteLoc = orcAt.loc(16)
				}
			}
		}
	}
	if !seen {
		switch {
		case firstORC.name != "":
			return nil, firstORC.missing(5, "order status (ORC-5) or result status (OBR-25)")
		case firstOBR.name != "":
			return nil, firstOBR.missing(25, "result status (OBR-25) or order status (ORC-5)")
		case !hasGroups:
			return nil, &Error{Location: hl7.ERL{Segment: "ORC"}, Code: hl7.CodeSegmentSequence, Reason: "no order: expected ORC or OBR segments"}
		}
	}
	out := make([]lab.StatusEvent, 0, len(list))
	for _, pe := range list {
		pe.ev.Status = combine(pe.statuses)
		if err := pe.ev.Validate(); err != nil {
			return nil, locate(err, fieldLocs{
				"accession_number": pe.accLoc, "note": pe.noteLoc, "source": mshAt.loc(3),
			}, pe.accLoc)
		}
		out = append(out, pe.ev)
	}
	return out, nil
}

// combine turns the statuses of an order's tests into the order's.
func combine(ss []lab.Status) lab.Status {
	live := ss[:0:0]
	for _, s := range ss {
		if s != lab.StatusCancelled {
			live = append(live, s)
		}
	}
	if len(live) == 0 {
		return lab.StatusCancelled
	}
	least, same, results := live[0], true, false
	for _, s := range live {
		if s != live[0] {
			same = false
		}
		if s.Rank() < least.Rank() {
			least = s
		}
		if s == lab.StatusResulted || s == lab.StatusVerified || s == lab.StatusReleased {
			results = true
		}
	}
	switch {
	case same:
		return live[0]
	case results:
		return lab.StatusResulted
	}
	return least
}
