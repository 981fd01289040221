package mllp_test

import (
	"context"
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

func TestClientAckTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	h := mllp.HandlerFunc(func(ctx context.Context, msg []byte) []byte {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return ackHandler(ctx, msg)
	})
	ts := startServer(t, mllp.ServerConfig{Handler: h})
	defer close(release)
	c := newClient(t, ts.addr, mllp.ClientConfig{AckTimeout: 100 * time.Millisecond})
	start := time.Now()
	_, err := c.Send(context.Background(), message("LATE"))
	var se *mllp.SendError
	if !errors.Is(err, mllp.ErrTimeout) || !errors.As(err, &se) || !se.Written || !mllp.IsRetryable(err) {
		t.Fatalf("Send = %v, want a retryable ErrTimeout after writing", err)
	}
	if d := time.Since(start); d < 90*time.Millisecond || d > 3*time.Second {
		t.Errorf("timed out after %v", d)
	}
	if strings.Contains(err.Error(), patientName) {
		t.Errorf("error %q contains message content", err)
	}
}

func TestClientReconnectsAfterServerRestart(t *testing.T) {
	t.Parallel()
	first := startServer(t, mllp.ServerConfig{})
	c := newClient(t, first.addr, mllp.ClientConfig{})
	if _, err := c.Send(context.Background(), message("BEFORE")); err != nil {
		t.Fatal(err)
	}
	first.stop(t) // closes the pooled connection from the server side

	// While the server is down, sends fail before writing and may be
	// retried.
	_, err := c.Send(context.Background(), message("DOWN"))
	var se *mllp.SendError
	if !errors.As(err, &se) || se.Written || !se.Retryable() {
		t.Errorf("Send to a stopped server = %v, want a retryable error before writing", err)
	}

	l, err := net.Listen("tcp", first.addr)
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int32
	second := serveOn(t, countingListener{l, &accepted}, mllp.ServerConfig{})
	ack, err := c.Send(context.Background(), message("AFTER"))
	if err != nil {
		t.Fatalf("Send after restart: %v", err)
	}
	checkACK(t, ack, hl7.AA, "AFTER")
	if n := accepted.Load(); n != 1 {
		t.Errorf("restarted server accepted %d connections, want 1", n)
	}
	_ = second
}

