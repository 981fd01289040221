package dashboard

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/store"
)

// Roles, from least to most powerful; each includes the ones before it.
const (
	roleViewer   = "viewer"   // read-only, PHI masked
	roleOperator = "operator" // re-push, discard, re-run
	roleAdmin    = "admin"    // users and API keys
)

var roles = []string{roleViewer, roleOperator, roleAdmin}

func roleRank(r string) int {
	for i, x := range roles {
		if x == r {
			return i + 1
		}
	}
	return 0
}

// can reports whether a user of role may do what needs role want.
func can(role, want string) bool { return roleRank(role) >= roleRank(want) && roleRank(want) > 0 }

// usernamePattern keeps user names plain: they appear in the audit log
// ("ui:<name>") and in URLs.
var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// session is the signed-in user of one request.
type session struct {
	store.Session
	User store.User
}

type ctxKey struct{}

func sessionFrom(ctx context.Context) *session {
	s, _ := ctx.Value(ctxKey{}).(*session)
	return s
}

// actor names the user in the audit log and the message timeline.
func (s *session) actor() string { return "ui:" + s.User.Username }

// cookieName is the session cookie: __Host- when it can be (Secure, path
// "/"), which pins it to this origin; __Secure- when only Secure.
func (h *Handler) cookieName(name string) string {
	switch {
	case h.opt.SecureCookies && h.base == "/":
		return "__Host-" + name
	case h.opt.SecureCookies:
		return "__Secure-" + name
	}
	return name
}

