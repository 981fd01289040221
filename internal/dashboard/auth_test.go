package dashboard_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/dashboard"
	"github.com/imp-health/imp/internal/store"
)

func TestAnonymousIsSentToLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	for _, p := range []string{"", "consumers", "messages?order=A-1", "dead-letters", "jobs", "inventory", "audit", "users", "keys", "password", "no-such-page"} {
		r := c.get(p)
		if r.code != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/ui/login") {
			t.Errorf("GET /ui/%s anonymous = %d %q, want a redirect to the login page", p, r.code, r.loc)
		}
	}
	if r := c.get("messages?order=A-1"); !strings.Contains(r.loc, "next="+url.QueryEscape("/ui/messages?order=A-1")) {
		t.Errorf("login redirect does not return to the page: %q", r.loc)
	}
	for _, p := range []string{"dead-letters/action", "users", "keys", "logout"} {
		if r := c.post(p, url.Values{"csrf": {"x"}}); r.code != http.StatusUnauthorized {
			t.Errorf("POST /ui/%s anonymous = %d, want 401", p, r.code)
		}
	}
	if r := c.get("events"); r.code != http.StatusUnauthorized {
		t.Errorf("GET /ui/events anonymous = %d, want 401", r.code)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/ui", nil)
	if r := c.do(req); r.code/100 != 3 || r.loc != "/ui/" {
		t.Errorf("GET /ui = %d %q, want a redirect to /ui/", r.code, r.loc)
	}
	if r := c.get("static/app.css"); r.code != http.StatusOK || !strings.Contains(r.hdr.Get("Content-Type"), "text/css") {
		t.Errorf("static asset: %d %s", r.code, r.hdr.Get("Content-Type"))
	}
	// A login page never redirects anywhere but under the base.
	r := c.get("login?next=" + url.QueryEscape("https://evil.example/x"))
	if strings.Contains(r.body, "evil.example") {
		t.Error("the login form carries a foreign next URL")
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.client().get("login")
	for k, want := range map[string]string{
		"Content-Security-Policy": "default-src 'self'",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
	} {
		if !strings.Contains(r.hdr.Get(k), want) {
			t.Errorf("%s = %q, want %q", k, r.hdr.Get(k), want)
		}
	}
}

func TestFirstLoginMustChangePassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	user, otp, created, err := dashboard.EnsureAdmin(ctx, e.st)
	if err != nil || !created || user != "admin" || len(otp) < 20 {
		t.Fatalf("EnsureAdmin = %q %q %v %v", user, otp, created, err)
	}
	if _, _, again, err := dashboard.EnsureAdmin(ctx, e.st); err != nil || again {
		t.Fatalf("second EnsureAdmin created=%v err=%v, want nothing done", again, err)
	}
	u, err := e.st.User(ctx, "admin")
	if err != nil || !u.MustChange || u.Role != "admin" || strings.Contains(u.PasswordHash, otp) || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Fatalf("stored admin = %+v, %v", u, err)
	}
	c := e.client()
	if r := c.login("admin", "wrong password!"); r.code != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.code)
	}
	r := c.login("admin", otp)
	if r.code != http.StatusSeeOther || r.loc != "/ui/password" {
		t.Fatalf("login with the one-time password: %d %q", r.code, r.loc)
	}
	// Every page sends the user to change the password first.
	for _, p := range []string{"", "consumers", "dead-letters", "users"} {
		if r := c.get(p); r.code != http.StatusSeeOther || r.loc != "/ui/password" {
			t.Errorf("GET /ui/%s before the change = %d %q", p, r.code, r.loc)
		}
	}
	if r := c.get("events"); r.code != http.StatusForbidden {
		t.Errorf("events before the change = %d", r.code)
	}
	for _, bad := range []struct{ current, pw, confirm, want string }{
		{"not it", "a fine new password", "a fine new password", "current password is wrong"},
		{otp, "short", "short", "at least 12"},
		{otp, "a fine new password", "another new password", "differ"},
		{otp, otp, otp, "different from the current"},
	} {
		r := c.form("password", "password", "current", bad.current, "new", bad.pw, "confirm", bad.confirm)
		if r.code != http.StatusUnprocessableEntity || !strings.Contains(r.body, bad.want) {
			t.Errorf("change with %+v = %d, want 422 saying %q", bad, r.code, bad.want)
		}
	}
	r = c.form("password", "password", "current", otp, "new", adminPassword, "confirm", adminPassword)
	if r.code != http.StatusSeeOther || r.loc != "/ui/" {
		t.Fatalf("password change: %d %q %s", r.code, r.loc, r.body)
	}
	if r := c.get(""); r.code != http.StatusOK || !strings.Contains(r.body, "Password changed.") {
		t.Fatalf("overview after the change: %d", r.code)
	}
	if u, _ := e.st.User(ctx, "admin"); u.MustChange {
		t.Fatal("must_change still set")
	}
	if r := e.client().login("admin", otp); r.code != http.StatusUnauthorized {
		t.Errorf("the one-time password still works: %d", r.code)
	}
	if r := e.client().login("ADMIN ", adminPassword); r.code != http.StatusSeeOther || r.loc != "/ui/" {
		t.Errorf("login with the new password: %d %q", r.code, r.loc)
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.admin()
	if r := c.post("logout", url.Values{}); r.code != http.StatusForbidden {
		t.Fatalf("logout without a CSRF token: %d", r.code)
	}
	if r := c.form("", "logout"); r.code != http.StatusSeeOther || r.loc != "/ui/login" {
		t.Fatalf("logout: %d %q", r.code, r.loc)
	}
	if r := c.get(""); r.code != http.StatusSeeOther {
		t.Fatalf("after logout: %d", r.code)
	}
}

func TestRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.admin()
	op := e.user(admin, "olga", "operator", operatorPassword)
	viewer := e.user(admin, "victor", "viewer", viewerPassword)
	e.dead("m-1", "lis-orders", "lis-orders", []byte(`{"accession_number":"A-1"}`), map[string]string{"order": "A-1"})

	// Every role reads every monitoring page.
	for _, c := range []*client{viewer, op, admin} {
		for _, p := range []string{"", "consumers", "messages", "dead-letters", "jobs", "inventory", "audit"} {
			if r := c.get(p); r.code != http.StatusOK {
				t.Errorf("GET /ui/%s: %d", p, r.code)
			}
		}
	}
	// The viewer sees no re-push controls and cannot re-push.
	if r := viewer.get("dead-letters"); strings.Contains(r.body, "repush-selected") || strings.Contains(r.body, `name="sel"`) {
		t.Error("the viewer is offered re-push")
	}
	for _, action := range []string{"repush", "discard", "rerun", "repush-all"} {
		r := viewer.form("", "dead-letters/action", "action", action, "sel", "lis-orders/m-1", "confirm", "yes")
		if r.code != http.StatusForbidden {
			t.Errorf("viewer %s: %d, want 403", action, r.code)
		}
	}
	if dl := e.deadState(t, "m-1"); dl != "dead" {
		t.Fatalf("after the viewer's attempts the dead letter is %s", dl)
	}
	// Operators and viewers cannot manage users or keys.
	for name, c := range map[string]*client{"operator": op, "viewer": viewer} {
		for _, p := range []string{"users", "keys"} {
			if r := c.get(p); r.code != http.StatusForbidden {
				t.Errorf("%s GET %s: %d, want 403", name, p, r.code)
			}
		}
		if r := c.form("", "users", "username", "mallory", "role", "admin"); r.code != http.StatusForbidden {
			t.Errorf("%s creates a user: %d", name, r.code)
		}
		if r := c.form("", "users/olga", "op", "role", "role", "admin"); r.code != http.StatusForbidden {
			t.Errorf("%s changes a role: %d", name, r.code)
		}
		if r := c.form("", "keys", "name", "x", "scope", "admin"); r.code != http.StatusForbidden {
			t.Errorf("%s creates a key: %d", name, r.code)
		}
	}
	if _, err := e.st.User(context.Background(), "mallory"); err == nil {
		t.Fatal("a non-admin created a user")
	}
	// The operator re-pushes (through the confirmation step).
	r := op.form("", "dead-letters/action", "action", "repush", "sel", "lis-orders/m-1", "back", "dead-letters")
	if r.code != http.StatusOK || !strings.Contains(r.body, "Re-push 1 dead letter?") || !strings.Contains(r.body, `name="confirm" value="yes"`) {
		t.Fatalf("confirmation page: %d %s", r.code, r.body)
	}
	if dl := e.deadState(t, "m-1"); dl != "dead" {
		t.Fatalf("the confirmation page acted already: %s", dl)
	}
	r = op.form("", "dead-letters/action", "action", "repush", "sel", "lis-orders/m-1", "back", "dead-letters", "confirm", "yes")
	if r.code != http.StatusSeeOther || r.loc != "/ui/dead-letters" {
		t.Fatalf("confirmed re-push: %d %q", r.code, r.loc)
	}
	if dl := e.deadState(t, "m-1"); dl != "repushed" {
		t.Fatalf("after the operator's re-push the dead letter is %s", dl)
	}
	if r := op.get("dead-letters"); !strings.Contains(r.body, "Re-pushed 1 dead letter.") {
		t.Error("no confirmation message after the re-push")
	}
}

