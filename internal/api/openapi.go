package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/imp-health/imp/internal/auth"
	"github.com/imp-health/imp/internal/delivery"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
)

// The OpenAPI 3.1 document is generated from the route table, so it cannot
// drift from the router: every operation's method, path, scope, parameters
// and bodies come from the same Route values that are mounted. Schemas are
// derived from the Go types by reflection, the way encoding/json sees
// them.

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request) {
	s.openapiOnce.Do(func() {
		b, err := json.MarshalIndent(s.OpenAPI(), "", "  ")
		if err != nil {
			panic(err) // a programming error: the document is built from static types
		}
		s.openapiDoc = b
	})
	w.Header().Set("Content-Type", ctJSON)
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(s.openapiDoc)
}

// enums lists the value sets of the lab's named string types, read from
// the lab package's own lists.
func enums() map[reflect.Type][]string {
	strs := func(n int, at func(int) string) []string {
		out := make([]string, n)
		for i := range n {
			out[i] = at(i)
		}
		return out
	}
	priorities := strs(len(lab.Priorities), func(i int) string { return string(lab.Priorities[i]) })
	return map[reflect.Type][]string{
		reflect.TypeFor[lab.Tier]():         strs(len(lab.Tiers), func(i int) string { return string(lab.Tiers[i]) }),
		reflect.TypeFor[lab.Status]():       strs(len(lab.Statuses), func(i int) string { return string(lab.Statuses[i]) }),
		reflect.TypeFor[lab.ResultStatus](): strs(len(lab.ResultStatuses), func(i int) string { return string(lab.ResultStatuses[i]) }),
		reflect.TypeFor[lab.AbnormalFlag](): abnormalFlags(),
		// "asap" is accepted and normalised to urgent.
		reflect.TypeFor[lab.Priority]():     append(priorities, "asap"),
		reflect.TypeFor[lab.Role]():         strs(len(lab.Roles), func(i int) string { return string(lab.Roles[i]) }),
		reflect.TypeFor[lab.SpecimenType](): strs(len(lab.SpecimenTypes), func(i int) string { return string(lab.SpecimenTypes[i]) }),
		reflect.TypeFor[lab.ValueType]():    strs(len(lab.ValueTypes), func(i int) string { return string(lab.ValueTypes[i]) }),
	}
}

// abnormalFlags lists the flags AbnormalFlag.Valid accepts ("" is none).
func abnormalFlags() []string {
	var out []string
	for _, f := range []lab.AbnormalFlag{lab.FlagNone, lab.FlagNormal, lab.FlagLow, lab.FlagHigh, lab.FlagCriticalLow,
		lab.FlagCriticalHigh, lab.FlagAbnormal, lab.FlagCriticalAbnormal} {
		if f.Valid() {
			out = append(out, string(f))
		}
	}
	return out
}

// required lists, per request type, the members its Validate requires
// (hand-kept: Validate is code, not data). Types not listed here are
// responses, whose members without omitempty/omitzero are always present.
var required = map[reflect.Type][]string{
	reflect.TypeFor[lab.Customer]():       {"id", "family_name"},
	reflect.TypeFor[lab.Employee]():       {"id", "family_name", "role"},
	reflect.TypeFor[lab.Test]():           {"code", "name", "specimen_type", "value_type", "tat_minutes"},
	reflect.TypeFor[lab.Order]():          {"accession_number", "customer_id", "ordering_clinician", "tests", "ordered_at"},
	reflect.TypeFor[lab.Clinician]():      {"id", "name"},
	reflect.TypeFor[lab.OrderTest]():      {"code"},
	reflect.TypeFor[lab.Specimen]():       {"id", "type"},
	reflect.TypeFor[lab.Result]():         {"accession_number", "test_code", "status", "observed_at"},
	reflect.TypeFor[lab.StatusEvent]():    {"accession_number", "status", "at"},
	reflect.TypeFor[lab.Delivery]():       {},
	reflect.TypeFor[lab.ReferenceRange](): {},
	reflect.TypeFor[KeyRequest]():         {"name", "scopes"},
	reflect.TypeFor[DeadLetterAction]():   {},
	reflect.TypeFor[DeadLetterFilter]():   {},
}

