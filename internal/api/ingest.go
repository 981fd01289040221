package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/ingest"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/stream"
)

// collection is one writable resource of the API (customers, results, ...):
// how a record of it is decoded, validated, defaulted and addressed on
// Kafka. The single and the batch handler share it, so both accept exactly
// the same records.
type collection struct {
	name   string // URL segment: /v1/<name>
	stream string // stream name (results: the general one; routing picks the tier)
	kind   string // imp-kind header
	scope  string
	// body is a zero value of the record type, for the OpenAPI schema.
	body any
	// example is a valid record, for the OpenAPI document and its tests.
	example func() any
	// accept decodes raw strictly, validates it, fills defaults (version,
	// updated_at) from now and returns the envelope to publish, without
	// a message id. Its errors are client mistakes (bodyError or a lab
	// validation error).
	accept func(ctx context.Context, s *Server, raw []byte, now time.Time) (ingest.Envelope, error)
}

// validator is a lab record.
type validator[T any] interface {
	*T
	Validate() error
}

// acceptFunc builds a collection's accept from the record type and what is
// particular to it: prepare fills defaults and returns the key, the stream
// (empty: the collection's), extra headers and the business keys for
// tracking ("order=A1;test=GLU").
func acceptFunc[T any, P validator[T]](c *collection, prepare func(ctx context.Context, s *Server, v P, now time.Time) (key, streamName string, hs []kgoHeader, keys string)) func(context.Context, *Server, []byte, time.Time) (ingest.Envelope, error) {
	return func(ctx context.Context, s *Server, raw []byte, now time.Time) (ingest.Envelope, error) {
		var v T
		if err := decodeRecord(raw, P(&v)); err != nil {
			return ingest.Envelope{}, err
		}
		if err := P(&v).Validate(); err != nil {
			return ingest.Envelope{}, err
		}
		key, streamName, hs, keys := prepare(ctx, s, &v, now)
		if streamName == "" {
			streamName = c.stream
		}
		value, err := encodeRecord(P(&v), len(raw)+128)
		if err != nil {
			return ingest.Envelope{}, err
		}
		if keys != "" {
			hs = append(hs, kgoHeader{Key: broker.HeaderBusinessKeys, Value: []byte(keys)})
		}
		return ingest.Envelope{Stream: streamName, Key: key, Kind: c.kind, Value: value, Headers: hs}, nil
	}
}

// version defaults a missing source-system version to the acceptance time
// in microseconds, so without one the later acceptance wins.
func version(v *int64, now time.Time) {
	if *v == 0 {
		*v = now.UnixMicro()
	}
}

func updatedAt(t *time.Time, now time.Time) {
	if t.IsZero() {
		*t = now
	}
}

// bizKeys formats the imp-keys header the consumers' tracking indexes.
func bizKeys(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(';')
		}
		b.WriteString(kv[i])
		b.WriteByte('=')
		b.WriteString(kv[i+1])
	}
	return b.String()
}

