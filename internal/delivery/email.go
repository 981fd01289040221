package delivery

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	netmail "net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"

	mail "github.com/wneessen/go-mail"
)

// SMTPTLS is the email connector's TLS policy.
type SMTPTLS string

// The TLS policies.
const (
	// SMTPStartTLS upgrades with STARTTLS when the server offers it and
	// sends in clear otherwise (opportunistic TLS). The default.
	SMTPStartTLS SMTPTLS = "starttls"
	// SMTPStartTLSRequired fails (retryably) when the server does not
	// offer STARTTLS or the upgrade fails.
	SMTPStartTLSRequired SMTPTLS = "starttls-required"
	// SMTPImplicitTLS speaks TLS from the first byte (SMTPS, port 465).
	SMTPImplicitTLS SMTPTLS = "implicit"
)

// EmailOptions configures the email connector.
type EmailOptions struct {
	// Host is the SMTP relay. Required.
	Host string
	// Port defaults to 587 for the STARTTLS policies and 465 for implicit
	// TLS.
	Port int
	// From is the sender address, e.g. "IMP Lab <results@lab.example>".
	// Required.
	From string
	// Username and Password enable SMTP AUTH. Empty Username: no AUTH.
	Username string
	Password string
	// AuthMechanism is PLAIN (default), LOGIN, CRAM-MD5, SCRAM-SHA-256 or
	// XOAUTH2 (Password then holds the token). PLAIN and LOGIN are only
	// sent over TLS (or to localhost).
	AuthMechanism string
	// TLS is the TLS policy; default SMTPStartTLS.
	TLS SMTPTLS
	// TLSConfig customises TLS (RootCAs for a private relay). ServerName
	// defaults to Host.
	TLSConfig *tls.Config
	// HELO is the name sent in EHLO. Default: the machine's host name.
	HELO string
	// MessageIDDomain is the right-hand side of the Message-ID header,
	// "<message id>@<domain>". Default: From's domain.
	MessageIDDomain string
	// Timeout bounds one delivery unless the destination sets its own,
	// and every single SMTP exchange within it. Default 30s.
	Timeout time.Duration
	// MaxRecipients caps a destination's Email list. Default 50.
	MaxRecipients int
	// Logger receives one line per delivery. Nil discards.
	Logger *slog.Logger
}

// Validate reports the first bad field.
func (o EmailOptions) Validate() error {
	if o.Host == "" {
		return errors.New("delivery: EmailOptions.Host is required")
	}
	if o.Port < 0 || o.Port > 65535 {
		return fmt.Errorf("delivery: EmailOptions.Port %d out of range", o.Port)
	}
	if _, err := netmail.ParseAddress(o.From); err != nil {
		return fmt.Errorf("delivery: EmailOptions.From is not an address: %w", err)
	}
	switch o.TLS {
	case "", SMTPStartTLS, SMTPStartTLSRequired, SMTPImplicitTLS:
	default:
		return fmt.Errorf("delivery: EmailOptions.TLS %q unknown (want %s, %s or %s)", o.TLS, SMTPStartTLS, SMTPStartTLSRequired, SMTPImplicitTLS)
	}
	if _, ok := authMechanisms[strings.ToUpper(o.AuthMechanism)]; !ok {
		return fmt.Errorf("delivery: EmailOptions.AuthMechanism %q unknown", o.AuthMechanism)
	}
	if o.Username == "" && o.Password != "" {
		return errors.New("delivery: EmailOptions.Password set without Username")
	}
	return nil
}

var authMechanisms = map[string]mail.SMTPAuthType{
	"":              mail.SMTPAuthPlain,
	"PLAIN":         mail.SMTPAuthPlain,
	"LOGIN":         mail.SMTPAuthLogin,
	"CRAM-MD5":      mail.SMTPAuthCramMD5,
	"SCRAM-SHA-256": mail.SMTPAuthSCRAMSHA256,
	"XOAUTH2":       mail.SMTPAuthXOAUTH2,
}

