package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"time"
)

// Message is one outbound message.
type Message struct {
	// ID is the IMP message id. It is also the idempotency key receivers
	// dedupe on, so a redelivery must carry the same id.
	ID string
	// Kind says what the message is: "result", "status", "report",
	// "notification", ... It is sent along where the protocol has room and
	// names the sub-directory of the file connector.
	Kind string
	// ContentType of Body, e.g. application/json, application/hl7-v2,
	// application/fhir+json, application/pdf, text/plain.
	ContentType string
	Body        []byte
	// HTML is an optional HTML alternative of a text Body (email only).
	HTML []byte
	// Subject of an email; other connectors ignore it.
	Subject string
	// Attachments travel by email only; other connectors refuse a message
	// that has them rather than drop them.
	Attachments []Attachment
	// Headers are extra protocol headers (HTTP, email) for connectors that
	// support them. They cannot replace the headers a connector sets itself.
	Headers map[string]string
}

// Attachment is a file attached to a message (the PDF report, say).
type Attachment struct {
	Filename    string
	ContentType string
	Data        []byte
}

// Connector delivers messages over one protocol.
type Connector interface {
	// Name is the connector's name, as used in Destination.Connector:
	// "webhook", "mllp", "email", "sms", "file".
	Name() string
	// Deliver hands m to the receiver at to and returns what the receiver
	// answered. It honours ctx's deadline and cancellation. A failure for
	// which IsPermanent reports true will fail again however often it is
	// retried; any other failure may pass.
	Deliver(ctx context.Context, to Destination, m Message) (Receipt, error)
}

// The connector names.
const (
	ConnectorWebhook = "webhook"
	ConnectorMLLP    = "mllp"
	ConnectorEmail   = "email"
	ConnectorSMS     = "sms"
	ConnectorFile    = "file"
)

// Destination says where a message goes. It is configured per partner or
// customer in a file or store, so it is a flat JSON-serialisable struct;
// Connector says which fields apply:
//
//	webhook: URL, Secret, Timeout
//	mllp:    Addr, TLS, Timeout
//	email:   Email, Timeout
//	sms:     Phone, Timeout
//	file:    Dir
//
// Destination's String and LogValue show only the connector, the name and
// the host, never a secret or a recipient.
type Destination struct {
	// Connector is the name of the connector that serves this destination.
	Connector string `json:"connector"`
	// Name labels the destination in logs and receipts (a partner code,
	// "lis", "pdf-store"). It must not be PHI.
	Name string `json:"name,omitempty"`

	// URL is the webhook endpoint (https unless the connector allows http).
	URL string `json:"url,omitempty"`
	// Secret is the webhook's HMAC-SHA256 signing key. Required.
	Secret string `json:"secret,omitempty"`

	// Addr is the MLLP receiver's host:port.
	Addr string `json:"addr,omitempty"`
	// TLS makes the MLLP connection use TLS.
	TLS bool `json:"tls,omitempty"`

	// Email lists the recipients of an email.
	Email []string `json:"email,omitempty"`
	// Phone is the SMS recipient's number, preferably E.164 (+4915...).
	Phone string `json:"phone,omitempty"`

	// Dir is the file connector's target directory; empty uses the
	// connector's default directory.
	Dir string `json:"dir,omitempty"`

	// Timeout bounds one delivery to this destination; zero uses the
	// connector's default.
	Timeout Duration `json:"timeout,omitempty"`
}

// String names the destination without secrets or recipients.
func (d Destination) String() string {
	s := d.Connector
	if d.Name != "" {
		s += ":" + d.Name
	}
	if h := d.host(); h != "" {
		s += "(" + h + ")"
	}
	return s
}

// LogValue logs the destination without secrets or recipients.
func (d Destination) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("connector", d.Connector)}
	if d.Name != "" {
		attrs = append(attrs, slog.String("name", d.Name))
	}
	if h := d.host(); h != "" {
		attrs = append(attrs, slog.String("host", h))
	}
	return slog.GroupValue(attrs...)
}

// host is the PHI-free part of where the destination points: the URL's
// host, the MLLP address, or the directory. Email and SMS destinations have
// none of their own (the relay or gateway is the connector's).
func (d Destination) host() string {
	switch d.Connector {
	case ConnectorWebhook:
		if u, err := url.Parse(d.URL); err == nil {
			return u.Host
		}
		return "invalid-url"
	case ConnectorMLLP:
		return d.Addr
	case ConnectorFile:
		return d.Dir
	}
	return ""
}

// timeout is the destination's timeout, or def.
func (d Destination) timeout(def time.Duration) time.Duration {
	if d.Timeout > 0 {
		return time.Duration(d.Timeout)
	}
	return def
}

// Receipt is what the receiver answered to a delivery. It holds protocol
// facts only, never content, so it can be stored and shown to operators.
type Receipt struct {
	Connector   string        `json:"connector"`
	Destination string        `json:"destination"` // Destination.String()
	MessageID   string        `json:"message_id"`  // the IMP message id
	StatusCode  int           `json:"status_code,omitempty"`
	AckCode     string        `json:"ack_code,omitempty"`   // MLLP: MSA-1
	ControlID   string        `json:"control_id,omitempty"` // MLLP: MSA-2, the MSH-10 acknowledged
	SMTPID      string        `json:"smtp_id,omitempty"`    // email: the Message-ID header sent
	Path        string        `json:"path,omitempty"`       // file: where the body was written
	At          time.Time     `json:"at"`
	Latency     time.Duration `json:"latency"`
}

// Duration is a time.Duration that reads and writes JSON as "30s".
type Duration time.Duration

// MarshalText writes d as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads a Go duration string ("30s", "1m30s").
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("delivery: bad duration %q: %w", b, err)
	}
	if v < 0 {
		return fmt.Errorf("delivery: negative duration %q", b)
	}
	*d = Duration(v)
	return nil
}

// checkDestination verifies that to is meant for connector name.
func checkDestination(to Destination, name string) error {
	if to.Connector != name {
		return Permanent(fmt.Errorf("%w: destination is for connector %q, not %q", ErrBadDestination, to.Connector, name))
	}
	return nil
}

// hostPort splits addr and reports whether it is a usable host:port.
func hostPort(addr string) bool {
	h, p, err := net.SplitHostPort(addr)
	return err == nil && h != "" && p != ""
}
