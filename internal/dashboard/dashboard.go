package dashboard

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/imp-health/imp/internal/auth"
	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/consumer"
	"github.com/imp-health/imp/internal/inventory"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/stream"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options are the dashboard's dependencies; inside IMP they come from
// app.App (see docs/dashboard.md for the wiring).
type Options struct {
	// Store holds users, sessions, tracking, dead letters and the audit log.
	Store store.Store
	// Admin reads consumer-group lag and topic offsets.
	Admin *kadm.Client
	// Broker connects the short-lived clients that fetch one payload.
	Broker broker.Config
	Topics stream.Topics
	// Keys issues and revokes API keys (the admin's API keys page).
	Keys *auth.Keys
	// Operator re-pushes and discards dead letters; it writes the audit
	// log and the message timeline itself.
	Operator *consumer.Operator
	// Ready reports whether broker and store answer (App.Ready); optional.
	Ready func(context.Context) error
	// Enabled says which consumers this deployment runs (App.Enabled()).
	Enabled map[string]bool
	// Consumers are the definitions shown; default consumer.All().
	Consumers []consumer.Definition
	// Inventory builds the inventory rows (App.Inventory); default
	// inventory.Build over Admin and Store.
	Inventory func(context.Context) ([]inventory.Row, error)

	Logger *slog.Logger
	// BasePath is where the handler is mounted: "/" or "/ui/". Links,
	// redirects and the cookie path all start with it.
	BasePath string
	// SecureCookies marks cookies Secure (serve over HTTPS, or behind a
	// TLS-terminating proxy); with BasePath "/" the session cookie then
	// takes the __Host- prefix.
	SecureCookies bool
	// TrustedOrigins are extra origins ("https://imp.lab.example") a
	// state-changing request may come from, for proxies that rewrite Host.
	TrustedOrigins []string
	Now            func() time.Time

	// IdleTimeout ends a session unused this long (default 30 minutes);
	// SessionLifetime ends any session this long after login (default 12
	// hours).
	IdleTimeout     time.Duration
	SessionLifetime time.Duration
	// RefreshInterval is how often live values are pushed (default 2 s).
	RefreshInterval time.Duration
}

// maxForm bounds a POST body (the largest form is a dead-letter selection
// of 1000 ids).
const maxForm = 256 << 10

// Handler serves the dashboard. Close it (or register Close with
// http.Server.RegisterOnShutdown) so open event streams end on shutdown.
type Handler struct {
	opt   Options
	log   *slog.Logger
	base  string // "/" or "/ui/"
	defs  []consumer.Definition
	inner http.Handler
	pages map[string]pageTemplate

	limiter *limiter
	hub     *hub

	retiredMu sync.Mutex
	retired   []retired // replaced sessions in their grace minute

	closeOnce sync.Once
	closed    chan struct{}
}

// New builds the dashboard. It panics when Store is missing or a template
// does not parse: both are programming errors.
func New(opt Options) *Handler {
	if opt.Store == nil {
		panic("dashboard: Options.Store is required")
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = func() time.Time { return time.Now().UTC() }
	}
	if opt.IdleTimeout <= 0 {
		opt.IdleTimeout = 30 * time.Minute
	}
	if opt.SessionLifetime <= 0 {
		opt.SessionLifetime = 12 * time.Hour
	}
	if opt.RefreshInterval <= 0 {
		opt.RefreshInterval = 2 * time.Second
	}
	if opt.Consumers == nil {
		opt.Consumers = consumer.All()
	}
	if opt.Enabled == nil {
		opt.Enabled = map[string]bool{}
	}
	h := &Handler{
		opt:     opt,
		log:     opt.Logger.With("component", "dashboard"),
		base:    normalizeBase(opt.BasePath),
		defs:    opt.Consumers,
		limiter: newLimiter(opt.Now),
		closed:  make(chan struct{}),
	}
	h.pages = h.mustParsePages()
	h.hub = newHub(h)
	mux := http.NewServeMux()
	h.routes(mux)
	if h.base == "/" {
		h.inner = mux
	} else {
		h.inner = http.StripPrefix(strings.TrimSuffix(h.base, "/"), mux)
	}
	return h
}

