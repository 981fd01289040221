package delivery

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"strings"
	"sync"
	"time"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/mllp"
)

// MLLPOptions configures the MLLP connector.
type MLLPOptions struct {
	// PoolSize is the number of connections per destination address, and
	// so the messages in flight to it. Default 1: many LIS interfaces
	// expect one connection and process it in order.
	PoolSize int
	// DialTimeout bounds connecting and the TLS handshake. Default 10s.
	DialTimeout time.Duration
	// AckTimeout is how long to wait for an ACK once the message is
	// written. Default 30s.
	AckTimeout time.Duration
	// IdleTimeout retires pooled connections unused this long. Default 1m.
	IdleTimeout time.Duration
	// Timeout bounds one delivery unless the destination sets its own.
	// Default: no bound beyond DialTimeout + AckTimeout.
	Timeout time.Duration
	// TLSConfig is used for destinations with TLS set (RootCAs, client
	// certificates). Nil uses the system roots. ServerName defaults to the
	// destination's host.
	TLSConfig *tls.Config
	// Logger receives one line per delivery and the MLLP client's
	// connection events. Nil discards.
	Logger *slog.Logger
}

func (o *MLLPOptions) defaults() {
	o.Logger = orDiscard(o.Logger)
}

// MLLP sends HL7 v2 messages over MLLP and reads the ACK: MSA-1 AA or CA
// means delivered; AE, CE, AR and CR are permanent rejections carrying
// MSA-3 and the ERR text; connection failures and ACK timeouts are
// retryable. Connections are pooled per destination address.
//
// The body is sent exactly as given, so it must be an ER7 message with
// "\r" segment ends (hl7.Message.Encode) and a non-empty MSH-10: MLLP
// receivers deduplicate on MSH-10, so it is the message's idempotency key
// there, and producers should derive it from the IMP message id.
type MLLP struct {
	opts MLLPOptions

	mu      sync.Mutex
	closed  bool
	clients map[mllpKey]*mllp.Client
}

type mllpKey struct {
	addr string
	tls  bool
}

var _ Connector = (*MLLP)(nil)

// NewMLLP returns an MLLP connector, or an error naming a bad option.
func NewMLLP(opts MLLPOptions) (*MLLP, error) {
	opts.defaults()
	if err := (mllp.ClientConfig{PoolSize: opts.PoolSize, DialTimeout: opts.DialTimeout,
		AckTimeout: opts.AckTimeout, IdleTimeout: opts.IdleTimeout}).Validate(); err != nil {
		return nil, fmt.Errorf("delivery: MLLPOptions: %w", err)
	}
	if opts.Timeout < 0 {
		return nil, errors.New("delivery: MLLPOptions.Timeout must not be negative")
	}
	return &MLLP{opts: opts, clients: map[mllpKey]*mllp.Client{}}, nil
}

// Name returns "mllp".
func (c *MLLP) Name() string { return ConnectorMLLP }

// Close closes every pooled connection; deliveries in progress fail and
// later ones return ErrClosed.
func (c *MLLP) Close() error {
	c.mu.Lock()
	c.closed = true
	clients := c.clients
	c.clients = map[mllpKey]*mllp.Client{}
	c.mu.Unlock()
	var errs []error
	for _, cl := range clients {
		errs = append(errs, cl.Close())
	}
	return errors.Join(errs...)
}

// client returns the pooled client for a destination, creating it.
func (c *MLLP) client(to Destination) (*mllp.Client, error) {
	k := mllpKey{to.Addr, to.TLS}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("mllp %s: %w", to.Addr, ErrClosed)
	}
	if cl, ok := c.clients[k]; ok {
		return cl, nil
	}
	cfg := mllp.ClientConfig{
		PoolSize:    c.opts.PoolSize,
		DialTimeout: c.opts.DialTimeout,
		AckTimeout:  c.opts.AckTimeout,
		IdleTimeout: c.opts.IdleTimeout,
		Logger:      c.opts.Logger.With("connector", ConnectorMLLP),
	}
	if to.TLS {
		if c.opts.TLSConfig != nil {
			cfg.TLSConfig = c.opts.TLSConfig.Clone()
		} else {
			cfg.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
	}
	cl, err := mllp.NewClient(to.Addr, cfg)
	if err != nil {
		return nil, Permanent(fmt.Errorf("%w: mllp %s: %s", ErrBadDestination, to.Addr, err.Error()))
	}
	c.clients[k] = cl
	return cl, nil
}

// Deliver sends m.Body to to.Addr and waits for the ACK.
func (c *MLLP) Deliver(ctx context.Context, to Destination, m Message) (Receipt, error) {
	start := time.Now()
	r := Receipt{Connector: ConnectorMLLP, Destination: to.String(), MessageID: m.ID}
	err := c.deliver(ctx, to, m, &r)
	r.At, r.Latency = time.Now(), time.Since(start)
	logDelivery(ctx, c.opts.Logger, ConnectorMLLP, to, m, r, start, err)
	return r, err
}

