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
	limitMaxEntry = 10_000 // bounds memory under a flood of names or addresses
)

// limiter counts failed sign-ins in memory. It is per process: a second
// dashboard replica counts on its own, which still bounds guessing to a
// few attempts per minute per replica.
type limiter struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[string]*window
}

type window struct {
	start time.Time
	fails int
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, m: map[string]*window{}}
}

func ipKey(ip string) string     { return "ip\x00" + ip }
func userKey(name string) string { return "user\x00" + name }

// allow reports whether a sign-in may be tried now and, if not, how long
// until it may.
func (l *limiter) allow(ip, user string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for _, c := range []struct {
		key   string
		limit int
	}{{ipKey(ip), limitPerIP}, {userKey(user), limitPerUser}} {
		w, ok := l.m[c.key]
		if !ok || now.Sub(w.start) >= limitWindow {
			continue
		}
		if w.fails >= c.limit {
			wait = max(wait, w.start.Add(limitWindow).Sub(now))
		}
	}
	return wait, wait == 0
}

// fail counts a failed sign-in.
func (l *limiter) fail(ip, user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range []string{ipKey(ip), userKey(user)} {
		w, ok := l.m[k]
		if !ok || now.Sub(w.start) >= limitWindow {
			l.makeRoom(now)
			w = &window{start: now}
			l.m[k] = w
		}
		w.fails++
	}
}

// succeed forgets a user's failures; the address's stay, so one good
// account does not unlock guessing at others.
func (l *limiter) succeed(user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, userKey(user))
}

// makeRoom drops expired windows when the map is full, and then, if it is
// still full, the oldest one.
func (l *limiter) makeRoom(now time.Time) {
	if len(l.m) < limitMaxEntry {
		return
	}
	var oldest string
	var oldestAt time.Time
	for k, w := range l.m {
		if now.Sub(w.start) >= limitWindow {
			delete(l.m, k)
			continue
		}
		if oldest == "" || w.start.Before(oldestAt) {
			oldest, oldestAt = k, w.start
		}
	}
	if len(l.m) >= limitMaxEntry {
		delete(l.m, oldest)
	}
}

// size is the number of windows held (for tests of the bound).
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
