package mllp_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/mllp"
)

func TestServerRoundTrip(t *testing.T) {
	t.Parallel()
	h := mllp.HandlerFunc(func(ctx context.Context, msg []byte) []byte {
		if a, ok := mllp.RemoteAddr(ctx); !ok || !strings.HasPrefix(a.String(), "127.0.0.1:") {
			t.Errorf("RemoteAddr = %v, %v", a, ok)
		}
		return ackHandler(ctx, msg)
	})
	ts := startServer(t, mllp.ServerConfig{Handler: h})
	c := newClient(t, ts.addr, mllp.ClientConfig{})
	for i := range 3 {
		ack, err := c.Send(context.Background(), message(id(i)))
		if err != nil {
			t.Fatal(err)
		}
		checkACK(t, ack, hl7.AA, id(i))
	}
}

func TestServerPartialFrames(t *testing.T) {
	t.Parallel()
	ts := startServer(t, mllp.ServerConfig{})
	conn := dialRaw(t, ts.addr)
	frame := mllp.AppendFrame(nil, message("SLOW1"))
	// One byte per write; Go sets TCP_NODELAY, so these leave as separate
	// segments and arrive in separate reads.
	for _, b := range frame {
		if _, err := conn.Write([]byte{b}); err != nil {
			t.Fatal(err)
		}
	}
	ack, err := mllp.NewReader(conn, 0).ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	checkACK(t, ack, hl7.AA, "SLOW1")
}

func TestServerJunkBetweenFrames(t *testing.T) {
	t.Parallel()
	ts := startServer(t, mllp.ServerConfig{})
	conn := dialRaw(t, ts.addr)
	var stream []byte
	stream = append(stream, "\r\n  junk\x1c\r"...)
	stream = mllp.AppendFrame(stream, message("J1"))
	stream = append(stream, "\r\n\n"...)
	stream = mllp.AppendFrame(stream, message("J2"))
	if _, err := conn.Write(stream); err != nil {
		t.Fatal(err)
	}
	rd := mllp.NewReader(conn, 0)
	for _, want := range []string{"J1", "J2"} {
		ack, err := rd.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		checkACK(t, ack, hl7.AA, want)
	}
}

func TestServerOversizedFrame(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	h := mllp.HandlerFunc(func(ctx context.Context, msg []byte) []byte {
		calls.Add(1)
		return ackHandler(ctx, msg)
	})
	ts := startServer(t, mllp.ServerConfig{Handler: h, MaxMessageSize: 500})
	conn := dialRaw(t, ts.addr)
	big := append(message("BIG1"), strings.Repeat("OBX|2|ED|PDF^Report||^AP^PDF^Base64^"+strings.Repeat("QUFB", 100)+"\r", 5)...)
	if _, err := conn.Write(mllp.AppendFrame(nil, big)); err != nil {
		t.Fatal(err)
	}
	rd := mllp.NewReader(conn, 0)
	ack, err := rd.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	m := checkACK(t, ack, hl7.AR, "BIG1")
	if !strings.Contains(m.ERR().UserMessage(), "exceeds the maximum size of 500 bytes") {
		t.Errorf("ERR-8 = %q", m.ERR().UserMessage())
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("handler called %d times for an oversized frame", n)
	}
	// The server resynchronised: the next message on the same connection
	// is handled.
	if err := mllp.WriteFrame(conn, message("SMALL1")); err != nil {
		t.Fatal(err)
	}
	ack, err = rd.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	checkACK(t, ack, hl7.AA, "SMALL1")
}

func TestServerOversizedFrameWithoutMSH(t *testing.T) {
	t.Parallel()
	ts := startServer(t, mllp.ServerConfig{MaxMessageSize: 100})
	conn := dialRaw(t, ts.addr)
	if _, err := conn.Write(mllp.AppendFrame(nil, []byte(strings.Repeat("x", 1000)))); err != nil {
		t.Fatal(err)
	}
	readClosed(t, conn, 5*time.Second)
}

func TestServerIdleTimeout(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	ts := startServer(t, mllp.ServerConfig{IdleTimeout: 100 * time.Millisecond, Logger: logs.logger()})
	conn := dialRaw(t, ts.addr)
	start := time.Now()
	readClosed(t, conn, 5*time.Second)
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Errorf("closed after %v, before the idle timeout", d)
	}
	waitForLog(t, logs, "idle timeout")
}

