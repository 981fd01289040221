package config

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README's configuration table")

const (
	tableStart = "<!-- config:start -->"
	tableEnd   = "<!-- config:end -->"
)

// Table renders the README's configuration table from the Config tags.
func Table() string {
	var b strings.Builder
	b.WriteString("| env | flag | default | what |\n|---|---|---|---|\n")
	for _, s := range Settings() {
		def := s.Default
		if def == "" {
			def = "—"
		} else {
			def = "`" + def + "`"
		}
		b.WriteString("| `" + s.Env + "` | `" + s.Flag + "` | " + def + " | " + strings.ReplaceAll(s.Help, "|", "\\|") + " |\n")
	}
	return b.String()
}

// TestREADMEConfigTable keeps the README's table equal to the settings
// (go test ./internal/config -run README -update rewrites it).
func TestREADMEConfigTable(t *testing.T) {
	path := "../../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, tableStart), strings.Index(s, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %s ... %s markers", tableStart, tableEnd)
	}
	want := tableStart + "\n" + Table() + tableEnd
	if got := s[i : j+len(tableEnd)]; got != want {
		if *update {
			if err := os.WriteFile(path, []byte(s[:i]+want+s[j+len(tableEnd):]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Fatal("README.md's configuration table is out of date: run go test ./internal/config -run README -update")
	}
}
