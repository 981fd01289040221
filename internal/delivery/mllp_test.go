package delivery_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/delivery"
	"github.com/imp-health/imp/internal/delivery/deliverytest"
	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/mllp"
)

// oru builds an ORU^R01 with MSH-10 = id and the marker as the patient
// name, "\r" segment ends as on the wire.
func oru(id, marker string) []byte {
	return []byte("MSH|^~\\&|IMP|LAB|LIS|HOSP|20261127083000||ORU^R01^ORU_R01|" + id + "|P|2.5.1\r" +
		"PID|1||12345^^^LAB^MR||" + marker + "\r" +
		"OBR|1|||GLU^Glucose^L\r" +
		"OBX|1|NM|GLU^Glucose^L||5.4|mmol/L|3.9-5.5|N|||F\r")
}

// ackServer is an in-process MLLP receiver built on internal/mllp that
// answers per the suite's mode: AE for Reject, no ACK (connection closed,
// the protocol's "could not store it, resend") for Transient and Drop, and
// a handler that never returns for Hang.
type ackServer struct {
	modeSwitch
	addr    string
	release chan struct{}
	// rejectCode is the ACK code used for Reject.
	rejectCode hl7.AckCode
}

func startACKServer(t *testing.T, tlsConfig *tls.Config) *ackServer {
	t.Helper()
	a := &ackServer{release: make(chan struct{}), rejectCode: hl7.AE}
	srv, err := mllp.NewServer(mllp.ServerConfig{TLSConfig: tlsConfig, Handler: mllp.HandlerFunc(a.handle)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ctx, ln)
	}()
	t.Cleanup(func() {
		close(a.release)
		cancel()
		<-done
	})
	return a
}

func (a *ackServer) handle(ctx context.Context, msg []byte) []byte {
	in, err := hl7.Parse(msg)
	if err != nil {
		return hl7.ACKForError(msg, err).Encode()
	}
	switch a.next() {
	case deliverytest.Reject:
		return hl7.ACK(in, a.rejectCode, hl7.WithError(hl7.ErrorDetail{
			Location: hl7.ERL{Segment: "PID", Sequence: 1, Field: 3},
			Code:     hl7.CodeUnknownKeyIdentifier,
			Message:  "patient id unknown, call +49 30 1234567 or jane.roe@example.org",
		})).Encode()
	case deliverytest.Transient, deliverytest.Drop:
		return nil
	case deliverytest.Hang:
		select {
		case <-ctx.Done():
		case <-a.release:
		}
		return nil
	}
	a.record(deliverytest.Received{ID: in.ControlID(), Body: append([]byte(nil), msg...)})
	return hl7.ACK(in, hl7.AA).Encode()
}

func mllpHarness(useTLS bool) deliverytest.Harness {
	return deliverytest.Harness{
		Features: deliverytest.Features{
			ContentType: "application/hl7-v2",
			Body:        oru,
			Transient:   true, Hang: true, Drop: true,
		},
		Start: func(t *testing.T, logger *slog.Logger) deliverytest.Env {
			var serverTLS, clientTLS *tls.Config
			if useTLS {
				serverTLS, clientTLS = testTLS(t)
			}
			a := startACKServer(t, serverTLS)
			c, err := delivery.NewMLLP(delivery.MLLPOptions{PoolSize: 4, TLSConfig: clientTLS, Logger: logger})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Close() })
			return deliverytest.Env{
				Connector: c,
				Dest:      delivery.Destination{Connector: delivery.ConnectorMLLP, Name: "lis", Addr: a.addr, TLS: useTLS},
				Receiver:  a,
				Sensitive: []string{"1234567", "jane.roe@example.org", "12345^^^LAB"},
			}
		},
	}
}

func TestMLLPSuite(t *testing.T) {
	t.Parallel()
	deliverytest.Exercise(t, mllpHarness(false))
}

func TestMLLPSuiteTLS(t *testing.T) {
	t.Parallel()
	deliverytest.Exercise(t, mllpHarness(true))
}

