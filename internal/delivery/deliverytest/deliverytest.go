// Package deliverytest is the test suite every delivery connector must
// pass. A connector's test calls Exercise with a Harness: a function that
// starts an in-process receiver (an httptest server, an MLLP ACK server, a
// smtptest server, a temporary directory) and a connector pointed at it,
// and a Features struct that declares what the connector carries and
// which faults its receiver can simulate.
//
//	deliverytest.Exercise(t, deliverytest.Harness{
//		Features: deliverytest.Features{ContentType: "application/json", Transient: true, Hang: true, Drop: true},
//		Start: func(t *testing.T, log *slog.Logger) deliverytest.Env {
//			rcv := ...   // implements deliverytest.Receiver
//			conn := delivery.NewWebhook(delivery.WebhookOptions{Logger: log, ...})
//			t.Cleanup(func() { conn.Close() })
//			return deliverytest.Env{Connector: conn, Dest: ..., Receiver: rcv, Sensitive: []string{secret}}
//		},
//	})
//
// Every subtest checks, besides its own point, that neither the captured
// log nor any returned error contains the message body, subject,
// attachment names or the Env's Sensitive strings, and that the log does
// name the message id (so the check cannot pass by logging nothing).
package deliverytest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/delivery"
)

// Features declares how a connector differs.
type Features struct {
	// ContentType the suite's messages carry. Default "application/json".
	ContentType string
	// Body builds a valid body for a message with id that contains
	// marker, a string standing for patient data. Default: a small JSON
	// document with a line break and non-ASCII text.
	Body func(id, marker string) []byte
	// Subject: the receiver sees Message.Subject.
	Subject bool
	// ContentTypeSeen: the receiver sees Message.ContentType.
	ContentTypeSeen bool
	// KindSeen: the receiver sees Message.Kind.
	KindSeen bool
	// Attachments: the connector carries attachments. Connectors that do
	// not must refuse a message with attachments, permanently.
	Attachments bool
	// The faults the receiver can simulate; tests needing the others are
	// skipped. Every receiver must be able to reject permanently.
	Transient bool // fail retryably n times, then accept
	Hang      bool // accept the connection or request and never answer
	Drop      bool // close the connection without an answer
}

// Mode is how a Receiver answers.
type Mode int

// The modes.
const (
	Accept    Mode = iota // take the message
	Reject                // refuse it permanently (HTTP 4xx, SMTP 5xx, HL7 AR/AE, not a directory)
	Transient             // fail retryably (HTTP 503, SMTP 451, dropped MLLP ACK timeout)
	Hang                  // never answer
	Drop                  // close the connection without answering
)

func (m Mode) String() string {
	return [...]string{"accept", "reject", "transient", "hang", "drop"}[m]
}

// Receiver is the in-process receiving end.
type Receiver interface {
	// Set makes the receiver answer the next n deliveries with mode (n <=
	// 0: every delivery until the next Set); afterwards it accepts.
	Set(mode Mode, n int)
	// Received returns the messages accepted so far, in arrival order,
	// translated back into a connector-neutral form.
	Received() []Received
}

// Received is what a receiver got, as far as its protocol shows it.
type Received struct {
	// ID is the message id as the receiver saw it: Idempotency-Key, SMS
	// reference, the id part of the Message-ID, MSH-10, the file stem.
	ID          string
	Kind        string
	ContentType string
	Subject     string
	// Body with line ends as the connector is expected to keep them
	// (receivers of text protocols normalise "\r\n" to "\n").
	Body        []byte
	Attachments []delivery.Attachment
}

// Env is one started receiver and a connector pointed at it.
type Env struct {
	Connector delivery.Connector
	Dest      delivery.Destination
	Receiver  Receiver
	// Sensitive lists what must never reach a log line or an error:
	// recipients, secrets, tokens.
	Sensitive []string
}

// Harness starts a fresh Env for each subtest; Start registers its own
// cleanups with t and must route the connector's logging to logger.
type Harness struct {
	Features Features
	Start    func(t *testing.T, logger *slog.Logger) Env
}

// The strings standing for PHI in the suite's messages.
const (
	phiBody     = "PHI-Body-Roe^Jane^1957"
	phiSubject  = "PHI-Subject-Roe-Jane"
	phiFilename = "PHI-roe-jane-report.pdf"
)