func (e *env) deadState(t *testing.T, id string) string {
	t.Helper()
	dls, err := e.st.DeadLetterList(context.Background(), store.DeadQuery{MessageID: id, State: "any"})
	if err != nil || len(dls) != 1 {
		t.Fatalf("dead letter %s: %v %v", id, dls, err)
	}
	return dls[0].State
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.admin()
	op := e.user(admin, "olga", "operator", operatorPassword)
	e.dead("m-1", "lis-orders", "lis-orders", []byte(`{}`), nil)
	token := op.csrf("")
	send := func(form url.Values, hdr ...string) int {
		req, _ := http.NewRequest("POST", e.base+"dead-letters/action", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return op.do(req).code
	}
	act := func(tok string) url.Values {
		v := url.Values{"action": {"discard"}, "sel": {"lis-orders/m-1"}, "confirm": {"yes"}}
		if tok != "" {
			v.Set("csrf", tok)
		}
		return v
	}
	cases := []struct {
		name string
		form url.Values
		hdr  []string
	}{
		{"no token", act(""), []string{"Origin", e.srv.URL}},
		{"wrong token", act("forged-token-value"), []string{"Origin", e.srv.URL}},
		{"token of another session", act(admin.csrf("")), []string{"Origin", e.srv.URL}},
		{"foreign origin", act(token), []string{"Origin", "https://evil.example"}},
		{"foreign referer", act(token), []string{"Referer", "https://evil.example/page"}},
		{"no origin nor referer", act(token), nil},
		{"cross-site fetch", act(token), []string{"Origin", e.srv.URL, "Sec-Fetch-Site", "cross-site"}},
	}
	for _, c := range cases {
		if code := send(c.form, c.hdr...); code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", c.name, code)
		}
	}
	if s := e.deadState(t, "m-1"); s != "dead" {
		t.Fatalf("a forged request discarded the dead letter (%s)", s)
	}
	// The same request from the dashboard's own page goes through, with
	// Origin or with only a Referer.
	if code := send(act(token), "Referer", e.base+"dead-letters", "Sec-Fetch-Site", "same-origin"); code != http.StatusSeeOther {
		t.Fatalf("genuine request: %d", code)
	}
	if s := e.deadState(t, "m-1"); s != "discarded" {
		t.Fatalf("after the genuine request the dead letter is %s", s)
	}
	// The login form has its own token.
	c := e.client()
	if r := c.post("login", url.Values{"username": {"admin"}, "password": {adminPassword}}); r.code != http.StatusForbidden {
		t.Errorf("login without its token: %d", r.code)
	}
	c.get("login")
	c.origin = "https://evil.example"
	if r := c.login("admin", adminPassword); r.code != http.StatusForbidden {
		t.Errorf("login from a foreign origin: %d", r.code)
	}
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.admin()
	e.user(admin, "olga", "operator", operatorPassword)
	t0 := time.Now().UTC()
	e.now.Set(t0)
	c := e.client()
	for i := range 5 {
		if r := c.login("olga", "guess number "+string(rune('a'+i))); r.code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, r.code)
		}
	}
	// The sixth try is refused even with the right password.
	r := c.login("olga", operatorPassword)
	if r.code != http.StatusTooManyRequests || r.hdr.Get("Retry-After") == "" || !strings.Contains(r.body, "Too many failed sign-ins") {
		t.Fatalf("after 5 failures: %d %q", r.code, r.hdr.Get("Retry-After"))
	}
	// Another user from the same address is not locked out by olga's.
	if r := e.client().login("admin", adminPassword); r.code != http.StatusSeeOther {
		t.Fatalf("admin locked out by olga's failures: %d", r.code)
	}
	// The window passes.
	e.now.Set(t0.Add(16 * time.Minute))
	if r := c.login("olga", operatorPassword); r.code != http.StatusSeeOther {
		t.Fatalf("after the window: %d", r.code)
	}
	// One address guessing at many names is stopped too.
	e.now.Set(t0.Add(40 * time.Minute))
	c = e.client()
	for i := range 20 {
		c.login("nobody-"+string(rune('a'+i)), "whatever it is")
	}
	if r := c.login("admin", adminPassword); r.code != http.StatusTooManyRequests {
		t.Fatalf("after 20 failures from one address: %d", r.code)
	}
	if n := len(e.audit("login.failed")); n < 25 {
		t.Errorf("audit has %d failed logins, want at least 25", n)
	}
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *dashboard.Options) {
		o.IdleTimeout = 30 * time.Minute
		o.SessionLifetime = time.Hour
	})
	t0 := time.Now().UTC()
	e.now.Set(t0)
	c := e.admin()
	u, _ := url.Parse(e.base)
	cookie := func() string {
		for _, ck := range c.hc.Jar.Cookies(u) {
			if ck.Name == "imp_session" {
				return ck.Value
			}
		}
		return ""
	}
	withCookie := func(v string) int {
		req, _ := http.NewRequest("GET", e.base, nil)
		req.AddCookie(&http.Cookie{Name: "imp_session", Value: v})
		return e.client().do(req).code
	}
	first := cookie()
	// Use keeps the session alive past the idle timeout...
	for _, m := range []int{20, 40, 55} {
		e.now.Set(t0.Add(time.Duration(m) * time.Minute))
		if r := c.get(""); r.code != http.StatusOK {
			t.Fatalf("at +%dm: %d", m, r.code)
		}
		if m == 20 {
			// Renewed: a new cookie, and the old one still works for a
			// request another tab sent meanwhile.
			if cookie() == first {
				t.Fatal("the session was not renewed")
			}
			if code := withCookie(first); code != http.StatusOK {
				t.Fatalf("the replaced session failed at once: %d", code)
			}
		}
	}
	// Past its grace minute (the next renewal retires it for good).
	if code := withCookie(first); code != http.StatusSeeOther {
		t.Fatalf("the replaced session still works: %d", code)
	}
	// ...but not past the absolute lifetime.
	e.now.Set(t0.Add(61 * time.Minute))
	if r := c.get(""); r.code != http.StatusSeeOther {
		t.Fatalf("past the lifetime: %d", r.code)
	}
	// Idle for longer than the timeout ends a session.
	c = e.client()
	if r := c.login("admin", adminPassword); r.code != http.StatusSeeOther {
		t.Fatal(r.code)
	}
	e.now.Set(t0.Add(61*time.Minute + 31*time.Minute))
	if r := c.get(""); r.code != http.StatusSeeOther {
		t.Fatalf("after idling: %d", r.code)
	}
}

