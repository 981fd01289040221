package lis

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/ingest"
	"github.com/imp-health/imp/internal/mllp"
	"github.com/imp-health/imp/internal/store/sqlite"
	"github.com/imp-health/imp/internal/stream"
)

// BenchmarkMLLPRoundTrip measures ORU^R01 messages through IMP's MLLP
// listener: frame in, parse, map, route, produce to the embedded broker
// (persistent, acks=all), ACK out — over 8 connections on loopback.
//
//	go test -run '^$' -bench MLLPRoundTrip -benchtime 20000x ./internal/lis
func BenchmarkMLLPRoundTrip(b *testing.B) {
	ctx := context.Background()
	emb, err := broker.StartEmbedded(filepath.Join(b.TempDir(), "kafka"), "127.0.0.1:0", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer emb.Close()
	bcfg := broker.Config{Brokers: emb.Addrs(), ClientID: "bench"}
	p, err := broker.NewProducer(bcfg, 10*time.Second, extraProducerOpts...)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close(ctx)
	var specs []broker.TopicSpec
	for _, s := range stream.All() {
		specs = append(specs, broker.TopicSpec{Name: topics.Main(s.Name), Partitions: 6})
	}
	if err := broker.EnsureTopics(ctx, kadm.NewClient(p.Client()), specs, -1); err != nil {
		b.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "imp.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	in := &Inbound{Publisher: ingest.NewPublisher(p, topics, nil), Tiers: ingest.NewTiers(st, time.Minute)}
	srv, err := mllp.NewServer(mllp.ServerConfig{Handler: mllp.HandlerFunc(in.MLLP)})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = srv.Serve(sctx, ln) }()
	conns := benchConns
	clients := make(chan *mllp.Client, conns)
	for range conns {
		c, err := mllp.Dial(ctx, ln.Addr().String(), mllp.ClientConfig{})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		clients <- c
	}
	var seq atomic.Int64
	b.SetParallelism((conns + 1) / 2) // 8 goroutines on 2 cores
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		c := <-clients
		for pb.Next() {
			n := seq.Add(1)
			msg := fmt.Sprintf("MSH|^~\\&|LIS|LAB|IMP|LAB|20261127073000||ORU^R01^ORU_R01|B%d|P|2.5.1\r"+
				"PID|1||C-%d^^^IMP^MR||Doe^Jane||19800101|F\r"+
				"OBR|1|A-%d^IMP||GLU^Glucose^L|||20261127070000|||||||||||||||20261127073000|||F\r"+
				"OBX|1|NM|GLU^Glucose^L||5.4|mmol/L|3.9-5.6|N|||F|||20261127071500||E-7\r", n, n%500, n)
			ack, err := c.Send(ctx, []byte(msg))
			if err != nil || len(ack) == 0 {
				b.Errorf("send: %v", err)
				return
			}
		}
		clients <- c
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

var extraProducerOpts []kgo.Opt

var benchConns = 8
