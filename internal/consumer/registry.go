package consumer

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/dispatch"
	"github.com/imp-health/imp/internal/ingest"
	"github.com/imp-health/imp/internal/report"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/stream"
)

// Deps are what handlers may use.
type Deps struct {
	Store     store.Store
	Producer  *broker.Producer
	Publisher *ingest.Publisher
	Tiers     *ingest.Tiers
	Topics    stream.Topics
	Logger    *slog.Logger
	// Dispatcher delivers results, statuses and reports to destinations.
	Dispatcher *dispatch.Dispatcher
	// LIS sends orders to the laboratory information system; nil when
	// none is configured (orders then wait in the retry ladder).
	LIS LIS
	// Reports says where PDF reports go and what they print.
	Reports Reports
}

// Reports configures the PDF report jobs.
type Reports struct {
	Dir       string
	Lab       report.Laboratory
	PublicURL string // base of the report links in notifications
}

// Scaling is how the seed runs a consumer on Kubernetes; the manifests and
// the inventory read it from here so there is one source of truth.
type Scaling struct {
	Replicas     int // fixed replicas, or KEDA's minimum
	MaxReplicas  int // >Replicas means KEDA scales on lag
	LagThreshold int // KEDA lagThreshold
}

// Definition is one named consumer.
type Definition struct {
	// Name is the seed's name without the "consumer-" prefix.
	Name string
	Doc  string
	// Streams are consumed from their main topics.
	Streams []string
	// RetryStreams are consumed from their .retry topics (normally the
	// same as Streams; the SVIP re-push consumer takes over svip1/svip2's).
	RetryStreams []string
	// Enabled by default; the seed's scaled-to-zero workloads are not.
	Enabled bool
	// Concurrency is the number of lanes: different keys run in parallel,
	// the same key always on the same lane, in order.
	Concurrency int
	// BatchSize bounds the messages of one handler call.
	BatchSize int
	// Timeout bounds one handler call.
	Timeout time.Duration
	Retry   RetryPolicy
	Scaling Scaling
	// New builds the handler (without the runtime's middlewares).
	New func(Deps) Handler
	// Legacy marks the seed's scaled-to-zero workloads.
	Legacy bool
}

// Group is the consumer group name.
func (d Definition) Group(t stream.Topics) string { return t.Prefix + "consumer-" + d.Name }

// Workload is the seed's deployment name: consumer-<name>, except the
// seed's Celery workers, whose deployments were worker-<kind>.
func (d Definition) Workload() string {
	if d.Legacy && strings.HasPrefix(d.Name, "worker-") {
		return d.Name
	}
	return "consumer-" + d.Name
}

// KEDAView is what KEDA's kafka scaler sees of a group: the lag and the
// partitions of the main topic only (it does not watch .retry).
func (d Definition) KEDAView(t stream.Topics, parts []broker.PartitionLag) (lag int64, partitions int) {
	if len(d.Streams) == 0 {
		return 0, 0
	}
	main := t.Main(d.Streams[0])
	for _, p := range parts {
		if p.Topic == main {
			lag += p.Lag
			partitions++
		}
	}
	return lag, partitions
}

var registry []Definition

// register adds a definition at package initialisation.
func register(d Definition) {
	d = d.withDefaults()
	for _, e := range registry {
		if e.Name == d.Name {
			panic("consumer: duplicate definition " + d.Name)
		}
	}
	registry = append(registry, d)
}

// withDefaults fills unset fields with the runtime's defaults.
func (d Definition) withDefaults() Definition {
	if d.Concurrency <= 0 {
		d.Concurrency = 1
	}
	if d.BatchSize <= 0 {
		d.BatchSize = 500
	}
	if d.Timeout == 0 {
		d.Timeout = 30 * time.Second
	}
	if d.Retry.MaxAttempts == 0 {
		d.Retry = DefaultRetry
	}
	if d.RetryStreams == nil {
		d.RetryStreams = d.Streams
	}
	if d.Scaling.Replicas == 0 && d.Enabled {
		d.Scaling.Replicas = 1
	}
	return d
}

// All lists every definition in registration order.
func All() []Definition { return slices.Clone(registry) }

// Lookup finds a definition by name; "consumer-" prefixes are accepted.
func Lookup(name string) (Definition, bool) {
	if len(name) > 9 && name[:9] == "consumer-" {
		name = name[9:]
	}
	for _, d := range registry {
		if d.Name == name {
			return d, true
		}
	}
	return Definition{}, false
}

// Select resolves the consumers to run: names given explicitly (imp
// consume), or every enabled one adjusted by enable/disable lists (serve).
func Select(names, enable, disable []string) ([]Definition, error) {
	if len(names) > 0 {
		out := make([]Definition, 0, len(names))
		for _, n := range names {
			d, ok := Lookup(n)
			if !ok {
				return nil, fmt.Errorf("unknown consumer %q (see imp consume --list)", n)
			}
			out = append(out, d)
		}
		return out, nil
	}
	on := map[string]bool{}
	for _, d := range registry {
		on[d.Name] = d.Enabled
	}
	for _, n := range enable {
		d, ok := Lookup(n)
		if !ok {
			return nil, fmt.Errorf("consumers: unknown consumer %q", n)
		}
		on[d.Name] = true
	}
	for _, n := range disable {
		d, ok := Lookup(n)
		if !ok {
			return nil, fmt.Errorf("disable-consumers: unknown consumer %q", n)
		}
		on[d.Name] = false
	}
	var out []Definition
	for _, d := range registry {
		if on[d.Name] {
			out = append(out, d)
		}
	}
	return out, nil
}
