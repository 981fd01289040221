package report

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Tests read the PDF back with poppler's tools, as a reader's software
// would: what pdftotext extracts is what search, copy and screen readers
// get. CI installs poppler-utils (.ci/prereqs); without them these tests
// skip.

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not on PATH: install poppler-utils (apt-get install -y poppler-utils; CI runs .ci/prereqs) to check the PDF's text and looks", name)
	}
}

// render renders r and fails the test on error.
func render(t testing.TB, r Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, r); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return buf.Bytes()
}

// writePDF stores pdf in a temporary file and returns its path.
func writePDF(t *testing.T, pdf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// extract returns the text of pdf (pages first to last, 0 for all) as
// pdftotext -layout lays it out.
func extract(t *testing.T, pdf []byte, first, last int) string {
	t.Helper()
	needTool(t, "pdftotext")
	args := []string{"-layout", "-enc", "UTF-8"}
	if first > 0 {
		args = append(args, "-f", strconv.Itoa(first), "-l", strconv.Itoa(last))
	}
	args = append(args, writePDF(t, pdf), "-")
	out, err := exec.Command("pdftotext", args...).Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// pageCount returns the number of pages pdfinfo reports.
func pageCount(t *testing.T, pdf []byte) int {
	t.Helper()
	needTool(t, "pdfinfo")
	out, err := exec.Command("pdfinfo", writePDF(t, pdf)).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "Pages:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatalf("pdfinfo Pages: %q", line)
			}
			return n
		}
	}
	t.Fatalf("pdfinfo printed no page count:\n%s", out)
	return 0
}

// artifactDir is where tests leave files for people to look at:
// $IMP_ARTIFACTS_DIR when set (CI uploads it), else a temporary directory.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("IMP_ARTIFACTS_DIR")
	if dir == "" {
		return t.TempDir()
	}
	dir = filepath.Join(dir, "report")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// snapshot renders page page of pdf to <dir>/<name>-<page>.png at 80 dpi
// and returns its path.
func snapshot(t *testing.T, pdf []byte, name string, page int) string {
	t.Helper()
	needTool(t, "pdftoppm")
	dir := artifactDir(t)
	p := strconv.Itoa(page)
	prefix := filepath.Join(dir, name+"-page"+p)
	cmd := exec.Command("pdftoppm", "-png", "-r", "80", "-f", p, "-l", p, "-singlefile", writePDF(t, pdf), prefix)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	png := prefix + ".png"
	info, err := os.Stat(png)
	if err != nil {
		t.Fatalf("pdftoppm wrote no PNG: %v", err)
	}
	if info.Size() < 1000 {
		t.Fatalf("%s is only %d bytes", png, info.Size())
	}
	return png
}
