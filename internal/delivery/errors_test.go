package delivery_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/delivery"
)

// isPermanentLikeConsumer is the consumer runtime's test, restated so this
// package's tests need not import internal/consumer: any error in the
// chain with a Permanent() bool method returning true.
func isPermanentLikeConsumer(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

type notPermanent struct{}

func (notPermanent) Error() string   { return "passing" }
func (notPermanent) Permanent() bool { return false }

func TestPermanentContract(t *testing.T) {
	t.Parallel()
	base := errors.New("boom")
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"plain", base, false},
		{"marked", delivery.Permanent(base), true},
		{"wrapped after marking", fmt.Errorf("deliver: %w", delivery.Permanent(base)), true},
		{"joined", errors.Join(errors.New("x"), delivery.Permanent(base)), true},
		{"Permanent() false", notPermanent{}, false},
		{"sentinel alone is not permanent", delivery.ErrRejected, false},
	}
	for _, tc := range cases {
		if got := delivery.IsPermanent(tc.err); got != tc.want {
			t.Errorf("%s: IsPermanent = %v, want %v", tc.name, got, tc.want)
		}
		if got := isPermanentLikeConsumer(tc.err); got != tc.want {
			t.Errorf("%s: consumer's check = %v, want %v", tc.name, got, tc.want)
		}
	}
	if delivery.Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
	p := delivery.Permanent(fmt.Errorf("ctx: %w", delivery.ErrRejected))
	if !errors.Is(p, delivery.ErrRejected) || p.Error() != "ctx: "+delivery.ErrRejected.Error() {
		t.Errorf("Permanent hides its cause: %v", p)
	}
}

func TestDestinationJSONAndRedaction(t *testing.T) {
	t.Parallel()
	in := delivery.Destination{
		Connector: "webhook", Name: "partner-a",
		URL: "https://hooks.partner.example/imp?token=abc", Secret: "s3cret",
		Timeout: delivery.Duration(7 * time.Second),
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"timeout":"7s"`) || strings.Contains(string(b), `"phone"`) {
		t.Errorf("JSON %s: want a readable timeout and no empty fields", b)
	}
	var out delivery.Destination
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(out) != fmt.Sprint(in) || out.Secret != in.Secret || out.Timeout != in.Timeout || out.URL != in.URL {
		t.Errorf("round trip: %+v", out)
	}
	if err := json.Unmarshal([]byte(`{"connector":"sms","timeout":"soon"}`), &out); err == nil {
		t.Error("bad duration accepted")
	}
	if err := json.Unmarshal([]byte(`{"connector":"sms","timeout":"-1s"}`), &out); err == nil {
		t.Error("negative duration accepted")
	}

	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "to", in,
		"sms", delivery.Destination{Connector: "sms", Phone: "+41791234567"},
		"mail", delivery.Destination{Connector: "email", Email: []string{"jane@example.org"}})
	shown := buf.String() + fmt.Sprint(in) + fmt.Sprintf("%v %+v", in, in)
	for _, secret := range []string{"s3cret", "token=abc", "/imp", "+41791234567", "jane@example.org"} {
		if strings.Contains(shown, secret) {
			t.Errorf("destination shows %q: %s", secret, shown)
		}
	}
	if !strings.Contains(shown, "hooks.partner.example") || !strings.Contains(shown, "partner-a") {
		t.Errorf("destination should still name its host and name: %s", shown)
	}
}
