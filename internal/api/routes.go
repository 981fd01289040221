package api

import (
	"github.com/imp-health/imp/internal/auth"
	"github.com/imp-health/imp/internal/jobs"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
)

const (
	scopeMaster  = auth.ScopeMasterWrite
	scopeOrders  = auth.ScopeOrdersWrite
	scopeResults = auth.ScopeResultsWrite
	scopeStatus  = auth.ScopeStatusWrite
	scopeRead    = auth.ScopeRead
	scopeOperate = auth.ScopeOperate
	scopeAdmin   = auth.ScopeAdmin
)

// OperationDoc describes an operation for the OpenAPI document. Types are
// given as zero values; their JSON Schemas are derived by reflection.
type OperationDoc struct {
	Description string
	Params      []Param
	// Body is the request body's type; nil means no body.
	Body any
	// Batch says the body is an array (or NDJSON stream) of Body.
	Batch bool
	// Example is a valid request body (for a batch: one record).
	Example any
	// Status and Response are the success answer; Response nil means
	// no body.
	Status   int
	Response any
	// Errors lists the error statuses worth documenting besides the
	// ones every authenticated operation has (401, 403).
	Errors []int
	// BodyType is the request's media type when it is not JSON (the
	// body is then a string, Example its text).
	BodyType string
	// ResponseType is the success answer's media type when it is not
	// JSON (a binary body).
	ResponseType string
}

// Param is a path or query parameter.
type Param struct {
	Name        string
	In          string // path, query
	Description string
	Format      string // date-time, integer
}

func path(name, desc string) Param  { return Param{Name: name, In: "path", Description: desc} }
func query(name, desc string) Param { return Param{Name: name, In: "query", Description: desc} }

