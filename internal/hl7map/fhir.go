package hl7map

import (
	"crypto/sha1" //nolint:gosec // RFC 9562 name-based UUIDs (version 5) are defined with SHA-1; nothing secret is hashed.
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/msgid"
)

// FHIR R4 output, for partners that take FHIR instead of HL7 v2. Only the
// elements IMP fills are declared; the structs marshal to valid R4 JSON
// with encoding/json.
//
// Resource ids are name-based UUIDs (RFC 9562 version 5) of what the
// resource stands for ("Observation/<accession>/<test code>"), so the same
// record always gets the same id and a partner can upsert by it; entries
// refer to each other by "urn:uuid:" full URLs, as a collection bundle
// allows.

// FHIR code systems IMP writes.
const (
	SystemLOINC          = "http://loinc.org"
	SystemUCUM           = "http://unitsofmeasure.org"
	SystemInterpretation = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
	SystemObsCategory    = "http://terminology.hl7.org/CodeSystem/observation-category"
	SystemDiagService    = "http://terminology.hl7.org/CodeSystem/v2-0074"
	SystemSpecimenType   = "http://terminology.hl7.org/CodeSystem/v2-0487"
	SystemSNOMED         = "http://snomed.info/sct"
)

// Bundle is a FHIR Bundle of type collection.
type Bundle struct {
	ResourceType string        `json:"resourceType"`
	ID           string        `json:"id"`
	Type         string        `json:"type"`
	Timestamp    string        `json:"timestamp,omitempty"`
	Entry        []BundleEntry `json:"entry"`
}

// BundleEntry is one resource of a Bundle: *Patient, *ServiceRequest,
// *Specimen, *DiagnosticReport or *Observation.
type BundleEntry struct {
	FullURL  string `json:"fullUrl"`
	Resource any    `json:"resource"`
}

// Identifier is a FHIR Identifier.
type Identifier struct {
	System string `json:"system,omitempty"`
	Value  string `json:"value"`
}

// Coding is a FHIR Coding.
type Coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

