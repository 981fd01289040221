// Package smtptest is an in-process SMTP server for tests: it speaks
// enough ESMTP for real clients (EHLO, STARTTLS with a self-signed
// certificate, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT),
// records every message it accepts, and can be told to fail: answer a
// stage with any reply code, hang, or drop the connection.
//
// Typical use:
//
//	srv := smtptest.NewServer(t, smtptest.Options{STARTTLS: true})
//	// point the code under test at srv.Host(), srv.Port(), trusting
//	// srv.ClientTLSConfig()
//	msgs := srv.Messages()
//	p, err := msgs[0].Parse() // subject, text, HTML, attachments
//
// A message is recorded before the server answers 250 to its content, so
// once a client has its success the message is in Messages.
//
// It is a test double: it keeps everything in memory, trusts every
// sender and recipient, and must never be used to relay real mail.
package smtptest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Options configures a Server. The zero value is a plain-text server
// without AUTH.
type Options struct {
	// Hostname is announced in the greeting and EHLO. Default "localhost".
	Hostname string
	// STARTTLS offers STARTTLS, with a self-signed certificate for
	// localhost, 127.0.0.1 and ::1 generated at start.
	STARTTLS bool
	// ImplicitTLS speaks TLS from the first byte (SMTPS) with the same
	// certificate.
	ImplicitTLS bool
	// RequireTLS refuses MAIL with 530 until STARTTLS was done.
	RequireTLS bool
	// Username and Password enable AUTH PLAIN and AUTH LOGIN, offered
	// only on a TLS session unless AllowInsecureAuth is set. When set,
	// MAIL is refused with 530 until the client authenticated.
	Username, Password string
	AllowInsecureAuth  bool
	// MaxMessageBytes refuses larger messages with 552. Default 25 MiB.
	MaxMessageBytes int
}

// Stage is a point in an SMTP session where a fault can strike.
type Stage int

// The stages.
const (
	StageConnect Stage = iota // instead of the 220 greeting
	StageHelo                 // reply to EHLO/HELO
	StageMail                 // reply to MAIL FROM
	StageRcpt                 // reply to RCPT TO
	StageData                 // reply to the DATA command
	StageDataEnd              // reply after the message content (the message is then not recorded)
)

func (s Stage) String() string {
	switch s {
	case StageConnect:
		return "connect"
	case StageHelo:
		return "helo"
	case StageMail:
		return "mail"
	case StageRcpt:
		return "rcpt"
	case StageData:
		return "data"
	case StageDataEnd:
		return "data-end"
	}
	return "stage(" + strconv.Itoa(int(s)) + ")"
}

// Fault makes the server misbehave at a stage. Exactly one of Code, Hang
// and Drop should be set.
type Fault struct {
	Stage Stage
	// Code and Text are the reply sent instead of the normal one, e.g.
	// 451 "4.3.0 try again later" or 550 "5.7.1 rejected".
	Code int
	Text string
	// Hang sends nothing and holds the connection until the client closes
	// it or the server is closed.
	Hang bool
	// Drop closes the connection without a reply.
	Drop bool
	// Times is how many times the fault strikes; 0 means until
	// ClearFaults.
	Times int
}

// Message is one accepted message.
type Message struct {
	Helo string   // the EHLO/HELO name
	From string   // MAIL FROM address (without brackets)
	To   []string // RCPT TO addresses
	// Data is the message as received: headers and body, dot-stuffing
	// undone, every line ending in "\r\n".
	Data []byte
	// TLS says the session was encrypted (STARTTLS or implicit) when the
	// message was sent; TLSServerName is the SNI the client sent.
	TLS           bool
	TLSServerName string
	// AuthUser is the user name the session authenticated as, if any.
	AuthUser string
}

// Server is a running SMTP server. Its methods are safe for concurrent use.
type Server struct {
	opts     Options
	ln       net.Listener
	tls      *tls.Config
	certPool *x509.CertPool

	mu       sync.Mutex
	msgs     []Message
	faults   []*Fault
	sessions int
	conns    map[net.Conn]struct{}
	closed   bool
	wg       sync.WaitGroup
}