func TestMLLPAckCodes(t *testing.T) {
	t.Parallel()
	for _, code := range []hl7.AckCode{hl7.AE, hl7.AR, hl7.CE, hl7.CR} {
		t.Run(string(code), func(t *testing.T) {
			t.Parallel()
			a := startACKServer(t, nil)
			a.rejectCode = code
			a.Set(deliverytest.Reject, 0)
			c, err := delivery.NewMLLP(delivery.MLLPOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Close() })
			r, err := c.Deliver(t.Context(), delivery.Destination{Connector: "mllp", Addr: a.addr}, delivery.Message{ID: "m1", Body: oru("CTRL-1", "X")})
			if !delivery.IsPermanent(err) || !errors.Is(err, delivery.ErrRejected) {
				t.Fatalf("%v, want permanent ErrRejected", err)
			}
			if r.AckCode != string(code) || r.ControlID != "CTRL-1" {
				t.Errorf("receipt %+v", r)
			}
			msg := err.Error()
			if !strings.Contains(msg, "ACK "+string(code)) || !strings.Contains(msg, "patient id unknown") || !strings.Contains(msg, "PID-3") {
				t.Errorf("error %q should carry the ACK code, MSA-3/ERR text and location", msg)
			}
			if strings.Contains(msg, "1234567") || strings.Contains(msg, "jane.roe") {
				t.Errorf("error %q leaks contact data the receiver echoed", msg)
			}
		})
	}
}

func TestMLLPCommitAccept(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mllp.NewServer(mllp.ServerConfig{Handler: mllp.HandlerFunc(func(_ context.Context, msg []byte) []byte {
		in, _ := hl7.Parse(msg)
		return hl7.ACK(in, hl7.CA).Encode()
	})})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	c, _ := delivery.NewMLLP(delivery.MLLPOptions{})
	t.Cleanup(func() { _ = c.Close() })
	r, err := c.Deliver(t.Context(), delivery.Destination{Connector: "mllp", Addr: ln.Addr().String()}, delivery.Message{ID: "m1", Body: oru("C-9", "X")})
	if err != nil || r.AckCode != "CA" || r.ControlID != "C-9" {
		t.Fatalf("receipt %+v, %v", r, err)
	}
}

// TestMLLPWrongOrBrokenACK covers receivers that answer something other
// than an ACK to our message: the outcome is unknown, so retry.
func TestMLLPWrongOrBrokenACK(t *testing.T) {
	t.Parallel()
	answers := map[string]func(in *hl7.Message) []byte{
		"other control id": func(in *hl7.Message) []byte {
			return []byte("MSH|^~\\&|LIS|HOSP|IMP|LAB|20261127||ACK^R01^ACK|A1|P|2.5.1\rMSA|AA|SOMEONE-ELSE\r")
		},
		"no MSA":       func(in *hl7.Message) []byte { return []byte("MSH|^~\\&|LIS|HOSP|IMP|LAB|20261127||ACK|A1|P|2.5.1\r") },
		"not HL7":      func(in *hl7.Message) []byte { return []byte("OK") },
		"unknown code": func(in *hl7.Message) []byte { return hl7.ACK(in, hl7.AckCode("ZZ")).Encode() },
	}
	for name, answer := range answers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv, err := mllp.NewServer(mllp.ServerConfig{Handler: mllp.HandlerFunc(func(_ context.Context, msg []byte) []byte {
				in, _ := hl7.Parse(msg)
				return answer(in)
			})})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = srv.Serve(ctx, ln) }()
			t.Cleanup(func() { cancel(); <-done })
			c, _ := delivery.NewMLLP(delivery.MLLPOptions{})
			t.Cleanup(func() { _ = c.Close() })
			_, err = c.Deliver(t.Context(), delivery.Destination{Connector: "mllp", Addr: ln.Addr().String()}, delivery.Message{ID: "m1", Body: oru("C-1", "X")})
			if err == nil || delivery.IsPermanent(err) || !errors.Is(err, delivery.ErrUnavailable) {
				t.Fatalf("%v, want retryable ErrUnavailable", err)
			}
		})
	}
}

