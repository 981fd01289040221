// Package dispatch turns IMP's outbound events — a result, a status change,
// a report — into deliveries: it picks the connector a destination names
// (webhook, MLLP, email, SMS, file), renders the event in the destination's
// format (JSON, HL7 v2, FHIR R4) and returns the receipt or a classified
// error (delivery.IsPermanent).
//
// It never decides whether to deliver (the consumers do, with their
// dedupe), and never logs bodies or patient data.
package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/imp-health/imp/internal/delivery"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/metrics"
	"github.com/imp-health/imp/internal/store"
)

// Event is what is delivered.
type Event struct {
	Kind      string // result, status, report
	MessageID string
	Order     lab.Order
	Customer  lab.Customer
	Results   []lab.Result
	Status    *lab.StatusEvent
	Report    *Report
}

// Report is a rendered PDF report.
type Report struct {
	ID       string
	Filename string
	PDF      []byte
	URL      string // where it can be downloaded through the API
}

// Dispatcher delivers events through connectors.
type Dispatcher struct {
	conns   map[string]delivery.Connector
	format  Formats
	metrics *metrics.Metrics
}

// Formats renders events in the non-JSON formats. A nil function means
// the format is not available.
type Formats struct {
	HL7  func(ev Event) ([]byte, error) // ORU^R01 for results
	FHIR func(ev Event) ([]byte, error) // Bundle for results
}

// New builds a dispatcher over the given connectors (by name: webhook,
// mllp, email, sms, file); m may be nil.
func New(conns map[string]delivery.Connector, f Formats, m *metrics.Metrics) *Dispatcher {
	return &Dispatcher{conns: conns, format: f, metrics: m}
}

// Deliver renders ev for dest and delivers it.
func (d *Dispatcher) Deliver(ctx context.Context, dest store.Destination, ev Event) (delivery.Receipt, error) {
	var to delivery.Destination
	if err := json.Unmarshal(dest.Connector, &to); err != nil {
		return delivery.Receipt{}, delivery.Permanent(fmt.Errorf("destination %s: connector settings: %w", dest.ID, err))
	}
	if to.Name == "" {
		to.Name = dest.ID
	}
	msg, err := d.render(dest.Format, to.Connector, ev)
	if err != nil {
		return delivery.Receipt{}, delivery.Permanent(fmt.Errorf("destination %s: %w", dest.ID, err))
	}
	rcpt, err := d.Send(ctx, to, msg)
	if err != nil {
		return rcpt, fmt.Errorf("deliver %s to %s: %w", ev.Kind, dest.ID, err)
	}
	return rcpt, nil
}

// Close closes the connectors that hold resources.
func (d *Dispatcher) Close() {
	for _, c := range d.conns {
		if cl, ok := c.(interface{ Close() error }); ok {
			_ = cl.Close()
		}
	}
}

// Send delivers a ready message (a notification) to a destination.
func (d *Dispatcher) Send(ctx context.Context, to delivery.Destination, msg delivery.Message) (delivery.Receipt, error) {
	conn, ok := d.conns[to.Connector]
	if !ok {
		return delivery.Receipt{}, delivery.Permanent(fmt.Errorf("connector %q is not configured in this deployment", to.Connector))
	}
	start := time.Now()
	rcpt, err := conn.Deliver(ctx, to, msg)
	if d.metrics != nil {
		outcome := "ok"
		switch {
		case err != nil && delivery.IsPermanent(err):
			outcome = "permanent"
		case err != nil:
			outcome = "retryable"
		}
		d.metrics.DeliveryTotal.WithLabelValues(to.Connector, outcome).Inc()
		d.metrics.DeliverySeconds.WithLabelValues(to.Connector).Observe(time.Since(start).Seconds())
	}
	return rcpt, err
}