// NewServer starts a server on 127.0.0.1 and closes it when tb's test
// ends. It fails tb if the server cannot start.
func NewServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := Start(opts)
	if err != nil {
		tb.Fatalf("smtptest: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// Start starts a server on 127.0.0.1; the caller must Close it.
func Start(opts Options) (*Server, error) {
	if opts.Hostname == "" {
		opts.Hostname = "localhost"
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = 25 << 20
	}
	s := &Server{opts: opts, conns: map[net.Conn]struct{}{}}
	if opts.STARTTLS || opts.ImplicitTLS || opts.RequireTLS {
		cert, pool, err := selfSigned(opts.Hostname)
		if err != nil {
			return nil, err
		}
		s.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.certPool = pool
	}
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtptest: listen: %w", err)
	}
	if opts.ImplicitTLS {
		ln = tls.NewListener(ln, s.tls)
	}
	s.ln = ln
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Host is the server's IP address ("127.0.0.1").
func (s *Server) Host() string { return s.ln.Addr().(*net.TCPAddr).IP.String() }

// Port is the server's port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// ClientTLSConfig returns a TLS client configuration that trusts the
// server's certificate (nil when the server has no TLS). The certificate
// is valid for localhost, 127.0.0.1 and ::1.
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.certPool == nil {
		return nil
	}
	return &tls.Config{RootCAs: s.certPool, MinVersion: tls.VersionTLS12}
}

// Messages returns a copy of the accepted messages, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.msgs))
	copy(out, s.msgs)
	return out
}

// Sessions is the number of connections accepted so far.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// Inject adds a fault. Faults are checked in the order they were added.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Reset forgets the recorded messages and the faults.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults, s.msgs = nil, nil
}

// Close stops the server, closes every connection (releasing hung ones)
// and waits for the session goroutines to end.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.sessions++
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				_ = c.Close()
			}()
			sess := &session{srv: s, raw: c}
			sess.run(c)
		}()
	}
}

// fault returns the fault striking at st, counting it down.
func (s *Server) fault(st Stage) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Stage != st {
			continue
		}
		out := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return &out
	}
	return nil
}

func (s *Server) record(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
}

// errSessionOver ends a session without another reply.
var errSessionOver = errors.New("session over")

type session struct {
	srv  *Server
	raw  net.Conn
	conn net.Conn
	text *textproto.Conn

	helo     string
	tls      bool
	sni      string
	authUser string
	from     string
	haveFrom bool
	rcpts    []string
}

func (ss *session) reset() {
	ss.from, ss.haveFrom, ss.rcpts = "", false, nil
}

func (ss *session) setConn(c net.Conn) {
	ss.conn = c
	ss.text = textproto.NewConn(c)
	if tc, ok := c.(*tls.Conn); ok {
		ss.tls = true
		ss.sni = tc.ConnectionState().ServerName
	}
}

func (ss *session) reply(code int, format string, args ...any) error {
	return ss.text.PrintfLine("%d %s", code, fmt.Sprintf(format, args...))
}

// strike applies the fault for st, if any. It returns true with the error
// to end the command with when a fault struck.
func (ss *session) strike(st Stage) (bool, error) {
	f := ss.srv.fault(st)
	if f == nil {
		return false, nil
	}
	switch {
	case f.Hang:
		// Hold the connection: reading returns once the client closes it
		// or Close closes it for us.
		_, _ = io.Copy(io.Discard, ss.raw)
		return true, errSessionOver
	case f.Drop:
		return true, errSessionOver
	default:
		text := f.Text
		if text == "" {
			text = "fault injected at " + st.String()
		}
		err := ss.reply(f.Code, "%s", text)
		if st == StageConnect {
			return true, errSessionOver
		}
		return true, err
	}
}

