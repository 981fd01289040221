package manifests

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden manifests (deploy/manifests/imp.yaml, testdata/*.golden.yaml)")

var (
	chartDir       = filepath.Join("..", "..", "deploy", "helm", "imp")
	productionFile = filepath.Join(chartDir, "values-production.yaml")
)

// release is how the seed's namespace is rendered: release imp in
// namespace imp, on the oldest Kubernetes the chart supports.
func release(valueFiles []string, set ...string) Release {
	return Release{Name: "imp", Namespace: "imp", ValueFiles: valueFiles, Set: set, KubeVersion: "v1.30.0"}
}

// rendered is one value set rendered and decoded.
type rendered struct {
	manifest string
	objs     []Object
	values   ChartValues
}

// renders memoises Render per release: most tests look at the same few
// renderings, and rendering is the slow part under -race.
var renders sync.Map // key → *memo

type memo struct {
	once     sync.Once
	manifest string
	values   map[string]any
	err      error
}

func renderCached(r Release) (string, map[string]any, error) {
	key := fmt.Sprintf("%q", []any{r.Name, r.Namespace, r.ValueFiles, r.Set, r.KubeVersion})
	v, _ := renders.LoadOrStore(key, &memo{})
	m := v.(*memo)
	m.once.Do(func() {
		m.manifest, m.err = Render(chartDir, r)
		if m.err == nil {
			m.values, m.err = Values(chartDir, r)
		}
	})
	return m.manifest, m.values, m.err
}

func renderT(t *testing.T, r Release) rendered {
	t.Helper()
	m, raw, err := renderCached(r)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	objs, err := Decode(m)
	if err != nil {
		t.Fatalf("strict decode:\n%v", err)
	}
	v, err := ParseValues(raw)
	if err != nil {
		t.Fatal(err)
	}
	return rendered{manifest: m, objs: objs, values: v}
}

// valueSets are every configuration CI validates: the defaults, the
// production file, and the switches an operator is likely to flip.
var valueSets = []struct {
	name string
	r    Release
}{
	{"default", release(nil)},
	{"production", release([]string{productionFile})},
	{"sasl-tls-chart-secret", release(nil, "kafka.tls=true", "kafka.sasl.mechanism=SCRAM-SHA-256", "kafka.sasl.username=imp", "secrets.kafkaSASLPassword=s3cret", "secrets.keyPepper=pepper", "secrets.adminKey=0123456789abcdef0123")},
	{"no-keda", release(nil, "keda.enabled=false")},
	{"no-hpa-nodeports", release(nil, "api.hpa.enabled=false", "api.service.type=NodePort", "dashboard.service.type=NodePort")},
	{"cleanup-seed-recommendations-off", release(nil, "renderDisabledConsumers=false", "resilience.baselineReplicas=1", "resilience.podDisruptionBudget.enabled=false", "migrations.initContainer=false", "dashboard.enabled=false")},
	{"legacy-consumer-enabled", release(nil, "consumers.orders.enabled=true", "consumers.orders.scaling.replicas=1")},
	{"digest-pinned", release(nil, "image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")},
	{"mllp-tls-lis-existing-claim", release(nil, "mllp.tlsSecret=imp-mllp-tls", "lis.addr=lis.lab.internal:6661", "lis.tls=true",
		"reports.persistence.existingClaim=imp-reports-nfs", "api.service.type=NodePort", "mllp.nodePort=32575", "config.publicURL=https://imp.lab.example")},
	{"reports-on-emptydir-mllp-off", release(nil, "reports.persistence.enabled=false", "mllp.enabled=false")},
}

// TestStrictValidation renders every value set and validates every object
// strictly against the Kubernetes and KEDA types, then checks references,
// scaling, budgets and hardening.
func TestStrictValidation(t *testing.T) {
	t.Parallel()
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			t.Parallel()
			r := renderT(t, vs.r)
			if len(r.objs) == 0 {
				t.Fatal("nothing rendered")
			}
			if errs := Check(r.objs, r.values.External()); len(errs) > 0 {
				t.Errorf("%d problems:\n%v", len(errs), errors.Join(errs...))
			}
		})
	}
}

func joinLines(ss []string) string { return strings.Join(ss, "\n") }