func TestServerReadTimeout(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	h := mllp.HandlerFunc(func(ctx context.Context, msg []byte) []byte { calls.Add(1); return ackHandler(ctx, msg) })
	logs := &logBuffer{}
	ts := startServer(t, mllp.ServerConfig{Handler: h, IdleTimeout: 10 * time.Second, ReadTimeout: 150 * time.Millisecond, Logger: logs.logger()})
	conn := dialRaw(t, ts.addr)
	// A slow client: starts a frame and stalls.
	frame := mllp.AppendFrame(nil, message("STALL"))
	if _, err := conn.Write(frame[:20]); err != nil {
		t.Fatal(err)
	}
	readClosed(t, conn, 5*time.Second)
	if calls.Load() != 0 {
		t.Error("handler called for an incomplete frame")
	}
	waitForLog(t, logs, "read timeout")
}

func TestServerDroppedMidFrame(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	h := mllp.HandlerFunc(func(ctx context.Context, msg []byte) []byte { calls.Add(1); return ackHandler(ctx, msg) })
	logs := &logBuffer{}
	ts := startServer(t, mllp.ServerConfig{Handler: h, Logger: logs.logger()})
	conn, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	frame := mllp.AppendFrame(nil, message("DROP"))
	if _, err := conn.Write(frame[:len(frame)/2]); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	waitForLog(t, logs, "inside a frame")
	if calls.Load() != 0 {
		t.Error("handler called for half a frame")
	}
	// Other connections are unaffected.
	ack, err := newClient(t, ts.addr, mllp.ClientConfig{}).Send(context.Background(), message("AFTER"))
	if err != nil {
		t.Fatal(err)
	}
	checkACK(t, ack, hl7.AA, "AFTER")
}

// orderConn records when ACKs are written, interleaved with handler calls.
type orderConn struct {
	net.Conn
	events *eventLog
}

func (c orderConn) Write(p []byte) (int, error) {
	c.events.add("ack")
	return c.Conn.Write(p)
}

type orderListener struct {
	net.Listener
	events *eventLog
}

func (l orderListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return orderConn{c, l.events}, nil
}

type eventLog struct {
	mu     sync.Mutex
	events []string
}

func (e *eventLog) add(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, s)
}

func TestServerHandlesOneConnectionInOrder(t *testing.T) {
	t.Parallel()
	events := &eventLog{}
	var inFlight atomic.Int32
	h := mllp.HandlerFunc(func(ctx context.Context, msg []byte) []byte {
		if inFlight.Add(1) > 1 {
			t.Error("two messages of one connection handled at once")
		}
		defer inFlight.Add(-1)
		m, err := hl7.Parse(msg)
		if err != nil {
			t.Error(err)
			return nil
		}
		events.add("handle " + m.ControlID())
		time.Sleep(10 * time.Millisecond) // give a wrong implementation time to read ahead
		return hl7.ACK(m, hl7.AA).Encode()
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := serveOn(t, orderListener{l, events}, mllp.ServerConfig{Handler: h})
	conn := dialRaw(t, ts.addr)
	// The peer pipelines five messages in one write.
	var stream []byte
	for i := range 5 {
		stream = mllp.AppendFrame(stream, message(id(i)))
	}
	if _, err := conn.Write(stream); err != nil {
		t.Fatal(err)
	}
	rd := mllp.NewReader(conn, 0)
	var want []string
	for i := range 5 {
		ack, err := rd.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		checkACK(t, ack, hl7.AA, id(i))
		want = append(want, "handle "+id(i), "ack")
	}
	events.mu.Lock()
	defer events.mu.Unlock()
	if strings.Join(events.events, ",") != strings.Join(want, ",") {
		t.Errorf("events %q, want %q", events.events, want)
	}
}

func TestServerConcurrentConnections(t *testing.T) {
	t.Parallel()
	const conns, perConn = 50, 5
	var active, peak atomic.Int32
	h := mllp.HandlerFunc(func(ctx context.Context, msg []byte) []byte {
		n := active.Add(1)
		defer active.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		return ackHandler(ctx, msg)
	})
	ts := startServer(t, mllp.ServerConfig{Handler: h})
	var wg sync.WaitGroup
	for c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := mllp.NewClient(ts.addr, mllp.ClientConfig{})
			if err != nil {
				t.Error(err)
				return
			}
			defer cl.Close()
			for i := range perConn {
				want := id(c*100 + i)
				ack, err := cl.Send(context.Background(), message(want))
				if err != nil {
					t.Error(err)
					return
				}
				checkACK(t, ack, hl7.AA, want)
			}
		}()
	}
	wg.Wait()
	if peak.Load() < 2 {
		t.Errorf("connections were not served concurrently (peak %d)", peak.Load())
	}
}

