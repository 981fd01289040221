package mllp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// ClientConfig configures a Client. Zero values take the defaults noted on
// each field.
type ClientConfig struct {
	// PoolSize is the most connections the client opens, and so the most
	// messages in flight at once. Default 1, because many LIS interfaces
	// expect a single connection and process it in order.
	PoolSize int
	// DialTimeout bounds connecting (and the TLS handshake). Default 10s.
	DialTimeout time.Duration
	// AckTimeout is how long Send waits for the ACK after writing the
	// message. Default 30s.
	AckTimeout time.Duration
	// MaxAckSize is the largest ACK frame accepted. Default 1 MiB.
	MaxAckSize int
	// IdleTimeout closes a pooled connection unused for this long instead
	// of reusing it, so the client does not write into a connection the
	// server is about to drop. Default 1 minute.
	IdleTimeout time.Duration
	// TLSConfig, when set, makes connections TLS client connections.
	TLSConfig *tls.Config
	// Dial replaces the default dialer (for proxies, tests).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Logger receives connection events, never message content. Default:
	// discard.
	Logger *slog.Logger
}

// Validate reports the first invalid field.
func (c ClientConfig) Validate() error {
	switch {
	case c.PoolSize < 0:
		return errors.New("mllp: ClientConfig.PoolSize must not be negative")
	case c.DialTimeout < 0:
		return errors.New("mllp: ClientConfig.DialTimeout must not be negative")
	case c.AckTimeout < 0:
		return errors.New("mllp: ClientConfig.AckTimeout must not be negative")
	case c.MaxAckSize < 0:
		return errors.New("mllp: ClientConfig.MaxAckSize must not be negative")
	case c.IdleTimeout < 0:
		return errors.New("mllp: ClientConfig.IdleTimeout must not be negative")
	}
	return nil
}

func (c *ClientConfig) setDefaults() {
	if c.PoolSize == 0 {
		c.PoolSize = 1
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = 10 * time.Second
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = 30 * time.Second
	}
	if c.MaxAckSize == 0 {
		c.MaxAckSize = 1 << 20
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Dial == nil {
		d := &net.Dialer{KeepAlive: 30 * time.Second}
		c.Dial = d.DialContext
	}
}

// SendError is the error of a failed Send. Callers decide whether to
// resend with Retryable and whether the receiver may already have the
// message with Written.
type SendError struct {
	Addr string
	// Written reports that some or all of the message may have reached
	// the server, which may then have processed it: a resend can produce a
	// duplicate, which the receiver must tolerate (MSH-10).
	Written bool
	Err     error
}

func (e *SendError) Error() string {
	s := "mllp: send to " + e.Addr + ": " + e.Err.Error()
	if e.Written {
		s += " (the message may have been delivered)"
	}
	return s
}

func (e *SendError) Unwrap() error { return e.Err }

// Retryable reports whether sending the same message again may succeed:
// true for connection failures and timeouts, false when the client was
// closed, the caller cancelled, or the message or the peer's answer cannot
// be framed.
func (e *SendError) Retryable() bool {
	switch {
	case errors.Is(e.Err, ErrClosed), errors.Is(e.Err, context.Canceled),
		errors.Is(e.Err, ErrInvalidMessage), errors.Is(e.Err, ErrFrameTooLarge):
		return false
	}
	return true
}

// IsRetryable reports whether err says the operation may succeed if
// repeated: it looks for a Retryable() bool method in err's chain.
func IsRetryable(err error) bool {
	var r interface{ Retryable() bool }
	return errors.As(err, &r) && r.Retryable()
}

// Client sends messages to one MLLP server over a small pool of
// connections and returns their ACKs. It is safe for concurrent use.
type Client struct {
	addr string
	cfg  ClientConfig
	log  *slog.Logger

	slots chan struct{}    // one token per connection in use
	idle  chan *clientConn // connections ready for reuse
	done  chan struct{}    // closed by Close

	mu     sync.Mutex
	closed bool
	conns  map[*clientConn]struct{}
}

// clientConn is one pooled connection with its reader goroutine. The
// goroutine reads ACK frames continuously, so a connection the server
// closed while it sat in the pool is noticed before anything is written
// to it.
type clientConn struct {
	nc       net.Conn
	frames   chan frameOrErr // ACKs, buffered 1
	dead     chan struct{}   // closed when the reader goroutine ends
	err      error           // why it ended; read after dead is closed
	lastUsed time.Time
}

type frameOrErr struct {
	frame []byte
	err   error
}

// NewClient returns a client for addr ("host:port"). It does not connect;
// the first Send does.
func NewClient(addr string, cfg ClientConfig) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	return &Client{
		addr:  addr,
		cfg:   cfg,
		log:   cfg.Logger.With("addr", addr),
		slots: make(chan struct{}, cfg.PoolSize),
		idle:  make(chan *clientConn, cfg.PoolSize),
		done:  make(chan struct{}),
		conns: map[*clientConn]struct{}{},
	}, nil
}

