package hl7map

import (
	"strconv"
	"strings"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/lab"
)

// EncodeORM encodes an order as ORM^O01 for an LIS: MSH; PID from the
// customer; PV1 (outpatient); then for every test an ORC, a TQ1 with the
// priority (v2.5 and later) and an OBR. The first OBR carries the order's
// notes in an NTE.
//
//	ORC-1  NW (CA when the order is cancelled)
//	ORC-2  placer order number: accession^<sending application>
//	ORC-4  placer group number: the same, so the LIS sees one requisition
//	ORC-5  order status (lab.Status.ORC5)
//	ORC-7  quantity/timing, priority in component 6 (before v2.7)
//	ORC-9  ordered_at
//	ORC-12 and OBR-16  ordering clinician: id^full name
//	TQ1-9  priority: S, A or R (v2.5 and later)
//	OBR-2  placer order number again
//	OBR-4  LOINC^name^LN^code^name^L when the catalog has LOINC, else code^name^L
//	OBR-7  collection time of the test's specimen
//	OBR-15 specimen type (table 0487 code; before v2.7)
//	OBR-27 quantity/timing, priority in component 6 (before v2.7)
//
// ORM carries no specimen identity; use EncodeOML for an LIS that needs
// specimen ids. tests is the catalog, for LOINC codes, names and each
// test's specimen type; it may be nil. The control id is returned beside
// the message for matching the ACK.
func EncodeORM(o lab.Order, c lab.Customer, tests map[string]lab.Test, opt Options) ([]byte, string, error) {
	return encodeOrder(o, c, tests, opt, false)
}

// EncodeOML encodes an order as OML^O21 (v2.5.1 or later): MSH; PID; PV1;
// then for every test ORC, TQ1 with the priority in TQ1-9, OBR (as in
// EncodeORM, without OBR-15 and OBR-27), the notes in an NTE under the
// first OBR, and an SPM for each specimen the test is done on: those whose
// type matches the catalog's specimen type for the test, or every specimen
// when none matches. A specimen that no test claims is listed under the
// first OBR, so every specimen of the order reaches the LIS.
//
//	SPM-2  specimen id: id&<sending application> (placer assigned)
//	SPM-4  specimen type (table 0487 code)
//	SPM-17 collection time
func EncodeOML(o lab.Order, c lab.Customer, tests map[string]lab.Test, opt Options) ([]byte, string, error) {
	return encodeOrder(o, c, tests, opt, true)
}

func encodeOrder(o lab.Order, c lab.Customer, tests map[string]lab.Test, opt Options, oml bool) ([]byte, string, error) {
	if err := checkOrder(o, c); err != nil {
		return nil, "", err
	}
	v := opt.version()
	code, trigger, structName := "ORM", "O01", "ORM_O01"
	if oml {
		code, trigger, structName = "OML", "O21", "OML_O21"
		if !versionAtLeast(v, 2, 5) {
			v = "2.5.1"
		}
	}
	h := opt.header(v, code+"|"+o.AccessionNumber+"|"+strconv.FormatInt(o.Version, 10))
	m := hl7.NewMessage(code, trigger, structure(v, structName), h)
	loc := opt.location()
	if c.ID == "" {
		c.ID = o.CustomerID
	}
	writePID(m, c, opt)
	m.AddSegment("PV1").Set(1, "1").Set(2, "O")

	ns := opt.placerNamespace()
	placer := hl7.EI{ID: o.AccessionNumber, NamespaceID: ns}
	clinician := hl7.XCN{ID: o.OrderingClinician.ID, Family: o.OrderingClinician.Name}
	control := "NW"
	if o.Status == lab.StatusCancelled {
		control = "CA"
	}
	prio := o.Priority.HL7()
	specs := specimenPlan(o, tests)
	// TQ1 exists from v2.5 on; ORC-7, OBR-15 and OBR-27, which it and SPM
	// replace, were withdrawn in v2.7. Between the two, ORM carries both.
	tq1 := prio != "" && versionAtLeast(v, 2, 5)
	legacy := !oml && !versionAtLeast(v, 2, 7)
	for i, t := range o.Tests {
		orc := m.AddSegment("ORC").Set(1, control).SetValue(2, placer).SetValue(4, placer).
			Set(5, o.Status.ORC5())
		if legacy && prio != "" {
			orc.SetRaw(7, component(m, 6, prio))
		}
		orc.Set(9, formatTime(o.OrderedAt, loc)).SetValue(12, clinician)
		if tq1 {
			m.AddSegment("TQ1").Set(1, "1").SetValue(9, priorityCWE(o.Priority))
		}
		obr := m.AddSegment("OBR").Set(1, strconv.Itoa(i+1)).SetValue(2, placer).
			SetValue(4, serviceID(t.Code, t.Name, tests))
		if len(specs[i]) > 0 {
			first := o.Specimens[specs[i][0]]
			obr.Set(7, formatTime(first.CollectedAt, loc))
			if legacy {
				obr.Set(15, specimenCodes[first.Type].Code)
			}
		}
		obr.SetValue(16, clinician)
		if legacy && prio != "" {
			obr.SetRaw(27, component(m, 6, prio))
		}
		if i == 0 && o.Notes != "" {
			m.AddSegment("NTE").Set(1, "1").Set(2, "P").Set(3, o.Notes)
		}
		if !oml {
			continue
		}
		for k, j := range specs[i] {
			s := o.Specimens[j]
			m.AddSegment("SPM").Set(1, strconv.Itoa(k+1)).
				SetValue(2, hl7.EIP{Placer: hl7.EI{ID: s.ID, NamespaceID: ns}}).
				SetValue(4, specimenCodes[s.Type]).
				Set(17, formatTime(s.CollectedAt, loc))
		}
	}
	if err := m.Err(); err != nil {
		return nil, "", err
	}
	return m.Encode(), m.ControlID(), nil
}

