package lab

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func validOrder() Order {
	return Order{
		AccessionNumber:   "ACC-2025-000123",
		Version:           1,
		CustomerID:        "cust-1001",
		OrderingClinician: Clinician{ID: "dr-77", Name: "Dr Grace Hopper"},
		PartnerID:         "clinic-north",
		Tests:             []OrderTest{{Code: "K", Name: "Potassium"}, {Code: "GLU"}},
		Specimens:         []Specimen{{ID: "SP-1", Type: SpecimenSerum, CollectedAt: t0}, {ID: "SP-2", Type: SpecimenPlasma}},
		Priority:          PriorityRoutine,
		Notes:             "fasting",
		OrderedAt:         t0,
		Status:            StatusOrdered,
		UpdatedAt:         t0,
	}
}

func TestOrderValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		edit   func(*Order)
		fields []string
	}{
		{"valid", func(*Order) {}, nil},
		{"no partner, specimens or notes", func(o *Order) { o.PartnerID, o.Specimens, o.Notes = "", nil, "" }, nil},
		{"stat", func(o *Order) { o.Priority = PriorityStat }, nil},
		{"cancelled", func(o *Order) { o.Status = StatusCancelled }, nil},

		{"missing accession number", func(o *Order) { o.AccessionNumber = "" }, []string{"accession_number"}},
		{"bad accession number", func(o *Order) { o.AccessionNumber = "ACC 1" }, []string{"accession_number"}},
		{"negative version", func(o *Order) { o.Version = -1 }, []string{"version"}},
		{"missing customer", func(o *Order) { o.CustomerID = "" }, []string{"customer_id"}},
		{"bad customer", func(o *Order) { o.CustomerID = "cust#1" }, []string{"customer_id"}},
		{"missing clinician id", func(o *Order) { o.OrderingClinician.ID = "" }, []string{"ordering_clinician.id"}},
		{"missing clinician name", func(o *Order) { o.OrderingClinician.Name = "" }, []string{"ordering_clinician.name"}},
		{"long clinician name", func(o *Order) { o.OrderingClinician.Name = strings.Repeat("n", 201) }, []string{"ordering_clinician.name"}},
		{"bad partner", func(o *Order) { o.PartnerID = "clinic north" }, []string{"partner_id"}},
		{"no tests", func(o *Order) { o.Tests = nil }, []string{"tests"}},
		{"empty tests", func(o *Order) { o.Tests = []OrderTest{} }, []string{"tests"}},
		{"missing test code", func(o *Order) { o.Tests[1].Code = "" }, []string{"tests[1].code"}},
		{"bad test code", func(o *Order) { o.Tests[1].Code = "GL U" }, []string{"tests[1].code"}},
		{"duplicate test code", func(o *Order) { o.Tests = append(o.Tests, OrderTest{Code: "K"}) }, []string{"tests[2].code"}},
		{"long test name", func(o *Order) { o.Tests[0].Name = strings.Repeat("n", 201) }, []string{"tests[0].name"}},
		{"missing specimen id", func(o *Order) { o.Specimens[1].ID = "" }, []string{"specimens[1].id"}},
		{"duplicate specimen id", func(o *Order) { o.Specimens[1].ID = "SP-1" }, []string{"specimens[1].id"}},
		{"missing specimen type", func(o *Order) { o.Specimens[0].Type = "" }, []string{"specimens[0].type"}},
		{"unknown specimen type", func(o *Order) { o.Specimens[0].Type = "blood" }, []string{"specimens[0].type"}},
		{"unknown priority", func(o *Order) { o.Priority = "whenever" }, []string{"priority"}},
		{"long notes", func(o *Order) { o.Notes = strings.Repeat("n", 2001) }, []string{"notes"}},
		{"missing ordered_at", func(o *Order) { o.OrderedAt = time.Time{} }, []string{"ordered_at"}},
		{"unknown status", func(o *Order) { o.Status = "lost" }, []string{"status"}},
		{"two blank test codes are not duplicates", func(o *Order) { o.Tests = []OrderTest{{}, {}} },
			[]string{"tests[0].code", "tests[1].code"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := validOrder()
			tc.edit(&o)
			wantFields(t, o.Validate(), tc.fields...)
		})
	}
}

func TestOrderValidateDefaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		priority     Priority
		status       Status
		wantPriority Priority
		wantStatus   Status
	}{
		{"empty becomes routine and ordered", "", "", PriorityRoutine, StatusOrdered},
		{"asap becomes urgent", "asap", "", PriorityUrgent, StatusOrdered},
		{"set values stay", PriorityStat, StatusCollected, PriorityStat, StatusCollected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := validOrder()
			o.Priority, o.Status = tc.priority, tc.status
			wantFields(t, o.Validate())
			if o.Priority != tc.wantPriority || o.Status != tc.wantStatus {
				t.Errorf("after Validate priority, status = %q, %q; want %q, %q", o.Priority, o.Status, tc.wantPriority, tc.wantStatus)
			}
		})
	}
}