func (c *MLLP) deliver(ctx context.Context, to Destination, m Message, r *Receipt) error {
	if err := checkDestination(to, ConnectorMLLP); err != nil {
		return err
	}
	if !hostPort(to.Addr) {
		return Permanent(fmt.Errorf("%w: MLLP address must be host:port", ErrBadDestination))
	}
	if err := checkID(m.ID); err != nil {
		return err
	}
	if len(m.Attachments) > 0 {
		return Permanent(fmt.Errorf("%w: MLLP cannot carry attachments", ErrBadMessage))
	}
	if m.ContentType != "" {
		mt, _, err := mime.ParseMediaType(m.ContentType)
		if err != nil || (mt != "application/hl7-v2" && mt != "x-application/hl7-v2+er7") {
			return Permanent(fmt.Errorf("%w: MLLP carries application/hl7-v2 only", ErrBadMessage))
		}
	}
	hdr, err := hl7.ParseHeader(m.Body)
	if err != nil {
		return Permanent(fmt.Errorf("%w: body is not an HL7 v2 message: %s", ErrBadMessage, redact(err.Error(), 120)))
	}
	controlID := hdr.ControlID()
	if controlID == "" {
		return Permanent(fmt.Errorf("%w: MSH-10 (message control id) is empty; receivers deduplicate on it", ErrBadMessage))
	}
	if err := ctx.Err(); err != nil {
		return ctxErr(ctx, "mllp "+to.Addr)
	}

	cl, err := c.client(to)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx, to.timeout(c.opts.Timeout))
	defer cancel()
	ack, err := cl.Send(ctx, m.Body)
	if err != nil {
		return c.classifySend(ctx, to.Addr, err)
	}
	return readACK(to.Addr, controlID, ack, r)
}

// classifySend maps an mllp.Client error. Everything that may pass on a
// new connection is retryable; a resend may duplicate the message, which
// MLLP receivers handle by MSH-10.
func (c *MLLP) classifySend(ctx context.Context, addr string, err error) error {
	where := "mllp " + addr
	if cerr := ctxErr(ctx, where); cerr != nil {
		return cerr
	}
	var se *mllp.SendError
	cause := err
	if errors.As(err, &se) {
		cause = se.Err
	}
	text := redact(cause.Error(), 200)
	if se != nil && se.Written {
		text += " (may have been delivered)"
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		// The client's timer can fire at the context's deadline a moment
		// before ctx reports it; it is the same timeout.
		return fmt.Errorf("%s: %s: %w", where, text, context.DeadlineExceeded)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %s: %w", where, text, context.Canceled)
	case errors.Is(err, mllp.ErrInvalidMessage):
		return Permanent(fmt.Errorf("%w: body contains MLLP framing bytes", ErrBadMessage))
	case errors.Is(err, mllp.ErrClosed):
		return fmt.Errorf("%s: %w", where, ErrClosed)
	default:
		return fmt.Errorf("%s: %s: %w", where, text, ErrUnavailable)
	}
}

// readACK checks the receiver's answer and fills the receipt.
func readACK(addr, controlID string, raw []byte, r *Receipt) error {
	where := "mllp " + addr
	ack, err := hl7.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s: unreadable ACK: %s: %w", where, redact(err.Error(), 120), ErrUnavailable)
	}
	msa := ack.MSA()
	if msa.IsZero() {
		return fmt.Errorf("%s: ACK without MSA segment: %w", where, ErrUnavailable)
	}
	code := msa.AckCode()
	r.AckCode, r.ControlID = string(code), msa.ControlID()
	if r.ControlID != controlID {
		// An answer to some other message: we cannot tell what happened
		// to ours, so send it again.
		return fmt.Errorf("%s: ACK %s answers control id %q, not %q: %w", where, code, redact(r.ControlID, 40), controlID, ErrUnavailable)
	}
	switch code {
	case hl7.AA, hl7.CA:
		return nil
	case hl7.AE, hl7.CE, hl7.AR, hl7.CR:
		return Permanent(fmt.Errorf("%s: ACK %s%s: %w", where, code, ackText(ack), ErrRejected))
	default:
		return fmt.Errorf("%s: ACK code %q unknown: %w", where, redact(string(code), 8), ErrUnavailable)
	}
}

// ackText collects MSA-3 and the ERR segments' code and messages, which
// say what the receiver disliked. Receivers should not echo patient data
// there; redact masks what looks like contact data in case they do.
func ackText(ack *hl7.Message) string {
	var parts []string
	if t := ack.MSA().Text(); t != "" {
		parts = append(parts, t)
	}
	for s := range ack.All("ERR") {
		e := hl7.ERR{Segment: s}
		var b strings.Builder
		if code := e.Code(); code.Code != "" {
			b.WriteString(code.Code)
			if code.Text != "" {
				b.WriteString(" " + code.Text)
			}
		}
		if loc := e.Location(); loc.Segment != "" {
			fmt.Fprintf(&b, " at %s-%d", loc.Segment, loc.Field)
		}
		for _, t := range []string{e.UserMessage(), e.Diagnostic()} {
			if t != "" {
				b.WriteString(": " + t)
				break
			}
		}
		if b.Len() > 0 {
			parts = append(parts, strings.TrimSpace(b.String()))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + redact(strings.Join(parts, "; "), 300) + ")"
}
