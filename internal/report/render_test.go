package report

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/lab"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.txt from the current output")

// rowPattern matches the table line of fr as pdftotext -layout prints it:
// name, value, the flag only when abnormal, unit, range and status, in
// their columns and nothing else on the line.
func rowPattern(fr fixtureRow) *regexp.Regexp {
	cells := []string{fr.name, fr.value}
	if fr.flag.IsAbnormal() {
		cells = append(cells, string(fr.flag))
	}
	if fr.unit != "" {
		cells = append(cells, fr.unit)
	}
	cells = append(cells, fr.rng, fr.status)
	for i, c := range cells {
		cells[i] = regexp.QuoteMeta(c)
	}
	return regexp.MustCompile(`(?m)^\s*` + strings.Join(cells, `\s{2,}`) + `\s*$`)
}

func TestRenderFixtureText(t *testing.T) {
	t.Parallel()
	pdf := render(t, fixture())
	text := extract(t, pdf, 0, 0)

	for _, fr := range fixtureRows {
		if !rowPattern(fr).MatchString(text) {
			t.Errorf("no table line %q for %s in:\n%s", rowPattern(fr), fr.code, text)
		}
		if !strings.Contains(text, fr.code) {
			t.Errorf("test code %s missing", fr.code)
		}
		if fr.comment != "" && !strings.Contains(text, "Comment: "+fr.comment) {
			t.Errorf("comment of %s missing: %q", fr.code, fr.comment)
		}
	}
	for _, want := range []string{
		"Alpine Diagnostics Laboratory", "8001 Zürich, Switzerland", "Tel. +41 44 123 45 67",
		"Accredited to ISO 15189:2022, SAS 0123",
		"Preliminary report, with corrections",
		"Report ID: " + fixtureReportID, "Version 2",
		fixturePatient, "C-10042", "1971-06-15 (53 y)", "Male",
		fixtureAccession, "Dr. Élise Fournier (DR-311)", "clinic-lakeside", "Urgent",
		"Ordered             2025-03-01 08:40", "Collected           2025-03-01 09:05", // CET
		"CRITICAL: 2 results are beyond critical limits",
		"CREA · LOINC 2160-0",
		"Results verified by " + fixtureVerifier + " on 2025-03-01 12:30, unless noted at the result.",
		"Verified by " + fixtureCorrector + " on 2025-03-03 17:45.",
		"Not verified yet.",
		"Patient reported fasting for 10 hours before collection.",
		"End of report",
		"Report ID " + fixtureReportID + " · Version 2 · Generated 2025-03-04 09:15 · Times in CET",
		"Page 1 of 1",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	// The verifier of every other result is said once, not per row.
	if n := strings.Count(text, fixtureVerifier); n != 1 {
		t.Errorf("%s appears %d times, want 1 (the sign-off line)", fixtureVerifier, n)
	}

	png := snapshot(t, pdf, "fixture", 1)
	t.Logf("page 1 rendered to %s", png)
}

// normalise makes extracted text comparable across poppler versions:
// runs of spaces become one and blank lines go.
func normalise(text string) string {
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line != "" {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// TestRenderGolden pins the whole report's text. Run with -update after
// an intended change and review the diff of testdata.
func TestRenderGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		r    Report
	}{
		{"fixture", fixture()},
		{"final-utc", finalReport()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := normalise(extract(t, render(t, tc.r), 0, 0))
			path := filepath.Join("testdata", tc.name+".golden.txt")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestRenderGolden -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("text differs from %s (go test -run TestRenderGolden -update rewrites it):\n%s", path, lineDiff(string(want), got))
			}
		})
	}
}

// finalReport is the fixture with every result final and verified by the
// same person at the same time, times in UTC and no notes.
func finalReport() Report {
	r := fixture()
	r.Location = nil
	r.Version = 1
	r.ReportID = "RPT-A250301-0042-1"
	r.Notes = nil
	for i := range r.Results {
		res := &r.Results[i]
		res.Status = lab.ResultFinal
		res.VerifiedBy, res.VerifiedAt = "E-2001", at(1, 11, 30)
		res.Comments = nil
	}
	return r
}

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	count := map[string]int{}
	for _, l := range strings.Split(got, "\n") {
		count[l]++
	}
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if count[l] > 0 {
			count[l]--
			continue
		}
		fmt.Fprintf(&b, "- %s\n", l)
	}
	for _, l := range strings.Split(got, "\n") {
		if count[l] > 0 {
			count[l]--
			fmt.Fprintf(&b, "+ %s\n", l)
		}
	}
	return b.String()
}

