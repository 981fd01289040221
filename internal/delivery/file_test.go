package delivery_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/delivery"
	"github.com/imp-health/imp/internal/delivery/deliverytest"
)

// dirReceiver is a drop directory. It rejects permanently by being a
// regular file instead of a directory, which no retry fixes until someone
// changes the configuration or the disk.
type dirReceiver struct {
	t   *testing.T
	dir string
}

func (d *dirReceiver) Set(mode deliverytest.Mode, n int) {
	switch mode {
	case deliverytest.Accept:
		_ = os.Remove(d.dir)
		if err := os.MkdirAll(d.dir, 0o750); err != nil {
			d.t.Errorf("restore drop directory: %v", err)
		}
	case deliverytest.Reject:
		if n > 0 {
			d.t.Errorf("dirReceiver cannot count deliveries (Set(Reject, %d))", n)
		}
		if err := os.RemoveAll(d.dir); err != nil {
			d.t.Errorf("remove drop directory: %v", err)
		}
		if err := os.WriteFile(d.dir, []byte("not a directory"), 0o640); err != nil {
			d.t.Errorf("replace drop directory by a file: %v", err)
		}
	default:
		d.t.Errorf("dirReceiver cannot simulate %v", mode)
	}
}

func (d *dirReceiver) Received() []deliverytest.Received {
	var out []deliverytest.Received
	if st, err := os.Stat(d.dir); err != nil || !st.IsDir() {
		return nil // rejecting: nothing can have arrived
	}
	_ = filepath.WalkDir(d.dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil //nolint:nilerr // a vanished file just is not counted
		}
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			d.t.Errorf("read %s: %v", p, err)
			return nil
		}
		out = append(out, deliverytest.Received{
			ID:   strings.TrimSuffix(e.Name(), filepath.Ext(e.Name())),
			Kind: filepath.Base(filepath.Dir(p)),
			Body: b,
		})
		return nil
	})
	return out
}

func fileHarness() deliverytest.Harness {
	return deliverytest.Harness{
		Features: deliverytest.Features{ContentType: "application/pdf", KindSeen: true},
		Start: func(t *testing.T, logger *slog.Logger) deliverytest.Env {
			rc := &dirReceiver{t: t, dir: filepath.Join(t.TempDir(), "drop")}
			rc.Set(deliverytest.Accept, 0)
			f := delivery.NewFile(delivery.FileOptions{Logger: logger})
			t.Cleanup(func() { _ = f.Close() })
			return deliverytest.Env{
				Connector: f,
				Dest:      delivery.Destination{Connector: delivery.ConnectorFile, Name: "pdf-store", Dir: rc.dir},
				Receiver:  rc,
			}
		},
	}
}

func TestFileSuite(t *testing.T) {
	t.Parallel()
	deliverytest.Exercise(t, fileHarness())
}

func TestFilePathLayout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := delivery.NewFile(delivery.FileOptions{Dir: dir, Extensions: map[string]string{"application/x-lab": ".lab"}})
	to := delivery.Destination{Connector: "file"}
	cases := []struct {
		kind, ct, want string
	}{
		{"report", "application/pdf", "report/m1.pdf"},
		{"Result", "application/fhir+json; fhirVersion=4.0", "result/m1.json"},
		{"result", "application/hl7-v2", "result/m1.hl7"},
		{"../../etc", "text/plain", "etc/m1.txt"},
		{"a/b c", "application/x-lab", "a-b-c/m1.lab"},
		{"", "", "other/m1.bin"},
		{"...", "image/x-unknown", "other/m1.bin"},
	}
	for _, tc := range cases {
		p, err := f.Path(to, delivery.Message{ID: "m1", Kind: tc.kind, ContentType: tc.ct})
		if err != nil {
			t.Errorf("%q: %v", tc.kind, err)
			continue
		}
		if want := filepath.Join(dir, tc.want); p != want {
			t.Errorf("kind %q type %q: path %s, want %s", tc.kind, tc.ct, p, want)
		}
	}
	for _, id := range []string{"../x", "a/b", `a\b`, ".hidden", "", "a b"} {
		_, err := f.Deliver(t.Context(), to, delivery.Message{ID: id, Body: []byte("x")})
		if !errors.Is(err, delivery.ErrBadMessage) || !delivery.IsPermanent(err) {
			t.Errorf("id %q: %v, want permanent ErrBadMessage", id, err)
		}
	}
	if _, err := delivery.NewFile(delivery.FileOptions{}).Deliver(t.Context(), to, delivery.Message{ID: "m"}); !errors.Is(err, delivery.ErrBadDestination) {
		t.Errorf("no directory anywhere: %v, want ErrBadDestination", err)
	}
}

