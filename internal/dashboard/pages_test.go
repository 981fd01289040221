package dashboard_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/imp-health/imp/internal/dashboard"
)

// TestEveryPageRenders signs in as admin and opens every page.
func TestEveryPageRenders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.dead("m-dead-1", "lis-orders", "lis-orders", []byte(`{"accession_number":"A-1"}`), map[string]string{"order": "A-1"})
	e.published("m-cust-1", "customer", "customer", []byte(`{"id":"C-1","version":1,"tier":"general","given_name":"Ada","family_name":"Lovelace","birth_date":"1980-04-02"}`),
		map[string]string{"customer": "C-1"}, "")
	e.published("job-1", "worker", "worker", []byte(`{"kind":"pdf-report","order":"A-1"}`), nil, "kind=pdf-report")
	admin := e.admin()
	pages := []struct{ path, want string }{
		{"", "Throughput"},
		{"consumers", "KEDA"},
		{"consumers/lis-orders", "Partitions"},
		{"consumers/consumer-lis-orders", "Partitions"},
		{"messages", "m-cust-1"},
		{"messages?order=A-1", "m-dead-1"},
		{"messages/m-cust-1", "Show payload"},
		{"messages/m-cust-1?payload=imp.customer/0/0", "Lovelace"},
		{"dead-letters", "m-dead-1"},
		{"dead-letters?order=A-1", "m-dead-1"},
		{"jobs", "pdf-report"},
		{"inventory", "worker-pdf"},
		{"audit", "user.create"},
		{"users", "admin"},
		{"keys", "Create a key"},
		{"password", "New password"},
	}
	for _, p := range pages {
		t.Run(p.path, func(t *testing.T) {
			r := admin.get(p.path)
			if r.code != http.StatusOK {
				t.Fatalf("GET %s: %d %s", p.path, r.code, r.body)
			}
			if !strings.Contains(r.body, p.want) {
				t.Fatalf("GET %s lacks %q: %s", p.path, p.want, r.body)
			}
		})
	}
}

// TestRootBasePath serves the dashboard at "/", as imp dashboard does:
// every link, redirect and asset is under the root.
func TestRootBasePath(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *dashboard.Options) { o.BasePath = "/" })
	if r := e.client().get(""); r.code != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login") {
		t.Fatalf("anonymous at /: %d %q", r.code, r.loc)
	}
	admin := e.admin()
	r := admin.get("")
	if r.code != http.StatusOK || strings.Contains(r.body, "/ui/") || strings.Contains(r.body, `href="//`) {
		t.Fatalf("overview at /: %d %s", r.code, r.body)
	}
	for _, p := range []string{"static/app.css", "static/app.js", "consumers", "dead-letters"} {
		if r := admin.get(p); r.code != http.StatusOK {
			t.Errorf("GET /%s: %d", p, r.code)
		}
	}
}