func TestServerShutdownIsGraceful(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	release := make(chan struct{})
	h := mllp.HandlerFunc(func(ctx context.Context, msg []byte) []byte {
		if strings.Contains(string(msg), "|SLOWMSG|") {
			close(started)
			<-release
		}
		return ackHandler(ctx, msg)
	})
	ts := startServer(t, mllp.ServerConfig{Handler: h})

	idle := dialRaw(t, ts.addr) // connected, sends nothing
	inflight := newClient(t, ts.addr, mllp.ClientConfig{})
	result := make(chan error, 1)
	go func() {
		ack, err := inflight.Send(context.Background(), message("SLOWMSG"))
		if err == nil {
			_, err = hl7.Parse(ack)
		}
		result <- err
	}()
	<-started

	shutdown := make(chan error, 1)
	go func() { shutdown <- ts.srv.Shutdown(context.Background()) }()

	readClosed(t, idle, 5*time.Second) // idle connections are closed at once
	if _, err := net.DialTimeout("tcp", ts.addr, time.Second); err == nil {
		t.Error("new connections still accepted during shutdown")
	}
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned %v while a message was in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-result; err != nil {
		t.Errorf("in-flight message: %v", err)
	}
	if err := <-shutdown; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if err := <-ts.served; !errors.Is(err, mllp.ErrClosed) {
		t.Errorf("Serve = %v, want ErrClosed", err)
	}
	ts.served <- mllp.ErrClosed // for the cleanup's stop
}

func TestServerShutdownDeadline(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	cancelled := make(chan struct{})
	h := mllp.HandlerFunc(func(ctx context.Context, msg []byte) []byte {
		close(started)
		<-ctx.Done() // a handler that only stops when told to
		close(cancelled)
		return nil
	})
	ts := startServer(t, mllp.ServerConfig{Handler: h})
	c := newClient(t, ts.addr, mllp.ClientConfig{})
	sent := make(chan error, 1)
	go func() { _, err := c.Send(context.Background(), message("STUCK")); sent <- err }()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want DeadlineExceeded", err)
	}
	<-cancelled
	if err := <-sent; err == nil || !mllp.IsRetryable(err) {
		t.Errorf("Send = %v, want a retryable error", err)
	}
}

func TestServeStopsWithContext(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mllp.NewServer(mllp.ServerConfig{Handler: ackHandler})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, l) }()
	conn := dialRaw(t, l.Addr().String())
	if err := mllp.WriteFrame(conn, message("CTX1")); err != nil {
		t.Fatal(err)
	}
	if _, err := mllp.NewReader(conn, 0).ReadFrame(); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-served; !errors.Is(err, context.Canceled) {
		t.Errorf("Serve = %v, want context.Canceled", err)
	}
	readClosed(t, conn, 5*time.Second)
	if err := srv.Serve(context.Background(), l); err == nil {
		t.Error("Serve on a closed listener succeeded")
	}
}

func TestServerHandlerFailures(t *testing.T) {
	t.Parallel()
	h := mllp.HandlerFunc(func(ctx context.Context, msg []byte) []byte {
		switch {
		case strings.Contains(string(msg), "|PANIC|"):
			panic("handler bug with " + string(msg)) // the panic value quotes the message
		case strings.Contains(string(msg), "|NOACK|"):
			return nil
		}
		return ackHandler(ctx, msg)
	})
	logs := &logBuffer{}
	ts := startServer(t, mllp.ServerConfig{Handler: h, Logger: logs.logger()})
	c := newClient(t, ts.addr, mllp.ClientConfig{})
	for _, ctrl := range []string{"PANIC", "NOACK"} {
		_, err := c.Send(context.Background(), message(ctrl))
		var se *mllp.SendError
		if !errors.As(err, &se) || !se.Written || !se.Retryable() {
			t.Errorf("%s: Send = %v, want a retryable error after writing", ctrl, err)
		}
		// The server is still serving.
		ack, err := c.Send(context.Background(), message("OK"+ctrl))
		if err != nil {
			t.Fatal(err)
		}
		checkACK(t, ack, hl7.AA, "OK"+ctrl)
	}
	if s := logs.String(); !strings.Contains(s, "panicked") || strings.Contains(s, patientName) {
		t.Errorf("panic not logged, or logged with message content:\n%s", s)
	}
}

