package mllp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"github.com/imp-health/imp/internal/hl7"
)

// Handler handles one message received by a Server.
//
// HandleMLLP returns the encoded ACK to send back. msg is the frame content
// and is valid only until HandleMLLP returns. Returning nil sends no ACK
// and closes the connection: use it when the message could not be made
// durable and the sender should retry, since a sender keeps a message
// until it is acknowledged. ctx is cancelled when the server is stopped
// hard (Serve's context ends, or Shutdown's deadline passes); it is not
// cancelled if the peer disconnects meanwhile, because the server does not
// read from a connection while its message is being handled. RemoteAddr
// gives the peer's address.
type Handler interface {
	HandleMLLP(ctx context.Context, msg []byte) (ack []byte)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, msg []byte) []byte

// HandleMLLP calls f.
func (f HandlerFunc) HandleMLLP(ctx context.Context, msg []byte) []byte { return f(ctx, msg) }

// ServerConfig configures a Server. Zero durations and sizes take the
// defaults noted on each field.
type ServerConfig struct {
	// Handler is called for every message. Required.
	Handler Handler
	// TLSConfig, when set, makes every accepted connection a TLS server
	// connection.
	TLSConfig *tls.Config
	// MaxMessageSize is the largest frame accepted, in bytes; larger frames
	// are skipped and rejected with an AR. Default DefaultMaxMessageSize.
	MaxMessageSize int
	// IdleTimeout is how long a connection may wait for the start of its
	// next message before it is closed. Default 5 minutes.
	IdleTimeout time.Duration
	// ReadTimeout is how long a message may take to arrive once its start
	// block was read (and how long a TLS handshake may take). Default 1
	// minute.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing an ACK. Default 30 seconds.
	WriteTimeout time.Duration
	// MaxConnections limits concurrent connections; further ones are
	// closed at once. 0 means no limit.
	MaxConnections int
	// Logger receives connection events. It never receives message
	// content. Default: discard.
	Logger *slog.Logger
}

// Validate reports the first invalid field.
func (c ServerConfig) Validate() error {
	switch {
	case c.Handler == nil:
		return errors.New("mllp: ServerConfig.Handler is required")
	case c.MaxMessageSize < 0:
		return errors.New("mllp: ServerConfig.MaxMessageSize must not be negative")
	case c.IdleTimeout < 0:
		return errors.New("mllp: ServerConfig.IdleTimeout must not be negative")
	case c.ReadTimeout < 0:
		return errors.New("mllp: ServerConfig.ReadTimeout must not be negative")
	case c.WriteTimeout < 0:
		return errors.New("mllp: ServerConfig.WriteTimeout must not be negative")
	case c.MaxConnections < 0:
		return errors.New("mllp: ServerConfig.MaxConnections must not be negative")
	}
	return nil
}

func (c *ServerConfig) setDefaults() {
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 5 * time.Minute
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = time.Minute
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Server accepts MLLP connections and serves each in its own goroutine.
type Server struct {
	cfg ServerConfig
	log *slog.Logger

	mu        sync.Mutex
	shutdown  bool
	listeners map[net.Listener]struct{}
	conns     map[*serverConn]struct{}
	wg        sync.WaitGroup // connection goroutines
}

// serverConn is one accepted connection. idle is guarded by Server.mu.
type serverConn struct {
	nc     net.Conn
	cancel context.CancelFunc // cancels the handler context
	idle   bool
}

// NewServer validates cfg and returns a Server.
func NewServer(cfg ServerConfig) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	return &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		listeners: map[net.Listener]struct{}{},
		conns:     map[*serverConn]struct{}{},
	}, nil
}

// Serve accepts connections on l until Shutdown is called (it then returns
// ErrClosed) or ctx ends (it then closes every connection, waits for their
// goroutines and returns ctx.Err()). Serve closes l when it returns.
// Handlers get a context derived from ctx.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		l.Close()
		return ErrClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
	}()

	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()

	s.log.Info("mllp: serving", "addr", l.Addr().String(), "tls", s.cfg.TLSConfig != nil)
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				s.closeAll()
				s.wg.Wait()
				return ctx.Err()
			}
			if s.isShutdown() {
				return ErrClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// A transient accept failure (EMFILE and the like
				// surface as timeouts in net): back off and retry, as
				// net/http does.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("mllp: accept failed; retrying", "error", err, "retry_in", backoff)
				time.Sleep(backoff)
				continue
			}
			return fmt.Errorf("mllp: accept: %w", err)
		}
		backoff = 0
		connCtx, cancel := context.WithCancel(ctx)
		c := &serverConn{nc: nc, cancel: cancel, idle: true}
		if !s.track(c) {
			cancel()
			s.log.Warn("mllp: connection refused", "remote", nc.RemoteAddr().String(), "reason", "connection limit or shutdown")
			nc.Close()
			continue
		}
		go s.serveConn(connCtx, c)
	}
}

// track registers c unless the server is shutting down or full.
func (s *Server) track(c *serverConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown || s.cfg.MaxConnections > 0 && len(s.conns) >= s.cfg.MaxConnections {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) untrack(c *serverConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	c.cancel()
}

func (s *Server) isShutdown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shutdown
}

// setIdle records whether c waits for a new message. It returns false when
// the connection should stop instead, because the server is shutting down.
func (s *Server) setIdle(c *serverConn, idle bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.idle = idle
	return !(idle && s.shutdown)
}

// Shutdown stops the server gracefully: it closes the listeners and the
// connections waiting for a message, lets messages being received or
// handled finish and their ACKs be written, then closes those connections
// too. If ctx ends first, it closes everything, cancels the handlers'
// contexts and returns ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shutdown = true
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		if c.idle {
			c.nc.Close()
		}
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.closeAll()
		return ctx.Err()
	}
}

