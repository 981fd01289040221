package jobs

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/lab"
)

func TestValidateNamesFields(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		job   string
		field string
	}{
		{"unknown kind", `{"kind":"mine","args":{}}`, "kind"},
		{"pdf without accession", `{"kind":"pdf-report","args":{}}`, "args.accession_number"},
		{"notify bad channel", `{"kind":"notify","args":{"channel":"fax","accession_number":"A1","report_id":"R"}}`, "args.channel"},
		{"notify unknown template", `{"kind":"notify","args":{"channel":"email","accession_number":"A1","report_id":"R","template":"x"}}`, "args.template"},
		{"create-order bad format", `{"kind":"create-order","args":{"format":"xml","partner_id":"P1","payload":{}}}`, "args.format"},
		{"create-order no payload", `{"kind":"create-order","args":{"format":"flat-json","partner_id":"P1"}}`, "args.payload"},
		{"default bad task", `{"kind":"default","args":{"task":"rm-rf"}}`, "args.task"},
		{"default short age", `{"kind":"default","args":{"task":"prune-tracking","older_than":"1m"}}`, "args.older_than"},
		{"unknown arg", `{"kind":"pdf-report","args":{"accession_number":"A1","x":1}}`, "args"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var j Job
			if err := json.Unmarshal([]byte(tc.job), &j); err != nil {
				t.Fatal(err)
			}
			err := j.Validate()
			var ve *lab.ValidationError
			if !errors.As(err, &ve) || ve.Fields[0].Field != tc.field {
				t.Fatalf("err = %v, want field %s", err, tc.field)
			}
		})
	}
	ok := Job{Kind: KindPDFReport, Args: json.RawMessage(`{"accession_number":"A-1"}`)}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestCompleteAndDigest(t *testing.T) {
	t.Parallel()
	o := lab.Order{Tests: []lab.OrderTest{{Code: "GLU"}, {Code: "NA"}}}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rs := []lab.Result{{TestCode: "GLU", Version: 1, Status: lab.ResultFinal, UpdatedAt: at}, {TestCode: "NA", Version: 1, Status: lab.ResultPreliminary, UpdatedAt: at}}
	if Complete(o, rs) {
		t.Fatal("complete with a preliminary result")
	}
	rs[1].Status = lab.ResultFinal
	if !Complete(o, rs) {
		t.Fatal("not complete with all results final")
	}
	d := Digest(rs)
	if Digest([]lab.Result{rs[1], rs[0]}) != d {
		t.Fatal("digest depends on order")
	}
	rs[0].Status = lab.ResultCorrected
	if Digest(rs) == d {
		t.Fatal("a correction did not change the digest")
	}
	first, again, other := ReportJobID("A1", d), ReportJobID("A1", d), ReportJobID("A2", d)
	if first != again || first == other {
		t.Fatal("report job ids are not stable per accession and digest")
	}
}

func TestFlatJSONOrder(t *testing.T) {
	t.Parallel()
	o, c, err := ParseOrder("flat-json", "ACME", json.RawMessage(`{"partner_order_id":"PO 77","patient":{"id":"C-5","first_name":"Ana","last_name":"Silva","dob":"1980-02-03","sex":"f"},
		"doctor":{"id":"D1","name":"Dr House"},"tests":"glu, na","priority":"S","collected_at":"2026-11-27T07:00:00Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	if o.AccessionNumber != "ACME-PO_77" || o.CustomerID != "C-5" || len(o.Tests) != 2 || o.Tests[1].Code != "NA" || o.Priority != lab.PriorityStat || len(o.Specimens) != 1 {
		t.Fatalf("order = %+v", o)
	}
	if err := o.Validate(); err != nil {
		t.Fatalf("canonical order invalid: %v", err)
	}
	if c == nil || c.FamilyName != "Silva" || c.Sex != "F" || c.Validate() != nil {
		t.Fatalf("customer = %+v", c)
	}
	if _, _, err := ParseOrder("flat-json", "ACME", json.RawMessage(`{"partner_order_id":"1","tests":5}`)); err == nil || !strings.Contains(err.Error(), "payload.tests") {
		t.Fatalf("bad tests: %v", err)
	}
}

func TestTemplatesSayNoResults(t *testing.T) {
	t.Parallel()
	subj, body, err := Render("", ChannelEmail, Data{LabName: "Lab", GivenName: "Ana", Accession: "A1", ReportID: "R1", URL: "https://x/r"})
	if err != nil || !strings.Contains(subj, "ready") || !strings.Contains(body, "https://x/r") || !strings.Contains(body, "Dear Ana") {
		t.Fatalf("email = %q / %q, %v", subj, body, err)
	}
	_, sms, _ := Render("", ChannelSMS, Data{LabName: "Lab", Accession: "A1", Correction: true})
	if !strings.Contains(sms, "corrected report") || len(sms) > 160 {
		t.Fatalf("sms = %q", sms)
	}
}
