package dashboard_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/imp-health/imp/internal/broker"
)

// TestAuditEveryAction performs every state-changing action of the
// dashboard and finds each in the audit log with who did it.
func TestAuditEveryAction(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	admin := e.admin()
	op := e.user(admin, "olga", "operator", operatorPassword)
	e.dead("m-repush", "lis-orders", "lis-orders", []byte(`{}`), map[string]string{"order": "A-1"})
	e.dead("m-discard", "lis-orders", "lis-orders", []byte(`{}`), map[string]string{"order": "A-2"})
	e.dead("job-dead", "worker", "worker", []byte(`{"kind":"pdf-report"}`), nil)
	e.published("m-view", "customer", "customer", []byte(`{"id":"C-1","version":1,"tier":"general","given_name":"Ada","family_name":"Lovelace"}`), nil, "")

	confirm := func(c *client, kv ...string) {
		t.Helper()
		r := c.form("", "dead-letters/action", append(kv, "confirm", "yes")...)
		if r.code != http.StatusSeeOther {
			t.Fatalf("%v: %d %s", kv, r.code, r.body)
		}
	}
	confirm(op, "action", "repush", "sel", "lis-orders/m-repush")
	confirm(op, "action", "discard", "sel", "lis-orders/m-discard")
	confirm(op, "action", "rerun", "sel", "worker/job-dead", "back", "jobs")
	if r := op.get("messages/m-view?payload=x"); r.code != http.StatusOK || !strings.Contains(r.body, "Lovelace") {
		t.Fatalf("operator's payload view: %d", r.code)
	}
	// Admin: a user, a role change, disable, enable, reset; a key and its revocation.
	r := admin.form("users", "users", "username", "victor", "role", "viewer")
	if r.code != http.StatusOK {
		t.Fatal(r.code)
	}
	for _, kv := range [][]string{
		{"op", "role", "role", "operator"},
		{"op", "disable", "confirm", "yes"},
		{"op", "enable", "confirm", "yes"},
		{"op", "reset", "confirm", "yes"},
	} {
		r := admin.form("users", "users/victor", kv...)
		if r.code != http.StatusSeeOther && r.code != http.StatusOK {
			t.Fatalf("user update %v: %d %s", kv, r.code, r.body)
		}
	}
	r = admin.form("keys", "keys", "name", "clinic feed", "scope", "orders:write")
	tok := regexp.MustCompile(`id="token">(imp_[^<]+)<`).FindStringSubmatch(r.body)
	if tok == nil {
		t.Fatalf("no token shown: %s", r.body)
	}
	p, err := e.keys.Verify(ctx, tok[1])
	if err != nil {
		t.Fatalf("the new key does not verify: %v", err)
	}
	if r := admin.form("keys", "keys/"+p.KeyID+"/revoke", "confirm", "yes"); r.code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.code)
	}
	e.client().login("olga", "not her password")

	want := []struct{ action, actor, target, detail string }{
		{"repush", "ui:olga", "m-repush", "consumer=lis-orders"},
		{"discard", "ui:olga", "m-discard", "consumer=lis-orders"},
		{"repush", "ui:olga", "job-dead", "consumer=worker"},
		{"job.rerun", "ui:olga", "job-dead", "consumer=worker"},
		{"message.view", "ui:olga", "m-view", "masked=false"},
		{"user.create", "ui:admin", "olga", "role=operator"},
		{"user.create", "ui:admin", "victor", "role=viewer"},
		{"user.update", "ui:admin", "victor", "role viewer -> operator"},
		{"user.update", "ui:admin", "victor", "disabled"},
		{"user.update", "ui:admin", "victor", "enabled"},
		{"user.update", "ui:admin", "victor", "password reset"},
		{"user.password", "ui:admin", "admin", "password changed"},
		{"user.password", "ui:olga", "olga", "password changed"},
		{"key.create", "ui:admin", p.KeyID, "orders:write"},
		{"key.revoke", "ui:admin", p.KeyID, "clinic feed"},
		{"login", "ui:olga", "olga", "ip="},
		{"login.failed", "anonymous", "olga", "ip="},
		{"user.create", "system", "admin", "first start"},
	}
	for _, w := range want {
		found := false
		for _, a := range e.audit(w.action) {
			if a.Actor == w.actor && a.Target == w.target && strings.Contains(a.Detail, w.detail) && !a.At.IsZero() {
				found = true
			}
		}
		if !found {
			t.Errorf("no audit entry %+v; have %v", w, e.audit(w.action))
		}
	}
	// Nothing secret is in the audit log.
	all, _ := e.st.AuditLog(ctx, 1000, 0)
	for _, a := range all {
		if strings.Contains(a.Detail, tok[1]) || strings.Contains(a.Detail, operatorPassword) || strings.Contains(a.Detail, "Lovelace") {
			t.Errorf("audit entry leaks a secret or PHI: %+v", a)
		}
	}
}

