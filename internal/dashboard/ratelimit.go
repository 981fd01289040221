package dashboard

import (
	"sync"
	"time"
)

// Login rate limits: failures counted per client address and per user
// name in a fixed window. The per-name limit stops guessing one account's
// password from many addresses; the per-address limit stops one address
// trying many accounts.
const (
	limitWindow   = 15 * time.Minute
	limitPerUser  = 5
	limitPerIP    = 20
	limitMaxEntry = 5_000 // per table: bounds memory under a flood of names or addresses
)

// limiter counts failed sign-ins in memory. It is per process: a second
// dashboard replica counts on its own, which still bounds guessing to a
// few attempts per minute per replica.
//
// Addresses and names are kept in separate tables, so one address
// flooding the table of names with made-up names cannot push its own
// window out.
type limiter struct {
	mu    sync.Mutex
	now   func() time.Time
	ips   table
	users table
}

// table is a bounded map of windows. When it is full the oldest window is
// dropped (an expired one first, as they are the oldest); fifo lists
// windows in the order they opened, so that takes no scan.
type table struct {
	m    map[string]*window
	fifo []fifoEntry
}

type window struct {
	start time.Time
	fails int
}

type fifoEntry struct {
	key   string
	start time.Time
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, ips: table{m: map[string]*window{}}, users: table{m: map[string]*window{}}}
}

func (t *table) failures(key string, now time.Time) (*window, bool) {
	w, ok := t.m[key]
	if !ok || now.Sub(w.start) >= limitWindow {
		return nil, false
	}
	return w, true
}

func (t *table) fail(key string, now time.Time) {
	w, ok := t.failures(key, now)
	if !ok {
		if _, exists := t.m[key]; !exists {
			t.makeRoom()
		}
		w = &window{start: now}
		t.m[key] = w
		t.fifo = append(t.fifo, fifoEntry{key, now})
	}
	w.fails++
}

// makeRoom drops the oldest windows while the table is full, and compacts
// the queue when stale entries (replaced or forgotten windows) pile up.
func (t *table) makeRoom() {
	for len(t.m) >= limitMaxEntry && len(t.fifo) > 0 {
		e := t.fifo[0]
		t.fifo = t.fifo[1:]
		if w, ok := t.m[e.key]; ok && w.start.Equal(e.start) {
			delete(t.m, e.key)
		}
	}
	if len(t.fifo) > 2*limitMaxEntry {
		live := make([]fifoEntry, 0, len(t.m))
		for _, e := range t.fifo {
			if w, ok := t.m[e.key]; ok && w.start.Equal(e.start) {
				live = append(live, e)
			}
		}
		t.fifo = live
	}
}

// allow reports whether a sign-in may be tried now and, if not, how long
// until it may.
func (l *limiter) allow(ip, user string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	if w, ok := l.ips.failures(ip, now); ok && w.fails >= limitPerIP {
		wait = max(wait, w.start.Add(limitWindow).Sub(now))
	}
	if w, ok := l.users.failures(user, now); ok && w.fails >= limitPerUser {
		wait = max(wait, w.start.Add(limitWindow).Sub(now))
	}
	return wait, wait == 0
}

// fail counts a failed sign-in.
func (l *limiter) fail(ip, user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.ips.fail(ip, now)
	l.users.fail(user, now)
}

// succeed forgets a user's failures; the address's stay, so one good
// account does not unlock guessing at others.
func (l *limiter) succeed(user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.users.m, user) // its queue entry goes stale and is skipped
}

// size is the number of windows held (for tests of the bound).
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ips.m) + len(l.users.m)
}
