package delivery_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/imp-health/imp/internal/delivery"
	"github.com/imp-health/imp/internal/delivery/deliverytest"
	"github.com/imp-health/imp/internal/delivery/smtptest"
)

const (
	smtpUser     = "imp-relay"
	smtpPassword = "relay-pass-77d1"
	rcptA        = "jane.roe@example.org"
	rcptB        = "dr.who@clinic.example"
)

// smtpReceiver drives a smtptest.Server from the suite's modes. Refusals
// echo the recipient, as real relays do, so the suite sees whether the
// connector keeps addresses out of its errors.
type smtpReceiver struct {
	t   *testing.T
	srv *smtptest.Server
}

func (r *smtpReceiver) Set(mode deliverytest.Mode, n int) {
	r.srv.ClearFaults()
	switch mode {
	case deliverytest.Accept:
	case deliverytest.Reject:
		r.srv.Inject(smtptest.Fault{Stage: smtptest.StageRcpt, Code: 550, Text: "5.1.1 <" + rcptA + ">: Recipient address rejected", Times: n})
	case deliverytest.Transient:
		r.srv.Inject(smtptest.Fault{Stage: smtptest.StageDataEnd, Code: 451, Text: "4.3.0 <" + rcptA + ">: mailbox busy", Times: n})
	case deliverytest.Hang:
		r.srv.Inject(smtptest.Fault{Stage: smtptest.StageDataEnd, Hang: true, Times: n})
	case deliverytest.Drop:
		r.srv.Inject(smtptest.Fault{Stage: smtptest.StageDataEnd, Drop: true, Times: n})
	}
}

func (r *smtpReceiver) Received() []deliverytest.Received {
	var out []deliverytest.Received
	for _, m := range r.srv.Messages() {
		p, err := m.Parse()
		if err != nil {
			r.t.Errorf("received message does not parse: %v", err)
			continue
		}
		id := strings.TrimPrefix(p.MessageID, "<")
		id, _, _ = strings.Cut(id, "@")
		if h := p.Header.Get(delivery.HeaderMessageID); h != id {
			r.t.Errorf("X-IMP-Message-ID %q, Message-ID %q", h, p.MessageID)
		}
		var atts []delivery.Attachment
		for _, a := range p.Attachments {
			atts = append(atts, delivery.Attachment{Filename: a.Filename, ContentType: a.ContentType, Data: a.Data})
		}
		out = append(out, deliverytest.Received{
			ID:          id,
			Kind:        p.Header.Get(delivery.HeaderKind),
			Subject:     p.Subject,
			Body:        []byte(strings.ReplaceAll(p.Text, "\r\n", "\n")),
			Attachments: atts,
		})
	}
	return out
}

func emailHarness() deliverytest.Harness {
	return deliverytest.Harness{
		Features: deliverytest.Features{
			ContentType: "text/plain; charset=utf-8",
			Subject:     true, KindSeen: true, Attachments: true,
			Transient: true, Hang: true, Drop: true,
		},
		Start: func(t *testing.T, logger *slog.Logger) deliverytest.Env {
			srv := smtptest.NewServer(t, smtptest.Options{STARTTLS: true, RequireTLS: true, Username: smtpUser, Password: smtpPassword})
			em, err := delivery.NewEmail(delivery.EmailOptions{
				Host: srv.Host(), Port: srv.Port(), From: "IMP Lab <results@lab.example>",
				Username: smtpUser, Password: smtpPassword, TLSConfig: srv.ClientTLSConfig(),
				HELO: "imp.test", Logger: logger,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = em.Close() })
			return deliverytest.Env{
				Connector: em,
				Dest:      delivery.Destination{Connector: delivery.ConnectorEmail, Name: "patient-mail", Email: []string{rcptA, "Dr Who <" + rcptB + ">"}},
				Receiver:  &smtpReceiver{t: t, srv: srv},
				Sensitive: []string{rcptA, rcptB, smtpPassword, "jane.roe", "dr.who"},
			}
		},
	}
}

func TestEmailSuite(t *testing.T) {
	t.Parallel()
	deliverytest.Exercise(t, emailHarness())
}

func newTestEmail(t *testing.T, srv *smtptest.Server, opts delivery.EmailOptions) *delivery.Email {
	t.Helper()
	opts.Host, opts.Port = srv.Host(), srv.Port()
	if opts.From == "" {
		opts.From = "results@lab.example"
	}
	if opts.TLSConfig == nil {
		opts.TLSConfig = srv.ClientTLSConfig()
	}
	em, err := delivery.NewEmail(opts)
	if err != nil {
		t.Fatal(err)
	}
	return em
}

var emailTo = delivery.Destination{Connector: "email", Email: []string{rcptA}}

func emailMsg(id string) delivery.Message {
	return delivery.Message{ID: id, Kind: "report", Subject: "Ihr Befund – Labor", Body: []byte("Guten Tag,\nIhr Befund liegt bei.\n")}
}