func TestOrderCheckAgainst(t *testing.T) {
	t.Parallel()
	catalog := func(code string) (Test, bool) {
		switch code {
		case "K":
			return Test{Code: "K", Name: "Potassium", Active: true}, true
		case "GLU":
			return Test{Code: "GLU", Name: "Glucose", Active: true}, true
		case "OLD":
			return Test{Code: "OLD", Name: "Retired test", Active: false}, true
		}
		return Test{}, false
	}
	customers := func(id string) bool { return id == "cust-1001" }

	for _, tc := range []struct {
		name   string
		edit   func(*Order)
		fields []string
	}{
		{"known tests and customer", func(*Order) {}, nil},
		{"unknown test", func(o *Order) { o.Tests[1].Code = "NOPE" }, []string{"tests[1].code"}},
		{"inactive test", func(o *Order) { o.Tests[0].Code = "OLD" }, []string{"tests[0].code"}},
		{"unknown customer", func(o *Order) { o.CustomerID = "cust-9" }, []string{"customer_id"}},
		{"all at once", func(o *Order) {
			o.CustomerID = "cust-9"
			o.Tests = append(o.Tests, OrderTest{Code: "OLD"}, OrderTest{Code: "NOPE"})
		}, []string{"customer_id", "tests[2].code", "tests[3].code"}},
		{"blanks are left to Validate", func(o *Order) { o.CustomerID = ""; o.Tests[1].Code = "" }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := validOrder()
			tc.edit(&o)
			wantFields(t, o.CheckAgainst(catalog, customers), tc.fields...)
		})
	}

	t.Run("fills names from the catalog", func(t *testing.T) {
		t.Parallel()
		o := validOrder()
		o.Tests[0].Name = "K+ (clinic's name)"
		wantFields(t, o.CheckAgainst(catalog, customers))
		if o.Tests[0].Name != "K+ (clinic's name)" || o.Tests[1].Name != "Glucose" {
			t.Errorf("names = %q, %q; want the order's kept and the empty one filled", o.Tests[0].Name, o.Tests[1].Name)
		}
	})

	t.Run("nil lookups skip their check", func(t *testing.T) {
		t.Parallel()
		o := validOrder()
		o.CustomerID, o.Tests[0].Code = "cust-9", "NOPE"
		wantFields(t, o.CheckAgainst(nil, customers), "customer_id")
		wantFields(t, o.CheckAgainst(catalog, nil), "tests[0].code")
		wantFields(t, o.CheckAgainst(nil, nil))
	})
}

func TestPriorityHL7(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p    Priority
		code string
	}{{PriorityRoutine, "R"}, {PriorityUrgent, "A"}, {PriorityStat, "S"}} {
		t.Run(string(tc.p), func(t *testing.T) {
			t.Parallel()
			if got := tc.p.HL7(); got != tc.code {
				t.Errorf("%q.HL7() = %q, want %q", tc.p, got, tc.code)
			}
			if got, ok := PriorityFromHL7(tc.code); !ok || got != tc.p {
				t.Errorf("PriorityFromHL7(%q) = %q, %v; want %q", tc.code, got, ok, tc.p)
			}
		})
	}
	if got := Priority("asap").HL7(); got != "A" {
		t.Errorf(`"asap".HL7() = %q, want A`, got)
	}
	for _, code := range []string{"P", "C", "T", ""} {
		if got, ok := PriorityFromHL7(code); ok {
			t.Errorf("PriorityFromHL7(%q) = %q, true; want false", code, got)
		}
	}
	if Priority("whenever").HL7() != "" || Priority("asap").Valid() {
		t.Error("unknown priority mapped, or the asap synonym reported valid before normalisation")
	}
}

func ExampleOrder_Validate() {
	o := Order{
		AccessionNumber:   "ACC-2025-000123",
		CustomerID:        "cust-1001",
		OrderingClinician: Clinician{ID: "dr-77", Name: "Dr Grace Hopper"},
		Tests:             []OrderTest{{Code: "K"}, {Code: "GLU"}, {Code: "K"}},
		Specimens:         []Specimen{{ID: "SP-1", Type: "blood"}},
		Priority:          "asap",
		OrderedAt:         time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC),
	}
	err := o.Validate()
	fmt.Println(errors.Is(err, ErrInvalid))
	var ve *ValidationError
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			fmt.Println(f.Field)
		}
	}
	fmt.Println(o.Priority, o.Status)
	// Output:
	// true
	// tests[2].code
	// specimens[0].type
	// urgent ordered
}