// collections lists every writable resource.
func (s *Server) collections() []*collection {
	customers := &collection{name: "customers", stream: stream.Customer, kind: "customer", scope: scopeMaster,
		body: lab.Customer{}, example: exampleCustomer}
	customers.accept = acceptFunc(customers, func(_ context.Context, _ *Server, c *lab.Customer, now time.Time) (string, string, []kgoHeader, string) {
		version(&c.Version, now)
		updatedAt(&c.UpdatedAt, now)
		return c.ID, "", nil, bizKeys("customer", c.ID)
	})

	employees := &collection{name: "employees", stream: stream.Employee, kind: "employee", scope: scopeMaster,
		body: lab.Employee{}, example: exampleEmployee}
	employees.accept = acceptFunc(employees, func(_ context.Context, _ *Server, e *lab.Employee, now time.Time) (string, string, []kgoHeader, string) {
		version(&e.Version, now)
		updatedAt(&e.UpdatedAt, now)
		return e.ID, "", nil, ""
	})

	tests := &collection{name: "tests", stream: stream.TestMaster, kind: "test", scope: scopeMaster,
		body: lab.Test{}, example: exampleTest}
	tests.accept = acceptFunc(tests, func(_ context.Context, _ *Server, t *lab.Test, now time.Time) (string, string, []kgoHeader, string) {
		version(&t.Version, now)
		updatedAt(&t.UpdatedAt, now)
		return t.Code, "", nil, bizKeys("test", t.Code)
	})

	orders := &collection{name: "orders", stream: stream.Orders, kind: "order", scope: scopeOrders,
		body: lab.Order{}, example: exampleOrder}
	orders.accept = acceptFunc(orders, func(_ context.Context, _ *Server, o *lab.Order, now time.Time) (string, string, []kgoHeader, string) {
		version(&o.Version, now)
		updatedAt(&o.UpdatedAt, now)
		return o.AccessionNumber, "", nil, bizKeys("order", o.AccessionNumber, "customer", o.CustomerID)
	})

	results := &collection{name: "results", stream: stream.Results, kind: "result", scope: scopeResults,
		body: lab.Result{}, example: exampleResult}
	results.accept = acceptFunc(results, func(ctx context.Context, s *Server, r *lab.Result, now time.Time) (string, string, []kgoHeader, string) {
		version(&r.Version, now)
		updatedAt(&r.UpdatedAt, now)
		streamName, hs := s.routeResult(ctx, r)
		return r.AccessionNumber, streamName, hs, bizKeys("order", r.AccessionNumber, "customer", r.CustomerID, "test", r.TestCode)
	})

	statuses := &collection{name: "statuses", stream: stream.Status, kind: "status", scope: scopeStatus,
		body: lab.StatusEvent{}, example: exampleStatus}
	statuses.accept = acceptFunc(statuses, func(_ context.Context, _ *Server, e *lab.StatusEvent, now time.Time) (string, string, []kgoHeader, string) {
		version(&e.Version, now)
		return e.AccessionNumber, "", nil, bizKeys("order", e.AccessionNumber)
	})
	return []*collection{customers, employees, tests, orders, results, statuses}
}

// routeResult picks a result's tier stream at ingress, as
// ingest.Tiers.RouteResult does, with one difference: concurrent lookups
// of the same customer share one (ingest.Tiers). Without a tier cache
// (a test server) results go to the general stream, and say so.
func (s *Server) routeResult(ctx context.Context, r *lab.Result) (string, []kgoHeader) {
	var lookup func(string) (lab.Tier, bool)
	if s.opt.Tiers != nil {
		lookup = func(id string) (lab.Tier, bool) { return s.opt.Tiers.Lookup(ctx, id) }
	}
	tier, reason := lab.RouteResult(r.Tier, lookup, r.CustomerID)
	return lab.ResultStreamFor(tier), []kgoHeader{
		{Key: broker.HeaderRouteTier, Value: []byte(tier)},
		{Key: broker.HeaderRouteReason, Value: []byte(reason)},
	}
}

// postOne serves POST /v1/<collection>: one record, answered 202 once the
// broker acknowledged it.
func (s *Server) postOne(c *collection) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r, s.opt.MaxBody, ctJSON)
		defer body.release()
		if err != nil {
			s.writeBodyError(w, r, c.stream, err)
			return
		}
		s.idempotent(w, r, body.b, func(ids idGen) response {
			env, err := c.accept(r.Context(), s, body.b, time.Now().UTC())
			if err != nil {
				if s.opt.Publisher != nil {
					s.opt.Publisher.Invalid(c.stream)
				}
				return problemResponse(r, bodyProblem(err))
			}
			env.MessageID = ids.id(0)
			acc, err := s.publish(r.Context(), env)
			if err != nil {
				return s.publishFailure(r, err)
			}
			return response{status: http.StatusAccepted, body: appendAccepted(make([]byte, 0, 160), acc), store: true}
		})
	}
}
