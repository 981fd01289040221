package hl7map

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/lab"
)

// DecodeOrder maps an ORM^O01 or OML^O21 from a partner to an order and
// the customer it is for, when the message holds one order; see
// DecodeOrders for the rules. A message with several orders is an error at
// the second order's number.
func DecodeOrder(m *hl7.Message, opt Options) (lab.Order, lab.Customer, error) {
	orders, c, locs, err := decodeOrders(m, opt)
	if err != nil {
		return lab.Order{}, c, err
	}
	if len(orders) > 1 {
		return orders[0], c, &Error{Location: locs[1], Code: hl7.CodeApplicationInternal,
			Reason: "differs from the order number of " + Path(locs[0]) +
				"; send one order per message, or group the tests under one placer group number (ORC-4)"}
	}
	return orders[0], c, nil
}

// DecodeOrders maps an ORM^O01 or OML^O21 to the orders it holds, in
// message order, and the customer they are for (one patient per message).
// ORC/OBR groups with the same order number make one order:
//
//   - accession number: ORC-4.1 (placer group number, the requisition),
//     else ORC-2.1, else OBR-2.1;
//   - customer: from the PID (id per Options.AssigningAuthority);
//   - tests: OBR-4 of each group (the local code preferred over LOINC);
//   - specimens (OML): SPM-2 placer id (else filler id), SPM-4, SPM-17;
//   - priority: TQ1-9, else OBR-5/OBR-27.6, else ORC-7.6 (R, A, S);
//   - clinician: ORC-12, else OBR-16;
//   - ordered_at: ORC-9, else OBR-6, else MSH-7;
//   - status: cancelled for ORC-1 CA or DC, else from ORC-5;
//   - notes: the NTEs of the order, each text once;
//   - version: MSH-7 in microseconds, so a later message wins.
//
// Every order and the customer pass their lab Validate; a field that does
// not is reported at its HL7 location. The customer's contact details are
// the exception: a phone number or e-mail address lab would refuse is left
// out rather than refusing the order, since the customer master, not the
// order, is where they are kept (DecodeCustomer is strict about them).
func DecodeOrders(m *hl7.Message, opt Options) ([]lab.Order, lab.Customer, error) {
	orders, c, _, err := decodeOrders(m, opt)
	return orders, c, err
}

// orderState is one order being decoded.
type orderState struct {
	o      lab.Order
	locs   fieldLocs
	accLoc hl7.ERL
}

func decodeOrders(m *hl7.Message, opt Options) ([]lab.Order, lab.Customer, []hl7.ERL, error) {
	if err := expect(m, "ORM", "OML"); err != nil {
		return nil, lab.Customer{}, nil, err
	}
	loc := opt.location()
	msgTime, merr := messageTime(m, loc)
	if merr != nil {
		return nil, lab.Customer{}, nil, merr
	}
	var pat *hl7.Patient
	pats := m.Patients()
	for i := range pats {
		// Observations and specimens outside any ORC/OBR are grouped under
		// an empty order; they are about the patient, not an order.
		pats[i].Orders = slices.DeleteFunc(pats[i].Orders, func(g hl7.Order) bool {
			return g.ORC.IsZero() && g.OBR.IsZero()
		})
		if len(pats[i].Orders) == 0 {
			continue
		}
		if pat != nil {
			return nil, lab.Customer{}, nil, segAt(m, pats[i].PID.Segment).err(0, hl7.CodeSegmentSequence,
				"one patient per order message")
		}
		pat = &pats[i]
	}
	if pat == nil {
		return nil, lab.Customer{}, nil, &Error{Location: hl7.ERL{Segment: "ORC"}, Code: hl7.CodeSegmentSequence,
			Reason: "no order: expected ORC and OBR segments"}
	}
	if pat.PID.IsZero() {
		return nil, lab.Customer{}, nil, &Error{Location: hl7.ERL{Segment: "PID"}, Code: hl7.CodeSegmentSequence,
			Reason: "missing PID segment before the order"}
	}
	pidAt := segAt(m, pat.PID.Segment)
	c := readCustomer(pat.PID.Segment, opt)
	c.Version = version(msgTime)
	dropInvalidContact(&c)

	var states []*orderState
	for _, g := range pat.Orders {
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
			return nil, c, nil, obrAt.missing(2, "placer order number")
		case a == "":
			return nil, c, nil, orcAt.missing(2, "placer order number (or ORC-4 placer group number)")
		}
		var st *orderState
		for _, x := range states {
			if x.o.AccessionNumber == a {
				st = x
			}
		}
		if st == nil {
			st = &orderState{
				o:      lab.Order{AccessionNumber: a, CustomerID: c.ID, Version: version(msgTime)},
				locs:   fieldLocs{"customer_id": pidAt.loc(3), "accession_number": aLoc},
				accLoc: aLoc,
			}
			if !g.ORC.IsZero() {
				st.locs["ordering_clinician"] = orcAt.loc(12)
			} else {
				st.locs["ordering_clinician"] = obrAt.loc(16)
			}
			// The first group of an order says whether it is cancelled.
			switch ctl := strings.ToUpper(g.ORC.OrderControl()); {
			case ctl == "CA" || ctl == "DC":
				st.o.Status = lab.StatusCancelled
			default:
				if s, ok := lab.StatusFromORC5(g.ORC.OrderStatus()); ok {
					st.o.Status = s
				}
			}
			st.locs["status"] = orcAt.loc(5)
			states = append(states, st)
		}
		if err := st.addGroup(m, g, orcAt, obrAt, loc); err != nil {
			return nil, c, nil, err
		}
	}
	orders := make([]lab.Order, len(states))
	accLocs := make([]hl7.ERL, len(states))
	for i, st := range states {
		if st.o.OrderedAt.IsZero() {
			st.o.OrderedAt = msgTime
		}
		if err := st.o.Validate(); err != nil {
			return nil, c, nil, locate(err, st.locs, st.accLoc)
		}
		orders[i], accLocs[i] = st.o, st.accLoc
	}
	if err := c.Validate(); err != nil {
		return nil, c, nil, locate(err, customerLocs(pidAt), pidAt.loc(0))
	}
	return orders, c, accLocs, nil
}