// schemaNames gives types a public name where the Go name is internal.
var schemaNames = map[reflect.Type]string{
	reflect.TypeFor[acceptedDoc]():     "Accepted",
	reflect.TypeFor[store.OrderView](): "OrderView",
	reflect.TypeFor[store.LISState]():  "LISState",
}

// schemas derives JSON Schemas from Go types into a components map.
type schemas struct {
	defs  map[string]any
	names map[reflect.Type]string
	enums map[reflect.Type][]string
}

func (sc *schemas) name(t reflect.Type) string {
	if n, ok := sc.names[t]; ok {
		return n
	}
	n := schemaNames[t]
	if n == "" {
		n = t.Name()
	}
	base := n
	for i := 2; ; i++ {
		if _, taken := sc.defs[n]; !taken {
			break
		}
		n = base + strconv.Itoa(i)
	}
	sc.names[t] = n
	return n
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

// of returns the schema of t, registering named structs and enums as
// components.
var (
	rawJSONType  = reflect.TypeFor[json.RawMessage]()
	durationType = reflect.TypeFor[delivery.Duration]()
)

func (sc *schemas) of(t reflect.Type) map[string]any {
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	if t == rawJSONType {
		return map[string]any{"description": "any JSON value"}
	}
	if t == durationType {
		return map[string]any{"type": "string", "description": "a Go duration, e.g. 10s"}
	}
	if vals, ok := sc.enums[t]; ok {
		if _, done := sc.names[t]; !done {
			n := sc.name(t)
			sc.defs[n] = map[string]any{"type": "string", "enum": vals}
		}
		return ref(sc.names[t])
	}
	switch t.Kind() {
	case reflect.Pointer:
		inner := sc.of(t.Elem())
		if typ, ok := inner["type"].(string); ok {
			out := map[string]any{}
			for k, v := range inner {
				out[k] = v
			}
			out["type"] = []string{typ, "null"}
			return out
		}
		return map[string]any{"anyOf": []any{inner, map[string]any{"type": "null"}}}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Uint64, reflect.Uint:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return map[string]any{"type": "integer", "format": "int32"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		return map[string]any{"type": "array", "items": sc.of(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": sc.of(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		if _, done := sc.names[t]; done {
			return ref(sc.names[t])
		}
		n := sc.name(t)
		sc.defs[n] = map[string]any{} // reserve: recursive types refer to it
		props := map[string]any{}
		var always []string
		for _, f := range jsonFields(t) {
			props[f.name] = sc.of(f.typ)
			if !f.omitEmpty {
				always = append(always, f.name)
			}
		}
		req, listed := required[t]
		if !listed {
			req = always
		}
		def := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		if len(req) > 0 {
			def["required"] = req
		}
		sc.defs[n] = def
		return ref(n)
	}
	return map[string]any{}
}

func (sc *schemas) ofValue(v any) map[string]any { return sc.of(reflect.TypeOf(v)) }

// OpenAPI builds the OpenAPI 3.1 document of the server's routes.
func (s *Server) OpenAPI() map[string]any {
	sc := &schemas{defs: map[string]any{}, names: map[reflect.Type]string{}, enums: enums()}
	problemRef := sc.ofValue(Problem{})
	paths := map[string]any{}
	for _, rt := range s.routes {
		item, _ := paths[rt.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.Path] = item
		}
		item[strings.ToLower(rt.Method)] = s.operation(sc, rt, problemRef)
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "IMP Ingest API",
			"version": "1",
			"description": "The REST front door of IMP, the Integrated Medical Platform: records are validated, made durable " +
				"on Kafka and answered 202 only after the broker acknowledged them. Errors are RFC 9457 problem documents. " +
				"Every request may carry X-Correlation-ID (echoed, generated when absent); every POST may carry Idempotency-Key.",
		},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": sc.defs,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer",
					"description": "An IMP API key: Authorization: Bearer imp_<id>_<secret>. Scopes: " + strings.Join(auth.AllScopes, ", ") +
						" (admin holds every scope)."},
				"apiKey": map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key",
					"description": "The same API key in the X-API-Key header."},
			},
		},
	}
}