func (o *EmailOptions) defaults() {
	if o.TLS == "" {
		o.TLS = SMTPStartTLS
	}
	if o.Port == 0 {
		o.Port = 587
		if o.TLS == SMTPImplicitTLS {
			o.Port = 465
		}
	}
	if o.MessageIDDomain == "" {
		if a, err := netmail.ParseAddress(o.From); err == nil {
			o.MessageIDDomain = a.Address[strings.LastIndexByte(a.Address, '@')+1:]
		}
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxRecipients <= 0 {
		o.MaxRecipients = 50
	}
	var cfg *tls.Config
	if o.TLSConfig != nil {
		cfg = o.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = o.Host
	}
	o.TLSConfig = cfg
	o.Logger = orDiscard(o.Logger)
}

// Email sends messages by SMTP through one relay, one SMTP session per
// message. The Message-ID header is derived from the IMP message id
// ("<id@domain>"), so a redelivery is recognisable as the same mail, and
// X-IMP-Message-ID and X-IMP-Kind carry the id and kind. SMTP 4xx replies
// and connection problems are retryable; 5xx replies are permanent.
type Email struct {
	opts EmailOptions
	from string
}

var _ Connector = (*Email)(nil)

// NewEmail returns an email connector, or an error naming the bad option.
func NewEmail(opts EmailOptions) (*Email, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts.defaults()
	return &Email{opts: opts, from: opts.From}, nil
}

// Name returns "email".
func (e *Email) Name() string { return ConnectorEmail }

// Close does nothing: sessions last one delivery. It exists so every
// connector is an io.Closer.
func (e *Email) Close() error { return nil }

// MessageID returns the Message-ID header value (with angle brackets) sent
// for the IMP message id.
func (e *Email) MessageID(id string) string { return "<" + e.smtpID(id) + ">" }

func (e *Email) smtpID(id string) string {
	if !isDotAtom(id) {
		// Keep it stable per id without putting odd bytes in a header.
		sum := sha256.Sum256([]byte(id))
		id = hex.EncodeToString(sum[:16])
	}
	return id + "@" + e.opts.MessageIDDomain
}

// Deliver mails m to to.Email: m.Subject, m.Body as text/plain (or
// text/html when m.ContentType says so), m.HTML as an HTML alternative,
// m.Attachments, and m.Headers as extra headers.
func (e *Email) Deliver(ctx context.Context, to Destination, m Message) (Receipt, error) {
	start := time.Now()
	r := Receipt{Connector: ConnectorEmail, Destination: to.String(), MessageID: m.ID}
	err := e.deliver(ctx, to, m, &r)
	r.At, r.Latency = time.Now(), time.Since(start)
	logDelivery(ctx, e.opts.Logger, ConnectorEmail, to, m, r, start, err,
		slog.String("relay", e.opts.Host), slog.Int("recipients", len(to.Email)))
	return r, err
}

func (e *Email) deliver(ctx context.Context, to Destination, m Message, r *Receipt) error {
	if err := checkDestination(to, ConnectorEmail); err != nil {
		return err
	}
	msg, err := e.build(to, m)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return ctxErr(ctx, "email "+e.opts.Host)
	}
	ctx, cancel := withTimeout(ctx, to.timeout(e.opts.Timeout))
	defer cancel()

	client, stop, err := e.client(ctx)
	if err != nil {
		return Permanent(fmt.Errorf("%w: email client: %s", ErrBadDestination, redact(err.Error(), 200)))
	}
	defer stop()
	err = client.DialAndSendWithContext(ctx, msg)
	if msg.IsDelivered() {
		// The relay took it; a failing QUIT afterwards changes nothing.
		r.SMTPID = e.MessageID(m.ID)
		return nil
	}
	return e.classify(ctx, err)
}