// addGroup adds one ORC/OBR group's test, specimens and details to the
// order.
func (st *orderState) addGroup(m *hl7.Message, g hl7.Order, orcAt, obrAt at, loc *time.Location) *Error {
	o := &st.o
	// Test.
	if g.OBR.IsZero() {
		return orcAt.err(0, hl7.CodeSegmentSequence, "order without an OBR segment")
	}
	code, name := testCode(g.OBR.UniversalServiceID())
	if code == "" {
		return obrAt.missing(4, "universal service identifier (test code)")
	}
	st.locs[elem("tests", len(o.Tests))] = obrAt.loc(4)
	o.Tests = append(o.Tests, lab.OrderTest{Code: code, Name: name})
	// Clinician.
	if o.OrderingClinician.ID == "" && o.OrderingClinician.Name == "" {
		x, l := g.ORC.OrderingProvider(), orcAt.loc(12)
		if x.IsZero() {
			x, l = g.OBR.OrderingProvider(), obrAt.loc(16)
		}
		if !x.IsZero() {
			o.OrderingClinician = lab.Clinician{ID: x.ID, Name: personName(x)}
			st.locs["ordering_clinician"] = l
		}
	}
	// Ordered at.
	if o.OrderedAt.IsZero() {
		t, err := timeField(g.ORC.Segment, orcAt, 9, loc)
		if err != nil {
			return err
		}
		if t.IsZero() {
			if t, err = timeField(g.OBR.Segment, obrAt, 6, loc); err != nil {
				return err
			}
		}
		o.OrderedAt = t
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
				return &Error{Location: l, Code: hl7.CodeTableValueNotFound,
					Reason: "priority must be R (routine), A (ASAP) or S (stat)"}
			}
			o.Priority = pr
			st.locs["priority"] = l
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
		if _, ok := st.locs["notes"]; !ok {
			st.locs["notes"] = segAt(m, n.Segment).loc(3)
		}
	}
	// Specimens.
	for _, sp := range g.Specimens {
		spmAt := segAt(m, sp.SPM.Segment)
		eip := sp.SPM.SpecimenID()
		id := firstNonEmpty(eip.Placer.ID, eip.Filler.ID)
		if id == "" {
			return spmAt.missing(2, "specimen id")
		}
		if hasSpecimen(o.Specimens, id) {
			continue
		}
		t, err := timeField(sp.SPM.Segment, spmAt, 17, loc)
		if err != nil {
			return err
		}
		i := len(o.Specimens)
		st.locs[elem("specimens", i)+".id"] = spmAt.loc(2)
		st.locs[elem("specimens", i)+".type"] = spmAt.loc(4)
		o.Specimens = append(o.Specimens, lab.Specimen{ID: id, Type: specimenFromCode(sp.SPM.SpecimenType()), CollectedAt: t})
	}
	return nil
}

// dropInvalidContact clears a phone number or e-mail address that lab
// would refuse; see DecodeOrders.
func dropInvalidContact(c *lab.Customer) {
	var p lab.Problems
	if p.Email("email", c.Email); p.Err() != nil {
		c.Email = ""
	}
	p = lab.Problems{}
	if p.Phone("phone", c.Phone); p.Err() != nil {
		c.Phone = ""
	}
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
