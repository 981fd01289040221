package hl7map

import (
	"strings"
	"time"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/lab"
)

// DecodeResults maps the results of an ORU^R01 or OUL^R21-R24 to lab
// results, one per OBX that carries a result, in message order.
//
// The rules:
//
//   - accession number: per Options.Accession; by default the placer order
//     number OBR-2.1, else ORC-2.1 of the same order group, else the
//     filler's OBR-3.1, else ORC-3.1.
//   - test code: OBX-3, the local code preferred (the primary triple unless
//     its system is LN, else the alternate triple), else the LOINC code.
//   - value (OBX-5 by OBX-2): NM numeric; SN numeric as comparator and
//     number ("<70"), text when it is a ratio or range ("1:128"); CE, CWE,
//     CNE coded (the code, else the text); ST, TX, FT and the rest text,
//     repetitions joined by line breaks. ED and RP (documents, pointers)
//     are not results and are skipped.
//   - unit OBX-6.1 (else .2), reference range OBX-7, abnormal flag OBX-8
//     (see the flags below), performing lab OBX-23.1, else OBX-15.
//   - status: OBX-11, else OBR-25, via lab.ResultStatusFromOBX11. I, O and
//     N carry no result and are skipped; U (final without the value) is
//     refused, as only the sender has the value.
//   - observed_at OBX-14, else OBR-7.
//   - verified_by OBX-16.1, else the principal result interpreter's id
//     OBR-32.1.1, and verified_at OBX-19, else OBR-22, for final
//     and corrected results; a preliminary or cancelled result is not
//     verified and leaves both empty.
//   - comments: the NTE-3 texts after the OBX.
//   - customer_id: from the PID above the result, per AssigningAuthority.
//   - version: MSH-7 in microseconds, and updated_at MSH-7, so a
//     correction sent later wins under lab.Result.Newer and a resent old
//     message never does. Two messages with the same MSH-7 are ordered by
//     status (corrected beats final beats preliminary), so an LIS that may
//     send two corrections of one result within a second must give MSH-7
//     fractions of a second.
//
// OBX segments that follow an SPM describe the specimen (volume,
// condition), and those between a PID and the first ORC or OBR describe
// the patient (v2.7 and later allow both); neither is an ordered test, and
// both are skipped. A text result split over several OBX segments of the
// same test is joined; any other repeated test code within one accession
// number is an error.
//
// Every returned result passes lab.Result.Validate; the first field that
// would not is returned as an *Error at its HL7 location.
func DecodeResults(m *hl7.Message, opt Options) ([]lab.Result, error) {
	if err := expect(m, "ORU", "OUL"); err != nil {
		return nil, err
	}
	d := resultDecoder{m: m, opt: opt, loc: opt.location(), oul: strings.EqualFold(m.Type().Code, "OUL"), delims: m.Delimiters()}
	msgTime, err := messageTime(m, d.loc)
	if err != nil {
		return nil, err
	}
	d.msgTime, d.version = msgTime, version(msgTime)
	if err := d.run(); err != nil {
		return nil, err
	}
	return d.out, nil
}

type resultDecoder struct {
	m       *hl7.Message
	opt     Options
	loc     *time.Location
	oul     bool
	msgTime time.Time
	version int64

	out   []lab.Result
	seqs  [16]int        // OBX occurrence of the first results, for duplicate errors
	more  []int          // and of the others
	keys  map[string]int // result key → index in out, once out is long
	last  int            // index in out that NTEs attach to, or -1
	notes []string       // backing array of the results' comments

	pid      hl7.Segment
	pidAt    at
	customer string
	custDone bool

	// times remembers the last timestamps parsed: the OBX of one order
	// usually share their observation and verification times, and parsing
	// is the largest cost of an OBX after locating its fields.
	times [4]struct {
		raw string
		t   time.Time
	}
	nextTime int

	delims hl7.Delimiters
	fields segFields // the OBX being read

	orc, obr     hl7.Segment
	orcAt, obrAt at
	orcFresh     bool // the ORC started the group and no OBR joined it yet
	inSpecimen   bool
	group        groupInfo
	groupReady   bool
}