// Dial is NewClient followed by opening one connection, so that a wrong
// address or certificate fails at start-up rather than on the first
// message.
func Dial(ctx context.Context, addr string, cfg ClientConfig) (*Client, error) {
	c, err := NewClient(addr, cfg)
	if err != nil {
		return nil, err
	}
	cc, err := c.dial(ctx)
	if err != nil {
		c.Close()
		return nil, &SendError{Addr: addr, Err: err}
	}
	c.idle <- cc
	return c, nil
}

// Send writes msg as one frame and returns the ACK frame's content.
//
// A pooled connection found dead before anything was written to it is
// replaced by a fresh one, and a write that fails before any byte was
// accepted is retried once on a fresh connection. Any other failure is
// returned as a *SendError: ErrTimeout when no ACK came within AckTimeout,
// ErrClosed after Close, ErrFrameTooLarge for an oversized ACK, or the
// network error. Send never retries once the message may have been
// written: whether to resend is the caller's decision (see IsRetryable and
// SendError.Written).
func (c *Client) Send(ctx context.Context, msg []byte) ([]byte, error) {
	if err := checkMessage(msg); err != nil {
		return nil, &SendError{Addr: c.addr, Err: err}
	}
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, &SendError{Addr: c.addr, Err: ctx.Err()}
	case <-c.done:
		return nil, &SendError{Addr: c.addr, Err: ErrClosed}
	}
	defer func() { <-c.slots }()

	frame := AppendFrame(make([]byte, 0, len(msg)+3), msg)
	for attempt := 0; ; attempt++ {
		cc, fresh, err := c.conn(ctx)
		if err != nil {
			return nil, &SendError{Addr: c.addr, Err: err}
		}
		ack, written, err := c.roundTrip(ctx, cc, frame)
		if err == nil {
			c.release(cc)
			return ack, nil
		}
		c.discard(cc)
		if !written && !fresh && attempt == 0 && ctx.Err() == nil {
			c.log.Debug("mllp: pooled connection failed before writing; retrying on a new one", "error", err)
			continue
		}
		return nil, &SendError{Addr: c.addr, Written: written, Err: err}
	}
}

// conn returns a healthy pooled connection, or a new one (fresh).
func (c *Client) conn(ctx context.Context) (cc *clientConn, fresh bool, err error) {
	for {
		select {
		case cc = <-c.idle:
		default:
			cc, err = c.dial(ctx)
			return cc, true, err
		}
		select {
		case <-cc.dead:
			c.log.Debug("mllp: pooled connection was closed by the server; reconnecting", "error", cc.err)
		default:
			if len(cc.frames) > 0 {
				c.log.Warn("mllp: server sent a frame nobody asked for; dropping the connection")
			} else if hasPendingInput(cc.nc) {
				c.log.Debug("mllp: pooled connection is being closed by the server; reconnecting")
			} else if time.Since(cc.lastUsed) > c.cfg.IdleTimeout {
				c.log.Debug("mllp: pooled connection idle too long; reconnecting")
			} else {
				return cc, false, nil
			}
		}
		c.discard(cc)
	}
}

