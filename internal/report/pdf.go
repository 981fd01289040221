package report

import (
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/imp-health/imp/internal/lab"
)

// Page geometry, in millimetres: A4 portrait.
const (
	pageW   = 210.0
	marginL = 15.0
	marginR = 15.0
	marginT = 12.0
	bodyW   = pageW - marginL - marginR
	// bottomMargin keeps the body clear of the footer: the body breaks to
	// a new page where the footer begins.
	bottomMargin = 22.0
	family       = "Helvetica"
	nbAlias      = "{nb}"
)

type rgb struct{ r, g, b int }

// The palette: one brand colour, greys, and red kept for abnormal values
// so that red on the page always means "look at this".
var (
	ink          = rgb{33, 37, 41}
	muted        = rgb{96, 104, 112}
	brand        = rgb{18, 60, 107}
	ruleColour   = rgb{196, 203, 212}
	panel        = rgb{236, 241, 247}
	white        = rgb{255, 255, 255}
	alarm        = rgb{190, 24, 24}
	criticalTint = rgb{252, 229, 229}
	correction   = rgb{112, 40, 160}
	provisional  = rgb{168, 98, 0}
)

// column is one column of the results table.
type column struct {
	title string
	w     float64
	align string
}

// The results table's columns; their widths add up to bodyW.
var columns = [...]column{
	{"Test", 60, "L"},
	{"Result", 30, "L"},
	{"Flag", 12, "C"},
	{"Unit", 22, "L"},
	{"Reference range", 34, "L"},
	{"Status", 22, "L"},
}

const (
	colTest = iota
	colValue
	colFlag
	colUnit
	colRange
	colStatus
)

// document draws one report.
type document struct {
	pdf      *fpdf.Fpdf
	tr       func(string) string
	r        *Report
	loc      *time.Location
	l        layout
	pooled   bool    // tr goes back to the pool when the render is done
	inTable  bool    // a page break inside the results repeats the table header
	tableTop float64 // where the current page's first table row starts
}