func TestCookieAttributes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		base   string
		secure bool
		name   string
	}{
		{"/ui/", false, "imp_session"},
		{"/ui/", true, "__Secure-imp_session"},
		{"/", true, "__Host-imp_session"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, func(o *dashboard.Options) { o.BasePath, o.SecureCookies = c.base, c.secure })
			_, otp, _, err := dashboard.EnsureAdmin(context.Background(), e.st)
			if err != nil {
				t.Fatal(err)
			}
			// Drive the handler directly: a cookie jar keeps Secure cookies
			// off plain http.
			base := e.base
			get, _ := http.NewRequest("GET", base+"login", nil)
			resp, err := http.DefaultClient.Do(get)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			var loginTok *http.Cookie
			for _, ck := range resp.Cookies() {
				loginTok = ck
			}
			page := csrfFromCookie(t, loginTok)
			form := url.Values{"csrf": {page}, "username": {"admin"}, "password": {otp}}
			post, _ := http.NewRequest("POST", base+"login", strings.NewReader(form.Encode()))
			post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			post.Header.Set("Origin", e.srv.URL)
			post.AddCookie(loginTok)
			noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err = noRedirect.Do(post)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			var session *http.Cookie
			for _, ck := range resp.Cookies() {
				if strings.HasSuffix(ck.Name, "imp_session") && ck.Value != "" {
					session = ck
				}
			}
			if session == nil {
				t.Fatalf("no session cookie: %d %v", resp.StatusCode, resp.Header["Set-Cookie"])
			}
			if session.Name != c.name || !session.HttpOnly || session.Secure != c.secure || session.SameSite != http.SameSiteLaxMode || session.Path != c.base {
				t.Fatalf("session cookie = %+v", session)
			}
			// The store keeps only the hash of the cookie value.
			if _, err := e.st.Session(context.Background(), []byte(session.Value), time.Now()); err == nil {
				t.Fatal("the session is stored under its cookie value")
			}
		})
	}
}

// csrfFromCookie: the login form's token equals its cookie.
func csrfFromCookie(t *testing.T, c *http.Cookie) string {
	t.Helper()
	if c == nil || !strings.HasSuffix(c.Name, "imp_login") {
		t.Fatalf("no login token cookie: %+v", c)
	}
	return c.Value
}

func TestEventsStream(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.admin()
	e.dead("m-1", "lis-orders", "lis-orders", []byte(`{}`), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.base+"events", nil)
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	events := 0
	for sc.Scan() && events < 2 {
		line := sc.Text()
		if !strings.HasPrefix(line, "data: ") {
			continue
		}
		events++
		for _, want := range []string{`"lag:total"`, `"dlq:total":"1"`, `"health:store":"OK"`, `"spark:lis-orders"`} {
			if !strings.Contains(line, want) {
				t.Fatalf("event lacks %s: %s", want, line)
			}
		}
	}
	if events < 2 {
		t.Fatalf("got %d events, want a first one and a pushed one (%v)", events, sc.Err())
	}
	cancel()
}