func (h *Handler) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	// Secure follows SecureCookies: a plain-http development or in-cluster
	// dashboard must still be able to sign in.
	http.SetCookie(w, &http.Cookie{ //nolint:gosec // G124: Secure is set whenever the dashboard is served over TLS (Options.SecureCookies)
		Name: h.cookieName(name), Value: value, Path: h.base, MaxAge: maxAge,
		HttpOnly: true, Secure: h.opt.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

func (h *Handler) cookie(r *http.Request, name string) string {
	c, err := r.Cookie(h.cookieName(name))
	if err != nil {
		return ""
	}
	return c.Value
}

const (
	sessionCookie = "imp_session"
	loginCookie   = "imp_login" // the login form's CSRF token, before a session exists
	flashCookie   = "imp_flash"
)

func hashID(id string) []byte {
	sum := sha256.Sum256([]byte(id))
	return sum[:]
}

// loadSession finds the request's live session and its user; nil when
// there is none, it expired, or the user is gone or disabled.
func (h *Handler) loadSession(r *http.Request) (*session, error) {
	id := h.cookie(r, sessionCookie)
	if id == "" || len(id) > 128 {
		return nil, nil
	}
	now := h.now()
	s, err := h.opt.Store.Session(r.Context(), hashID(id), now)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if now.Sub(s.CreatedAt) >= h.opt.SessionLifetime {
		_ = h.opt.Store.DeleteSession(r.Context(), s.IDHash)
		return nil, nil
	}
	u, err := h.opt.Store.User(r.Context(), s.Username)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled) {
		_ = h.opt.Store.DeleteSession(r.Context(), s.IDHash)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &session{Session: s, User: u}, nil
}

// startSession creates a session for username and sets its cookie. The
// CSRF token and login time carry over when a session is renewed.
func (h *Handler) startSession(ctx context.Context, w http.ResponseWriter, username, csrf string, created time.Time) (store.Session, error) {
	now := h.now()
	if csrf == "" {
		csrf = randomToken()
	}
	if created.IsZero() {
		created = now
	}
	expires := now.Add(h.opt.IdleTimeout)
	if hard := created.Add(h.opt.SessionLifetime); expires.After(hard) {
		expires = hard
	}
	id := randomToken()
	s := store.Session{IDHash: hashID(id), Username: username, CSRF: csrf, CreatedAt: created, ExpiresAt: expires}
	if err := h.opt.Store.CreateSession(ctx, s); err != nil {
		return store.Session{}, err
	}
	// No MaxAge: the cookie dies with the browser; the server-side expiry
	// is what counts.
	h.setCookie(w, sessionCookie, id, 0)
	return s, nil
}

// renew extends an idle session. The store cannot move a session's
// expiry, so the session is replaced by a new one (new cookie, same CSRF
// token and login time) once a sixth of the idle timeout has passed since
// it was issued. Only page loads renew, never the event stream. The old
// session lives on for a minute (retired), so a request another tab sent
// with the old cookie while this one renewed still gets through.
func (h *Handler) renew(ctx context.Context, w http.ResponseWriter, s *session) {
	now := h.now()
	issued := s.ExpiresAt.Add(-h.opt.IdleTimeout)
	hard := s.CreatedAt.Add(h.opt.SessionLifetime)
	if now.Sub(issued) < h.opt.IdleTimeout/6 || !s.ExpiresAt.Before(hard) {
		return
	}
	ns, err := h.startSession(ctx, w, s.Username, s.CSRF, s.CreatedAt)
	if err != nil {
		h.log.Warn("session renewal failed", "user", s.Username, "err", err)
		return
	}
	h.retire(ctx, s.Username, s.IDHash)
	s.Session = ns
}

// retireGrace is how long a replaced session keeps working.
const retireGrace = time.Minute

type retired struct {
	idHash   []byte
	username string
	at       time.Time
}

// retire schedules a replaced session's deletion and deletes those whose
// grace has passed. The queue is in memory: after a restart, a retired
// session simply runs to its own (idle) expiry.
func (h *Handler) retire(ctx context.Context, username string, idHash []byte) {
	now := h.now()
	h.retiredMu.Lock()
	h.retired = append(h.retired, retired{idHash: idHash, username: username, at: now})
	var due []retired
	keep := h.retired[:0]
	for _, r := range h.retired {
		if now.Sub(r.at) >= retireGrace || len(h.retired)-len(due) > 10_000 {
			due = append(due, r)
		} else {
			keep = append(keep, r)
		}
	}
	h.retired = keep
	h.retiredMu.Unlock()
	for _, r := range due {
		if err := h.opt.Store.DeleteSession(ctx, r.idHash); err != nil {
			h.log.Warn("delete a replaced session", "user", r.username, "err", err)
		}
	}
}

// dropRetired deletes a user's retired sessions at once (sign-out).
func (h *Handler) dropRetired(ctx context.Context, username string) {
	h.retiredMu.Lock()
	var mine []retired
	keep := h.retired[:0]
	for _, r := range h.retired {
		if r.username == username {
			mine = append(mine, r)
		} else {
			keep = append(keep, r)
		}
	}
	h.retired = keep
	h.retiredMu.Unlock()
	for _, r := range mine {
		_ = h.opt.Store.DeleteSession(ctx, r.idHash)
	}
}

// authed wraps a handler for users of at least role. Anonymous page loads
// are redirected to the login page; a user who must change their password
// is sent to do that first; a POST must pass the CSRF checks.
func (h *Handler) authed(role string, next func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return h.guard(role, false, next)
}

// authedAllowChange is authed for the password page itself.
func (h *Handler) authedAllowChange(next func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return h.guard(roleViewer, true, next)
}

func (h *Handler) guard(role string, passwordPage bool, next func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		s, err := h.loadSession(r)
		if err != nil {
			h.serverError(w, r, "load session", err)
			return
		}
		if s == nil {
			if r.Method == http.MethodGet && r.URL.Path != "/events" {
				h.redirect(w, r, "login?next="+url.QueryEscape(h.url(r.URL.RequestURI())))
				return
			}
			h.errorPage(w, r, nil, http.StatusUnauthorized, "Signed out", "Your session has ended. Sign in again.")
			return
		}
		if r.Method == http.MethodPost && !h.checkCSRF(r, s.CSRF) {
			h.log.Warn("refused a state-changing request failing the CSRF checks", "user", s.User.Username, "path", r.URL.Path)
			h.errorPage(w, r, s, http.StatusForbidden, "Request refused",
				"The form was not sent from this dashboard, or it is stale. Reload the page and try again.")
			return
		}
		if s.User.MustChange && !passwordPage && r.URL.Path != "/logout" {
			if r.Method == http.MethodGet && r.URL.Path != "/events" {
				h.redirect(w, r, "password")
				return
			}
			h.errorPage(w, r, s, http.StatusForbidden, "Password change required", "Choose a new password first.")
			return
		}
		if !can(s.User.Role, role) {
			h.errorPage(w, r, s, http.StatusForbidden, "Not allowed",
				fmt.Sprintf("This needs the %s role; you are signed in as %s (%s).", role, s.User.Username, s.User.Role))
			return
		}
		if r.Method == http.MethodGet && r.URL.Path != "/events" {
			h.renew(r.Context(), w, s)
		}
		next(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, s)), s)
	}
}