// Exercise runs the suite.
func Exercise(t *testing.T, h Harness) {
	t.Helper()
	if h.Features.ContentType == "" {
		h.Features.ContentType = "application/json"
	}
	if h.Features.Body == nil {
		h.Features.Body = func(id, marker string) []byte {
			return fmt.Appendf(nil, "{\"id\":%q,\n \"note\":%q,\"text\":\"Befund für Ärztin\"}", id, marker)
		}
	}
	tests := []struct {
		name string
		need func(Features) bool
		run  func(t *testing.T, s *suite)
	}{
		{"DeliversExactly", nil, testDeliversExactly},
		{"RedeliveryCarriesSameID", nil, testRedelivery},
		{"AttachmentsRefusedOrCarried", nil, testAttachments},
		{"WrongDestinationIsPermanent", nil, testWrongDestination},
		{"PermanentRejection", nil, testPermanentRejection},
		{"TransientThenRetrySucceeds", func(f Features) bool { return f.Transient }, testTransient},
		{"HangHitsContextDeadline", func(f Features) bool { return f.Hang }, testHangDeadline},
		{"HangHitsDestinationTimeout", func(f Features) bool { return f.Hang }, testHangDestinationTimeout},
		{"CancelDuringHangReturnsPromptly", func(f Features) bool { return f.Hang }, testCancelDuringHang},
		{"CancelledContextReturnsPromptly", nil, testCancelled},
		{"DroppedConnectionIsRetryable", func(f Features) bool { return f.Drop }, testDrop},
		{"ConcurrentDeliveries", nil, testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.need != nil && !tc.need(h.Features) {
				t.Skip("receiver cannot simulate this fault (Features)")
			}
			t.Parallel()
			tc.run(t, newSuite(t, h))
		})
	}
}

// suite is one subtest's environment.
type suite struct {
	Env
	f      Features
	logs   *syncBuffer
	mu     sync.Mutex
	errs   []error
	nextID int
	prefix string
}

func newSuite(t *testing.T, h Harness) *suite {
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := &suite{Env: h.Start(t, logger), f: h.Features, logs: logs,
		prefix: fmt.Sprintf("0190%04x-7abc-7def-8abc-", time.Now().UnixNano()&0xffff)}
	t.Cleanup(func() { s.checkNoPHI(t) })
	return s
}

// id returns a fresh UUID-shaped message id.
func (s *suite) id() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	return fmt.Sprintf("%s%012x", s.prefix, s.nextID)
}

// message builds a message with PHI markers everywhere content goes.
func (s *suite) message() delivery.Message {
	id := s.id()
	m := delivery.Message{
		ID:          id,
		Kind:        "result",
		ContentType: s.f.ContentType,
		Body:        s.f.Body(id, phiBody),
		Subject:     phiSubject + " " + id,
	}
	if s.f.Attachments {
		m.Attachments = []delivery.Attachment{{Filename: phiFilename, ContentType: "application/pdf", Data: binaryData(70_000)}}
	}
	return m
}

func (s *suite) deliver(ctx context.Context, m delivery.Message) (delivery.Receipt, error) {
	return s.deliverTo(ctx, s.Dest, m)
}

func (s *suite) deliverTo(ctx context.Context, to delivery.Destination, m delivery.Message) (delivery.Receipt, error) {
	r, err := s.Connector.Deliver(ctx, to, m)
	if err != nil {
		s.mu.Lock()
		s.errs = append(s.errs, err)
		s.mu.Unlock()
	}
	return r, err
}

// checkNoPHI fails t if a marker or sensitive string reached the log or an
// error, or if the log does not name the delivered messages.
func (s *suite) checkNoPHI(t *testing.T) {
	logs := s.logs.String()
	forbidden := append([]string{phiBody, phiSubject, phiFilename, "Roe", "Jane"}, s.Sensitive...)
	for _, f := range forbidden {
		if f == "" {
			continue
		}
		if strings.Contains(logs, f) {
			t.Errorf("log contains %q:\n%s", f, logs)
		}
		s.mu.Lock()
		for _, err := range s.errs {
			if strings.Contains(err.Error(), f) {
				t.Errorf("error text contains %q: %v", f, err)
			}
		}
		s.mu.Unlock()
	}
	if s.nextID > 0 && !strings.Contains(logs, s.prefix) {
		t.Errorf("log names no message id; a delivery must log its id:\n%s", logs)
	}
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func mustDeliver(t *testing.T, s *suite, m delivery.Message) delivery.Receipt {
	t.Helper()
	r, err := s.deliver(ctxT(t, 10*time.Second), m)
	if err != nil {
		t.Fatalf("Deliver: %v (permanent=%v)", err, delivery.IsPermanent(err))
	}
	if r.MessageID != m.ID || r.Connector != s.Connector.Name() {
		t.Errorf("receipt = %+v, want message id %s and connector %s", r, m.ID, s.Connector.Name())
	}
	if r.At.IsZero() {
		t.Errorf("receipt has no time")
	}
	return r
}

// wantRetryable fails t unless err is a non-nil retryable error.
func wantRetryable(t *testing.T, err error, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: Deliver succeeded, want a retryable error", what)
	}
	if delivery.IsPermanent(err) {
		t.Fatalf("%s: error is permanent, want retryable: %v", what, err)
	}
}

