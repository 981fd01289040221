package hl7map_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/hl7map"
	"github.com/imp-health/imp/internal/lab"
)

var update = flag.Bool("update", false, "rewrite the expected outputs of testdata/*/*.golden")

// corpusDir is the shared public sample corpus, outside the repository.
const corpusDir = "../../../shared/corpus/hl7v2"

// ict is the LIS's zone in the fixtures (Indochina Time, no DST), fixed so
// the tests need no tz database.
var ict = time.FixedZone("ICT", 7*3600)

// now is MSH-7 of every encoded fixture.
var now = time.Date(2024, 3, 5, 14, 30, 0, 0, ict)

// testOptions is the installation the fixtures describe: IMP at IMPHQ
// talking to the LIS at IMPLAB, which runs on Bangkok time and knows IMP's
// customer ids under the authority "IMP".
func testOptions() hl7map.Options {
	return hl7map.Options{
		SendingApplication:   hl7.HD{NamespaceID: "IMP"},
		SendingFacility:      hl7.HD{NamespaceID: "IMPHQ"},
		ReceivingApplication: hl7.HD{NamespaceID: "LIS"},
		ReceivingFacility:    hl7.HD{NamespaceID: "IMPLAB"},
		Location:             ict,
		AssigningAuthority:   "IMP",
		Now:                  func() time.Time { return now },
	}
}

// separator divides a golden file's input from its expected output, as in
// caddy's adapter tests. It cannot start an HL7 segment or a JSON document.
const separator = "\n----------\n"

// golden runs f on the input of every testdata/<dir>/*.golden file and
// compares what it returns with the file's expected output; -update
// rewrites the expected output instead.
func golden(t *testing.T, dir string, f func(t *testing.T, input []byte) string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no golden files in testdata/%s", dir)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".golden"), func(t *testing.T) {
			t.Parallel()
			input, want := readGolden(t, file)
			got := f(t, input)
			if *update {
				if err := os.WriteFile(file, []byte(string(input)+separator+got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != want {
				t.Errorf("output differs from %s (run go test -update and review the diff):\n%s", file, diff(want, got))
			}
		})
	}
}

func readGolden(t testing.TB, file string) (input []byte, want string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	in, out, ok := bytes.Cut(data, []byte(separator))
	if !ok && !*update {
		t.Fatalf("%s has no %q line between input and expected output", file, strings.Trim(separator, "\n"))
	}
	return in, string(out)
}

// goldenInput returns only the input of a golden file, for benchmarks and
// round trips that reuse the fixtures.
func goldenInput(t testing.TB, file string) []byte {
	in, _ := readGolden(t, filepath.Join("testdata", file))
	return in
}

// diff shows the first differing line with some context.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\nwant: %s\ngot:  %s", i+1, a, b)
		}
	}
	return "(same lines; trailing bytes differ)"
}

// encodeCase is the input of the encoder golden files.
type encodeCase struct {
	MessageID string       `json:"message_id"`
	Version   string       `json:"version"`
	Trigger   string       `json:"trigger"`
	Order     lab.Order    `json:"order"`
	Customer  lab.Customer `json:"customer"`
	Catalog   []lab.Test   `json:"catalog"`
	Results   []lab.Result `json:"results"`
}

func (c encodeCase) options() hl7map.Options {
	opt := testOptions()
	opt.MessageID = c.MessageID
	opt.Version = c.Version
	return opt
}

func (c encodeCase) tests() map[string]lab.Test {
	if len(c.Catalog) == 0 {
		return nil
	}
	m := make(map[string]lab.Test, len(c.Catalog))
	for _, t := range c.Catalog {
		m[t.Code] = t
	}
	return m
}

func readCase(t testing.TB, input []byte) encodeCase {
	t.Helper()
	var c encodeCase
	dec := json.NewDecoder(bytes.NewReader(input))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("case input: %v", err)
	}
	// Encoders are given records that passed lab validation; fixtures must
	// be such records too, or they would test cases that cannot happen.
	if c.Order.AccessionNumber != "" {
		o := c.Order
		if err := o.Validate(); err != nil {
			t.Fatalf("case order: %v", err)
		}
	}
	if err := c.Customer.Validate(); err != nil {
		t.Fatalf("case customer: %v", err)
	}
	for _, x := range c.Catalog {
		if err := x.Validate(); err != nil {
			t.Fatalf("case catalog %s: %v", x.Code, err)
		}
	}
	for i, r := range c.Results {
		if err := r.Validate(); err != nil {
			t.Fatalf("case result %d: %v", i, err)
		}
	}
	return c
}

// er7Text renders an encoded message one segment per line.
func er7Text(data []byte, controlID string) string {
	return "control id " + controlID + "\n" + strings.ReplaceAll(string(data), "\r", "\n")
}

// parseInput parses an HL7 golden input. Lines before the MSH that start
// with "#" are directives ("# accession: filler") and comments.
func parseInput(t testing.TB, input []byte) (*hl7.Message, hl7map.Options) {
	t.Helper()
	opt := testOptions()
	for bytes.HasPrefix(input, []byte("#")) {
		line, rest, _ := bytes.Cut(input, []byte("\n"))
		if d, ok := strings.CutPrefix(string(line), "# accession: "); ok {
			switch d {
			case "filler":
				opt.Accession = hl7map.FillerFirst
			case "placer":
				opt.Accession = hl7map.PlacerFirst
			default:
				t.Fatalf("unknown accession rule %q", d)
			}
		}
		input = rest
	}
	m, err := hl7.Parse(input)
	if err != nil {
		t.Fatalf("fixture does not parse: %v", err)
	}
	return m, opt
}

// jsonText renders v, or the mapping error, for a golden file.
func jsonText(t testing.TB, v any, err error) string {
	t.Helper()
	if err != nil {
		return errorText(err)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "<" and ">" are comparators here, not markup
	enc.SetIndent("", "  ")
	if jerr := enc.Encode(v); jerr != nil {
		t.Fatal(jerr)
	}
	return b.String()
}

func errorText(err error) string {
	var e *hl7map.Error
	if !errors.As(err, &e) {
		return "error (not an *hl7map.Error): " + err.Error() + "\n"
	}
	return fmt.Sprintf("error: %s\ncode: %s %s\nlocation: %s\n", e, e.Code, e.Code.Text(), hl7map.Path(e.Location))
}
