package lis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/hl7map"
	"github.com/imp-health/imp/internal/ingest"
	"github.com/imp-health/imp/internal/msgid"
	"github.com/imp-health/imp/internal/stream"
)

// Inbound takes HL7 v2 messages into IMP's streams.
type Inbound struct {
	Publisher *ingest.Publisher
	Tiers     *ingest.Tiers
	Options   hl7map.Options
	Logger    *slog.Logger
}

// Outcome is what became of one inbound message.
type Outcome struct {
	// ACK is the acknowledgement to send back; nil when the message could
	// not be made durable (the broker failed): the sender must resend.
	ACK []byte
	// Code is the ACK code (AA, AE, AR).
	Code hl7.AckCode
	// Accepted lists the records produced (on AA).
	Accepted []ingest.Accepted
	// Err explains AE and AR (a *hl7map.Error names the location) and a
	// broker failure; nil on AA.
	Err error
	// Kind is what the message was.
	Kind hl7map.Kind
}

// ErrNotDurable means the broker did not acknowledge every record: no ACK
// was built, and the sender should resend.
var ErrNotDurable = errors.New("the message could not be made durable; resend it")

// Handle takes one message: parse, classify, map, publish, ACK. Records get
// ids derived from the sender and control id, so a resent message (after
// a lost ACK) is deduplicated downstream.
func (in *Inbound) Handle(ctx context.Context, raw []byte, client string) Outcome {
	m, err := hl7.Parse(raw)
	if err != nil {
		return Outcome{ACK: hl7.ACKForError(raw, err).Encode(), Code: hl7.AR, Err: err}
	}
	kind := hl7map.Classify(m)
	out := Outcome{Kind: kind}
	reject := func(err error) Outcome {
		out.Err = err
		var me *hl7map.Error
		if errors.As(err, &me) {
			out.Code = me.AckCode()
			out.ACK = hl7.ACK(m, out.Code, hl7.WithError(me.Detail())).Encode()
			return out
		}
		out.Code = hl7.AE
		out.ACK = hl7.ACK(m, hl7.AE, hl7.WithError(hl7.ErrorDetail{Code: hl7.CodeApplicationInternal, Severity: hl7.SeverityError, Message: err.Error()})).Encode()
		return out
	}
	var es []ingest.Envelope
	switch kind {
	case hl7map.KindResults:
		rs, err := hl7map.DecodeResults(m, in.Options)
		if err != nil {
			return reject(err)
		}
		for i := range rs {
			r := &rs[i]
			if err := r.Validate(); err != nil {
				return reject(fmt.Errorf("result %d (%s): %w", i+1, r.TestCode, err))
			}
			streamName, headers := in.Tiers.RouteResult(ctx, r)
			body, _ := json.Marshal(r)
			es = append(es, ingest.Envelope{Stream: streamName, Key: r.AccessionNumber, Kind: "result", Value: body, Headers: headers})
		}
		// OBR-25 of a results message also says how far the order got
		// (resulted, verified): the order's status follows its results.
		if evs, err := hl7map.DecodeStatus(m, in.Options); err == nil {
			for i := range evs {
				if evs[i].Validate() != nil {
					continue
				}
				body, _ := json.Marshal(evs[i])
				es = append(es, ingest.Envelope{Stream: stream.Status, Key: evs[i].AccessionNumber, Kind: "status", Value: body})
			}
		}
	case hl7map.KindStatus:
		evs, err := hl7map.DecodeStatus(m, in.Options)
		if err != nil {
			return reject(err)
		}
		for i := range evs {
			if err := evs[i].Validate(); err != nil {
				return reject(fmt.Errorf("status %d: %w", i+1, err))
			}
			body, _ := json.Marshal(evs[i])
			es = append(es, ingest.Envelope{Stream: stream.Status, Key: evs[i].AccessionNumber, Kind: "status", Value: body})
		}
	case hl7map.KindOrder:
		os, c, err := hl7map.DecodeOrders(m, in.Options)
		if err != nil {
			return reject(err)
		}
		if c.ID != "" && c.FamilyName != "" {
			if err := c.Validate(); err != nil {
				return reject(fmt.Errorf("patient: %w", err))
			}
			body, _ := json.Marshal(c)
			es = append(es, ingest.Envelope{Stream: stream.Customer, Key: c.ID, Kind: "customer", Value: body})
		}
		for i := range os {
			if err := os[i].Validate(); err != nil {
				return reject(fmt.Errorf("order %d: %w", i+1, err))
			}
			body, _ := json.Marshal(os[i])
			es = append(es, ingest.Envelope{Stream: stream.Orders, Key: os[i].AccessionNumber, Kind: "order", Value: body})
		}
	case hl7map.KindPatient:
		c, err := hl7map.DecodeCustomer(m, in.Options)
		if err != nil {
			return reject(err)
		}
		if err := c.Validate(); err != nil {
			return reject(fmt.Errorf("patient: %w", err))
		}
		body, _ := json.Marshal(c)
		es = append(es, ingest.Envelope{Stream: stream.Customer, Key: c.ID, Kind: "customer", Value: body})
	default:
		return reject(hl7map.Unsupported(m))
	}
	if len(es) == 0 {
		return reject(errors.New("the message carries nothing to take in"))
	}
	msh := m.MSH()
	app, fac := msh.SendingApplication(), msh.SendingFacility()
	sender := app.NamespaceID + "^" + app.UniversalID + "|" + fac.NamespaceID + "^" + fac.UniversalID
	for i := range es {
		es[i].MessageID = msgid.Derive("imp-hl7-in-v1", sender, m.ControlID(), strconv.Itoa(i))
		es[i].Client = client
	}
	acc, errs := in.Publisher.PublishMany(ctx, es)
	if err := errors.Join(errs...); err != nil {
		if in.Logger != nil {
			in.Logger.Warn("inbound HL7 not durable; no ACK sent", "control_id", m.ControlID(), "records", len(es), "err", err)
		}
		out.Err = fmt.Errorf("%w: %w", ErrNotDurable, err)
		return out
	}
	out.Code, out.Accepted = hl7.AA, acc
	out.ACK = hl7.ACK(m, hl7.AA).Encode()
	return out
}

// MLLP adapts Inbound to the MLLP listener: a nil ACK closes the
// connection so the sender resends.
func (in *Inbound) MLLP(ctx context.Context, raw []byte) []byte {
	return in.Handle(ctx, raw, "mllp").ACK
}
