package lis

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/imp-health/imp/internal/delivery"
	"github.com/imp-health/imp/internal/hl7map"
	"github.com/imp-health/imp/internal/lab"
)

// Sender sends orders to one LIS.
type Sender struct {
	conn    *delivery.MLLP
	to      delivery.Destination
	message string // ORM or OML
	opt     hl7map.Options
}

// SenderConfig describes the LIS.
type SenderConfig struct {
	Addr    string
	TLS     bool
	Message string // ORM (ORM^O01) or OML (OML^O21)
	Options hl7map.Options
}

// NewSender sends through conn (the MLLP connector, which pools
// connections and reads the ACK).
func NewSender(conn *delivery.MLLP, cfg SenderConfig) *Sender {
	return &Sender{conn: conn, to: delivery.Destination{Connector: "mllp", Name: "lis", Addr: cfg.Addr, TLS: cfg.TLS},
		message: cfg.Message, opt: cfg.Options}
}

// SendOrder encodes the order and sends it; AA is nil, AE/AR a permanent
// error with the ACK's text, timeouts and connection errors retryable. The
// message id becomes the control id, so a resend is recognisable.
func (s *Sender) SendOrder(ctx context.Context, messageID string, o lab.Order, c lab.Customer, tests map[string]lab.Test) error {
	opt := s.opt
	opt.MessageID = messageID
	encode := hl7map.EncodeORM
	if s.message == "OML" {
		encode = hl7map.EncodeOML
	}
	body, _, err := encode(o, c, tests, opt)
	if err != nil {
		return delivery.Permanent(fmt.Errorf("encode order for the LIS: %w", err))
	}
	if _, err := s.conn.Deliver(ctx, s.to, delivery.Message{ID: messageID, Kind: "order", ContentType: "application/hl7-v2", Body: body}); err != nil {
		return fmt.Errorf("LIS: %w", err)
	}
	return nil
}

// Formats renders results for partners who take HL7 or FHIR.
func Formats(opt hl7map.Options) (hl7 func(ev Event) ([]byte, error), fhir func(ev Event) ([]byte, error)) {
	hl7 = func(ev Event) ([]byte, error) {
		o := opt
		o.MessageID = ev.MessageID
		b, _, err := hl7map.EncodeORU(ev.Order, ev.Customer, ev.Results, nil, o)
		return b, err
	}
	fhir = func(ev Event) ([]byte, error) {
		b, err := hl7map.FHIRResultBundle(ev.Order, ev.Customer, ev.Results, nil, opt)
		if err != nil {
			return nil, err
		}
		return json.Marshal(b)
	}
	return hl7, fhir
}

// Event is what Formats renders (the dispatch event's fields).
type Event struct {
	MessageID string
	Order     lab.Order
	Customer  lab.Customer
	Results   []lab.Result
}
