package manifests

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/strvals"
)

// Release is how the chart is rendered: `helm template NAME CHART -n
// NAMESPACE -f FILE... --set KEY=VALUE...`.
type Release struct {
	Name      string
	Namespace string
	// ValueFiles are merged in order over the chart's values.yaml.
	ValueFiles []string
	// Set are --set overrides, applied last.
	Set []string
	// KubeVersion is the cluster version templates see (.Capabilities);
	// empty uses Helm's default.
	KubeVersion string
}

// Render renders the chart in chartDir exactly as `helm template` does
// (client-only, no cluster): values are validated against the chart's
// values.schema.json, `fail` in a template is an error, hooks and NOTES
// are left out. It returns the manifest stream.
func Render(chartDir string, r Release) (string, error) {
	chrt, err := loader.Load(chartDir)
	if err != nil {
		return "", fmt.Errorf("load chart %s: %w", chartDir, err)
	}
	vals, err := (&values.Options{ValueFiles: r.ValueFiles}).MergeValues(nil)
	if err != nil {
		return "", fmt.Errorf("values: %w", err)
	}
	for _, s := range r.Set {
		if err := strvals.ParseInto(s, vals); err != nil {
			return "", fmt.Errorf("--set %s: %w", s, err)
		}
	}
	install := action.NewInstall(&action.Configuration{})
	install.ClientOnly = true
	install.DryRun = true
	install.Replace = true
	install.IncludeCRDs = false
	install.ReleaseName = r.Name
	install.Namespace = r.Namespace
	if r.KubeVersion != "" {
		kv, err := chartutil.ParseKubeVersion(r.KubeVersion)
		if err != nil {
			return "", err
		}
		install.KubeVersion = kv
	}
	rel, err := install.Run(chrt, vals)
	if err != nil {
		return "", err
	}
	if len(rel.Hooks) > 0 {
		names := make([]string, len(rel.Hooks))
		for i, h := range rel.Hooks {
			names[i] = h.Path
		}
		// The committed plain manifests would silently lose them.
		return "", fmt.Errorf("the chart renders hooks (%s): IMP's chart must stay plain manifests", strings.Join(names, ", "))
	}
	return rel.Manifest, nil
}

// Values returns the merged values a release renders with (chart
// defaults, then the value files, then --set), for tests that compare
// them with IMP's registries.
func Values(chartDir string, r Release) (map[string]any, error) {
	chrt, err := loader.Load(chartDir)
	if err != nil {
		return nil, err
	}
	over, err := (&values.Options{ValueFiles: r.ValueFiles}).MergeValues(nil)
	if err != nil {
		return nil, err
	}
	for _, s := range r.Set {
		if err := strvals.ParseInto(s, over); err != nil {
			return nil, err
		}
	}
	v, err := chartutil.CoalesceValues(chrt, over)
	if err != nil {
		return nil, err
	}
	return v.AsMap(), nil
}

// sortedKeys lists a map's keys in order.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
