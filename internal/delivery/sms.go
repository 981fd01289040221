package delivery

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// SMSOptions configures the SMS connector.
type SMSOptions struct {
	// GatewayURL is where the JSON requests go. Required.
	GatewayURL string
	// Token is sent as "Authorization: Bearer <Token>". Optional.
	Token string
	// Timeout bounds one request unless the destination sets its own.
	// Default 10s.
	Timeout time.Duration
	// MaxLength is the longest text accepted, in characters. Default
	// 1000. Longer texts are refused, never cut: a truncated clinical
	// notification can say something else.
	MaxLength int
	// MaxResponseBytes is how much of a response body is read (and
	// discarded). Default 64 KiB.
	MaxResponseBytes int64
	// AllowHTTP permits an http:// gateway URL (tests, a sidecar).
	AllowHTTP bool
	// TLSConfig is used for https; nil uses the system roots.
	TLSConfig *tls.Config
	// Logger receives one line per delivery. Nil discards.
	Logger *slog.Logger
}

func (o *SMSOptions) defaults() {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxLength <= 0 {
		o.MaxLength = 1000
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = 64 << 10
	}
	o.Logger = orDiscard(o.Logger)
}

// SMS sends text messages through an HTTP gateway: it POSTs
//
//	{"to": "<phone>", "text": "<body>", "reference": "<message id>"}
//
// with a bearer token and an Idempotency-Key header. Answers are
// classified like the webhook's.
type SMS struct {
	opts    SMSOptions
	gateway *url.URL
	http    *httpPoster
}

var _ Connector = (*SMS)(nil)

// NewSMS returns an SMS connector, or an error naming the bad option.
func NewSMS(opts SMSOptions) (*SMS, error) {
	opts.defaults()
	p := newHTTPPoster(ConnectorSMS, opts.TLSConfig, opts.AllowHTTP, opts.MaxResponseBytes)
	u, err := p.checkURL(opts.GatewayURL, "SMS gateway")
	if err != nil {
		return nil, fmt.Errorf("delivery: SMSOptions.GatewayURL: %w", err)
	}
	return &SMS{opts: opts, gateway: u, http: p}, nil
}

// Name returns "sms".
func (s *SMS) Name() string { return ConnectorSMS }

// Close releases idle connections; later deliveries fail with ErrClosed.
func (s *SMS) Close() error {
	s.http.close()
	return nil
}

type smsRequest struct {
	To        string `json:"to"`
	Text      string `json:"text"`
	Reference string `json:"reference"`
}

// Deliver sends m.Body (UTF-8 text/plain) to to.Phone.
func (s *SMS) Deliver(ctx context.Context, to Destination, m Message) (Receipt, error) {
	start := time.Now()
	r := Receipt{Connector: ConnectorSMS, Destination: to.String(), MessageID: m.ID}
	err := s.deliver(ctx, to, m, &r)
	r.At, r.Latency = time.Now(), time.Since(start)
	logDelivery(ctx, s.opts.Logger, ConnectorSMS, to, m, r, start, err, slog.String("gateway", s.gateway.Host))
	return r, err
}

func (s *SMS) deliver(ctx context.Context, to Destination, m Message, r *Receipt) error {
	if err := checkDestination(to, ConnectorSMS); err != nil {
		return err
	}
	phone, ok := normalisePhone(to.Phone)
	if !ok {
		return Permanent(fmt.Errorf("%w: phone number is not a number of 6 to 15 digits", ErrBadDestination))
	}
	if err := checkID(m.ID); err != nil {
		return err
	}
	if len(m.Attachments) > 0 {
		return Permanent(fmt.Errorf("%w: SMS cannot carry attachments", ErrBadMessage))
	}
	if m.ContentType != "" {
		if mt, _, err := mime.ParseMediaType(m.ContentType); err != nil || mt != "text/plain" {
			return Permanent(fmt.Errorf("%w: SMS text must be text/plain", ErrBadMessage))
		}
	}
	if !utf8.Valid(m.Body) {
		return Permanent(fmt.Errorf("%w: SMS text is not UTF-8", ErrBadMessage))
	}
	text := string(m.Body)
	if n := utf8.RuneCountInString(text); n == 0 || n > s.opts.MaxLength {
		return Permanent(fmt.Errorf("%w: SMS text has %d characters, want 1 to %d", ErrBadMessage, n, s.opts.MaxLength))
	}
	if err := ctx.Err(); err != nil {
		return ctxErr(ctx, "sms "+s.gateway.Host)
	}

	body, err := json.Marshal(smsRequest{To: phone, Text: text, Reference: m.ID})
	if err != nil {
		return Permanent(fmt.Errorf("%w: cannot encode SMS request", ErrBadMessage))
	}
	ctx, cancel := withTimeout(ctx, to.timeout(s.opts.Timeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.gateway.String(), bytes.NewReader(body))
	if err != nil {
		return Permanent(fmt.Errorf("%w: sms %s: cannot build request", ErrBadDestination, s.gateway.Host))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderIdempotencyKey, m.ID)
	if s.opts.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.opts.Token)
	}
	r.StatusCode, err = s.http.post(req, s.gateway.Host)
	return err
}

// normalisePhone drops the separators people write into phone numbers and
// checks what is left: an optional "+" and 6 to 15 digits (E.164 allows
// 15).
func normalisePhone(s string) (string, bool) {
	var b strings.Builder
	for i, c := range strings.TrimSpace(s) {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == '+' && i == 0:
			b.WriteRune(c)
		case c == ' ' || c == '-' || c == '(' || c == ')' || c == '.' || c == '/':
		default:
			return "", false
		}
	}
	out := b.String()
	digits := len(strings.TrimPrefix(out, "+"))
	return out, digits >= 6 && digits <= 15
}
