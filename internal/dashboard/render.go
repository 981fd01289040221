package dashboard

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/store"
)

// pageNames are the templates under templates/, one per page; each is
// parsed together with the layout and the shared partials.
var pageNames = []string{
	"login", "password", "error", "overview", "consumers", "consumer", "messages", "message",
	"deadletters", "confirm", "jobs", "inventory", "audit", "users", "keys",
}

type pageTemplate = *template.Template

func (h *Handler) mustParsePages() map[string]pageTemplate {
	out := map[string]pageTemplate{}
	for _, name := range pageNames {
		t := template.Must(template.New(name).Funcs(h.funcs()).ParseFS(templateFS,
			"templates/layout.html", "templates/partials.html", "templates/"+name+".html"))
		out[name] = t
	}
	return out
}

// pageData is what every page template gets.
type pageData struct {
	Title   string
	Nav     string // highlighted navigation entry
	Session *session
	Error   string
	Flash   string
	// Live holds the initial values of elements the event stream updates
	// (data-live="key"); LiveClass their state classes.
	Live      map[string]string
	LiveClass map[string]string
	// Events opens the event stream on this page.
	Events bool
	Body   any

	// Filled in by render.
	CSRF string
	User store.User
	Now  time.Time
}

// Can reports whether the signed-in user holds role (templates hide what
// a role may not do; handlers check again).
func (p pageData) Can(role string) bool { return p.Session != nil && can(p.Session.User.Role, role) }

// Masked reports whether payloads are masked for this user.
func (p pageData) Masked() bool { return p.Session == nil || !can(p.Session.User.Role, roleOperator) }

func (h *Handler) funcs() template.FuncMap {
	return template.FuncMap{
		"url": func(p string) string { return h.url(p) },
		"urlq": func(p string, kv ...string) string {
			q := url.Values{}
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i+1] != "" {
					q.Set(kv[i], kv[i+1])
				}
			}
			if len(q) == 0 {
				return h.url(p)
			}
			return h.url(p) + "?" + q.Encode()
		},
		"pathesc": url.PathEscape,
		"ts":      fmtTime,
		"ago":     func(t time.Time) string { return ago(h.now(), t) },
		"num":     fmtNum,
		"pct":     fmtPct,
		"badge":   badgeClass,
		"join":    strings.Join,
		"live": func(m map[string]string, key string) string {
			if v, ok := m[key]; ok {
				return v
			}
			return "—"
		},
		"liveclass": func(m map[string]string, key string) string { return m[key] },
		"recclass":  recClass,
		// Only for SVG this package drew from numbers (svg.go): no caller
		// text reaches it.
		"svg": func(s string) template.HTML { return template.HTML(s) }, //nolint:gosec // G203: the SVG is built from numbers only
		"add": func(a, b int) int { return a + b },
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
	}
}

// render writes a page; a template error after headers are sent is only
// logged, so pages render into a buffer first.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, d pageData) {
	t, ok := h.pages[page]
	if !ok {
		h.serverError(w, r, "render", fmt.Errorf("no template %q", page))
		return
	}
	if d.Session != nil {
		d.CSRF = d.Session.CSRF
		d.User = d.Session.User
	}
	if d.Flash == "" {
		d.Flash = h.takeFlash(w, r)
	}
	d.Now = h.now()
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", d); err != nil {
		h.log.Error("render page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// redirect sends the browser to a path under the base (303, so a POST is
// followed by a GET).
func (h *Handler) redirect(w http.ResponseWriter, r *http.Request, p string) {
	http.Redirect(w, r, h.url(p), http.StatusSeeOther)
}

// flash leaves a one-line message for the next page.
func (h *Handler) flash(w http.ResponseWriter, msg string) {
	h.setCookie(w, flashCookie, url.QueryEscape(msg), 60)
}

func (h *Handler) takeFlash(w http.ResponseWriter, r *http.Request) string {
	v := h.cookie(r, flashCookie)
	if v == "" {
		return ""
	}
	h.setCookie(w, flashCookie, "", -1)
	msg, err := url.QueryUnescape(v)
	if err != nil || len(msg) > 500 {
		return ""
	}
	return msg
}

func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, s *session, status int, title, msg string) {
	h.render(w, r, status, "error", pageData{Title: title, Session: s, Body: msg})
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	s, _ := h.loadSession(r)
	if s == nil {
		if r.Method == http.MethodGet {
			h.redirect(w, r, "login")
			return
		}
		http.NotFound(w, r)
		return
	}
	h.errorPage(w, r, s, http.StatusNotFound, "Not found", "There is no such page.")
}

// serverError logs what failed (never the request body) and shows a
// generic page.
func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.log.Error("dashboard request failed", "what", what, "path", r.URL.Path, "err", err)
	h.errorPage(w, r, sessionFrom(r.Context()), http.StatusInternalServerError, "Something went wrong",
		"The dashboard could not "+what+". The error is in the server log; try again in a moment.")
}

// auditf records an action; a failure is logged, the action stands.
func (h *Handler) auditf(ctx context.Context, actor, action, target, format string, args ...any) {
	e := store.AuditEntry{Actor: actor, Action: action, Target: target, Detail: fmt.Sprintf(format, args...), At: h.now()}
	if err := h.opt.Store.AddAudit(ctx, e); err != nil {
		h.log.Error("audit log write failed", "action", action, "target", target, "err", err)
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd ago", int(d.Hours()/24))
	}
}

func fmtNum(v any) string {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	default:
		return fmt.Sprint(v)
	}
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func fmtPct(part, total int64) string {
	if total == 0 {
		return "—"
	}
	p := float64(part) * 100 / float64(total)
	if p > 0 && p < 0.1 {
		return "<0.1%"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

// badgeClass colours a tracking status or dead-letter state.
func badgeClass(status string) string {
	switch status {
	case "processed", "ok", "keep", "Stable", "sent":
		return "badge ok"
	case "retrying", "scale", "review", "PreparingRebalance", "CompletingRebalance", "enable":
		return "badge warn"
	case "dead", "bad", "delete", "rejected":
		return "badge bad"
	case "repushed", "re-run":
		return "badge info"
	default:
		return "badge muted"
	}
}

func recClass(rec string) string { return badgeClass(rec) }
