package hl7

import (
	"strconv"
	"strings"
)

// This file holds the composite data types labs meet in the segments this
// package decodes. Each has a decoder from a Value and an AppendER7 method
// so it can be written with SegmentBuilder.SetValue. Only the components a
// lab integration uses are kept; read the rest through Value.

// FieldValue is a value that can encode itself as one field repetition.
// The composite types of this package implement it, as do Text and
// Components.
type FieldValue interface {
	AppendER7(dst []byte, d Delimiters) []byte
}

// Text is a plain value that is escaped when encoded.
type Text string

// AppendER7 implements FieldValue.
func (t Text) AppendER7(dst []byte, d Delimiters) []byte { return appendEscaped(dst, string(t), d) }

// Components is a value made of components, each escaped when encoded.
// Trailing empty components are omitted.
type Components []string

// AppendER7 implements FieldValue.
func (c Components) AppendER7(dst []byte, d Delimiters) []byte {
	parts := make([]string, len(c))
	for i, s := range c {
		parts[i] = Escape(s, d)
	}
	return joinTrim(dst, d.Component, parts...)
}

// joinTrim appends the already-encoded parts joined by sep, leaving out
// trailing empty parts as the standard allows.
func joinTrim(dst []byte, sep byte, parts ...string) []byte {
	n := len(parts)
	for n > 0 && parts[n-1] == "" {
		n--
	}
	for i, p := range parts[:n] {
		if i > 0 {
			dst = append(dst, sep)
		}
		dst = append(dst, p...)
	}
	return dst
}

// parts walks the children of a composite value in order without
// re-scanning from the start for each one.
type parts struct {
	rest string
	sep  byte
	d    Delimiters
	lvl  level // level of the children
	done bool
}

func partsOf(v Value) parts {
	if v.lvl == levelField {
		v = v.child(1)
	}
	p := parts{rest: v.raw, d: v.d, lvl: v.lvl + 1}
	switch v.lvl {
	case levelRep:
		p.sep = v.d.Component
	case levelComp:
		p.sep = v.d.Subcomponent
	default: // a leaf: it is its own single part
		p.lvl = v.lvl
	}
	return p
}

// value returns the next child as a view.
func (p *parts) value() Value {
	if p.done {
		return Value{d: p.d, lvl: p.lvl}
	}
	s := p.rest
	if p.sep != 0 {
		if i := strings.IndexByte(s, p.sep); i >= 0 {
			p.rest = s[i+1:]
			return Value{raw: s[:i], d: p.d, lvl: p.lvl, ok: true}
		}
	}
	p.done = true
	return Value{raw: s, d: p.d, lvl: p.lvl, ok: true}
}

// next returns the next child, unescaped. It finds the child's end, its
// first sub-component and any escape character in one pass: decoding a
// CWE reads up to nine children, for every OBX.
func (p *parts) next() string {
	if p.done {
		return ""
	}
	s, d := p.rest, p.d
	end, cut, esc := len(s), len(s), false
	if p.lvl == levelComp {
		for i := 0; i < len(s); i++ {
			switch s[i] {
			case p.sep:
				end = i
				goto found
			case d.Subcomponent:
				if cut > i {
					cut = i
				}
			case d.Escape:
				if cut > i {
					esc = true
				}
			}
		}
	} else if p.sep != 0 {
		for i := 0; i < len(s); i++ {
			switch s[i] {
			case p.sep:
				end = i
				goto found
			case d.Escape:
				esc = true
			}
		}
	} else {
		esc = strings.IndexByte(s, d.Escape) >= 0
	}
	p.done = true
found:
	if !p.done {
		p.rest = s[end+1:]
	}
	leaf := s[:min(end, cut)]
	if esc {
		return unescape(leaf, d)
	}
	return leaf
}

// skip drops n children.
func (p *parts) skip(n int) {
	for range n {
		p.value()
	}
}

// maxParts is the most components the fast decoding path keeps; every
// type here reads components 1 to 13 at most.
const maxParts = 13

