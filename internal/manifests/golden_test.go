package manifests

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// goldenHeader opens the committed plain manifests.
const goldenHeader = `# IMP's plain Kubernetes manifests: deploy/helm/imp rendered with its
# default values, as ` + "`helm template imp deploy/helm/imp --namespace imp`" + ` would.
# Generated - do not edit. Change the chart, then run
#   go test ./internal/manifests -run TestGolden -update
# Apply with: kubectl create namespace imp; kubectl apply -f deploy/manifests/imp.yaml
# (the ScaledObjects need KEDA's CRDs; see docs/operations.md).
`

// TestGolden keeps the committed manifests equal to what the chart
// renders: deploy/manifests/imp.yaml for the defaults (what operators
// without Helm apply) and testdata/production.golden.yaml for
// values-production.yaml. A chart change shows up as a reviewable diff of
// the objects it changes.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file, header string
		r                  Release
	}{
		{"default", filepath.Join("..", "..", "deploy", "manifests", "imp.yaml"), goldenHeader, release(nil)},
		{"production", filepath.Join("testdata", "production.golden.yaml"),
			"# deploy/helm/imp rendered with values-production.yaml (golden file of internal/manifests).\n",
			release([]string{productionFile})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, _, err := renderCached(tc.r)
			if err != nil {
				t.Fatal(err)
			}
			got := tc.header + strings.TrimPrefix(m, "\n")
			if *update {
				if err := os.WriteFile(tc.file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if string(want) != got {
				t.Errorf("%s is stale: the chart renders something else; run go test ./internal/manifests -run TestGolden -update and review the diff\n%s",
					tc.file, firstDiff(string(want), got))
			}
			// The committed file must itself be valid: it is what gets applied.
			if _, err := Decode(string(want)); err != nil {
				t.Errorf("%s does not decode strictly: %v", tc.file, err)
			}
		})
	}
}

// firstDiff shows the first differing line with a little context.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			lo := max(0, i-3)
			return "first difference at line " + strconv.Itoa(i+1) + ":\n  committed: " + wl + "\n  rendered:  " + gl +
				"\ncontext (rendered):\n" + joinLines(g[lo:min(len(g), i+3)])
		}
	}
	return ""
}
