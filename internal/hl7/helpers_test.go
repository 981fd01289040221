package hl7_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imp-health/imp/internal/hl7"
)

// corpusDir is the shared public sample corpus, outside the repository.
const corpusDir = "../../../shared/corpus/hl7v2"

// leaf is one non-empty value of a message and the terser path reaching it.
type leaf struct {
	path  string
	value string
}

// leaves lists every non-empty sub-component of m, unescaped, with a fully
// qualified path, in message order. Comparing leaves is how the tests check
// that two messages carry the same values.
func leaves(m *hl7.Message) []leaf {
	var out []leaf
	counts := map[string]int{}
	for seg := range m.Segments() {
		name := seg.Name()
		counts[name]++
		for n := 1; n <= seg.Fields(); n++ {
			f := seg.Field(n)
			if f.IsEmpty() {
				continue
			}
			if name == "MSH" && n <= 2 {
				out = append(out, leaf{fmt.Sprintf("%s(%d)-%d", name, counts[name], n), f.String()})
				continue
			}
			for r := 1; r <= f.Reps(); r++ {
				rep := f.Rep(r)
				for c := 1; c <= rep.Components(); c++ {
					comp := rep.Component(c)
					for s := 1; s <= comp.Subcomponents(); s++ {
						if v := comp.Subcomponent(s); !v.IsEmpty() {
							out = append(out, leaf{fmt.Sprintf("%s(%d)-%d(%d)-%d-%d", name, counts[name], n, r, c, s), v.String()})
						}
					}
				}
			}
		}
	}
	return out
}

// dump renders m for golden files: every leaf, then the Patients grouping.
func dump(m *hl7.Message) string {
	var b strings.Builder
	fmt.Fprintf(&b, "type %s control_id %q version %q segments %d\n", m.Type(), m.ControlID(), m.Version(), m.Len())
	d := m.Delimiters()
	fmt.Fprintf(&b, "delimiters %q\n", string([]byte{d.Field})+d.EncodingCharacters())
	for _, l := range leaves(m) {
		fmt.Fprintf(&b, "%s = %q\n", l.path, l.value)
	}
	b.WriteString("patients:\n")
	at := func(s hl7.Segment) string {
		if s.IsZero() {
			return "-"
		}
		return fmt.Sprintf("%s@%d", s.Name(), s.Index())
	}
	notes := func(ns []hl7.NTE) string {
		var parts []string
		for _, n := range ns {
			parts = append(parts, at(n.Segment))
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	obs := func(indent string, os []hl7.Observation) {
		for _, o := range os {
			fmt.Fprintf(&b, "%sobservation %s notes %s\n", indent, at(o.OBX.Segment), notes(o.Notes))
		}
	}
	for _, p := range m.Patients() {
		fmt.Fprintf(&b, "  patient %s visit %s notes %s\n", at(p.PID.Segment), at(p.PV1.Segment), notes(p.Notes))
		for _, o := range p.Orders {
			var tq []string
			for _, t := range o.Timing {
				tq = append(tq, at(t.Segment))
			}
			fmt.Fprintf(&b, "    order %s %s timing [%s] notes %s\n", at(o.ORC.Segment), at(o.OBR.Segment), strings.Join(tq, " "), notes(o.Notes))
			obs("      ", o.Observations)
			for _, s := range o.Specimens {
				fmt.Fprintf(&b, "      specimen %s\n", at(s.SPM.Segment))
				obs("        ", s.Observations)
			}
		}
	}
	return b.String()
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustParse(t testing.TB, data []byte) *hl7.Message {
	t.Helper()
	m, err := hl7.Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

// er7 joins segments with "\r" for compact test inputs.
func er7(segs ...string) []byte { return []byte(strings.Join(segs, "\r") + "\r") }
