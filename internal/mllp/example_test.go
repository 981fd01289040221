package mllp_test

import (
	"context"
	"fmt"
	"log"
	"net"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/mllp"
)

// A receiver acknowledges what it accepted; here everything that parses.
// The client sends one message and reads the ACK.
func Example() {
	ctx := context.Background()
	srv, err := mllp.NewServer(mllp.ServerConfig{
		Handler: mllp.HandlerFunc(func(ctx context.Context, msg []byte) []byte {
			m, err := hl7.Parse(msg)
			if err != nil {
				return hl7.ACKForError(msg, err).Encode()
			}
			// ... make the message durable before acknowledging it ...
			return hl7.ACK(m, hl7.AA).Encode()
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, l) }()

	client, err := mllp.NewClient(l.Addr().String(), mllp.ClientConfig{PoolSize: 2})
	if err != nil {
		log.Fatal(err)
	}
	ack, err := client.Send(ctx, []byte("MSH|^~\\&|LIS|LAB|IMP|HQ|20240305143000||ORU^R01^ORU_R01|C42|P|2.5.1\rPID|1||PAT0042^^^LAB^MR\r"))
	if err != nil {
		log.Fatal(err) // mllp.IsRetryable(err) says whether to resend
	}
	m, _ := hl7.Parse(ack)
	fmt.Println(m.MSA().AckCode(), m.MSA().ControlID())

	client.Close()
	_ = srv.Shutdown(ctx)
	fmt.Println(<-served)
	// Output:
	// AA C42
	// mllp: closed
}
