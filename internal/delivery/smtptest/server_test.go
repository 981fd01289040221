package smtptest_test

import (
	"bytes"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/delivery/smtptest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const rawMIME = "From: a@lab.example\r\n" +
	"To: b@clinic.example\r\n" +
	"Subject: =?UTF-8?q?Befund_f=C3=BCr_Sie?=\r\n" +
	"Message-ID: <id-1@lab.example>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=outer\r\n" +
	"\r\n" +
	"--outer\r\n" +
	"Content-Type: multipart/alternative; boundary=inner\r\n" +
	"\r\n" +
	"--inner\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"Gr=C3=BC=C3=9Fe\r\n" +
	".leading dot\r\n" +
	"--inner\r\n" +
	"Content-Type: text/html; charset=UTF-8\r\n" +
	"\r\n" +
	"<p>hi</p>\r\n" +
	"--inner--\r\n" +
	"--outer\r\n" +
	"Content-Type: application/pdf; name=\"r.pdf\"\r\n" +
	"Content-Disposition: attachment; filename=\"r.pdf\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"JVBERi0xLjcKAAEC/w==\r\n" +
	"--outer--\r\n"

func send(t *testing.T, srv *smtptest.Server, tlsOn bool, user, pass string) error {
	t.Helper()
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		return err
	}
	if tlsOn {
		cfg := srv.ClientTLSConfig()
		cfg.ServerName = "localhost"
		if err := c.StartTLS(cfg); err != nil {
			return err
		}
	}
	if user != "" {
		if err := c.Auth(smtp.PlainAuth("", user, pass, srv.Host())); err != nil {
			return err
		}
	}
	if err := c.Mail("a@lab.example"); err != nil {
		return err
	}
	for _, r := range []string{"b@clinic.example", "c@clinic.example"} {
		if err := c.Rcpt(r); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(rawMIME)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func TestRecordsAndParses(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.Options{STARTTLS: true, Username: "u", Password: "p"})
	if err := send(t, srv, true, "u", "p"); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	if m.From != "a@lab.example" || len(m.To) != 2 || m.To[1] != "c@clinic.example" || !m.TLS ||
		m.TLSServerName != "localhost" || m.AuthUser != "u" || m.Helo != "client.test" {
		t.Errorf("envelope %+v", m)
	}
	p, err := m.Parse()
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "Befund für Sie" || p.MessageID != "<id-1@lab.example>" {
		t.Errorf("subject %q id %q", p.Subject, p.MessageID)
	}
	if p.Text != "Grüße\r\n.leading dot" || p.HTML != "<p>hi</p>" {
		t.Errorf("text %q html %q", p.Text, p.HTML)
	}
	if len(p.Attachments) != 1 || p.Attachments[0].Filename != "r.pdf" || p.Attachments[0].ContentType != "application/pdf" ||
		!bytes.Equal(p.Attachments[0].Data, []byte("%PDF-1.7\n\x00\x01\x02\xff")) {
		t.Errorf("attachments %+v", p.Attachments)
	}
}

func TestAuthAndTLSRequirements(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.Options{STARTTLS: true, RequireTLS: true, Username: "u", Password: "p"})
	var te *textproto.Error
	if err := send(t, srv, false, "", ""); !errors.As(err, &te) || te.Code != 530 {
		t.Errorf("MAIL without TLS: %v, want 530", err)
	}
	if err := send(t, srv, true, "u", "wrong"); !errors.As(err, &te) || te.Code != 535 {
		t.Errorf("wrong password: %v, want 535", err)
	}
	if err := send(t, srv, true, "", ""); !errors.As(err, &te) || te.Code != 530 {
		t.Errorf("MAIL without AUTH: %v, want 530", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages recorded", n)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.Options{})
	srv.Inject(smtptest.Fault{Stage: smtptest.StageDataEnd, Code: 451, Text: "4.3.0 later", Times: 2})
	var te *textproto.Error
	for i := range 2 {
		if err := send(t, srv, false, "", ""); !errors.As(err, &te) || te.Code != 451 || te.Msg != "4.3.0 later" {
			t.Fatalf("attempt %d: %v, want 451", i+1, err)
		}
	}
	if err := send(t, srv, false, "", ""); err != nil {
		t.Fatalf("third attempt: %v", err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("%d messages, want 1", n)
	}

	srv.Inject(smtptest.Fault{Stage: smtptest.StageRcpt, Drop: true})
	if err := send(t, srv, false, "", ""); err == nil {
		t.Fatal("dropped connection: no error")
	}
	srv.ClearFaults()

	srv.Inject(smtptest.Fault{Stage: smtptest.StageConnect, Hang: true, Times: 1})
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 10)
	if n, err := c.Read(buf); n != 0 || err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("hung greeting: read %q, %v; want a timeout", buf[:n], err)
	}
	_ = c.Close()
	if err := send(t, srv, false, "", ""); err != nil {
		t.Fatalf("after the hang: %v", err)
	}
	if srv.Sessions() < 6 {
		t.Errorf("Sessions = %d", srv.Sessions())
	}
	srv.Reset()
	if len(srv.Messages()) != 0 {
		t.Error("Reset kept messages")
	}
}

// TestCloseReleasesHungSessions: Close must not wait for a client that
// never gives up.
func TestCloseReleasesHungSessions(t *testing.T) {
	t.Parallel()
	srv, err := smtptest.Start(smtptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Inject(smtptest.Fault{Stage: smtptest.StageHelo, Hang: true})
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tc := textproto.NewConn(c)
	if _, _, err := tc.ReadResponse(220); err != nil {
		t.Fatal(err)
	}
	_ = tc.PrintfLine("EHLO x")
	time.Sleep(50 * time.Millisecond)
	done := make(chan error, 1)
	go func() {
		err := srv.Close()
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Logf("close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked on a hung session")
	}
}

func TestMessageTooBig(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.Options{MaxMessageBytes: 100})
	var te *textproto.Error
	if err := send(t, srv, false, "", ""); !errors.As(err, &te) || te.Code != 552 {
		t.Fatalf("%v, want 552", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages recorded", n)
	}
}