// specimenPlan lists, for each test of o, the indexes of the specimens it
// is done on (see specimensFor); a specimen that ends up in no list is
// added to the first test's, so every specimen reaches the LIS.
func specimenPlan(o lab.Order, tests map[string]lab.Test) [][]int {
	plan := make([][]int, len(o.Tests))
	listed := make([]bool, len(o.Specimens))
	for i, t := range o.Tests {
		plan[i] = specimensFor(t.Code, o.Specimens, tests)
		for _, j := range plan[i] {
			listed[j] = true
		}
	}
	for j, ok := range listed {
		if !ok && len(plan) > 0 {
			plan[0] = append(plan[0], j)
		}
	}
	return plan
}

// specimensFor returns the indexes of the specimens a test is done on:
// those of the catalog's specimen type for the test, or all of them when
// none matches or the catalog does not know the test.
func specimensFor(code string, specs []lab.Specimen, tests map[string]lab.Test) []int {
	var out []int
	if t, ok := tests[code]; ok {
		for i, s := range specs {
			if s.Type == t.SpecimenType {
				out = append(out, i)
			}
		}
	}
	if len(out) == 0 {
		for i := range specs {
			out = append(out, i)
		}
	}
	return out
}

// component encodes a field whose only value is component n.
func component(m *hl7.Message, n int, v string) string {
	d := m.Delimiters()
	return strings.Repeat(string(d.Component), n-1) + hl7.Escape(v, d)
}

func priorityCWE(p lab.Priority) hl7.CWE {
	code := p.HL7()
	text := map[string]string{"R": "Routine", "A": "ASAP", "S": "Stat"}[code]
	return hl7.CWE{Code: code, Text: text, System: "HL70485"}
}

// checkOrder refuses records the LIS could not use: without an accession
// number, a customer or a test. Everything else is lab validation's job,
// done before an order is sent.
func checkOrder(o lab.Order, c lab.Customer) error {
	switch {
	case o.AccessionNumber == "":
		return cannotEncode("accession_number", "is required")
	case o.CustomerID == "" && c.ID == "":
		return cannotEncode("customer_id", "is required")
	case o.CustomerID != "" && c.ID != "" && o.CustomerID != c.ID:
		return cannotEncode("customer_id", "does not match the customer's id")
	case len(o.Tests) == 0:
		return cannotEncode("tests", "must list at least one test")
	}
	for i, t := range o.Tests {
		if t.Code == "" {
			return cannotEncode("tests["+strconv.Itoa(i)+"].code", "is required")
		}
	}
	return nil
}
