package hl7_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/hl7"
)

func TestACK(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 3, 5, 14, 30, 1, 0, bkk)
	oru := mustParse(t, readFixture(t, "oru_r01.hl7"))
	orm := mustParse(t, readFixture(t, "orm_o01.hl7")) // v2.3
	adt := mustParse(t, readFixture(t, "adt_a04.hl7")) // other delimiters
	tests := []struct {
		name string
		in   *hl7.Message
		code hl7.AckCode
		opts []hl7.AckOption
		want string
	}{
		{
			name: "AA",
			in:   oru, code: hl7.AA,
			want: `MSH|^~\&|IMP|IMPHQ|LIS|IMPLAB^2.16.840.1.113883.3.999^ISO|20240305143001+0700||ACK^R01^ACK|ACK1|P|2.5.1||||||UNICODE UTF-8
MSA|AA|LIS000123457
`,
		},
		{
			name: "AE with location",
			in:   oru, code: hl7.AE,
			opts: []hl7.AckOption{hl7.WithError(hl7.ErrorDetail{
				Location: hl7.ERL{Segment: "OBR", Sequence: 2, Field: 4, Component: 1},
				Code:     hl7.CodeTableValueNotFound,
				Message:  "Test code 2345-7 is not in the catalog",
			})},
			want: `MSH|^~\&|IMP|IMPHQ|LIS|IMPLAB^2.16.840.1.113883.3.999^ISO|20240305143001+0700||ACK^R01^ACK|ACK1|P|2.5.1||||||UNICODE UTF-8
MSA|AE|LIS000123457|Test code 2345-7 is not in the catalog
ERR||OBR^2^4^^1|103^Table value not found^HL70357|E||||Test code 2345-7 is not in the catalog
`,
		},
		{
			name: "AR without detail",
			in:   oru, code: hl7.AR,
			opts: []hl7.AckOption{hl7.WithText("try later")},
			want: `MSH|^~\&|IMP|IMPHQ|LIS|IMPLAB^2.16.840.1.113883.3.999^ISO|20240305143001+0700||ACK^R01^ACK|ACK1|P|2.5.1||||||UNICODE UTF-8
MSA|AR|LIS000123457|try later
ERR|||207^Application internal error^HL70357|E||||try later
`,
		},
		{
			name: "two errors, text escaped",
			in:   oru, code: hl7.AE,
			opts: []hl7.AckOption{
				hl7.WithText("2 problems | see ERR"),
				hl7.WithError(hl7.ErrorDetail{Location: hl7.ERL{Segment: "PID", Sequence: 1, Field: 3}, Code: hl7.CodeRequiredFieldMissing, Message: "PID-3 is required"}),
				hl7.WithError(hl7.ErrorDetail{Location: hl7.ERL{Segment: "PID", Sequence: 1, Field: 8}, Code: hl7.CodeTableValueNotFound, Severity: hl7.SeverityWarning, Diagnostic: "table 0001", Message: "sex Q^X unknown"}),
			},
			want: `MSH|^~\&|IMP|IMPHQ|LIS|IMPLAB^2.16.840.1.113883.3.999^ISO|20240305143001+0700||ACK^R01^ACK|ACK1|P|2.5.1||||||UNICODE UTF-8
MSA|AE|LIS000123457|2 problems \F\ see ERR
ERR||PID^1^3|101^Required field missing^HL70357|E||||PID-3 is required
ERR||PID^1^8|103^Table value not found^HL70357|W|||table 0001|sex Q\S\X unknown
`,
		},
		{
			name: "v2.3 receiver gets ERR-1",
			in:   orm, code: hl7.AE,
			opts: []hl7.AckOption{hl7.WithError(hl7.ErrorDetail{Location: hl7.ERL{Segment: "OBR", Sequence: 1, Field: 4}, Code: hl7.CodeTableValueNotFound, Message: "unknown test"})},
			want: `MSH|^~\&|IMP|IMPLAB|CLINIC-EMR|CLINIC01|20240305143001+0700||ACK^O01|ACK1|P|2.3
MSA|AE|EMR20240305-0001|unknown test
ERR|OBR^1^4^103&Table value not found&HL70357
`,
		},
		{
			name: "incoming delimiters kept",
			in:   adt, code: hl7.CA,
			want: `MSH!@*$%!IMP!IMPLAB!HIS!HOSP!20240305143001+0700!!ACK@A04@ACK!ACK1!P!2.5
MSA!CA!HIS-1001
`,
		},
		{
			name: "enhanced mode commit error",
			in:   adt, code: hl7.CE,
			opts: []hl7.AckOption{hl7.WithError(hl7.ErrorDetail{Code: hl7.CodeApplicationInternal, Message: "store unavailable"})},
			want: `MSH!@*$%!IMP!IMPLAB!HIS!HOSP!20240305143001+0700!!ACK@A04@ACK!ACK1!P!2.5
MSA!CE!HIS-1001!store unavailable
ERR!!!207@Application internal error@HL70357!E!!!!store unavailable
`,
		},
		{
			name: "sender override",
			in:   oru, code: hl7.AA,
			opts: []hl7.AckOption{hl7.WithSender(hl7.HD{NamespaceID: "IMP-ACK"}, hl7.HD{NamespaceID: "GW"})},
			want: `MSH|^~\&|IMP-ACK|GW|LIS|IMPLAB^2.16.840.1.113883.3.999^ISO|20240305143001+0700||ACK^R01^ACK|ACK1|P|2.5.1||||||UNICODE UTF-8
MSA|AA|LIS000123457
`,
		},
		{
			name: "nothing known of the incoming message",
			in:   nil, code: hl7.AR,
			opts: []hl7.AckOption{hl7.WithError(hl7.ErrorDetail{Code: hl7.CodeSegmentSequence, Message: "no MSH"})},
			want: `MSH|^~\&|||||20240305143001+0700||ACK^^ACK|ACK1|P|2.5.1
MSA|AR||no MSH
ERR|||100^Segment sequence error^HL70357|E||||no MSH
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := append([]hl7.AckOption{hl7.WithControlID("ACK1"), hl7.WithTime(at)}, tt.opts...)
			ack := hl7.ACK(tt.in, tt.code, opts...)
			if err := ack.Err(); err != nil {
				t.Fatal(err)
			}
			if got := segments(ack); got != tt.want {
				t.Errorf("ACK:\n%s\nwant:\n%s", got, tt.want)
			}
			back := mustParse(t, ack.Encode())
			if back.MSA().AckCode() != tt.code {
				t.Errorf("MSA-1 reads back as %q", back.MSA().AckCode())
			}
		})
	}
}

func TestACKGeneratesControlID(t *testing.T) {
	t.Parallel()
	in := mustParse(t, readFixture(t, "oru_r01.hl7"))
	a, b := hl7.ACK(in, hl7.AA), hl7.ACK(in, hl7.AA)
	if a.ControlID() == "" || a.ControlID() == b.ControlID() || a.ControlID() == in.ControlID() {
		t.Errorf("control ids: in %q, acks %q %q", in.ControlID(), a.ControlID(), b.ControlID())
	}
	if a.MSA().ControlID() != in.ControlID() {
		t.Errorf("MSA-2 = %q, want %q", a.MSA().ControlID(), in.ControlID())
	}
}

func TestACKForError(t *testing.T) {
	t.Parallel()
	const msh = `MSH|^~\&|LIS|LAB|IMP|HQ|20240101||ORU^R01^ORU_R01|CTRL42|P|2.5.1`
	tests := []struct {
		name     string
		data     string
		err      error // nil: use the error of Parse(data)
		msa2     string
		receiver string
		loc      hl7.ERL
		code     string
		message  string
	}{
		{name: "bad segment after a good MSH", data: msh + "\rPID|1\rbad segment", msa2: "CTRL42", receiver: "LIS",
			code: "100", message: "segment name must be 3 upper-case letters or digits followed by the field separator"},
		{name: "not HL7 at all", data: "GET / HTTP/1.1\r\n", msa2: "", receiver: "", code: "100", message: "first segment must be MSH"},
		{name: "bad encoding characters", data: "MSH|^^\\&|LIS^x|LAB|IMP|HQ|20240101||ORU^R01|CTRL43|P|2.5.1\rPID|1", msa2: "CTRL43", receiver: "LIS",
			loc: hl7.ERL{Segment: "MSH", Sequence: 1, Field: 2}, code: "102"},
		{name: "missing control id", data: "MSH|^~|LIS", msa2: "", receiver: "LIS", loc: hl7.ERL{Segment: "MSH", Sequence: 1, Field: 2}, code: "102"},
		{name: "too large", data: msh + "\rOBX|1|ED|PDF||...", err: &hl7.ParseError{Code: hl7.CodeApplicationInternal, Reason: "message exceeds the maximum size of 10 bytes", Err: hl7.ErrTooLarge},
			msa2: "CTRL42", receiver: "LIS", code: "207", message: "message exceeds the maximum size of 10 bytes"},
		{name: "other error", data: msh, err: errors.New("unsupported message type ORU^R01"), msa2: "CTRL42", receiver: "LIS",
			code: "207", message: "unsupported message type ORU^R01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.err
			if err == nil {
				_, err = hl7.Parse([]byte(tt.data))
				if err == nil {
					t.Fatal("test input parses")
				}
			}
			ack := mustParse(t, hl7.ACKForError([]byte(tt.data), err).Encode())
			if got := ack.MSA().AckCode(); got != hl7.AR {
				t.Errorf("MSA-1 = %q, want AR", got)
			}
			if got := ack.MSA().ControlID(); got != tt.msa2 {
				t.Errorf("MSA-2 = %q, want %q", got, tt.msa2)
			}
			if got := ack.MSH().ReceivingApplication().NamespaceID; got != tt.receiver {
				t.Errorf("MSH-5 = %q, want %q", got, tt.receiver)
			}
			e := ack.ERR()
			if e.Location() != tt.loc || e.Code().Code != tt.code || (tt.message != "" && e.UserMessage() != tt.message) {
				t.Errorf("ERR location %+v code %q message %q", e.Location(), e.Code().Code, e.UserMessage())
			}
		})
	}
}

func TestMessageStringHidesContent(t *testing.T) {
	t.Parallel()
	m := mustParse(t, readFixture(t, "oru_r01.hl7"))
	for _, s := range []string{m.String(), fmt.Sprint(m), fmt.Sprintf("%v", m.LogValue())} {
		if strings.Contains(s, "Srisuk") || strings.Contains(s, "PAT0042") {
			t.Errorf("%q contains patient data", s)
		}
		if !strings.Contains(s, "LIS000123457") {
			t.Errorf("%q lacks the control id", s)
		}
	}
}