func TestFileWriteIsIdempotent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := delivery.NewFile(delivery.FileOptions{})
	to := delivery.Destination{Connector: "file", Dir: dir}
	m := delivery.Message{ID: "0190aaaa-7abc-7def-8abc-000000000009", Kind: "report", ContentType: "application/pdf", Body: []byte("%PDF-1.7 first")}
	r1, err := f.Deliver(t.Context(), to, m)
	if err != nil {
		t.Fatal(err)
	}
	m.Body = []byte("%PDF-1.7 second, longer than the first")
	r2, err := f.Deliver(t.Context(), to, m)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Path != r2.Path || r1.Path != filepath.Join(dir, "report", m.ID+".pdf") {
		t.Fatalf("paths %s and %s", r1.Path, r2.Path)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "report"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("directory holds %v, want exactly the one file (no temporaries left)", names(entries))
	}
	got, err := os.ReadFile(r2.Path)
	if err != nil || !bytes.Equal(got, m.Body) {
		t.Fatalf("file holds %q (%v), want the redelivered body", got, err)
	}
	if runtime.GOOS != "windows" {
		st, err := os.Stat(r2.Path)
		if err != nil || st.Mode().Perm() != 0o640 {
			t.Errorf("mode %v (%v), want 0640", st.Mode().Perm(), err)
		}
	}
}

// TestFileWriteIsAtomic rewrites one file with alternating contents while
// readers read it: a reader must always see one whole version, never a
// mix or a short file.
func TestFileWriteIsAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := delivery.NewFile(delivery.FileOptions{})
	to := delivery.Destination{Connector: "file", Dir: dir}
	const size = 256 << 10
	versions := [][]byte{bytes.Repeat([]byte{'a'}, size), bytes.Repeat([]byte{'b'}, size)}
	m := delivery.Message{ID: "atomic", Kind: "report", ContentType: "application/pdf", Body: versions[0]}
	r, err := f.Deliver(t.Context(), to, m)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var reads int
	var mu sync.Mutex
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				b, err := os.ReadFile(r.Path)
				if err != nil {
					t.Errorf("read while rewriting: %v", err)
					return
				}
				if !bytes.Equal(b, versions[0]) && !bytes.Equal(b, versions[1]) {
					t.Errorf("reader saw a torn file of %d bytes", len(b))
					return
				}
				mu.Lock()
				reads++
				mu.Unlock()
			}
		})
	}
	for i := 0; i < 60 && ctx.Err() == nil; i++ {
		m.Body = versions[i%2]
		if _, err := f.Deliver(t.Context(), to, m); err != nil {
			t.Fatalf("rewrite %d: %v", i, err)
		}
	}
	cancel()
	wg.Wait()
	if reads == 0 {
		t.Fatal("readers read nothing; the test proved nothing")
	}
	entries, _ := os.ReadDir(filepath.Dir(r.Path))
	if len(entries) != 1 {
		t.Errorf("directory holds %v, want one file", names(entries))
	}
}

func TestFileNotADirectoryIsPermanent(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	notDir := filepath.Join(base, "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f := delivery.NewFile(delivery.FileOptions{})
	_, err := f.Deliver(t.Context(), delivery.Destination{Connector: "file", Dir: notDir}, delivery.Message{ID: "x", Body: []byte("b")})
	if !delivery.IsPermanent(err) || !errors.Is(err, delivery.ErrRejected) {
		t.Errorf("%v, want permanent ErrRejected", err)
	}
}

func names(es []os.DirEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Name()
	}
	slices.Sort(out)
	return out
}