// groupInfo is what the results of one order group share.
type groupInfo struct {
	accession   string
	accLoc      hl7.ERL
	accErr      *Error // why accession cannot be used, reported at the first result
	status      string // OBR-25
	observed    time.Time
	reported    time.Time // OBR-22
	observedErr *Error
	reportedErr *Error
}

func (d *resultDecoder) run() error {
	m := d.m
	n := m.Count("OBX")
	d.out = make([]lab.Result, 0, n)
	d.last = -1
	var nPID, nORC, nOBR, nOBX, nNTE int
	for i := 1; i <= m.Len(); i++ {
		s := m.Segment(i)
		switch s.Name() {
		case "PID":
			nPID++
			d.pid, d.pidAt, d.custDone = s, at{"PID", nPID}, false
			d.orc, d.obr, d.orcFresh, d.inSpecimen, d.groupReady, d.last = hl7.Segment{}, hl7.Segment{}, false, false, false, -1
		case "ORC":
			nORC++
			if d.oul && !d.obr.IsZero() && d.orc.IsZero() && !d.groupReady {
				// OUL puts the ORC after the OBR it belongs to.
				d.orc, d.orcAt = s, at{"ORC", nORC}
			} else {
				d.orc, d.orcAt, d.obr, d.orcFresh = s, at{"ORC", nORC}, hl7.Segment{}, true
			}
			d.inSpecimen, d.groupReady, d.last = false, false, -1
		case "OBR":
			nOBR++
			if !d.orcFresh {
				d.orc = hl7.Segment{}
			}
			d.obr, d.obrAt, d.orcFresh = s, at{"OBR", nOBR}, false
			d.inSpecimen, d.groupReady, d.last = false, false, -1
		case "SPM":
			d.inSpecimen, d.last = true, -1
		case "OBX":
			nOBX++
			d.last = -1
			if d.inSpecimen || !d.pid.IsZero() && d.orc.IsZero() && d.obr.IsZero() {
				continue // about the specimen or the patient, not an ordered test
			}
			if err := d.obx(hl7.OBX{Segment: s}, at{"OBX", nOBX}); err != nil {
				return err
			}
		case "NTE":
			nNTE++
			if d.last < 0 {
				continue
			}
			text := hl7.NTE{Segment: s}.Comment()
			if blank(text) {
				continue
			}
			if len(text) > 2000 {
				return at{"NTE", nNTE}.err(3, hl7.CodeValueTooLong, "comment longer than 2000 characters")
			}
			d.addComment(&d.out[d.last], text)
		}
	}
	return nil
}

// prepareGroup reads what the results of the current order group share,
// once, at its first OBX: by then OUL's trailing ORC has been seen too.
func (d *resultDecoder) prepareGroup() {
	if d.groupReady {
		return
	}
	d.groupReady = true
	g := groupInfo{}
	g.accession, g.accLoc = accession(d.orc, d.obr, d.orcAt, d.obrAt, d.opt.Accession)
	switch {
	case g.accession == "" && g.accLoc.Segment == "OBR" && g.accLoc.Sequence == 0:
		g.accErr = &Error{Location: g.accLoc, Code: hl7.CodeSegmentSequence, Reason: "observation without an order (ORC or OBR)"}
	case g.accession == "":
		g.accErr = &Error{Location: g.accLoc, Code: hl7.CodeRequiredFieldMissing, Reason: "missing order number (accession number)"}
	case !validID(g.accession):
		g.accErr = &Error{Location: g.accLoc, Code: hl7.CodeDataType, Reason: idRule("order number")}
	}
	if !d.obr.IsZero() {
		g.status = d.obr.Field(25).String()
		g.observed, g.observedErr = d.time(d.obr.Field(7).Raw(), d.obr, d.obrAt, 7)
		g.reported, g.reportedErr = d.time(d.obr.Field(22).Raw(), d.obr, d.obrAt, 22)
	}
	d.group = g
}

// accession applies rule to an order group; when no number is present, id
// is empty and loc is where the first choice would be.
func accession(orc, obr hl7.Segment, orcAt, obrAt at, rule AccessionRule) (string, hl7.ERL) {
	first, second := 2, 3
	if rule == FillerFirst {
		first, second = 3, 2
	}
	for _, f := range [2]int{first, second} {
		if v := obr.Field(f).String(); v != "" {
			return v, obrAt.loc(f)
		}
		if v := orc.Field(f).String(); v != "" {
			return v, orcAt.loc(f)
		}
	}
	if obr.IsZero() && !orc.IsZero() {
		return "", orcAt.loc(first)
	}
	if obr.IsZero() {
		return "", hl7.ERL{Segment: "OBR"}
	}
	return "", obrAt.loc(first)
}