func TestMLLPRefusesBadInput(t *testing.T) {
	t.Parallel()
	c, err := delivery.NewMLLP(delivery.MLLPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	to := delivery.Destination{Connector: "mllp", Addr: "127.0.0.1:1"}
	cases := []struct {
		name string
		to   delivery.Destination
		m    delivery.Message
		want error
	}{
		{"no port", delivery.Destination{Connector: "mllp", Addr: "lis.example"}, delivery.Message{ID: "a", Body: oru("C", "X")}, delivery.ErrBadDestination},
		{"json", to, delivery.Message{ID: "a", ContentType: "application/json", Body: []byte("{}")}, delivery.ErrBadMessage},
		{"not hl7", to, delivery.Message{ID: "a", Body: []byte("hello")}, delivery.ErrBadMessage},
		{"no MSH-10", to, delivery.Message{ID: "a", Body: oru("", "X")}, delivery.ErrBadMessage},
		{"framing byte", to, delivery.Message{ID: "a", Body: append(oru("C", "X"), 0x1c)}, delivery.ErrBadMessage},
	}
	for _, tc := range cases {
		_, err := c.Deliver(t.Context(), tc.to, tc.m)
		if !errors.Is(err, tc.want) || !delivery.IsPermanent(err) {
			t.Errorf("%s: %v, want permanent %v", tc.name, err, tc.want)
		}
	}
	if _, err := delivery.NewMLLP(delivery.MLLPOptions{PoolSize: -1}); err == nil || !strings.Contains(err.Error(), "PoolSize") {
		t.Errorf("negative PoolSize: %v", err)
	}
}

func TestMLLPConnectionRefusedIsRetryable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	c, _ := delivery.NewMLLP(delivery.MLLPOptions{})
	t.Cleanup(func() { _ = c.Close() })
	_, err = c.Deliver(t.Context(), delivery.Destination{Connector: "mllp", Addr: addr}, delivery.Message{ID: "a", Body: oru("C", "X")})
	if err == nil || delivery.IsPermanent(err) || !errors.Is(err, delivery.ErrUnavailable) {
		t.Fatalf("%v, want retryable ErrUnavailable", err)
	}
	_ = c.Close()
	_, err = c.Deliver(t.Context(), delivery.Destination{Connector: "mllp", Addr: addr}, delivery.Message{ID: "a", Body: oru("C", "X")})
	if !errors.Is(err, delivery.ErrClosed) || delivery.IsPermanent(err) {
		t.Fatalf("after Close: %v, want retryable ErrClosed", err)
	}
}

// TestMLLPPoolsPerAddress: deliveries to one address share its pool;
// another address gets its own.
func TestMLLPPoolsPerAddress(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	conns := map[string]map[string]bool{} // server addr -> remote addrs
	start := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		srv, _ := mllp.NewServer(mllp.ServerConfig{Handler: mllp.HandlerFunc(func(ctx context.Context, msg []byte) []byte {
			ra, _ := mllp.RemoteAddr(ctx)
			mu.Lock()
			if conns[addr] == nil {
				conns[addr] = map[string]bool{}
			}
			conns[addr][ra.String()] = true
			mu.Unlock()
			in, _ := hl7.Parse(msg)
			return hl7.ACK(in, hl7.AA).Encode()
		})})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = srv.Serve(ctx, ln) }()
		t.Cleanup(func() { cancel(); <-done })
		return addr
	}
	a1, a2 := start(), start()
	c, _ := delivery.NewMLLP(delivery.MLLPOptions{PoolSize: 1})
	t.Cleanup(func() { _ = c.Close() })
	for i := range 6 {
		addr := a1
		if i%2 == 1 {
			addr = a2
		}
		if _, err := c.Deliver(t.Context(), delivery.Destination{Connector: "mllp", Addr: addr}, delivery.Message{ID: "a", Body: oru(fmt.Sprint("C", i), "X")}); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(conns[a1]) != 1 || len(conns[a2]) != 1 {
		t.Errorf("connections per server %v, want one each (pooled and reused)", conns)
	}
}

// testTLS returns a server config with a throw-away certificate for
// 127.0.0.1 and a client config trusting it.
func testTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12},
		trust(cert)
}
