package hl7_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/imp-health/imp/internal/hl7"
)

func TestUnescape(t *testing.T) {
	t.Parallel()
	std := hl7.DefaultDelimiters
	trunc := hl7.Delimiters{'|', '^', '~', '\\', '&', '#'}
	exotic := hl7.Delimiters{'!', '@', '*', '$', '%', 0}
	tests := []struct {
		name string
		d    hl7.Delimiters
		in   string
		want string
	}{
		{"plain", std, "abc", "abc"},
		{"field", std, `a\F\b`, "a|b"},
		{"component", std, `a\S\b`, "a^b"},
		{"subcomponent", std, `a\T\b`, "a&b"},
		{"repetition", std, `a\R\b`, "a~b"},
		{"escape", std, `a\E\b`, `a\b`},
		{"all in a row", std, `\F\\S\\T\\R\\E\`, `|^&~\`},
		{"line break", std, `one\.br\two`, "one\ntwo"},
		{"hex", std, `\X41424344\`, "ABCD"},
		{"hex lower case", std, `\X0d0a\`, "\r\n"},
		{"hex UTF-8", std, `caf\XC3A9\`, "café"},
		{"odd hex kept", std, `\X414\`, `\X414\`},
		{"bad hex kept", std, `\XZZ\`, `\XZZ\`},
		{"empty hex kept", std, `\X\`, `\X\`},
		{"highlight kept", std, `\H\bold\N\`, `\H\bold\N\`},
		{"formatting kept", std, `a\.sp2\b`, `a\.sp2\b`},
		{"charset kept", std, `\C2842\x`, `\C2842\x`},
		{"local kept", std, `\Zmine\`, `\Zmine\`},
		{"empty sequence kept", std, `a\\b`, `a\\b`},
		{"unterminated kept", std, `a\F`, `a\F`},
		{"lone escape kept", std, `\`, `\`},
		{"truncation without truncation char", std, `a\P\`, `a\P\`},
		{"truncation", trunc, `a\P\`, "a#"},
		{"exotic delimiters", exotic, `x$F$y$S$z$E$$T$$R$`, "x!y@z$%*"},
		{"standard escape in exotic message is text", exotic, `\F\`, `\F\`},
		{"UTF-8 kept", std, "Müller ทดสอบ", "Müller ทดสอบ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := hl7.Unescape(tt.in, tt.d); got != tt.want {
				t.Errorf("Unescape(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEscape(t *testing.T) {
	t.Parallel()
	std := hl7.DefaultDelimiters
	tests := []struct {
		name string
		d    hl7.Delimiters
		in   string
		want string
	}{
		{"plain", std, "abc", "abc"},
		{"delimiters", std, `|^&~\`, `\F\\S\\T\\R\\E\`},
		{"LF", std, "a\nb", `a\.br\b`},
		{"CRLF", std, "a\r\nb", `a\.br\b`},
		{"lone CR", std, "a\rb", `a\X0D\b`},
		{"truncation char is text without one", std, "#", "#"},
		{"truncation char", hl7.Delimiters{'|', '^', '~', '\\', '&', '#'}, "C#", `C\P\`},
		{"exotic", hl7.Delimiters{'!', '@', '*', '$', '%', 0}, "a!b|c", "a$F$b|c"},
		{"null is not escaped", std, `""`, `""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := hl7.Escape(tt.in, tt.d); got != tt.want {
				t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestGet(t *testing.T) {
	t.Parallel()
	m := mustParse(t, er7(
		`MSH|^~\&|LIS^1.2.3^ISO|LAB|IMP|HQ|20240101||ORU^R01^ORU_R01|C1|P|2.5.1`,
		`PID|1||A1^^^H1&1.2&ISO^MR~B2^^^H2^NI||DOE&VAN^JANE||19800101|F||||||""`,
		`OBX|1|NM|GLU^Glucose^L||5.4|mmol/L`,
		`OBX|2|ST|CMT^Comment^L||a\S\b \T\ c\.br\d`,
		`NTE|||`,
	))
	tests := []struct {
		path   string
		want   string
		exists bool
	}{
		{"MSH-1", "|", true},
		{"MSH-2", `^~\&`, true},
		{"MSH-2-2", "", false},
		{"MSH-3", "LIS", true},
		{"MSH-3-2", "1.2.3", true},
		{"MSH-9", "ORU", true},
		{"MSH-9-2", "R01", true},
		{"MSH-9-3", "ORU_R01", true},
		{"MSH-9-4", "", false},
		{"MSH-10", "C1", true},
		{"MSH-12", "2.5.1", true},
		{"MSH-13", "", false},
		{"PID-3", "A1", true},
		{"PID-3-1", "A1", true},
		{"PID-3(2)", "B2", true},
		{"PID-3(2)-1", "B2", true},
		{"PID-3(2)-5", "NI", true},
		{"PID-3(3)-1", "", false},
		{"PID-3-4", "H1", true},
		{"PID-3-4-2", "1.2", true},
		{"PID-3-4-4", "", false},
		{"PID-3(2)-4-2", "", false},
		{"PID-5", "DOE", true},
		{"PID-5-1-2", "VAN", true},
		{"PID-5-2", "JANE", true},
		{"PID-2", "", true}, // empty but present
		{"PID-9", "", true}, // empty but present
		{"PID-13", "", true},
		{"PID-14", `""`, true},
		{"PID-15", "", false}, // beyond the last field
		{"OBX-5", "5.4", true},
		{"OBX(1)-5", "5.4", true},
		{"OBX(2)-5", "a^b & c\nd", true},
		{"OBX(3)-5", "", false},
		{"OBX(2)-3-2", "Comment", true},
		{"OBX.3.2", "Glucose", true},
		{"NTE-3", "", true},
		{"NTE-4", "", false},
		{"ORC-1", "", false},
		{"pid-3", "", false},
		{"PID", "", false},
		{"PID-0", "", false},
		{"PID-3-", "", false},
		{"PID-x", "", false},
	}
	for _, tt := range tests {
		got, ok := m.Lookup(tt.path)
		if got != tt.want || ok != tt.exists {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tt.path, got, ok, tt.want, tt.exists)
		}
		if g := m.Get(tt.path); g != tt.want {
			t.Errorf("Get(%q) = %q, want %q", tt.path, g, tt.want)
		}
	}
}

func TestValueViews(t *testing.T) {
	t.Parallel()
	m := mustParse(t, er7(`MSH|^~\&`, `PID|1||A^B&C~D~||""|x^|^`))
	pid := m.First("PID")
	tests := []struct {
		name                string
		v                   hl7.Value
		raw                 string
		reps, comps, subs   int
		exists, empty, null bool
	}{
		{"field with repetitions", pid.Field(3), "A^B&C~D~", 3, 2, 1, true, false, false},
		{"repetition", pid.Field(3).Rep(1), "A^B&C", 1, 2, 1, true, false, false},
		{"component with subcomponents", pid.Field(3).Component(2), "B&C", 1, 1, 2, true, false, false},
		{"empty trailing repetition", pid.Field(3).Rep(3), "", 0, 0, 0, true, true, false},
		{"absent repetition", pid.Field(3).Rep(4), "", 0, 0, 0, false, true, false},
		{"empty field", pid.Field(2), "", 0, 0, 0, true, true, false},
		{"null", pid.Field(5), `""`, 1, 1, 1, true, false, true},
		{"trailing empty component", pid.Field(6), "x^", 1, 2, 1, true, false, false},
		{"only a separator", pid.Field(7), "^", 1, 2, 0, true, false, false},
		{"absent field", pid.Field(8), "", 0, 0, 0, false, true, false},
		{"absent segment", m.First("OBX").Field(1), "", 0, 0, 0, false, true, false},
	}
	for _, tt := range tests {
		v := tt.v
		if v.Raw() != tt.raw || v.Reps() != tt.reps || v.Components() != tt.comps || v.Subcomponents() != tt.subs ||
			v.Exists() != tt.exists || v.IsEmpty() != tt.empty || v.IsNull() != tt.null {
			t.Errorf("%s: raw %q reps %d comps %d subs %d exists %v empty %v null %v; want %q %d %d %d %v %v %v",
				tt.name, v.Raw(), v.Reps(), v.Components(), v.Subcomponents(), v.Exists(), v.IsEmpty(), v.IsNull(),
				tt.raw, tt.reps, tt.comps, tt.subs, tt.exists, tt.empty, tt.null)
		}
	}
	if n := pid.Fields(); n != 7 {
		t.Errorf("PID Fields() = %d, want 7", n)
	}
	if n := m.MSH().Fields(); n != 2 {
		t.Errorf("MSH Fields() = %d, want 2", n)
	}
}

func TestParsePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want hl7.Path
		ok   bool
	}{
		{"PID-3", hl7.Path{Segment: "PID", Field: 3}, true},
		{"PID-3-1", hl7.Path{Segment: "PID", Field: 3, Component: 1}, true},
		{"OBX(2)-5", hl7.Path{Segment: "OBX", SegmentRep: 2, Field: 5}, true},
		{"PID-3(2)-1", hl7.Path{Segment: "PID", Field: 3, FieldRep: 2, Component: 1}, true},
		{"PID-5-1-2", hl7.Path{Segment: "PID", Field: 5, Component: 1, Subcomponent: 2}, true},
		{"ZX1(10)-12(3)-4-5", hl7.Path{Segment: "ZX1", SegmentRep: 10, Field: 12, FieldRep: 3, Component: 4, Subcomponent: 5}, true},
		{"PID.3.1", hl7.Path{Segment: "PID", Field: 3, Component: 1}, true},
		{"PID", hl7.Path{}, false},
		{"PI-3", hl7.Path{}, false},
		{"pid-3", hl7.Path{}, false},
		{"PID-0", hl7.Path{}, false},
		{"PID-3(0)", hl7.Path{}, false},
		{"PID(1-3", hl7.Path{}, false},
		{"PID-3-1-1-1", hl7.Path{}, false},
		{"PID-1234567", hl7.Path{}, false},
		{"PID-3x", hl7.Path{}, false},
		{"PID--3", hl7.Path{}, false},
	}
	for _, tt := range tests {
		got, err := hl7.ParsePath(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParsePath(%q) = %+v, %v; want %+v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, hl7.ErrInvalidPath) {
			t.Errorf("ParsePath(%q) error %v does not match ErrInvalidPath", tt.in, err)
		}
		if tt.ok {
			if back, _ := hl7.ParsePath(got.String()); back != got {
				t.Errorf("ParsePath(%q).String() = %q does not parse back", tt.in, got.String())
			}
		}
	}
}

func TestSet(t *testing.T) {
	t.Parallel()
	base := []string{`MSH|^~\&|A|B`, `PID|1||X^^^H^MR~Y||DOE^JOHN`, "OBX|1|NM"}
	tests := []struct {
		path, value string
		want        []string // segments after the change (MSH omitted)
	}{
		{"PID-8", "F", []string{`PID|1||X^^^H^MR~Y||DOE^JOHN|||F`, "OBX|1|NM"}},
		{"PID-3", "Z", []string{`PID|1||Z||DOE^JOHN`, "OBX|1|NM"}},
		{"PID-3(2)", "Q", []string{`PID|1||X^^^H^MR~Q||DOE^JOHN`, "OBX|1|NM"}},
		{"PID-3(4)-1", "W", []string{`PID|1||X^^^H^MR~Y~~W||DOE^JOHN`, "OBX|1|NM"}},
		{"PID-3-4", "H2", []string{`PID|1||X^^^H2^MR~Y||DOE^JOHN`, "OBX|1|NM"}},
		{"PID-3-4-2", "1.2.3", []string{`PID|1||X^^^H&1.2.3^MR~Y||DOE^JOHN`, "OBX|1|NM"}},
		{"PID-5-2", "JANE", []string{`PID|1||X^^^H^MR~Y||DOE^JANE`, "OBX|1|NM"}},
		{"PID-5-5", "DR", []string{`PID|1||X^^^H^MR~Y||DOE^JOHN^^^DR`, "OBX|1|NM"}},
		{"PID-5-1-3", "z", []string{`PID|1||X^^^H^MR~Y||DOE&&z^JOHN`, "OBX|1|NM"}},
		{"PID-5", "O'Neil|Smith^Jr & co~2\\x\r\n!", []string{`PID|1||X^^^H^MR~Y||O'Neil\F\Smith\S\Jr \T\ co\R\2\E\x\.br\!`, "OBX|1|NM"}},
		{"PID-2", "", []string{`PID|1||X^^^H^MR~Y||DOE^JOHN`, "OBX|1|NM"}},
		{"PID-1", "", []string{`PID|||X^^^H^MR~Y||DOE^JOHN`, "OBX|1|NM"}},
		{"OBX-5", "7.1", []string{`PID|1||X^^^H^MR~Y||DOE^JOHN`, "OBX|1|NM|||7.1"}},
		{"OBX(3)-1", "3", []string{`PID|1||X^^^H^MR~Y||DOE^JOHN`, "OBX|1|NM", "OBX", "OBX|3"}},
		{"NTE-3", "note", []string{`PID|1||X^^^H^MR~Y||DOE^JOHN`, "OBX|1|NM", "NTE|||note"}},
		{"MSH-4", "B2", nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			m := mustParse(t, er7(base...))
			if err := m.Set(tt.path, tt.value); err != nil {
				t.Fatal(err)
			}
			var got []string
			for s := range m.Segments() {
				got = append(got, s.Raw())
			}
			want := append([]string{base[0]}, tt.want...)
			if tt.path == "MSH-4" {
				want = []string{`MSH|^~\&|A|B2`, base[1], base[2]}
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("after Set(%q, %q):\n got %q\nwant %q", tt.path, tt.value, got, want)
			}
			wantValue := strings.ReplaceAll(tt.value, "\r\n", "\n")
			if v := m.Get(tt.path); v != wantValue {
				t.Errorf("Get after Set = %q, want %q", v, wantValue)
			}
			// What Set wrote must survive encoding and parsing.
			if again := mustParse(t, m.Encode()); again.Get(tt.path) != wantValue {
				t.Errorf("after re-parse Get = %q, want %q", again.Get(tt.path), wantValue)
			}
		})
	}
}

