package consumer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/delivery"
	"github.com/imp-health/imp/internal/dispatch"
	"github.com/imp-health/imp/internal/ingest"
	"github.com/imp-health/imp/internal/jobs"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/report"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/stream"
)

func init() {
	register(Definition{
		Name: "worker", Doc: "background jobs: PDF result reports, notifications (email, SMS, destinations), maintenance",
		Streams: []string{stream.Worker}, Enabled: true, Concurrency: 4, BatchSize: 20, Timeout: 2 * time.Minute,
		Scaling: Scaling{Replicas: 1, MaxReplicas: 15, LagThreshold: 15},
		New:     workerHandler,
	})
	register(Definition{
		Name: "worker-order", Doc: "order jobs: create-order from a partner's own format",
		Streams: []string{stream.WorkerOrder}, Enabled: true, Concurrency: 4, BatchSize: 20,
		Scaling: Scaling{Replicas: 2},
		New:     workerHandler,
	})
}

// jobClaim is the claim namespace of a job kind: a job's effect is
// recorded once under it.
func jobClaim(k jobs.Kind) string { return "job:" + string(k) }

func workerHandler(d Deps) Handler {
	return HandlerFunc(func(ctx context.Context, msgs []*Message) error {
		for _, m := range msgs {
			runJob(ctx, d, m)
		}
		return nil
	})
}

func runJob(ctx context.Context, d Deps, m *Message) {
	var j jobs.Job
	if err := decodeStrict(m.Value, &j); err != nil {
		m.Fail(err)
		return
	}
	if err := j.Validate(); err != nil {
		m.Fail(Permanent(err))
		return
	}
	m.SetKey("job", string(j.Kind))
	m.Note = string(j.Kind) // failed jobs keep their kind in tracking too
	if !j.RunAt.IsZero() && j.RunAt.After(time.Now()) {
		m.Fail(Defer(j.RunAt))
		return
	}
	done, err := d.Store.Processed(ctx, jobClaim(j.Kind), []string{m.ID})
	if err != nil {
		m.Fail(err)
		return
	}
	if done[m.ID] {
		m.duplicate = true
		return
	}
	var note string
	switch j.Kind {
	case jobs.KindPDFReport:
		note, err = pdfReport(ctx, d, m, &j)
	case jobs.KindNotify:
		note, err = notify(ctx, d, m, &j)
	case jobs.KindCreateOrder:
		note, err = createOrder(ctx, d, m, &j)
	case jobs.KindDefault:
		note, err = defaultTask(ctx, d, m, &j)
	}
	if err != nil {
		m.Fail(err)
		return
	}
	m.Note = string(j.Kind) + ": " + note
}

// claimJob records a job's effect.
func claimJob(ctx context.Context, d Deps, k jobs.Kind, id string) error {
	return d.Store.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.Claim(ctx, jobClaim(k), []string{id})
		return err
	})
}

// pdfReport renders an order's report, stores it as the next version
// unless this set of results has one already, and enqueues its
// notifications (with ids derived from the report, so they happen once).
func pdfReport(ctx context.Context, d Deps, m *Message, j *jobs.Job) (string, error) {
	var a jobs.PDFReportArgs
	if err := j.ArgsInto(&a); err != nil {
		return "", Permanent(err)
	}
	m.SetKey("order", a.AccessionNumber)
	v, err := d.Store.Order(ctx, a.AccessionNumber)
	if errors.Is(err, store.ErrNotFound) || (err == nil && len(v.Results) == 0) {
		return "", Permanentf("order %s has no results to report", a.AccessionNumber)
	}
	if err != nil {
		return "", err
	}
	m.SetKey("customer", v.Order.CustomerID)
	digest := jobs.Digest(v.Results)
	id := jobs.ReportID(a.AccessionNumber, digest)
	existing, err := d.Store.Reports(ctx, a.AccessionNumber)
	if err != nil {
		return "", err
	}
	c, err := d.Store.Customer(ctx, v.Order.CustomerID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	var rep store.Report
	for _, r := range existing {
		if r.Digest == digest {
			rep = r
		}
	}
	if rep.ID == "" {
		if rep, err = renderReport(ctx, d, v, c, id, digest, len(existing)+1); err != nil {
			return "", err
		}
	}
	if err := d.Store.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.Claim(ctx, jobClaim(jobs.KindPDFReport), []string{m.ID}); err != nil {
			return err
		}
		if rep.Version == 0 {
			stored, _, err := tx.AddReport(ctx, rep)
			rep = stored
			return err
		}
		return nil
	}); err != nil {
		return "", err
	}
	channels := []string{jobs.ChannelDestinations}
	if c.Delivery.Email && c.Email != "" {
		channels = append(channels, jobs.ChannelEmail)
	}
	if c.Delivery.SMS && c.Phone != "" {
		channels = append(channels, jobs.ChannelSMS)
	}
	es := make([]ingest.Envelope, 0, len(channels))
	for _, ch := range channels {
		args, _ := jsonMarshal(jobs.NotifyArgs{Channel: ch, AccessionNumber: a.AccessionNumber, ReportID: rep.ID})
		body, _ := jsonMarshal(jobs.Job{Kind: jobs.KindNotify, Args: args})
		es = append(es, ingest.Envelope{Stream: jobs.Stream(jobs.KindNotify), Key: a.AccessionNumber, Kind: "job",
			Value: body, MessageID: jobs.NotifyJobID(rep.ID, ch), CorrelationID: m.CorrelationID, Client: "worker"})
	}
	_, errs := d.Publisher.PublishMany(ctx, es)
	if err := errors.Join(errs...); err != nil {
		return "", fmt.Errorf("enqueue notifications: %w", err)
	}
	return fmt.Sprintf("report %s v%d; notify %s", rep.ID, rep.Version, strings.Join(channels, ", ")), nil
}