// clientIP is the peer's address. X-Forwarded-For is not trusted: anyone
// can set it, and the login limiter must not be that easy to dodge.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type loginView struct {
	Username string
	Next     string
	Token    string
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if s, err := h.loadSession(r); err == nil && s != nil {
		h.redirect(w, r, "")
		return
	}
	h.renderLogin(w, r, http.StatusOK, "", "")
}

func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, status int, username, msg string) {
	tok := randomToken()
	h.setCookie(w, loginCookie, tok, 3600)
	h.render(w, r, status, "login", pageData{Title: "Sign in", Error: msg,
		Body: loginView{Username: username, Next: h.safeNext(r.FormValue("next")), Token: tok}})
}

// safeNext accepts only paths under the base, so the login form cannot be
// turned into an open redirect.
func (h *Handler) safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, h.base) || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return ""
	}
	return next
}

func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		h.renderLogin(w, r, http.StatusBadRequest, "", "The form could not be read.")
		return
	}
	tok := h.cookie(r, loginCookie)
	if !h.sameOrigin(r) || tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(r.PostFormValue("csrf"))) != 1 {
		h.log.Warn("refused a login failing the CSRF checks", "ip", clientIP(r))
		h.renderLogin(w, r, http.StatusForbidden, "", "The sign-in form expired or was not sent from this page. Try again.")
		return
	}
	username := strings.ToLower(strings.TrimSpace(r.PostFormValue("username")))
	password := r.PostFormValue("password")
	ip := clientIP(r)
	if wait, ok := h.limiter.allow(ip, username); !ok {
		h.log.Warn("login rate limited", "user", username, "ip", ip)
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		h.renderLogin(w, r, http.StatusTooManyRequests, username,
			fmt.Sprintf("Too many failed sign-ins. Try again in %s.", wait.Round(time.Second)))
		return
	}
	u, err := h.opt.Store.User(ctx, username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, r, "read user", err)
		return
	}
	hash := dummyHash()
	if err == nil && !u.Disabled {
		hash = u.PasswordHash
	}
	ok, herr := checkPassword(hash, password)
	if herr != nil {
		h.log.Error("stored password hash is unreadable", "user", username)
	}
	if err != nil || u.Disabled || !ok || herr != nil {
		h.limiter.fail(ip, username)
		h.log.Info("login failed", "user", username, "ip", ip)
		h.auditf(ctx, "anonymous", "login.failed", username, "ip=%s", ip)
		h.renderLogin(w, r, http.StatusUnauthorized, username, "Wrong user name or password.")
		return
	}
	h.limiter.succeed(username)
	if _, err := h.startSession(ctx, w, u.Username, "", time.Time{}); err != nil {
		h.serverError(w, r, "create session", err)
		return
	}
	h.setCookie(w, loginCookie, "", -1)
	u.LastLogin = h.now()
	if err := h.opt.Store.UpdateUser(ctx, u); err != nil {
		h.log.Warn("record last login", "user", u.Username, "err", err)
	}
	h.auditf(ctx, "ui:"+u.Username, "login", u.Username, "ip=%s", ip)
	h.log.Info("login", "user", u.Username, "role", u.Role)
	if u.MustChange {
		h.redirect(w, r, "password")
		return
	}
	if next := h.safeNext(r.PostFormValue("next")); next != "" {
		http.Redirect(w, r, next, http.StatusSeeOther) //nolint:gosec // G710: safeNext admits only paths under the base
		return
	}
	h.redirect(w, r, "")
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request, s *session) {
	if err := h.opt.Store.DeleteSession(r.Context(), s.IDHash); err != nil {
		h.serverError(w, r, "delete session", err)
		return
	}
	h.dropRetired(r.Context(), s.Username)
	h.setCookie(w, sessionCookie, "", -1)
	h.redirect(w, r, "login")
}

