package app

import (
	"github.com/imp-health/imp/internal/delivery"
	"github.com/imp-health/imp/internal/dispatch"
)

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
