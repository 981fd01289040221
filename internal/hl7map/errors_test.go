package hl7map_test

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/hl7map"
	"github.com/imp-health/imp/internal/lab"
)

// seg builds a segment from field number → raw value.
func seg(name string, fields map[int]string) string {
	n := 0
	for k := range fields {
		n = max(n, k)
	}
	parts := make([]string, n+1)
	parts[0] = name
	for k, v := range fields {
		parts[k] = v
	}
	return strings.Join(parts, "|")
}

// with returns a copy of base with fields changed; "-" clears a field.
func with(base map[int]string, changes map[int]string) map[int]string {
	out := maps.Clone(base)
	for k, v := range changes {
		if v == "-" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func msh(typ string) string {
	return `MSH|^~\&|LIS|IMPLAB|IMP|IMPHQ|20240305143000+0700||` + typ + `|LIS0001|P|2.5.1`
}

var (
	pid = map[int]string{1: "1", 3: "CUST-0001^^^IMP^PI", 5: "Secretname^Jane", 7: "19800101", 8: "F"}
	orc = map[int]string{1: "RE", 2: "ACC-0001^IMP", 3: "L0001^LIS", 5: "CM", 9: "20240305090000+0700", 12: "DR-1^Welby^Marcus"}
	obr = map[int]string{1: "1", 2: "ACC-0001^IMP", 3: "L0001^LIS", 4: "GLU^Glucose^L", 7: "20240305080000+0700",
		22: "20240305100000+0700", 25: "F"}
	obx = map[int]string{1: "1", 2: "NM", 3: "GLU^Glucose^L", 5: "97", 6: "mg/dL", 7: "70-99", 8: "N", 11: "F",
		14: "20240305090000+0700", 16: "TECH01^Kaew^Nida", 19: "20240305095000+0700"}
	nte = map[int]string{1: "1", 2: "L", 3: "Checked twice."}
	tq1 = map[int]string{1: "1", 9: "S^Stat^HL70485"}
	spm = map[int]string{1: "1", 2: "SP-1&IMP", 4: "SER^Serum^HL70487", 17: "20240305080000+0700"}
)

type errorCase struct {
	name     string
	segs     []string
	accessor hl7map.AccessionRule
	want     string // Path of the location
	code     hl7.ErrorCode
}

func oru(segs ...string) []string { return append([]string{msh("ORU^R01^ORU_R01")}, segs...) }

func TestDecodeResultsErrors(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 101)
	cases := []errorCase{
		{"not a results message", []string{msh("ADT^A04^ADT_A01"), seg("PID", pid)}, 0, "MSH-9-1", hl7.CodeUnsupportedMessageType},
		{"unknown trigger", []string{msh("ORU^R99"), seg("PID", pid)}, 0, "MSH-9-2", hl7.CodeUnsupportedEventCode},
		{"no message time", []string{strings.Replace(msh("ORU^R01"), "20240305143000+0700", "", 1), seg("OBR", obr), seg("OBX", obx)}, 0, "MSH-7", hl7.CodeRequiredFieldMissing},
		{"bad message time", []string{strings.Replace(msh("ORU^R01"), "20240305143000+0700", "2024-03-05", 1), seg("OBR", obr)}, 0, "MSH-7", hl7.CodeDataType},
		{"observation without patient or order", oru(seg("OBX", obx)), 0, "OBR", hl7.CodeSegmentSequence},
		{"no order number", oru(seg("PID", pid), seg("OBR", with(obr, map[int]string{2: "-", 3: "-"})), seg("OBX", obx)), 0, "OBR(1)-2", hl7.CodeRequiredFieldMissing},
		{"no order number, filler first", oru(seg("PID", pid), seg("OBR", with(obr, map[int]string{2: "-", 3: "-"})), seg("OBX", obx)), hl7map.FillerFirst, "OBR(1)-3", hl7.CodeRequiredFieldMissing},
		{"only the ORC has the order number", oru(seg("PID", pid), seg("ORC", with(orc, map[int]string{2: "ACC 1"})), seg("OBR", with(obr, map[int]string{2: "-", 3: "-"})), seg("OBX", obx)), 0, "ORC(1)-2", hl7.CodeDataType},
		{"order number with a space", oru(seg("PID", pid), seg("OBR", with(obr, map[int]string{2: "ACC 1^IMP"})), seg("OBX", obx)), 0, "OBR(1)-2", hl7.CodeDataType},
		{"missing test code", oru(seg("PID", pid), seg("OBR", obr), seg("OBX", obx), seg("OBX", with(obx, map[int]string{1: "2", 3: "^Sodium"}))), 0, "OBX(2)-3", hl7.CodeRequiredFieldMissing},
		{"test code with a slash", oru(seg("PID", pid), seg("OBR", obr), seg("OBX", with(obx, map[int]string{3: "NA/K^Ratio^L"}))), 0, "OBX(1)-3", hl7.CodeDataType},
		{"no status anywhere", oru(seg("PID", pid), seg("OBR", with(obr, map[int]string{25: "-"})), seg("OBX", with(obx, map[int]string{11: "-"}))), 0, "OBX(1)-11", hl7.CodeRequiredFieldMissing},
		{"unknown OBX-11", oru(seg("PID", pid), seg("OBR", obr), seg("OBX", with(obx, map[int]string{11: "Z"}))), 0, "OBX(1)-11", hl7.CodeTableValueNotFound},
		{"unknown OBR-25 used for OBX-11", oru(seg("PID", pid), seg("OBR", with(obr, map[int]string{25: "Y"})), seg("OBX", with(obx, map[int]string{11: "-"}))), 0, "OBR(1)-25", hl7.CodeTableValueNotFound},
		{"status U", oru(seg("PID", pid), seg("OBR", obr), seg("OBX", with(obx, map[int]string{11: "U"}))), 0, "OBX(1)-11", hl7.CodeTableValueNotFound},
		{"final without a value", oru(seg("PID", pid), seg("OBR", obr), seg("OBX", with(obx, map[int]string{5: "-"}))), 0, "OBX(1)-5", hl7.CodeRequiredFieldMissing},
		{"NM that is not a number", oru(seg("PID", pid), seg("OBR", obr), seg("OBX", with(obx, map[int]string{5: "see note"}))), 0, "OBX(1)-5", hl7.CodeDataType},
		{"NM too large for a float", oru(seg("PID", pid), seg("OBR", obr), seg("OBX", with(obx, map[int]string{5: "1" + strings.Repeat("0", 400)}))), 0, "OBX(1)-5", hl7.CodeDataType},
		{"value too long", oru(seg("PID", pid), seg("OBR", obr), seg("OBX", with(obx, map[int]string{2: "TX", 5: strings.Repeat("y", 65537)}))), 0, "OBX(1)-5", hl7.CodeValueTooLong},
		{"unit with a space", oru(seg("PID", pid), seg("OBR", obr), seg("OBX", with(obx, map[int]string{6: "mg per dL"}))), 0, "OBX(1)-6", hl7.CodeDataType},
		{"reference range too long", oru(seg("PID", pid), seg("OBR", obr), seg("OBX", with(obx, map[int]string{7: long}))), 0, "OBX(1)-7", hl7.CodeValueTooLong},
		{"bad observation time", oru(seg("PID", pid), seg("OBR", obr), seg("OBX", with(obx, map[int]string{14: "20240230"}))), 0, "OBX(1)-14", hl7.CodeDataType},
		{"no observation time", oru(seg("PID", pid), seg("OBR", with(obr, map[int]string{7: "-"})), seg("OBX", with(obx, map[int]string{14: "-"}))), 0, "OBX(1)-14", hl7.CodeRequiredFieldMissing},
		{"bad OBR-7 used for OBX-14", oru(seg("PID", pid), seg("OBR", with(obr, map[int]string{7: "yesterday"})), seg("OBX", with(obx, map[int]string{14: "-"}))), 0, "OBR(1)-7", hl7.CodeDataType},
		{"final without a verifier", oru(seg("PID", pid), seg("OBR", obr), seg("OBX", with(obx, map[int]string{16: "-"}))), 0, "OBX(1)-16", hl7.CodeRequiredFieldMissing},
		{"verifier id with a space", oru(seg("PID", pid), seg("OBR", obr), seg("OBX", with(obx, map[int]string{16: "TECH 01"}))), 0, "OBX(1)-16", hl7.CodeDataType},
		{"bad OBR-32 used for OBX-16", oru(seg("PID", pid), seg("OBR", with(obr, map[int]string{32: "DR 1&Wong"})), seg("OBX", with(obx, map[int]string{16: "-"}))), 0, "OBR(1)-32", hl7.CodeDataType},
		{"final without a verification time", oru(seg("PID", pid), seg("OBR", with(obr, map[int]string{22: "-"})), seg("OBX", with(obx, map[int]string{19: "-"}))), 0, "OBX(1)-19", hl7.CodeRequiredFieldMissing},
		{"bad OBX-19", oru(seg("PID", pid), seg("OBR", obr), seg("OBX", with(obx, map[int]string{19: "2024030525"}))), 0, "OBX(1)-19", hl7.CodeDataType},
		{"bad OBR-22 used for OBX-19", oru(seg("PID", pid), seg("OBR", with(obr, map[int]string{22: "20240305+9900"})), seg("OBX", with(obx, map[int]string{19: "-"}))), 0, "OBR(1)-22", hl7.CodeDataType},
		{"same test twice", oru(seg("PID", pid), seg("OBR", obr), seg("OBX", obx), seg("OBX", with(obx, map[int]string{1: "2", 5: "98"}))), 0, "OBX(2)-3", hl7.CodeDuplicateKeyIdentifier},
		{"comment too long", oru(seg("PID", pid), seg("OBR", obr), seg("NTE", nte), seg("OBX", obx), seg("NTE", with(nte, map[int]string{3: strings.Repeat("z", 2001)}))), 0, "NTE(2)-3", hl7.CodeValueTooLong},
		{"performing lab too long", oru(seg("PID", pid), seg("OBR", obr), seg("OBX", with(obx, map[int]string{23: strings.Repeat("L", 201)}))), 0, "OBX(1)-23", hl7.CodeValueTooLong},
		{"patient id with a space", oru(seg("PID", with(pid, map[int]string{3: "X1^^^CLINIC~CUST 1^^^IMP"})), seg("OBR", obr), seg("OBX", obx)), 0, "PID(1)-3", hl7.CodeDataType},
	}
	runErrorCases(t, cases, func(m *hl7.Message, opt hl7map.Options) error {
		rs, err := hl7map.DecodeResults(m, opt)
		if err == nil {
			t.Errorf("no error; %d results", len(rs))
		}
		return err
	})
}

func TestDecodeStatusErrors(t *testing.T) {
	t.Parallel()
	orm := func(segs ...string) []string { return append([]string{msh("ORM^O01^ORM_O01")}, segs...) }
	sc := with(orc, map[int]string{1: "SC", 5: "IP"})
	cases := []errorCase{
		{"a patient message", []string{msh("ADT^A08^ADT_A01"), seg("PID", pid)}, 0, "MSH-9-1", hl7.CodeUnsupportedMessageType},
		{"no order at all", orm(seg("PID", pid)), 0, "ORC", hl7.CodeSegmentSequence},
		{"no ORC-5 or OBR-25", orm(seg("PID", pid), seg("ORC", with(sc, map[int]string{5: "-"})), seg("OBR", with(obr, map[int]string{25: "-"}))), 0, "ORC(1)-5", hl7.CodeRequiredFieldMissing},
		{"no OBR-25 and no ORC", append([]string{msh("ORU^R01")}, seg("PID", pid), seg("OBR", with(obr, map[int]string{25: "-"}))), 0, "OBR(1)-25", hl7.CodeRequiredFieldMissing},
		{"unknown ORC-5", orm(seg("PID", pid), seg("ORC", sc), seg("OBR", obr), seg("ORC", with(sc, map[int]string{5: "XX"})), seg("OBR", obr)), 0, "ORC(2)-5", hl7.CodeTableValueNotFound},
		{"unknown OBR-25", append([]string{msh("ORU^R01")}, seg("OBR", with(obr, map[int]string{25: "Q"}))), 0, "OBR(1)-25", hl7.CodeTableValueNotFound},
		{"no order number", orm(seg("PID", pid), seg("ORC", with(sc, map[int]string{2: "-", 3: "-"})), seg("OBR", with(obr, map[int]string{2: "-", 3: "-"}))), 0, "OBR(1)-2", hl7.CodeRequiredFieldMissing},
		{"bad ORC-9", orm(seg("PID", pid), seg("ORC", with(sc, map[int]string{9: "noon"})), seg("OBR", obr)), 0, "ORC(1)-9", hl7.CodeDataType},
		{"bad OBR-22", append([]string{msh("ORU^R01")}, seg("OBR", with(obr, map[int]string{22: "noon"}))), 0, "OBR(1)-22", hl7.CodeDataType},
		{"order number with a space", orm(seg("PID", pid), seg("ORC", with(sc, map[int]string{2: "ACC 1"})), seg("OBR", with(obr, map[int]string{2: "-"}))), 0, "ORC(1)-2", hl7.CodeDataType},
		{"reason too long", orm(seg("PID", pid), seg("ORC", with(sc, map[int]string{16: "R^" + strings.Repeat("r", 2001)})), seg("OBR", obr)), 0, "ORC(1)-16", hl7.CodeValueTooLong},
	}
	runErrorCases(t, cases, func(m *hl7.Message, opt hl7map.Options) error {
		evs, err := hl7map.DecodeStatus(m, opt)
		if err == nil {
			t.Errorf("no error; %d events", len(evs))
		}
		return err
	})
}

func TestDecodeOrderErrors(t *testing.T) {
	t.Parallel()
	oml := func(segs ...string) []string { return append([]string{msh("OML^O21^OML_O21")}, segs...) }
	nw := with(orc, map[int]string{1: "NW", 3: "-", 5: "SC"})
	req := with(obr, map[int]string{3: "-", 22: "-", 25: "-"})
	cases := []errorCase{
		{"results message", oru(seg("PID", pid), seg("OBR", obr), seg("OBX", obx)), 0, "MSH-9-1", hl7.CodeUnsupportedMessageType},
		{"no order", oml(seg("PID", pid)), 0, "ORC", hl7.CodeSegmentSequence},
		{"no PID", oml(seg("ORC", nw), seg("OBR", req)), 0, "PID", hl7.CodeSegmentSequence},
		{"two patients", oml(seg("PID", pid), seg("ORC", nw), seg("OBR", req), seg("PID", pid), seg("ORC", nw), seg("OBR", req)), 0, "PID(2)", hl7.CodeSegmentSequence},
		{"no placer number", oml(seg("PID", pid), seg("ORC", with(nw, map[int]string{2: "-"})), seg("OBR", with(req, map[int]string{2: "-"}))), 0, "ORC(1)-2", hl7.CodeRequiredFieldMissing},
		{"no placer number, no ORC", oml(seg("PID", pid), seg("OBR", with(req, map[int]string{2: "-"}))), 0, "OBR(1)-2", hl7.CodeRequiredFieldMissing},
		{"two orders", oml(seg("PID", pid), seg("ORC", nw), seg("OBR", req), seg("ORC", with(nw, map[int]string{2: "ACC-0002^IMP"})), seg("OBR", req)), 0, "ORC(2)-2", hl7.CodeApplicationInternal},
		{"ORC without OBR", oml(seg("PID", pid), seg("ORC", nw)), 0, "ORC(1)", hl7.CodeSegmentSequence},
		{"no test code", oml(seg("PID", pid), seg("ORC", nw), seg("OBR", with(req, map[int]string{4: "^Glucose"}))), 0, "OBR(1)-4", hl7.CodeRequiredFieldMissing},
		{"same test twice", oml(seg("PID", pid), seg("ORC", nw), seg("OBR", req), seg("ORC", nw), seg("OBR", req)), 0, "OBR(2)-4", hl7.CodeDuplicateKeyIdentifier},
		{"unknown TQ1 priority", oml(seg("PID", pid), seg("ORC", nw), seg("TQ1", with(tq1, map[int]string{9: "P^Preop"})), seg("OBR", req)), 0, "TQ1(1)-9", hl7.CodeTableValueNotFound},
		{"unknown OBR-27 priority", oml(seg("PID", pid), seg("ORC", nw), seg("OBR", with(req, map[int]string{27: "^^^^^T"}))), 0, "OBR(1)-27-6", hl7.CodeTableValueNotFound},
		{"bad ORC-9", oml(seg("PID", pid), seg("ORC", with(nw, map[int]string{9: "today"})), seg("OBR", req)), 0, "ORC(1)-9", hl7.CodeDataType},
		{"specimen without id", oml(seg("PID", pid), seg("ORC", nw), seg("OBR", req), seg("SPM", with(spm, map[int]string{2: "-"}))), 0, "SPM(1)-2", hl7.CodeRequiredFieldMissing},
		{"bad SPM-17", oml(seg("PID", pid), seg("ORC", nw), seg("OBR", req), seg("SPM", with(spm, map[int]string{17: "202413"}))), 0, "SPM(1)-17", hl7.CodeDataType},
		{"no clinician", oml(seg("PID", pid), seg("ORC", with(nw, map[int]string{12: "-"})), seg("OBR", req)), 0, "ORC(1)-12", hl7.CodeRequiredFieldMissing},
		{"clinician without id, from OBR-16", oml(seg("PID", pid), seg("OBR", with(req, map[int]string{16: "^Welby^Marcus"}))), 0, "OBR(1)-16", hl7.CodeRequiredFieldMissing},
		{"no patient id", oml(seg("PID", with(pid, map[int]string{3: "-"})), seg("ORC", nw), seg("OBR", req)), 0, "PID(1)-3", hl7.CodeRequiredFieldMissing},
		{"order number with a space", oml(seg("PID", pid), seg("ORC", with(nw, map[int]string{4: "REQ 1"})), seg("OBR", req)), 0, "ORC(1)-4", hl7.CodeDataType},
		{"no family name", oml(seg("PID", with(pid, map[int]string{5: "^Jane"})), seg("ORC", nw), seg("OBR", req)), 0, "PID(1)-5", hl7.CodeRequiredFieldMissing},
	}
	runErrorCases(t, cases, func(m *hl7.Message, opt hl7map.Options) error {
		_, _, err := hl7map.DecodeOrder(m, opt)
		if err == nil {
			t.Error("no error")
		}
		return err
	})
}

func TestDecodeCustomerErrors(t *testing.T) {
	t.Parallel()
	adt := func(segs ...string) []string { return append([]string{msh("ADT^A04^ADT_A01")}, segs...) }
	cases := []errorCase{
		{"an order", []string{msh("ORM^O01"), seg("PID", pid)}, 0, "MSH-9-1", hl7.CodeUnsupportedMessageType},
		{"discharge", []string{msh("ADT^A03^ADT_A03"), seg("PID", pid)}, 0, "MSH-9-2", hl7.CodeUnsupportedEventCode},
		{"no PID", adt(seg("EVN", map[int]string{1: "A04"})), 0, "PID", hl7.CodeSegmentSequence},
		{"no id", adt(seg("PID", with(pid, map[int]string{3: "-"}))), 0, "PID(1)-3", hl7.CodeRequiredFieldMissing},
		{"bad e-mail", adt(seg("PID", with(pid, map[int]string{13: "^NET^Internet^not-an-address"}))), 0, "PID(1)-13", hl7.CodeDataType},
		{"name too long", adt(seg("PID", with(pid, map[int]string{5: strings.Repeat("N", 101)}))), 0, "PID(1)-5", hl7.CodeValueTooLong},
	}
	runErrorCases(t, cases, func(m *hl7.Message, opt hl7map.Options) error {
		_, err := hl7map.DecodeCustomer(m, opt)
		if err == nil {
			t.Error("no error")
		}
		return err
	})
}

// runErrorCases checks that each case fails with an *hl7map.Error at the
// expected location and code, that the error becomes a parsable AE/AR ACK
// whose ERR-2 and ERR-3 say the same, and that its text repeats none of
// the message's content.
func runErrorCases(t *testing.T, cases []errorCase, decode func(*hl7.Message, hl7map.Options) error) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := hl7.Parse([]byte(strings.Join(tc.segs, "\r")))
			if err != nil {
				t.Fatalf("case does not parse: %v", err)
			}
			opt := testOptions()
			opt.Accession = tc.accessor
			err = decode(m, opt)
			var e *hl7map.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *hl7map.Error", err)
			}
			if !errors.Is(err, hl7map.ErrUnmappable) {
				t.Errorf("errors.Is(%v, ErrUnmappable) = false", err)
			}
			unsupported := tc.code == hl7.CodeUnsupportedMessageType || tc.code == hl7.CodeUnsupportedEventCode
			if errors.Is(err, hl7map.ErrUnsupported) != unsupported {
				t.Errorf("errors.Is(ErrUnsupported) = %v for code %d", !unsupported, tc.code)
			}
			if got := hl7map.Path(e.Location); got != tc.want || e.Code != tc.code {
				t.Fatalf("error %q at %s code %d, want %s code %d", e, got, e.Code, tc.want, tc.code)
			}
			if !strings.HasPrefix(e.Error(), tc.want+": ") {
				t.Errorf("error text %q does not start with its location", e)
			}
			for _, v := range contentOf(m) {
				if strings.Contains(e.Error(), v) {
					t.Errorf("error text %q repeats message content %q", e, v)
				}
			}
			ack, err := hl7.Parse(hl7.ACK(m, e.AckCode(), hl7.WithError(e.Detail())).Encode())
			if err != nil {
				t.Fatalf("ACK does not parse: %v", err)
			}
			if wantAck := map[bool]hl7.AckCode{true: hl7.AR, false: hl7.AE}[unsupported]; ack.MSA().AckCode() != wantAck {
				t.Errorf("MSA-1 %s, want %s", ack.MSA().AckCode(), wantAck)
			}
			if loc := ack.ERR().Location(); loc != e.Location {
				t.Errorf("ERR-2 %+v, want %+v", loc, e.Location)
			}
			if code := ack.ERR().Code().Code; code != tc.code.String() {
				t.Errorf("ERR-3 %s, want %s", code, tc.code)
			}
		})
	}
}

