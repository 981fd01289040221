package lab

import (
	"strings"
	"time"
)

// Priority is how fast an order must be processed.
type Priority string

// The priorities IMP knows. "asap" is accepted as a synonym of urgent and
// normalised to it by Order.Validate.
const (
	PriorityRoutine Priority = "routine"
	PriorityUrgent  Priority = "urgent"
	PriorityStat    Priority = "stat"
)

// Priorities lists every priority, slowest first.
var Priorities = []Priority{PriorityRoutine, PriorityUrgent, PriorityStat}

// Valid reports whether p is a known priority (not the "asap" synonym).
func (p Priority) Valid() bool {
	return p == PriorityRoutine || p == PriorityUrgent || p == PriorityStat
}

// PriorityFromHL7 maps an HL7 v2 priority (TQ1-9 / OBR-27.6, table 0485):
// R → routine, A (ASAP) → urgent, S → stat. Other codes (P pre-op, C
// callback, T timing critical, ...) report false; callers decide.
func PriorityFromHL7(code string) (Priority, bool) {
	switch strings.ToUpper(strings.TrimSpace(code)) {
	case "R":
		return PriorityRoutine, true
	case "A":
		return PriorityUrgent, true
	case "S":
		return PriorityStat, true
	}
	return "", false
}

// HL7 maps p to an HL7 v2 priority code (table 0485), or "" when unknown.
func (p Priority) HL7() string {
	switch p {
	case PriorityRoutine:
		return "R"
	case PriorityUrgent, "asap":
		return "A"
	case PriorityStat:
		return "S"
	}
	return ""
}

// Clinician is the person who ordered the tests.
type Clinician struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// OrderTest is one test requested by an order. Name is informational; the
// catalog's name wins (CheckAgainst fills it in when empty).
type OrderTest struct {
	Code string `json:"code"`
	Name string `json:"name,omitempty"`
}

// Specimen is one sample taken for an order.
type Specimen struct {
	ID          string       `json:"id"`
	Type        SpecimenType `json:"type"`
	CollectedAt time.Time    `json:"collected_at,omitzero"`
}

// Order is a request for lab tests, keyed by its accession number. Version
// orders updates from the source system: a record with a lower version than
// the stored one is stale and never applied.
type Order struct {
	AccessionNumber   string      `json:"accession_number"`
	Version           int64       `json:"version"`
	CustomerID        string      `json:"customer_id"`
	OrderingClinician Clinician   `json:"ordering_clinician"`
	PartnerID         string      `json:"partner_id,omitempty"` // clinic or partner the order came from
	Tests             []OrderTest `json:"tests"`
	Specimens         []Specimen  `json:"specimens,omitempty"`
	Priority          Priority    `json:"priority"`
	Notes             string      `json:"notes,omitempty"`
	OrderedAt         time.Time   `json:"ordered_at"`
	Status            Status      `json:"status"`
	UpdatedAt         time.Time   `json:"updated_at,omitzero"`
}

// Validate checks the order's structure, field by field, and names each one
// that is wrong. It sets Priority to routine and Status to ordered when
// they are empty, and "asap" to urgent. Whether the tests and the customer
// exist is CheckAgainst's job.
func (o *Order) Validate() error {
	var p Problems
	p.ID("accession_number", o.AccessionNumber)
	p.NonNegative("version", o.Version)
	p.ID("customer_id", o.CustomerID)
	p.ID("ordering_clinician.id", o.OrderingClinician.ID)
	if p.Required("ordering_clinician.name", o.OrderingClinician.Name) {
		p.MaxLen("ordering_clinician.name", o.OrderingClinician.Name, 200)
	}
	p.OptionalID("partner_id", o.PartnerID)
	if len(o.Tests) == 0 {
		p.Add("tests", "must list at least one test")
	}
	seen := make(map[string]int, len(o.Tests))
	for i, t := range o.Tests {
		path := elem("tests", i)
		p.ID(path+".code", t.Code)
		if j, dup := seen[t.Code]; dup && t.Code != "" {
			p.Add(path+".code", "duplicates %s.code", elem("tests", j))
		} else {
			seen[t.Code] = i
		}
		p.MaxLen(path+".name", t.Name, 200)
	}
	specimens := make(map[string]int, len(o.Specimens))
	for i, s := range o.Specimens {
		path := elem("specimens", i)
		p.ID(path+".id", s.ID)
		if j, dup := specimens[s.ID]; dup && s.ID != "" {
			p.Add(path+".id", "duplicates %s.id", elem("specimens", j))
		} else {
			specimens[s.ID] = i
		}
		if p.Required(path+".type", string(s.Type)) && !s.Type.Valid() {
			p.Add(path+".type", "must be one of "+specimenTypeList)
		}
	}
	switch o.Priority {
	case "":
		o.Priority = PriorityRoutine
	case "asap":
		o.Priority = PriorityUrgent
	default:
		if !o.Priority.Valid() {
			p.Add("priority", "must be one of routine, urgent (or asap), stat")
		}
	}
	p.MaxLen("notes", o.Notes, 2000)
	p.RequiredTime("ordered_at", o.OrderedAt)
	if o.Status == "" {
		o.Status = StatusOrdered
	} else if !o.Status.Valid() {
		p.Add("status", "must be one of "+statusList)
	}
	return p.Err()
}

// CheckAgainst checks the order against the test catalog and the customer
// master, as the lis-orders consumer must before sending it to the LIS: it
// names each test code that is unknown or inactive ("tests[1].code") and an
// unknown customer ("customer_id"). It fills in a test's name from the
// catalog when the order left it empty. Blank codes and customer ids are
// Validate's to report and are skipped here; a nil lookup skips its check.
func (o *Order) CheckAgainst(catalog func(code string) (Test, bool), customerExists func(id string) bool) error {
	var p Problems
	if customerExists != nil && o.CustomerID != "" && !customerExists(o.CustomerID) {
		p.Add("customer_id", "is not in the customer master")
	}
	if catalog != nil {
		for i := range o.Tests {
			t := &o.Tests[i]
			if t.Code == "" {
				continue
			}
			entry, ok := catalog(t.Code)
			switch {
			case !ok:
				p.Add(elem("tests", i)+".code", "is not in the test catalog")
			case !entry.Active:
				p.Add(elem("tests", i)+".code", "is an inactive test")
			case t.Name == "":
				t.Name = entry.Name
			}
		}
	}
	return p.Err()
}
