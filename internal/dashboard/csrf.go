package dashboard

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
)

// checkCSRF guards a state-changing request twice: the form must carry
// the session's token (compared in constant time), and the browser must
// say the request comes from this origin (Sec-Fetch-Site, Origin or
// Referer). Either alone would do against most attacks; both together
// also cover a leaked token and a browser that omits Origin.
func (h *Handler) checkCSRF(r *http.Request, token string) bool {
	if err := r.ParseForm(); err != nil {
		return false
	}
	got := r.PostFormValue("csrf")
	if token == "" || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
		return false
	}
	return h.sameOrigin(r)
}

// sameOrigin reports whether the browser says the request was sent by a
// page of this dashboard. A request with neither Origin nor Referer is
// refused: every browser sends one of them on a form POST.
func (h *Handler) sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false // cross-site or same-site: another origin sent it
	}
	src := r.Header.Get("Origin")
	if src == "" || src == "null" {
		src = r.Header.Get("Referer")
	}
	if src == "" {
		return false
	}
	u, err := url.Parse(src)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	origin := u.Scheme + "://" + u.Host
	for _, o := range h.opt.TrustedOrigins {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	return false
}
