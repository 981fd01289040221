package hl7map

import (
	"strings"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/lab"
)

// Specimen types are written with HL7 table 0487 codes where the table has
// one, and as local codes ("L") otherwise.
var specimenCodes = map[lab.SpecimenType]hl7.CWE{
	lab.SpecimenSerum:      {Code: "SER", Text: "Serum", System: "HL70487"},
	lab.SpecimenPlasma:     {Code: "PLAS", Text: "Plasma", System: "HL70487"},
	lab.SpecimenWholeBlood: {Code: "BLD", Text: "Whole blood", System: "HL70487"},
	lab.SpecimenUrine:      {Code: "UR", Text: "Urine", System: "HL70487"},
	lab.SpecimenCSF:        {Code: "CSF", Text: "Cerebral spinal fluid", System: "HL70487"},
	lab.SpecimenStool:      {Code: "STL", Text: "Stool = Fecal", System: "HL70487"},
	lab.SpecimenSwab:       {Code: "swab", Text: "Swab", System: "L"},
	lab.SpecimenOther:      {Code: "OTH", Text: "Other", System: "HL70487"},
}

// specimenFromCode reads the table 0487 and 0070 codes, the SNOMED CT
// specimen concepts US lab guides use, and IMP's own names, in the code,
// the alternate code or the text. Anything else is "other": a specimen
// type the lab does not route on must not reject an order.
func specimenFromCode(c hl7.CWE) lab.SpecimenType {
	for _, code := range [...]string{c.Code, c.AltCode, strings.ReplaceAll(strings.TrimSpace(c.Text), " ", "-")} {
		switch strings.ToUpper(code) {
		case "":
			continue
		case "SER", "SERUM", "119364003":
			return lab.SpecimenSerum
		case "PLAS", "PLASMA", "PLS", "119361006":
			return lab.SpecimenPlasma
		case "BLD", "WB", "WHOLE-BLOOD", "BLDV", "BLDA", "BLDC", "119297000":
			return lab.SpecimenWholeBlood
		case "UR", "URINE", "URN", "URINE-RANDOM", "122575003":
			return lab.SpecimenUrine
		case "CSF", "258450006":
			return lab.SpecimenCSF
		case "STL", "STOOL", "FEC", "119339001":
			return lab.SpecimenStool
		case "SWAB", "SW", "257261003":
			return lab.SpecimenSwab
		}
	}
	return lab.SpecimenOther
}

// serviceID is OBR-4 or OBX-3 for a test: the LOINC triple first with the
// local code as the alternate when the catalog knows the LOINC code, so
// receivers that speak LOINC and the LIS that speaks local codes both find
// theirs; the local triple alone otherwise.
func serviceID(code, name string, tests map[string]lab.Test) hl7.CWE {
	t, ok := tests[code]
	if ok && t.Name != "" {
		name = t.Name
	}
	if ok && t.LOINC != "" {
		return hl7.CWE{Code: t.LOINC, Text: name, System: "LN", AltCode: code, AltText: name, AltSystem: "L"}
	}
	return hl7.CWE{Code: code, Text: name, System: "L"}
}

// testCode picks IMP's test code from a coded test identifier: the local
// code when there is one (the primary triple when its system is not LOINC,
// else the alternate triple), and the LOINC code when the sender gave
// nothing else. lab.Result has no LOINC field, so a LOINC code beside a
// local one is not kept.
func testCode(c hl7.CWE) (code, name string) {
	if strings.EqualFold(c.System, "LN") && c.AltCode != "" {
		return c.AltCode, firstNonEmpty(c.AltText, c.Text)
	}
	return c.Code, firstNonEmpty(c.Text, c.OriginalText)
}

// loincOf returns the LOINC code of a test: the catalog's, or the test code
// itself when it is a valid LOINC code (a result whose only code was LOINC).
func loincOf(code string, tests map[string]lab.Test) string {
	if t, ok := tests[code]; ok && t.LOINC != "" {
		return t.LOINC
	}
	if lab.ValidLOINC(code) {
		return code
	}
	return ""
}

// flagFrom maps OBX-8 (table 0078) to the flags IMP knows. Several
// repetitions ("L~A") give the most severe. Off-scale "<" and ">" and the
// v2.7 "LU"/"HU" read as low and high; interpretations IMP has no flag for
// (susceptibility S/R/I, "POS", "NEG", trends) read as not flagged.
//
// raw is OBX-8 as encoded; field reads it through the codec when it holds
// more than one plain flag.
func flagFrom(raw string, field func(int) hl7.Value) lab.AbnormalFlag {
	switch raw { // the usual case: one flag, upper case
	case "":
		return lab.FlagNone
	case "N", "L", "H", "LL", "HH", "A", "AA":
		return lab.AbnormalFlag(raw)
	}
	f := field(8)
	best, rank := lab.FlagNone, 0
	n := f.Reps()
	for i := 1; i <= n; i++ {
		var fl lab.AbnormalFlag
		switch strings.ToUpper(f.Rep(i).String()) {
		case "N":
			fl = lab.FlagNormal
		case "L", "<", "LU":
			fl = lab.FlagLow
		case "H", ">", "HU":
			fl = lab.FlagHigh
		case "LL":
			fl = lab.FlagCriticalLow
		case "HH":
			fl = lab.FlagCriticalHigh
		case "A":
			fl = lab.FlagAbnormal
		case "AA":
			fl = lab.FlagCriticalAbnormal
		}
		if r := flagRank(fl); r > rank {
			best, rank = fl, r
		}
	}
	return best
}

func flagRank(f lab.AbnormalFlag) int {
	switch {
	case f.IsCritical():
		return 4
	case f == lab.FlagLow || f == lab.FlagHigh:
		return 3
	case f == lab.FlagAbnormal:
		return 2
	case f == lab.FlagNormal:
		return 1
	}
	return 0
}

// personName joins an XCN's given, middle and family names and suffix as
// IMP stores a clinician's name; the prefix (DR, MS) is a title and is
// left out. Encoders write the whole name in the family component, which
// makes the round trip exact.
func personName(x hl7.XCN) string {
	parts := make([]string, 0, 4)
	for _, p := range [...]string{x.Given, x.Middle, x.Family, x.Suffix} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
