package hl7_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/hl7"
)

var bkk = time.FixedZone("ICT", 7*3600)

func header() hl7.Header {
	return hl7.Header{
		SendingApplication:   hl7.HD{NamespaceID: "IMP"},
		SendingFacility:      hl7.HD{NamespaceID: "IMPHQ"},
		ReceivingApplication: hl7.HD{NamespaceID: "LIS"},
		ReceivingFacility:    hl7.HD{NamespaceID: "IMPLAB", UniversalID: "2.16.840.1.113883.3.999", UniversalIDType: "ISO"},
		Time:                 time.Date(2024, 3, 5, 9, 15, 0, 0, bkk),
		ControlID:            "IMP0001",
	}
}

func segments(m *hl7.Message) string {
	return strings.ReplaceAll(string(m.Encode()), "\r", "\n")
}

func TestBuild(t *testing.T) {
	t.Parallel()
	patient := func(m *hl7.Message) {
		m.AddSegment("PID").
			Set(1, "1").
			SetValue(3, hl7.CX{ID: "PAT0042", AssigningAuthority: hl7.HD{NamespaceID: "IMPLAB"}, TypeCode: "MR"},
				hl7.CX{ID: "7701011234567", AssigningAuthority: hl7.HD{NamespaceID: "THA"}, TypeCode: "NI"}).
			SetValue(5, hl7.XPN{Family: "O'Neil^Smith", Given: "Mary-Ann"}).
			Set(7, "19770101").
			Set(8, "F").
			SetValue(13, hl7.XTN{UseCode: "PRN", EquipmentType: "CP", Unformatted: "+66812345678"})
	}
	tests := []struct {
		name string
		make func() *hl7.Message
		want string
	}{
		{
			name: "ORM^O01",
			make: func() *hl7.Message {
				h := header()
				h.Version = "2.3"
				m := hl7.NewMessage("ORM", "O01", "", h)
				patient(m)
				m.AddSegment("ORC").Set(1, "NW").SetValue(2, hl7.EI{ID: "ORD1", NamespaceID: "IMP"}).Set(5, "SC").
					SetValue(12, hl7.XCN{ID: "D1", Family: "Chaiyo", Given: "Somchai", Prefix: "DR"})
				m.AddSegment("OBR").Set(1, "1").SetValue(2, hl7.EI{ID: "ORD1", NamespaceID: "IMP"}).
					SetValue(4, hl7.CWE{Code: "2345-7", Text: "Glucose", System: "LN"}).Set(5, "S")
				m.AddSegment("NTE").Set(1, "1").Set(3, "Fasting since 22:00\nno water")
				return m
			},
			want: `MSH|^~\&|IMP|IMPHQ|LIS|IMPLAB^2.16.840.1.113883.3.999^ISO|20240305091500+0700||ORM^O01|IMP0001|P|2.3
PID|1||PAT0042^^^IMPLAB^MR~7701011234567^^^THA^NI||O'Neil\S\Smith^Mary-Ann||19770101|F|||||^PRN^CP^^^^^^^^^+66812345678
ORC|NW|ORD1^IMP|||SC|||||||D1^Chaiyo^Somchai^^^DR
OBR|1|ORD1^IMP||2345-7^Glucose^LN|S
NTE|1||Fasting since 22:00\.br\no water
`,
		},
		{
			name: "OML^O21",
			make: func() *hl7.Message {
				h := header()
				h.AcceptAckType, h.ApplicationAckType = "AL", "AL"
				m := hl7.NewMessage("OML", "O21", "OML_O21", h)
				patient(m)
				m.AddSegment("ORC").Set(1, "NW").SetValue(2, hl7.EI{ID: "ORD2", NamespaceID: "IMP"})
				m.AddSegment("TQ1").Set(1, "1").SetValue(9, hl7.CWE{Code: "S", Text: "Stat", System: "HL70485"})
				m.AddSegment("OBR").Set(1, "1").SetValue(2, hl7.EI{ID: "ORD2", NamespaceID: "IMP"}).
					SetValue(4, hl7.CWE{Code: "24331-1", Text: "Lipid panel", System: "LN"})
				m.AddSegment("SPM").Set(1, "1").
					SetValue(2, hl7.EIP{Placer: hl7.EI{ID: "S1", NamespaceID: "IMP"}}).
					SetValue(4, hl7.CWE{Code: "SER", Text: "Serum", System: "HL70487"})
				return m
			},
			want: `MSH|^~\&|IMP|IMPHQ|LIS|IMPLAB^2.16.840.1.113883.3.999^ISO|20240305091500+0700||OML^O21^OML_O21|IMP0001|P|2.5.1|||AL|AL
PID|1||PAT0042^^^IMPLAB^MR~7701011234567^^^THA^NI||O'Neil\S\Smith^Mary-Ann||19770101|F|||||^PRN^CP^^^^^^^^^+66812345678
ORC|NW|ORD2^IMP
TQ1|1||||||||S^Stat^HL70485
OBR|1|ORD2^IMP||24331-1^Lipid panel^LN
SPM|1|S1&IMP||SER^Serum^HL70487
`,
		},
		{
			name: "ORU^R01",
			make: func() *hl7.Message {
				m := hl7.NewMessage("ORU", "R01", "ORU_R01", header())
				patient(m)
				m.AddSegment("OBR").Set(1, "1").SetValue(4, hl7.CWE{Code: "2345-7", Text: "Glucose", System: "LN"}).Set(25, "F")
				m.AddSegment("OBX").Set(1, "1").Set(2, "NM").
					SetValue(3, hl7.CWE{Code: "2345-7", Text: "Glucose", System: "LN"}).
					Set(5, "<70").
					SetValue(6, hl7.CWE{Code: "mg/dL", System: "UCUM"}).
					Set(7, "70-99").
					SetValue(8, hl7.Text("L"), hl7.Text("A")).
					Set(11, "F").
					Set(14, hl7.FormatTime(time.Date(2024, 3, 5, 10, 0, 0, 0, bkk)))
				return m
			},
			want: `MSH|^~\&|IMP|IMPHQ|LIS|IMPLAB^2.16.840.1.113883.3.999^ISO|20240305091500+0700||ORU^R01^ORU_R01|IMP0001|P|2.5.1
PID|1||PAT0042^^^IMPLAB^MR~7701011234567^^^THA^NI||O'Neil\S\Smith^Mary-Ann||19770101|F|||||^PRN^CP^^^^^^^^^+66812345678
OBR|1|||2345-7^Glucose^LN|||||||||||||||||||||F
OBX|1|NM|2345-7^Glucose^LN||<70|mg/dL^^UCUM|70-99|L~A|||F|||20240305100000+0700
`,
		},
		{
			name: "ADT^A04 with other delimiters",
			make: func() *hl7.Message {
				h := header()
				h.Delimiters = hl7.Delimiters{Field: '!', Component: '@', Repetition: '*', Escape: '$', Subcomponent: '%'}
				h.Version = "2.5"
				m := hl7.NewMessage("ADT", "A04", "ADT_A01", h)
				m.AddSegment("EVN").Set(1, "A04")
				patient(m)
				m.AddSegment("PV1").Set(1, "1").Set(2, "O")
				return m
			},
			want: `MSH!@*$%!IMP!IMPHQ!LIS!IMPLAB@2.16.840.1.113883.3.999@ISO!20240305091500+0700!!ADT@A04@ADT_A01!IMP0001!P!2.5
EVN!A04
PID!1!!PAT0042@@@IMPLAB@MR*7701011234567@@@THA@NI!!O'Neil^Smith@Mary-Ann!!19770101!F!!!!!@PRN@CP@@@@@@@@@+66812345678
PV1!1!O
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := tt.make()
			if err := m.Err(); err != nil {
				t.Fatal(err)
			}
			if got := segments(m); got != tt.want {
				t.Errorf("encoded:\n%s\nwant:\n%s", got, tt.want)
			}
			// What the builder wrote reads back through the parser and
			// the typed views.
			back := mustParse(t, m.Encode())
			if got := back.PID().PatientName().Family; got != "O'Neil^Smith" {
				t.Errorf("PID-5.1 read back as %q", got)
			}
			if got := back.MSH().ReceivingFacility().UniversalID; got != "2.16.840.1.113883.3.999" {
				t.Errorf("MSH-6.2 read back as %q", got)
			}
			checkLossless(t, back)
		})
	}
}

func TestBuildDefaults(t *testing.T) {
	t.Parallel()
	before := time.Now().Add(-time.Second)
	m := hl7.NewMessage("ADT", "A08", "ADT_A01", hl7.Header{})
	msh := m.MSH()
	if msh.ProcessingID() != "P" || msh.Version() != hl7.DefaultVersion || len(msh.ControlID()) != 20 {
		t.Errorf("defaults: processing %q version %q control id %q", msh.ProcessingID(), msh.Version(), msh.ControlID())
	}
	ts, err := hl7.ParseTime(msh.DateTime(), nil)
	if err != nil || ts.Before(before) || ts.After(time.Now().Add(time.Second)) {
		t.Errorf("MSH-7 %q is not now: %v", msh.DateTime(), err)
	}
	other := hl7.NewMessage("ADT", "A08", "ADT_A01", hl7.Header{})
	if other.ControlID() == m.ControlID() {
		t.Errorf("two messages share control id %q", m.ControlID())
	}
}

func TestBuildErrors(t *testing.T) {
	t.Parallel()
	m := hl7.NewMessage("ORU", "R01", "ORU_R01", header())
	if b := m.AddSegment("obx"); !errors.Is(b.Err(), hl7.ErrInvalidPath) {
		t.Errorf("lower-case segment name accepted: %v", b.Err())
	}
	if !errors.Is(m.Err(), hl7.ErrInvalidPath) {
		t.Errorf("message Err() = %v, want the builder's error", m.Err())
	}
	if n := m.Len(); n != 1 {
		t.Errorf("invalid segment was added: %d segments", n)
	}

	m = hl7.NewMessage("ORU", "R01", "ORU_R01", header())
	for _, b := range []*hl7.SegmentBuilder{
		m.AddSegment("OBX").Set(0, "x"),
		m.AddSegment("OBX").SetRaw(5, "a|b"),
		m.AddSegment("MSH").Set(2, "^~"),
	} {
		if !errors.Is(b.Err(), hl7.ErrInvalidPath) {
			t.Errorf("Err() = %v, want ErrInvalidPath", b.Err())
		}
	}

	bad := header()
	bad.Delimiters = hl7.Delimiters{Field: '|', Component: '|', Repetition: '~', Escape: '\\', Subcomponent: '&'}
	m = hl7.NewMessage("ORU", "R01", "ORU_R01", bad)
	if !errors.Is(m.Err(), hl7.ErrMalformed) || m.Delimiters() != hl7.DefaultDelimiters {
		t.Errorf("invalid delimiters: Err() = %v, delimiters %+v", m.Err(), m.Delimiters())
	}
}

func TestBuildAfterRead(t *testing.T) {
	t.Parallel()
	// Reading builds the field index; writes made afterwards must keep it
	// right for the segments they touch and the ones they add.
	m := mustParse(t, readFixture(t, "oru_r01.hl7"))
	old := m.Get("OBX(2)-5")
	if err := m.Set("OBX(2)-5", "4.25"); err != nil {
		t.Fatal(err)
	}
	m.AddSegment("NTE").Set(1, "9").Set(3, "added")
	if got := m.Get("OBX(2)-5"); got != "4.25" || old != "4.1" {
		t.Errorf("OBX(2)-5 = %q (was %q)", got, old)
	}
	if got := m.Get("OBX(2)-6"); got != "10*6/uL" {
		t.Errorf("OBX(2)-6 = %q after changing OBX-5", got)
	}
	if got := m.Segment(m.Len()).Field(3).String(); got != "added" {
		t.Errorf("new NTE-3 = %q", got)
	}
	checkLossless(t, m)
}

func TestControlIDs(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 10000 {
		id := hl7.NewControlID()
		if len(id) != 20 || seen[id] {
			t.Fatalf("control id %q repeated or not 20 characters", id)
		}
		seen[id] = true
	}
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2024", time.Date(2024, 1, 1, 0, 0, 0, 0, bkk), true},
		{"202403", time.Date(2024, 3, 1, 0, 0, 0, 0, bkk), true},
		{"20240305", time.Date(2024, 3, 5, 0, 0, 0, 0, bkk), true},
		{"2024030509", time.Date(2024, 3, 5, 9, 0, 0, 0, bkk), true},
		{"202403050915", time.Date(2024, 3, 5, 9, 15, 0, 0, bkk), true},
		{"20240305091530", time.Date(2024, 3, 5, 9, 15, 30, 0, bkk), true},
		{"20240305091530.1234", time.Date(2024, 3, 5, 9, 15, 30, 123400000, bkk), true},
		{"20240305091530+0000", time.Date(2024, 3, 5, 9, 15, 30, 0, time.UTC), true},
		{"20240305091530-0500", time.Date(2024, 3, 5, 14, 15, 30, 0, time.UTC), true},
		{"202403050915+0700", time.Date(2024, 3, 5, 9, 15, 0, 0, bkk), true},
		{"", time.Time{}, false},
		{"24", time.Time{}, false},
		{"2024030", time.Time{}, false},
		{"20241305", time.Time{}, false},
		{"20240230", time.Time{}, false},
		{"20240305246000", time.Time{}, false},
		{"20240305.5", time.Time{}, false},
		{"20240305091530.12345", time.Time{}, false},
		{"20240305+07", time.Time{}, false},
		{"2024-03-05", time.Time{}, false},
	}
	for _, tt := range tests {
		got, err := hl7.ParseTime(tt.in, bkk)
		if (err == nil) != tt.ok || !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, hl7.ErrInvalidTime) {
			t.Errorf("ParseTime(%q) error does not match ErrInvalidTime", tt.in)
		}
	}
	at := time.Date(2024, 3, 5, 9, 15, 30, 0, bkk)
	if s := hl7.FormatTime(at); s != "20240305091530+0700" {
		t.Errorf("FormatTime = %q", s)
	}
	if back, err := hl7.ParseTime(hl7.FormatTime(at), nil); err != nil || !back.Equal(at) {
		t.Errorf("FormatTime does not parse back: %v %v", back, err)
	}
}