func wantPermanent(t *testing.T, err error, target error, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: Deliver succeeded, want a permanent error", what)
	}
	if !delivery.IsPermanent(err) {
		t.Fatalf("%s: error is retryable, want permanent: %v", what, err)
	}
	if target != nil && !errors.Is(err, target) {
		t.Fatalf("%s: error %v does not wrap %v", what, err, target)
	}
}

// checkSame compares a received message with the one sent.
func checkSame(t *testing.T, f Features, got Received, m delivery.Message) {
	t.Helper()
	if got.ID != m.ID {
		t.Errorf("receiver saw id %q, want %q (the idempotency key)", got.ID, m.ID)
	}
	if !bytes.Equal(got.Body, m.Body) {
		t.Errorf("body differs:\n got %q\nwant %q", got.Body, m.Body)
	}
	if f.Subject && got.Subject != m.Subject {
		t.Errorf("subject = %q, want %q", got.Subject, m.Subject)
	}
	if f.KindSeen && got.Kind != m.Kind {
		t.Errorf("kind = %q, want %q", got.Kind, m.Kind)
	}
	if f.ContentTypeSeen {
		gt, _, _ := mime.ParseMediaType(got.ContentType)
		wt, _, _ := mime.ParseMediaType(m.ContentType)
		if gt != wt {
			t.Errorf("content type = %q, want %q", got.ContentType, m.ContentType)
		}
	}
	if f.Attachments {
		if len(got.Attachments) != len(m.Attachments) {
			t.Fatalf("%d attachments arrived, want %d", len(got.Attachments), len(m.Attachments))
		}
		for i, a := range m.Attachments {
			g := got.Attachments[i]
			if g.Filename != a.Filename || !bytes.Equal(g.Data, a.Data) {
				t.Errorf("attachment %d = %q (%d bytes), want %q (%d bytes), bytes equal: %v",
					i, g.Filename, len(g.Data), a.Filename, len(a.Data), bytes.Equal(g.Data, a.Data))
			}
			gt, _, _ := mime.ParseMediaType(g.ContentType)
			if gt != a.ContentType {
				t.Errorf("attachment %d content type = %q, want %q", i, g.ContentType, a.ContentType)
			}
		}
	}
}

func testDeliversExactly(t *testing.T, s *suite) {
	m := s.message()
	mustDeliver(t, s, m)
	got := s.Receiver.Received()
	if len(got) != 1 {
		t.Fatalf("receiver got %d messages, want 1", len(got))
	}
	checkSame(t, s.f, got[0], m)
}

func testRedelivery(t *testing.T, s *suite) {
	m := s.message()
	mustDeliver(t, s, m)
	mustDeliver(t, s, m)
	got := s.Receiver.Received()
	if len(got) == 0 {
		t.Fatal("receiver got nothing")
	}
	for i, g := range got {
		if g.ID != m.ID {
			t.Errorf("delivery %d carried id %q, want %q both times so the receiver can dedupe", i, g.ID, m.ID)
		}
		if !bytes.Equal(g.Body, m.Body) {
			t.Errorf("delivery %d body differs", i)
		}
	}
}

func testAttachments(t *testing.T, s *suite) {
	m := s.message()
	if s.f.Attachments {
		m.Attachments = append(m.Attachments, delivery.Attachment{Filename: "empty.txt", ContentType: "text/plain", Data: nil})
		mustDeliver(t, s, m)
		got := s.Receiver.Received()
		if len(got) != 1 || len(got[0].Attachments) != 2 {
			t.Fatalf("receiver got %d messages / wrong attachment count, want 1 with 2 attachments", len(got))
		}
		return
	}
	m.Attachments = []delivery.Attachment{{Filename: phiFilename, ContentType: "application/pdf", Data: []byte("%PDF-1.4")}}
	_, err := s.deliver(ctxT(t, 10*time.Second), m)
	wantPermanent(t, err, delivery.ErrBadMessage, "message with attachment")
	if n := len(s.Receiver.Received()); n != 0 {
		t.Errorf("receiver got %d messages, want none: attachments must not be dropped silently", n)
	}
}

