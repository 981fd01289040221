package mllp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// result is one outcome of ReadFrame, in a form tests can compare.
type result struct {
	frame string
	err   string
}

// readAll calls ReadFrame until it fails with anything other than an
// oversized frame, and checks the buffer bound on the way.
func readAll(t testing.TB, r io.Reader, max int) []result {
	t.Helper()
	rd := NewReader(r, max)
	var out []result
	for i := 0; ; i++ {
		f, err := rd.ReadFrame()
		if bound := maxBuffer(max); len(rd.buf) > bound {
			t.Fatalf("buffer grew to %d bytes, bound %d", len(rd.buf), bound)
		}
		var tl *FrameTooLargeError
		switch {
		case err == nil:
			if len(f) > max {
				t.Fatalf("frame of %d bytes returned, limit %d", len(f), max)
			}
			out = append(out, result{frame: string(f)})
			continue
		case errors.As(err, &tl):
			if !errors.Is(err, ErrFrameTooLarge) || len(tl.Head) > min(max, headSize) || tl.Size <= max {
				t.Fatalf("bad FrameTooLargeError %+v", tl)
			}
			out = append(out, result{err: fmt.Sprintf("too large %d", tl.Size)})
			continue
		case errors.Is(err, io.EOF):
			out = append(out, result{err: "EOF"})
		case errors.Is(err, io.ErrUnexpectedEOF) && errors.Is(err, ErrIncompleteFrame):
			out = append(out, result{err: "incomplete"})
		default:
			out = append(out, result{err: err.Error()})
		}
		return out
	}
}

func maxBuffer(limit int) int { return max(initialBuffer, limit+1) }

const (
	sb = "\x0b"
	eb = "\x1c\r"
)

func frames(fs ...string) []result {
	var out []result
	for _, f := range fs {
		if strings.HasPrefix(f, "!") {
			out = append(out, result{err: f[1:]})
		} else {
			out = append(out, result{frame: f})
		}
	}
	return out
}

var readerTests = []struct {
	name string
	in   string
	max  int
	want []result
}{
	{"one frame", sb + "MSH|A" + eb, 100, frames("MSH|A", "!EOF")},
	{"two frames", sb + "A" + eb + sb + "B" + eb, 100, frames("A", "B", "!EOF")},
	{"empty stream", "", 100, frames("!EOF")},
	{"only junk", "\r\n  junk \x1c\r", 100, frames("!EOF")},
	{"empty frame", sb + eb, 100, frames("", "!EOF")},
	{"junk and whitespace between frames", "hello\r\n" + sb + "A" + eb + "\r\n\n \t" + sb + "B" + eb + "\n", 100, frames("A", "B", "!EOF")},
	{"end block without CR", sb + "A\x1c" + sb + "B\x1c", 100, frames("A", "B", "!EOF")},
	{"CR LF after end block", sb + "A\x1c\r\n" + sb + "B" + eb, 100, frames("A", "B", "!EOF")},
	{"segment CRs kept", sb + "MSH|1\rPID|2\r" + eb, 100, frames("MSH|1\rPID|2\r", "!EOF")},
	{"sender restarts a frame", sb + "PART" + sb + "FULL" + eb, 100, frames("FULL", "!EOF")},
	{"ends inside a frame", sb + "A" + eb + sb + "MSH|partial", 100, frames("A", "!incomplete")},
	{"ends after start block", sb, 100, frames("!incomplete")},
	{"exactly the limit", sb + "0123456789" + eb, 10, frames("0123456789", "!EOF")},
	{"one over the limit", sb + "0123456789X" + eb + sb + "ok" + eb, 10, frames("!too large 11", "ok", "!EOF")},
	{"far over the limit", sb + strings.Repeat("x", 10000) + eb + sb + "ok" + eb, 10, frames("!too large 10000", "ok", "!EOF")},
	{"oversized frame abandoned", sb + strings.Repeat("x", 50) + sb + "ok" + eb, 10, frames("ok", "!EOF")},
	{"oversized frame cut off", sb + strings.Repeat("x", 50), 10, frames("!incomplete")},
	{"large frame within a large limit", sb + strings.Repeat("y", 100000) + eb, 200000, frames(strings.Repeat("y", 100000), "!EOF")},
}

func TestReader(t *testing.T) {
	t.Parallel()
	chunkings := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"whole", func(r io.Reader) io.Reader { return r }},
		{"byte by byte", iotest.OneByteReader},
		{"halves", iotest.HalfReader},
		{"data with EOF", iotest.DataErrReader},
		{"uneven", func(r io.Reader) io.Reader { return &splitReader{r: r, sizes: []int{3, 1, 7, 2, 4096, 5}} }},
	}
	for _, tt := range readerTests {
		for _, c := range chunkings {
			t.Run(tt.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				got := readAll(t, c.wrap(strings.NewReader(tt.in)), tt.max)
				if !slices.Equal(got, tt.want) {
					t.Errorf("got  %q\nwant %q", got, tt.want)
				}
			})
		}
	}
}