func (ss *session) run(c net.Conn) {
	if tc, ok := c.(*tls.Conn); ok {
		if err := tc.HandshakeContext(context.Background()); err != nil {
			return
		}
	}
	ss.setConn(c)
	if hit, _ := ss.strike(StageConnect); hit {
		return
	}
	if ss.reply(220, "%s ESMTP smtptest", ss.srv.opts.Hostname) != nil {
		return
	}
	for {
		line, err := ss.text.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		if err := ss.command(strings.ToUpper(verb), strings.TrimSpace(arg)); err != nil {
			return
		}
	}
}

func (ss *session) command(verb, arg string) error {
	o := ss.srv.opts
	switch verb {
	case "EHLO", "HELO":
		if hit, err := ss.strike(StageHelo); hit {
			return err
		}
		ss.helo = arg
		ss.reset()
		if verb == "HELO" {
			return ss.reply(250, "%s", o.Hostname)
		}
		lines := []string{o.Hostname + " greets " + arg, "8BITMIME", "ENHANCEDSTATUSCODES",
			"SIZE " + strconv.Itoa(o.MaxMessageBytes)}
		if ss.srv.tls != nil && !ss.tls && !o.ImplicitTLS {
			lines = append(lines, "STARTTLS")
		}
		if o.Username != "" && (ss.tls || o.AllowInsecureAuth) {
			lines = append(lines, "AUTH PLAIN LOGIN")
		}
		for i, l := range lines {
			sep := "-"
			if i == len(lines)-1 {
				sep = " "
			}
			if err := ss.text.PrintfLine("250%s%s", sep, l); err != nil {
				return err
			}
		}
		return nil
	case "STARTTLS":
		if ss.srv.tls == nil || ss.tls {
			return ss.reply(502, "5.5.1 STARTTLS not available")
		}
		if err := ss.reply(220, "2.0.0 Ready to start TLS"); err != nil {
			return err
		}
		tc := tls.Server(ss.raw, ss.srv.tls)
		if err := tc.HandshakeContext(context.Background()); err != nil {
			return err
		}
		ss.setConn(tc)
		ss.helo = "" // RFC 3207: forget everything from before TLS
		ss.authUser = ""
		ss.reset()
		return nil
	case "AUTH":
		return ss.auth(arg)
	case "MAIL":
		if ss.helo == "" {
			return ss.reply(503, "5.5.1 EHLO first")
		}
		if o.RequireTLS && !ss.tls {
			return ss.reply(530, "5.7.0 Must issue a STARTTLS command first")
		}
		if o.Username != "" && ss.authUser == "" {
			return ss.reply(530, "5.7.0 Authentication required")
		}
		addr, ok := pathArg(arg, "FROM:")
		if !ok {
			return ss.reply(501, "5.5.4 Syntax: MAIL FROM:<address>")
		}
		if hit, err := ss.strike(StageMail); hit {
			return err
		}
		ss.reset()
		ss.from, ss.haveFrom = addr, true
		return ss.reply(250, "2.1.0 Ok")
	case "RCPT":
		if !ss.haveFrom {
			return ss.reply(503, "5.5.1 MAIL first")
		}
		addr, ok := pathArg(arg, "TO:")
		if !ok || addr == "" {
			return ss.reply(501, "5.5.4 Syntax: RCPT TO:<address>")
		}
		if hit, err := ss.strike(StageRcpt); hit {
			return err
		}
		ss.rcpts = append(ss.rcpts, addr)
		return ss.reply(250, "2.1.5 Ok")
	case "DATA":
		if len(ss.rcpts) == 0 {
			return ss.reply(503, "5.5.1 RCPT first")
		}
		if hit, err := ss.strike(StageData); hit {
			return err
		}
		if err := ss.reply(354, "End data with <CR><LF>.<CR><LF>"); err != nil {
			return err
		}
		data, tooBig, err := ss.readData(o.MaxMessageBytes)
		if err != nil {
			return err
		}
		if tooBig {
			ss.reset()
			return ss.reply(552, "5.3.4 Message too big")
		}
		if hit, err := ss.strike(StageDataEnd); hit {
			ss.reset()
			return err
		}
		ss.srv.record(Message{Helo: ss.helo, From: ss.from, To: ss.rcpts, Data: data,
			TLS: ss.tls, TLSServerName: ss.sni, AuthUser: ss.authUser})
		ss.reset()
		return ss.reply(250, "2.0.0 Ok: queued")
	case "RSET":
		ss.reset()
		return ss.reply(250, "2.0.0 Ok")
	case "NOOP":
		return ss.reply(250, "2.0.0 Ok")
	case "VRFY":
		return ss.reply(252, "2.5.0 Cannot VRFY user")
	case "QUIT":
		_ = ss.reply(221, "2.0.0 Bye")
		return errSessionOver
	default:
		return ss.reply(502, "5.5.2 Command not recognised")
	}
}

