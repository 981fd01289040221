package report

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/lab"
)

// Laboratory is the issuing laboratory as printed in the report's header.
type Laboratory struct {
	Name          string   // required
	AddressLines  []string // printed one per line
	Phone         string
	Accreditation string // e.g. "Accredited to ISO 15189:2022, certificate 1234"
}

// Report is everything one PDF report shows. Render does not change it.
type Report struct {
	Lab         Laboratory
	ReportID    string    // required; printed in every page's footer
	Version     int       // 1 for the first report of an order, then one more per re-issue
	GeneratedAt time.Time // required; printed, and used as the PDF's creation date

	// Location is the time zone every time is printed in; nil means UTC.
	Location *time.Location

	Customer lab.Customer
	Order    lab.Order

	// Results are printed in this order. Each must belong to Order (same
	// accession number, and the same customer when it names one), so a
	// result can never be printed on another patient's report.
	Results []lab.Result

	// Tests is the test catalog by code. A result's name comes from it
	// (else from the order, else the code is shown), and so do its unit
	// and reference range when the result carries none. May be nil.
	Tests map[string]lab.Test

	// Staff names the verifiers: Result.VerifiedBy is an employee id,
	// printed as the employee's name when Staff has it. May be nil.
	Staff map[string]lab.Employee

	Notes []string // printed after the results, one paragraph each
}

// ErrInvalid is wrapped by the error Render returns when the Report lacks
// something every printed report must show, or mixes in a result of
// another order. Such a report will never render, so the error is
// permanent: it has a Permanent() bool method that reports true.
var ErrInvalid = errors.New("invalid report")

// invalidError lists the problems by field name. It never quotes values:
// they may be patient data, and callers log errors.
type invalidError struct{ problems []string }

func (e *invalidError) Error() string {
	return "report: " + ErrInvalid.Error() + ": " + strings.Join(e.problems, "; ")
}
func (e *invalidError) Unwrap() error   { return ErrInvalid }
func (e *invalidError) Permanent() bool { return true }

// check returns an *invalidError naming each problem, or nil.
func (r *Report) check() error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	blank := func(s string) bool { return strings.TrimSpace(s) == "" }
	if blank(r.ReportID) {
		add("report_id is required")
	}
	if r.Version < 1 {
		add("version must be at least 1")
	}
	if r.GeneratedAt.IsZero() {
		add("generated_at is required")
	}
	if blank(r.Lab.Name) {
		add("lab.name is required")
	}
	if blank(r.Customer.ID) {
		add("customer.id is required")
	}
	if blank(r.Customer.FamilyName) {
		add("customer.family_name is required")
	}
	if blank(r.Order.AccessionNumber) {
		add("order.accession_number is required")
	}
	if r.Order.CustomerID != "" && r.Order.CustomerID != r.Customer.ID {
		add("order.customer_id does not match customer.id")
	}
	if len(r.Results) == 0 {
		add("results must hold at least one result")
	}
	seen := make(map[string]int, len(r.Results))
	for i, res := range r.Results {
		if res.AccessionNumber != r.Order.AccessionNumber {
			add("results[%d].accession_number does not match order.accession_number", i)
		}
		if res.CustomerID != "" && res.CustomerID != r.Customer.ID {
			add("results[%d].customer_id does not match customer.id", i)
		}
		if blank(res.TestCode) {
			add("results[%d].test_code is required", i)
			continue
		}
		if j, dup := seen[res.TestCode]; dup {
			add("results[%d].test_code duplicates results[%d].test_code", i, j)
		} else {
			seen[res.TestCode] = i
		}
	}
	if p == nil {
		return nil
	}
	return &invalidError{problems: p}
}

// Render writes r as a PDF to w. It returns an error wrapping ErrInvalid
// when r is incomplete (see Report), and otherwise only the PDF library's
// or w's errors. The same r always renders to the same bytes.
func Render(w io.Writer, r Report) error {
	if err := r.check(); err != nil {
		return err
	}
	d := newDocument(&r)
	defer d.release()
	if err := d.render(); err != nil {
		return fmt.Errorf("report: render: %w", err)
	}
	if err := d.pdf.Output(w); err != nil {
		return fmt.Errorf("report: write: %w", err)
	}
	return nil
}

// Filename is the file name to store or attach r under:
// "<accession>-v<version>.pdf", with every character other than ASCII
// letters, digits, '.', '-' and '_' replaced by '_', so it is safe in
// paths, URLs and MIME headers on every system.
func Filename(r Report) string {
	acc := r.Order.AccessionNumber
	if acc == "" {
		acc = "report"
	}
	var b strings.Builder
	for _, c := range acc {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteRune(c)
		case c == '.' && b.Len() > 0: // no leading dot: no hidden files, no ".."
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 100 {
			break
		}
	}
	return b.String() + "-v" + strconv.Itoa(r.Version) + ".pdf"
}
