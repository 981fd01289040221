package report

import (
	"fmt"
	"time"

	"github.com/imp-health/imp/internal/lab"
)

func ptr[T any](v T) *T { return &v }

// cet is a fixed zone, so the tests need no time zone database.
var cet = time.FixedZone("CET", 3600)

// at is 1 March 2025 at hh:mm UTC.
func at(day, hh, mm int) time.Time { return time.Date(2025, 3, day, hh, mm, 0, 0, time.UTC) }

// numeric is a catalog entry for a numeric test with a range for both sexes.
func numeric(code, name, loinc, unit string, low, high float64, critLow, critHigh *float64) lab.Test {
	return lab.Test{
		Code: code, Version: 1, Name: name, LOINC: loinc, SpecimenType: lab.SpecimenSerum,
		Unit: unit, ValueType: lab.ValueNumeric, TATMinutes: 240, Active: true,
		ReferenceRanges: []lab.ReferenceRange{{Low: ptr(low), High: ptr(high), CriticalLow: critLow, CriticalHigh: critHigh}},
	}
}

func catalog() map[string]lab.Test {
	tests := []lab.Test{
		numeric("2345-7", "Glucose, fasting", "2345-7", "mg/dL", 70, 99, ptr(40.0), ptr(400.0)),
		numeric("718-7", "Hemoglobin", "718-7", "g/dL", 13.5, 17.5, ptr(7.0), ptr(20.0)),
		numeric("2951-2", "Sodium", "2951-2", "mmol/L", 136, 145, ptr(120.0), ptr(160.0)),
		numeric("2823-3", "Potassium", "2823-3", "mmol/L", 3.5, 5.1, ptr(2.5), ptr(6.5)),
		numeric("CREA", "Creatinine", "2160-0", "mg/dL", 0.74, 1.35, nil, nil),
		numeric("1742-6", "ALT (alanine aminotransferase)", "1742-6", "U/L", 7, 56, nil, nil),
		numeric("3016-3", "TSH (thyrotropin)", "3016-3", "mIU/L", 0.4, 4.0, nil, nil),
		numeric("4548-4", "HbA1c", "4548-4", "%", 4.0, 5.6, nil, nil),
		numeric("2093-3", "Cholesterol, total", "2093-3", "mg/dL", 0, 199, nil, nil),
		{
			Code: "UCX", Version: 1, Name: "Urine culture", SpecimenType: lab.SpecimenUrine,
			ValueType: lab.ValueText, TATMinutes: 2880, Active: true,
			ReferenceRanges: []lab.ReferenceRange{{Text: "No growth"}},
		},
	}
	m := make(map[string]lab.Test, len(tests))
	for _, t := range tests {
		m[t.Code] = t
	}
	return m
}

// fixtureRow is one result of the fixture and what the report must show
// on its line.
type fixtureRow struct {
	code, name, value string
	flag              lab.AbnormalFlag
	unit, rng         string // as printed: from the result, else the catalog
	status            string // as printed
	comment           string
}

// fixtureRows are the ten results of the fixture: normal, H, L, HH, LL,
// one without a flag whose unit and range come from the catalog, a
// qualitative text result, a preliminary and a corrected one.
var fixtureRows = []fixtureRow{
	{code: "2345-7", name: "Glucose, fasting", value: "126", flag: lab.FlagHigh, unit: "mg/dL", rng: "70 - 99", status: "Final"},
	{code: "718-7", name: "Hemoglobin", value: "14.2", flag: lab.FlagNormal, unit: "g/dL", rng: "13.5 - 17.5", status: "Final"},
	{code: "2951-2", name: "Sodium", value: "118", flag: lab.FlagCriticalLow, unit: "mmol/L", rng: "136 - 145", status: "Final"},
	{code: "2823-3", name: "Potassium", value: "6.8", flag: lab.FlagCriticalHigh, unit: "mmol/L", rng: "3.5 - 5.1", status: "Final",
		comment: "Critical value phoned to Dr. Fournier at 10:02 by A. Keller; read-back confirmed. Specimen not haemolysed."},
	{code: "CREA", name: "Creatinine", value: "0.62", flag: lab.FlagLow, unit: "mg/dL", rng: "0.74 - 1.35", status: "Final"},
	{code: "1742-6", name: "ALT (alanine aminotransferase)", value: "34", flag: lab.FlagNormal, unit: "U/L", rng: "7 - 56", status: "Final"},
	{code: "3016-3", name: "TSH (thyrotropin)", value: "2.1", flag: lab.FlagNone, unit: "mIU/L", rng: "0.4 - 4", status: "Final"},
	{code: "4548-4", name: "HbA1c", value: "6.9", flag: lab.FlagHigh, unit: "%", rng: "4.0 - 5.6", status: "Final"},
	{code: "UCX", name: "Urine culture", value: "No growth after 24 h", flag: lab.FlagNone, rng: "No growth", status: "Preliminary",
		comment: "Final reading at 48 h will follow."},
	{code: "2093-3", name: "Cholesterol, total", value: "212", flag: lab.FlagHigh, unit: "mg/dL", rng: "< 200", status: "CORRECTED",
		comment: "Corrected result: previously reported as 221 mg/dL (transcription error)."},
}

