package hl7map

import (
	"strconv"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/lab"
)

// EncodeORU encodes results of one order as ORU^R01, for partners who take
// results over MLLP: MSH; PID; then per test (in the order's test order,
// then any other tests the results hold) ORC (RE, placer = accession,
// ORC-5 what the results show: CM when none is preliminary, CA when all
// are cancelled, A otherwise), OBR (as EncodeORM writes it, plus OBR-22 the latest
// verification time and OBR-25 the tests' overall status: C when any
// result is corrected, F when all are final, X when all are cancelled, P
// otherwise) and its results:
//
//	OBX-2  NM, SN for "<x" and ">x", CWE for coded, ST (TX when multi-line) for text
//	OBX-3  as OBR-4: LOINC^name^LN^code^name^L or code^name^L
//	OBX-5  value; OBX-6 unit^^UCUM; OBX-7 range; OBX-8 flag
//	OBX-11 status (lab.ResultStatus.OBX11); OBX-14 observed_at
//	OBX-16 verified_by; OBX-19 verified_at; OBX-23 performing lab
//	NTE    one per comment
//
// DecodeResults reads the message back to the same results, apart from the
// version and updated_at (MSH-7) and the tier, which HL7 does not carry.
func EncodeORU(o lab.Order, c lab.Customer, rs []lab.Result, tests map[string]lab.Test, opt Options) ([]byte, string, error) {
	if o.AccessionNumber == "" {
		return nil, "", cannotEncode("accession_number", "is required")
	}
	if len(rs) == 0 {
		return nil, "", cannotEncode("results", "must hold at least one result")
	}
	var maxVersion int64
	for i, r := range rs {
		switch {
		case r.AccessionNumber != o.AccessionNumber:
			return nil, "", cannotEncode("results["+itoa(i)+"].accession_number", "does not match the order")
		case r.TestCode == "":
			return nil, "", cannotEncode("results["+itoa(i)+"].test_code", "is required")
		}
		maxVersion = max(maxVersion, r.Version)
	}
	if c.ID == "" {
		c.ID = firstNonEmpty(o.CustomerID, rs[0].CustomerID)
	}
	v := opt.version()
	m := hl7.NewMessage("ORU", "R01", structure(v, "ORU_R01"),
		opt.header(v, "ORU|"+o.AccessionNumber+"|"+strconv.FormatInt(maxVersion, 10)))
	loc := opt.location()
	writePID(m, c, opt)

	placer := hl7.EI{ID: o.AccessionNumber, NamespaceID: opt.placerNamespace()}
	clinician := hl7.XCN{ID: o.OrderingClinician.ID, Family: o.OrderingClinician.Name}
	orderStatus := resultsORC5(rs)
	for k, code := range testOrder(o, rs) {
		var group []lab.Result
		for _, r := range rs {
			if r.TestCode == code {
				group = append(group, r)
			}
		}
		name := ""
		for _, t := range o.Tests {
			if t.Code == code {
				name = t.Name
			}
		}
		m.AddSegment("ORC").Set(1, "RE").SetValue(2, placer).Set(5, orderStatus).SetValue(12, clinician)
		obr := m.AddSegment("OBR").Set(1, strconv.Itoa(k+1)).SetValue(2, placer).SetValue(4, serviceID(code, name, tests))
		if specs := specimensFor(code, o.Specimens, tests); len(specs) > 0 {
			obr.Set(7, formatTime(o.Specimens[specs[0]].CollectedAt, loc))
		}
		obr.SetValue(16, clinician).Set(22, formatTime(latestVerified(group), loc)).Set(25, groupStatus(group))
		for i, r := range group {
			typ, value := obxValue(r)
			x := m.AddSegment("OBX").Set(1, strconv.Itoa(i+1)).Set(2, typ).SetValue(3, serviceID(code, name, tests))
			if typ == "SN" {
				x.SetValue(5, value)
			} else {
				x.Set(5, string(value.(hl7.Text)))
			}
			if r.Unit != "" {
				x.SetValue(6, hl7.CWE{Code: r.Unit, System: "UCUM"})
			}
			x.Set(7, r.ReferenceRange).Set(8, string(r.AbnormalFlag)).Set(11, r.Status.OBX11()).
				Set(14, formatTime(r.ObservedAt, loc)).Set(16, r.VerifiedBy).
				Set(19, formatTime(r.VerifiedAt, loc)).Set(23, r.PerformingLab)
			for j, cm := range r.Comments {
				m.AddSegment("NTE").Set(1, strconv.Itoa(j+1)).Set(2, "L").Set(3, cm)
			}
		}
	}
	if err := m.Err(); err != nil {
		return nil, "", err
	}
	return m.Encode(), m.ControlID(), nil
}

// testOrder lists the test codes of rs: the order's tests first, in order,
// then the others as they first appear.
func testOrder(o lab.Order, rs []lab.Result) []string {
	var codes []string
	has := func(c string) bool {
		for _, x := range codes {
			if x == c {
				return true
			}
		}
		return false
	}
	for _, t := range o.Tests {
		for _, r := range rs {
			if r.TestCode == t.Code && !has(t.Code) {
				codes = append(codes, t.Code)
			}
		}
	}
	for _, r := range rs {
		if !has(r.TestCode) {
			codes = append(codes, r.TestCode)
		}
	}
	return codes
}

func latestVerified(rs []lab.Result) (t0 time.Time) {
	for _, r := range rs {
		if r.VerifiedAt.After(t0) {
			t0 = r.VerifiedAt
		}
	}
	return t0
}

// resultsORC5 is the order status the results show: CA when all are
// cancelled, CM (completed) when none is preliminary, A (some results)
// otherwise.
func resultsORC5(rs []lab.Result) string {
	prelim, cancelled := 0, 0
	for _, r := range rs {
		switch r.Status {
		case lab.ResultPreliminary:
			prelim++
		case lab.ResultCancelled:
			cancelled++
		}
	}
	switch {
	case cancelled == len(rs):
		return "CA"
	case prelim == 0:
		return "CM"
	}
	return "A"
}

// groupStatus is OBR-25 for the results of one test.
func groupStatus(rs []lab.Result) string {
	final, cancelled := 0, 0
	for _, r := range rs {
		switch r.Status {
		case lab.ResultCorrected:
			return "C"
		case lab.ResultFinal:
			final++
		case lab.ResultCancelled:
			cancelled++
		}
	}
	switch {
	case cancelled == len(rs):
		return "X"
	case final+cancelled == len(rs):
		return "F"
	}
	return "P"
}

// obxValue picks OBX-2 and the OBX-5 content for a result.
func obxValue(r lab.Result) (string, hl7.FieldValue) {
	v := r.Value
	switch {
	case v == "" && r.ValueType == "":
		return "", hl7.Text("")
	case r.ValueType == lab.ValueCoded:
		return "CWE", hl7.Text(v)
	case r.ValueType == lab.ValueNumeric || r.ValueType == "" && numeric(v):
		if v != "" && (v[0] == '<' || v[0] == '>') {
			return "SN", hl7.Components{v[:1], strings.TrimSpace(v[1:])}
		}
		return "NM", hl7.Text(v)
	case strings.Contains(v, "\n"):
		return "TX", hl7.Text(v)
	}
	return "ST", hl7.Text(v)
}