func TestRenderFinalReportSignsOffOnce(t *testing.T) {
	t.Parallel()
	text := extract(t, render(t, finalReport()), 0, 0)
	for _, want := range []string{
		"Final report",
		"All results verified by " + fixtureVerifier + " on 2025-03-01 11:30.",
		"Times in UTC",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	for _, unwanted := range []string{"Not verified", "Verified by", "CORRECTED", "Preliminary"} {
		if strings.Contains(text, unwanted) {
			t.Errorf("text has %q", unwanted)
		}
	}
}

var headerRow = regexp.MustCompile(`(?m)^\s*Test\s{2,}Result\s{2,}Flag\s{2,}Unit\s{2,}Reference range\s{2,}Status\s*$`)

func TestRenderMultiPage(t *testing.T) {
	t.Parallel()
	const n = 60
	pdf := render(t, longFixture(n))
	pages := pageCount(t, pdf)
	if pages < 2 {
		t.Fatalf("%d results fit on %d page; want a multi-page report", n, pages)
	}
	all := ""
	for p := 1; p <= pages; p++ {
		text := extract(t, pdf, p, p)
		all += text
		if want := fmt.Sprintf("Page %d of %d", p, pages); !strings.Contains(text, want) {
			t.Errorf("page %d lacks %q", p, want)
		}
		if !strings.Contains(text, "Report ID "+fixtureReportID) {
			t.Errorf("page %d footer lacks the report id", p)
		}
		if got := len(headerRow.FindAllString(text, -1)); got != 1 {
			t.Errorf("page %d has the table header %d times, want 1", p, got)
		}
		if p > 1 {
			// A loose page must still say whose it is.
			want := "Patient: " + fixturePatient + " · ID C-10042 · Born 1971-06-15 · Accession " + fixtureAccession
			if !strings.Contains(text, want) {
				t.Errorf("page %d lacks the patient line %q", p, want)
			}
		}
	}
	// No row is lost or printed twice across page breaks.
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("Panel test %03d", i)
		if got := strings.Count(all, name); got != 1 {
			t.Errorf("%s appears %d times, want 1", name, got)
		}
	}
	if !strings.Contains(all, "End of report") {
		t.Error("last page lacks the end marker")
	}
	t.Logf("page 2 rendered to %s", snapshot(t, pdf, "multipage", 2))
}