const (
	fixtureAccession = "A250301-0042"
	fixtureReportID  = "RPT-A250301-0042-2"
	fixturePatient   = "Müller, José"
	fixtureVerifier  = "Anna Keller (E-2001)"
	fixtureCorrector = "Marc Weber (E-3005)"
)

// fixture is an order of ten tests for José Müller, report version 2
// (one result was corrected).
func fixture() Report {
	var results []lab.Result
	var orderTests []lab.OrderTest
	for _, fr := range fixtureRows {
		res := lab.Result{
			AccessionNumber: fixtureAccession, TestCode: fr.code, Version: 1,
			Value: fr.value, AbnormalFlag: fr.flag, Status: lab.ResultFinal,
			ObservedAt: at(1, 9, 40), VerifiedBy: "E-2001", VerifiedAt: at(1, 11, 30),
			CustomerID: "C-10042",
		}
		switch fr.code {
		case "3016-3": // unit and range from the catalog
		case "UCX":
			res.ValueType = lab.ValueText
			res.Status = lab.ResultPreliminary
			res.VerifiedBy, res.VerifiedAt = "", time.Time{}
		case "2093-3":
			res.Version = 2
			res.Status = lab.ResultCorrected
			res.ReferenceRange = "< 200"
			res.Unit = "mg/dL"
			res.VerifiedBy, res.VerifiedAt = "E-3005", at(3, 16, 45)
		default:
			res.Unit = fr.unit
			res.ReferenceRange = fr.rng
		}
		if fr.comment != "" {
			res.Comments = []string{fr.comment}
		}
		results = append(results, res)
		orderTests = append(orderTests, lab.OrderTest{Code: fr.code})
	}
	return Report{
		Lab: Laboratory{
			Name:          "Alpine Diagnostics Laboratory",
			AddressLines:  []string{"Bahnhofstrasse 12", "8001 Zürich, Switzerland"},
			Phone:         "+41 44 123 45 67",
			Accreditation: "Accredited to ISO 15189:2022, SAS 0123",
		},
		ReportID:    fixtureReportID,
		Version:     2,
		GeneratedAt: at(4, 8, 15),
		Location:    cet,
		Customer: lab.Customer{
			ID: "C-10042", Version: 3, Tier: lab.TierGeneral,
			GivenName: "José", FamilyName: "Müller", BirthDate: "1971-06-15", Sex: "M",
		},
		Order: lab.Order{
			AccessionNumber:   fixtureAccession,
			Version:           1,
			CustomerID:        "C-10042",
			OrderingClinician: lab.Clinician{ID: "DR-311", Name: "Dr. Élise Fournier"},
			PartnerID:         "clinic-lakeside",
			Tests:             orderTests,
			Specimens: []lab.Specimen{
				{ID: "S1", Type: lab.SpecimenSerum, CollectedAt: at(1, 8, 5)},
				{ID: "S2", Type: lab.SpecimenWholeBlood, CollectedAt: at(1, 8, 5)},
				{ID: "S3", Type: lab.SpecimenUrine, CollectedAt: at(1, 8, 20)},
			},
			Priority:  lab.PriorityUrgent,
			OrderedAt: at(1, 7, 40),
			Status:    lab.StatusResulted,
		},
		Results: results,
		Tests:   catalog(),
		Staff: map[string]lab.Employee{
			"E-2001": {ID: "E-2001", GivenName: "Anna", FamilyName: "Keller", Role: lab.RoleTechnologist, Active: true},
			"E-3005": {ID: "E-3005", GivenName: "Marc", FamilyName: "Weber", Role: lab.RolePathologist, Active: true},
		},
		Notes: []string{"Patient reported fasting for 10 hours before collection."},
	}
}

// longFixture is the fixture with n results, enough to fill pages.
func longFixture(n int) Report {
	r := fixture()
	base := r.Results
	r.Results = nil
	r.Order.Tests = nil
	for i := range n {
		res := base[i%len(base)]
		res.TestCode = fmt.Sprintf("T%03d", i+1)
		res.Comments = nil
		r.Results = append(r.Results, res)
		r.Order.Tests = append(r.Order.Tests, lab.OrderTest{Code: res.TestCode, Name: fmt.Sprintf("Panel test %03d", i+1)})
	}
	return r
}
