package hl7map_test

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/hl7map"
	"github.com/imp-health/imp/internal/lab"
)

// An MLLP listener classifies what arrives, decodes it, and answers AE or
// AR with the error's location when it cannot.
func ExampleClassify() {
	opt := hl7map.Options{AssigningAuthority: "IMP", Location: time.FixedZone("ICT", 7*3600)}
	for _, msg := range []string{
		"MSH|^~\\&|LIS|LAB|IMP|HQ|20240305143000||ORU^R01|L1|P|2.5.1\r" +
			"PID|1||CUST-1^^^IMP^PI\r" +
			"OBR|1|ACC-1^IMP||GLU^Glucose^L|||20240305080000|||||||||||||||20240305100000|||F\r" +
			"OBX|1|NM|GLU^Glucose^L||97|mg/dL|70-99|N|||F|||20240305090000||TECH01\r",
		"MSH|^~\\&|LIS|LAB|IMP|HQ|20240305143000||ORU^R01|L2|P|2.5.1\r" +
			"OBR|1|ACC-1^IMP||GLU^Glucose^L\r" +
			"OBX|1|NM|^Glucose||97|mg/dL|70-99|N|||F\r",
		"MSH|^~\\&|LIS|LAB|IMP|HQ|20240305143000||SIU^S12|L3|P|2.5.1\r",
	} {
		m, err := hl7.Parse([]byte(msg))
		if err != nil {
			fmt.Println(err)
			continue
		}
		kind := hl7map.Classify(m)
		switch kind {
		case hl7map.KindResults:
			rs, err := hl7map.DecodeResults(m, opt)
			if err != nil {
				var e *hl7map.Error
				if !errors.As(err, &e) {
					panic(err)
				}
				ack := hl7.ACK(m, e.AckCode(), hl7.WithError(e.Detail()))
				fmt.Println(kind, ack.MSA().AckCode(), e)
				continue
			}
			for _, r := range rs {
				fmt.Println(kind, r.ResultKey(), r.Value, r.Unit, r.Status, r.CustomerID)
			}
		case hl7map.KindUnsupported:
			e := hl7map.Unsupported(m)
			fmt.Println(kind, e.AckCode(), e.Code, e)
		}
	}
	// Output:
	// results ACC-1/GLU 97 mg/dL final CUST-1
	// results AE OBX(1)-3: missing test code
	// unsupported AR 200 MSH-9-1: message type SIU^S12 is not supported
}

func ExampleEncodeORM() {
	opt := hl7map.Options{
		SendingApplication:   hl7.HD{NamespaceID: "IMP"},
		ReceivingApplication: hl7.HD{NamespaceID: "LIS"},
		AssigningAuthority:   "IMP",
		MessageID:            "018e0f5a-3c2b-7d4e-9a1b-2c3d4e5f6a7b",
		Now:                  func() time.Time { return time.Date(2024, 3, 5, 7, 30, 0, 0, time.UTC) },
	}
	order := lab.Order{
		AccessionNumber:   "ACC-1",
		CustomerID:        "CUST-1",
		OrderingClinician: lab.Clinician{ID: "DR-1", Name: "Anan Wong"},
		Tests:             []lab.OrderTest{{Code: "GLU"}},
		Priority:          lab.PriorityStat,
		OrderedAt:         time.Date(2024, 3, 5, 7, 0, 0, 0, time.UTC),
		Status:            lab.StatusOrdered,
	}
	catalog := map[string]lab.Test{"GLU": {Code: "GLU", Name: "Glucose", LOINC: "2345-7"}}
	data, controlID, err := hl7map.EncodeORM(order, lab.Customer{ID: "CUST-1", FamilyName: "Srisuk"}, catalog, opt)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(controlID == hl7map.ControlID(opt.MessageID))
	fmt.Print(strings.ReplaceAll(string(data), "\r", "\n"))
	// Output:
	// true
	// MSH|^~\&|IMP||LIS||20240305073000+0000||ORM^O01^ORM_O01|IMP34TEAVSRDFUDJKAT8|P|2.5.1
	// PID|1||CUST-1^^^IMP^MR||Srisuk
	// PV1|1|O
	// ORC|NW|ACC-1^IMP||ACC-1^IMP|SC||^^^^^S||20240305070000+0000|||DR-1^Anan Wong
	// TQ1|1||||||||S^Stat^HL70485
	// OBR|1|ACC-1^IMP||2345-7^Glucose^LN^GLU^Glucose^L||||||||||||DR-1^Anan Wong|||||||||||^^^^^S
}