// renderReport renders and writes the PDF (atomically) and returns the
// record to store.
func renderReport(ctx context.Context, d Deps, v store.OrderView, c lab.Customer, id, digest string, version int) (store.Report, error) {
	ts, err := d.Store.Tests(ctx)
	if err != nil {
		return store.Report{}, err
	}
	tests := make(map[string]lab.Test, len(ts))
	for _, t := range ts {
		tests[t.Code] = t
	}
	staff := map[string]lab.Employee{}
	for _, r := range v.Results {
		if r.VerifiedBy == "" {
			continue
		}
		if _, ok := staff[r.VerifiedBy]; ok {
			continue
		}
		e, err := d.Store.Employee(ctx, r.VerifiedBy)
		if err == nil {
			staff[r.VerifiedBy] = e
		}
	}
	if c.ID == "" {
		c.ID = v.Order.CustomerID
	}
	now := time.Now().UTC()
	rpt := report.Report{Lab: d.Reports.Lab, ReportID: id, Version: version, GeneratedAt: now, Customer: c,
		Order: v.Order, Results: v.Results, Tests: tests, Staff: staff}
	var buf bytes.Buffer
	if err := report.Render(&buf, rpt); err != nil {
		return store.Report{}, err // report.ErrInvalid is permanent
	}
	path := filepath.Join(d.Reports.Dir, safeName(v.Order.AccessionNumber), id+".pdf")
	if err := writeAtomic(path, buf.Bytes()); err != nil {
		return store.Report{}, err
	}
	return store.Report{ID: id, Accession: v.Order.AccessionNumber, Digest: digest, Path: path, Size: int64(buf.Len()), CreatedAt: now}, nil
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 || r == '.' && len(s) <= 2 {
			return '_'
		}
		return r
	}, s)
}