func TestSetErrors(t *testing.T) {
	t.Parallel()
	m := mustParse(t, er7(`MSH|^~\&|A`))
	for _, p := range []string{"MSH-1", "MSH-2", "MSH(2)-3", "pid-1", "PID"} {
		if err := m.Set(p, "x"); !errors.Is(err, hl7.ErrInvalidPath) {
			t.Errorf("Set(%q) = %v, want ErrInvalidPath", p, err)
		}
	}
	for _, tt := range []struct{ path, raw string }{{"PID-3", "a|b"}, {"PID-3-1", "a^b"}, {"PID-3(1)", "a~b"}, {"PID-3-1-1", "a&b"}, {"PID-3", "a\rb"}} {
		if err := m.SetRaw(tt.path, tt.raw); !errors.Is(err, hl7.ErrInvalidPath) {
			t.Errorf("SetRaw(%q, %q) = %v, want ErrInvalidPath", tt.path, tt.raw, err)
		}
	}
	if err := m.SetRaw("PID-5", "DOE^JANE"); err != nil {
		t.Fatal(err)
	}
	if got := m.Get("PID-5-2"); got != "JANE" {
		t.Errorf("after SetRaw PID-5-2 = %q", got)
	}
	if len(m.Encode()) == 0 || !strings.Contains(string(m.Encode()), "PID|||||DOE^JANE\r") {
		t.Errorf("Encode = %q", m.Encode())
	}
}

