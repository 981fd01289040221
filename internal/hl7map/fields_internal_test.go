package hl7map

import (
	"testing"

	"github.com/imp-health/imp/internal/hl7"
)

// checkSegFields compares segFields with the codec's accessors on every
// segment of data but MSH.
func checkSegFields(t *testing.T, data []byte) {
	m, err := hl7.Parse(data)
	if err != nil {
		return
	}
	var f segFields
	for s := range m.Segments() {
		if s.Name() == "MSH" {
			continue
		}
		f.split(s.Raw(), m.Delimiters())
		for n := 1; n <= maxFields; n++ {
			v := s.Field(n)
			if f.raw(n) != v.Raw() {
				t.Fatalf("%s field %d: raw %q, codec %q", s.Name(), n, f.raw(n), v.Raw())
			}
			if f.leaf(n) != v.String() {
				t.Fatalf("%s field %d: leaf %q, codec %q", s.Name(), n, f.leaf(n), v.String())
			}
		}
	}
}

func TestSegFieldsAgree(t *testing.T) {
	t.Parallel()
	for _, s := range segFieldSeeds {
		checkSegFields(t, []byte(s))
	}
}

var segFieldSeeds = []string{
	"MSH|^~\\&\rOBX|1|NM|GLU^Glucose^L||97|mg/dL|70-99|N|||F|||20240305093000+0700||TECH01^Kaew|||20240305|||||IMP Lab",
	"MSH|^~\\&\rOBX",
	"MSH|^~\\&\rOBX|",
	"MSH|^~\\&\rOBX|1|ST|X||a\\F\\b^c~d&e|\\.br\\|x\\S\\y&z||||||||||||||||||25|26",
	"MSH|^~\\&#\rNTE|1|L|cut\\P\\#|",
	"MSH!@*$%\rOBX!1!NM!A@B@C!!5$6*7!u%v!!N",
	"MSH|^~\\&\rOBX|1|TX|X||\\unterminated|\\X41\\|\\E\\\\E\\",
}

// FuzzSegFields holds segFields to the codec's answers on arbitrary input.
func FuzzSegFields(f *testing.F) {
	for _, s := range segFieldSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkSegFields)
}