// client builds a go-mail client for one session. Its dialer remembers the
// TCP connection so that the connection can be closed the moment ctx ends:
// go-mail bounds each exchange by its own timeout but does not watch the
// context after dialling. stop must be called when the session is over.
func (e *Email) client(ctx context.Context) (*mail.Client, func(), error) {
	var (
		mu   sync.Mutex
		raws []net.Conn
	)
	implicit := e.opts.TLS == SMTPImplicitTLS
	tlsConfig := e.opts.TLSConfig
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		raws = append(raws, c)
		mu.Unlock()
		if ctx.Err() != nil { // ended between dial and registering c
			_ = c.Close()
			return nil, context.Cause(ctx)
		}
		if implicit {
			tc := tls.Client(c, tlsConfig)
			if err := tc.HandshakeContext(dctx); err != nil {
				_ = c.Close()
				return nil, err
			}
			return tc, nil
		}
		return c, nil
	}
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range raws {
			_ = c.Close()
		}
	})

	policy := mail.TLSOpportunistic
	if e.opts.TLS == SMTPStartTLSRequired {
		policy = mail.TLSMandatory
	}
	opts := []mail.Option{
		mail.WithPort(e.opts.Port),
		mail.WithTimeout(e.opts.Timeout),
		mail.WithTLSConfig(tlsConfig),
		mail.WithTLSPolicy(policy),
		mail.WithDialContextFunc(dial),
	}
	if implicit {
		opts = append(opts, mail.WithSSL())
	}
	if e.opts.HELO != "" {
		opts = append(opts, mail.WithHELO(e.opts.HELO))
	}
	if e.opts.Username != "" {
		opts = append(opts,
			mail.WithSMTPAuth(authMechanisms[strings.ToUpper(e.opts.AuthMechanism)]),
			mail.WithUsername(e.opts.Username), mail.WithPassword(e.opts.Password))
	}
	c, err := mail.NewClient(e.opts.Host, opts...)
	if err != nil {
		stop()
		return nil, func() {}, err
	}
	return c, func() { stop() }, nil
}

// reservedMail are headers Message.Headers cannot set.
var reservedMail = map[string]bool{
	"From": true, "To": true, "Cc": true, "Bcc": true, "Sender": true, "Reply-To": true,
	"Subject": true, "Date": true, "Message-Id": true, "Mime-Version": true,
	"Content-Type": true, "Content-Transfer-Encoding": true, "Content-Disposition": true,
	"Return-Path": true, "Received": true,
}

