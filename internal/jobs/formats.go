package jobs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/lab"
)

// An OrderFormat turns a partner's own order document into canonical
// records: the order and, when the document carries the patient, the
// customer.
type OrderFormat func(partnerID string, payload json.RawMessage) (lab.Order, *lab.Customer, error)

var formats = map[string]OrderFormat{"flat-json": flatJSON}

// RegisterFormat adds an order format (the HL7 one is registered by the
// package that owns the HL7 mapping).
func RegisterFormat(name string, f OrderFormat) { formats[name] = f }

// Formats lists the known order formats.
func Formats() []string {
	out := make([]string, 0, len(formats))
	for k := range formats {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ParseOrder converts a partner order with the named format.
func ParseOrder(format, partnerID string, payload json.RawMessage) (lab.Order, *lab.Customer, error) {
	f, ok := formats[format]
	if !ok {
		return lab.Order{}, nil, fmt.Errorf("unknown order format %q", format)
	}
	return f(partnerID, payload)
}

// flatOrder is the flat JSON many small partners send: one object, the
// tests as a comma-separated string or a list, their own order number.
type flatOrder struct {
	PartnerOrderID string          `json:"partner_order_id"`
	Patient        flatPatient     `json:"patient"`
	Doctor         lab.Clinician   `json:"doctor"`
	Tests          json.RawMessage `json:"tests"`
	Priority       string          `json:"priority"`
	CollectedAt    string          `json:"collected_at"`
	Notes          string          `json:"notes"`
}

type flatPatient struct {
	ID        string `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	DOB       string `json:"dob"`
	Sex       string `json:"sex"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
}

var unsafeID = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func flatJSON(partnerID string, payload json.RawMessage) (lab.Order, *lab.Customer, error) {
	var f flatOrder
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return lab.Order{}, nil, fmt.Errorf("payload: %w", err)
	}
	var codes []string
	if err := json.Unmarshal(f.Tests, &codes); err != nil {
		var s string
		if err := json.Unmarshal(f.Tests, &s); err != nil {
			return lab.Order{}, nil, fmt.Errorf("payload.tests: a list or a comma-separated string of test codes")
		}
		for c := range strings.SplitSeq(s, ",") {
			if c = strings.TrimSpace(c); c != "" {
				codes = append(codes, c)
			}
		}
	}
	o := lab.Order{
		// The partner's number, namespaced by partner, is the accession:
		// the same partner order always maps to the same IMP order.
		AccessionNumber:   unsafeID.ReplaceAllString(partnerID+"-"+f.PartnerOrderID, "_"),
		CustomerID:        f.Patient.ID,
		OrderingClinician: f.Doctor,
		PartnerID:         partnerID,
		Notes:             f.Notes,
		OrderedAt:         time.Now().UTC(),
	}
	if f.PartnerOrderID == "" {
		return o, nil, fmt.Errorf("payload.partner_order_id: is required")
	}
	for _, c := range codes {
		o.Tests = append(o.Tests, lab.OrderTest{Code: strings.ToUpper(c)})
	}
	switch strings.ToLower(f.Priority) {
	case "", "r", "routine":
		o.Priority = lab.PriorityRoutine
	case "a", "asap", "urgent":
		o.Priority = lab.PriorityUrgent
	case "s", "stat":
		o.Priority = lab.PriorityStat
	default:
		return o, nil, fmt.Errorf("payload.priority: routine, urgent or stat")
	}
	if f.CollectedAt != "" {
		at, err := time.Parse(time.RFC3339, f.CollectedAt)
		if err != nil {
			return o, nil, fmt.Errorf("payload.collected_at: RFC 3339 time")
		}
		o.Specimens = []lab.Specimen{{ID: o.AccessionNumber + "-S1", Type: lab.SpecimenType("other"), CollectedAt: at}}
	}
	var c *lab.Customer
	if f.Patient.LastName != "" {
		c = &lab.Customer{ID: f.Patient.ID, GivenName: f.Patient.FirstName, FamilyName: f.Patient.LastName,
			BirthDate: f.Patient.DOB, Sex: strings.ToUpper(f.Patient.Sex), Email: f.Patient.Email, Phone: f.Patient.Phone,
			PartnerID: partnerID, Tier: lab.TierB2B}
	}
	return o, c, nil
}