func (d *resultDecoder) obx(x hl7.OBX, a at) *Error {
	f := &d.fields
	f.split(x.Raw(), d.delims)
	vt := strings.ToUpper(f.leaf(2))
	if vt == "ED" || vt == "RP" {
		return nil
	}
	d.prepareGroup()
	g := &d.group

	// Status.
	stCode, stAt, stField := f.leaf(11), a, 11
	if stCode == "" {
		stCode, stAt, stField = g.status, d.obrAt, 25
	}
	switch strings.ToUpper(stCode) {
	case "":
		return a.missing(11, "observation result status")
	case "I", "O", "N":
		return nil // pending, order detail, not asked: no result yet
	case "U":
		return stAt.err(stField, hl7.CodeTableValueNotFound,
			"status U (made final without the value) is not supported; send F with the value")
	}
	status, ok := lab.ResultStatusFromOBX11(stCode)
	if !ok {
		return stAt.err(stField, hl7.CodeTableValueNotFound, "result status must be one of P, F, C, X, R, S, D, W")
	}

	// Keys.
	if g.accErr != nil {
		return g.accErr
	}
	code := resultTestCode(f.raw(3), x.Field, d.delims)
	if code == "" {
		return a.missing(3, "test code")
	}
	if !validID(code) {
		return a.invalid(3, idRule("test code"))
	}

	// Value.
	var (
		value string
		typ   lab.ValueType
	)
	switch vt {
	case "NM":
		value, typ = f.leaf(5), lab.ValueNumeric
	case "SN":
		value, typ = structuredNumeric(x.ValueField())
	case "CE", "CWE", "CNE", "CF":
		c := x.CodedValue()
		value, typ = firstNonEmpty(c.Code, c.Text), lab.ValueCoded
	default:
		if strings.IndexByte(f.raw(5), d.delims.Repetition) < 0 {
			value, typ = f.leaf(5), lab.ValueText
		} else {
			value, typ = textValue(x.ValueField()), lab.ValueText
		}
	}
	switch {
	case blank(value):
		if status != lab.ResultCancelled {
			return a.missing(5, "observation value (required unless the result is cancelled, X)")
		}
	case len(value) > 65536:
		return a.err(5, hl7.CodeValueTooLong, "observation value longer than 65536 bytes")
	case typ == lab.ValueNumeric && !numeric(value):
		return a.invalid(5, "numeric value must be a decimal number, optionally prefixed with < or >")
	}
	unit := resultUnit(f.raw(6), x.Field, d.delims)
	if unit != "" && !validUCUM(unit) {
		return a.invalid(6, "unit must be UCUM: at most 32 printable ASCII characters, no spaces, balanced brackets")
	}
	refRange := f.leaf(7)
	if len(refRange) > 100 {
		return a.err(7, hl7.CodeValueTooLong, "reference range longer than 100 characters")
	}

	// Times and people.
	observed, terr := d.time(f.raw(14), x.Segment, a, 14)
	if terr != nil {
		return terr
	}
	if observed.IsZero() {
		if g.observedErr != nil {
			return g.observedErr
		}
		if observed = g.observed; observed.IsZero() {
			return a.missing(14, "observation date/time (OBX-14, or OBR-7 for the order)")
		}
	}
	var verifiedBy string
	var verifiedAt time.Time
	if status == lab.ResultFinal || status == lab.ResultCorrected {
		verifiedBy = f.leaf(16)
		vbAt, vbField := a, 16
		if verifiedBy == "" {
			// The order's principal result interpreter, OBR-32.1.1.
			verifiedBy, vbAt, vbField = d.obr.Field(32).Subcomponent(1).String(), d.obrAt, 32
		}
		if verifiedBy == "" {
			return a.missing(16, "responsible observer id (who verified the result; or OBR-32 for the order)")
		}
		if !validID(verifiedBy) {
			return vbAt.invalid(vbField, idRule("responsible observer id"))
		}
		if verifiedAt, terr = d.time(f.raw(19), x.Segment, a, 19); terr != nil {
			return terr
		}
		if verifiedAt.IsZero() {
			if g.reportedErr != nil {
				return g.reportedErr
			}
			if verifiedAt = g.reported; verifiedAt.IsZero() {
				return a.missing(19, "verification date/time (OBX-19, or OBR-22 for the order)")
			}
		}
	}
	performer, pField := f.leaf(23), 23
	if performer == "" && f.raw(15) != "" {
		p := x.ProducerID()
		performer, pField = firstNonEmpty(p.Text, p.Code), 15
	}
	if len(performer) > 200 {
		return a.err(pField, hl7.CodeValueTooLong, "performing organization longer than 200 characters")
	}
	customer, cerr := d.customerID()
	if cerr != nil {
		return cerr
	}

	// A text result continued over several OBX segments is one result.
	if i, dup := d.find(g.accession, code); dup {
		p := &d.out[i]
		if p.ValueType == lab.ValueText && typ == lab.ValueText && p.Status == status {
			if len(p.Value)+1+len(value) > 65536 {
				return a.err(5, hl7.CodeValueTooLong, "observation value longer than 65536 bytes")
			}
			p.Value += "\n" + value
			d.last = i
			return nil
		}
		return a.err(3, hl7.CodeDuplicateKeyIdentifier,
			"test code repeats OBX("+itoa(d.seq(i))+") for the same order number")
	}

	d.out = append(d.out, lab.Result{
		AccessionNumber: g.accession,
		TestCode:        code,
		Version:         d.version,
		ValueType:       typ,
		Value:           value,
		Unit:            unit,
		ReferenceRange:  refRange,
		AbnormalFlag:    flagFrom(f.raw(8), x.Field),
		Status:          status,
		ObservedAt:      observed,
		VerifiedBy:      verifiedBy,
		VerifiedAt:      verifiedAt,
		CustomerID:      customer,
		PerformingLab:   performer,
		UpdatedAt:       d.msgTime,
	})
	d.last = len(d.out) - 1
	if d.last < len(d.seqs) {
		d.seqs[d.last] = a.seq
	} else {
		d.more = append(d.more, a.seq)
	}
	if d.keys != nil {
		d.keys[g.accession+"/"+code] = d.last
	}
	return nil
}