func TestReaderKeepsHeadOfOversizedFrame(t *testing.T) {
	t.Parallel()
	msh := "MSH|^~\\&|LIS|LAB|IMP|HQ|20240101||ORU^R01|CTRL1|P|2.5.1\r"
	in := sb + msh + strings.Repeat("OBX|1|ED|PDF||"+strings.Repeat("A", 100)+"\r", 50) + eb
	rd := NewReader(iotest.HalfReader(strings.NewReader(in)), 1000)
	_, err := rd.ReadFrame()
	var tl *FrameTooLargeError
	if !errors.As(err, &tl) {
		t.Fatalf("err = %v", err)
	}
	if !bytes.HasPrefix(tl.Head, []byte(msh)) || len(tl.Head) != 1000 || tl.Size != len(in)-3 {
		t.Errorf("head %d bytes (MSH kept: %v), size %d", len(tl.Head), bytes.HasPrefix(tl.Head, []byte(msh)), tl.Size)
	}
	if strings.Contains(err.Error(), "LIS") {
		t.Errorf("error text %q contains message content", err)
	}
}

func TestReaderShrinksAfterLargeFrame(t *testing.T) {
	t.Parallel()
	in := sb + strings.Repeat("x", 500000) + eb + sb + "small" + eb
	rd := NewReader(strings.NewReader(in), 1<<20)
	if f, err := rd.ReadFrame(); err != nil || len(f) != 500000 {
		t.Fatalf("large frame: %d bytes, %v", len(f), err)
	}
	if f, err := rd.ReadFrame(); err != nil || string(f) != "small" {
		t.Fatalf("small frame: %q, %v", f, err)
	}
	if len(rd.buf) > shrinkAbove {
		t.Errorf("buffer still %d bytes after a small frame", len(rd.buf))
	}
}

func TestReaderReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	rd := NewReader(io.MultiReader(strings.NewReader(sb+"abc"), iotest.ErrReader(boom)), 100)
	if _, err := rd.ReadFrame(); !errors.Is(err, boom) {
		t.Errorf("err = %v, want the read error", err)
	}
}

func TestWriteFrame(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteFrame(&buf, []byte("MSH|1\r")); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "\x0bMSH|1\r\x1c\r" {
		t.Errorf("frame = %q", got)
	}
	for _, bad := range []string{"a\x0bb", "a\x1cb"} {
		if err := WriteFrame(&buf, []byte(bad)); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("WriteFrame(%q) = %v, want ErrInvalidMessage", bad, err)
		}
	}
	boom := errors.New("boom")
	if err := WriteFrame(failingWriter{boom}, []byte("abc")); !errors.Is(err, boom) {
		t.Errorf("write error not returned: %v", err)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

// splitReader returns data in reads of the given sizes, cycling through
// them; 0 means a read that returns nothing.
type splitReader struct {
	r     io.Reader
	sizes []int
	i     int
}

func (s *splitReader) Read(p []byte) (int, error) {
	n := 1
	if len(s.sizes) > 0 {
		n = s.sizes[s.i%len(s.sizes)]
		s.i++
	}
	if n > len(p) {
		n = len(p)
	}
	if n == 0 {
		return 0, nil
	}
	return s.r.Read(p[:n])
}

// FuzzReader splits its input at points chosen by the input's first bytes
// and checks that the frames read do not depend on the split, that nothing
// panics and that the buffer stays within its bound.
func FuzzReader(f *testing.F) {
	for _, tt := range readerTests {
		if len(tt.in) < 2000 {
			f.Add([]byte{3, 1, 0, 200}, []byte(tt.in), uint16(tt.max))
		}
	}
	f.Add([]byte{1}, []byte(sb+"MSH|a"+sb+"MSH|b"+eb+"\r\n"+sb+strings.Repeat("z", 40)+eb), uint16(16))
	f.Fuzz(func(t *testing.T, splits, stream []byte, limit uint16) {
		max := int(limit%512) + 1
		if len(splits) > 64 {
			splits = splits[:64]
		}
		// Reads of 0 bytes are allowed, but the Reader gives up after 100
		// of them in a row, so some size must be non-zero.
		var sizes []int
		for _, b := range splits {
			sizes = append(sizes, int(b))
		}
		if !slices.ContainsFunc(sizes, func(n int) bool { return n > 0 }) {
			sizes = nil
		}
		whole := readAll(t, bytes.NewReader(stream), max)
		split := readAll(t, &splitReader{r: bytes.NewReader(stream), sizes: sizes}, max)
		if !slices.Equal(whole, split) {
			t.Fatalf("split reads changed the frames:\nwhole %q\nsplit %q", whole, split)
		}
	})
}