// split cuts the first repetition of v into its components (or a
// component into its sub-components) in one pass, for decoders. It gives
// up (ok false) if it meets an escape character or, at repetition level, a
// sub-component separator: those need the general path (parts), which
// unescapes and descends. Plain values, the vast majority, never do, and
// decoding them this way costs one scan and no allocation.
func split(v Value, out *[maxParts]string) (ok bool) {
	raw, d := v.raw, v.d
	n, start := 0, 0
	switch v.lvl {
	case levelField, levelRep:
		stop := d.Component // stands for "no stop" at repetition level
		if v.lvl == levelField {
			stop = d.Repetition
		}
		for i := 0; i < len(raw); i++ {
			c := raw[i]
			if c == d.Component || c == stop {
				if n < maxParts {
					out[n] = raw[start:i]
				}
				n++
				start = i + 1
				if c == stop && c != d.Component {
					return true
				}
			} else if c == d.Escape || c == d.Subcomponent {
				return false
			}
		}
	case levelComp:
		for i := 0; i < len(raw); i++ {
			c := raw[i]
			if c == d.Subcomponent {
				if n < maxParts {
					out[n] = raw[start:i]
				}
				n++
				start = i + 1
			} else if c == d.Escape {
				return false
			}
		}
	default:
		if strings.IndexByte(raw, d.Escape) >= 0 {
			return false
		}
	}
	if n < maxParts {
		out[n] = raw[start:]
	}
	return true
}

// HD is a hierarchic designator: an application, facility or assigning
// authority.
type HD struct {
	NamespaceID     string // HD.1, the local name, e.g. "LIS"
	UniversalID     string // HD.2, e.g. an OID
	UniversalIDType string // HD.3, e.g. "ISO"
}

// DecodeHD reads an HD from a field, repetition or component.
func DecodeHD(v Value) HD {
	var c [maxParts]string
	if split(v, &c) {
		return HD{c[0], c[1], c[2]}
	}
	p := partsOf(v)
	return HD{p.next(), p.next(), p.next()}
}

// AppendER7 implements FieldValue.
func (h HD) AppendER7(dst []byte, d Delimiters) []byte {
	return joinTrim(dst, d.Component, Escape(h.NamespaceID, d), Escape(h.UniversalID, d), Escape(h.UniversalIDType, d))
}

// sub encodes h as the sub-components of one component.
func (h HD) sub(d Delimiters) string {
	return string(joinTrim(nil, d.Subcomponent, Escape(h.NamespaceID, d), Escape(h.UniversalID, d), Escape(h.UniversalIDType, d)))
}

// IsZero reports whether h is empty.
func (h HD) IsZero() bool { return h == HD{} }

// CWE is a coded value (CWE, CE and CNE share this layout): a test code, a
// unit, a specimen type.
type CWE struct {
	Code         string // .1 identifier, e.g. a LOINC code
	Text         string // .2 text
	System       string // .3 name of coding system, e.g. "LN"
	AltCode      string // .4
	AltText      string // .5
	AltSystem    string // .6
	OriginalText string // .9
}

// DecodeCWE reads a CWE from a field, repetition or component.
func DecodeCWE(v Value) CWE {
	var c [maxParts]string
	if split(v, &c) {
		return CWE{Code: c[0], Text: c[1], System: c[2], AltCode: c[3], AltText: c[4], AltSystem: c[5], OriginalText: c[8]}
	}
	p := partsOf(v)
	cwe := CWE{Code: p.next(), Text: p.next(), System: p.next(), AltCode: p.next(), AltText: p.next(), AltSystem: p.next()}
	p.skip(2)
	cwe.OriginalText = p.next()
	return cwe
}

// AppendER7 implements FieldValue.
func (c CWE) AppendER7(dst []byte, d Delimiters) []byte {
	return joinTrim(dst, d.Component, Escape(c.Code, d), Escape(c.Text, d), Escape(c.System, d),
		Escape(c.AltCode, d), Escape(c.AltText, d), Escape(c.AltSystem, d), "", "", Escape(c.OriginalText, d))
}

// IsZero reports whether c is empty.
func (c CWE) IsZero() bool { return c == CWE{} }

// CX is an identifier with its assigning authority, such as a medical
// record number in PID-3.
type CX struct {
	ID                 string // .1
	CheckDigit         string // .2
	CheckDigitScheme   string // .3
	AssigningAuthority HD     // .4
	TypeCode           string // .5 identifier type, e.g. "MR", "PI", "NI"
	AssigningFacility  HD     // .6
}

