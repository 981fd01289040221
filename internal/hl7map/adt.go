package hl7map

import (
	"strconv"
	"strings"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/lab"
)

// EncodeADT encodes a customer for the LIS patient registry: ADT^A04
// (register a patient) for a new customer, ADT^A08 (update patient
// information) for a changed one. Both use the ADT_A01 structure: MSH; EVN
// with the event type and the recorded time (MSH-7); PID as in EncodeORM;
// PV1 (outpatient), which the structure requires. The control id is
// returned beside the message.
func EncodeADT(c lab.Customer, trigger string, opt Options) ([]byte, string, error) {
	trigger = strings.ToUpper(trigger)
	if trigger != "A04" && trigger != "A08" {
		return nil, "", cannotEncode("trigger", "must be A04 (register) or A08 (update)")
	}
	if c.ID == "" {
		return nil, "", cannotEncode("id", "is required")
	}
	v := opt.version()
	m := hl7.NewMessage("ADT", trigger, structure(v, "ADT_A01"),
		opt.header(v, "ADT|"+trigger+"|"+c.ID+"|"+strconv.FormatInt(c.Version, 10)))
	m.AddSegment("EVN").Set(1, trigger).Set(2, m.MSH().DateTime())
	writePID(m, c, opt)
	m.AddSegment("PV1").Set(1, "1").Set(2, "O")
	if err := m.Err(); err != nil {
		return nil, "", err
	}
	return m.Encode(), m.ControlID(), nil
}
