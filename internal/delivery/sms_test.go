package delivery_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/imp-health/imp/internal/delivery"
	"github.com/imp-health/imp/internal/delivery/deliverytest"
)

const (
	smsToken = "sms-token-8c1e22"
	smsPhone = "+49 151 2345-6789"
)

type smsBody struct {
	To        string `json:"to"`
	Text      string `json:"text"`
	Reference string `json:"reference"`
}

func smsHarness() deliverytest.Harness {
	return deliverytest.Harness{
		Features: deliverytest.Features{ContentType: "text/plain; charset=utf-8", Transient: true, Hang: true, Drop: true},
		Start: func(t *testing.T, logger *slog.Logger) deliverytest.Env {
			rc := newHTTPReceiver(t, false, func(w http.ResponseWriter, r *http.Request) (deliverytest.Received, bool) {
				if r.Header.Get("Authorization") != "Bearer "+smsToken {
					http.Error(w, "token", http.StatusUnauthorized)
					return deliverytest.Received{}, false
				}
				var b smsBody
				dec := json.NewDecoder(r.Body)
				dec.DisallowUnknownFields()
				if err := dec.Decode(&b); err != nil {
					http.Error(w, "json", http.StatusBadRequest)
					return deliverytest.Received{}, false
				}
				if b.To != "+4915123456789" {
					t.Errorf("gateway got to=%q, want the normalised number", b.To)
				}
				if r.Header.Get(delivery.HeaderIdempotencyKey) != b.Reference {
					t.Errorf("Idempotency-Key %q != reference %q", r.Header.Get(delivery.HeaderIdempotencyKey), b.Reference)
				}
				return deliverytest.Received{ID: b.Reference, Body: []byte(b.Text)}, true
			})
			sms, err := delivery.NewSMS(delivery.SMSOptions{GatewayURL: rc.srv.URL + "/v1/send", Token: smsToken, AllowHTTP: true, Logger: logger})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = sms.Close() })
			return deliverytest.Env{
				Connector: sms,
				Dest:      delivery.Destination{Connector: delivery.ConnectorSMS, Name: "patient-notify", Phone: smsPhone},
				Receiver:  rc,
				Sensitive: []string{smsToken, smsPhone, "2345-6789", "23456789", "not to be logged"},
			}
		},
	}
}

func TestSMSSuite(t *testing.T) {
	t.Parallel()
	deliverytest.Exercise(t, smsHarness())
}

func TestSMSRefusesBadInput(t *testing.T) {
	t.Parallel()
	_, url := captureServer(t, http.StatusOK, nil)
	sms, err := delivery.NewSMS(delivery.SMSOptions{GatewayURL: url, AllowHTTP: true, MaxLength: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sms.Close() })
	to := delivery.Destination{Connector: "sms", Phone: "+41 79 123 45 67"}
	msg := func(body, ct string) delivery.Message {
		return delivery.Message{ID: "id-1", ContentType: ct, Body: []byte(body)}
	}
	cases := []struct {
		name string
		to   delivery.Destination
		m    delivery.Message
		want error
	}{
		{"too long", to, msg("12345678901", ""), delivery.ErrBadMessage},
		{"empty", to, msg("", ""), delivery.ErrBadMessage},
		{"json body", to, msg("{}", "application/json"), delivery.ErrBadMessage},
		{"not utf-8", to, msg("\xff\xfe", "text/plain"), delivery.ErrBadMessage},
		{"letters in phone", delivery.Destination{Connector: "sms", Phone: "call me"}, msg("hi", ""), delivery.ErrBadDestination},
		{"short phone", delivery.Destination{Connector: "sms", Phone: "12345"}, msg("hi", ""), delivery.ErrBadDestination},
		{"no phone", delivery.Destination{Connector: "sms"}, msg("hi", ""), delivery.ErrBadDestination},
	}
	for _, tc := range cases {
		_, err := sms.Deliver(t.Context(), tc.to, tc.m)
		if !errors.Is(err, tc.want) || !delivery.IsPermanent(err) {
			t.Errorf("%s: %v, want permanent %v", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "79 123") {
			t.Errorf("%s: error names the phone number: %v", tc.name, err)
		}
	}
	// Exactly at the limit, counted in characters, not bytes.
	if _, err := sms.Deliver(t.Context(), to, msg("ääääääääää", "")); err != nil {
		t.Errorf("10 characters (20 bytes) with limit 10: %v", err)
	}
}

func TestSMSDefaultLimitIs1000(t *testing.T) {
	t.Parallel()
	c, url := captureServer(t, http.StatusOK, nil)
	sms, err := delivery.NewSMS(delivery.SMSOptions{GatewayURL: url, AllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sms.Close() })
	to := delivery.Destination{Connector: "sms", Phone: "+41791234567"}
	if _, err := sms.Deliver(t.Context(), to, delivery.Message{ID: "a", Body: []byte(strings.Repeat("x", 1000))}); err != nil {
		t.Fatalf("1000 characters: %v", err)
	}
	c.mu.Lock()
	var b smsBody
	err = json.Unmarshal(c.body, &b)
	c.mu.Unlock()
	if err != nil || len(b.Text) != 1000 || b.Reference != "a" {
		t.Errorf("gateway got %+v, %v", b, err)
	}
	if _, err := sms.Deliver(t.Context(), to, delivery.Message{ID: "b", Body: []byte(strings.Repeat("x", 1001))}); !errors.Is(err, delivery.ErrBadMessage) {
		t.Errorf("1001 characters: %v, want ErrBadMessage", err)
	}
}

func TestNewSMSValidatesGateway(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "gateway.example/send", "http://gateway.example/send"} {
		if _, err := delivery.NewSMS(delivery.SMSOptions{GatewayURL: u}); err == nil {
			t.Errorf("GatewayURL %q accepted", u)
		}
	}
	s, err := delivery.NewSMS(delivery.SMSOptions{GatewayURL: "https://gateway.example/send"})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
}
