package hl7_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/imp-health/imp/internal/hl7"
)

func TestParseDelimiters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		msh   string
		want  hl7.Delimiters
		path  string
		value string
		line2 string
	}{
		{"standard", `MSH|^~\&|A|B`, hl7.DefaultDelimiters, "PID-5-2", "JANE", "PID|||1||DOE^JANE"},
		{"v2.7 truncation", `MSH|^~\&#|A|B`, hl7.Delimiters{'|', '^', '~', '\\', '&', '#'}, "PID-5-2", "JA#NE", `PID|||1||DOE^JA\P\NE`},
		{"exotic", `MSH!@*$%!A!B`, hl7.Delimiters{'!', '@', '*', '$', '%', 0}, "PID-5(2)-1-2", "b|c^d", `PID!!!1!!x*a%b|c^d`},
		{"escape as field sep elsewhere", `MSH#^~\&#A#B`, hl7.Delimiters{'#', '^', '~', '\\', '&', 0}, "PID-5-2", "J#N", `PID###1##DOE^J\F\N`},
		{"MSH-2 at end of segment", `MSH|^~\&`, hl7.DefaultDelimiters, "PID-1", "x", "PID|x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := mustParse(t, er7(tt.msh, tt.line2))
			if got := m.Delimiters(); got != tt.want {
				t.Errorf("Delimiters = %+v, want %+v", got, tt.want)
			}
			if got := m.Get(tt.path); got != tt.value {
				t.Errorf("Get(%s) = %q, want %q", tt.path, got, tt.value)
			}
			if got, want := m.Get("MSH-1"), string(tt.want.Field); got != want {
				t.Errorf("MSH-1 = %q, want %q", got, want)
			}
			if got, want := m.Get("MSH-2"), tt.want.EncodingCharacters(); got != want {
				t.Errorf("MSH-2 = %q, want %q", got, want)
			}
		})
	}
}