// CodeableConcept is a FHIR CodeableConcept.
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// Reference is a FHIR Reference, by URL or by identifier.
type Reference struct {
	Reference  string      `json:"reference,omitempty"`
	Identifier *Identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

// Annotation is a FHIR Annotation (a note).
type Annotation struct {
	Text string `json:"text"`
}

// Quantity is a FHIR Quantity. Value keeps the number as the lab reported
// it ("4.10" stays 4.10).
type Quantity struct {
	Value      json.Number `json:"value"`
	Comparator string      `json:"comparator,omitempty"`
	Unit       string      `json:"unit,omitempty"`
	System     string      `json:"system,omitempty"`
	Code       string      `json:"code,omitempty"`
}

// HumanName is a FHIR HumanName.
type HumanName struct {
	Family string   `json:"family,omitempty"`
	Given  []string `json:"given,omitempty"`
}

// ContactPoint is a FHIR ContactPoint.
type ContactPoint struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

// Patient is a FHIR Patient.
type Patient struct {
	ResourceType string         `json:"resourceType"`
	ID           string         `json:"id"`
	Identifier   []Identifier   `json:"identifier"`
	Name         []HumanName    `json:"name,omitempty"`
	Telecom      []ContactPoint `json:"telecom,omitempty"`
	Gender       string         `json:"gender,omitempty"`
	BirthDate    string         `json:"birthDate,omitempty"`
}

// ServiceRequest is a FHIR ServiceRequest: one ordered test.
type ServiceRequest struct {
	ResourceType string            `json:"resourceType"`
	ID           string            `json:"id"`
	Requisition  Identifier        `json:"requisition"`
	Status       string            `json:"status"`
	Intent       string            `json:"intent"`
	Category     []CodeableConcept `json:"category"`
	Priority     string            `json:"priority,omitempty"`
	Code         CodeableConcept   `json:"code"`
	Subject      Reference         `json:"subject"`
	AuthoredOn   string            `json:"authoredOn,omitempty"`
	Requester    *Reference        `json:"requester,omitempty"`
	Specimen     []Reference       `json:"specimen,omitempty"`
	Note         []Annotation      `json:"note,omitempty"`
}

// Specimen is a FHIR Specimen.
type Specimen struct {
	ResourceType string             `json:"resourceType"`
	ID           string             `json:"id"`
	Identifier   []Identifier       `json:"identifier"`
	Type         CodeableConcept    `json:"type"`
	Subject      Reference          `json:"subject"`
	Collection   *SpecimenCollected `json:"collection,omitempty"`
}

// SpecimenCollected is Specimen.collection.
type SpecimenCollected struct {
	CollectedDateTime string `json:"collectedDateTime"`
}

// DiagnosticReport is a FHIR DiagnosticReport: the report of one order.
type DiagnosticReport struct {
	ResourceType      string            `json:"resourceType"`
	ID                string            `json:"id"`
	Identifier        []Identifier      `json:"identifier"`
	Status            string            `json:"status"`
	Category          []CodeableConcept `json:"category"`
	Code              CodeableConcept   `json:"code"`
	Subject           Reference         `json:"subject"`
	EffectiveDateTime string            `json:"effectiveDateTime,omitempty"`
	Issued            string            `json:"issued,omitempty"`
	Result            []Reference       `json:"result"`
}

// Observation is a FHIR Observation: one test's result.
type Observation struct {
	ResourceType      string            `json:"resourceType"`
	ID                string            `json:"id"`
	Status            string            `json:"status"`
	Category          []CodeableConcept `json:"category"`
	Code              CodeableConcept   `json:"code"`
	Subject           Reference         `json:"subject"`
	EffectiveDateTime string            `json:"effectiveDateTime,omitempty"`
	Issued            string            `json:"issued,omitempty"`
	Performer         []Reference       `json:"performer,omitempty"`
	ValueQuantity     *Quantity         `json:"valueQuantity,omitempty"`
	ValueString       string            `json:"valueString,omitempty"`
	Interpretation    []CodeableConcept `json:"interpretation,omitempty"`
	Note              []Annotation      `json:"note,omitempty"`
	ReferenceRange    []ReferenceRange  `json:"referenceRange,omitempty"`
}

// ReferenceRange is Observation.referenceRange.
type ReferenceRange struct {
	Low  *Quantity `json:"low,omitempty"`
	High *Quantity `json:"high,omitempty"`
	Text string    `json:"text,omitempty"`
}

// FHIRServiceRequest renders an order as a collection Bundle: the Patient,
// a Specimen per specimen, and a ServiceRequest per test. The
// ServiceRequests share the accession number as their requisition (FHIR's
// grouping of the requests of one order), point at the specimens their
// test is done on (as EncodeOML chooses them), and carry the status
// (active; completed once verified or released; revoked when cancelled),
// priority, ordering clinician and, on the first, the order's notes.
func FHIRServiceRequest(o lab.Order, c lab.Customer, tests map[string]lab.Test, opt Options) (*Bundle, error) {
	if o.AccessionNumber == "" {
		return nil, cannotEncode("accession_number", "is required")
	}
	if len(o.Tests) == 0 {
		return nil, cannotEncode("tests", "must list at least one test")
	}
	if c.ID == "" {
		c.ID = o.CustomerID
	}
	if c.ID == "" {
		return nil, cannotEncode("customer_id", "is required")
	}
	loc := opt.location()
	b := &Bundle{ResourceType: "Bundle", ID: nameUUID("Bundle/order/" + o.AccessionNumber + "/" + itoa64(o.Version)), Type: "collection"}
	patient := fhirPatient(c, opt)
	subject := Reference{Reference: "urn:uuid:" + patient.ID}
	b.add(patient.ID, patient)

	specURL := make([]string, len(o.Specimens))
	for i, s := range o.Specimens {
		sp := &Specimen{
			ResourceType: "Specimen",
			ID:           nameUUID("Specimen/" + o.AccessionNumber + "/" + s.ID),
			Identifier:   []Identifier{{Value: s.ID}},
			Type:         specimenConcept(s.Type),
			Subject:      subject,
		}
		if !s.CollectedAt.IsZero() {
			sp.Collection = &SpecimenCollected{CollectedDateTime: fhirTime(s.CollectedAt, loc)}
		}
		specURL[i] = "urn:uuid:" + sp.ID
		b.add(sp.ID, sp)
	}

	status := "active"
	switch o.Status {
	case lab.StatusVerified, lab.StatusReleased:
		status = "completed"
	case lab.StatusCancelled:
		status = "revoked"
	}
	var requester *Reference
	if o.OrderingClinician.ID != "" || o.OrderingClinician.Name != "" {
		requester = &Reference{Display: o.OrderingClinician.Name}
		if o.OrderingClinician.ID != "" {
			requester.Identifier = &Identifier{Value: o.OrderingClinician.ID}
		}
	}
	for i, t := range o.Tests {
		sr := &ServiceRequest{
			ResourceType: "ServiceRequest",
			ID:           nameUUID("ServiceRequest/" + o.AccessionNumber + "/" + t.Code),
			Requisition:  Identifier{System: opt.accessionSystem(), Value: o.AccessionNumber},
			Status:       status,
			Intent:       "order",
			Category: []CodeableConcept{{Coding: []Coding{{System: SystemSNOMED, Code: "108252007",
				Display: "Laboratory procedure"}}}},
			Priority:   fhirPriority(o.Priority),
			Code:       testConcept(t.Code, t.Name, tests, opt),
			Subject:    subject,
			AuthoredOn: fhirTime(o.OrderedAt, loc),
			Requester:  requester,
		}
		for _, j := range specimensFor(t.Code, o.Specimens, tests) {
			sr.Specimen = append(sr.Specimen, Reference{Reference: specURL[j]})
		}
		if i == 0 && o.Notes != "" {
			sr.Note = []Annotation{{Text: o.Notes}}
		}
		b.add(sr.ID, sr)
	}
	return b, nil
}

// FHIRResultBundle renders the results of an order as a collection Bundle:
// the Patient, a DiagnosticReport for the order (identified by the
// accession number, LOINC 11502-2 "Laboratory report") and an Observation
// per result:
//
//   - status: final, amended (corrected), preliminary or cancelled; the
//     report is cancelled when every result is, else amended when one is
//     corrected, partial when some are preliminary, preliminary when all
//     are, final otherwise;
//   - code: the LOINC coding when the catalog (or the test code itself)
//     gives one, and the local code, with the test's name as text;
//   - value: valueQuantity (UCUM unit, comparator for "<x" and ">x") for
//     numeric results, valueString otherwise, none for a cancelled result
//     without a value;
//   - interpretation: the abnormal flag as a v3 ObservationInterpretation
//     code (N, L, H, LL, HH, A, AA);
//   - referenceRange: the range text, with low and high when it reads as
//     "a-b", "<b" or ">a";
//   - effectiveDateTime observed_at, issued verified_at, performer the
//     verifier (by identifier) and the performing lab, note the comments.
func FHIRResultBundle(o lab.Order, c lab.Customer, rs []lab.Result, tests map[string]lab.Test, opt Options) (*Bundle, error) {
	if o.AccessionNumber == "" {
		return nil, cannotEncode("accession_number", "is required")
	}
	if len(rs) == 0 {
		return nil, cannotEncode("results", "must hold at least one result")
	}
	var maxVersion int64
	for i, r := range rs {
		if r.AccessionNumber != o.AccessionNumber {
			return nil, cannotEncode("results["+itoa(i)+"].accession_number", "does not match the order")
		}
		maxVersion = max(maxVersion, r.Version)
	}
	if c.ID == "" {
		c.ID = firstNonEmpty(o.CustomerID, rs[0].CustomerID)
	}
	if c.ID == "" {
		return nil, cannotEncode("customer_id", "is required")
	}
	loc := opt.location()
	b := &Bundle{ResourceType: "Bundle", ID: nameUUID("Bundle/results/" + o.AccessionNumber + "/" + itoa64(maxVersion)), Type: "collection"}
	patient := fhirPatient(c, opt)
	subject := Reference{Reference: "urn:uuid:" + patient.ID}
	b.add(patient.ID, patient)

	report := &DiagnosticReport{
		ResourceType: "DiagnosticReport",
		ID:           nameUUID("DiagnosticReport/" + o.AccessionNumber),
		Identifier:   []Identifier{{System: opt.accessionSystem(), Value: o.AccessionNumber}},
		Status:       reportStatus(rs),
		Category: []CodeableConcept{{Coding: []Coding{{System: SystemDiagService, Code: "LAB",
			Display: "Laboratory"}}}},
		Code:    CodeableConcept{Coding: []Coding{{System: SystemLOINC, Code: "11502-2", Display: "Laboratory report"}}, Text: "Laboratory report"},
		Subject: subject,
	}
	b.add(report.ID, report)

	var effective, issued time.Time
	for _, r := range rs {
		name := ""
		for _, t := range o.Tests {
			if t.Code == r.TestCode {
				name = t.Name
			}
		}
		obs := &Observation{
			ResourceType: "Observation",
			ID:           nameUUID("Observation/" + r.AccessionNumber + "/" + r.TestCode),
			Status:       observationStatus(r.Status),
			Category: []CodeableConcept{{Coding: []Coding{{System: SystemObsCategory, Code: "laboratory",
				Display: "Laboratory"}}}},
			Code:              testConcept(r.TestCode, name, tests, opt),
			Subject:           subject,
			EffectiveDateTime: fhirTime(r.ObservedAt, loc),
			Issued:            fhirTime(r.VerifiedAt, loc),
		}
		if r.VerifiedBy != "" {
			obs.Performer = append(obs.Performer, Reference{Identifier: &Identifier{Value: r.VerifiedBy}})
		}
		if r.PerformingLab != "" {
			obs.Performer = append(obs.Performer, Reference{Display: r.PerformingLab})
		}
		if q, ok := quantity(r); ok {
			obs.ValueQuantity = q
		} else {
			obs.ValueString = r.Value
		}
		if r.AbnormalFlag != lab.FlagNone {
			obs.Interpretation = []CodeableConcept{{Coding: []Coding{{System: SystemInterpretation,
				Code: string(r.AbnormalFlag), Display: flagDisplay[r.AbnormalFlag]}}}}
		}
		for _, cm := range r.Comments {
			obs.Note = append(obs.Note, Annotation{Text: cm})
		}
		if r.ReferenceRange != "" {
			obs.ReferenceRange = []ReferenceRange{referenceRange(r.ReferenceRange, r.Unit)}
		}
		report.Result = append(report.Result, Reference{Reference: "urn:uuid:" + obs.ID})
		b.add(obs.ID, obs)
		if !r.ObservedAt.IsZero() && (effective.IsZero() || r.ObservedAt.Before(effective)) {
			effective = r.ObservedAt
		}
		if r.VerifiedAt.After(issued) {
			issued = r.VerifiedAt
		}
	}
	report.EffectiveDateTime = fhirTime(effective, loc)
	report.Issued = fhirTime(issued, loc)
	b.Timestamp = report.Issued
	return b, nil
}

func (b *Bundle) add(id string, r any) {
	b.Entry = append(b.Entry, BundleEntry{FullURL: "urn:uuid:" + id, Resource: r})
}

func fhirPatient(c lab.Customer, opt Options) *Patient {
	p := &Patient{
		ResourceType: "Patient",
		ID:           nameUUID("Patient/" + c.ID),
		Identifier:   []Identifier{{System: opt.patientSystem(), Value: c.ID}},
		BirthDate:    c.BirthDate,
		Gender:       map[string]string{"F": "female", "M": "male", "O": "other", "A": "other", "U": "unknown", "N": "unknown"}[c.Sex],
	}
	if c.FamilyName != "" || c.GivenName != "" {
		n := HumanName{Family: c.FamilyName}
		if c.GivenName != "" {
			n.Given = strings.Fields(c.GivenName)
		}
		p.Name = []HumanName{n}
	}
	if c.Phone != "" {
		p.Telecom = append(p.Telecom, ContactPoint{System: "phone", Value: c.Phone})
	}
	if c.Email != "" {
		p.Telecom = append(p.Telecom, ContactPoint{System: "email", Value: c.Email})
	}
	return p
}

// testConcept codes a test: LOINC when known, then IMP's local code.
func testConcept(code, name string, tests map[string]lab.Test, opt Options) CodeableConcept {
	if t, ok := tests[code]; ok && t.Name != "" {
		name = t.Name
	}
	cc := CodeableConcept{Text: name}
	if l := loincOf(code, tests); l != "" {
		cc.Coding = append(cc.Coding, Coding{System: SystemLOINC, Code: l, Display: name})
	}
	cc.Coding = append(cc.Coding, Coding{System: opt.codeSystem(), Code: code, Display: name})
	return cc
}

func specimenConcept(t lab.SpecimenType) CodeableConcept {
	c, ok := specimenCodes[t]
	if !ok {
		return CodeableConcept{Text: string(t)}
	}
	system := SystemSpecimenType
	if c.System == "L" {
		system = ""
	}
	return CodeableConcept{Coding: []Coding{{System: system, Code: c.Code, Display: c.Text}}, Text: c.Text}
}

func fhirPriority(p lab.Priority) string {
	switch p {
	case lab.PriorityRoutine, lab.PriorityUrgent, lab.PriorityStat:
		return string(p)
	case "asap":
		return "urgent"
	}
	return ""
}

func observationStatus(s lab.ResultStatus) string {
	switch s {
	case lab.ResultPreliminary:
		return "preliminary"
	case lab.ResultFinal:
		return "final"
	case lab.ResultCorrected:
		return "amended"
	case lab.ResultCancelled:
		return "cancelled"
	}
	return "unknown"
}

func reportStatus(rs []lab.Result) string {
	var prelim, cancelled, corrected int
	for _, r := range rs {
		switch r.Status {
		case lab.ResultPreliminary:
			prelim++
		case lab.ResultCancelled:
			cancelled++
		case lab.ResultCorrected:
			corrected++
		}
	}
	switch {
	case cancelled == len(rs):
		return "cancelled"
	case corrected > 0:
		return "amended"
	case prelim == len(rs)-cancelled:
		return "preliminary"
	case prelim > 0:
		return "partial"
	}
	return "final"
}

var flagDisplay = map[lab.AbnormalFlag]string{
	lab.FlagNormal: "Normal", lab.FlagLow: "Low", lab.FlagHigh: "High",
	lab.FlagCriticalLow: "Critical low", lab.FlagCriticalHigh: "Critical high",
	lab.FlagAbnormal: "Abnormal", lab.FlagCriticalAbnormal: "Critical abnormal",
}

// quantity renders a numeric result as a FHIR Quantity.
func quantity(r lab.Result) (*Quantity, bool) {
	if r.Value == "" || r.ValueType == lab.ValueText || r.ValueType == lab.ValueCoded || !numeric(r.Value) {
		return nil, false
	}
	q := &Quantity{}
	v := r.Value
	if v[0] == '<' || v[0] == '>' {
		q.Comparator, v = v[:1], strings.TrimPrefix(v[1:], " ")
	}
	q.Value = jsonNumber(v)
	if r.Unit != "" {
		q.Unit, q.System, q.Code = r.Unit, SystemUCUM, r.Unit
	}
	return q, true
}

// referenceRange reads "a-b", "<b", "<=b", ">a" and ">=a" into limits; the
// text is always kept.
func referenceRange(text, unit string) ReferenceRange {
	rr := ReferenceRange{Text: text}
	qty := func(s string) *Quantity {
		s = strings.TrimSpace(s)
		if s == "" || !numeric(s) || s[0] == '<' || s[0] == '>' {
			return nil
		}
		q := &Quantity{Value: jsonNumber(s)}
		if unit != "" {
			q.Unit, q.System, q.Code = unit, SystemUCUM, unit
		}
		return q
	}
	s := strings.TrimSpace(text)
	switch {
	case strings.HasPrefix(s, "<"):
		rr.High = qty(strings.TrimPrefix(s[1:], "="))
	case strings.HasPrefix(s, ">"):
		rr.Low = qty(strings.TrimPrefix(s[1:], "="))
	case len(s) > 1:
		if i := strings.IndexByte(s[1:], '-'); i >= 0 {
			lo, hi := qty(s[:i+1]), qty(s[i+2:])
			if lo != nil && hi != nil {
				rr.Low, rr.High = lo, hi
			}
		}
	}
	return rr
}

// jsonNumber turns a lab decimal ("+1", ".5", "007.50") into a valid JSON
// number, keeping its precision.
func jsonNumber(s string) json.Number {
	neg := false
	switch {
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	out := intPart
	if hasFrac {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return json.Number(out)
}

// fhirTime formats a FHIR dateTime/instant in loc; "" for the zero time.
func fhirTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(time.RFC3339)
}

// uuidNamespace is IMP's namespace for name-based UUIDs (itself a random
// UUID, fixed forever: changing it would change every resource id).
var uuidNamespace = [16]byte{0x5b, 0x0e, 0x7c, 0x3a, 0x91, 0x2d, 0x4f, 0x6e, 0xa4, 0x18, 0x3c, 0x77, 0xd2, 0x09, 0xe5, 0x41}

// nameUUID returns the version 5 UUID of name in uuidNamespace.
func nameUUID(name string) string {
	h := sha1.New() //nolint:gosec // see the import
	h.Write(uuidNamespace[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return msgid.Format(u)
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
