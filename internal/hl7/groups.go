package hl7

// Patients groups the segments of a lab message the way ORU^R01, OML^O21,
// ORM^O01 and OUL^R2x nest them, so that mapping code can walk
// patient → order → observation without tracking segment order itself:
//
//	PID [PV1] [NTE...]                 Patient
//	  [ORC] OBR [TQ1...] [NTE...]      Order (ORC and OBR of one order share it)
//	    OBX [NTE...]                   Observation
//	    SPM [OBX [NTE...]...]          Specimen, with its own observations
//
// OUL messages put the specimen first (SPM, OBX..., then OBR, ORC): there
// an SPM applies to the orders that follow it, and an ORC directly after an
// OBR joins that OBR's order.
//
// Segments before the first PID that belong to an order (ORC, OBR, OBX,
// SPM) are grouped under a Patient with a zero PID. NTEs that precede
// every PID, ORC and OBR, and segments not listed above (DG1, NK1, CTI,
// SAC, ...) are not part of any group; read them with All.
type Patient struct {
	PID    PID
	PV1    PV1
	Notes  []NTE
	Orders []Order
}

// Order is one ordered test or panel with its results.
type Order struct {
	ORC          ORC
	OBR          OBR
	Timing       []TQ1
	Notes        []NTE
	Observations []Observation
	Specimens    []Specimen
}

// Observation is one result with its notes.
type Observation struct {
	OBX   OBX
	Notes []NTE
}

// Specimen is one specimen and the observations about it (for example
// specimen condition or collection volume).
type Specimen struct {
	SPM          SPM
	Observations []Observation
}

// what an NTE that comes next attaches to
type anchor uint8

const (
	atNone anchor = iota
	atPatient
	atOrder
	atOrderObs
	atSpecimen
	atSpecimenObs
)

// Patients returns the segments grouped as described on Patient.
func (m *Message) Patients() []Patient {
	var (
		pats    []Patient
		at      anchor
		oul     = m.Type().Code == "OUL"
		spec    Specimen // OUL: the specimen that the following orders belong to
		hasSpec bool
	)
	patient := func() *Patient {
		if len(pats) == 0 {
			pats = append(pats, Patient{})
		}
		return &pats[len(pats)-1]
	}
	lastOrder := func() *Order {
		p := patient()
		if len(p.Orders) == 0 {
			return nil
		}
		return &p.Orders[len(p.Orders)-1]
	}
	order := func() *Order {
		if o := lastOrder(); o != nil {
			return o
		}
		p := patient()
		p.Orders = append(p.Orders, Order{})
		return &p.Orders[0]
	}
	for seg := range m.Segments() {
		switch seg.Name() {
		case "PID":
			pats = append(pats, Patient{PID: PID{seg}})
			at, hasSpec = atPatient, false
		case "PV1":
			if p := patient(); p.PV1.IsZero() {
				p.PV1 = PV1{seg}
			}
			at = atPatient
		case "ORC":
			at = atOrder
			if o := lastOrder(); oul && o != nil && o.ORC.IsZero() && !o.OBR.IsZero() && len(o.Observations) == 0 {
				o.ORC = ORC{seg}
				continue
			}
			p := patient()
			p.Orders = append(p.Orders, Order{ORC: ORC{seg}})
		case "OBR":
			at = atOrder
			if o := lastOrder(); !oul && o != nil && o.OBR.IsZero() && !o.ORC.IsZero() &&
				len(o.Observations) == 0 && len(o.Specimens) == 0 {
				o.OBR = OBR{seg}
				continue
			}
			o := Order{OBR: OBR{seg}}
			if oul && hasSpec {
				o.Specimens = []Specimen{spec}
			}
			p := patient()
			p.Orders = append(p.Orders, o)
		case "TQ1":
			if o := lastOrder(); o != nil {
				o.Timing = append(o.Timing, TQ1{seg})
			}
		case "SPM":
			at = atSpecimen
			if oul {
				spec, hasSpec = Specimen{SPM: SPM{seg}}, true
				continue
			}
			o := order()
			o.Specimens = append(o.Specimens, Specimen{SPM: SPM{seg}})
		case "OBX":
			obs := Observation{OBX: OBX{seg}}
			switch {
			case (at == atSpecimen || at == atSpecimenObs) && oul:
				spec.Observations = append(spec.Observations, obs)
				at = atSpecimenObs
			case at == atSpecimen || at == atSpecimenObs:
				o := order()
				sp := &o.Specimens[len(o.Specimens)-1]
				sp.Observations = append(sp.Observations, obs)
				at = atSpecimenObs
			default:
				o := order()
				o.Observations = append(o.Observations, obs)
				at = atOrderObs
			}
		case "NTE":
			n := NTE{seg}
			switch at {
			case atPatient:
				p := patient()
				p.Notes = append(p.Notes, n)
			case atOrder, atSpecimen:
				if o := lastOrder(); o != nil {
					o.Notes = append(o.Notes, n)
				}
			case atOrderObs:
				o := order()
				ob := &o.Observations[len(o.Observations)-1]
				ob.Notes = append(ob.Notes, n)
			case atSpecimenObs:
				var sp *Specimen
				if oul {
					sp = &spec
				} else {
					o := order()
					sp = &o.Specimens[len(o.Specimens)-1]
				}
				ob := &sp.Observations[len(sp.Observations)-1]
				ob.Notes = append(ob.Notes, n)
			}
		}
	}
	return pats
}
