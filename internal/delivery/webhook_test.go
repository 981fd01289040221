package delivery_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/delivery"
	"github.com/imp-health/imp/internal/delivery/deliverytest"
)

const webhookSecret = "whsec-test-3f9a1c"

// webhookHarness runs the suite against an https receiver that verifies
// every signature it gets.
func webhookHarness() deliverytest.Harness {
	return deliverytest.Harness{
		Features: deliverytest.Features{
			ContentType:     "application/fhir+json",
			ContentTypeSeen: true,
			KindSeen:        true,
			Transient:       true,
			Hang:            true,
			Drop:            true,
		},
		Start: func(t *testing.T, logger *slog.Logger) deliverytest.Env {
			rc := newHTTPReceiver(t, true, func(w http.ResponseWriter, r *http.Request) (deliverytest.Received, bool) {
				body, err := io.ReadAll(r.Body)
				if err != nil {
					http.Error(w, "read", http.StatusBadRequest)
					return deliverytest.Received{}, false
				}
				if err := delivery.VerifySignature(webhookSecret, r.Header.Get(delivery.HeaderTimestamp), string(body),
					r.Header.Get(delivery.HeaderSignature), 5*time.Minute); err != nil {
					t.Errorf("receiver: signature: %v", err)
					http.Error(w, "signature", http.StatusUnauthorized)
					return deliverytest.Received{}, false
				}
				if a, b := r.Header.Get(delivery.HeaderIdempotencyKey), r.Header.Get(delivery.HeaderMessageID); a != b {
					t.Errorf("Idempotency-Key %q != X-IMP-Message-ID %q", a, b)
				}
				return deliverytest.Received{
					ID:          r.Header.Get(delivery.HeaderIdempotencyKey),
					Kind:        r.Header.Get(delivery.HeaderKind),
					ContentType: r.Header.Get("Content-Type"),
					Body:        body,
				}, true
			})
			wh := delivery.NewWebhook(delivery.WebhookOptions{Logger: logger, TLSConfig: trust(rc.srv.Certificate())})
			t.Cleanup(func() { _ = wh.Close() })
			return deliverytest.Env{
				Connector: wh,
				Dest:      delivery.Destination{Connector: delivery.ConnectorWebhook, Name: "partner-a", URL: rc.srv.URL + "/hooks/imp?token=tok-secret-path", Secret: webhookSecret},
				Receiver:  rc,
				Sensitive: []string{webhookSecret, "tok-secret-path", "/hooks/imp", "not to be logged"},
			}
		},
	}
}

func trust(c *x509.Certificate) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

func TestWebhookSuite(t *testing.T) {
	t.Parallel()
	deliverytest.Exercise(t, webhookHarness())
}

// capture is a receiver that records the last request and answers code.
type capture struct {
	mu     sync.Mutex
	header http.Header
	body   []byte
}

func captureServer(t *testing.T, code int, header map[string]string) (*capture, string) {
	t.Helper()
	c := &capture{}
	srv := newHTTPReceiver(t, false, func(w http.ResponseWriter, r *http.Request) (deliverytest.Received, bool) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.header, c.body = r.Header.Clone(), b
		c.mu.Unlock()
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(code)
		return deliverytest.Received{}, false
	})
	return c, srv.srv.URL
}

func newTestWebhook(t *testing.T, opts delivery.WebhookOptions) *delivery.Webhook {
	opts.AllowHTTP = true
	wh := delivery.NewWebhook(opts)
	t.Cleanup(func() { _ = wh.Close() })
	return wh
}

func webhookTo(url string) delivery.Destination {
	return delivery.Destination{Connector: delivery.ConnectorWebhook, URL: url, Secret: webhookSecret}
}

var testMsg = delivery.Message{ID: "0190aaaa-7abc-7def-8abc-000000000001", Kind: "result", ContentType: "application/json", Body: []byte(`{"value":"5.4"}`)}

