package report_test

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/report"
)

func ExampleRender() {
	collected := time.Date(2025, 3, 1, 8, 5, 0, 0, time.UTC)
	verified := collected.Add(3 * time.Hour)
	r := report.Report{
		Lab:         report.Laboratory{Name: "Alpine Diagnostics Laboratory", AddressLines: []string{"8001 Zürich"}},
		ReportID:    "RPT-A250301-0042-1",
		Version:     1,
		GeneratedAt: verified.Add(time.Hour),
		Customer:    lab.Customer{ID: "C-10042", GivenName: "José", FamilyName: "Müller", BirthDate: "1971-06-15", Sex: "M"},
		Order: lab.Order{
			AccessionNumber:   "A250301-0042",
			CustomerID:        "C-10042",
			OrderingClinician: lab.Clinician{ID: "DR-311", Name: "Dr. Élise Fournier"},
			Specimens:         []lab.Specimen{{ID: "S1", Type: lab.SpecimenSerum, CollectedAt: collected}},
		},
		Results: []lab.Result{{
			AccessionNumber: "A250301-0042", TestCode: "2823-3", Value: "6.8", Unit: "mmol/L",
			ReferenceRange: "3.5 - 5.1", AbnormalFlag: lab.FlagCriticalHigh, Status: lab.ResultFinal,
			VerifiedBy: "E-2001", VerifiedAt: verified,
		}},
		Tests: map[string]lab.Test{"2823-3": {Code: "2823-3", Name: "Potassium"}},
	}
	// A worker job would write to the report store or an email attachment.
	if err := report.Render(io.Discard, r); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(report.Filename(r))

	// A result of another order is refused, never printed.
	r.Results[0].AccessionNumber = "A250301-0043"
	err := report.Render(io.Discard, r)
	fmt.Println(errors.Is(err, report.ErrInvalid))
	fmt.Println(err)
	// Output:
	// A250301-0042-v1.pdf
	// true
	// report: invalid report: results[0].accession_number does not match order.accession_number
}
