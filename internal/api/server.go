package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/auth"
	"github.com/imp-health/imp/internal/consumer"
	"github.com/imp-health/imp/internal/ingest"
	"github.com/imp-health/imp/internal/metrics"
	"github.com/imp-health/imp/internal/msgid"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/stream"
)

// Options are the server's dependencies.
type Options struct {
	Publisher *ingest.Publisher
	Tiers     *ingest.Tiers
	Store     store.Store
	Keys      *auth.Keys
	Topics    stream.Topics
	Operator  *consumer.Operator
	Logger    *slog.Logger
	Metrics   *metrics.Metrics // optional
	// Ready reports whether the broker and store are reachable.
	Ready func(ctx context.Context) error
	// HealthOnly serves only the unauthenticated health routes (the
	// probes of a consumer-only process).
	HealthOnly bool
	// MaxBody bounds a single-record body (default 1 MiB).
	MaxBody int64
	// Extra routes mounted by other packages (the dashboard's, say);
	// they are listed in the route table like IMP's own.
	Extra []Route
}

// Server is the REST API.
type Server struct {
	opt    Options
	log    *slog.Logger
	routes []Route
	mux    *http.ServeMux
}

// Route is one operation of the API.
type Route struct {
	Method  string
	Path    string // net/http pattern path, e.g. /v1/customers/{id}
	Scope   string // required scope; "" means public
	Summary string
	Handler http.HandlerFunc
	// Doc describes the operation for the OpenAPI document.
	Doc *OperationDoc
}

// New builds the server and its router.
func New(opt Options) *Server {
	if opt.MaxBody == 0 {
		opt.MaxBody = 1 << 20
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	s := &Server{opt: opt, log: opt.Logger, mux: http.NewServeMux()}
	s.routes = append(s.table(), opt.Extra...)
	if opt.HealthOnly {
		var pub []Route
		for _, rt := range s.routes {
			if rt.Scope == "" {
				pub = append(pub, rt)
			}
		}
		s.routes = pub
	}
	paths := map[string][]string{}
	for _, rt := range s.routes {
		s.mux.Handle(rt.Method+" "+rt.Path, s.guard(rt))
		paths[rt.Path] = append(paths[rt.Path], rt.Method)
	}
	// Known paths with a method they do not serve answer 405 with Allow,
	// as a problem document; unknown paths answer 404.
	for p, methods := range paths {
		allow := strings.Join(methods, ", ")
		s.mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeProblem(w, r, problem(http.StatusMethodNotAllowed, probMethod, "Method not allowed", r.Method+" is not served here; use "+allow))
		})
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, problem(http.StatusNotFound, probNotFound, "Not found", "no such resource"))
	})
	return s
}

// Routes lists every operation (tests check them against the OpenAPI
// document and the auth rules).
func (s *Server) Routes() []Route { return slices.Clone(s.routes) }

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	cid := r.Header.Get("X-Correlation-ID")
	if !validCorrelation(cid) {
		cid = msgid.New()
	}
	w.Header().Set("X-Correlation-ID", cid)
	ctx := context.WithValue(r.Context(), keyCorrelation, cid)
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("handler panic", "path", r.URL.Path, "correlation_id", cid, "panic", v, "stack", string(debug.Stack()))
			if !sw.wrote {
				writeProblem(sw, r.WithContext(ctx), problem(http.StatusInternalServerError, probInternal, "Internal error", "the request failed inside IMP; it was logged with its correlation id"))
			}
		}
		lv := slog.LevelDebug
		if sw.status >= 500 {
			lv = slog.LevelWarn
		}
		s.log.Log(ctx, lv, "http request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"duration_ms", time.Since(start).Milliseconds(), "correlation_id", cid, "key_id", principal(sw.ctx).KeyID)
	}()
	sw.ctx = ctx
	s.mux.ServeHTTP(sw, r.WithContext(ctx))
}

var correlationPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

func validCorrelation(s string) bool { return correlationPattern.MatchString(s) }

// guard authenticates and authorises a route's requests.
func (s *Server) guard(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.Scope == "" {
			rt.Handler(w, r)
			return
		}
		p, err := s.opt.Keys.Verify(r.Context(), bearer(r))
		switch {
		case errors.Is(err, auth.ErrNoKey), errors.Is(err, auth.ErrBadKey), errors.Is(err, auth.ErrKeyRevoked):
			w.Header().Set("WWW-Authenticate", `Bearer realm="imp"`)
			detail := "send an API key as 'Authorization: Bearer <key>'"
			if !errors.Is(err, auth.ErrNoKey) {
				detail = "the API key is not valid"
			}
			writeProblem(w, r, problem(http.StatusUnauthorized, probUnauthorized, "Unauthorized", detail))
			return
		case err != nil:
			s.log.Error("key verification failed", "err", err, "correlation_id", correlationID(r.Context()))
			writeProblem(w, r, problem(http.StatusServiceUnavailable, probUnavailable, "Unavailable", "credentials could not be checked; retry"))
			return
		}
		if !p.Can(rt.Scope) {
			writeProblem(w, r, problem(http.StatusForbidden, probForbidden, "Forbidden", "this key lacks the scope "+rt.Scope))
			return
		}
		ctx := context.WithValue(r.Context(), keyPrincipal, p)
		if sw, ok := w.(*statusWriter); ok {
			sw.ctx = ctx
		}
		rt.Handler(w, r.WithContext(ctx))
	})
}

func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		return ""
	}
	return r.Header.Get("X-API-Key")
}

// statusWriter remembers the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
	ctx    context.Context
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets streaming handlers (SSE) flush through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap exposes the writer to http.ResponseController.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
