package dashboard_test

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/imp-health/imp/internal/metrics"
)

// TestGrafanaDashboardUsesRealMetrics keeps deploy/grafana/imp-dashboard.json
// honest: it parses, and every imp_* series it queries is one that
// internal/metrics registers (histograms by their _bucket series).
func TestGrafanaDashboardUsesRealMetrics(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../deploy/grafana/imp-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	known := map[string]bool{}
	m := metrics.New()
	v := reflect.ValueOf(m).Elem()
	nameRE := regexp.MustCompile(`fqName: "([^"]+)"`)
	for i := range v.NumField() {
		c, ok := v.Field(i).Interface().(prometheus.Collector)
		if !ok || v.Field(i).Type() == reflect.TypeOf(m.Registry) {
			continue
		}
		ch := make(chan *prometheus.Desc, 4)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			if n := nameRE.FindStringSubmatch(d.String()); n != nil {
				known[n[1]] = true
			}
		}
	}
	if len(known) < 9 {
		t.Fatalf("found only %d metrics in internal/metrics: %v", len(known), known)
	}
	used := map[string]bool{}
	seriesRE := regexp.MustCompile(`\bimp_[a-z_]+`)
	for _, p := range dash.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, s := range seriesRE.FindAllString(tg.Expr, -1) {
				base := s
				for _, suf := range []string{"_bucket", "_sum", "_count"} {
					if b, ok := strings.CutSuffix(s, suf); ok && known[b] {
						base = b
					}
				}
				if !known[base] {
					t.Errorf("panel %q queries %s, which internal/metrics does not define", p.Title, s)
				}
				used[base] = true
			}
		}
	}
	for name := range known {
		if !used[name] {
			t.Errorf("metric %s is on no panel of the Grafana dashboard", name)
		}
	}
}