func TestEmailUsesSTARTTLSWhenOffered(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.Options{STARTTLS: true})
	em := newTestEmail(t, srv, delivery.EmailOptions{})
	if _, err := em.Deliver(t.Context(), emailTo, emailMsg("m-tls")); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || !msgs[0].TLS {
		t.Fatalf("messages %+v: want one, sent after STARTTLS", msgs)
	}
}

func TestEmailOpportunisticSendsInClearWithoutSTARTTLS(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.Options{})
	em := newTestEmail(t, srv, delivery.EmailOptions{})
	if _, err := em.Deliver(t.Context(), emailTo, emailMsg("m-clear")); err != nil {
		t.Fatal(err)
	}
	if msgs := srv.Messages(); len(msgs) != 1 || msgs[0].TLS {
		t.Fatalf("messages %+v: want one, in clear", msgs)
	}
}

func TestEmailMandatoryTLSRefusesPlainServer(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.Options{})
	em := newTestEmail(t, srv, delivery.EmailOptions{TLS: delivery.SMTPStartTLSRequired})
	_, err := em.Deliver(t.Context(), emailTo, emailMsg("m-mand"))
	if err == nil || delivery.IsPermanent(err) || !errors.Is(err, delivery.ErrUnavailable) {
		t.Fatalf("%v: want a retryable ErrUnavailable", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages sent in clear despite mandatory TLS", n)
	}
}

func TestEmailImplicitTLS(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.Options{ImplicitTLS: true, Username: smtpUser, Password: smtpPassword})
	em := newTestEmail(t, srv, delivery.EmailOptions{TLS: delivery.SMTPImplicitTLS, Username: smtpUser, Password: smtpPassword})
	if _, err := em.Deliver(t.Context(), emailTo, emailMsg("m-smtps")); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || !msgs[0].TLS || msgs[0].AuthUser != smtpUser {
		t.Fatalf("messages %+v: want one over implicit TLS, authenticated", msgs)
	}
}

func TestEmailAttachmentArrivesIntact(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.Options{STARTTLS: true})
	em := newTestEmail(t, srv, delivery.EmailOptions{})
	pdf := []byte("%PDF-1.7\n\x00\x01\x02\xff\xfe binary \r\n line\n.\n..\n%%EOF")
	m := emailMsg("0190aaaa-7abc-7def-8abc-00000000000a")
	m.HTML = []byte("<p>Guten Tag, Ihr Befund liegt bei.</p>")
	m.Attachments = []delivery.Attachment{{Filename: "befund-2026.pdf", ContentType: "application/pdf", Data: pdf}}
	m.Headers = map[string]string{"X-Campaign": "results"}
	r, err := em.Deliver(t.Context(), emailTo, m)
	if err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	if msgs[0].From != "results@lab.example" || len(msgs[0].To) != 1 || msgs[0].To[0] != rcptA {
		t.Errorf("envelope from %q to %v", msgs[0].From, msgs[0].To)
	}
	p, err := msgs[0].Parse()
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != m.Subject {
		t.Errorf("subject %q", p.Subject)
	}
	if want := "<" + m.ID + "@lab.example>"; p.MessageID != want || r.SMTPID != want {
		t.Errorf("Message-ID %q, receipt %q, want %q", p.MessageID, r.SMTPID, want)
	}
	if got := strings.ReplaceAll(p.Text, "\r\n", "\n"); got != string(m.Body) {
		t.Errorf("text %q", got)
	}
	if p.HTML != string(m.HTML) {
		t.Errorf("html %q", p.HTML)
	}
	if p.Header.Get("X-Campaign") != "results" || p.Header.Get("X-IMP-Kind") != "report" {
		t.Errorf("headers %v", p.Header)
	}
	if len(p.Attachments) != 1 {
		t.Fatalf("attachments %+v", p.Attachments)
	}
	a := p.Attachments[0]
	if a.Filename != "befund-2026.pdf" || a.ContentType != "application/pdf" || string(a.Data) != string(pdf) {
		t.Errorf("attachment %q %q %q", a.Filename, a.ContentType, a.Data)
	}
}

func TestEmailResendHasSameMessageID(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.Options{})
	em := newTestEmail(t, srv, delivery.EmailOptions{MessageIDDomain: "imp.lab.example"})
	for range 2 {
		if _, err := em.Deliver(t.Context(), emailTo, emailMsg("resend-1")); err != nil {
			t.Fatal(err)
		}
	}
	msgs := srv.Messages()
	var ids []string
	for _, m := range msgs {
		p, err := m.Parse()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.MessageID)
	}
	if len(ids) != 2 || ids[0] != ids[1] || ids[0] != "<resend-1@imp.lab.example>" {
		t.Errorf("Message-IDs %v, want the same derived id twice", ids)
	}
	if got := em.MessageID("not a dot atom"); !strings.HasSuffix(got, "@imp.lab.example>") || strings.Contains(got, " ") {
		t.Errorf("MessageID of an odd id = %q", got)
	}
}