// readData reads message content up to the lone ".", undoing dot-stuffing
// and ending every line with CRLF as on the wire. Content beyond max is
// read but not kept.
func (ss *session) readData(max int) ([]byte, bool, error) {
	var data []byte
	tooBig := false
	for {
		line, err := ss.text.ReadLineBytes()
		if err != nil {
			return nil, false, err
		}
		if len(line) == 1 && line[0] == '.' {
			return data, tooBig, nil
		}
		if len(line) > 0 && line[0] == '.' {
			line = line[1:]
		}
		if tooBig || len(data)+len(line)+2 > max {
			tooBig, data = true, nil
			continue
		}
		data = append(append(data, line...), '\r', '\n')
	}
}

func (ss *session) auth(arg string) error {
	o := ss.srv.opts
	if o.Username == "" || !(ss.tls || o.AllowInsecureAuth) {
		return ss.reply(502, "5.5.1 AUTH not available")
	}
	if ss.authUser != "" {
		return ss.reply(503, "5.5.1 Already authenticated")
	}
	mech, initial, _ := strings.Cut(arg, " ")
	var user, pass string
	switch strings.ToUpper(mech) {
	case "PLAIN":
		resp := initial
		if resp == "" {
			if err := ss.text.PrintfLine("334 "); err != nil {
				return err
			}
			l, err := ss.text.ReadLine()
			if err != nil {
				return err
			}
			resp = l
		}
		b, err := base64.StdEncoding.DecodeString(resp)
		if err != nil {
			return ss.reply(501, "5.5.2 Cannot decode response")
		}
		parts := strings.Split(string(b), "\x00")
		if len(parts) != 3 {
			return ss.reply(501, "5.5.2 Bad PLAIN response")
		}
		user, pass = parts[1], parts[2]
	case "LOGIN":
		var vals [2]string
		prompts := [2]string{"VXNlcm5hbWU6", "UGFzc3dvcmQ6"} // "Username:", "Password:"
		for i := range vals {
			if i == 0 && initial != "" {
				b, err := base64.StdEncoding.DecodeString(initial)
				if err != nil {
					return ss.reply(501, "5.5.2 Cannot decode response")
				}
				vals[0] = string(b)
				continue
			}
			if err := ss.text.PrintfLine("334 %s", prompts[i]); err != nil {
				return err
			}
			l, err := ss.text.ReadLine()
			if err != nil {
				return err
			}
			b, err := base64.StdEncoding.DecodeString(l)
			if err != nil {
				return ss.reply(501, "5.5.2 Cannot decode response")
			}
			vals[i] = string(b)
		}
		user, pass = vals[0], vals[1]
	default:
		return ss.reply(504, "5.5.4 Unrecognised authentication type")
	}
	if user != o.Username || pass != o.Password {
		return ss.reply(535, "5.7.8 Authentication credentials invalid")
	}
	ss.authUser = user
	return ss.reply(235, "2.7.0 Authentication successful")
}

// pathArg reads "FROM:<addr> params" or "TO:<addr> params".
func pathArg(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", false
	}
	return rest[1:end], true
}
