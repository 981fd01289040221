package hl7map

import (
	"errors"
	"strings"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/lab"
)

// DecodeOrder maps an ORM^O01 or OML^O21 from a partner to an order and
// the customer it is for. One message is one order:
//
//   - accession number: ORC-4.1 (placer group number, the requisition),
//     else ORC-2.1, else OBR-2.1; every ORC/OBR group must agree;
//   - customer: from the PID (id per Options.AssigningAuthority);
//   - tests: OBR-4 of each group (the local code preferred over LOINC);
//   - specimens (OML): SPM-2 placer id (else filler id), SPM-4, SPM-17;
//   - priority: TQ1-9, else OBR-5/OBR-27.6, else ORC-7.6 (R, A, S);
//   - clinician: ORC-12, else OBR-16;
//   - ordered_at: ORC-9, else OBR-6, else MSH-7;
//   - status: cancelled for ORC-1 CA or DC, else from ORC-5;
//   - notes: the NTEs of the orders, each text once;
//   - version: MSH-7 in microseconds, so a later message wins.
//
// The order and customer pass their lab Validate; a field that does not is
// reported at its HL7 location.
func DecodeOrder(m *hl7.Message, opt Options) (lab.Order, lab.Customer, error) {
	if err := expect(m, "ORM", "OML"); err != nil {
		return lab.Order{}, lab.Customer{}, err
	}
	loc := opt.location()
	msgTime, merr := messageTime(m, loc)
	if merr != nil {
		return lab.Order{}, lab.Customer{}, merr
	}
	var pat *hl7.Patient
	pats := m.Patients()
	for i := range pats {
		if len(pats[i].Orders) == 0 {
			continue
		}
		if pat != nil {
			return lab.Order{}, lab.Customer{}, segAt(m, pats[i].PID.Segment).err(0, hl7.CodeSegmentSequence,
				"one patient per order message")
		}
		pat = &pats[i]
	}
	if pat == nil {
		return lab.Order{}, lab.Customer{}, &Error{Location: hl7.ERL{Segment: "ORC"}, Code: hl7.CodeSegmentSequence,
			Reason: "no order: expected ORC and OBR segments"}
	}
	if pat.PID.IsZero() {
		return lab.Order{}, lab.Customer{}, &Error{Location: hl7.ERL{Segment: "PID"}, Code: hl7.CodeSegmentSequence,
			Reason: "missing PID segment before the order"}
	}
	pidAt := segAt(m, pat.PID.Segment)
	c := readCustomer(pat.PID.Segment, opt)
	c.Version = version(msgTime)

	var (
		o    = lab.Order{CustomerID: c.ID, Version: version(msgTime)}
		locs = fieldLocs{"customer_id": pidAt.loc(3)}
		acc  hl7.ERL
	)
	if g := pat.Orders[0]; !g.ORC.IsZero() {
		locs["ordering_clinician"] = segAt(m, g.ORC.Segment).loc(12)
	} else {
		locs["ordering_clinician"] = segAt(m, g.OBR.Segment).loc(16)
	}
	for k, g := range pat.Orders {
		orcAt, obrAt := segAt(m, g.ORC.Segment), segAt(m, g.OBR.Segment)
		// Accession number.
		a, aLoc := g.ORC.PlacerGroupNumber().ID, orcAt.loc(4)
		if a == "" {
			a, aLoc = g.ORC.PlacerOrderNumber().ID, orcAt.loc(2)
		}
		if a == "" {
			a, aLoc = g.OBR.PlacerOrderNumber().ID, obrAt.loc(2)
		}
		switch {
		case a == "" && g.ORC.IsZero():
			return o, c, obrAt.missing(2, "placer order number")
		case a == "":
			return o, c, orcAt.missing(2, "placer order number (or ORC-4 placer group number)")
		case k == 0:
			o.AccessionNumber, acc = a, aLoc
		case a != o.AccessionNumber:
			return o, c, &Error{Location: aLoc, Code: hl7.CodeApplicationInternal,
				Reason: "differs from the order number of " + Path(acc) + "; send one order per message or a placer group number in ORC-4"}
		}
		// Test.
		if g.OBR.IsZero() {
			return o, c, orcAt.err(0, hl7.CodeSegmentSequence, "order without an OBR segment")
		}
		code, name := testCode(g.OBR.UniversalServiceID())
		if code == "" {
			return o, c, obrAt.missing(4, "universal service identifier (test code)")
		}
		locs[elem("tests", len(o.Tests))] = obrAt.loc(4)
		o.Tests = append(o.Tests, lab.OrderTest{Code: code, Name: name})
		// Clinician.
		if o.OrderingClinician.ID == "" && o.OrderingClinician.Name == "" {
			x, l := g.ORC.OrderingProvider(), orcAt.loc(12)
			if x.IsZero() {
				x, l = g.OBR.OrderingProvider(), obrAt.loc(16)
			}
			if !x.IsZero() {
				o.OrderingClinician = lab.Clinician{ID: x.ID, Name: personName(x)}
				locs["ordering_clinician"] = l
			}
		}
		// Ordered at.
		if o.OrderedAt.IsZero() {
			t, err := timeField(g.ORC.Segment, orcAt, 9, loc)
			if err != nil {
				return o, c, err
			}
			if t.IsZero() {
				if t, err = timeField(g.OBR.Segment, obrAt, 6, loc); err != nil {
					return o, c, err
				}
			}
			o.OrderedAt = t
		}
		// Status.
		if k == 0 {
			switch ctl := strings.ToUpper(g.ORC.OrderControl()); {
			case ctl == "CA" || ctl == "DC":
				o.Status = lab.StatusCancelled
			default:
				if s, ok := lab.StatusFromORC5(g.ORC.OrderStatus()); ok {
					o.Status = s
				}
			}
			locs["status"] = orcAt.loc(5)
		}
		// Priority.
		if o.Priority == "" {
			p, l := "", hl7.ERL{}
			for _, tq := range g.Timing {
				if p = tq.Priority(); p != "" {
					l = segAt(m, tq.Segment).loc(9)
					break
				}
			}
			if p == "" {
				if p = g.OBR.Field(5).String(); p != "" {
					l = obrAt.loc(5)
				} else if p = g.OBR.Field(27).Component(6).String(); p != "" {
					l = hl7.ERL{Segment: "OBR", Sequence: obrAt.seq, Field: 27, Component: 6}
				} else if p = g.ORC.Field(7).Component(6).String(); p != "" {
					l = hl7.ERL{Segment: "ORC", Sequence: orcAt.seq, Field: 7, Component: 6}
				}
			}
			if p != "" {
				pr, ok := lab.PriorityFromHL7(p)
				if !ok {
					return o, c, &Error{Location: l, Code: hl7.CodeTableValueNotFound,
						Reason: "priority must be R (routine), A (ASAP) or S (stat)"}
				}
				o.Priority = pr
				locs["priority"] = l
			}
		}
		// Notes.
		for _, n := range g.Notes {
			text := n.Comment()
			if blank(text) || strings.Contains(o.Notes, text) {
				continue
			}
			if o.Notes != "" {
				o.Notes += "\n"
			}
			o.Notes += text
			if _, ok := locs["notes"]; !ok {
				locs["notes"] = segAt(m, n.Segment).loc(3)
			}
		}
		// Specimens.
		for _, sp := range g.Specimens {
			spmAt := segAt(m, sp.SPM.Segment)
			eip := sp.SPM.SpecimenID()
			id := firstNonEmpty(eip.Placer.ID, eip.Filler.ID)
			if id == "" {
				return o, c, spmAt.missing(2, "specimen id")
			}
			if hasSpecimen(o.Specimens, id) {
				continue
			}
			t, err := timeField(sp.SPM.Segment, spmAt, 17, loc)
			if err != nil {
				return o, c, err
			}
			i := len(o.Specimens)
			locs[elem("specimens", i)+".id"] = spmAt.loc(2)
			locs[elem("specimens", i)+".type"] = spmAt.loc(4)
			o.Specimens = append(o.Specimens, lab.Specimen{ID: id, Type: specimenFromCode(sp.SPM.SpecimenType()), CollectedAt: t})
		}
	}
	if o.OrderedAt.IsZero() {
		o.OrderedAt = msgTime
	}
	locs["accession_number"] = acc
	if err := o.Validate(); err != nil {
		return o, c, locate(err, locs, hl7.ERL{Segment: "ORC", Sequence: 1})
	}
	if err := c.Validate(); err != nil {
		return o, c, locate(err, customerLocs(pidAt), pidAt.loc(0))
	}
	return o, c, nil
}

