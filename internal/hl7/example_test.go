package hl7_test

import (
	"fmt"
	"time"

	"github.com/imp-health/imp/internal/hl7"
)

func ExampleParse() {
	// Real feeds end segments with "\n" or "\r\n" as often as with "\r".
	data := []byte("MSH|^~\\&|LIS|LAB|IMP|HQ|20240305143000+0700||ORU^R01^ORU_R01|C42|P|2.5.1\n" +
		"PID|1||PAT0042^^^LAB^MR||Srisuk^Malee||19770101|F\n" +
		"OBR|1|ORD7788^IMP|LAB5566^LIS|2345-7^Glucose^LN|||20240305081500+0700||||||||||||||||||F\n" +
		"OBX|1|NM|2345-7^Glucose^LN||5.4|mmol/L^^UCUM|3.9-5.5|N|||F\n")
	m, err := hl7.Parse(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Type(), m.ControlID())
	for _, p := range m.Patients() {
		for _, o := range p.Orders {
			for _, obs := range o.Observations {
				x := obs.OBX
				fmt.Println(x.ObservationID().Code, x.Value(), x.Units().Code, x.ResultStatus())
			}
		}
	}
	// Output:
	// ORU^R01 C42
	// 2345-7 5.4 mmol/L F
}

func ExampleMessage_Get() {
	m, _ := hl7.Parse([]byte("MSH|^~\\&|LIS|LAB\r" +
		"PID|1||PAT0042^^^LAB&1.2.3&ISO^MR~7701011234567^^^THA^NI||O\\S\\Neil&van^Mary\r" +
		"OBX|1|NM|GLU||5.4\r" +
		"OBX|2|NM|HGB||13.1\r"))
	fmt.Println(m.Get("PID-3-1"))    // first repetition, first component
	fmt.Println(m.Get("PID-3(2)-1")) // second repetition
	fmt.Println(m.Get("PID-3-4-2"))  // sub-component
	fmt.Println(m.Get("PID-5-1-2"))  // sub-component of the family name
	fmt.Println(m.Get("PID-5"))      // unescaped: \S\ is a literal ^
	fmt.Println(m.Get("OBX(2)-5"))   // second OBX
	// Output:
	// PAT0042
	// 7701011234567
	// 1.2.3
	// van
	// O^Neil
	// 13.1
}

func ExampleACK() {
	in, _ := hl7.Parse([]byte("MSH|^~\\&|CLINIC|C01|IMP|HQ|20240305091500||ORM^O01^ORM_O01|EMR-1|P|2.5.1\r" +
		"PID|1||H55^^^C01^MR\r" +
		"ORC|NW\r"))
	ack := hl7.ACK(in, hl7.AE,
		hl7.WithControlID("IMP-ACK-1"),
		hl7.WithTime(time.Date(2024, 3, 5, 9, 15, 1, 0, time.UTC)),
		hl7.WithError(hl7.ErrorDetail{
			Location: hl7.ERL{Segment: "ORC", Sequence: 1, Field: 2},
			Code:     hl7.CodeRequiredFieldMissing,
			Message:  "ORC-2 placer order number is required",
		}))
	for seg := range ack.Segments() {
		fmt.Println(seg.Raw())
	}
	// Output:
	// MSH|^~\&|IMP|HQ|CLINIC|C01|20240305091501+0000||ACK^O01^ACK|IMP-ACK-1|P|2.5.1
	// MSA|AE|EMR-1|ORC-2 placer order number is required
	// ERR||ORC^1^2|101^Required field missing^HL70357|E||||ORC-2 placer order number is required
}

func ExampleACKForError() {
	data := []byte("MSH|^~\\&|CLINIC|C01|IMP|HQ|20240305091500||ORM^O01|EMR-2|P|2.5.1\r" +
		"PID|1\r" +
		"this line is not a segment\r")
	_, err := hl7.Parse(data)
	ack := hl7.ACKForError(data, err)
	fmt.Println(ack.MSA().AckCode(), ack.MSA().ControlID(), ack.ERR().Code().Code)
	// Output:
	// AR EMR-2 100
}

func ExampleNewMessage() {
	m := hl7.NewMessage("ORM", "O01", "ORM_O01", hl7.Header{
		SendingApplication:   hl7.HD{NamespaceID: "IMP"},
		ReceivingApplication: hl7.HD{NamespaceID: "LIS"},
		Time:                 time.Date(2024, 3, 5, 9, 15, 0, 0, time.UTC),
		ControlID:            "IMP-1",
	})
	m.AddSegment("PID").Set(1, "1").
		SetValue(3, hl7.CX{ID: "PAT0042", AssigningAuthority: hl7.HD{NamespaceID: "LAB"}, TypeCode: "MR"}).
		SetValue(5, hl7.XPN{Family: "Srisuk", Given: "Malee"})
	m.AddSegment("ORC").Set(1, "NW").SetValue(2, hl7.EI{ID: "ORD1", NamespaceID: "IMP"})
	m.AddSegment("OBR").Set(1, "1").SetValue(4, hl7.CWE{Code: "2345-7", Text: "Glucose", System: "LN"}).
		Set(13, "fasting | 12h") // escaped for you
	if err := m.Err(); err != nil {
		fmt.Println(err)
		return
	}
	for seg := range m.Segments() {
		fmt.Println(seg.Raw())
	}
	// Output:
	// MSH|^~\&|IMP||LIS||20240305091500+0000||ORM^O01^ORM_O01|IMP-1|P|2.5.1
	// PID|1||PAT0042^^^LAB^MR||Srisuk^Malee
	// ORC|NW|ORD1^IMP
	// OBR|1|||2345-7^Glucose^LN|||||||||fasting \F\ 12h
}
