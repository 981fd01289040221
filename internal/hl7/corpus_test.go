package hl7_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/imp-health/imp/internal/hl7"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixtures are the project's own messages, written by hand for these tests.
var fixtures = []string{"adt_a04.hl7", "oml_o21.hl7", "orm_o01.hl7", "oru_r01.hl7", "oul_r22.hl7"}

// TestGolden compares every value of each fixture, and its patient/order
// grouping, with testdata/<name>.golden. Run with -update after a deliberate
// change and review the diff.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m := mustParse(t, readFixture(t, name))
			got := dump(m)
			golden := filepath.Join("testdata", strings.TrimSuffix(name, ".hl7")+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("dump differs from %s; run go test -update and review the diff\n%s", golden, lineDiff(string(want), got))
			}
			checkLossless(t, m)
		})
	}
}

// TestCorpus parses every public sample message and checks that encoding
// loses nothing.
func TestCorpus(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.hl7"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skipf("no HL7 corpus at %s", corpusDir)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			m := mustParse(t, data)
			if m.MSH().MessageType().Code == "" || m.ControlID() == "" {
				t.Errorf("MSH-9 %q / MSH-10 %q not read", m.Type(), m.ControlID())
			}
			// Every non-blank input line is one segment.
			lines := 0
			for _, l := range strings.FieldsFunc(string(data), func(r rune) bool { return r == '\r' || r == '\n' }) {
				if strings.TrimSpace(l) != "" {
					lines++
				}
			}
			if m.Len() != lines {
				t.Errorf("%d segments, input has %d non-blank lines", m.Len(), lines)
			}
			checkLossless(t, m)
		})
	}
}

// checkLossless verifies parse → Encode → parse: the same value at every
// segment, field, repetition, component and sub-component, each value
// reachable by its terser path, and a stable encoding.
func checkLossless(t *testing.T, m *hl7.Message) {
	t.Helper()
	enc := m.Encode()
	if bytes.Contains(enc, []byte{'\n'}) || !bytes.HasSuffix(enc, []byte{'\r'}) {
		t.Errorf("Encode must use only \\r terminators")
	}
	again := mustParse(t, enc)
	a, b := leaves(m), leaves(again)
	if !slices.Equal(a, b) {
		t.Errorf("values changed after Encode and Parse")
	}
	for _, l := range a {
		if got := again.Get(l.path); got != l.value {
			t.Errorf("Get(%s) = %q, want %q", l.path, got, l.value)
		}
	}
	if !bytes.Equal(again.Encode(), enc) {
		t.Errorf("second Encode differs from the first")
	}
}

// lineDiff shows the first differing lines, enough to see what changed.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("-" + wl + "\n+" + gl + "\n")
			shown++
		}
	}
	return b.String()
}