type countingListener struct {
	net.Listener
	n *atomic.Int32
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

func TestClientReplacesConnectionClosedWhileIdle(t *testing.T) {
	t.Parallel()
	var accepted atomic.Int32
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := serveOn(t, countingListener{l, &accepted}, mllp.ServerConfig{IdleTimeout: 50 * time.Millisecond})
	c := newClient(t, ts.addr, mllp.ClientConfig{})
	for i := range 3 {
		if i > 0 {
			time.Sleep(200 * time.Millisecond) // the server drops the idle connection
		}
		ack, err := c.Send(context.Background(), message(id(i)))
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		checkACK(t, ack, hl7.AA, id(i))
	}
	if n := accepted.Load(); n != 3 {
		t.Errorf("%d connections, want a new one per send", n)
	}
}

func TestClientConnectionDroppedAfterWrite(t *testing.T) {
	t.Parallel()
	h := mllp.HandlerFunc(func(ctx context.Context, msg []byte) []byte {
		if strings.Contains(string(msg), "|DROPME|") {
			return nil // the server closes without ACK
		}
		return ackHandler(ctx, msg)
	})
	ts := startServer(t, mllp.ServerConfig{Handler: h})
	c := newClient(t, ts.addr, mllp.ClientConfig{})
	_, err := c.Send(context.Background(), message("DROPME"))
	var se *mllp.SendError
	if !errors.As(err, &se) || !se.Written || !se.Retryable() {
		t.Fatalf("Send = %v, want a retryable error after writing", err)
	}
	if !strings.Contains(err.Error(), "may have been delivered") {
		t.Errorf("error %q does not warn about a possible duplicate", err)
	}
	ack, err := c.Send(context.Background(), message("NEXT"))
	if err != nil {
		t.Fatal(err)
	}
	checkACK(t, ack, hl7.AA, "NEXT")
}

func TestClientPoolSize(t *testing.T) {
	t.Parallel()
	var active, peak atomic.Int32
	h := mllp.HandlerFunc(func(ctx context.Context, msg []byte) []byte {
		n := active.Add(1)
		defer active.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(30 * time.Millisecond)
		return ackHandler(ctx, msg)
	})
	var accepted atomic.Int32
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := serveOn(t, countingListener{l, &accepted}, mllp.ServerConfig{Handler: h})
	c := newClient(t, ts.addr, mllp.ClientConfig{PoolSize: 3})
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ack, err := c.Send(context.Background(), message(id(i)))
			if err != nil {
				t.Error(err)
				return
			}
			checkACK(t, ack, hl7.AA, id(i))
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 3 || p < 2 {
		t.Errorf("peak concurrency %d, want 2..3", p)
	}
	if n := accepted.Load(); n != 3 {
		t.Errorf("%d connections opened, want 3 reused ones", n)
	}
}

func TestClientErrors(t *testing.T) {
	t.Parallel()
	bigACK := mllp.HandlerFunc(func(ctx context.Context, msg []byte) []byte {
		return []byte(strings.Repeat("A", 2000))
	})
	ts := startServer(t, mllp.ServerConfig{Handler: bigACK})

	t.Run("ACK too large", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, ts.addr, mllp.ClientConfig{MaxAckSize: 100})
		_, err := c.Send(context.Background(), message("X"))
		if !errors.Is(err, mllp.ErrFrameTooLarge) || mllp.IsRetryable(err) {
			t.Errorf("Send = %v, want a permanent ErrFrameTooLarge", err)
		}
	})
	t.Run("invalid message", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, ts.addr, mllp.ClientConfig{})
		_, err := c.Send(context.Background(), []byte("MSH|\x1c"))
		if !errors.Is(err, mllp.ErrInvalidMessage) || mllp.IsRetryable(err) {
			t.Errorf("Send = %v, want a permanent ErrInvalidMessage", err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, ts.addr, mllp.ClientConfig{})
		c.Close()
		_, err := c.Send(context.Background(), message("X"))
		if !errors.Is(err, mllp.ErrClosed) || mllp.IsRetryable(err) {
			t.Errorf("Send = %v, want a permanent ErrClosed", err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("second Close = %v", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		stall := stallingServer(t)
		c := newClient(t, stall.addr, mllp.ClientConfig{})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := c.Send(ctx, message("X"))
		if !errors.Is(err, context.Canceled) || mllp.IsRetryable(err) {
			t.Errorf("Send = %v, want a permanent context.Canceled", err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		t.Parallel()
		stall := stallingServer(t)
		c := newClient(t, stall.addr, mllp.ClientConfig{})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Send(ctx, message("X"))
		if !errors.Is(err, context.DeadlineExceeded) || !mllp.IsRetryable(err) {
			t.Errorf("Send = %v, want a retryable DeadlineExceeded", err)
		}
	})
	t.Run("nothing listening", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		if _, err := mllp.Dial(context.Background(), addr, mllp.ClientConfig{}); err == nil || !mllp.IsRetryable(err) {
			t.Errorf("Dial = %v, want a retryable error", err)
		}
		c := newClient(t, addr, mllp.ClientConfig{})
		_, err = c.Send(context.Background(), message("X"))
		var se *mllp.SendError
		if !errors.As(err, &se) || se.Written || !se.Retryable() {
			t.Errorf("Send = %v, want a retryable error before writing", err)
		}
	})
	t.Run("bad config", func(t *testing.T) {
		t.Parallel()
		for _, cfg := range []mllp.ClientConfig{{PoolSize: -1}, {AckTimeout: -1}, {DialTimeout: -1}, {MaxAckSize: -1}, {IdleTimeout: -1}} {
			if _, err := mllp.NewClient("127.0.0.1:1", cfg); err == nil {
				t.Errorf("config %+v accepted", cfg)
			}
		}
	})
}

func TestDial(t *testing.T) {
	t.Parallel()
	var accepted atomic.Int32
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := serveOn(t, countingListener{l, &accepted}, mllp.ServerConfig{})
	c, err := mllp.Dial(context.Background(), ts.addr, mllp.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ack, err := c.Send(context.Background(), message("DIALED"))
	if err != nil {
		t.Fatal(err)
	}
	checkACK(t, ack, hl7.AA, "DIALED")
	if n := accepted.Load(); n != 1 {
		t.Errorf("%d connections, want the dialled one reused", n)
	}
}

// stallingServer never answers; its handlers return when the test ends.
func stallingServer(t *testing.T) *testServer {
	release := make(chan struct{})
	ts := startServer(t, mllp.ServerConfig{Handler: mllp.HandlerFunc(func(ctx context.Context, _ []byte) []byte {
		select {
		case <-ctx.Done():
		case <-release:
		}
		return nil
	})})
	t.Cleanup(func() { close(release) }) // runs before the server's stop
	return ts
}