// table declares every route of the API once.
func (s *Server) table() []Route {
	rs := []Route{
		{Method: "GET", Path: "/healthz", Summary: "Liveness", Handler: s.healthz,
			Doc: &OperationDoc{Status: 200, Response: map[string]string{}}},
		{Method: "GET", Path: "/readyz", Summary: "Readiness: broker and store reachable", Handler: s.readyz,
			Doc: &OperationDoc{Status: 200, Response: map[string]string{}, Errors: []int{503}}},
		{Method: "GET", Path: "/openapi.json", Summary: "This OpenAPI 3.1 document", Handler: s.openapi,
			Doc: &OperationDoc{Status: 200, Response: map[string]any{}}},
	}
	writeErrs := []int{400, 413, 415, 422, 503}
	for _, c := range s.collections() {
		one := &OperationDoc{Body: c.body, Example: c.example(), Status: 202, Response: acceptedDoc{}, Errors: writeErrs,
			Description: "Validates the record and answers 202 only after the broker acknowledged it on stream " + c.stream +
				streamNote(c) + ". Supports Idempotency-Key."}
		batch := &OperationDoc{Body: c.body, Batch: true, Example: c.example(), Status: 202, Response: BatchResponse{}, Errors: writeErrs,
			Description: "A JSON array (application/json) or NDJSON (application/x-ndjson) of up to 10,000 records, 16 MiB. " +
				"Each record is validated and acknowledged on its own: 202 when all were accepted, 207 when some were refused " +
				"(each result names its index and the problem). Supports Idempotency-Key."}
		rs = append(rs,
			Route{Method: "POST", Path: "/v1/" + c.name, Scope: c.scope, Summary: "Publish one record to " + c.stream, Handler: s.postOne(c), Doc: one},
			Route{Method: "POST", Path: "/v1/" + c.name + "/batch", Scope: c.scope, Summary: "Publish a batch of records to " + c.stream, Handler: s.postBatch(c), Doc: batch},
		)
	}
	readErrs := []int{404, 503}
	rs = append(rs,
		Route{Method: "GET", Path: "/v1/customers/{id}", Scope: scopeRead, Summary: "Read a customer from the master", Handler: s.getCustomer,
			Doc: &OperationDoc{Params: []Param{path("id", "customer id")}, Status: 200, Response: lab.Customer{}, Errors: readErrs}},
		Route{Method: "GET", Path: "/v1/employees/{id}", Scope: scopeRead, Summary: "Read an employee from the master", Handler: s.getEmployee,
			Doc: &OperationDoc{Params: []Param{path("id", "employee id")}, Status: 200, Response: lab.Employee{}, Errors: readErrs}},
		Route{Method: "GET", Path: "/v1/tests", Scope: scopeRead, Summary: "List the test catalog", Handler: s.listTests,
			Doc: &OperationDoc{Status: 200, Response: TestList{}, Errors: []int{400, 503}}},
		Route{Method: "GET", Path: "/v1/tests/{code}", Scope: scopeRead, Summary: "Read a test of the catalog", Handler: s.getTest,
			Doc: &OperationDoc{Params: []Param{path("code", "test code")}, Status: 200, Response: lab.Test{}, Errors: readErrs}},
		Route{Method: "GET", Path: "/v1/orders/{accession}", Scope: scopeRead, Summary: "Read an order with its status, LIS state and results", Handler: s.getOrder,
			Doc: &OperationDoc{Params: []Param{path("accession", "accession number")}, Status: 200, Response: store.OrderView{}, Errors: readErrs}},
		Route{Method: "GET", Path: "/v1/messages", Scope: scopeRead, Summary: "Search tracked messages, newest first", Handler: s.listMessages,
			Doc: &OperationDoc{Params: []Param{
				query("message_id", "message id"), query("order", "accession number"), query("customer", "customer id"),
				query("test", "test code"), query("stream", "stream name"), query("consumer", "consumer name"),
				query("status", "processed, duplicate, retrying, dead, repushed, discarded"),
				{Name: "from", In: "query", Description: "updated at or after (RFC 3339)", Format: "date-time"},
				{Name: "to", In: "query", Description: "updated before (RFC 3339)", Format: "date-time"},
				{Name: "limit", In: "query", Description: "1-1000, default 100", Format: "integer"},
				{Name: "before", In: "query", Description: "page on: rows updated before this time (the previous page's next)", Format: "date-time"},
			}, Status: 200, Response: MessageList{}, Errors: []int{400, 503}}},
		Route{Method: "GET", Path: "/v1/messages/{id}", Scope: scopeRead, Summary: "A message's state at each consumer and its timeline", Handler: s.getMessage,
			Doc: &OperationDoc{Params: []Param{path("id", "message id")}, Status: 200, Response: MessageDetail{}, Errors: readErrs}},
		Route{Method: "GET", Path: "/v1/dead-letters", Scope: scopeRead, Summary: "Search dead letters, newest first", Handler: s.listDeadLetters,
			Doc: &OperationDoc{Params: []Param{
				query("stream", "stream name"), query("consumer", "consumer name"), query("error_class", "error class"),
				query("state", "dead (default), repushed, discarded or any"), query("order", "accession number"),
				query("customer", "customer id"), query("message_id", "message id"),
				{Name: "from", In: "query", Description: "dead at or after (RFC 3339)", Format: "date-time"},
				{Name: "to", In: "query", Description: "dead before (RFC 3339)", Format: "date-time"},
				{Name: "limit", In: "query", Description: "1-1000, default 100", Format: "integer"},
			}, Status: 200, Response: DeadLetterList{}, Errors: []int{400, 503}}},
		Route{Method: "POST", Path: "/v1/dead-letters/repush", Scope: scopeOperate, Summary: "Re-push dead letters to their stream (audit-logged)", Handler: s.deadAction(true),
			Doc: &OperationDoc{Body: DeadLetterAction{}, Example: DeadLetterAction{Filter: &DeadLetterFilter{Stream: "lis-orders", ErrorClass: "permanent"}},
				Status: 200, Response: DeadLetterActionResult{}, Errors: []int{400, 415, 422, 503},
				Description: "Names dead letters by message_ids or by a filter with at least one field; at most 1000 per call."}},
		Route{Method: "POST", Path: "/v1/dead-letters/discard", Scope: scopeOperate, Summary: "Discard dead letters (audit-logged)", Handler: s.deadAction(false),
			Doc: &OperationDoc{Body: DeadLetterAction{}, Example: DeadLetterAction{MessageIDs: []string{"0198c1d2-3e4f-7a5b-8c6d-7e8f9a0b1c2d"}},
				Status: 200, Response: DeadLetterActionResult{}, Errors: []int{400, 415, 422, 503},
				Description: "Names dead letters by message_ids or by a filter with at least one field; at most 1000 per call."}},
		Route{Method: "POST", Path: "/v1/keys", Scope: scopeAdmin, Summary: "Create an API key; the token is shown once", Handler: s.createKey,
			Doc: &OperationDoc{Body: KeyRequest{}, Example: KeyRequest{Name: "clinic-north LIS bridge", Scopes: []string{auth.ScopeResultsWrite, auth.ScopeStatusWrite}},
				Status: 201, Response: CreatedKey{}, Errors: []int{400, 415, 422, 503}}},
		Route{Method: "GET", Path: "/v1/keys", Scope: scopeAdmin, Summary: "List API keys (never their secrets)", Handler: s.listKeys,
			Doc: &OperationDoc{Status: 200, Response: KeyList{}, Errors: []int{400, 503}}},
		Route{Method: "DELETE", Path: "/v1/keys/{id}", Scope: scopeAdmin, Summary: "Revoke an API key", Handler: s.revokeKey,
			Doc: &OperationDoc{Params: []Param{path("id", "key id")}, Status: 204, Errors: readErrs}},
		Route{Method: "POST", Path: "/v1/hl7", Scope: scopeResults, Summary: "Take an HL7 v2 message over HTTP (as the MLLP listener does)", Handler: s.postHL7,
			Doc: &OperationDoc{BodyType: ctHL7, Example: exampleORU, Status: 202, Response: HL7Accepted{}, Errors: []int{400, 413, 415, 422, 503},
				Description: "ORU^R01/OUL^R22 results are routed to their tier's stream, status messages to lis-test-status, " +
					"orders (ORM^O01, OML^O21) to lis-orders and patients (ADT) to customer. 202 carries the AA acknowledgement " +
					"once the broker has every record; a message IMP cannot take is a problem naming the segment and field " +
					"(422 for AE, 400 for AR) with the AE/AR acknowledgement in its ack member."}},
		Route{Method: "POST", Path: "/v1/jobs", Scope: auth.ScopeJobsWrite, Summary: "Enqueue a background job (pdf-report, notify, create-order, default)", Handler: s.postJob,
			Doc: &OperationDoc{Body: jobs.Job{}, Example: exampleJob, Status: 202, Response: acceptedDoc{}, Errors: []int{400, 413, 415, 422, 503},
				Description: "create-order runs on worker-order, the others on worker. run_at in the future schedules the job. Supports Idempotency-Key."}},
		Route{Method: "GET", Path: "/v1/orders/{accession}/report", Scope: scopeRead, Summary: "Download an order's PDF result report", Handler: s.getReport,
			Doc: &OperationDoc{Params: []Param{path("accession", "accession number"), {Name: "version", In: "query", Description: "report version (default: the newest)", Format: "integer"}},
				Status: 200, ResponseType: "application/pdf", Errors: readErrs}},
		Route{Method: "GET", Path: "/v1/destinations", Scope: scopeAdmin, Summary: "List delivery destinations (secrets are not shown)", Handler: s.listDestinations,
			Doc: &OperationDoc{Status: 200, Response: DestinationList{}, Errors: []int{503}}},
		Route{Method: "POST", Path: "/v1/destinations", Scope: scopeAdmin, Summary: "Create or replace a delivery destination (audit-logged)", Handler: s.putDestination,
			Doc: &OperationDoc{Body: DestinationRequest{}, Example: exampleDestination, Status: 201, Response: DestinationView{}, Errors: []int{400, 415, 422, 503}}},
		Route{Method: "DELETE", Path: "/v1/destinations/{id}", Scope: scopeAdmin, Summary: "Remove a delivery destination (audit-logged)", Handler: s.deleteDestination,
			Doc: &OperationDoc{Params: []Param{path("id", "destination id")}, Status: 204, Errors: readErrs}},
	)
	return rs
}

func streamNote(c *collection) string {
	if c.name == "results" {
		return " or the tier stream of the customer (lis-test-result-b2b, -corp, -svip1, -svip2): an explicit tier wins, " +
			"then the customer master's, an unknown customer goes to the general stream; the response's stream says which"
	}
	return ""
}

// acceptedDoc documents the 202 body.
type acceptedDoc struct {
	MessageID string `json:"message_id"`
	Stream    string `json:"stream"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}
