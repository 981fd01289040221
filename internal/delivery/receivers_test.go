package delivery_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/imp-health/imp/internal/delivery/deliverytest"
)

// modeSwitch is the fault state every test receiver shares: a mode for
// the next n deliveries, then Accept.
type modeSwitch struct {
	mu   sync.Mutex
	mode deliverytest.Mode
	n    int // remaining deliveries in mode; <= 0 means until the next Set
	got  []deliverytest.Received
}

func (s *modeSwitch) Set(mode deliverytest.Mode, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode, s.n = mode, n
}

// next returns the mode for one delivery and counts it down.
func (s *modeSwitch) next() deliverytest.Mode {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mode
	if m != deliverytest.Accept && s.n > 0 {
		s.n--
		if s.n == 0 {
			s.mode = deliverytest.Accept
		}
	}
	return m
}

func (s *modeSwitch) record(r deliverytest.Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, r)
}

func (s *modeSwitch) Received() []deliverytest.Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]deliverytest.Received(nil), s.got...)
}

// httpReceiver is an httptest server that answers per modeSwitch and
// decodes accepted requests with decode (which may write an error answer
// and return false).
type httpReceiver struct {
	modeSwitch
	srv     *httptest.Server
	release chan struct{}
}

func newHTTPReceiver(t *testing.T, useTLS bool, decode func(w http.ResponseWriter, r *http.Request) (deliverytest.Received, bool)) *httpReceiver {
	t.Helper()
	rc := &httpReceiver{release: make(chan struct{})}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch rc.next() {
		case deliverytest.Reject:
			http.Error(w, "unprocessable", http.StatusUnprocessableEntity)
			return
		case deliverytest.Transient:
			w.Header().Set("Retry-After", "7")
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		case deliverytest.Hang:
			select {
			case <-r.Context().Done():
			case <-rc.release:
			}
			return
		case deliverytest.Drop:
			c, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = c.Close()
			}
			return
		}
		got, ok := decode(w, r)
		if !ok {
			return
		}
		rc.record(got)
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"status":"accepted","echo":"not to be logged"}`))
	})
	if useTLS {
		rc.srv = httptest.NewTLSServer(h)
	} else {
		rc.srv = httptest.NewServer(h)
	}
	// Cleanups run last-in first-out: release hung handlers, then close.
	t.Cleanup(rc.srv.Close)
	t.Cleanup(func() { close(rc.release) })
	return rc
}