func TestDeadLetterActions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.admin()
	op := e.user(admin, "olga", "operator", operatorPassword)
	for _, d := range []struct{ id, order string }{{"m-1", "A-1"}, {"m-2", "A-1"}, {"m-3", "A-2"}, {"m-4", "A-3"}} {
		e.dead(d.id, "lis-orders", "lis-orders", []byte(`{"accession_number":"`+d.order+`"}`), map[string]string{"order": d.order})
	}
	// The list filters by order.
	r := op.get("dead-letters?order=A-1")
	if !strings.Contains(r.body, "m-1") || !strings.Contains(r.body, "m-2") || strings.Contains(r.body, "m-3") {
		t.Fatalf("filter by order: %s", r.body)
	}
	// All matching a filter: the confirmation names the count.
	r = op.form("", "dead-letters/action", "action", "repush-all", "f_order", "A-1", "back", "dead-letters?order=A-1")
	if !strings.Contains(r.body, "Re-push 2 dead letters?") {
		t.Fatalf("confirm all matching: %s", r.body)
	}
	r = op.form("", "dead-letters/action", "action", "repush-all", "f_order", "A-1", "back", "dead-letters?order=A-1", "confirm", "yes")
	if r.code != http.StatusSeeOther || r.loc != "/ui/dead-letters?order=A-1" {
		t.Fatalf("re-push all matching: %d %q", r.code, r.loc)
	}
	for id, want := range map[string]string{"m-1": "repushed", "m-2": "repushed", "m-3": "dead", "m-4": "dead"} {
		if got := e.deadState(t, id); got != want {
			t.Errorf("%s is %s, want %s", id, got, want)
		}
	}
	// The re-pushed records are back on the main topic.
	n := 0
	for _, rec := range e.records(t, topics.Main("lis-orders")) {
		if id := broker.Header(rec, broker.HeaderMessageID); id == "m-1" || id == "m-2" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d re-pushed records on the main topic, want 2", n)
	}
	// Selected, discarded.
	op.form("", "dead-letters/action", "action", "discard", "sel", "lis-orders/m-3", "sel", "lis-orders/m-4", "confirm", "yes")
	if e.deadState(t, "m-3") != "discarded" || e.deadState(t, "m-4") != "discarded" {
		t.Fatal("selected discard did not apply")
	}
	// Acting again finds nothing to do.
	r = op.form("", "dead-letters/action", "action", "repush", "sel", "lis-orders/m-3")
	if !strings.Contains(r.body, "Nothing to do") {
		t.Fatalf("re-push of a discarded letter: %s", r.body)
	}
	r = op.form("", "dead-letters/action", "action", "repush", "sel", "lis-orders/m-3", "confirm", "yes")
	if r.code != http.StatusSeeOther {
		t.Fatal(r.code)
	}
	if r := op.get("dead-letters"); !strings.Contains(r.body, "Nothing to do") {
		t.Error("no message that nothing was done")
	}
	// Nothing selected, or an unknown action, is a clear error.
	if r := op.form("", "dead-letters/action", "action", "repush"); r.code != http.StatusBadRequest {
		t.Errorf("nothing selected: %d", r.code)
	}
	if r := op.form("", "dead-letters/action", "action", "explode", "sel", "lis-orders/m-1"); r.code != http.StatusBadRequest {
		t.Errorf("unknown action: %d", r.code)
	}
	// The back link never leaves the dashboard.
	e.dead("m-5", "lis-orders", "lis-orders", []byte(`{}`), nil)
	r = op.form("", "dead-letters/action", "action", "discard", "sel", "lis-orders/m-5", "back", "//evil.example/x", "confirm", "yes")
	if r.code != http.StatusSeeOther || strings.Contains(r.loc, "evil") {
		t.Fatalf("back to a foreign URL: %d %q", r.code, r.loc)
	}
}

