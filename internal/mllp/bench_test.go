package mllp_test

import (
	"context"
	"net"
	"testing"

	"github.com/imp-health/imp/internal/mllp"
)

// BenchmarkRoundTrip measures client → server → ACK over loopback with 8
// connections in use at once. The handler parses each message and builds
// its ACK with internal/hl7, as a real receiver does.
func BenchmarkRoundTrip(b *testing.B) {
	const conns = 8
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv, err := mllp.NewServer(mllp.ServerConfig{Handler: ackHandler})
	if err != nil {
		b.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), l) }()
	defer func() {
		_ = srv.Shutdown(context.Background())
		<-served //nolint:errcheck // ErrClosed after Shutdown
	}()
	c, err := mllp.NewClient(l.Addr().String(), mllp.ClientConfig{PoolSize: conns})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	msg := message("BENCH00001")
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	// RunParallel starts parallelism × GOMAXPROCS goroutines; choose it so
	// that at least 8 senders keep the 8 connections busy.
	b.SetParallelism((conns + testingProcs() - 1) / testingProcs())
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ack, err := c.Send(context.Background(), msg)
			if err != nil {
				b.Error(err)
				return
			}
			if len(ack) == 0 {
				b.Error("empty ACK")
				return
			}
		}
	})
}

// BenchmarkRoundTripSerial is one connection, one message at a time: the
// latency an LIS interface that insists on a single connection sees.
func BenchmarkRoundTripSerial(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv, err := mllp.NewServer(mllp.ServerConfig{Handler: ackHandler})
	if err != nil {
		b.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), l) }()
	defer func() {
		_ = srv.Shutdown(context.Background())
		<-served //nolint:errcheck // ErrClosed after Shutdown
	}()
	c, err := mllp.NewClient(l.Addr().String(), mllp.ClientConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	msg := message("BENCH00002")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Send(context.Background(), msg); err != nil {
			b.Fatal(err)
		}
	}
}
