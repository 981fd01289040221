package hl7_test

import (
	"reflect"
	"testing"

	"github.com/imp-health/imp/internal/hl7"
)

func TestTypedSegments(t *testing.T) {
	t.Parallel()
	m := mustParse(t, readFixture(t, "oru_r01.hl7"))
	pats := m.Patients()
	if len(pats) != 1 || len(pats[0].Orders) != 2 {
		t.Fatalf("want 1 patient with 2 orders, got %d patients", len(pats))
	}
	cbc := pats[0].Orders[0]
	obx1 := cbc.Observations[0].OBX
	obx3 := cbc.Observations[2].OBX
	msh := m.MSH()
	pid := m.PID()
	pv1 := m.PV1()
	spm := cbc.Specimens[0].SPM

	tests := []struct {
		name      string
		got, want any
	}{
		{"MSH sending app", msh.SendingApplication(), hl7.HD{NamespaceID: "LIS"}},
		{"MSH sending facility", msh.SendingFacility(), hl7.HD{"IMPLAB", "2.16.840.1.113883.3.999", "ISO"}},
		{"MSH receiving app", msh.ReceivingApplication(), hl7.HD{NamespaceID: "IMP"}},
		{"MSH receiving facility", msh.ReceivingFacility(), hl7.HD{NamespaceID: "IMPHQ"}},
		{"MSH time", msh.DateTime(), "20240305143000+0700"},
		{"MSH type", msh.MessageType(), hl7.MSG{"ORU", "R01", "ORU_R01"}},
		{"MSH control id", msh.ControlID(), "LIS000123457"},
		{"MSH processing id", msh.ProcessingID(), "P"},
		{"MSH version", msh.Version(), "2.5.1"},
		{"MSH accept ack", msh.AcceptAckType(), "AL"},
		{"MSH app ack", msh.ApplicationAckType(), "NE"},
		{"MSH charset", msh.CharacterSet(), "UNICODE UTF-8"},
		{"MSH field separator", msh.FieldSeparator(), "|"},
		{"MSH encoding characters", msh.EncodingCharacters(), `^~\&`},
		{"PID identifiers", pid.Identifiers(), []hl7.CX{
			{ID: "PAT0042", AssigningAuthority: hl7.HD{NamespaceID: "IMPLAB"}, TypeCode: "MR"},
			{ID: "7701011234567", AssigningAuthority: hl7.HD{NamespaceID: "THA"}, TypeCode: "NI"},
		}},
		{"PID national id", must(pid.Identifier("NI")).ID, "7701011234567"},
		{"PID name", pid.PatientName(), hl7.XPN{Family: "Srisuk", Given: "Malee", Middle: "K", Prefix: "MS"}},
		{"PID names", len(pid.Names()), 2},
		{"PID alias", pid.Names()[1], hl7.XPN{Family: "Srisuk", Given: "Mali", TypeCode: "A"}},
		{"PID birth date", pid.BirthDate(), "19770101"},
		{"PID sex", pid.Sex(), "F"},
		{"PID address", pid.Address(), hl7.XAD{Street: "99/1 Sukhumvit Rd", Other: "Apt 4&5", City: "Bangkok", Zip: "10110", Country: "THA", Type: "H"}},
		{"PID phone", pid.HomePhone(), hl7.XTN{UseCode: "PRN", EquipmentType: "PH", CountryCode: "66", AreaCode: "2", LocalNumber: "5551234"}},
		{"PID phone text", pid.HomePhone().Phone(), "+66 2 5551234"},
		{"PID email", pid.HomePhones()[1].Email, "malee@example.org"},
		{"PID account", pid.AccountNumber(), hl7.CX{ID: "ACC-5001", AssigningAuthority: hl7.HD{NamespaceID: "IMPLAB"}, TypeCode: "AN"}},
		{"PV1 class", pv1.PatientClass(), "O"},
		{"PV1 location", pv1.AssignedLocation(), hl7.PL{PointOfCare: "OPD", Room: "12", Bed: "3", Facility: hl7.HD{NamespaceID: "IMPLAB"}}},
		{"PV1 attending", pv1.AttendingDoctor(), hl7.XCN{ID: "D1234", Family: "Chaiyo", Given: "Somchai", Prefix: "DR"}},
		{"PV1 referring", pv1.ReferringDoctor().Family, "Ratana"},
		{"PV1 visit", pv1.VisitNumber().ID, "V20240305001"},
		{"ORC control", cbc.ORC.OrderControl(), "RE"},
		{"ORC placer", cbc.ORC.PlacerOrderNumber(), hl7.EI{ID: "ORD7788", NamespaceID: "IMP"}},
		{"ORC filler", cbc.ORC.FillerOrderNumber(), hl7.EI{ID: "LAB5566", NamespaceID: "LIS"}},
		{"ORC status", cbc.ORC.OrderStatus(), "CM"},
		{"ORC transaction time", cbc.ORC.TransactionTime(), "20240305090000+0700"},
		{"ORC provider", cbc.ORC.OrderingProvider().ID, "D1234"},
		{"OBR set id", cbc.OBR.SetID(), "1"},
		{"OBR placer", cbc.OBR.PlacerOrderNumber().ID, "ORD7788"},
		{"OBR filler", cbc.OBR.FillerOrderNumber().ID, "LAB5566"},
		{"OBR service", cbc.OBR.UniversalServiceID(), hl7.CWE{Code: "58410-2", Text: "CBC panel - Blood by Automated count", System: "LN"}},
		{"OBR collected", cbc.OBR.ObservationTime(), "20240305081500+0700"},
		{"OBR received", cbc.OBR.SpecimenReceivedTime(), "20240305083000+0700"},
		{"OBR provider", cbc.OBR.OrderingProvider().Family, "Chaiyo"},
		{"OBR results time", cbc.OBR.ResultsTime(), "20240305142500+0700"},
		{"OBR section", cbc.OBR.DiagnosticServiceSection(), "HM"},
		{"OBR status", cbc.OBR.ResultStatus(), "F"},
		{"OBR interpreter", cbc.OBR.PrincipalInterpreter(), "Wong"},
		{"TQ1 priority", cbc.Timing[0].Priority(), "R"},
		{"TQ1 priority code", cbc.Timing[0].PriorityCode(), hl7.CWE{Code: "R", Text: "Routine", System: "HL70485"}},
		{"NTE comment", cbc.Notes[0].Comment(), "Specimen received at 08:30."},
		{"NTE source", cbc.Notes[0].Source(), "L"},
		{"obs NTE line break", cbc.Observations[1].Notes[0].Comment(), "Repeat in 3 months.\nAdvise iron studies."},
		{"OBX set id", obx1.SetID(), "1"},
		{"OBX type", obx1.ValueType(), "NM"},
		{"OBX id", obx1.ObservationID(), hl7.CWE{Code: "6690-2", Text: "Leukocytes [#/volume] in Blood", System: "LN"}},
		{"OBX sub id", obx1.SubID(), ""},
		{"OBX value", obx1.Value(), "7.2"},
		{"OBX units", obx1.Units(), hl7.CWE{Code: "10*3/uL", Text: "thousand per microliter", System: "UCUM"}},
		{"OBX range", obx1.ReferenceRange(), "4.0-10.0"},
		{"OBX flags", obx1.AbnormalFlags(), []string{"N"}},
		{"OBX flags repeated", obx3.AbnormalFlags(), []string{"L", "A"}},
		{"OBX status", obx1.ResultStatus(), "F"},
		{"OBX time", obx1.ObservationTime(), "20240305100000+0700"},
		{"OBX observer", obx1.ResponsibleObserver(), hl7.XCN{ID: "TECH01", Family: "Kaew", Given: "Nida"}},
		{"OBX analysis time", obx1.AnalysisTime(), "20240305100500+0700"},
		{"OBX performing org", obx1.PerformingOrganization(), "IMP Central Lab"},
		{"OBX escaped value", cbc.Observations[5].OBX.Value(), `H^H ratio \ normal | OK \H\flagged\N\`},
		{"OBX coded value", cbc.Observations[6].OBX.CodedValue(), hl7.CWE{Code: "LA19710-5", Text: "Group O", System: "LN"}},
		{"OBX text lines", cbc.Observations[7].OBX.Values(), []string{"Normocytic", "normochromic"}},
		{"OBX hex value", pats[0].Orders[1].Observations[0].OBX.Value(), "<70"},
		{"SPM id", spm.SpecimenID(), hl7.EIP{Placer: hl7.EI{ID: "SP001", NamespaceID: "IMP"}, Filler: hl7.EI{ID: "LAB5566-1", NamespaceID: "LIS"}}},
		{"SPM type", spm.SpecimenType(), hl7.CWE{Code: "119297000", Text: "Blood specimen", System: "SCT"}},
		{"SPM role", spm.Role().Code, "P"},
		{"SPM collection start", spm.CollectionStart(), "20240305081500+0700"},
		{"SPM collection end", spm.CollectionEnd(), "20240305081600+0700"},
		{"SPM received", spm.ReceivedTime(), "20240305083000+0700"},
		{"SPM availability", spm.Availability(), "Y"},
		{"specimen OBX", cbc.Specimens[0].Observations[0].OBX.ObservationID().Code, "3151-8"},
		{"absent MSA", m.MSA().IsZero(), true},
		{"absent MSA field", m.MSA().AckCode(), hl7.AckCode("")},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s = %#v, want %#v", tt.name, tt.got, tt.want)
		}
	}
}

func must[T any](v T, ok bool) T {
	if !ok {
		panic("not found")
	}
	return v
}

func TestPriority(t *testing.T) {
	t.Parallel()
	m := mustParse(t, readFixture(t, "orm_o01.hl7"))
	var got []string
	for seg := range m.All("OBR") {
		got = append(got, hl7.OBR{Segment: seg}.Priority())
	}
	if !reflect.DeepEqual(got, []string{"S", "R"}) {
		t.Errorf("priorities = %q, want OBR-5 then OBR-27.6", got)
	}
	oml := mustParse(t, readFixture(t, "oml_o21.hl7"))
	if p := oml.Patients()[0].Orders[0].Timing[0].Priority(); p != "S" {
		t.Errorf("TQ1 priority = %q", p)
	}
	ordering := oml.Patients()[0].Orders[0].ORC.OrderingProvider()
	want := hl7.XCN{ID: "P777", Family: "Lee", Given: "Ann", Prefix: "DR", AssigningAuthority: hl7.HD{"ACME", "1.2.3.4", "ISO"}, TypeCode: "NPI"}
	if ordering != want {
		t.Errorf("ORC-12 = %+v, want %+v", ordering, want)
	}
	if ph := oml.PID().HomePhone().Phone(); ph != "+66812345678" {
		t.Errorf("phone = %q", ph)
	}
}

func TestAckSegments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []byte
		msa  [3]string
		loc  hl7.ERL
		code string
		sev  string
		msg  string
	}{
		{
			name: "v2.5",
			in: er7(`MSH|^~\&|LIS|LAB|IMP|HQ|20240101||ACK^O01^ACK|A1|P|2.5.1`, "MSA|AE|C77|bad order",
				"ERR||ORC^1^2^1^1|101^Required field missing^HL70357|E||||Placer order number is required"),
			msa: [3]string{"AE", "C77", "bad order"}, loc: hl7.ERL{Segment: "ORC", Sequence: 1, Field: 2, FieldRep: 1, Component: 1},
			code: "101", sev: "E", msg: "Placer order number is required",
		},
		{
			name: "v2.3 ELD",
			in:   er7(`MSH|^~\&|LIS|LAB|IMP|HQ|20240101||ACK|A1|P|2.3`, "MSA|AR|C78", "ERR|PID^1^3^102&Data type error&HL70357"),
			msa:  [3]string{"AR", "C78", ""}, loc: hl7.ERL{Segment: "PID", Sequence: 1, Field: 3}, code: "102",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := mustParse(t, tt.in)
			msa, e := m.MSA(), m.ERR()
			if got := [3]string{string(msa.AckCode()), msa.ControlID(), msa.Text()}; got != tt.msa {
				t.Errorf("MSA = %q, want %q", got, tt.msa)
			}
			if e.Location() != tt.loc || e.Code().Code != tt.code || e.Severity() != tt.sev || e.UserMessage() != tt.msg {
				t.Errorf("ERR = %+v %q %q %q", e.Location(), e.Code().Code, e.Severity(), e.UserMessage())
			}
		})
	}
}

func TestPatientsCorpus(t *testing.T) {
	t.Parallel()
	m := mustParse(t, readFixture(t, "oul_r22.hl7"))
	pats := m.Patients()
	if len(pats) != 1 || len(pats[0].Orders) != 2 {
		t.Fatalf("OUL grouping: %d patients", len(pats))
	}
	o := pats[0].Orders[0]
	if o.ORC.IsZero() || o.OBR.IsZero() || o.ORC.OrderStatus() != "IP" {
		t.Errorf("OUL: ORC after OBR should join its order")
	}
	if len(o.Specimens) != 1 || o.Specimens[0].SPM.SpecimenType().Code != "BLD" || len(o.Specimens[0].Observations) != 1 {
		t.Errorf("OUL: the leading SPM should apply to the order with its own OBX")
	}
	if v := o.Observations[0].OBX.Value(); v != "5.4" {
		t.Errorf("OUL result = %q", v)
	}
}

// Reads build the field index lazily; concurrent readers of one message
// must be safe (run with -race).
func TestConcurrentReads(t *testing.T) {
	t.Parallel()
	m := mustParse(t, readFixture(t, "oru_r01.hl7"))
	want := leaves(mustParse(t, readFixture(t, "oru_r01.hl7")))
	done := make(chan []leaf)
	for range 8 {
		go func() {
			_ = m.Patients()
			_ = m.Get("OBX(3)-5")
			done <- leaves(m)
		}()
	}
	for range 8 {
		if got := <-done; !reflect.DeepEqual(got, want) {
			t.Error("a concurrent reader saw different values")
		}
	}
}