func TestServerTLS(t *testing.T) {
	t.Parallel()
	serverTLS, clientTLS := testCerts(t)
	ts := startServer(t, mllp.ServerConfig{TLSConfig: serverTLS, ReadTimeout: 2 * time.Second})
	c := newClient(t, ts.addr, mllp.ClientConfig{TLSConfig: clientTLS})
	for i := range 2 {
		ack, err := c.Send(context.Background(), message(id(i)))
		if err != nil {
			t.Fatal(err)
		}
		checkACK(t, ack, hl7.AA, id(i))
	}
	// A plain-text peer gets nothing.
	plain := newClient(t, ts.addr, mllp.ClientConfig{AckTimeout: 3 * time.Second})
	if _, err := plain.Send(context.Background(), message("PLAIN")); err == nil {
		t.Error("plain-text client got an ACK from a TLS server")
	}
	// A client that does not trust the certificate fails to connect.
	untrusting := newClient(t, ts.addr, mllp.ClientConfig{TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12}})
	_, err := untrusting.Send(context.Background(), message("UNTRUSTED"))
	var se *mllp.SendError
	if !errors.As(err, &se) || se.Written {
		t.Errorf("untrusted certificate: Send = %v, want a failure before writing", err)
	}
}

func TestServerLogsNoContent(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	ts := startServer(t, mllp.ServerConfig{Logger: logs.logger(), MaxMessageSize: 300})
	c := newClient(t, ts.addr, mllp.ClientConfig{})
	if _, err := c.Send(context.Background(), message("LOGGED1")); err != nil {
		t.Fatal(err)
	}
	big := append(message("LOGGED2"), strings.Repeat("NTE|1||"+patientName+"\r", 20)...)
	if ack, err := c.Send(context.Background(), big); err != nil {
		t.Fatal(err)
	} else {
		checkACK(t, ack, hl7.AR, "LOGGED2")
	}
	ts.stop(t)
	s := logs.String()
	for _, secret := range []string{patientName, "PAT0042", "19770101", "Glucose"} {
		if strings.Contains(s, secret) {
			t.Errorf("log contains message content %q:\n%s", secret, s)
		}
	}
	for _, want := range []string{"LOGGED1", "LOGGED2", "remote="} {
		if !strings.Contains(s, want) {
			t.Errorf("log lacks %q:\n%s", want, s)
		}
	}
}

func TestServerMaxConnections(t *testing.T) {
	t.Parallel()
	ts := startServer(t, mllp.ServerConfig{MaxConnections: 1})
	first := newClient(t, ts.addr, mllp.ClientConfig{})
	if _, err := first.Send(context.Background(), message("FIRST")); err != nil {
		t.Fatal(err)
	}
	second := dialRaw(t, ts.addr)
	readClosed(t, second, 5*time.Second)
	if _, err := first.Send(context.Background(), message("FIRST2")); err != nil {
		t.Errorf("the first connection was disturbed: %v", err)
	}
}

func TestServerConfigValidate(t *testing.T) {
	t.Parallel()
	bad := []mllp.ServerConfig{
		{},
		{Handler: ackHandler, MaxMessageSize: -1},
		{Handler: ackHandler, IdleTimeout: -1},
		{Handler: ackHandler, ReadTimeout: -1},
		{Handler: ackHandler, WriteTimeout: -1},
		{Handler: ackHandler, MaxConnections: -1},
	}
	for i, cfg := range bad {
		if _, err := mllp.NewServer(cfg); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
}

// waitForLog polls until the log contains s.
func waitForLog(t *testing.T, logs *logBuffer, s string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("log never contained %q:\n%s", s, logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