func (d *resultDecoder) seq(i int) int {
	if i < len(d.seqs) {
		return d.seqs[i]
	}
	return d.more[i-len(d.seqs)]
}

// addComment appends a comment to r. The comments of all results share one
// backing array sized by the NTE count, so a message with many commented
// results costs one allocation, not one per result: a result's comments
// are consecutive NTEs, so its slice can grow in place at the end of the
// array, and carved slices have no spare capacity for a later append to
// overwrite a neighbour.
func (d *resultDecoder) addComment(r *lab.Result, text string) {
	if d.notes == nil {
		d.notes = make([]string, 0, d.m.Count("NTE"))
	}
	n, k := len(d.notes), len(r.Comments)
	if n < cap(d.notes) && (k == 0 || n >= k && &d.notes[n-k] == &r.Comments[0]) {
		d.notes = append(d.notes, text)
		r.Comments = d.notes[n-k : n+1 : n+1]
		return
	}
	r.Comments = append(r.Comments[:k:k], text)
}

// find returns the index of the result with the given key. A scan is the
// fastest for the usual dozen results; past linearLimit a map keeps a
// message with thousands of OBX segments from taking quadratic time.
func (d *resultDecoder) find(accession, code string) (int, bool) {
	const linearLimit = 32
	if d.keys == nil && len(d.out) > linearLimit {
		d.keys = make(map[string]int, 2*len(d.out))
		for i := range d.out {
			d.keys[d.out[i].ResultKey()] = i
		}
	}
	if d.keys != nil {
		i, ok := d.keys[accession+"/"+code]
		return i, ok
	}
	for i := range d.out {
		if d.out[i].TestCode == code && d.out[i].AccessionNumber == accession {
			return i, true
		}
	}
	return 0, false
}

