package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/imp-health/imp/internal/auth"
	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/config"
	"github.com/imp-health/imp/internal/consumer"
	"github.com/imp-health/imp/internal/dispatch"
	"github.com/imp-health/imp/internal/ingest"
	"github.com/imp-health/imp/internal/metrics"
	"github.com/imp-health/imp/internal/report"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/store/postgres"
	"github.com/imp-health/imp/internal/store/sqlite"
	"github.com/imp-health/imp/internal/stream"
)

// App holds the shared infrastructure of one process.
type App struct {
	Cfg        config.Config
	Log        *slog.Logger
	Broker     broker.Config
	Embedded   *broker.Embedded // nil with an external cluster
	Store      store.Store
	Producer   *broker.Producer
	Admin      *kadm.Client
	Keys       *auth.Keys
	Topics     stream.Topics
	Metrics    *metrics.Metrics
	Publisher  *ingest.Publisher
	Tiers      *ingest.Tiers
	Dispatcher *dispatch.Dispatcher
	LIS        consumer.LIS // nil without IMP_LIS_ADDR

	closers []func() error
}

// Open starts the embedded broker when no brokers are configured, opens
// and migrates the store, connects the producer and provisions topics.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (a *App, err error) {
	a = &App{Cfg: cfg, Log: log, Topics: stream.Topics{Prefix: cfg.TopicPrefix}, Metrics: metrics.New()}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	a.Broker = broker.Config{
		Brokers: cfg.KafkaBrokers, ClientID: cfg.KafkaClientID, SASLMech: cfg.KafkaSASLMech,
		SASLUser: cfg.KafkaSASLUser, SASLPassword: cfg.KafkaSASLPassword, TLS: cfg.KafkaTLS, Logger: log,
	}
	if cfg.Embedded() {
		a.Embedded, err = broker.StartEmbedded(cfg.BrokerDir(), cfg.KafkaListen, log)
		if err != nil {
			return nil, err
		}
		a.Broker.Brokers = a.Embedded.Addrs()
		log.Info("embedded Kafka-protocol broker listening", "addr", a.Broker.Brokers[0], "data", cfg.BrokerDir())
	}
	if a.Store, err = OpenStore(ctx, cfg); err != nil {
		return nil, err
	}
	if a.Producer, err = broker.NewProducer(a.Broker, cfg.ProduceTimeout); err != nil {
		return nil, err
	}
	a.Admin = kadm.NewClient(a.Producer.Client())
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err = broker.EnsureTopics(pctx, a.Admin, a.TopicSpecs(), int16(cfg.ReplicationFactor)); err != nil {
		return nil, fmt.Errorf("provision topics: %w", err)
	}
	a.Keys = auth.NewKeys(a.Store, cfg.KeyPepper, 10*time.Second)
	a.Publisher = ingest.NewPublisher(a.Producer, a.Topics, a.Metrics)
	a.Tiers = ingest.NewTiers(a.Store, 30*time.Second)
	if a.Dispatcher, err = a.newDispatcher(a.formats()); err != nil {
		return nil, err
	}
	sender, err := a.newLIS()
	if err != nil {
		return nil, err
	}
	if sender != nil {
		a.LIS = sender
	}
	return a, nil
}

// OpenStore opens the configured store (PostgreSQL or embedded SQLite)
// and migrates it.
func OpenStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	if cfg.DatabaseURL != "" {
		return postgres.Open(ctx, cfg.DatabaseURL)
	}
	return sqlite.Open(ctx, cfg.SQLitePath())
}

// Partitions is a stream's configured partition count; the seed's
// scaled-to-zero legacy streams default to one.
func (a *App) Partitions(streamName string) int32 {
	if n, ok := a.Cfg.StreamPartitions[streamName]; ok {
		return int32(n)
	}
	if s, ok := stream.Lookup(streamName); ok && s.Legacy {
		return 1
	}
	return int32(a.Cfg.Partitions)
}

// Deps are the consumer handlers' dependencies.
func (a *App) Deps() consumer.Deps {
	dir := a.Cfg.ReportsDir
	if dir == "" {
		dir = filepath.Join(a.Cfg.DataDir, "reports")
	}
	return consumer.Deps{Store: a.Store, Producer: a.Producer, Publisher: a.Publisher, Tiers: a.Tiers, Topics: a.Topics,
		Logger: a.Log, Dispatcher: a.Dispatcher, LIS: a.LIS,
		Reports: consumer.Reports{Dir: dir, PublicURL: a.Cfg.PublicURL, Lab: report.Laboratory{
			Name: a.Cfg.LabName, AddressLines: a.Cfg.LabAddress, Phone: a.Cfg.LabPhone, Accreditation: a.Cfg.LabAccreditation}}}
}

// Operator performs re-push and discard of dead letters.
func (a *App) Operator() *consumer.Operator {
	return &consumer.Operator{Broker: a.Broker, Store: a.Store, Producer: a.Producer, Topics: a.Topics}
}

// Retention of each topic kind: dead letters are kept longest because a
// person has to look at them.
var retention = map[stream.Kind]time.Duration{
	stream.Main:  7 * 24 * time.Hour,
	stream.Retry: 7 * 24 * time.Hour,
	stream.DLQ:   30 * 24 * time.Hour,
}

// TopicSpecs lists every topic IMP needs: main, retry and DLQ per stream.
func (a *App) TopicSpecs() []broker.TopicSpec {
	var specs []broker.TopicSpec
	for _, s := range stream.All() {
		for _, k := range []stream.Kind{stream.Main, stream.Retry, stream.DLQ} {
			specs = append(specs, broker.TopicSpec{
				Name:       a.Topics.Of(s.Name, k),
				Partitions: a.Partitions(s.Name),
				Configs:    map[string]string{"retention.ms": fmt.Sprint(retention[k].Milliseconds())},
			})
		}
	}
	return specs
}

// Ready checks that the broker and the store answer.
func (a *App) Ready(ctx context.Context) error {
	if err := broker.Ping(ctx, a.Producer.Client()); err != nil {
		return fmt.Errorf("broker unreachable: %w", err)
	}
	if err := a.Store.Ping(ctx); err != nil {
		return fmt.Errorf("store unreachable: %w", err)
	}
	return nil
}

// EnsureAdminKey installs IMP_ADMIN_KEY when set; otherwise, when no key
// exists at all, it creates an admin key and returns its token so the
// caller can print it once.
func (a *App) EnsureAdminKey(ctx context.Context) (token string, err error) {
	if a.Cfg.AdminKey != "" {
		_, err := a.Keys.Install(ctx, "admin (IMP_ADMIN_KEY)", a.Cfg.AdminKey, []string{auth.ScopeAdmin})
		return "", err
	}
	keys, err := a.Store.ListAPIKeys(ctx)
	if err != nil {
		return "", err
	}
	if len(keys) > 0 {
		return "", nil
	}
	token, _, err = a.Keys.Create(ctx, "admin (first start)", []string{auth.ScopeAdmin})
	return token, err
}

// Close releases everything Open started, the embedded broker last so its
// log is flushed after every client is gone.
func (a *App) Close() {
	for _, c := range a.closers {
		_ = c()
	}
	if a.Dispatcher != nil {
		a.Dispatcher.Close()
	}
	if a.Producer != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		a.Producer.Close(ctx)
		cancel()
	}
	if a.Store != nil {
		if err := a.Store.Close(); err != nil && !errors.Is(err, context.Canceled) {
			a.Log.Warn("store close", "err", err)
		}
	}
	if a.Embedded != nil {
		a.Embedded.Close()
	}
}
