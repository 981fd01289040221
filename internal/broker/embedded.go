package broker

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Embedded is the in-process Kafka-protocol broker of the single-binary
// mode: franz-go's kfake, one broker, persisting its log under a data
// directory so records and committed offsets survive restarts. Segment
// writes reach the file before a produce is acknowledged, so a killed
// process loses nothing it acknowledged.
type Embedded struct {
	c *kfake.Cluster
}

// StartEmbedded starts the broker on listen (host:port; port 0 picks one),
// keeping its data in dir.
func StartEmbedded(dir, listen string, logger *slog.Logger) (*Embedded, error) {
	host, portStr, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("embedded broker listen %q: %w", listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("embedded broker listen %q: bad port", listen)
	}
	if host == "" {
		host = "0.0.0.0"
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.DataDir(dir),
		kfake.ClusterID("imp-embedded"),
		// kfake binds 127.0.0.1; honour the configured host instead.
		kfake.ListenFn(func(network, addr string) (net.Listener, error) {
			_, p, _ := net.SplitHostPort(addr)
			return new(net.ListenConfig).Listen(context.Background(), network, net.JoinHostPort(host, p))
		}),
		kfake.BrokerConfigs(map[string]string{
			// Like a one-broker Kafka: replicas cannot exceed brokers.
			"default.replication.factor": "1",
			"min.insync.replicas":        "1",
		}),
	}
	if port != 0 {
		opts = append(opts, kfake.Ports(port))
	}
	if logger != nil {
		opts = append(opts, kfake.WithLogger(fakeLogger{logger}))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded broker: %w", err)
	}
	return &Embedded{c: c}, nil
}

// Addrs are the broker addresses clients dial.
func (e *Embedded) Addrs() []string {
	addrs := e.c.ListenAddrs()
	for i, a := range addrs {
		// A wildcard bind is dialled on loopback.
		if h, p, err := net.SplitHostPort(a); err == nil && (h == "0.0.0.0" || h == "::") {
			addrs[i] = net.JoinHostPort("127.0.0.1", p)
		}
	}
	return addrs
}

// Cluster exposes kfake for fault injection in tests.
func (e *Embedded) Cluster() *kfake.Cluster { return e.c }

// Close flushes state to disk and stops the broker.
func (e *Embedded) Close() { e.c.Close() }

type fakeLogger struct{ l *slog.Logger }

func (f fakeLogger) Logf(level kfake.LogLevel, msg string, args ...any) {
	lv := slog.LevelDebug
	switch level {
	case kfake.LogLevelError:
		lv = slog.LevelError
	case kfake.LogLevelWarn:
		lv = slog.LevelWarn
	}
	if !f.l.Enabled(context.Background(), lv) {
		return
	}
	f.l.Log(context.Background(), lv, "embedded broker: "+fmt.Sprintf(msg, args...))
}
