package smtptest_test

import (
	"fmt"
	"net/smtp"
	"strings"

	"github.com/imp-health/imp/internal/delivery/smtptest"
)

// Start a server (in a test: smtptest.NewServer(t, ...), which closes it
// at the end), point the code under test at it, then inspect what arrived.
func Example() {
	srv, err := smtptest.Start(smtptest.Options{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	// The code under test; here net/smtp.
	msg := "Subject: Ihr Befund\r\nMessage-ID: <m1@lab.example>\r\n\r\nGuten Tag.\r\n"
	if err := smtp.SendMail(srv.Addr(), nil, "results@lab.example", []string{"patient@example.org"}, []byte(msg)); err != nil {
		panic(err)
	}

	m := srv.Messages()[0]
	p, _ := m.Parse()
	fmt.Println(m.From, m.To, p.Subject, p.MessageID, strings.TrimSpace(p.Text))
	// Output: results@lab.example [patient@example.org] Ihr Befund <m1@lab.example> Guten Tag.
}

// Inject makes the server misbehave at one stage of the session: here the
// next two messages are refused with a temporary error once their content
// is sent, and the third is accepted.
func ExampleServer_Inject() {
	srv, _ := smtptest.Start(smtptest.Options{})
	defer srv.Close()
	srv.Inject(smtptest.Fault{Stage: smtptest.StageDataEnd, Code: 451, Text: "4.3.0 try later", Times: 2})
	for range 3 {
		err := smtp.SendMail(srv.Addr(), nil, "a@lab.example", []string{"b@example.org"}, []byte("Subject: x\r\n\r\nx\r\n"))
		fmt.Println(err, len(srv.Messages()))
	}
	// Output:
	// 451 "4.3.0 try later" 0
	// 451 "4.3.0 try later" 0
	// <nil> 1
}
