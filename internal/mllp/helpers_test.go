package mllp_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/mllp"
)

// patientName appears in every test message; logs must never contain it.
const patientName = "Secretname"

func message(controlID string) []byte {
	return []byte("MSH|^~\\&|LIS|LAB|IMP|HQ|20240305143000+0700||ORU^R01^ORU_R01|" + controlID + "|P|2.5.1\r" +
		"PID|1||PAT0042^^^LAB^MR||" + patientName + "^Malee||19770101|F\r" +
		"OBX|1|NM|2345-7^Glucose^LN||5.4|mmol/L|||||F\r")
}

// ackHandler acknowledges every message with AA, or AR if it does not parse.
var ackHandler = mllp.HandlerFunc(func(_ context.Context, msg []byte) []byte {
	m, err := hl7.Parse(msg)
	if err != nil {
		return hl7.ACKForError(msg, err).Encode()
	}
	return hl7.ACK(m, hl7.AA).Encode()
})

type testServer struct {
	addr     string
	srv      *mllp.Server
	served   chan error // Serve's result
	stopOnce sync.Once
}

// startServer serves cfg on a loopback port until the test ends.
func startServer(t *testing.T, cfg mllp.ServerConfig) *testServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, l, cfg)
}

func serveOn(t *testing.T, l net.Listener, cfg mllp.ServerConfig) *testServer {
	t.Helper()
	if cfg.Handler == nil {
		cfg.Handler = ackHandler
	}
	srv, err := mllp.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{addr: l.Addr().String(), srv: srv, served: make(chan error, 1)}
	go func() { ts.served <- srv.Serve(context.Background(), l) }()
	t.Cleanup(func() { ts.stop(t) })
	return ts
}

// stop shuts the server down (once) and waits for Serve to return.
func (ts *testServer) stop(t *testing.T) {
	t.Helper()
	ts.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := ts.srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		select {
		case err := <-ts.served:
			if !errors.Is(err, mllp.ErrClosed) {
				t.Errorf("Serve returned %v, want ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Serve did not return after Shutdown")
		}
	})
}

func newClient(t *testing.T, addr string, cfg mllp.ClientConfig) *mllp.Client {
	t.Helper()
	c, err := mllp.NewClient(addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// checkACK parses ack and checks its code and MSA-2.
func checkACK(t *testing.T, ack []byte, code hl7.AckCode, controlID string) *hl7.Message {
	t.Helper()
	m, err := hl7.Parse(ack)
	if err != nil {
		t.Fatalf("ACK does not parse: %v", err)
	}
	if got := m.MSA().AckCode(); got != code {
		t.Errorf("MSA-1 = %q, want %q", got, code)
	}
	if got := m.MSA().ControlID(); got != controlID {
		t.Errorf("MSA-2 = %q, want %q", got, controlID)
	}
	return m
}

func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readClosed waits for the server to close c and fails if it does not
// within d.
func readClosed(t *testing.T, c net.Conn, d time.Duration) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 1024)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("connection still open after %v", d)
		}
		return
	}
}

// logBuffer collects log output for content checks.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testCerts returns a server TLS config with a fresh self-signed
// certificate for 127.0.0.1 and a client config trusting it.
func testCerts(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "imp-mllp-test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return server, client
}

func id(i int) string { return fmt.Sprintf("C%05d", i) }

func testingProcs() int { return runtime.GOMAXPROCS(0) }