// writeAtomic writes data to path through a synced temporary file.
func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".report-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// notify tells the customer (email, SMS) or the destinations that a
// report is ready.
func notify(ctx context.Context, d Deps, m *Message, j *jobs.Job) (string, error) {
	var a jobs.NotifyArgs
	if err := j.ArgsInto(&a); err != nil {
		return "", Permanent(err)
	}
	m.SetKey("order", a.AccessionNumber)
	reps, err := d.Store.Reports(ctx, a.AccessionNumber)
	if err != nil {
		return "", err
	}
	var rep store.Report
	for _, r := range reps {
		if r.ID == a.ReportID {
			rep = r
		}
	}
	if rep.ID == "" {
		return "", Permanentf("report %s of order %s does not exist", a.ReportID, a.AccessionNumber)
	}
	v, err := d.Store.Order(ctx, a.AccessionNumber)
	if err != nil {
		return "", err
	}
	c, err := d.Store.Customer(ctx, v.Order.CustomerID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	m.SetKey("customer", c.ID)
	url := strings.TrimRight(d.Reports.PublicURL, "/") + "/v1/orders/" + a.AccessionNumber + "/report?version=" + fmt.Sprint(rep.Version)
	pdf := func() ([]byte, error) { return os.ReadFile(rep.Path) }
	if d.Dispatcher == nil {
		return "", errors.New("no dispatcher in this process")
	}
	switch a.Channel {
	case jobs.ChannelDestinations:
		dests, err := d.Store.DestinationsFor(ctx, owners(c.ID, v.Order.PartnerID), "report")
		if err != nil {
			return "", err
		}
		data, err := pdf()
		if err != nil {
			return "", err
		}
		ev := dispatch.Event{Kind: "report", MessageID: m.ID, Order: v.Order, Customer: c,
			Report: &dispatch.Report{ID: rep.ID, Filename: filepath.Base(rep.Path), PDF: data, URL: url}}
		n := deliverTo(ctx, d, m, dests, ev)
		if err := m.Err(); err != nil {
			m.Fail(nil)
			return "", err
		}
		return fmt.Sprintf("report %s delivered to %d of %d destinations", rep.ID, n, len(dests)), claimJob(ctx, d, jobs.KindNotify, m.ID)
	case jobs.ChannelEmail, jobs.ChannelSMS:
		data := jobs.Data{LabName: d.Reports.Lab.Name, GivenName: c.GivenName, Accession: a.AccessionNumber, ReportID: rep.ID,
			Version: rep.Version, URL: url, Attached: a.Channel == jobs.ChannelEmail && c.Delivery.AttachPDF, Correction: rep.Version > 1}
		subject, body, err := jobs.Render(a.Template, a.Channel, data)
		if err != nil {
			return "", Permanent(err)
		}
		msg := delivery.Message{ID: m.ID, Kind: "notification", ContentType: "text/plain; charset=utf-8", Subject: subject, Body: []byte(body)}
		to := delivery.Destination{Connector: a.Channel, Name: "customer"}
		if a.Channel == jobs.ChannelEmail {
			if c.Email == "" {
				return "", Permanentf("customer %s has no email address", c.ID)
			}
			to.Email = []string{c.Email}
			if data.Attached {
				b, err := pdf()
				if err != nil {
					return "", err
				}
				msg.Attachments = []delivery.Attachment{{Filename: filepath.Base(rep.Path), ContentType: "application/pdf", Data: b}}
			}
		} else {
			if c.Phone == "" {
				return "", Permanentf("customer %s has no phone number", c.ID)
			}
			to.Phone = c.Phone
			msg.Subject = ""
		}
		if _, err := d.Dispatcher.Send(ctx, to, msg); err != nil {
			return "", err
		}
		return a.Channel + " sent for report " + rep.ID, claimJob(ctx, d, jobs.KindNotify, m.ID)
	}
	return "", Permanentf("unknown channel %q", a.Channel)
}

// createOrder turns a partner's order into canonical records on the
// customer and lis-orders streams, with ids derived from the job.
func createOrder(ctx context.Context, d Deps, m *Message, j *jobs.Job) (string, error) {
	var a jobs.CreateOrderArgs
	if err := j.ArgsInto(&a); err != nil {
		return "", Permanent(err)
	}
	o, c, err := jobs.ParseOrder(a.Format, a.PartnerID, a.Payload)
	if err != nil {
		return "", Permanent(err)
	}
	if err := o.Validate(); err != nil {
		return "", Permanent(err)
	}
	m.SetKey("order", o.AccessionNumber)
	m.SetKey("customer", o.CustomerID)
	var es []ingest.Envelope
	if c != nil {
		if err := c.Validate(); err != nil {
			return "", Permanent(err)
		}
		body, _ := jsonMarshal(c)
		es = append(es, ingest.Envelope{Stream: stream.Customer, Key: c.ID, Kind: "customer", Value: body,
			MessageID: jobs.CreatedOrderID(m.ID + "/customer"), CorrelationID: m.CorrelationID, Client: "worker-order"})
	}
	body, _ := jsonMarshal(o)
	es = append(es, ingest.Envelope{Stream: stream.Orders, Key: o.AccessionNumber, Kind: "order", Value: body,
		MessageID: jobs.CreatedOrderID(m.ID), CorrelationID: m.CorrelationID, Client: "worker-order"})
	_, errs := d.Publisher.PublishMany(ctx, es)
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	return "order " + o.AccessionNumber + " created from " + a.Format, claimJob(ctx, d, jobs.KindCreateOrder, m.ID)
}

// defaultTask runs a small maintenance task.
func defaultTask(ctx context.Context, d Deps, m *Message, j *jobs.Job) (string, error) {
	var a jobs.DefaultArgs
	if err := j.ArgsInto(&a); err != nil {
		return "", Permanent(err)
	}
	switch a.Task {
	case "prune-tracking":
		age := 14 * 24 * time.Hour
		if a.OlderThan != "" {
			age, _ = time.ParseDuration(a.OlderThan)
		}
		total := 0
		for range 1000 {
			n, err := d.Store.Prune(ctx, time.Now().Add(-age), 5000)
			if err != nil {
				return "", err
			}
			total += n
			if n == 0 {
				break
			}
		}
		return fmt.Sprintf("pruned %d tracking rows older than %s", total, age), claimJob(ctx, d, jobs.KindDefault, m.ID)
	}
	return "", Permanentf("unknown task %q", a.Task)
}