// DecodeCX reads a CX from a field or repetition.
func DecodeCX(v Value) CX {
	var c [maxParts]string
	if split(v, &c) {
		return CX{ID: c[0], CheckDigit: c[1], CheckDigitScheme: c[2], AssigningAuthority: HD{NamespaceID: c[3]},
			TypeCode: c[4], AssigningFacility: HD{NamespaceID: c[5]}}
	}
	p := partsOf(v)
	return CX{
		ID: p.next(), CheckDigit: p.next(), CheckDigitScheme: p.next(),
		AssigningAuthority: DecodeHD(p.value()), TypeCode: p.next(), AssigningFacility: DecodeHD(p.value()),
	}
}

// AppendER7 implements FieldValue.
func (c CX) AppendER7(dst []byte, d Delimiters) []byte {
	return joinTrim(dst, d.Component, Escape(c.ID, d), Escape(c.CheckDigit, d), Escape(c.CheckDigitScheme, d),
		c.AssigningAuthority.sub(d), Escape(c.TypeCode, d), c.AssigningFacility.sub(d))
}

// XPN is a person name.
type XPN struct {
	Family   string // .1.1 surname
	Given    string // .2
	Middle   string // .3 second and further given names or initials
	Suffix   string // .4, e.g. "JR"
	Prefix   string // .5, e.g. "DR"
	Degree   string // .6
	TypeCode string // .7, e.g. "L" legal
}

// DecodeXPN reads an XPN from a field or repetition.
func DecodeXPN(v Value) XPN {
	var c [maxParts]string
	if split(v, &c) {
		return XPN{Family: c[0], Given: c[1], Middle: c[2], Suffix: c[3], Prefix: c[4], Degree: c[5], TypeCode: c[6]}
	}
	p := partsOf(v)
	return XPN{
		Family: p.value().Subcomponent(1).String(), Given: p.next(), Middle: p.next(),
		Suffix: p.next(), Prefix: p.next(), Degree: p.next(), TypeCode: p.next(),
	}
}

// AppendER7 implements FieldValue.
func (x XPN) AppendER7(dst []byte, d Delimiters) []byte {
	return joinTrim(dst, d.Component, Escape(x.Family, d), Escape(x.Given, d), Escape(x.Middle, d),
		Escape(x.Suffix, d), Escape(x.Prefix, d), Escape(x.Degree, d), Escape(x.TypeCode, d))
}

// XCN is a person with an identifier: ordering provider, responsible
// observer, collector.
type XCN struct {
	ID                 string // .1
	Family             string // .2.1
	Given              string // .3
	Middle             string // .4
	Suffix             string // .5
	Prefix             string // .6
	Degree             string // .7
	AssigningAuthority HD     // .9
	TypeCode           string // .13 identifier type, e.g. "NPI"
}

// DecodeXCN reads an XCN from a field or repetition.
func DecodeXCN(v Value) XCN {
	var c [maxParts]string
	if split(v, &c) {
		return XCN{ID: c[0], Family: c[1], Given: c[2], Middle: c[3], Suffix: c[4], Prefix: c[5], Degree: c[6],
			AssigningAuthority: HD{NamespaceID: c[8]}, TypeCode: c[12]}
	}
	p := partsOf(v)
	x := XCN{ID: p.next(), Family: p.value().Subcomponent(1).String(), Given: p.next(), Middle: p.next(),
		Suffix: p.next(), Prefix: p.next(), Degree: p.next()}
	p.skip(1)
	x.AssigningAuthority = DecodeHD(p.value())
	p.skip(3)
	x.TypeCode = p.next()
	return x
}

// AppendER7 implements FieldValue.
func (x XCN) AppendER7(dst []byte, d Delimiters) []byte {
	return joinTrim(dst, d.Component, Escape(x.ID, d), Escape(x.Family, d), Escape(x.Given, d), Escape(x.Middle, d),
		Escape(x.Suffix, d), Escape(x.Prefix, d), Escape(x.Degree, d), "", x.AssigningAuthority.sub(d), "", "", "", Escape(x.TypeCode, d))
}

// IsZero reports whether x is empty.
func (x XCN) IsZero() bool { return x == XCN{} }

