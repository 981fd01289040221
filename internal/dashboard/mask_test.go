package dashboard_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestViewerSeesMaskedPHI opens payloads of every kind as a viewer and as
// an operator: the viewer's page holds no patient name, birth date or
// contact detail; the operator's holds them all.
func TestViewerSeesMaskedPHI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.admin()
	op := e.user(admin, "olga", "operator", operatorPassword)
	viewer := e.user(admin, "victor", "viewer", viewerPassword)

	hl7 := "MSH|^~\\&|LIS|LAB|IMP|LAB|20260314092653||ORU^R01|MSG1|P|2.5\r" +
		"PID|1||C-1^^^LAB^MR||Lovelace^Ada^^^^^L||19800402|F|||12 Byron Street^^London||+44 20 7946 0958\r" +
		"NK1|1|Byron^Anne|MTH\r" +
		"OBR|1|A-1||GLU^Glucose\r" +
		"OBX|1|NM|GLU^Glucose||105|mg/dL|70-99|H|||F\r" +
		"NTE|1||Patient Ada Lovelace fasted\r"
	cases := []struct {
		id, consumer, stream string
		value                string
		phi                  []string // must not reach a viewer
		keep                 []string // stays visible to the viewer
	}{
		{"m-cust", "customer", "customer",
			`{"id":"C-1","version":1,"tier":"svip1","given_name":"Ada","family_name":"Lovelace","birth_date":"1980-04-02","sex":"F","email":"ada@example.org","phone":"+41 44 123 45 67"}`,
			[]string{"Lovelace", "Ada", "1980-04-02", "ada@example.org", "123 45 67"}, []string{"C-1", "svip1", `"1980"`}},
		{"m-order", "lis-orders", "lis-orders",
			`{"accession_number":"A-2026-000123","version":1,"customer_id":"C-1","ordering_clinician":{"id":"DR-9","name":"Dr. Who"},"tests":[{"code":"GLU"}],"priority":"routine","notes":"call Ada Lovelace at home","ordered_at":"2026-03-14T09:26:53Z","status":"ordered"}`,
			[]string{"Dr. Who", "Ada Lovelace"}, []string{"A-2026-000123", "C-1", "GLU"}},
		{"m-result", "lis-test-result", "lis-test-result",
			`{"accession_number":"A-1","test_code":"GLU","version":1,"value":"105","unit":"mg/dL","abnormal_flag":"H","status":"final","observed_at":"2026-03-14T09:26:53Z","comments":["Ada feels unwell"]}`,
			[]string{"105", "Ada feels unwell"}, []string{"A-1", "GLU", `"H"`}},
		{"m-hl7", "iris-test-result", "iris-test-result", hl7,
			[]string{"Lovelace", "Ada", "19800402", "Byron", "7946", "105"}, []string{"C-1^^^LAB^MR", "PID|1|", "OBX|1|NM|GLU", "|1980|F|"}},
		{"m-job", "worker", "worker",
			`{"kind":"notify-sms","to":"+41 79 555 12 34","patient":{"id":"C-1","full_name":"Ada Lovelace","dob":"1980-04-02"},"text":"Dear Ada, your results are ready","contact_email":"ada@example.org","order":"A-2026-000123"}`,
			[]string{"555 12 34", "Lovelace", "Dear Ada", "ada@example.org", "1980-04-02"}, []string{"notify-sms", "C-1", "A-2026-000123", `"1980"`}},
		{"m-text", "worker", "worker", "Call Ada on +41 79 555 12 34 or ada@example.org, born 02/04/1980",
			[]string{"555 12 34", "ada@example.org", "02/04"}, []string{"1980"}},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			e.published(c.id, c.consumer, c.stream, []byte(c.value), nil, "")
			page := "messages/" + c.id + "?payload=first"
			rv := viewer.get(page)
			if rv.code != http.StatusOK || !strings.Contains(rv.body, `id="payload-body"`) {
				t.Fatalf("viewer page: %d %s", rv.code, rv.body)
			}
			body := payloadOf(rv.body)
			for _, p := range c.phi {
				if strings.Contains(body, htmlEsc(p)) {
					t.Errorf("viewer sees %q:\n%s", p, body)
				}
			}
			for _, k := range c.keep {
				if !strings.Contains(body, htmlEsc(k)) {
					t.Errorf("viewer lost %q:\n%s", k, body)
				}
			}
			if !strings.Contains(rv.body, "patient data masked") {
				t.Error("the viewer's page does not say it is masked")
			}
			ro := op.get(page)
			for _, p := range c.phi {
				if !strings.Contains(payloadOf(ro.body), htmlEsc(p)) {
					t.Errorf("operator does not see %q:\n%s", p, payloadOf(ro.body))
				}
			}
		})
	}
	if n := len(e.audit("message.view")); n != 2*len(cases) {
		t.Errorf("%d message.view audit entries, want %d", n, 2*len(cases))
	}
}

func payloadOf(page string) string {
	i := strings.Index(page, `id="payload-body"`)
	if i < 0 {
		return ""
	}
	rest := page[i:]
	if j := strings.Index(rest, "</pre>"); j >= 0 {
		return rest[:j]
	}
	return rest
}

func htmlEsc(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;")
	return r.Replace(s)
}