func TestJobs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.admin()
	op := e.user(admin, "olga", "operator", operatorPassword)
	e.published("job-ok", "worker", "worker", []byte(`{"kind":"pdf-report"}`), nil, "kind=pdf-report")
	e.published("job-order", "worker-order", "worker-order", []byte(`{"kind":"create-order"}`), nil, "create-order: created A-9")
	e.dead("job-dead", "worker", "worker", []byte(`{"kind":"notify-email"}`), nil)
	r := op.get("jobs")
	for _, want := range []string{"job-ok", "job-order", "job-dead", "pdf-report", "create-order", "Re-run", "read-only"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("jobs page lacks %q", want)
		}
	}
	if r := op.get("jobs?kind=pdf-report"); strings.Contains(r.body, "job-order") || !strings.Contains(r.body, "job-ok") {
		t.Error("kind filter does not filter")
	}
	// A processed job cannot be re-run: it has no dead letter.
	r = op.form("", "dead-letters/action", "action", "rerun", "sel", "worker/job-ok")
	if !strings.Contains(r.body, "Nothing to do") {
		t.Fatalf("re-run of a processed job: %s", r.body)
	}
	// Re-run is for job consumers only.
	e.dead("m-order", "lis-orders", "lis-orders", []byte(`{}`), nil)
	r = op.form("", "dead-letters/action", "action", "rerun", "sel", "lis-orders/m-order")
	if !strings.Contains(r.body, "Nothing to do") {
		t.Fatalf("re-run of a non-job: %s", r.body)
	}
	r = op.form("", "dead-letters/action", "action", "rerun", "sel", "worker/job-dead", "back", "jobs")
	if !strings.Contains(r.body, "Re-run 1 job?") {
		t.Fatalf("re-run confirmation: %s", r.body)
	}
	r = op.form("", "dead-letters/action", "action", "rerun", "sel", "worker/job-dead", "back", "jobs", "confirm", "yes")
	if r.code != http.StatusSeeOther || r.loc != "/ui/jobs" {
		t.Fatalf("re-run: %d %q", r.code, r.loc)
	}
	if e.deadState(t, "job-dead") != "repushed" {
		t.Fatal("the dead job was not re-pushed")
	}
	if r := op.get("jobs"); !strings.Contains(r.body, "Re-ran 1 dead letter") {
		t.Error("no confirmation after the re-run")
	}
}

func TestUsersAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	admin := e.admin()
	viewer := e.user(admin, "victor", "viewer", viewerPassword)
	for _, bad := range []struct {
		kv   []string
		code int
	}{
		{[]string{"username", "Bad Name!", "role", "viewer"}, http.StatusUnprocessableEntity},
		{[]string{"username", "vera", "role", "superuser"}, http.StatusUnprocessableEntity},
		{[]string{"username", "victor", "role", "viewer"}, http.StatusConflict},
	} {
		if r := admin.form("users", "users", bad.kv...); r.code != bad.code {
			t.Errorf("create %v: %d, want %d", bad.kv, r.code, bad.code)
		}
	}
	// An admin cannot lock themselves out.
	if r := admin.form("users", "users/admin", "op", "role", "role", "viewer"); r.code != http.StatusUnprocessableEntity {
		t.Errorf("self demotion: %d", r.code)
	}
	// Disabling needs a confirmation, then ends the user's sessions.
	r := admin.form("users", "users/victor", "op", "disable")
	if r.code != http.StatusOK || !strings.Contains(r.body, "Disable victor?") {
		t.Fatalf("disable confirmation: %d", r.code)
	}
	if u, _ := e.st.User(ctx, "victor"); u.Disabled {
		t.Fatal("disabled before confirming")
	}
	admin.form("users", "users/victor", "op", "disable", "confirm", "yes")
	if r := viewer.get(""); r.code != http.StatusSeeOther {
		t.Fatalf("a disabled user's session still works: %d", r.code)
	}
	if r := e.client().login("victor", viewerPassword); r.code != http.StatusUnauthorized {
		t.Fatalf("a disabled user signs in: %d", r.code)
	}
	admin.form("users", "users/victor", "op", "enable", "confirm", "yes")
	// A role change takes effect at once (sessions end; the new role applies).
	admin.form("users", "users/victor", "op", "role", "role", "operator")
	c := e.client()
	if r := c.login("victor", viewerPassword); r.code != http.StatusSeeOther {
		t.Fatalf("login after enable: %d", r.code)
	}
	if r := c.get("dead-letters"); !strings.Contains(r.body, "repush-selected") {
		t.Error("the promoted user has no re-push controls")
	}
	// A reset shows a one-time password once and forces a change.
	r = admin.form("users", "users/victor", "op", "reset", "confirm", "yes")
	m := otpRE.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no one-time password after reset: %s", r.body)
	}
	if r := admin.get("users"); otpRE.MatchString(r.body) {
		t.Error("the one-time password is shown again")
	}
	e.client().mustLogin("victor", m[1], "a brand new passphrase")
}

func TestKeysAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	admin := e.admin()
	if r := admin.form("keys", "keys", "name", "no scopes"); r.code != http.StatusUnprocessableEntity {
		t.Errorf("key without scopes: %d", r.code)
	}
	if r := admin.form("keys", "keys", "name", "bad", "scope", "root"); r.code != http.StatusUnprocessableEntity {
		t.Errorf("key with an unknown scope: %d", r.code)
	}
	r := admin.form("keys", "keys", "name", "lis feed", "scope", "results:write", "scope", "status:write")
	tok := regexp.MustCompile(`id="token">(imp_[^<]+)<`).FindStringSubmatch(r.body)
	if tok == nil {
		t.Fatal("no token")
	}
	p, err := e.keys.Verify(ctx, tok[1])
	if err != nil || !p.Can("results:write") || p.Can("admin") {
		t.Fatalf("new key: %+v %v", p, err)
	}
	if r := admin.get("keys"); strings.Contains(r.body, tok[1]) {
		t.Fatal("the token is shown again")
	}
	r = admin.form("keys", "keys/"+p.KeyID+"/revoke")
	if !strings.Contains(r.body, "Revoke API key "+p.KeyID) {
		t.Fatalf("revoke confirmation: %s", r.body)
	}
	if k, _ := e.st.APIKey(ctx, p.KeyID); !k.RevokedAt.IsZero() {
		t.Fatal("revoked before confirming")
	}
	admin.form("keys", "keys/"+p.KeyID+"/revoke", "confirm", "yes")
	if _, err := e.keys.Verify(ctx, tok[1]); err == nil {
		t.Fatal("the revoked key still verifies")
	}
	if r := admin.form("keys", "keys/nope/revoke", "confirm", "yes"); r.code != http.StatusNotFound {
		t.Errorf("revoke unknown: %d", r.code)
	}
}

func TestMessagesSearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.admin()
	e.published("m-a", "lis-orders", "lis-orders", []byte(`{}`), map[string]string{"order": "A-1", "customer": "C-1", "test": "GLU"}, "accepted by the LIS")
	e.published("m-b", "customer", "customer", []byte(`{}`), map[string]string{"customer": "C-2"}, "")
	e.dead("m-c", "lis-orders", "lis-orders", []byte(`{}`), map[string]string{"order": "A-2"})
	for _, c := range []struct {
		q       string
		has     []string
		hasNot  []string
		errText string
	}{
		{"id=m-a", []string{"m-a"}, []string{"m-b", "m-c"}, ""},
		{"order=A-1", []string{"m-a"}, []string{"m-b", "m-c"}, ""},
		{"customer=C-2", []string{"m-b"}, []string{"m-a"}, ""},
		{"test=GLU", []string{"m-a"}, []string{"m-b"}, ""},
		{"stream=customer", []string{"m-b"}, []string{"m-a"}, ""},
		{"status=dead", []string{"m-c"}, []string{"m-a", "m-b"}, ""},
		{"from=2000-01-01&to=2999-01-01T00:00", []string{"m-a", "m-b", "m-c"}, nil, ""},
		{"to=2000-01-01", nil, []string{"m-a"}, ""},
		{"from=yesterday", nil, []string{"m-a"}, "From:"},
	} {
		r := admin.get("messages?" + c.q)
		if r.code != http.StatusOK {
			t.Fatalf("%s: %d", c.q, r.code)
		}
		for _, h := range c.has {
			if !strings.Contains(r.body, h) {
				t.Errorf("%s lacks %s", c.q, h)
			}
		}
		for _, h := range c.hasNot {
			if strings.Contains(r.body, ">"+h+"<") {
				t.Errorf("%s lists %s", c.q, h)
			}
		}
		if c.errText != "" && !strings.Contains(r.body, c.errText) {
			t.Errorf("%s: no error %q", c.q, c.errText)
		}
	}
	if r := admin.get("messages/m-nothing"); r.code != http.StatusNotFound {
		t.Errorf("unknown message: %d", r.code)
	}
	if r := admin.get("consumers/nothing"); r.code != http.StatusNotFound {
		t.Errorf("unknown consumer: %d", r.code)
	}
}