// EI is an entity identifier: placer and filler order numbers, specimen ids.
type EI struct {
	ID              string // .1
	NamespaceID     string // .2, the assigning application
	UniversalID     string // .3
	UniversalIDType string // .4
}

// DecodeEI reads an EI from a field, repetition or component.
func DecodeEI(v Value) EI {
	var c [maxParts]string
	if split(v, &c) {
		return EI{c[0], c[1], c[2], c[3]}
	}
	p := partsOf(v)
	return EI{p.next(), p.next(), p.next(), p.next()}
}

// AppendER7 implements FieldValue.
func (e EI) AppendER7(dst []byte, d Delimiters) []byte {
	return joinTrim(dst, d.Component, Escape(e.ID, d), Escape(e.NamespaceID, d), Escape(e.UniversalID, d), Escape(e.UniversalIDType, d))
}

func (e EI) sub(d Delimiters) string {
	return string(joinTrim(nil, d.Subcomponent, Escape(e.ID, d), Escape(e.NamespaceID, d), Escape(e.UniversalID, d), Escape(e.UniversalIDType, d)))
}

// EIP is an entity identifier pair, as in SPM-2: the placer's and the
// filler's identifier of the same thing.
type EIP struct {
	Placer EI // .1
	Filler EI // .2
}

// DecodeEIP reads an EIP from a field or repetition.
func DecodeEIP(v Value) EIP {
	p := partsOf(v)
	return EIP{DecodeEI(p.value()), DecodeEI(p.value())}
}

// AppendER7 implements FieldValue.
func (e EIP) AppendER7(dst []byte, d Delimiters) []byte {
	return joinTrim(dst, d.Component, e.Placer.sub(d), e.Filler.sub(d))
}

// XTN is a telephone number or e-mail address.
type XTN struct {
	Number        string // .1, formatted number (the only component before v2.5)
	UseCode       string // .2, e.g. "PRN", "WPN", "NET"
	EquipmentType string // .3, e.g. "PH", "CP", "Internet"
	Email         string // .4
	CountryCode   string // .5
	AreaCode      string // .6
	LocalNumber   string // .7
	Extension     string // .8
	Unformatted   string // .12
}

// DecodeXTN reads an XTN from a field or repetition.
func DecodeXTN(v Value) XTN {
	var c [maxParts]string
	if split(v, &c) {
		return XTN{Number: c[0], UseCode: c[1], EquipmentType: c[2], Email: c[3], CountryCode: c[4],
			AreaCode: c[5], LocalNumber: c[6], Extension: c[7], Unformatted: c[11]}
	}
	p := partsOf(v)
	x := XTN{Number: p.next(), UseCode: p.next(), EquipmentType: p.next(), Email: p.next(),
		CountryCode: p.next(), AreaCode: p.next(), LocalNumber: p.next(), Extension: p.next()}
	p.skip(3)
	x.Unformatted = p.next()
	return x
}

// AppendER7 implements FieldValue.
func (x XTN) AppendER7(dst []byte, d Delimiters) []byte {
	return joinTrim(dst, d.Component, Escape(x.Number, d), Escape(x.UseCode, d), Escape(x.EquipmentType, d),
		Escape(x.Email, d), Escape(x.CountryCode, d), Escape(x.AreaCode, d), Escape(x.LocalNumber, d),
		Escape(x.Extension, d), "", "", "", Escape(x.Unformatted, d))
}

// Phone returns the number in the most complete form the sender gave:
// the unformatted number, else the formatted one of XTN.1, else one
// assembled from country code, area code, local number and extension.
func (x XTN) Phone() string {
	switch {
	case x.Unformatted != "":
		return x.Unformatted
	case x.Number != "":
		return x.Number
	case x.LocalNumber == "":
		return ""
	}
	var b strings.Builder
	if x.CountryCode != "" {
		b.WriteString("+" + strings.TrimPrefix(x.CountryCode, "+") + " ")
	}
	if x.AreaCode != "" {
		b.WriteString(x.AreaCode + " ")
	}
	b.WriteString(x.LocalNumber)
	if x.Extension != "" {
		b.WriteString(" x" + x.Extension)
	}
	return b.String()
}

