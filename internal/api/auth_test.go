package api_test

import (
	"context"
	"net/http"
	"regexp"
	"testing"

	"github.com/imp-health/imp/internal/auth"
)

var public = map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /openapi.json": true}

// TestEveryRouteRequiresItsScope enumerates the router's routes: every one
// but the probes and the OpenAPI document answers 401 without a key (or
// with a bad or revoked one) and 403 with a key lacking its scope.
func TestEveryRouteRequiresItsScope(t *testing.T) {
	e := newEnv(t)
	revoked := e.token(t, auth.ScopeAdmin)
	id := regexp.MustCompile(`^imp_([a-z0-9]{12})_`).FindStringSubmatch(revoked)[1]
	if err := e.keys.Revoke(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, rt := range e.srv.Routes() {
		name := rt.Method + " " + rt.Path
		target := regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(rt.Path, "x1")
		if public[name] {
			if rt.Scope != "" {
				t.Errorf("%s: public route has scope %q", name, rt.Scope)
			}
			if r := e.call(rt.Method, target, "", nil); r.code != http.StatusOK {
				t.Errorf("%s without a key: %d, want 200", name, r.code)
			}
			continue
		}
		n++
		if rt.Scope == "" {
			t.Errorf("%s has no scope", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			for _, tok := range []string{"", "imp_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "not-a-key", revoked} {
				r := e.call(rt.Method, target, tok, "{}")
				if r.code != http.StatusUnauthorized || r.hdr.Get("WWW-Authenticate") == "" {
					t.Errorf("token %q: %d, want 401 with WWW-Authenticate: %s", tok, r.code, r.body)
				}
				if r.json(t)["type"] != "/problems/unauthorized" {
					t.Errorf("token %q: %s", tok, r.body)
				}
			}
			// A key with every scope but this one (and not admin).
			var others []string
			for _, s := range auth.AllScopes {
				if s != rt.Scope && s != auth.ScopeAdmin {
					others = append(others, s)
				}
			}
			r := e.call(rt.Method, target, e.token(t, others...), "{}")
			if r.code != http.StatusForbidden || r.json(t)["type"] != "/problems/forbidden" {
				t.Errorf("without scope %s: %d, want 403: %s", rt.Scope, r.code, r.body)
			}
			// With the scope the request gets past auth.
			r = e.call(rt.Method, target, e.token(t, rt.Scope), "{}")
			if r.code == http.StatusUnauthorized || r.code == http.StatusForbidden {
				t.Errorf("with scope %s: %d: %s", rt.Scope, r.code, r.body)
			}
		})
	}
	if n < 20 {
		t.Fatalf("only %d authenticated routes: the table lost some", n)
	}
}

func TestXAPIKeyHeaderAuthenticates(t *testing.T) {
	e := newEnv(t)
	r := e.call("GET", "/v1/tests", "", nil, "X-API-Key", e.token(t, auth.ScopeRead))
	if r.code != http.StatusOK {
		t.Fatalf("%d %s", r.code, r.body)
	}
}