func (c *Client) dial(ctx context.Context) (*clientConn, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	dctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	nc, err := c.cfg.Dial(dctx, "tcp", c.addr)
	if err != nil {
		return nil, err
	}
	if c.cfg.TLSConfig != nil {
		cfg := c.cfg.TLSConfig
		if cfg.ServerName == "" {
			cfg = cfg.Clone()
			cfg.ServerName, _, _ = net.SplitHostPort(c.addr)
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(dctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		nc = tc
	}
	cc := &clientConn{nc: nc, frames: make(chan frameOrErr, 1), dead: make(chan struct{}), lastUsed: time.Now()}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		nc.Close()
		return nil, ErrClosed
	}
	c.conns[cc] = struct{}{}
	c.mu.Unlock()
	go cc.readLoop(c.cfg.MaxAckSize)
	c.log.Debug("mllp: connected", "local", nc.LocalAddr().String())
	return cc, nil
}

func (cc *clientConn) readLoop(maxSize int) {
	defer close(cc.dead)
	rd := NewReader(cc.nc, maxSize)
	for {
		f, err := rd.ReadFrame()
		if err != nil {
			cc.err = err
			select { // hand a size error to the waiting Send
			case cc.frames <- frameOrErr{err: err}:
			default:
			}
			return
		}
		select {
		case cc.frames <- frameOrErr{frame: append([]byte(nil), f...)}:
		default:
			// A second frame before the first was taken: the peer is not
			// speaking request/response; stop reading, the connection
			// will be dropped.
			cc.err = errors.New("unexpected frame from server")
			return
		}
	}
}

// roundTrip writes frame and waits for the ACK. written reports whether
// any byte of the frame may have been accepted by the network.
func (c *Client) roundTrip(ctx context.Context, cc *clientConn, frame []byte) (ack []byte, written bool, err error) {
	deadline := time.Now().Add(c.cfg.AckTimeout)
	ctxDeadline := false
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline, ctxDeadline = d, true
	}
	_ = cc.nc.SetWriteDeadline(deadline) // a closed conn fails the write that follows
	// A blocked write must also end when the caller gives up.
	stop := context.AfterFunc(ctx, func() { _ = cc.nc.SetWriteDeadline(time.Now()) })
	n, err := cc.nc.Write(frame)
	stop()
	if err != nil {
		return nil, n > 0, err
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case r := <-cc.frames:
		return r.frame, true, r.err
	case <-cc.dead:
		select { // the ACK may have arrived just before the close
		case r := <-cc.frames:
			return r.frame, true, r.err
		default:
		}
		return nil, true, fmt.Errorf("connection closed before the ACK: %w", cc.err)
	case <-timer.C:
		if ctxDeadline { // the caller's deadline, not ours
			return nil, true, context.DeadlineExceeded
		}
		return nil, true, fmt.Errorf("%w (%v)", ErrTimeout, c.cfg.AckTimeout)
	case <-ctx.Done():
		return nil, true, ctx.Err()
	}
}

// release returns a healthy connection to the pool.
func (c *Client) release(cc *clientConn) {
	cc.lastUsed = time.Now()
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		c.discard(cc)
		return
	}
	select {
	case c.idle <- cc:
	default: // cannot happen: at most PoolSize connections exist
		c.discard(cc)
	}
}

// discard closes a connection and waits for its reader goroutine.
func (c *Client) discard(cc *clientConn) {
	cc.nc.Close()
	<-cc.dead
	c.mu.Lock()
	delete(c.conns, cc)
	c.mu.Unlock()
}

// Close closes every connection; sends in progress fail, and later ones
// return ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.done)
	conns := make([]*clientConn, 0, len(c.conns))
	for cc := range c.conns {
		conns = append(conns, cc)
	}
	c.mu.Unlock()
	for _, cc := range conns {
		cc.nc.Close()
		<-cc.dead
	}
	for {
		select {
		case cc := <-c.idle:
			c.discard(cc)
		default:
			return nil
		}
	}
}
