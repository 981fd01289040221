package hl7map

import (
	"strings"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/lab"
)

// The PID: customers are written to and read from it the same way in
// every message type.

// writePID adds PID-1, PID-3 (the customer id, type MR, assigned by
// Options.AssigningAuthority), PID-5 (family^given), PID-7, PID-8 and
// PID-13 (phone, then e-mail as a NET/Internet repetition).
func writePID(m *hl7.Message, c lab.Customer, opt Options) {
	pid := m.AddSegment("PID").Set(1, "1").
		SetValue(3, hl7.CX{ID: c.ID, AssigningAuthority: hl7.HD{NamespaceID: opt.AssigningAuthority}, TypeCode: "MR"})
	if c.FamilyName != "" || c.GivenName != "" {
		pid.SetValue(5, hl7.XPN{Family: c.FamilyName, Given: c.GivenName})
	}
	pid.Set(7, hl7Date(c.BirthDate)).Set(8, c.Sex)
	var tel []hl7.FieldValue
	if c.Phone != "" {
		tel = append(tel, hl7.XTN{Number: c.Phone, UseCode: "PRN", EquipmentType: "PH"})
	}
	if c.Email != "" {
		tel = append(tel, hl7.XTN{UseCode: "NET", EquipmentType: "Internet", Email: c.Email})
	}
	if len(tel) > 0 {
		pid.SetValue(13, tel...)
	}
}

// readCustomer maps a PID to a customer: id per customerID, names, birth
// date, sex, and from PID-13/PID-14 the first phone number and the first
// e-mail address.
func readCustomer(seg hl7.Segment, opt Options) lab.Customer {
	pid := hl7.PID{Segment: seg}
	id, _ := customerID(seg, opt.AssigningAuthority)
	name := pid.PatientName()
	c := lab.Customer{
		ID:         id,
		FamilyName: name.Family,
		GivenName:  strings.TrimSpace(strings.Join(nonEmpty(name.Given, name.Middle), " ")),
		BirthDate:  labDate(pid.BirthDate()),
		Sex:        strings.ToUpper(pid.Sex()),
	}
	for _, f := range [...]int{13, 14} {
		v := seg.Field(f)
		for i := 1; i <= v.Reps(); i++ {
			x := hl7.DecodeXTN(v.Rep(i))
			// XTN-4 is the e-mail component, but senders fill it with other
			// things; the use code or equipment type says what the entry is.
			email := strings.EqualFold(x.UseCode, "NET") || strings.EqualFold(x.EquipmentType, "Internet") ||
				strings.EqualFold(x.EquipmentType, "X.400")
			switch {
			case email:
				if c.Email == "" {
					c.Email = firstNonEmpty(x.Email, x.Number)
				}
			case c.Phone == "":
				c.Phone = x.Phone()
			}
		}
	}
	return c
}

func nonEmpty(s ...string) []string {
	out := s[:0:0]
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// customerID picks the customer id from PID-3: the repetition assigned by
// authority when given, else the first repetition with an id. rep is the
// repetition used, 0 when there is none.
func customerID(pid hl7.Segment, authority string) (id string, rep int) {
	f := pid.Field(3)
	n := f.Reps()
	first, firstRep := "", 0
	for i := 1; i <= n; i++ {
		cx := hl7.DecodeCX(f.Rep(i))
		if cx.ID == "" {
			continue
		}
		if authority != "" && (cx.AssigningAuthority.NamespaceID == authority || cx.AssigningAuthority.UniversalID == authority) {
			return cx.ID, i
		}
		if firstRep == 0 {
			first, firstRep = cx.ID, i
		}
	}
	return first, firstRep
}