func hasSpecimen(specs []lab.Specimen, id string) bool {
	for _, s := range specs {
		if s.ID == id {
			return true
		}
	}
	return false
}

// DecodeCustomer maps the PID of an ADT message (A01, A04, A05, A08, A28,
// A31) to a customer: the id per Options.AssigningAuthority, names, birth
// date, sex, the first phone number and e-mail address of PID-13/PID-14,
// and MSH-7 in microseconds as the version. The customer passes
// lab.Customer.Validate; a field that does not is reported at its PID
// location.
func DecodeCustomer(m *hl7.Message, opt Options) (lab.Customer, error) {
	if err := expect(m, "ADT"); err != nil {
		return lab.Customer{}, err
	}
	msgTime, merr := messageTime(m, opt.location())
	if merr != nil {
		return lab.Customer{}, merr
	}
	pid := m.PID()
	if pid.IsZero() {
		return lab.Customer{}, &Error{Location: hl7.ERL{Segment: "PID"}, Code: hl7.CodeSegmentSequence, Reason: "missing PID segment"}
	}
	pidAt := at{"PID", 1}
	c := readCustomer(pid.Segment, opt)
	c.Version = version(msgTime)
	c.UpdatedAt = msgTime
	if err := c.Validate(); err != nil {
		return c, locate(err, customerLocs(pidAt), pidAt.loc(0))
	}
	return c, nil
}

