package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const docURL = "https://imp.invalid/openapi.json"

// openapiDoc fetches /openapi.json (without a key: it is public).
func openapiDoc(t *testing.T, e *env) (raw []byte, doc map[string]any) {
	t.Helper()
	r := e.call("GET", "/openapi.json", "", nil)
	if r.code != 200 || r.hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json: %d %s", r.code, r.body)
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v", doc["openapi"])
	}
	return r.body, doc
}

// TestOpenAPIMatchesRoutes: the document's operations and the router's
// routes are the same set (the document includes /openapi.json itself).
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t)
	_, doc := openapiDoc(t, e)
	var documented, routed []string
	for p, item := range doc["paths"].(map[string]any) {
		for m, op := range item.(map[string]any) {
			documented = append(documented, strings.ToUpper(m)+" "+p)
			o := op.(map[string]any)
			if _, ok := o["responses"]; !ok {
				t.Errorf("%s %s has no responses", m, p)
			}
		}
	}
	scopes := map[string]string{}
	for _, rt := range e.srv.Routes() {
		routed = append(routed, rt.Method+" "+rt.Path)
		scopes[rt.Method+" "+rt.Path] = rt.Scope
	}
	slices.Sort(documented)
	slices.Sort(routed)
	if !slices.Equal(documented, routed) {
		t.Fatalf("documented %v\nrouted     %v", documented, routed)
	}
	// Each operation states its scope as a security requirement, and
	// every authenticated one documents 401 and 403 as problems.
	for p, item := range doc["paths"].(map[string]any) {
		for m, op := range item.(map[string]any) {
			o := op.(map[string]any)
			scope := scopes[strings.ToUpper(m)+" "+p]
			sec, _ := json.Marshal(o["security"])
			if scope == "" {
				if string(sec) != "[]" {
					t.Errorf("%s %s is public but has security %s", m, p, sec)
				}
				continue
			}
			if !strings.Contains(string(sec), `"bearer":["`+scope+`"]`) {
				t.Errorf("%s %s: security %s lacks scope %s", m, p, sec, scope)
			}
			resps := o["responses"].(map[string]any)
			for _, code := range []string{"401", "403"} {
				c, _ := json.Marshal(resps[code])
				if !strings.Contains(string(c), "application/problem+json") {
					t.Errorf("%s %s: response %s = %s", m, p, code, c)
				}
			}
		}
	}
}

// requestSchema compiles an operation's JSON request body schema.
func requestSchema(t *testing.T, raw []byte, method, path string) *jsonschema.Schema {
	t.Helper()
	res, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(docURL, res); err != nil {
		t.Fatal(err)
	}
	ptr := "/paths/" + strings.ReplaceAll(strings.ReplaceAll(path, "~", "~0"), "/", "~1") + "/" + strings.ToLower(method) +
		"/requestBody/content/application~1json/schema"
	sch, err := c.Compile(docURL + "#" + ptr)
	if err != nil {
		t.Fatalf("compile %s: %v", ptr, err)
	}
	return sch
}

func instance(t *testing.T, v any) any {
	t.Helper()
	b, _ := json.Marshal(v)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// TestOpenAPIExamples: every operation with a body has an example that
// validates against its schema and that the real handler accepts; an
// example broken with an unknown field fails the schema.
func TestOpenAPIExamples(t *testing.T) {
	e := newEnv(t)
	raw, doc := openapiDoc(t, e)
	n := 0
	for p, item := range doc["paths"].(map[string]any) {
		for m, op := range item.(map[string]any) {
			body, ok := op.(map[string]any)["requestBody"].(map[string]any)
			if !ok {
				continue
			}
			n++
			method := strings.ToUpper(m)
			media, ok := body["content"].(map[string]any)["application/json"].(map[string]any)
			if !ok {
				continue // non-JSON bodies (HL7) have their own tests
			}
			t.Run(method+" "+p, func(t *testing.T) {
				example, ok := media["example"]
				if !ok {
					t.Fatal("no example")
				}
				sch := requestSchema(t, raw, method, p)
				if err := sch.Validate(instance(t, example)); err != nil {
					t.Fatalf("example does not validate: %v", err)
				}
				r := e.call(method, p, e.admin, example)
				want := map[string]int{"/v1/keys": 201, "/v1/destinations": 201, "/v1/dead-letters/repush": 200, "/v1/dead-letters/discard": 200}[p]
				if want == 0 {
					want = http.StatusAccepted
				}
				if r.code != want {
					t.Fatalf("handler answered %d, want %d: %s", r.code, want, r.body)
				}
				// Broken with an unknown member, the schema refuses it and so
				// does the handler.
				broken := breakExample(example)
				if err := sch.Validate(instance(t, broken)); err == nil {
					t.Fatal("an example with an unknown field validated")
				}
				wantBroken := 422
				if strings.HasSuffix(p, "/batch") {
					wantBroken = 207 // the record fails, in a batch answer
				}
				if r := e.call(method, p, e.admin, broken); r.code != wantBroken || !strings.Contains(string(r.body), "surprise") {
					t.Fatalf("handler took the broken example: %d %s", r.code, r.body)
				}
			})
		}
	}
	if n < 14 {
		t.Fatalf("only %d operations with a body", n)
	}
}

// breakExample adds an unknown member to the (first) record.
func breakExample(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	switch x := out.(type) {
	case []any:
		x[0].(map[string]any)["surprise"] = true
	case map[string]any:
		x["surprise"] = true
	}
	return out
}

// TestOpenAPISchemasFollowTheLabTypes spot-checks the reflected schemas.
func TestOpenAPISchemasFollowTheLabTypes(t *testing.T) {
	e := newEnv(t)
	_, doc := openapiDoc(t, e)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	get := func(name string) string {
		b, _ := json.Marshal(schemas[name])
		return string(b)
	}
	checks := map[string][]string{
		"Tier":         {`"enum":["general","b2b","corp","svip1","svip2"]`},
		"Status":       {`"in-progress"`, `"released"`},
		"ResultStatus": {`"preliminary"`, `"corrected"`},
		"AbnormalFlag": {`""`, `"HH"`},
		"Priority":     {`"stat"`, `"asap"`},
		"Role":         {`"pathologist"`},
		"SpecimenType": {`"whole-blood"`},
		"ValueType":    {`"coded"`},
		"Result": {`"additionalProperties":false`, `"observed_at":{"format":"date-time","type":"string"}`,
			`"required":["accession_number","test_code","status","observed_at"]`, `"tier":{"$ref":"#/components/schemas/Tier"}`},
		"ReferenceRange": {`"low":{"type":["number","null"]}`},
		"Problem":        {`"errors"`},
	}
	for name, wants := range checks {
		got := get(name)
		for _, w := range wants {
			if !strings.Contains(got, w) {
				t.Errorf("schema %s = %s\nlacks %s", name, got, w)
			}
		}
	}
}
