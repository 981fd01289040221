// Package jobs is the job envelope of IMP's background work — what the
// seed's Celery workers (worker-pdf, worker-notifications,
// worker-create-order, worker-default) did — and the rules of each kind:
// its arguments and their validation, which stream runs it, the identity
// that makes a job happen once, the notification templates and the
// partner order formats create-order understands.
//
// Jobs run on the worker and worker-order streams (internal/consumer's
// worker.go). This package does no I/O.
package jobs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/stream"
)

// Kind names what a job does.
type Kind string

// The job kinds.
const (
	KindPDFReport   Kind = "pdf-report"   // render and store an order's PDF result report, then notify
	KindNotify      Kind = "notify"       // tell a customer a report is ready (email, SMS) or deliver it to destinations
	KindCreateOrder Kind = "create-order" // turn a partner's own order format into a canonical order
	KindDefault     Kind = "default"      // small maintenance tasks
)

// Kinds lists every kind.
var Kinds = []Kind{KindPDFReport, KindNotify, KindCreateOrder, KindDefault}

// Job is the envelope on the worker streams.
type Job struct {
	Kind Kind            `json:"kind"`
	Args json.RawMessage `json:"args"`
	// RunAt schedules the job; empty or past runs it now.
	RunAt time.Time `json:"run_at,omitzero"`
}

// Stream is where a kind of job runs.
func Stream(k Kind) string {
	if k == KindCreateOrder {
		return stream.WorkerOrder
	}
	return stream.Worker
}

// PDFReportArgs name the order to report on.
type PDFReportArgs struct {
	AccessionNumber string `json:"accession_number"`
}

// Notification channels.
const (
	ChannelEmail        = "email"
	ChannelSMS          = "sms"
	ChannelDestinations = "destinations" // the destinations taking "report" events
)

// NotifyArgs say which report to announce, how.
type NotifyArgs struct {
	Channel         string `json:"channel"`
	AccessionNumber string `json:"accession_number"`
	ReportID        string `json:"report_id"`
	Template        string `json:"template,omitempty"` // default report-ready
}

// CreateOrderArgs carry a partner's order in its own format.
type CreateOrderArgs struct {
	Format    string          `json:"format"` // flat-json, hl7
	PartnerID string          `json:"partner_id"`
	Payload   json.RawMessage `json:"payload"` // a JSON object (flat-json) or a JSON string (hl7)
}

// DefaultArgs name a maintenance task.
type DefaultArgs struct {
	Task string `json:"task"` // prune-tracking
	// OlderThan is the age past which tracking is pruned (prune-tracking).
	OlderThan string `json:"older_than,omitempty"`
}

// Tasks of the default kind.
var Tasks = []string{"prune-tracking"}

func decodeArgs(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	return nil
}

// Validate checks the envelope and its kind's arguments, naming fields by
// their JSON path (args.accession_number).
func (j *Job) Validate() error {
	var p lab.Problems
	switch j.Kind {
	case KindPDFReport:
		var a PDFReportArgs
		if err := decodeArgs(j.Args, &a); err != nil {
			p.Add("args", "%v", err)
			break
		}
		p.ID("args.accession_number", a.AccessionNumber)
	case KindNotify:
		var a NotifyArgs
		if err := decodeArgs(j.Args, &a); err != nil {
			p.Add("args", "%v", err)
			break
		}
		p.OneOf("args.channel", a.Channel, ChannelEmail, ChannelSMS, ChannelDestinations)
		p.ID("args.accession_number", a.AccessionNumber)
		p.Required("args.report_id", a.ReportID)
		if a.Template != "" {
			if _, ok := templates[a.Template]; !ok {
				p.Add("args.template", "unknown template")
			}
		}
	case KindCreateOrder:
		var a CreateOrderArgs
		if err := decodeArgs(j.Args, &a); err != nil {
			p.Add("args", "%v", err)
			break
		}
		p.OneOf("args.format", a.Format, Formats()...)
		p.ID("args.partner_id", a.PartnerID)
		if len(bytes.TrimSpace(a.Payload)) == 0 {
			p.Add("args.payload", "is required")
		}
	case KindDefault:
		var a DefaultArgs
		if err := decodeArgs(j.Args, &a); err != nil {
			p.Add("args", "%v", err)
			break
		}
		p.OneOf("args.task", a.Task, Tasks...)
		if a.OlderThan != "" {
			if d, err := time.ParseDuration(a.OlderThan); err != nil || d < time.Hour {
				p.Add("args.older_than", "must be a duration of at least 1h")
			}
		}
	default:
		p.Add("kind", "must be one of pdf-report, notify, create-order, default")
	}
	return p.Err()
}

// Args decodes the job's arguments (after Validate).
func (j *Job) ArgsInto(v any) error {
	if err := decodeArgs(j.Args, v); err != nil {
		return fmt.Errorf("args: %w", err)
	}
	return nil
}