func newDocument(r *Report) *document {
	loc := r.Location
	if loc == nil {
		loc = time.UTC
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	d := &document{pdf: pdf, r: r, loc: loc}
	d.tr = borrowTranslator(pdf)
	// A translator built while fpdf is in error translates nothing: never
	// pool that one.
	d.pooled = pdf.Error() == nil
	pdf.SetMargins(marginL, marginT, marginR)
	pdf.SetAutoPageBreak(true, bottomMargin)
	// fpdf writes dates without a zone: UTC, then, whatever r's zone.
	pdf.SetCreationDate(r.GeneratedAt.UTC())
	pdf.SetModificationDate(r.GeneratedAt.UTC())
	pdf.SetCatalogSort(true)
	pdf.SetCreator("IMP", false)
	pdf.SetAuthor(r.Lab.Name, true)
	// The title shows in viewers' title bars and tabs, often in view of
	// others: the report id, not the patient's name.
	pdf.SetTitle("Laboratory report "+r.ReportID, true)
	pdf.SetLang("en")
	pdf.AliasNbPages(nbAlias)
	pdf.SetHeaderFunc(d.header)
	pdf.SetFooterFunc(d.footer)
	return d
}

func (d *document) render() error {
	d.l = plan(d.r, d.loc)
	p := d.pdf
	p.AddPage()
	d.identification()
	d.criticalBanner()
	d.results()
	d.closing()
	return p.Error()
}

// release gives the translator back for another render. Only after
// Output: fpdf draws the last page's footer while writing the document.
func (d *document) release() {
	if d.pooled {
		returnTranslator(d.tr)
		d.pooled = false
	}
}

// enc encodes s for the PDF: fold to Windows-1252, then translate.
func (d *document) enc(s string) string { return d.tr(fold(s, false)) }

func (d *document) font(style string, size float64, c rgb) {
	d.pdf.SetFont(family, style, size)
	d.pdf.SetTextColor(c.r, c.g, c.b)
}

// lines wraps s to width w in the current font and returns the encoded
// lines, at least one. Newlines in s are kept when keepNewlines.
func (d *document) lines(s string, w float64, keepNewlines bool) []string {
	enc := d.tr(fold(s, keepNewlines))
	split := d.pdf.SplitLines([]byte(enc), w)
	if len(split) == 0 {
		return []string{""}
	}
	out := make([]string, len(split))
	for i, b := range split {
		out[i] = string(b)
	}
	return out
}

// put draws the encoded text at (x, y) in a cell w wide and h high.
func (d *document) put(x, y, w, h float64, encoded, align string) {
	d.pdf.SetXY(x, y)
	d.pdf.CellFormat(w, h, encoded, "", 0, align, false, 0, "")
}

func (d *document) fill(c rgb) { d.pdf.SetFillColor(c.r, c.g, c.b) }
func (d *document) draw(c rgb) { d.pdf.SetDrawColor(c.r, c.g, c.b) }

func (d *document) rule(y float64, c rgb, width float64) {
	d.draw(c)
	d.pdf.SetLineWidth(width)
	d.pdf.Line(marginL, y, marginL+bodyW, y)
}

func (d *document) header() {
	if d.pdf.PageNo() == 1 {
		d.firstPageHeader()
	} else {
		d.continuationHeader()
	}
	if d.inTable {
		d.tableHeader()
	}
}

// firstPageHeader: the lab on the left, what this document is on the right.
func (d *document) firstPageHeader() {
	const rightW = 72.0
	leftW := bodyW - rightW - 4
	ry := marginT
	rx := marginL + bodyW - rightW
	d.font("B", 13, brand)
	d.put(rx, ry, rightW, 6, d.enc("LABORATORY REPORT"), "R")
	ry += 6.5
	switch {
	case d.l.preliminary:
		d.font("B", 9, provisional)
	case d.l.corrected:
		d.font("B", 9, correction)
	default:
		d.font("B", 9, ink)
	}
	d.put(rx, ry, rightW, 4.5, d.enc(d.l.status), "R")
	ry += 5
	d.font("", 8, muted)
	for _, s := range []string{
		"Report ID: " + d.r.ReportID,
		"Version " + strconv.Itoa(d.r.Version) + "  ·  Issued " + formatTime(d.r.GeneratedAt, d.loc),
	} {
		for _, ln := range d.lines(s, rightW, false) {
			d.put(rx, ry, rightW, 3.8, ln, "R")
			ry += 3.8
		}
	}

	ly := marginT
	d.font("B", 15, brand)
	for _, ln := range d.lines(d.r.Lab.Name, leftW, false) {
		d.put(marginL, ly, leftW, 7, ln, "L")
		ly += 7
	}
	ly += 0.5
	d.font("", 8, muted)
	info := append([]string(nil), d.r.Lab.AddressLines...)
	if d.r.Lab.Phone != "" {
		info = append(info, "Tel. "+d.r.Lab.Phone)
	}
	for _, s := range info {
		for _, ln := range d.lines(s, leftW, false) {
			d.put(marginL, ly, leftW, 3.8, ln, "L")
			ly += 3.8
		}
	}
	if d.r.Lab.Accreditation != "" {
		d.font("I", 7.5, muted)
		for _, ln := range d.lines(d.r.Lab.Accreditation, leftW, false) {
			d.put(marginL, ly, leftW, 3.6, ln, "L")
			ly += 3.6
		}
	}
	y := max(ly, ry) + 2
	d.rule(y, brand, 0.6)
	d.pdf.SetY(y + 4)
}

// continuationHeader identifies the lab, the patient and the order on
// every further page: a loose page must never be taken for another
// patient's.
func (d *document) continuationHeader() {
	y := marginT
	d.font("B", 10, brand)
	d.put(marginL, y, bodyW*0.6, 5, d.enc(d.r.Lab.Name), "L")
	d.font("", 8, muted)
	d.put(marginL+bodyW*0.6, y, bodyW*0.4, 5, d.enc(d.l.status+" (continued)"), "R")
	y += 5.5
	c := d.r.Customer
	id := "Patient: " + patientName(c) + "  ·  ID " + c.ID
	if c.BirthDate != "" {
		id += "  ·  Born " + c.BirthDate
	}
	id += "  ·  Accession " + d.r.Order.AccessionNumber
	d.font("", 8, ink)
	for _, ln := range d.lines(id, bodyW, false) {
		d.put(marginL, y, bodyW, 4, ln, "L")
		y += 4
	}
	y += 1
	d.rule(y, ruleColour, 0.3)
	d.pdf.SetY(y + 3)
}

func (d *document) footer() {
	p := d.pdf
	y := 297 - bottomMargin + 6
	d.rule(y, ruleColour, 0.3)
	y += 1.5
	d.font("", 7, muted)
	left := "Report ID " + d.r.ReportID + "  ·  Version " + strconv.Itoa(d.r.Version) +
		"  ·  Generated " + formatTime(d.r.GeneratedAt, d.loc) + "  ·  Times in " + zoneName(d.loc)
	d.put(marginL, y, bodyW-30, 3.5, d.enc(left), "L")
	d.font("B", 7.5, ink)
	d.put(marginL+bodyW-30, y, 30, 3.5, "Page "+strconv.Itoa(p.PageNo())+" of "+nbAlias, "R")
	y += 3.8
	d.font("", 6.5, muted)
	d.put(marginL, y, bodyW, 3.2, d.enc("Confidential: this report contains personal health information. Results relate only to the specimens tested."), "L")
}

// field is one label and value of an identification box.
type field struct {
	label, value string
	strong       bool // printed bold: what readers match on
	alarm        bool // printed bold in the alarm colour
}

// identification draws the patient and order boxes side by side.
func (d *document) identification() {
	c, o := d.r.Customer, d.r.Order
	patient := []field{
		{label: "Name", value: patientName(c), strong: true},
		{label: "Patient ID", value: c.ID},
		{label: "Date of birth", value: birthLine(c.BirthDate, d.l.ageRef)},
		{label: "Sex", value: sexName(c.Sex)},
	}
	clinician := o.OrderingClinician.Name
	if o.OrderingClinician.ID != "" {
		clinician += " (" + o.OrderingClinician.ID + ")"
	}
	order := []field{
		{label: "Accession no.", value: o.AccessionNumber, strong: true},
		{label: "Ordered by", value: strings.TrimSpace(clinician)},
	}
	if o.PartnerID != "" {
		order = append(order, field{label: "Partner", value: o.PartnerID})
	}
	order = append(order,
		field{label: "Priority", value: priorityLabel(o.Priority), alarm: o.Priority == lab.PriorityStat || o.Priority == lab.PriorityUrgent},
		field{label: "Ordered", value: formatTime(o.OrderedAt, d.loc)},
		field{label: "Collected", value: formatTime(d.l.collectedAt, d.loc)},
	)
	if len(o.Specimens) > 0 {
		var s []string
		for _, sp := range o.Specimens {
			s = append(s, strings.TrimSpace(string(sp.Type)+" "+sp.ID))
		}
		order = append(order, field{label: "Specimens", value: strings.Join(s, ", ")})
	}

	const gap = 5.0
	w := (bodyW - gap) / 2
	y := d.pdf.GetY()
	lp, hp := d.measureBox(patient, w)
	lo, ho := d.measureBox(order, w)
	h := max(hp, ho)
	d.box(marginL, y, w, h, "PATIENT", patient, lp)
	d.box(marginL+w+gap, y, w, h, "ORDER", order, lo)
	d.pdf.SetY(y + h + 5)
}

const (
	boxTitleH = 5.5
	boxLabelW = 25.0
	boxLineH  = 4.3
	boxPad    = 1.8
)

// measureBox wraps each value and returns the lines and the box height.
func (d *document) measureBox(fields []field, w float64) ([][]string, float64) {
	out := make([][]string, len(fields))
	h := boxTitleH + 2*boxPad
	for i, f := range fields {
		d.valueFont(f)
		out[i] = d.lines(f.value, w-boxLabelW-2, false)
		h += float64(len(out[i])) * boxLineH
	}
	return out, h
}

func (d *document) valueFont(f field) {
	switch {
	case f.alarm:
		d.font("B", 8.5, alarm)
	case f.strong:
		d.font("B", 9, ink)
	default:
		d.font("", 8.5, ink)
	}
}

func (d *document) box(x, y, w, h float64, title string, fields []field, lines [][]string) {
	p := d.pdf
	d.fill(panel)
	p.Rect(x, y, w, boxTitleH, "F")
	d.draw(ruleColour)
	p.SetLineWidth(0.25)
	p.Rect(x, y, w, h, "D")
	d.font("B", 7.5, brand)
	d.put(x+1, y, w-2, boxTitleH, d.enc(title), "L")
	ly := y + boxTitleH + boxPad
	for i, f := range fields {
		d.font("", 7.5, muted)
		d.put(x+1, ly, boxLabelW, boxLineH, d.enc(f.label), "L")
		d.valueFont(f)
		for _, ln := range lines[i] {
			d.put(x+1+boxLabelW, ly, w-boxLabelW-2, boxLineH, ln, "L")
			ly += boxLineH
		}
	}
}

// criticalBanner warns, above the table, that critical values follow.
func (d *document) criticalBanner() {
	if d.l.critical == 0 {
		return
	}
	p := d.pdf
	y := p.GetY()
	d.fill(alarm)
	p.Rect(marginL, y, bodyW, 7, "F")
	d.font("B", 8.5, white)
	msg := "CRITICAL: " + plural(d.l.critical, "result is", "results are") +
		" beyond critical limits (flag HH, LL or AA), highlighted below."
	d.put(marginL+1, y, bodyW-2, 7, d.enc(msg), "L")
	p.SetY(y + 10)
}

func (d *document) tableHeader() {
	p := d.pdf
	y := p.GetY()
	d.fill(brand)
	p.Rect(marginL, y, bodyW, 6, "F")
	d.font("B", 7.5, white)
	x := marginL
	for _, c := range columns {
		d.put(x, y, c.w, 6, d.enc(c.title), c.align)
		x += c.w
	}
	p.SetY(y + 6)
	d.tableTop = y + 6
}

// Row metrics.
const (
	rowLineH   = 4.0
	codeLineH  = 3.3
	rowPad     = 1.4
	noteLineH  = 3.5
	noteIndent = 4.0
)

// noteKind says how a line under a row is printed.
type noteKind int

const (
	noteValue    noteKind = iota // a value too long for its cell
	noteComment                  // a result comment
	noteVerified                 // who verified the result
)

// note is a paragraph under a row, wrapped.
type note struct {
	kind  noteKind
	lines []string
}

// measured is a row wrapped to its cells.
type measured struct {
	name, value, unit, rng []string
	notes                  []note
	mainH, totalH          float64
}

func (d *document) valueStyle(rw row) {
	switch {
	case rw.status == lab.ResultCancelled:
		d.font("I", 8.5, muted)
	case rw.abnormal():
		d.font("B", 8.5, alarm)
	default:
		d.font("", 8.5, ink)
	}
}

func (d *document) measure(rw *row) measured {
	var m measured
	d.font("B", 8.5, ink)
	m.name = d.lines(rw.name, columns[colTest].w, false)
	d.valueStyle(*rw)
	m.value = d.lines(rw.value, columns[colValue].w, false)
	if len(m.value) > maxValueLines {
		rw.valueBelow = true
		m.value = []string{d.enc("See below")}
	}
	d.font("", 8, ink)
	m.unit = d.lines(rw.unit, columns[colUnit].w, false)
	m.rng = d.lines(rw.rng, columns[colRange].w, false)
	nameH := float64(len(m.name)) * rowLineH
	if rw.code != "" {
		nameH += codeLineH
	}
	m.mainH = max(nameH, rowLineH*float64(max(len(m.value), len(m.unit), len(m.rng)))) + 2*rowPad
	m.totalH = m.mainH
	add := func(kind noteKind, text string) {
		d.noteFont(kind, *rw)
		ls := d.lines(text, bodyW-noteIndent-2, true)
		m.notes = append(m.notes, note{kind, ls})
		m.totalH += float64(len(ls)) * noteLineH
	}
	if rw.valueBelow {
		add(noteValue, "Result: "+rw.value)
	}
	for _, c := range rw.comments {
		add(noteComment, "Comment: "+c)
	}
	if rw.verified != "" {
		add(noteVerified, rw.verified)
	}
	if len(m.notes) > 0 {
		m.totalH += rowPad
	}
	return m
}

func (d *document) results() {
	p := d.pdf
	_, pageH := p.GetPageSize()
	trigger := pageH - bottomMargin
	for i := range d.l.rows {
		rw := &d.l.rows[i]
		m := d.measure(rw)
		y := p.GetY()
		if i == 0 {
			// Keep the table header with the first row.
			d.inTable = true
			if y+6+m.totalH > trigger {
				p.AddPage()
			} else {
				d.tableHeader()
			}
		} else if y+m.totalH > trigger && y > d.tableTop+0.1 {
			p.AddPage()
		}
		d.row(*rw, m)
	}
	d.inTable = false
}

func (d *document) row(rw row, m measured) {
	p := d.pdf
	y := p.GetY()
	critical := rw.flag.IsCritical()
	if critical {
		// Tint the row and its notes, but never into the footer: notes
		// longer than a page continue untinted.
		_, pageH := p.GetPageSize()
		d.fill(criticalTint)
		p.Rect(marginL, y, bodyW, min(m.totalH, pageH-bottomMargin-y), "F")
	}
	x := marginL
	ty := y + rowPad

	// Test name, code below it.
	d.font("B", 8.5, ink)
	ly := ty
	for _, ln := range m.name {
		d.put(x, ly, columns[colTest].w, rowLineH, ln, "L")
		ly += rowLineH
	}
	if rw.code != "" {
		d.font("", 7, muted)
		d.put(x, ly, columns[colTest].w, codeLineH, d.enc(rw.code), "L")
	}
	x += columns[colTest].w

	d.valueStyle(rw)
	if rw.valueBelow {
		d.font("I", 8.5, muted)
	}
	d.column(x, ty, colValue, m.value)
	x += columns[colValue].w

	if f := rw.flagText(); f != "" {
		cw := columns[colFlag].w
		if critical {
			d.fill(alarm)
			p.Rect(x+1.5, ty-0.3, cw-3, rowLineH+0.6, "F")
			d.font("B", 8.5, white)
		} else {
			d.font("B", 8.5, alarm)
		}
		d.put(x, ty, cw, rowLineH, d.enc(f), "C")
	}
	x += columns[colFlag].w

	d.font("", 8, ink)
	d.column(x, ty, colUnit, m.unit)
	x += columns[colUnit].w
	d.font("", 8, ink)
	d.column(x, ty, colRange, m.rng)
	x += columns[colRange].w

	switch rw.status {
	case lab.ResultCorrected:
		d.font("B", 8, correction)
	case lab.ResultPreliminary:
		d.font("I", 8, provisional)
	default:
		d.font("", 8, muted)
	}
	d.put(x, ty, columns[colStatus].w, rowLineH, d.enc(statusLabel(rw.status)), "L")

	// Notes flow line by line, so one longer than a page breaks across
	// pages (repeating the table header) instead of running off it.
	p.SetY(y + m.mainH)
	for _, n := range m.notes {
		d.noteFont(n.kind, rw)
		for _, ln := range n.lines {
			p.SetX(marginL + noteIndent)
			p.CellFormat(bodyW-noteIndent, noteLineH, ln, "", 1, "L", false, 0, "")
		}
	}
	if len(m.notes) > 0 {
		p.SetY(p.GetY() + rowPad)
	}
	end := p.GetY()
	d.rule(end, ruleColour, 0.15)
}

func (d *document) noteFont(kind noteKind, rw row) {
	switch kind {
	case noteValue:
		d.valueStyle(rw)
		d.pdf.SetFontSize(8)
	case noteComment:
		d.font("I", 7.5, ink)
	default:
		d.font("", 7, muted)
	}
}

func (d *document) column(x, y float64, col int, lines []string) {
	for _, ln := range lines {
		d.put(x, y, columns[col].w, rowLineH, ln, columns[col].align)
		y += rowLineH
	}
}

// closing prints the verification, the flag legend, the notes and an end
// marker, so a reader knows no page is missing.
func (d *document) closing() {
	p := d.pdf
	const legend = "Flags: L below and H above the reference range; LL and HH beyond critical limits; " +
		"A abnormal, AA critically abnormal. Reference ranges are those for the patient's sex and age where the " +
		"laboratory defines them."
	// The sign-off and the legend explain the table: keep them together.
	d.font("B", 8.5, ink)
	h := 3 + float64(len(d.lines(d.l.signoff, bodyW, false)))*4.2 + 1
	d.font("", 7, muted)
	h += float64(len(d.lines(legend, bodyW, false))) * 3.4
	d.keep(h)
	p.SetY(p.GetY() + 3)
	if d.l.signoff != "" {
		d.font("B", 8.5, ink)
		p.SetX(marginL)
		p.MultiCell(bodyW, 4.2, d.enc(d.l.signoff), "", "L", false)
		p.SetY(p.GetY() + 1)
	}
	d.font("", 7, muted)
	p.SetX(marginL)
	p.MultiCell(bodyW, 3.4, d.enc(legend), "", "L", false)

	if len(d.r.Notes) > 0 {
		p.SetY(p.GetY() + 4)
		d.keep(5 + 2*4.2) // the title with at least the first lines
		d.font("B", 8, brand)
		p.SetX(marginL)
		p.CellFormat(bodyW, 5, d.enc("NOTES"), "", 1, "L", false, 0, "")
		d.font("", 8.5, ink)
		for _, n := range d.r.Notes {
			if strings.TrimSpace(n) == "" {
				continue
			}
			p.SetX(marginL)
			p.MultiCell(bodyW, 4.2, d.tr(fold(n, true)), "", "L", false)
			p.SetY(p.GetY() + 1)
		}
	}
	p.SetY(p.GetY() + 4)
	d.font("", 7.5, muted)
	p.SetX(marginL)
	p.CellFormat(bodyW, 4, d.enc("--- End of report ---"), "", 1, "C", false, 0, "")
}

// keep starts a new page unless h millimetres fit on this one.
func (d *document) keep(h float64) {
	_, pageH := d.pdf.GetPageSize()
	if d.pdf.GetY()+h > pageH-bottomMargin {
		d.pdf.AddPage()
	}
}