// time reads a DTM field like timeField, remembering recent values; raw
// is the field's encoded text.
func (d *resultDecoder) time(raw string, s hl7.Segment, a at, field int) (time.Time, *Error) {
	if raw == "" {
		return time.Time{}, nil
	}
	for i := range d.times {
		if d.times[i].raw == raw {
			return d.times[i].t, nil
		}
	}
	t, err := timeField(s, a, field, d.loc)
	if err == nil {
		d.times[d.nextTime] = struct {
			raw string
			t   time.Time
		}{raw, t}
		d.nextTime = (d.nextTime + 1) % len(d.times)
	}
	return t, err
}

// resultTestCode is testCode for OBX-3, reading only the components it
// needs: decoding the whole CWE scans the long LOINC names byte by byte,
// and this runs for every OBX.
func resultTestCode(raw string, field func(int) hl7.Value, d hl7.Delimiters) string {
	c := firstComponents(raw, d)
	if !plain(c[0], d) || !plain(c[2], d) || !plain(c[3], d) {
		v := field(3)
		if system := v.Component(3).String(); system == "LN" || system == "ln" {
			if alt := v.Component(4).String(); alt != "" {
				return alt
			}
		}
		return v.Component(1).String()
	}
	if (c[2] == "LN" || c[2] == "ln") && c[3] != "" {
		return c[3]
	}
	return c[0]
}

// resultUnit is OBX-6.1, else OBX-6.2.
func resultUnit(raw string, field func(int) hl7.Value, d hl7.Delimiters) string {
	c := firstComponents(raw, d)
	if !plain(c[0], d) || !plain(c[1], d) {
		v := field(6)
		if u := v.Component(1).String(); u != "" {
			return u
		}
		return v.Component(2).String()
	}
	return firstNonEmpty(c[0], c[1])
}

// firstComponents cuts the first four components of the first repetition
// of a field's encoded text in one pass of the vectorised byte search:
// hl7.Value.Component starts again from the beginning for each component,
// and OBX-3 and OBX-6 are read for every result. The components are still
// encoded; callers check the ones they use with plain. The array is
// returned by value so that filling it runs no GC write barriers.
func firstComponents(raw string, d hl7.Delimiters) (c [4]string) {
	if i := strings.IndexByte(raw, d.Repetition); i >= 0 {
		raw = raw[:i]
	}
	for k := range c {
		i := strings.IndexByte(raw, d.Component)
		if i < 0 {
			c[k] = raw
			return c
		}
		c[k], raw = raw[:i], raw[i+1:]
	}
	return c
}

// plain reports whether an encoded component is its own value: no escape
// sequence to decode and no sub-components.
func plain(c string, d hl7.Delimiters) bool {
	for i := 0; i < len(c); i++ {
		if c[i] == d.Escape || c[i] == d.Subcomponent {
			return false
		}
	}
	return true
}

// customerID reads the customer of the current PID once.
func (d *resultDecoder) customerID() (string, *Error) {
	if d.custDone {
		return d.customer, nil
	}
	d.custDone = true
	d.customer = ""
	if d.pid.IsZero() {
		return "", nil
	}
	id, rep := customerID(d.pid, d.opt.AssigningAuthority)
	if id != "" && !validID(id) {
		e := d.pidAt.invalid(3, idRule("patient identifier"))
		e.Location.FieldRep = rep
		return "", e
	}
	d.customer = id
	return id, nil
}

func idRule(what string) string {
	return what + " must be 1-64 letters, digits, '.', '_' or '-'"
}

// structuredNumeric reads an SN value: comparator^num1^separator^num2.
// "<^70" and "^5.4" are numbers; "^1^:^128" (a ratio) and "^10^-^20" (a
// range) are text.
func structuredNumeric(v hl7.Value) (string, lab.ValueType) {
	cmp, n1, sep, n2 := v.Component(1).String(), v.Component(2).String(), v.Component(3).String(), v.Component(4).String()
	if sep == "" && n2 == "" {
		if cmp == "" || cmp == "=" {
			return n1, lab.ValueNumeric
		}
		return cmp + n1, lab.ValueNumeric
	}
	if cmp == "=" {
		cmp = ""
	}
	return cmp + n1 + sep + n2, lab.ValueText
}

// textValue reads a text OBX-5: the first component of each repetition,
// joined by line breaks.
func textValue(v hl7.Value) string {
	n := v.Reps()
	if n <= 1 {
		return v.String()
	}
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteByte('\n')
		}
		b.WriteString(v.Rep(i).String())
	}
	return b.String()
}