// contentOf lists the message's values of five characters or more: what
// an error text must never repeat.
func contentOf(m *hl7.Message) []string {
	var out []string
	for s := range m.Segments() {
		for n := 3; n <= s.Fields(); n++ {
			f := s.Field(n)
			for r := 1; r <= f.Reps(); r++ {
				for c := 1; c <= f.Rep(r).Components(); c++ {
					if v := f.Rep(r).Component(c).String(); len(v) >= 5 {
						out = append(out, v)
					}
				}
			}
		}
	}
	return out
}

// TestErrorsWrap: lab validation failures found while decoding also match
// lab.ErrInvalid, so callers that branch on validation keep working.
func TestErrorsWrap(t *testing.T) {
	t.Parallel()
	m, err := hl7.Parse([]byte(strings.Join([]string{msh("ADT^A04^ADT_A01"), seg("PID", with(pid, map[int]string{8: "Q"}))}, "\r")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = hl7map.DecodeCustomer(m, testOptions())
	if !errors.Is(err, lab.ErrInvalid) || !errors.Is(err, hl7map.ErrUnmappable) {
		t.Errorf("error %v matches lab.ErrInvalid %v, ErrUnmappable %v", err, errors.Is(err, lab.ErrInvalid), errors.Is(err, hl7map.ErrUnmappable))
	}
}
