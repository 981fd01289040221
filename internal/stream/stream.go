// Package stream names IMP's event streams and the Kafka topics behind them.
// Every stream has a main topic, a .retry topic for the retry ladder and a
// .dlq topic for dead letters, all under one configurable prefix.
//
// It must stay a catalog: no I/O, no broker or store code.
package stream

import "strings"

// The streams of DESIGN.md.
const (
	Customer     = "customer"
	Employee     = "employee"
	TestMaster   = "lis-test-master"
	Orders       = "lis-orders"
	Results      = "lis-test-result"
	ResultsB2B   = "lis-test-result-b2b"
	ResultsCorp  = "lis-test-result-corp"
	ResultsSVIP1 = "lis-test-result-svip1"
	ResultsSVIP2 = "lis-test-result-svip2"
	Status       = "lis-test-status"
	Worker       = "worker"
	WorkerOrder  = "worker-order"
)

// Stream describes one stream.
type Stream struct {
	Name string
	// Key says what the record key is; records with the same key stay in
	// order.
	Key string
	// Doc is one line for operators.
	Doc string
	// Legacy streams belong to the seed's scaled-to-zero workloads.
	Legacy bool
}

var all = []Stream{
	{Name: Customer, Key: "customer id", Doc: "customer master upserts (tier, contact, delivery preferences)"},
	{Name: Employee, Key: "employee id", Doc: "employee master upserts"},
	{Name: TestMaster, Key: "test code", Doc: "test catalog upserts"},
	{Name: Orders, Key: "accession number", Doc: "lab orders to send to the LIS"},
	{Name: Results, Key: "accession number", Doc: "results of general-tier customers"},
	{Name: ResultsB2B, Key: "accession number", Doc: "results of B2B partners' customers"},
	{Name: ResultsCorp, Key: "accession number", Doc: "results of corporate clients"},
	{Name: ResultsSVIP1, Key: "accession number", Doc: "results of SVIP tier 1 customers"},
	{Name: ResultsSVIP2, Key: "accession number", Doc: "results of SVIP tier 2 customers"},
	{Name: Status, Key: "accession number", Doc: "order and sample status changes from the LIS"},
	{Name: Worker, Key: "job id", Doc: "background jobs: notifications, PDF reports, default"},
	{Name: WorkerOrder, Key: "job id", Doc: "order jobs, e.g. create-order from a partner format"},
}

// All lists every stream, in a stable order.
func All() []Stream { return append([]Stream(nil), all...) }

// Register adds a stream (the consumer registry adds the legacy ones).
// It is meant for package initialisation only.
func Register(s Stream) {
	for _, e := range all {
		if e.Name == s.Name {
			return
		}
	}
	all = append(all, s)
}

// Lookup finds a stream by name.
func Lookup(name string) (Stream, bool) {
	for _, s := range all {
		if s.Name == name {
			return s, true
		}
	}
	return Stream{}, false
}

// Kind is which of a stream's topics a record lives on.
type Kind string

// Topic kinds.
const (
	Main  Kind = "main"
	Retry Kind = "retry"
	DLQ   Kind = "dlq"
)

// Topics maps stream names to topic names under a prefix.
type Topics struct{ Prefix string }

// Main is the stream's main topic.
func (t Topics) Main(stream string) string { return t.Prefix + stream }

// Retry is the stream's retry-ladder topic.
func (t Topics) Retry(stream string) string { return t.Prefix + stream + ".retry" }

// DLQ is the stream's dead-letter topic.
func (t Topics) DLQ(stream string) string { return t.Prefix + stream + ".dlq" }

// Of returns the topic of the given kind.
func (t Topics) Of(stream string, k Kind) string {
	switch k {
	case Retry:
		return t.Retry(stream)
	case DLQ:
		return t.DLQ(stream)
	default:
		return t.Main(stream)
	}
}

// Parse splits a topic into its stream and kind; ok is false for topics
// outside the prefix.
func (t Topics) Parse(topic string) (name string, k Kind, ok bool) {
	rest, ok := strings.CutPrefix(topic, t.Prefix)
	if !ok || rest == "" {
		return "", "", false
	}
	if s, ok := strings.CutSuffix(rest, ".retry"); ok {
		return s, Retry, true
	}
	if s, ok := strings.CutSuffix(rest, ".dlq"); ok {
		return s, DLQ, true
	}
	return rest, Main, true
}