// normalizeBase makes "/", "ui", "/ui" and "/ui/" into "/" or "/ui/".
func normalizeBase(p string) string {
	p = strings.Trim(p, "/")
	if p == "" {
		return "/"
	}
	return "/" + p + "/"
}

// Close ends every open event stream; the handler keeps serving pages.
func (h *Handler) Close() {
	h.closeOnce.Do(func() { close(h.closed) })
	h.hub.wait()
}

// ServeHTTP serves the dashboard under its base path.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.base != "/" && r.URL.Path == strings.TrimSuffix(h.base, "/") {
		http.Redirect(w, r, h.base, http.StatusMovedPermanently) //nolint:gosec // G710: the configured base path, not request data
		return
	}
	hd := w.Header()
	// Pages show PHI: never cache them, never frame them, load nothing
	// from elsewhere and run no inline script.
	hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm) // forms are small; a huge body is an attack
	}
	h.inner.ServeHTTP(w, r)
}

// routes registers every page and action. Paths are relative to the base.
func (h *Handler) routes(mux *http.ServeMux) {
	static, _ := fs.Sub(staticFS, "static")
	files := http.FileServerFS(static)
	mux.Handle("GET /static/", http.StripPrefix("/static", cacheAssets(files)))

	mux.HandleFunc("GET /login", h.loginPage)
	mux.HandleFunc("POST /login", h.loginSubmit)
	mux.HandleFunc("POST /logout", h.authed(roleViewer, h.logout))
	mux.HandleFunc("GET /password", h.authedAllowChange(h.passwordPage))
	mux.HandleFunc("POST /password", h.authedAllowChange(h.passwordSubmit))

	mux.HandleFunc("GET /{$}", h.authed(roleViewer, h.overview))
	mux.HandleFunc("GET /events", h.authed(roleViewer, h.events))
	mux.HandleFunc("GET /consumers", h.authed(roleViewer, h.consumers))
	mux.HandleFunc("GET /consumers/{name}", h.authed(roleViewer, h.consumerDetail))
	mux.HandleFunc("GET /messages", h.authed(roleViewer, h.messages))
	mux.HandleFunc("GET /messages/{id...}", h.authed(roleViewer, h.message))
	mux.HandleFunc("GET /dead-letters", h.authed(roleViewer, h.deadLetters))
	mux.HandleFunc("POST /dead-letters/action", h.authed(roleOperator, h.deadAction))
	mux.HandleFunc("GET /jobs", h.authed(roleViewer, h.jobs))
	mux.HandleFunc("GET /inventory", h.authed(roleViewer, h.inventory))
	mux.HandleFunc("GET /audit", h.authed(roleViewer, h.audit))

	mux.HandleFunc("GET /users", h.authed(roleAdmin, h.users))
	mux.HandleFunc("POST /users", h.authed(roleAdmin, h.userCreate))
	mux.HandleFunc("POST /users/{name}", h.authed(roleAdmin, h.userUpdate))
	mux.HandleFunc("GET /keys", h.authed(roleAdmin, h.keys))
	mux.HandleFunc("POST /keys", h.authed(roleAdmin, h.keyCreate))
	mux.HandleFunc("POST /keys/{id}/revoke", h.authed(roleAdmin, h.keyRevoke))

	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.notFound(w, r)
	})
}

// cacheAssets lets browsers keep the embedded assets for an hour; they
// change only with the binary.
func cacheAssets(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// url is a path under the base ("consumers" → "/ui/consumers").
func (h *Handler) url(p string) string {
	return h.base + strings.TrimPrefix(p, "/")
}

func (h *Handler) now() time.Time { return h.opt.Now().UTC() }