func TestEmailReplyClassification(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		fault     smtptest.Fault
		auth      bool
		permanent bool
		target    error
	}{
		{"greeting 421", smtptest.Fault{Stage: smtptest.StageConnect, Code: 421, Text: "4.3.2 shutting down"}, false, false, delivery.ErrUnavailable},
		{"greeting 554", smtptest.Fault{Stage: smtptest.StageConnect, Code: 554, Text: "5.7.1 no service for you"}, false, true, delivery.ErrRejected},
		{"mail 452", smtptest.Fault{Stage: smtptest.StageMail, Code: 452, Text: "4.3.1 insufficient storage"}, false, false, delivery.ErrUnavailable},
		{"mail 553", smtptest.Fault{Stage: smtptest.StageMail, Code: 553, Text: "5.7.1 sender not allowed"}, false, true, delivery.ErrRejected},
		{"rcpt 450", smtptest.Fault{Stage: smtptest.StageRcpt, Code: 450, Text: "4.2.1 <" + rcptA + "> greylisted"}, false, false, delivery.ErrUnavailable},
		{"rcpt 550", smtptest.Fault{Stage: smtptest.StageRcpt, Code: 550, Text: "5.1.1 <" + rcptA + "> unknown"}, false, true, delivery.ErrRejected},
		{"data 554", smtptest.Fault{Stage: smtptest.StageData, Code: 554, Text: "5.3.0 no"}, false, true, delivery.ErrRejected},
		{"data end 552", smtptest.Fault{Stage: smtptest.StageDataEnd, Code: 552, Text: "5.3.4 too big"}, false, true, delivery.ErrRejected},
		{"drop at rcpt", smtptest.Fault{Stage: smtptest.StageRcpt, Drop: true}, false, false, delivery.ErrUnavailable},
		{"bad password", smtptest.Fault{}, true, true, delivery.ErrRejected},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := smtptest.Options{STARTTLS: true}
			if tc.auth {
				opts.Username, opts.Password = smtpUser, smtpPassword
			}
			srv := smtptest.NewServer(t, opts)
			if !tc.auth {
				srv.Inject(tc.fault)
			}
			eo := delivery.EmailOptions{}
			if tc.auth {
				eo.Username, eo.Password = smtpUser, "wrong-password"
			}
			em := newTestEmail(t, srv, eo)
			_, err := em.Deliver(t.Context(), emailTo, emailMsg("m-class"))
			if err == nil || delivery.IsPermanent(err) != tc.permanent || !errors.Is(err, tc.target) {
				t.Fatalf("%v (permanent %v), want %v permanent=%v", err, delivery.IsPermanent(err), tc.target, tc.permanent)
			}
			if strings.Contains(err.Error(), rcptA) || strings.Contains(err.Error(), "wrong-password") {
				t.Errorf("error leaks an address or secret: %v", err)
			}
		})
	}
}

func TestEmailRefusesBadInput(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.Options{})
	em := newTestEmail(t, srv, delivery.EmailOptions{})
	msg := emailMsg("m-bad")
	cases := []struct {
		name string
		to   delivery.Destination
		m    delivery.Message
		want error
	}{
		{"no recipient", delivery.Destination{Connector: "email"}, msg, delivery.ErrBadDestination},
		{"bad recipient", delivery.Destination{Connector: "email", Email: []string{"jane.roe at example"}}, msg, delivery.ErrBadDestination},
		{"json body", emailTo, func() delivery.Message { m := msg; m.ContentType = "application/json"; return m }(), delivery.ErrBadMessage},
		{"subject injection", emailTo, func() delivery.Message { m := msg; m.Subject = "a\r\nBcc: x@y"; return m }(), delivery.ErrBadMessage},
		{"reserved header", emailTo, withHeaders(msg, map[string]string{"Bcc": "x@y.example"}), delivery.ErrBadMessage},
		{"attachment without name", emailTo, func() delivery.Message {
			m := msg
			m.Attachments = []delivery.Attachment{{Data: []byte("x")}}
			return m
		}(), delivery.ErrBadMessage},
	}
	for _, tc := range cases {
		_, err := em.Deliver(t.Context(), tc.to, tc.m)
		if !errors.Is(err, tc.want) || !delivery.IsPermanent(err) {
			t.Errorf("%s: %v, want permanent %v", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "jane.roe") {
			t.Errorf("%s: error names the recipient: %v", tc.name, err)
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages sent", n)
	}
}

func TestNewEmailValidates(t *testing.T) {
	t.Parallel()
	cases := map[string]delivery.EmailOptions{
		"Host":          {From: "a@b.example"},
		"From":          {Host: "smtp.example", From: "not an address"},
		"TLS":           {Host: "smtp.example", From: "a@b.example", TLS: "sometimes"},
		"AuthMechanism": {Host: "smtp.example", From: "a@b.example", Username: "u", AuthMechanism: "MAGIC"},
		"Password":      {Host: "smtp.example", From: "a@b.example", Password: "p"},
		"Port":          {Host: "smtp.example", From: "a@b.example", Port: 70000},
	}
	for field, o := range cases {
		_, err := delivery.NewEmail(o)
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v, want an error naming the field", field, err)
		}
	}
}