// FuzzEscape checks that any value written with Set reads back unchanged
// (a CRLF line break reads back as LF), whatever the delimiters.
func FuzzEscape(f *testing.F) {
	f.Add("plain", `|^~\&`)
	f.Add(`a|b^c~d\e&f#g`, `|^~\&#`)
	f.Add("line\r\nbreak\rcr\nlf", `|^~\&`)
	f.Add(`\X41\ \.br\ \H\`, `|^~\&#`)
	f.Add("a\r\nb.c", `!"#$.`)
	f.Fuzz(func(t *testing.T, value, delims string) {
		if len(delims) < 5 || len(delims) > 6 {
			return
		}
		m, err := hl7.Parse([]byte("MSH" + delims))
		if err != nil {
			return // not usable delimiters
		}
		d := m.Delimiters()
		want := value
		if hl7.Escape("\r\n", d) == hl7.Escape("\n", d) {
			want = strings.ReplaceAll(value, "\r\n", "\n")
		}
		for _, path := range []string{"ZZZ-1", "ZZZ-2(2)", "ZZZ-3-2", "ZZZ-4-2-3"} {
			if err := m.Set(path, value); err != nil {
				t.Fatal(err)
			}
			again := mustParse(t, m.Encode())
			if got := again.Get(path); got != want {
				t.Fatalf("Set(%q, %q) then Get = %q", path, value, got)
			}
		}
		if utf8.ValidString(value) && !utf8.ValidString(hl7.Escape(value, d)) {
			t.Fatal("escaping broke UTF-8")
		}
	})
}
