package lab

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"
)

// TestJSONDocuments decodes one document per entity as an API client or a
// producer would send it, strictly, and validates it: the JSON names in the
// brief are the ones the structs use. Re-encoding must use snake_case keys
// only.
func TestJSONDocuments(t *testing.T) {
	t.Parallel()
	type validator interface{ Validate() error }
	for _, tc := range []struct {
		name string
		v    validator
		doc  string
	}{
		{"employee", &Employee{}, `{"id":"emp-1","version":2,"given_name":"Ada","family_name":"Okafor",
			"role":"technologist","department":"Chemistry","email":"ada@lab.example","phone":"+44 20 7946 0958",
			"license_number":"HCPC-1234","active":true,"updated_at":"2025-03-14T09:26:53Z"}`},
		{"test", &Test{}, `{"code":"GLU","version":1,"name":"Glucose","loinc":"2345-7","specimen_type":"plasma",
			"unit":"mg/dL","value_type":"numeric","reference_ranges":[{"sex":"F","age_min_years":18,"age_max_years":120,
			"low":70,"high":99,"critical_low":40,"critical_high":400,"text":"fasting"}],"tat_minutes":120,"active":true,
			"updated_at":"2025-03-14T09:26:53Z"}`},
		{"order", &Order{}, `{"accession_number":"ACC-1","version":1,"customer_id":"cust-1",
			"ordering_clinician":{"id":"dr-1","name":"Dr Hopper"},"partner_id":"clinic-1",
			"tests":[{"code":"GLU","name":"Glucose"}],"specimens":[{"id":"SP-1","type":"plasma","collected_at":"2025-03-14T08:00:00Z"}],
			"priority":"stat","notes":"fasting","ordered_at":"2025-03-14T07:55:00+01:00","status":"collected",
			"updated_at":"2025-03-14T09:26:53Z"}`},
		{"result", &Result{}, `{"accession_number":"ACC-1","test_code":"GLU","version":3,"value_type":"numeric","value":">500",
			"unit":"mg/dL","reference_range":"70-99","abnormal_flag":"HH","status":"corrected",
			"observed_at":"2025-03-14T09:00:00Z","verified_by":"emp-1","verified_at":"2025-03-14T09:20:00Z",
			"customer_id":"cust-1","tier":"corp","comments":["Repeated and confirmed."],"performing_lab":"Core Lab",
			"updated_at":"2025-03-14T09:26:53Z"}`},
		{"status event", &StatusEvent{}, `{"accession_number":"ACC-1","status":"received","at":"2025-03-14T09:00:00Z",
			"specimen_id":"SP-1","source":"lis","note":"at core lab","version":5}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dec := json.NewDecoder(bytes.NewReader([]byte(tc.doc)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(tc.v); err != nil {
				t.Fatalf("decode: %v", err)
			}
			wantFields(t, tc.v.Validate())
			out, err := json.Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			var keys map[string]any
			if err := json.Unmarshal(out, &keys); err != nil {
				t.Fatal(err)
			}
			var walk func(any)
			walk = func(v any) {
				switch v := v.(type) {
				case map[string]any:
					for k, e := range v {
						if !snakeCase.MatchString(k) {
							t.Errorf("key %q is not snake_case", k)
						}
						walk(e)
					}
				case []any:
					for _, e := range v {
						walk(e)
					}
				}
			}
			walk(keys)
			var again map[string]any
			if err := json.Unmarshal([]byte(tc.doc), &again); err != nil {
				t.Fatal(err)
			}
			if len(keys) != len(again) {
				t.Errorf("re-encoded %d top-level keys, the document has %d: %s", len(keys), len(again), out)
			}
		})
	}
}

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
