package delivery

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// httpPoster is the HTTP machinery the webhook and SMS connectors share:
// one client with its own connection pool, no redirects, and one
// classification of answers.
type httpPoster struct {
	connector   string
	client      *http.Client
	transport   *http.Transport
	maxResponse int64
	allowHTTP   bool
	closed      atomic.Bool
}

func newHTTPPoster(connector string, tlsConfig *tls.Config, allowHTTP bool, maxResponse int64) *httpPoster {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if tlsConfig != nil {
		tr.TLSClientConfig = tlsConfig.Clone()
	}
	tr.MaxIdleConnsPerHost = 16
	return &httpPoster{
		connector: connector,
		transport: tr,
		client: &http.Client{
			Transport: tr,
			// A receiver that redirects a POST has moved; following it
			// would send PHI somewhere nobody configured.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		maxResponse: maxResponse,
		allowHTTP:   allowHTTP,
	}
}

func (p *httpPoster) close() {
	p.closed.Store(true)
	p.transport.CloseIdleConnections()
}

// checkURL validates an endpoint and returns its host for logs and errors.
func (p *httpPoster) checkURL(raw, what string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, Permanent(fmt.Errorf("%w: %s URL is not an absolute URL", ErrBadDestination, what))
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !p.allowHTTP {
			return nil, Permanent(fmt.Errorf("%w: %s URL must use https", ErrBadDestination, what))
		}
	default:
		return nil, Permanent(fmt.Errorf("%w: %s URL scheme %q not supported", ErrBadDestination, what, u.Scheme))
	}
	return u, nil
}

// post sends req (whose context bounds it) and classifies the answer:
// 2xx delivered; 408, 425, 429, 5xx and transport errors retryable (with
// any Retry-After value in the error text); every other status permanent.
// At most maxResponse bytes of the answer are read, and never kept.
func (p *httpPoster) post(req *http.Request, host string) (int, error) {
	if p.closed.Load() {
		return 0, fmt.Errorf("%s %s: %w", p.connector, host, ErrClosed)
	}
	ctx := req.Context()
	resp, err := p.client.Do(req)
	if err != nil {
		if e := ctxErr(ctx, p.connector+" "+host); e != nil {
			return 0, e
		}
		return 0, fmt.Errorf("%s %s: %w: %s", p.connector, host, ErrUnavailable, transportText(err))
	}
	// Drain a little so the connection can be reused; the content is
	// the receiver's business and may echo what we sent.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, p.maxResponse))
	_ = resp.Body.Close()

	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return code, nil
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly,
		code == http.StatusTooManyRequests, code >= 500:
		ra := ""
		if v := resp.Header.Get("Retry-After"); v != "" {
			ra = " (Retry-After: " + redact(v, 40) + ")"
		}
		return code, fmt.Errorf("%s %s: HTTP %d%s: %w", p.connector, host, code, ra, ErrUnavailable)
	default:
		return code, Permanent(fmt.Errorf("%s %s: HTTP %d: %w", p.connector, host, code, ErrRejected))
	}
}

// transportText describes a transport error without the request URL,
// whose path or query may carry tokens or ids.
func transportText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return redact(err.Error(), 200)
}

// withTimeout bounds ctx by d when d > 0.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// reservedHTTP are headers Message.Headers cannot set: the transport's and
// the protocol's own.
var reservedHTTP = map[string]bool{
	"Content-Type": true, "Content-Length": true, "Content-Encoding": true,
	"Transfer-Encoding": true, "Host": true, "Connection": true, "Te": true,
	"Trailer": true, "Upgrade": true, "Authorization": true, "Cookie": true,
	"Expect": true, "Idempotency-Key": true, "User-Agent": true,
}

// setExtraHeaders copies Message.Headers into h after checking them.
func setExtraHeaders(h http.Header, extra map[string]string) error {
	for k, v := range extra {
		ck := http.CanonicalHeaderKey(k)
		if !isToken(k) {
			return Permanent(fmt.Errorf("%w: header name %q is not a valid token", ErrBadMessage, redact(k, 40)))
		}
		if reservedHTTP[ck] || strings.HasPrefix(ck, "X-Imp-") {
			return Permanent(fmt.Errorf("%w: header %s is set by the connector", ErrBadMessage, ck))
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return Permanent(fmt.Errorf("%w: header %s has a line break", ErrBadMessage, ck))
		}
		h.Set(ck, v)
	}
	return nil
}

// isToken reports whether s is an RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// checkID verifies that a message id can travel as a header value and a
// file name stem: 1-200 printable ASCII characters without spaces.
func checkID(id string) error {
	if id == "" {
		return Permanent(fmt.Errorf("%w: message id is empty", ErrBadMessage))
	}
	if len(id) > 200 {
		return Permanent(fmt.Errorf("%w: message id longer than 200 bytes", ErrBadMessage))
	}
	for _, c := range []byte(id) {
		if c <= ' ' || c >= 0x7f {
			return Permanent(fmt.Errorf("%w: message id has a space or non-ASCII byte", ErrBadMessage))
		}
	}
	return nil
}
