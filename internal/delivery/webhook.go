package delivery

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// WebhookOptions configures the webhook connector. The zero value works
// for https receivers with publicly trusted certificates.
type WebhookOptions struct {
	// Timeout bounds one request unless the destination sets its own.
	// Default 10s.
	Timeout time.Duration
	// MaxResponseBytes is how much of a response body is read (and
	// discarded) so the connection can be reused. Default 64 KiB.
	MaxResponseBytes int64
	// AllowHTTP permits http:// URLs (in-cluster receivers, tests).
	// Without it a webhook must use https, since bodies carry PHI.
	AllowHTTP bool
	// TLSConfig is used for https, e.g. RootCAs for a partner's private
	// CA or a client certificate. Nil uses the system roots.
	TLSConfig *tls.Config
	// UserAgent is sent as User-Agent. Default "IMP-delivery/1".
	UserAgent string
	// Logger receives one line per delivery. Nil discards.
	Logger *slog.Logger
	// Now is the clock behind X-IMP-Timestamp. Nil uses time.Now.
	Now func() time.Time
}

func (o *WebhookOptions) defaults() {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = 64 << 10
	}
	if o.UserAgent == "" {
		o.UserAgent = "IMP-delivery/1"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Logger = orDiscard(o.Logger)
}

// Webhook POSTs messages to HTTP endpoints, signed with the destination's
// secret (see Sign for the scheme). A 2xx answer means delivered; 408,
// 425, 429, 5xx and transport errors are retryable; other statuses are
// permanent. Attachments are refused: send them as part of the body.
type Webhook struct {
	opts WebhookOptions
	http *httpPoster
}

var _ Connector = (*Webhook)(nil)

// NewWebhook returns a webhook connector. Close it to release its
// connections.
func NewWebhook(opts WebhookOptions) *Webhook {
	opts.defaults()
	return &Webhook{opts: opts, http: newHTTPPoster(ConnectorWebhook, opts.TLSConfig, opts.AllowHTTP, opts.MaxResponseBytes)}
}

// Name returns "webhook".
func (w *Webhook) Name() string { return ConnectorWebhook }

// Close releases idle connections; later deliveries fail with ErrClosed.
func (w *Webhook) Close() error {
	w.http.close()
	return nil
}

// Deliver POSTs m.Body to to.URL with the headers Content-Type,
// Idempotency-Key and X-IMP-Message-ID (both m.ID), X-IMP-Kind,
// X-IMP-Timestamp and X-IMP-Signature, plus m.Headers. On failure the
// receipt still holds the status code, if there was one.
func (w *Webhook) Deliver(ctx context.Context, to Destination, m Message) (Receipt, error) {
	start := time.Now()
	r := Receipt{Connector: ConnectorWebhook, Destination: to.String(), MessageID: m.ID}
	err := w.deliver(ctx, to, m, &r)
	r.At, r.Latency = time.Now(), time.Since(start)
	logDelivery(ctx, w.opts.Logger, ConnectorWebhook, to, m, r, start, err)
	return r, err
}

func (w *Webhook) deliver(ctx context.Context, to Destination, m Message, r *Receipt) error {
	if err := checkDestination(to, ConnectorWebhook); err != nil {
		return err
	}
	u, err := w.http.checkURL(to.URL, "webhook")
	if err != nil {
		return err
	}
	if to.Secret == "" {
		return Permanent(fmt.Errorf("%w: webhook %s has no signing secret", ErrBadDestination, u.Host))
	}
	if err := checkID(m.ID); err != nil {
		return err
	}
	if len(m.Attachments) > 0 {
		return Permanent(fmt.Errorf("%w: webhook cannot carry attachments", ErrBadMessage))
	}
	if err := ctx.Err(); err != nil {
		return ctxErr(ctx, "webhook "+u.Host)
	}

	ctx, cancel := withTimeout(ctx, to.timeout(w.opts.Timeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(m.Body))
	if err != nil {
		return Permanent(fmt.Errorf("%w: webhook %s: cannot build request", ErrBadDestination, u.Host))
	}
	if err := setExtraHeaders(req.Header, m.Headers); err != nil {
		return err
	}
	ct := m.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	ts := strconv.FormatInt(w.opts.Now().Unix(), 10)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("User-Agent", w.opts.UserAgent)
	req.Header.Set(HeaderIdempotencyKey, m.ID)
	req.Header.Set(HeaderMessageID, m.ID)
	if m.Kind != "" {
		req.Header.Set(HeaderKind, m.Kind)
	}
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(to.Secret, ts, m.Body))

	r.StatusCode, err = w.http.post(req, u.Host)
	return err
}