func customerLocs(pid at) fieldLocs {
	return fieldLocs{
		"id": pid.loc(3), "family_name": pid.loc(5), "given_name": pid.loc(5), "birth_date": pid.loc(7),
		"sex": pid.loc(8), "email": pid.loc(13), "phone": pid.loc(13), "delivery": pid.loc(13),
	}
}

// fieldLocs maps lab JSON field paths to where the mapped value came from.
type fieldLocs map[string]hl7.ERL

// locate turns the first field of a lab validation error into an *Error at
// the field's HL7 location: the path itself, else its closest parent
// ("tests[1].code" falls back to "tests[1]", then "tests"), else def.
func locate(err error, locs fieldLocs, def hl7.ERL) error {
	var ve *lab.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) == 0 {
		return &Error{Location: def, Code: hl7.CodeApplicationInternal, Reason: "invalid record"}
	}
	f := ve.Fields[0]
	l, ok := def, false
	for p := f.Field; p != "" && !ok; p = parent(p) {
		l, ok = locs[p]
	}
	if !ok {
		l = def
	}
	code := hl7.CodeDataType
	switch {
	case strings.HasPrefix(f.Reason, "is required"), strings.HasPrefix(f.Reason, "must list at least"),
		strings.HasPrefix(f.Reason, "needs "):
		code = hl7.CodeRequiredFieldMissing
	case strings.HasPrefix(f.Reason, "must be at most"):
		code = hl7.CodeValueTooLong
	case strings.HasPrefix(f.Reason, "duplicates"):
		code = hl7.CodeDuplicateKeyIdentifier
	case strings.HasPrefix(f.Reason, "must be one of"):
		code = hl7.CodeTableValueNotFound
	}
	return &Error{Location: l, Code: code, Reason: f.Field + " " + f.Reason, Err: lab.ErrInvalid}
}

// parent drops the last element of a JSON path: "a[1].b" → "a[1]" → "a".
func parent(p string) string {
	if i := strings.LastIndexAny(p, ".["); i > 0 {
		return p[:i]
	}
	return ""
}

func elem(field string, i int) string {
	return field + "[" + itoa(i) + "]"
}

// segAt returns the name and occurrence of a segment within its message.
func segAt(m *hl7.Message, s hl7.Segment) at {
	if s.IsZero() {
		return at{}
	}
	name, n := s.Name(), 0
	for i := 1; i <= s.Index(); i++ {
		if m.Segment(i).Name() == name {
			n++
		}
	}
	return at{name, n}
}

func (a at) loc(field int) hl7.ERL { return hl7.ERL{Segment: a.name, Sequence: a.seq, Field: field} }

// expect returns an *Error unless m's message code is one of codes and
// Classify knows its trigger.
func expect(m *hl7.Message, codes ...string) *Error {
	t := m.Type()
	for _, c := range codes {
		if strings.EqualFold(t.Code, c) {
			if supportedTrigger(t.Code, t.Trigger) {
				return nil
			}
			return triggerError(t)
		}
	}
	return &Error{Location: hl7.ERL{Segment: "MSH", Sequence: 1, Field: 9, Component: 1}, Code: hl7.CodeUnsupportedMessageType,
		Reason: "message type " + safeType(t) + " is not " + strings.Join(codes, " or ")}
}
