package app

import (
	"github.com/imp-health/imp/internal/delivery"
	"github.com/imp-health/imp/internal/dispatch"
	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/hl7map"
	"github.com/imp-health/imp/internal/lis"
)

// hl7Options are the HL7 settings of messages IMP writes.
func (a *App) hl7Options() hl7map.Options {
	return hl7map.Options{
		SendingApplication: hl7.HD{NamespaceID: a.Cfg.HL7App}, SendingFacility: hl7.HD{NamespaceID: a.Cfg.HL7Facility},
		ReceivingApplication: hl7.HD{NamespaceID: a.Cfg.LISApp}, ReceivingFacility: hl7.HD{NamespaceID: a.Cfg.LISFacility},
	}
}

// formats renders results as HL7 ORU^R01 or a FHIR bundle for partners.
func (a *App) formats() dispatch.Formats {
	h, f := lis.Formats(a.hl7Options())
	ev := func(e dispatch.Event) lis.Event {
		return lis.Event{MessageID: e.MessageID, Order: e.Order, Customer: e.Customer, Results: e.Results}
	}
	return dispatch.Formats{
		HL7:  func(e dispatch.Event) ([]byte, error) { return h(ev(e)) },
		FHIR: func(e dispatch.Event) ([]byte, error) { return f(ev(e)) },
	}
}

// newLIS connects the order sender when an LIS is configured.
func (a *App) newLIS() (*lis.Sender, error) {
	if a.Cfg.LISAddr == "" {
		return nil, nil
	}
	conn, err := delivery.NewMLLP(delivery.MLLPOptions{PoolSize: a.Cfg.LISConns, AckTimeout: a.Cfg.LISAckTimeout, Logger: a.Log})
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, conn.Close)
	return lis.NewSender(conn, lis.SenderConfig{Addr: a.Cfg.LISAddr, TLS: a.Cfg.LISTLS, Message: a.Cfg.LISMessage, Options: a.hl7Options()}), nil
}

// Inbound takes HL7 v2 into the streams (MLLP listener, POST /v1/hl7).
func (a *App) Inbound() *lis.Inbound {
	return &lis.Inbound{Publisher: a.Publisher, Tiers: a.Tiers, Logger: a.Log}
}

// newDispatcher builds the delivery connectors this configuration allows:
// webhook, MLLP and file always; email and SMS when configured.
func (a *App) newDispatcher(formats dispatch.Formats) (*dispatch.Dispatcher, error) {
	log := a.Log
	conns := map[string]delivery.Connector{
		"webhook": delivery.NewWebhook(delivery.WebhookOptions{AllowHTTP: a.Cfg.WebhookAllowHTTP, Logger: log}),
		"file":    delivery.NewFile(delivery.FileOptions{Dir: a.Cfg.DataDir + "/outbox", Logger: log}),
	}
	m, err := delivery.NewMLLP(delivery.MLLPOptions{PoolSize: 2, Logger: log})
	if err != nil {
		return nil, err
	}
	conns["mllp"] = m
	if a.Cfg.SMTPHost != "" {
		e, err := delivery.NewEmail(delivery.EmailOptions{
			Host: a.Cfg.SMTPHost, Port: a.Cfg.SMTPPort, From: a.Cfg.SMTPFrom, Username: a.Cfg.SMTPUser,
			Password: a.Cfg.SMTPPassword, TLS: delivery.SMTPTLS(a.Cfg.SMTPTLS), Logger: log,
		})
		if err != nil {
			return nil, err
		}
		conns["email"] = e
	}
	if a.Cfg.SMSURL != "" {
		s, err := delivery.NewSMS(delivery.SMSOptions{GatewayURL: a.Cfg.SMSURL, Token: a.Cfg.SMSToken, AllowHTTP: a.Cfg.WebhookAllowHTTP, Logger: log})
		if err != nil {
			return nil, err
		}
		conns["sms"] = s
	}
	return dispatch.New(conns, formats, a.Metrics), nil
}