func TestWebhookSignatureVerifiesAndFailsWhenTampered(t *testing.T) {
	t.Parallel()
	c, url := captureServer(t, http.StatusOK, nil)
	wh := newTestWebhook(t, delivery.WebhookOptions{})
	if _, err := wh.Deliver(t.Context(), webhookTo(url), testMsg); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	h, body := c.header, string(c.body)
	c.mu.Unlock()
	ts, sig := h.Get(delivery.HeaderTimestamp), h.Get(delivery.HeaderSignature)
	if !strings.HasPrefix(sig, "sha256=") || len(sig) != len("sha256=")+64 {
		t.Fatalf("signature header %q", sig)
	}
	if h.Get("Idempotency-Key") != testMsg.ID || h.Get("X-IMP-Message-ID") != testMsg.ID || h.Get("X-IMP-Kind") != "result" {
		t.Errorf("headers %v", h)
	}
	if err := delivery.VerifySignature(webhookSecret, ts, body, sig, time.Minute); err != nil {
		t.Fatalf("genuine request: %v", err)
	}
	if got := delivery.Sign(webhookSecret, ts, []byte(body)); got != sig {
		t.Errorf("Sign = %s, header %s", got, sig)
	}
	// Rotation: a list with one matching value passes.
	if err := delivery.VerifySignature(webhookSecret, ts, body, "sha256="+strings.Repeat("0", 64)+", "+sig, time.Minute); err != nil {
		t.Errorf("list with the genuine value: %v", err)
	}
	tampered := []struct {
		name                  string
		secret, ts, body, sig string
		want                  error
	}{
		{"body", webhookSecret, ts, body + " ", sig, delivery.ErrSignatureInvalid},
		{"timestamp", webhookSecret, ts + "1", body, sig, delivery.ErrSignatureInvalid},
		{"secret", "other", ts, body, sig, delivery.ErrSignatureInvalid},
		{"signature", webhookSecret, ts, body, sig[:len(sig)-1] + "0", delivery.ErrSignatureInvalid},
		{"missing", webhookSecret, ts, body, "", delivery.ErrSignatureMissing},
		{"other scheme", webhookSecret, ts, body, "md5=abc", delivery.ErrSignatureMissing},
		{"bad timestamp", webhookSecret, "yesterday", body, sig, delivery.ErrSignatureMissing},
	}
	for _, tc := range tampered {
		if sig[len(sig)-1] == '0' && tc.name == "signature" {
			tc.sig = sig[:len(sig)-1] + "1"
		}
		err := delivery.VerifySignature(tc.secret, tc.ts, tc.body, tc.sig, time.Minute)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s tampered: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestWebhookSignatureExpires(t *testing.T) {
	t.Parallel()
	c, url := captureServer(t, http.StatusOK, nil)
	wh := newTestWebhook(t, delivery.WebhookOptions{Now: func() time.Time { return time.Now().Add(-10 * time.Minute) }})
	if _, err := wh.Deliver(t.Context(), webhookTo(url), testMsg); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	h, body := c.header, string(c.body)
	c.mu.Unlock()
	ts, sig := h.Get(delivery.HeaderTimestamp), h.Get(delivery.HeaderSignature)
	if err := delivery.VerifySignature(webhookSecret, ts, body, sig, 5*time.Minute); !errors.Is(err, delivery.ErrSignatureExpired) {
		t.Errorf("10 minutes old with 5m skew: %v, want ErrSignatureExpired", err)
	}
	if err := delivery.VerifySignature(webhookSecret, ts, body, sig, 15*time.Minute); err != nil {
		t.Errorf("10 minutes old with 15m skew: %v", err)
	}
	if err := delivery.VerifySignature(webhookSecret, ts, body, sig, 0); err != nil {
		t.Errorf("no skew check: %v", err)
	}
}

func TestWebhookStatusClassification(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code      int
		permanent bool
		target    error
	}{
		{200, false, nil}, {201, false, nil}, {204, false, nil},
		{301, true, delivery.ErrRejected},
		{400, true, delivery.ErrRejected}, {401, true, delivery.ErrRejected}, {404, true, delivery.ErrRejected},
		{409, true, delivery.ErrRejected}, {422, true, delivery.ErrRejected},
		{408, false, delivery.ErrUnavailable}, {425, false, delivery.ErrUnavailable}, {429, false, delivery.ErrUnavailable},
		{500, false, delivery.ErrUnavailable}, {502, false, delivery.ErrUnavailable}, {503, false, delivery.ErrUnavailable},
	}
	for _, tc := range cases {
		t.Run(http.StatusText(tc.code), func(t *testing.T) {
			t.Parallel()
			_, url := captureServer(t, tc.code, map[string]string{"Retry-After": "120", "Location": "https://elsewhere.example/"})
			wh := newTestWebhook(t, delivery.WebhookOptions{})
			r, err := wh.Deliver(t.Context(), webhookTo(url), testMsg)
			if r.StatusCode != tc.code {
				t.Errorf("receipt status %d, want %d", r.StatusCode, tc.code)
			}
			if tc.target == nil {
				if err != nil {
					t.Fatalf("HTTP %d: %v", tc.code, err)
				}
				return
			}
			if !errors.Is(err, tc.target) || delivery.IsPermanent(err) != tc.permanent {
				t.Fatalf("HTTP %d: err = %v (permanent %v), want %v permanent=%v", tc.code, err, delivery.IsPermanent(err), tc.target, tc.permanent)
			}
			if !tc.permanent && !strings.Contains(err.Error(), "Retry-After: 120") {
				t.Errorf("retryable error %q lacks the Retry-After value", err)
			}
		})
	}
}

func TestWebhookRefusesBadInput(t *testing.T) {
	t.Parallel()
	_, url := captureServer(t, http.StatusOK, nil)
	wh := newTestWebhook(t, delivery.WebhookOptions{})
	strict := delivery.NewWebhook(delivery.WebhookOptions{})
	t.Cleanup(func() { _ = strict.Close() })
	cases := []struct {
		name string
		c    *delivery.Webhook
		to   delivery.Destination
		m    delivery.Message
		want error
	}{
		{"no secret", wh, delivery.Destination{Connector: "webhook", URL: url}, testMsg, delivery.ErrBadDestination},
		{"http not allowed", strict, webhookTo(url), testMsg, delivery.ErrBadDestination},
		{"relative url", wh, webhookTo("/x"), testMsg, delivery.ErrBadDestination},
		{"ftp url", wh, webhookTo("ftp://host/x"), testMsg, delivery.ErrBadDestination},
		{"no id", wh, webhookTo(url), delivery.Message{Body: []byte("x")}, delivery.ErrBadMessage},
		{"id with newline", wh, webhookTo(url), delivery.Message{ID: "a\nb"}, delivery.ErrBadMessage},
		{"reserved header", wh, webhookTo(url), withHeaders(testMsg, map[string]string{"X-IMP-Signature": "x"}), delivery.ErrBadMessage},
		{"header injection", wh, webhookTo(url), withHeaders(testMsg, map[string]string{"X-Trace": "a\r\nEvil: 1"}), delivery.ErrBadMessage},
		{"bad header name", wh, webhookTo(url), withHeaders(testMsg, map[string]string{"Bad Name": "x"}), delivery.ErrBadMessage},
	}
	for _, tc := range cases {
		_, err := tc.c.Deliver(t.Context(), tc.to, tc.m)
		if !errors.Is(err, tc.want) || !delivery.IsPermanent(err) {
			t.Errorf("%s: err = %v, want permanent %v", tc.name, err, tc.want)
		}
	}
}

func TestWebhookSendsExtraHeadersAndNoRedirect(t *testing.T) {
	t.Parallel()
	c, url := captureServer(t, http.StatusOK, nil)
	wh := newTestWebhook(t, delivery.WebhookOptions{})
	if _, err := wh.Deliver(t.Context(), webhookTo(url), withHeaders(testMsg, map[string]string{"x-partner-ref": "P-1"})); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if got := c.header.Get("X-Partner-Ref"); got != "P-1" {
		t.Errorf("X-Partner-Ref = %q", got)
	}
	if got := c.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
}

func TestWebhookClosedIsRetryable(t *testing.T) {
	t.Parallel()
	_, url := captureServer(t, http.StatusOK, nil)
	wh := newTestWebhook(t, delivery.WebhookOptions{})
	_ = wh.Close()
	_, err := wh.Deliver(context.Background(), webhookTo(url), testMsg)
	if !errors.Is(err, delivery.ErrClosed) || delivery.IsPermanent(err) {
		t.Errorf("after Close: %v, want retryable ErrClosed", err)
	}
}

func withHeaders(m delivery.Message, h map[string]string) delivery.Message {
	m.Headers = h
	return m
}