func TestParseLineEndings(t *testing.T) {
	t.Parallel()
	segs := []string{`MSH|^~\&|LIS||IMP||20240101||ORU^R01|1|P|2.5.1`, "PID|1||42", "OBX|1|ST|X||a b"}
	j := func(sep string) string { return strings.Join(segs, sep) }
	tests := []struct{ name, in string }{
		{"CR", j("\r")},
		{"CR terminated", j("\r") + "\r"},
		{"LF", j("\n") + "\n"},
		{"CRLF", j("\r\n") + "\r\n"},
		{"mixed", segs[0] + "\r\n" + segs[1] + "\n" + segs[2] + "\r"},
		{"BOM", "\xef\xbb\xbf" + j("\n")},
		{"trailing blank lines", j("\r") + "\r\r\n\n"},
		{"whitespace-only lines", j("\n") + "\n   \n\t\n \t \r\n"},
		{"blank lines between", segs[0] + "\r\n\r\n" + segs[1] + "\n \n" + segs[2]},
		{"leading blank lines", "\r\n\n" + j("\r")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := mustParse(t, []byte(tt.in))
			var got []string
			for s := range m.Segments() {
				got = append(got, s.Raw())
			}
			if !slices.Equal(got, segs) {
				t.Errorf("segments = %q, want %q", got, segs)
			}
			if want := j("\r") + "\r"; string(m.Encode()) != want {
				t.Errorf("Encode = %q, want %q", m.Encode(), want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	const msh = `MSH|^~\&|A|B|C|D|20240101||ADT^A04|X1|P|2.5`
	tests := []struct {
		name     string
		in       string
		max      int
		want     hl7.ParseError // Reason is not compared
		tooLarge bool
	}{
		{name: "empty", in: "", want: hl7.ParseError{Offset: 0, Code: hl7.CodeSegmentSequence}},
		{name: "only blank lines", in: "\r\n \n", want: hl7.ParseError{Line: 2, Offset: 4, Code: hl7.CodeSegmentSequence}},
		{name: "missing MSH", in: "PID|1\rMSH|^~\\&", want: hl7.ParseError{Line: 1, Offset: 0, Code: hl7.CodeSegmentSequence}},
		{name: "missing MSH after BOM", in: "\xef\xbb\xbfEVN|A04", want: hl7.ParseError{Line: 1, Offset: 3, Code: hl7.CodeSegmentSequence}},
		{name: "MSH too short", in: "MSH|^~", want: hl7.ParseError{Segment: "MSH", Line: 1, Field: 2, Offset: 6, Code: hl7.CodeRequiredFieldMissing}},
		{name: "bare MSH", in: "\nMSH\n", want: hl7.ParseError{Segment: "MSH", Line: 2, Field: 2, Offset: 4, Code: hl7.CodeRequiredFieldMissing}},
		{name: "alphanumeric field separator", in: `MSHX^~\&XA`, want: hl7.ParseError{Segment: "MSH", Line: 1, Field: 1, Offset: 3, Code: hl7.CodeDataType}},
		{name: "three encoding characters", in: `MSH|^~\|A|B|C`, want: hl7.ParseError{Segment: "MSH", Line: 1, Field: 2, Offset: 4, Code: hl7.CodeDataType}},
		{name: "six encoding characters", in: `MSH|^~\&#!|A`, want: hl7.ParseError{Segment: "MSH", Line: 1, Field: 2, Offset: 4, Code: hl7.CodeDataType}},
		{name: "duplicate encoding characters", in: `MSH|^^\&|A`, want: hl7.ParseError{Segment: "MSH", Line: 1, Field: 2, Offset: 4, Code: hl7.CodeDataType}},
		{name: "letter as encoding character", in: `MSH|^~\A|A`, want: hl7.ParseError{Segment: "MSH", Line: 1, Field: 2, Offset: 4, Code: hl7.CodeDataType}},
		{name: "lower-case segment", in: msh + "\rpid|1", want: hl7.ParseError{Line: 2, Offset: len(msh) + 1, Code: hl7.CodeSegmentSequence}},
		{name: "two-letter segment", in: msh + "\r\nPI|1", want: hl7.ParseError{Line: 2, Offset: len(msh) + 2, Code: hl7.CodeSegmentSequence}},
		{name: "four-letter segment", in: msh + "\nPIDX|1", want: hl7.ParseError{Line: 2, Offset: len(msh) + 1, Code: hl7.CodeSegmentSequence}},
		{name: "indented segment", in: msh + "\n\n  OBX|1", want: hl7.ParseError{Line: 3, Offset: len(msh) + 2, Code: hl7.CodeSegmentSequence}},
		{name: "continuation line of free text", in: msh + "\rOBX|1|TX|X||line one\rline two", want: hl7.ParseError{Line: 3, Offset: len(msh) + 22, Code: hl7.CodeSegmentSequence}},
		{name: "over size limit", in: msh + "\rPID|1", max: 20, want: hl7.ParseError{Offset: 20, Code: hl7.CodeApplicationInternal}, tooLarge: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := hl7.Parser{MaxSize: tt.max}.Parse([]byte(tt.in))
			var pe *hl7.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *ParseError", err)
			}
			got := *pe
			got.Reason, got.Err = "", nil
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if !errors.Is(err, hl7.ErrMalformed) {
				t.Errorf("errors.Is(err, ErrMalformed) = false")
			}
			if errors.Is(err, hl7.ErrTooLarge) != tt.tooLarge {
				t.Errorf("errors.Is(err, ErrTooLarge) = %v, want %v", !tt.tooLarge, tt.tooLarge)
			}
			if pe.Reason == "" || !strings.HasPrefix(err.Error(), "hl7: ") {
				t.Errorf("Error() = %q, want a reason with the hl7 prefix", err)
			}
		})
	}
}

// Error text goes to logs and back to senders, so it must not echo content.
func TestParseErrorHidesContent(t *testing.T) {
	t.Parallel()
	inputs := []string{
		"SECRET-PATIENT|x",
		"MSH|^~\\&|A\rsecret patient name on a line of its own",
		"MSHsecret",
	}
	for _, in := range inputs {
		_, err := hl7.Parse([]byte(in))
		if err == nil {
			t.Fatalf("Parse(%q) succeeded", in)
		}
		if msg := strings.ToLower(err.Error()); strings.Contains(msg, "secret") {
			t.Errorf("error %q repeats message content", msg)
		}
	}
}

func TestParseCopiesInput(t *testing.T) {
	t.Parallel()
	data := er7(`MSH|^~\&|A`, "PID|1||42")
	m := mustParse(t, data)
	for i := range data {
		data[i] = 'x'
	}
	if got := m.Get("PID-3"); got != "42" {
		t.Errorf("after reusing the input buffer, PID-3 = %q, want 42", got)
	}
}

func TestParseHeader(t *testing.T) {
	t.Parallel()
	t.Run("reads only MSH", func(t *testing.T) {
		t.Parallel()
		// The second line is invalid: ParseHeader must not look at it.
		m, err := hl7.ParseHeader([]byte("\xef\xbb\xbf\r\n" + `MSH|^~\&|LIS|LAB|IMP|HQ|20240101||ORU^R01|CTRL9|P|2.5.1` + "\nbad line\x00"))
		if err != nil {
			t.Fatal(err)
		}
		if m.Len() != 1 || m.ControlID() != "CTRL9" || m.Type().Code != "ORU" {
			t.Errorf("got %v", m)
		}
	})
	t.Run("positions relative to input", func(t *testing.T) {
		t.Parallel()
		_, err := hl7.ParseHeader([]byte("\n\nMSH|^~"))
		var pe *hl7.ParseError
		if !errors.As(err, &pe) || pe.Line != 3 || pe.Offset != 8 {
			t.Errorf("err = %#v, want line 3 offset 8", err)
		}
	})
	t.Run("empty", func(t *testing.T) {
		t.Parallel()
		if _, err := hl7.ParseHeader([]byte(" \r\n")); !errors.Is(err, hl7.ErrMalformed) {
			t.Errorf("err = %v, want ErrMalformed", err)
		}
	})
}

func TestValidDelimiters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d  hl7.Delimiters
		ok bool
	}{
		{hl7.DefaultDelimiters, true},
		{hl7.Delimiters{'|', '^', '~', '\\', '&', '#'}, true},
		{hl7.Delimiters{'|', '^', '~', '\\', '&', '|'}, false},
		{hl7.Delimiters{'|', '^', '~', '\\', 0, 0}, false},
		{hl7.Delimiters{'|', '^', '~', ' ', '&', 0}, false},
		{hl7.Delimiters{'\r', '^', '~', '\\', '&', 0}, false},
		{hl7.Delimiters{'|', '^', '~', '\\', 'x', 0}, false},
	}
	for _, tt := range tests {
		if err := tt.d.Validate(); (err == nil) != tt.ok {
			t.Errorf("Validate(%q) = %v, want ok=%v", []byte{tt.d.Field, tt.d.Component, tt.d.Repetition, tt.d.Escape, tt.d.Subcomponent, tt.d.Truncation}, err, tt.ok)
		}
	}
}

func TestCheckHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		msh   string
		field int
	}{
		{`MSH|^~\&|A|B|C|D|20240101||ORU^R01|X1|P|2.5.1`, 0},
		{`MSH|^~\&|A|B|C|D|20240101||ACK|X1|P|2.3`, 0},
		{`MSH|^~\&|A|B|C|D|20240101||^R01|X1|P|2.5.1`, 9},
		{`MSH|^~\&|A|B|C|D|20240101||ORU^R01||P|2.5.1`, 10},
		{`MSH|^~\&|A|B|C|D|20240101||ORU^R01|X1||2.5.1`, 11},
		{`MSH|^~\&|A|B|C|D|20240101||ORU^R01|X1|P`, 12},
		{`MSH|^~\&`, 9},
	}
	for _, tt := range tests {
		m := mustParse(t, []byte(tt.msh))
		err := m.CheckHeader()
		var pe *hl7.ParseError
		switch {
		case tt.field == 0 && err != nil:
			t.Errorf("%s: %v", tt.msh, err)
		case tt.field != 0 && (!errors.As(err, &pe) || pe.Field != tt.field || pe.Code != hl7.CodeRequiredFieldMissing):
			t.Errorf("%s: err = %v, want MSH-%d missing", tt.msh, err, tt.field)
		case tt.field != 0:
			ack := hl7.ACKForError([]byte(tt.msh), err)
			if loc := ack.ERR().Location(); loc.Segment != "MSH" || loc.Field != tt.field {
				t.Errorf("%s: ACK location %+v", tt.msh, loc)
			}
		}
	}
}
