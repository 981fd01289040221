// Package metrics defines IMP's Prometheus metrics in one place, so their
// names are documented once (docs/architecture.md lists them) and every
// component records into the same registry.
//
// Names mirror Flower's where they overlap: events total per outcome, a
// task (handler) runtime histogram, workers online.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds every metric vector.
type Metrics struct {
	Registry *prometheus.Registry

	// IngestTotal counts records offered for ingest by stream and outcome
	// (accepted, invalid, failed).
	IngestTotal *prometheus.CounterVec
	// IngestSeconds is the time from request to broker acknowledgement.
	IngestSeconds *prometheus.HistogramVec

	// EventsTotal counts records handled by consumer, stream and outcome
	// (processed, duplicate, retried, dead).
	EventsTotal *prometheus.CounterVec
	// RuntimeSeconds is the handler runtime per batch, by consumer.
	RuntimeSeconds *prometheus.HistogramVec
	// BatchSize is the number of records per handled poll, by consumer.
	BatchSize *prometheus.HistogramVec
	// WorkersOnline is 1 per running consumer in this process.
	WorkersOnline *prometheus.GaugeVec
	// Lag is the consumer group lag per consumer and topic.
	Lag *prometheus.GaugeVec
	// DeliveryTotal counts outbound deliveries by connector and outcome.
	DeliveryTotal *prometheus.CounterVec
	// DeliverySeconds is outbound delivery latency by connector.
	DeliverySeconds *prometheus.HistogramVec
}

// New creates the metrics on a fresh registry with Go and process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		Registry: reg,
		IngestTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "imp_ingest_total", Help: "Records offered for ingest, by stream and outcome (accepted, invalid, failed).",
		}, []string{"stream", "outcome"}),
		IngestSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "imp_ingest_seconds", Help: "Time from request to broker acknowledgement, by stream.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5},
		}, []string{"stream"}),
		EventsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "imp_events_total", Help: "Records handled by consumers, by consumer, stream and outcome (processed, duplicate, retried, dead).",
		}, []string{"consumer", "stream", "outcome"}),
		RuntimeSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "imp_task_runtime_seconds", Help: "Handler runtime per batch, by consumer.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12),
		}, []string{"consumer"}),
		BatchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "imp_consumer_batch_records", Help: "Records per handled poll, by consumer.",
			Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000},
		}, []string{"consumer"}),
		WorkersOnline: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "imp_worker_online", Help: "1 for each consumer running in this process.",
		}, []string{"consumer"}),
		Lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "imp_consumer_lag", Help: "Consumer group lag in records, by consumer and topic.",
		}, []string{"consumer", "topic"}),
		DeliveryTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "imp_delivery_total", Help: "Outbound deliveries by connector and outcome (ok, retryable, permanent).",
		}, []string{"connector", "outcome"}),
		DeliverySeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "imp_delivery_seconds", Help: "Outbound delivery latency by connector.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}, []string{"connector"}),
	}
	reg.MustRegister(m.IngestTotal, m.IngestSeconds, m.EventsTotal, m.RuntimeSeconds, m.BatchSize,
		m.WorkersOnline, m.Lag, m.DeliveryTotal, m.DeliverySeconds)
	return m
}
