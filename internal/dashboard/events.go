package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// hub reads one snapshot per refresh interval, however many browsers
// watch, and fans it out to their event streams. It runs only while
// someone watches.
type hub struct {
	h *Handler

	mu      sync.Mutex
	subs    map[chan []byte]struct{}
	running bool
	last    *snapshot
	wg      sync.WaitGroup

	collectMu sync.Mutex // one collect at a time
}

func newHub(h *Handler) *hub { return &hub{h: h, subs: map[chan []byte]struct{}{}} }

// subscribe registers a stream; the channel holds at most the newest
// message, so a slow browser skips updates instead of piling them up.
func (hb *hub) subscribe() (chan []byte, func()) {
	ch := make(chan []byte, 1)
	hb.mu.Lock()
	select {
	case <-hb.h.closed: // shutting down: the stream ends at once
		hb.mu.Unlock()
		return ch, func() {}
	default:
	}
	hb.subs[ch] = struct{}{}
	if !hb.running {
		hb.running = true
		hb.wg.Add(1)
		go hb.run()
	}
	hb.mu.Unlock()
	return ch, func() {
		hb.mu.Lock()
		delete(hb.subs, ch)
		hb.mu.Unlock()
	}
}

// wait returns once the loop has stopped (after Close).
func (hb *hub) wait() { hb.wg.Wait() }

func (hb *hub) run() {
	defer hb.wg.Done()
	t := time.NewTicker(hb.h.opt.RefreshInterval)
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-hb.h.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		select {
		case <-hb.h.closed:
			hb.stop()
			return
		case <-t.C:
		}
		hb.mu.Lock()
		if len(hb.subs) == 0 {
			hb.running = false
			hb.mu.Unlock()
			return
		}
		hb.mu.Unlock()
		msg := hb.encode(hb.latest(ctx, hb.h.opt.RefreshInterval/2))
		hb.mu.Lock()
		for ch := range hb.subs {
			select {
			case <-ch: // drop the unread older message
			default:
			}
			ch <- msg
		}
		hb.mu.Unlock()
	}
}

func (hb *hub) stop() {
	hb.mu.Lock()
	hb.running = false
	hb.mu.Unlock()
}

// snapshot is the current snapshot for a request. A browser that goes
// away mid-read must not leave a snapshot of "context canceled" errors for
// everyone else, so the read does not inherit the request's cancellation
// (collect bounds it with its own timeout).
func (h *Handler) snapshot(r *http.Request) *snapshot {
	return h.hub.latest(context.WithoutCancel(r.Context()), h.opt.RefreshInterval)
}

// latest returns a snapshot no older than maxAge, reading a new one if
// needed.
func (hb *hub) latest(ctx context.Context, maxAge time.Duration) *snapshot {
	hb.collectMu.Lock()
	defer hb.collectMu.Unlock()
	hb.mu.Lock()
	prev := hb.last
	hb.mu.Unlock()
	if prev != nil && hb.h.now().Sub(prev.At) < maxAge {
		return prev
	}
	s := hb.h.collect(ctx, prev)
	hb.mu.Lock()
	hb.last = s
	hb.mu.Unlock()
	return s
}

func (hb *hub) encode(s *snapshot) []byte {
	b, err := json.Marshal(hb.h.view(s))
	if err != nil {
		hb.h.log.Error("encode live view", "err", err)
		return nil
	}
	return b
}

// streamMaxAge ends each event stream after a while; the browser
// reconnects at once, and the reconnect checks the session again.
const streamMaxAge = 5 * time.Minute

// events is the Server-Sent Events stream of live values.
func (h *Handler) events(w http.ResponseWriter, r *http.Request, s *session) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)

	ch, unsubscribe := h.hub.subscribe()
	defer unsubscribe()

	send := func(b []byte) bool {
		if b == nil {
			return true
		}
		if _, err := w.Write([]byte("event: live\ndata: ")); err != nil {
			return false
		}
		if _, err := w.Write(b); err != nil { //nolint:gosec // G705: JSON from encoding/json on a text/event-stream, never HTML
			return false
		}
		if _, err := w.Write([]byte("\n\n")); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if _, err := w.Write([]byte("retry: 3000\n\n")); err != nil {
		return
	}
	// The first message goes out at once, so a page opened now is current.
	if !send(h.hub.encode(h.snapshot(r))) {
		return
	}
	heartbeat := time.NewTicker(15 * time.Second)
	defer heartbeat.Stop()
	end := time.NewTimer(streamMaxAge)
	defer end.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-h.closed:
			return
		case <-end.C:
			return
		case <-heartbeat.C:
			if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil || rc.Flush() != nil {
				return
			}
		case b := <-ch:
			if !send(b) {
				return
			}
		}
	}
}