// XAD is an address.
type XAD struct {
	Street  string // .1.1
	Other   string // .2 other designation (apartment, suite)
	City    string // .3
	State   string // .4
	Zip     string // .5
	Country string // .6
	Type    string // .7, e.g. "H" home
}

// DecodeXAD reads an XAD from a field or repetition.
func DecodeXAD(v Value) XAD {
	var c [maxParts]string
	if split(v, &c) {
		return XAD{Street: c[0], Other: c[1], City: c[2], State: c[3], Zip: c[4], Country: c[5], Type: c[6]}
	}
	p := partsOf(v)
	return XAD{Street: p.value().Subcomponent(1).String(), Other: p.next(), City: p.next(), State: p.next(),
		Zip: p.next(), Country: p.next(), Type: p.next()}
}

// AppendER7 implements FieldValue.
func (x XAD) AppendER7(dst []byte, d Delimiters) []byte {
	return joinTrim(dst, d.Component, Escape(x.Street, d), Escape(x.Other, d), Escape(x.City, d),
		Escape(x.State, d), Escape(x.Zip, d), Escape(x.Country, d), Escape(x.Type, d))
}

// PL is a patient location.
type PL struct {
	PointOfCare string // .1
	Room        string // .2
	Bed         string // .3
	Facility    HD     // .4
}

// DecodePL reads a PL from a field or repetition.
func DecodePL(v Value) PL {
	var c [maxParts]string
	if split(v, &c) {
		return PL{PointOfCare: c[0], Room: c[1], Bed: c[2], Facility: HD{NamespaceID: c[3]}}
	}
	p := partsOf(v)
	return PL{PointOfCare: p.next(), Room: p.next(), Bed: p.next(), Facility: DecodeHD(p.value())}
}

// AppendER7 implements FieldValue.
func (l PL) AppendER7(dst []byte, d Delimiters) []byte {
	return joinTrim(dst, d.Component, Escape(l.PointOfCare, d), Escape(l.Room, d), Escape(l.Bed, d), l.Facility.sub(d))
}

// MSG is a message type (MSH-9).
type MSG struct {
	Code      string // .1, e.g. "ORU"
	Trigger   string // .2, e.g. "R01"
	Structure string // .3, e.g. "ORU_R01"
}

// DecodeMSG reads a MSG from a field.
func DecodeMSG(v Value) MSG {
	var c [maxParts]string
	if split(v, &c) {
		return MSG{c[0], c[1], c[2]}
	}
	p := partsOf(v)
	return MSG{p.next(), p.next(), p.next()}
}

// AppendER7 implements FieldValue.
func (t MSG) AppendER7(dst []byte, d Delimiters) []byte {
	return joinTrim(dst, d.Component, Escape(t.Code, d), Escape(t.Trigger, d), Escape(t.Structure, d))
}

// String returns code^trigger, e.g. "ORU^R01", for logs and errors.
func (t MSG) String() string {
	if t.Trigger == "" {
		return t.Code
	}
	return t.Code + "^" + t.Trigger
}

// ERL is an error location (ERR-2): where in the offending message the
// problem is. Zero numbers are left out when encoded.
type ERL struct {
	Segment      string // .1 segment name
	Sequence     int    // .2 which occurrence of the segment, 1-based
	Field        int    // .3
	FieldRep     int    // .4
	Component    int    // .5
	Subcomponent int    // .6
}

// DecodeERL reads an ERL from a field or repetition. Numbers that are not
// numbers read as 0.
func DecodeERL(v Value) ERL {
	p := partsOf(v)
	return ERL{Segment: p.next(), Sequence: atoi(p.next()), Field: atoi(p.next()), FieldRep: atoi(p.next()),
		Component: atoi(p.next()), Subcomponent: atoi(p.next())}
}

// AppendER7 implements FieldValue.
func (l ERL) AppendER7(dst []byte, d Delimiters) []byte {
	return joinTrim(dst, d.Component, Escape(l.Segment, d), itoa(l.Sequence), itoa(l.Field), itoa(l.FieldRep),
		itoa(l.Component), itoa(l.Subcomponent))
}

// IsZero reports whether l is empty.
func (l ERL) IsZero() bool { return l == ERL{} }

func atoi(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

func itoa(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}
