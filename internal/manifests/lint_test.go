package manifests

import (
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/lint/support"
)

// TestHelmLint runs `helm lint --strict` on the chart with each values
// file: Chart.yaml metadata, template syntax, the values schema, and
// Helm's own warnings.
func TestHelmLint(t *testing.T) {
	t.Parallel()
	for _, files := range [][]string{nil, {productionFile}} {
		vals, err := (&values.Options{ValueFiles: files}).MergeValues(nil)
		if err != nil {
			t.Fatal(err)
		}
		lint := action.NewLint()
		lint.Strict = true
		lint.Namespace = "imp"
		kv, err := chartutil.ParseKubeVersion("v1.30.0")
		if err != nil {
			t.Fatal(err)
		}
		lint.KubeVersion = kv
		res := lint.Run([]string{chartDir}, vals)
		for _, m := range res.Messages {
			// INFO is only "icon is recommended": IMP has no icon.
			if m.Severity >= support.WarningSev {
				t.Errorf("helm lint %v: %s", files, m)
			}
		}
		for _, err := range res.Errors {
			t.Errorf("helm lint %v: %v", files, err)
		}
	}
}