// closeAll closes every connection and cancels its handler context.
func (s *Server) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.nc.Close()
		c.cancel()
	}
}

type remoteAddrKey struct{}

// RemoteAddr returns the address of the peer that sent the message being
// handled, from a Handler's context.
func RemoteAddr(ctx context.Context) (net.Addr, bool) {
	a, ok := ctx.Value(remoteAddrKey{}).(net.Addr)
	return a, ok
}

func (s *Server) serveConn(ctx context.Context, c *serverConn) {
	defer s.wg.Done()
	defer s.untrack(c)
	defer c.nc.Close()

	nc := c.nc
	remote := nc.RemoteAddr().String()
	log := s.log.With("remote", remote)
	ctx = context.WithValue(ctx, remoteAddrKey{}, nc.RemoteAddr())

	if s.cfg.TLSConfig != nil {
		tc := tls.Server(nc, s.cfg.TLSConfig)
		hctx, cancel := context.WithTimeout(ctx, s.cfg.ReadTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			log.Warn("mllp: TLS handshake failed", "error", err)
			return
		}
		nc = tc
	}
	log.Debug("mllp: connection opened")

	rd := NewReader(nc, s.cfg.MaxMessageSize)
	rd.onStart = func() {
		s.setIdle(c, false)
		_ = nc.SetReadDeadline(time.Now().Add(s.cfg.ReadTimeout)) // a closed conn fails the read that follows
	}
	for {
		if !s.setIdle(c, true) {
			log.Debug("mllp: closing idle connection for shutdown")
			return
		}
		_ = nc.SetReadDeadline(time.Now().Add(s.cfg.IdleTimeout)) // a closed conn fails the read that follows
		msg, err := rd.ReadFrame()
		if err != nil {
			if !s.readFailed(ctx, nc, c, log, err) {
				return
			}
			continue
		}
		if !s.handle(ctx, nc, log, msg) {
			return
		}
	}
}

// readFailed deals with a ReadFrame error and reports whether the
// connection can go on.
func (s *Server) readFailed(ctx context.Context, nc net.Conn, c *serverConn, log *slog.Logger, err error) bool {
	var tl *FrameTooLargeError
	var ne net.Error
	switch {
	case errors.As(err, &tl):
		hdr, herr := hl7.ParseHeader(tl.Head)
		if herr != nil {
			log.Warn("mllp: oversized frame without a readable MSH; closing", "bytes", tl.Size, "limit", tl.Limit)
			return false
		}
		log.Warn("mllp: oversized frame rejected", "bytes", tl.Size, "limit", tl.Limit, "control_id", hdr.ControlID())
		ack := hl7.ACK(hdr, hl7.AR, hl7.WithError(hl7.ErrorDetail{
			Code:    hl7.CodeApplicationInternal,
			Message: fmt.Sprintf("message of %d bytes exceeds the maximum size of %d bytes", tl.Size, tl.Limit),
		}))
		return s.writeACK(nc, log, ack.Encode())
	case errors.Is(err, io.EOF):
		log.Debug("mllp: connection closed by peer")
	case errors.Is(err, io.ErrUnexpectedEOF):
		log.Warn("mllp: connection closed inside a frame; message dropped unacknowledged")
	case s.isShutdown() || ctx.Err() != nil:
		log.Debug("mllp: connection closed for shutdown")
	case errors.As(err, &ne) && ne.Timeout():
		s.mu.Lock()
		idle := c.idle
		s.mu.Unlock()
		if idle {
			log.Info("mllp: idle timeout; closing connection", "idle_timeout", s.cfg.IdleTimeout)
		} else {
			log.Warn("mllp: message not received within the read timeout; closing connection", "read_timeout", s.cfg.ReadTimeout)
		}
	default:
		log.Warn("mllp: read failed; closing connection", "error", err)
	}
	return false
}

// handle passes one message to the handler and writes its ACK. It reports
// whether the connection can go on.
func (s *Server) handle(ctx context.Context, nc net.Conn, log *slog.Logger, msg []byte) bool {
	start := time.Now()
	size := len(msg)
	// The control id is for logs only: read it before the handler runs
	// (msg may be reused after), but only if something will be logged.
	controlID := ""
	if log.Enabled(ctx, slog.LevelDebug) || log.Enabled(ctx, slog.LevelWarn) {
		if hdr, err := hl7.ParseHeader(msg); err == nil {
			controlID = hdr.ControlID()
		}
	}
	ack, panicked := s.callHandler(ctx, msg, log)
	if panicked {
		return false
	}
	if ack == nil {
		log.Warn("mllp: handler returned no ACK; closing connection so the sender retries",
			"control_id", controlID, "bytes", size)
		return false
	}
	if !s.writeACK(nc, log, ack) {
		return false
	}
	log.Debug("mllp: message handled", "control_id", controlID, "bytes", size, "ack_bytes", len(ack),
		"duration", time.Since(start))
	return true
}

func (s *Server) callHandler(ctx context.Context, msg []byte, log *slog.Logger) (ack []byte, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			// The panic value may quote the message; log only that it
			// happened and where.
			log.Error("mllp: handler panicked; closing connection", "stack", string(debug.Stack()))
			ack, panicked = nil, true
		}
	}()
	return s.cfg.Handler.HandleMLLP(ctx, msg), false
}

func (s *Server) writeACK(nc net.Conn, log *slog.Logger, ack []byte) bool {
	_ = nc.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout)) // a closed conn fails the write that follows
	if err := WriteFrame(nc, ack); err != nil {
		log.Warn("mllp: writing ACK failed; closing connection", "error", err)
		return false
	}
	return true
}
