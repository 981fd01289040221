package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
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
	// HL7 takes HL7 v2 over HTTP (POST /v1/hl7); nil answers 503.
	HL7 HL7Inbound
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
	opt     Options
	log     *slog.Logger
	routes  []Route
	mux     *http.ServeMux
	methods []string // every method some route serves, for 405's Allow
	idem    inflight

	openapiOnce sync.Once
	openapiDoc  []byte
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
	// Every line logged during a request carries its correlation id.
	s := &Server{opt: opt, log: slog.New(correlated{opt.Logger.Handler()}), mux: http.NewServeMux()}
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
	for _, rt := range s.routes {
		s.mux.Handle(rt.Method+" "+rt.Path, s.guard(rt))
		if !slices.Contains(s.methods, rt.Method) {
			s.methods = append(s.methods, rt.Method)
		}
	}
	s.mux.HandleFunc("/", s.notFound)
	return s
}

// notFound answers requests no route matched: 405 with Allow when the
// path exists for other methods, else 404; both as problem documents.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range s.methods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		a := strings.Join(allow, ", ")
		w.Header().Set("Allow", a)
		writeProblem(w, r, problem(http.StatusMethodNotAllowed, probMethod, "Method not allowed", r.Method+" is not served here; use "+a))
		return
	}
	writeProblem(w, r, problem(http.StatusNotFound, probNotFound, "Not found", "no such resource"))
}

// Routes lists every operation (tests check them against the OpenAPI
// document and the auth rules).
func (s *Server) Routes() []Route { return slices.Clone(s.routes) }

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	cid := r.Header.Get(headerCorrelation)
	if !validCorrelation(cid) {
		cid = msgid.New()
	}
	w.Header()[headerCorrelation] = []string{cid}
	// One allocation holds the request's state and its response writer;
	// the guard fills in the principal without another request copy.
	st := &reqState{cid: cid}
	st.sw = statusWriter{ResponseWriter: w, status: http.StatusOK}
	sw := &st.sw
	ctx := context.WithValue(r.Context(), keyState, st)
	req := r.WithContext(ctx)
	defer func() {
		if v := recover(); v != nil {
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			s.log.ErrorContext(ctx, "handler panic", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if !sw.wrote {
				writeProblem(sw, req, problem(http.StatusInternalServerError, probInternal, "Internal error", "the request failed inside IMP; it was logged with its correlation id"))
			}
		}
		lv := slog.LevelDebug
		if sw.status >= 500 {
			lv = slog.LevelWarn
		}
		// The access log names the route pattern, not the path: paths
		// hold customer ids and accession numbers.
		if s.log.Enabled(ctx, lv) {
			s.log.Log(ctx, lv, "http request", "method", r.Method, "route", req.Pattern, "status", sw.status,
				"duration_ms", time.Since(start).Milliseconds(), "key_id", st.p.KeyID)
		}
	}()
	s.mux.ServeHTTP(sw, req)
}

const headerCorrelation = "X-Correlation-Id" // canonical form of X-Correlation-ID

// validCorrelation accepts 1-128 characters of [A-Za-z0-9._:-]; anything
// else is replaced, so a header cannot inject into logs or Kafka headers.
func validCorrelation(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

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
			s.log.ErrorContext(r.Context(), "key verification failed", "err", err)
			writeProblem(w, r, problem(http.StatusServiceUnavailable, probUnavailable, "Unavailable", "credentials could not be checked; retry"))
			return
		}
		if !p.Can(rt.Scope) {
			writeProblem(w, r, problem(http.StatusForbidden, probForbidden, "Forbidden", "this key lacks the scope "+rt.Scope))
			return
		}
		if st, ok := r.Context().Value(keyState).(*reqState); ok {
			st.p = p
			rt.Handler(w, r)
			return
		}
		rt.Handler(w, r.WithContext(context.WithValue(r.Context(), keyState, &reqState{p: p})))
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
