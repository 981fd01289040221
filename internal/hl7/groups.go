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
	// Every slice of the result is carved from one of these, sized by a
	// count of the segments, so grouping a result costs a handful of
	// allocations instead of one per growing slice.
	var (
		orders arena[Order]
		obs    arena[Observation]
		notes  arena[NTE]
		specs  arena[Specimen]
		timing arena[TQ1]
	)
	{
		var nPID, nOrd, nOBX, nNTE, nSPM, nTQ1 int
		for i := range m.segs {
			switch raw := m.segs[i].raw; {
			case hasName(raw, "OBX"):
				nOBX++
			case hasName(raw, "NTE"):
				nNTE++
			case hasName(raw, "OBR"), hasName(raw, "ORC"):
				nOrd++
			case hasName(raw, "PID"):
				nPID++
			case hasName(raw, "SPM"):
				nSPM++
			case hasName(raw, "TQ1"):
				nTQ1++
			}
		}
		pats = make([]Patient, 0, max(nPID, 1))
		orders.grow(nOrd + 1) // +1: observations without any OBR get an empty order
		obs.grow(nOBX)
		notes.grow(nNTE)
		specs.grow(nSPM)
		timing.grow(nTQ1)
	}
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
		p.Orders = orders.add(p.Orders, Order{})
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
			p.Orders = orders.add(p.Orders, Order{ORC: ORC{seg}})
		case "OBR":
			at = atOrder
			if o := lastOrder(); !oul && o != nil && o.OBR.IsZero() && !o.ORC.IsZero() &&
				len(o.Observations) == 0 && len(o.Specimens) == 0 {
				o.OBR = OBR{seg}
				continue
			}
			o := Order{OBR: OBR{seg}}
			if oul && hasSpec {
				o.Specimens = specs.add(nil, spec)
			}
			p := patient()
			p.Orders = orders.add(p.Orders, o)
		case "TQ1":
			if o := lastOrder(); o != nil {
				o.Timing = timing.add(o.Timing, TQ1{seg})
			}
		case "SPM":
			at = atSpecimen
			if oul {
				spec, hasSpec = Specimen{SPM: SPM{seg}}, true
				continue
			}
			o := order()
			o.Specimens = specs.add(o.Specimens, Specimen{SPM: SPM{seg}})
		case "OBX":
			ob := Observation{OBX: OBX{seg}}
			switch {
			case (at == atSpecimen || at == atSpecimenObs) && oul:
				spec.Observations = obs.add(spec.Observations, ob)
				at = atSpecimenObs
			case at == atSpecimen || at == atSpecimenObs:
				o := order()
				sp := &o.Specimens[len(o.Specimens)-1]
				sp.Observations = obs.add(sp.Observations, ob)
				at = atSpecimenObs
			default:
				o := order()
				o.Observations = obs.add(o.Observations, ob)
				at = atOrderObs
			}
		case "NTE":
			n := NTE{seg}
			switch at {
			case atPatient:
				p := patient()
				p.Notes = notes.add(p.Notes, n)
			case atOrder, atSpecimen:
				if o := lastOrder(); o != nil {
					o.Notes = notes.add(o.Notes, n)
				}
			case atOrderObs:
				o := order()
				ob := &o.Observations[len(o.Observations)-1]
				ob.Notes = notes.add(ob.Notes, n)
			case atSpecimenObs:
				var sp *Specimen
				if oul {
					sp = &spec
				} else {
					o := order()
					sp = &o.Specimens[len(o.Specimens)-1]
				}
				ob := &sp.Observations[len(sp.Observations)-1]
				ob.Notes = notes.add(ob.Notes, n)
			}
		}
	}
	return pats
}

// arena hands out slices that share one backing array. A slice can grow in
// place only while it is the last one carved (groups are filled in message
// order, so that is the usual case); otherwise add copies it out. Carved
// slices have no spare capacity, so an append by the caller can never
// overwrite a neighbour.
type arena[T any] struct{ buf []T }

func (a *arena[T]) grow(n int) { a.buf = make([]T, 0, n) }

func (a *arena[T]) add(list []T, v T) []T {
	n := len(a.buf)
	if n < cap(a.buf) {
		start := n - len(list)
		if len(list) == 0 || start >= 0 && &a.buf[start] == &list[0] {
			a.buf = append(a.buf, v)
			return a.buf[start : n+1 : n+1]
		}
	}
	return append(list[:len(list):len(list)], v)
}