func (s *Server) operation(sc *schemas, rt Route, problemRef map[string]any) map[string]any {
	d := rt.Doc
	if d == nil {
		d = &OperationDoc{Status: 200}
	}
	op := map[string]any{
		"summary":     rt.Summary,
		"operationId": operationID(rt),
	}
	if d.Description != "" {
		op["description"] = d.Description
	}
	if rt.Scope != "" {
		op["security"] = []any{
			map[string]any{"bearer": []string{rt.Scope}},
			map[string]any{"apiKey": []string{rt.Scope}},
		}
		op["x-scope"] = rt.Scope
	} else {
		op["security"] = []any{}
	}
	params := []any{map[string]any{"name": "X-Correlation-ID", "in": "header", "required": false,
		"description": "correlation id (1-128 of A-Z a-z 0-9 . _ : -); generated when absent, echoed in the response",
		"schema":      map[string]any{"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"}}}
	if rt.Method == http.MethodPost {
		params = append(params, map[string]any{"name": headerIdempotencyKey, "in": "header", "required": false,
			"description": "a retry with the same key and body replays the first response (Idempotent-Replayed: true) and produces nothing; " +
				"the same key with another body is refused (422)",
			"schema": map[string]any{"type": "string", "minLength": 1, "maxLength": maxIdempotencyKey}})
	}
	for _, p := range d.Params {
		schema := map[string]any{"type": "string"}
		switch p.Format {
		case "date-time":
			schema["format"] = "date-time"
		case "integer":
			schema = map[string]any{"type": "integer", "minimum": 1, "maximum": 1000}
		}
		params = append(params, map[string]any{"name": p.Name, "in": p.In, "required": p.In == "path",
			"description": p.Description, "schema": schema})
	}
	op["parameters"] = params
	if d.BodyType != "" {
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			d.BodyType: map[string]any{"schema": map[string]any{"type": "string"}, "example": d.Example}}}
	} else if d.Body != nil {
		elem := sc.ofValue(d.Body)
		var content map[string]any
		if d.Batch {
			arr := map[string]any{"type": "array", "items": elem, "minItems": 1, "maxItems": MaxBatchRecords}
			content = map[string]any{
				ctJSON:   map[string]any{"schema": arr, "example": []any{d.Example}},
				ctNDJSON: map[string]any{"schema": map[string]any{"type": "string", "description": "one JSON record per line"}},
			}
		} else {
			content = map[string]any{ctJSON: map[string]any{"schema": elem, "example": d.Example}}
		}
		op["requestBody"] = map[string]any{"required": true, "content": content}
	}
	resps := map[string]any{}
	ok := map[string]any{"description": http.StatusText(d.Status)}
	switch {
	case d.ResponseType != "":
		ok["content"] = map[string]any{d.ResponseType: map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}
	case d.Response != nil:
		ok["content"] = map[string]any{ctJSON: map[string]any{"schema": sc.ofValue(d.Response)}}
	}
	resps[strconv.Itoa(d.Status)] = ok
	if d.Batch {
		resps["207"] = map[string]any{"description": "some records were refused; each result says which and why",
			"content": map[string]any{ctJSON: map[string]any{"schema": sc.ofValue(BatchResponse{})}}}
	}
	errs := slices.Clone(d.Errors)
	if rt.Scope != "" {
		errs = append(errs, http.StatusUnauthorized, http.StatusForbidden)
	}
	slices.Sort(errs)
	for _, code := range slices.Compact(errs) {
		resps[strconv.Itoa(code)] = map[string]any{"description": http.StatusText(code),
			"content": map[string]any{ctProblem: map[string]any{"schema": problemRef}}}
	}
	op["responses"] = resps
	return op
}

// operationID is e.g. "post_v1_results_batch".
func operationID(rt Route) string {
	p := strings.NewReplacer("/", "_", "{", "", "}", "", "-", "_", ".", "_").Replace(strings.Trim(rt.Path, "/"))
	return strings.ToLower(rt.Method) + "_" + p
}