// build turns m into a go-mail message, checking everything that no retry
// could fix. Error texts name positions, never addresses.
func (e *Email) build(to Destination, m Message) (*mail.Msg, error) {
	if err := checkID(m.ID); err != nil {
		return nil, err
	}
	if len(to.Email) == 0 {
		return nil, Permanent(fmt.Errorf("%w: email destination has no recipient", ErrBadDestination))
	}
	if len(to.Email) > e.opts.MaxRecipients {
		return nil, Permanent(fmt.Errorf("%w: %d recipients, limit %d", ErrBadDestination, len(to.Email), e.opts.MaxRecipients))
	}
	rcpts := make([]*netmail.Address, len(to.Email))
	for i, s := range to.Email {
		a, err := netmail.ParseAddress(s)
		if err != nil {
			return nil, Permanent(fmt.Errorf("%w: recipient %d is not an email address", ErrBadDestination, i+1))
		}
		rcpts[i] = a
	}
	bodyType := mail.TypeTextPlain
	if m.ContentType != "" {
		mt, _, err := mime.ParseMediaType(m.ContentType)
		switch {
		case err != nil:
			return nil, Permanent(fmt.Errorf("%w: content type does not parse", ErrBadMessage))
		case mt == "text/plain":
		case mt == "text/html":
			bodyType = mail.TypeTextHTML
		default:
			return nil, Permanent(fmt.Errorf("%w: email body must be text/plain or text/html, not %s; attach other content", ErrBadMessage, mt))
		}
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, Permanent(fmt.Errorf("%w: subject has a line break", ErrBadMessage))
	}

	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.From(e.from); err != nil {
		return nil, Permanent(fmt.Errorf("%w: sender address", ErrBadDestination))
	}
	msg.ToMailAddress(rcpts...)
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(e.smtpID(m.ID))
	msg.SetDate()
	msg.SetGenHeader(mail.Header(HeaderMessageID), m.ID)
	if m.Kind != "" {
		msg.SetGenHeader(mail.Header(HeaderKind), m.Kind)
	}
	for k, v := range m.Headers {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		if !isToken(k) || strings.ContainsRune(k, ':') {
			return nil, Permanent(fmt.Errorf("%w: header name %q is not valid", ErrBadMessage, redact(k, 40)))
		}
		if reservedMail[ck] || strings.HasPrefix(ck, "X-Imp-") || strings.HasPrefix(ck, "Content-") {
			return nil, Permanent(fmt.Errorf("%w: header %s is set by the connector", ErrBadMessage, ck))
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return nil, Permanent(fmt.Errorf("%w: header %s has a line break", ErrBadMessage, ck))
		}
		msg.SetGenHeader(mail.Header(ck), v)
	}
	msg.SetBodyString(bodyType, string(m.Body))
	if len(m.HTML) > 0 {
		msg.AddAlternativeString(mail.TypeTextHTML, string(m.HTML))
	}
	for i, a := range m.Attachments {
		if a.Filename == "" || strings.ContainsAny(a.Filename, "/\\\r\n\x00") {
			return nil, Permanent(fmt.Errorf("%w: attachment %d needs a plain file name", ErrBadMessage, i+1))
		}
		var fo []mail.FileOption
		if a.ContentType != "" {
			fo = append(fo, mail.WithFileContentType(mail.ContentType(a.ContentType)))
		}
		msg.AttachReadSeeker(a.Filename, bytes.NewReader(a.Data), fo...)
	}
	return msg, nil
}

// classify maps a go-mail failure to a PHI-free error. go-mail's own error
// texts list the recipients, so only codes are kept from them.
func (e *Email) classify(ctx context.Context, err error) error {
	where := "email " + e.opts.Host
	if err == nil {
		// Not delivered yet no error: treat as an ambiguous outcome.
		return fmt.Errorf("%s: relay did not confirm the message: %w", where, ErrUnavailable)
	}
	if cerr := ctxErr(ctx, where); cerr != nil {
		return cerr
	}
	var se *mail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		text := where + ": " + se.Reason.String()
		if code != 0 {
			text += ": SMTP " + strconv.Itoa(code)
			if esc := se.EnhancedStatusCode(); esc != "" {
				text += " " + esc
			}
		}
		switch {
		case code >= 500:
			return Permanent(fmt.Errorf("%s: %w", text, ErrRejected))
		case se.Reason == mail.ErrGetSender || se.Reason == mail.ErrGetRcpts || se.Reason == mail.ErrNoUnencoded:
			return Permanent(fmt.Errorf("%s: %w", text, ErrBadMessage))
		default:
			return fmt.Errorf("%s: %w", text, ErrUnavailable)
		}
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		text := fmt.Sprintf("%s: SMTP %d %s", where, te.Code, redact(te.Msg, 120))
		if te.Code >= 500 {
			return Permanent(fmt.Errorf("%s: %w", text, ErrRejected))
		}
		return fmt.Errorf("%s: %w", text, ErrUnavailable)
	}
	return fmt.Errorf("%s: %s: %w", where, redact(err.Error(), 200), ErrUnavailable)
}

// isDotAtom reports whether s is an RFC 5322 dot-atom, fit for the left
// side of a Message-ID.
func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~.", c) >= 0:
		default:
			return false
		}
	}
	return true
}