type passwordView struct{ Forced bool }

func (h *Handler) passwordPage(w http.ResponseWriter, r *http.Request, s *session) {
	h.render(w, r, http.StatusOK, "password", pageData{Title: "Change password", Session: s, Body: passwordView{Forced: s.User.MustChange}})
}

func (h *Handler) passwordSubmit(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	current, pw, confirm := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("confirm")
	fail := func(status int, msg string) {
		h.render(w, r, status, "password", pageData{Title: "Change password", Session: s, Error: msg,
			Body: passwordView{Forced: s.User.MustChange}})
	}
	ip := clientIP(r)
	if wait, ok := h.limiter.allow(ip, s.User.Username); !ok {
		fail(http.StatusTooManyRequests, fmt.Sprintf("Too many wrong passwords. Try again in %s.", wait.Round(time.Second)))
		return
	}
	if ok, _ := checkPassword(s.User.PasswordHash, current); !ok {
		h.limiter.fail(ip, s.User.Username)
		fail(http.StatusUnprocessableEntity, "The current password is wrong.")
		return
	}
	if msg := checkNewPassword(pw, confirm, current, s.User.Username); msg != "" {
		fail(http.StatusUnprocessableEntity, msg)
		return
	}
	u := s.User
	u.PasswordHash, u.MustChange = hashPassword(pw), false
	if err := h.opt.Store.UpdateUser(ctx, u); err != nil {
		h.serverError(w, r, "update user", err)
		return
	}
	// A new password ends every other session of the user, this one is
	// replaced by a fresh one.
	if err := h.opt.Store.DeleteSessions(ctx, u.Username); err != nil {
		h.serverError(w, r, "end sessions", err)
		return
	}
	if _, err := h.startSession(ctx, w, u.Username, "", time.Time{}); err != nil {
		h.serverError(w, r, "create session", err)
		return
	}
	h.auditf(ctx, s.actor(), "user.password", u.Username, "password changed")
	h.flash(w, "Password changed.")
	h.redirect(w, r, "")
}

// EnsureAdmin creates the first user on first start: "admin" with a
// random one-time password that must be changed at first login. It does
// nothing when any user exists. The caller prints the password once.
func EnsureAdmin(ctx context.Context, st interface {
	store.Users
	store.Audit
}) (username, oneTime string, created bool, err error) {
	n, err := st.CountUsers(ctx)
	if err != nil {
		return "", "", false, err
	}
	if n > 0 {
		return "", "", false, nil
	}
	pw := oneTimePassword()
	now := time.Now().UTC()
	u := store.User{Username: "admin", PasswordHash: hashPassword(pw), Role: roleAdmin, MustChange: true, CreatedAt: now}
	if err := st.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return "", "", false, nil // another process won the race
		}
		return "", "", false, err
	}
	if err := st.AddAudit(ctx, store.AuditEntry{Actor: "system", Action: "user.create", Target: u.Username,
		Detail: "role=admin first start, one-time password", At: now}); err != nil {
		return "", "", false, err
	}
	return u.Username, pw, true, nil
}