func TestRenderAccentedNames(t *testing.T) {
	t.Parallel()
	r := fixture()
	r.Customer.GivenName, r.Customer.FamilyName = "José", "Müller"
	r.Order.OrderingClinician.Name = "Zoë Ångström-Nuñez"
	r.Lab.AddressLines = []string{"Größere Straße 5, 1010 Wien", "Çağlayan"}
	r.Notes = []string{"Patient Łucja Wałęsa-Dvořák; ≤ 5 µmol/L (μ); dash − here"}
	text := extract(t, render(t, r), 0, 0)
	for _, want := range []string{
		"Müller, José",
		"Zoë Ångström-Nuñez (DR-311)",
		"Größere Straße 5, 1010 Wien",
		// Not in Windows-1252: folded to the base letter, never dropped.
		"Çaglayan",
		"Patient Lucja Walesa-Dvorák; <= 5 µmol/L (µ); dash - here",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
}

func TestRenderLongTextFlowsAcrossPages(t *testing.T) {
	t.Parallel()
	r := fixture()
	long := strings.Repeat("Gram-positive cocci in clusters seen. ", 120)
	comment := strings.Repeat("Interpret with the clinical picture. ", 250)
	r.Results[8].Value = long + "END-OF-VALUE"
	r.Results[8].Comments = []string{comment + "END-OF-COMMENT"}
	pdf := render(t, r)
	if pages := pageCount(t, pdf); pages < 2 {
		t.Errorf("long text fits on %d page", pages)
	}
	text := normalise(extract(t, pdf, 0, 0))
	for _, want := range []string{"See below", "END-OF-VALUE", "END-OF-COMMENT", "Cholesterol, total", "End of report"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	t.Parallel()
	r := fixture()
	a, b := render(t, r), render(t, r)
	if !bytes.Equal(a, b) {
		t.Fatal("two renders of the same report differ")
	}
	if !bytes.Contains(a, []byte("/CreationDate (D:20250304081500)")) {
		t.Error("creation date is not GeneratedAt (in UTC)")
	}
	// The same instant in another zone is the same report.
	r.GeneratedAt = r.GeneratedAt.In(cet)
	if !bytes.Equal(a, render(t, r)) {
		t.Error("GeneratedAt's zone changes the output")
	}
}

// TestRenderConcurrently runs renders in parallel (under -race in CI):
// the pooled translators must never be shared by two renders, including
// while Output draws the last footer. A shared one garbles text, so the
// bytes are compared too.
func TestRenderConcurrently(t *testing.T) {
	t.Parallel()
	reports := []Report{fixture(), longFixture(25)}
	want := [][]byte{render(t, reports[0]), render(t, reports[1])}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 16 {
		wg.Go(func() {
			for i := range 4 {
				k := (g + i) % 2
				var buf bytes.Buffer
				if err := Render(&buf, reports[k]); err != nil {
					errs <- err.Error()
					return
				}
				if !bytes.Equal(buf.Bytes(), want[k]) {
					errs <- fmt.Sprintf("concurrent render of report %d differs from a lone one", k)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestRenderRefusesIncompleteReports(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(*Report)
		want   string
	}{
		{"no report id", func(r *Report) { r.ReportID = " " }, "report_id is required"},
		{"version 0", func(r *Report) { r.Version = 0 }, "version must be at least 1"},
		{"no time", func(r *Report) { r.GeneratedAt = time.Time{} }, "generated_at is required"},
		{"no lab", func(r *Report) { r.Lab.Name = "" }, "lab.name is required"},
		{"no patient id", func(r *Report) { r.Customer.ID = "" }, "customer.id is required"},
		{"no family name", func(r *Report) { r.Customer.FamilyName = "" }, "customer.family_name is required"},
		{"no accession", func(r *Report) { r.Order.AccessionNumber = "" }, "order.accession_number is required"},
		{"order of another patient", func(r *Report) { r.Order.CustomerID = "C-99999" }, "order.customer_id does not match customer.id"},
		{"no results", func(r *Report) { r.Results = nil }, "results must hold at least one result"},
		{"result of another order", func(r *Report) { r.Results[3].AccessionNumber = "A250301-0043" }, "results[3].accession_number does not match order.accession_number"},
		{"result of another patient", func(r *Report) { r.Results[2].CustomerID = "C-99999" }, "results[2].customer_id does not match customer.id"},
		{"result without test", func(r *Report) { r.Results[1].TestCode = "" }, "results[1].test_code is required"},
		{"same test twice", func(r *Report) { r.Results[5].TestCode = r.Results[0].TestCode }, "results[5].test_code duplicates results[0].test_code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := fixture()
			tc.change(&r)
			var buf bytes.Buffer
			err := Render(&buf, r)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Render = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			var p interface{ Permanent() bool }
			if !errors.As(err, &p) || !p.Permanent() {
				t.Error("error is not marked permanent")
			}
			for _, phi := range []string{"Müller", "José", "1971-06-15", "C-10042"} {
				if strings.Contains(err.Error(), phi) {
					t.Errorf("error %q quotes patient data %q", err, phi)
				}
			}
			if buf.Len() != 0 {
				t.Errorf("Render wrote %d bytes of a refused report", buf.Len())
			}
		})
	}
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestRenderReportsWriteErrors(t *testing.T) {
	t.Parallel()
	err := Render(failingWriter{}, fixture())
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("Render = %v, want the writer's error", err)
	}
	if errors.Is(err, ErrInvalid) {
		t.Error("a write error is not an invalid report")
	}
}

func TestFilename(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		accession string
		version   int
		want      string
	}{
		{"A250301-0042", 2, "A250301-0042-v2.pdf"},
		{"acc_1.x", 1, "acc_1.x-v1.pdf"},
		{"../../etc/passwd", 1, "_._.._etc_passwd-v1.pdf"},
		{".hidden", 3, "_hidden-v3.pdf"},
		{"Müller 12/3\x00", 1, "M_ller_12_3_-v1.pdf"},
		{"", 1, "report-v1.pdf"},
		{strings.Repeat("a", 300), 1, strings.Repeat("a", 100) + "-v1.pdf"},
	} {
		r := Report{Version: tc.version}
		r.Order.AccessionNumber = tc.accession
		if got := Filename(r); got != tc.want {
			t.Errorf("Filename(%q, v%d) = %q, want %q", tc.accession, tc.version, got, tc.want)
		}
	}
}
