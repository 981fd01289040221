package api

import (
	"time"

	"github.com/imp-health/imp/internal/lab"
)

// Example request bodies: the OpenAPI document shows them, and a test
// proves each validates against its schema and is accepted by its handler.

var exampleTime = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func exampleCustomer() any {
	return lab.Customer{ID: "C-1042", Version: 3, Tier: lab.TierSVIP1, GivenName: "Ada", FamilyName: "Example",
		BirthDate: "1980-04-01", Sex: "F", Email: "ada@example.org", Phone: "+41 44 000 00 00",
		Delivery: lab.Delivery{Email: true, AttachPDF: true}}
}

func exampleEmployee() any {
	return lab.Employee{ID: "E-77", Version: 1, GivenName: "Lin", FamilyName: "Sample", Role: lab.RolePathologist,
		Department: "Haematology", Email: "lin.sample@lab.example", LicenseNumber: "MD-12345", Active: true}
}

func exampleTest() any {
	return lab.Test{Code: "GLU", Version: 2, Name: "Glucose, fasting", LOINC: "1558-6", SpecimenType: lab.SpecimenSerum,
		Unit: "mg/dL", ValueType: lab.ValueNumeric, TATMinutes: 240, Active: true,
		ReferenceRanges: []lab.ReferenceRange{{Low: ptr(70.0), High: ptr(99.0), CriticalLow: ptr(40.0), CriticalHigh: ptr(400.0)}}}
}

func exampleOrder() any {
	return lab.Order{AccessionNumber: "A-2026-000123", CustomerID: "C-1042",
		OrderingClinician: lab.Clinician{ID: "DR-9", Name: "Dr. Who"}, PartnerID: "clinic-north",
		Tests:     []lab.OrderTest{{Code: "GLU"}, {Code: "HBA1C"}},
		Specimens: []lab.Specimen{{ID: "S-1", Type: lab.SpecimenSerum, CollectedAt: exampleTime}},
		Priority:  lab.PriorityRoutine, OrderedAt: exampleTime, Status: lab.StatusOrdered}
}

func exampleResult() any {
	return lab.Result{AccessionNumber: "A-2026-000123", TestCode: "GLU", ValueType: lab.ValueNumeric, Value: "105",
		Unit: "mg/dL", ReferenceRange: "70-99", AbnormalFlag: lab.FlagHigh, Status: lab.ResultFinal,
		ObservedAt: exampleTime, VerifiedBy: "E-77", VerifiedAt: exampleTime.Add(30 * time.Minute), CustomerID: "C-1042"}
}

func exampleStatus() any {
	return lab.StatusEvent{AccessionNumber: "A-2026-000123", Status: lab.StatusReceived, At: exampleTime, SpecimenID: "S-1", Source: "lis"}
}