func testWrongDestination(t *testing.T, s *suite) {
	to := s.Dest
	to.Connector = "no-such-connector"
	_, err := s.deliverTo(ctxT(t, 10*time.Second), to, s.message())
	wantPermanent(t, err, delivery.ErrBadDestination, "destination for another connector")
}

func testPermanentRejection(t *testing.T, s *suite) {
	s.Receiver.Set(Reject, 0)
	m := s.message()
	_, err := s.deliver(ctxT(t, 10*time.Second), m)
	wantPermanent(t, err, delivery.ErrRejected, "rejected")
	if n := len(s.Receiver.Received()); n != 0 {
		t.Errorf("receiver recorded %d accepted messages while rejecting", n)
	}
	// The connector must still work once the receiver accepts again.
	s.Receiver.Set(Accept, 0)
	mustDeliver(t, s, m)
}

func testTransient(t *testing.T, s *suite) {
	s.Receiver.Set(Transient, 2)
	m := s.message()
	for i := range 2 {
		_, err := s.deliver(ctxT(t, 10*time.Second), m)
		wantRetryable(t, err, fmt.Sprintf("attempt %d", i+1))
		if !errors.Is(err, delivery.ErrUnavailable) {
			t.Errorf("attempt %d: %v does not wrap ErrUnavailable", i+1, err)
		}
	}
	mustDeliver(t, s, m)
	got := s.Receiver.Received()
	if len(got) != 1 {
		t.Fatalf("receiver accepted %d messages, want 1", len(got))
	}
	checkSame(t, s.f, got[0], m)
}

func testHangDeadline(t *testing.T, s *suite) {
	s.Receiver.Set(Hang, 0)
	const d = 300 * time.Millisecond
	ctx := ctxT(t, d)
	start := time.Now()
	_, err := s.deliver(ctx, s.message())
	took := time.Since(start)
	wantRetryable(t, err, "hung receiver")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
	}
	if took > d+2*time.Second {
		t.Errorf("Deliver took %v with a %v deadline", took, d)
	}
}

func testHangDestinationTimeout(t *testing.T, s *suite) {
	s.Receiver.Set(Hang, 0)
	to := s.Dest
	to.Timeout = delivery.Duration(300 * time.Millisecond)
	start := time.Now()
	_, err := s.deliverTo(ctxT(t, 20*time.Second), to, s.message())
	took := time.Since(start)
	wantRetryable(t, err, "hung receiver")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
	}
	if took > 2500*time.Millisecond {
		t.Errorf("Deliver took %v with a 300ms destination timeout", took)
	}
}

func testCancelDuringHang(t *testing.T, s *suite) {
	s.Receiver.Set(Hang, 0)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := s.deliver(ctx, s.message())
	took := time.Since(start)
	wantRetryable(t, err, "cancelled while hung")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
	if took > 2200*time.Millisecond {
		t.Errorf("Deliver took %v to notice a cancel after 200ms", took)
	}
}

func testCancelled(t *testing.T, s *suite) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	start := time.Now()
	_, err := s.deliver(ctx, s.message())
	wantRetryable(t, err, "cancelled context")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Deliver took %v on a cancelled context", took)
	}
	if n := len(s.Receiver.Received()); n != 0 {
		t.Errorf("receiver got %d messages from a cancelled delivery", n)
	}
}

func testDrop(t *testing.T, s *suite) {
	s.Receiver.Set(Drop, 1)
	m := s.message()
	_, err := s.deliver(ctxT(t, 10*time.Second), m)
	wantRetryable(t, err, "dropped connection")
	mustDeliver(t, s, m)
	got := s.Receiver.Received()
	if len(got) != 1 {
		t.Fatalf("receiver accepted %d messages, want 1", len(got))
	}
	checkSame(t, s.f, got[0], m)
}

func testConcurrent(t *testing.T, s *suite) {
	const n = 20
	msgs := make([]delivery.Message, n)
	for i := range msgs {
		msgs[i] = s.message()
	}
	ctx := ctxT(t, 15*time.Second)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, m := range msgs {
		wg.Go(func() { _, errs[i] = s.deliver(ctx, m) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("delivery %d: %v", i, err)
		}
	}
	got := s.Receiver.Received()
	ids := make([]string, 0, len(got))
	byID := map[string]Received{}
	for _, g := range got {
		ids = append(ids, g.ID)
		byID[g.ID] = g
	}
	slices.Sort(ids)
	want := make([]string, n)
	for i, m := range msgs {
		want[i] = m.ID
	}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Fatalf("received ids %v, want %v", ids, want)
	}
	for _, m := range msgs {
		checkSame(t, s.f, byID[m.ID], m)
	}
}

// binaryData is n bytes covering every byte value, as a PDF would.
func binaryData(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
