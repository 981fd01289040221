package api

import "github.com/imp-health/imp/internal/auth"

// table declares every route of the API once.
func (s *Server) table() []Route {
	return []Route{
		{Method: "GET", Path: "/healthz", Summary: "Liveness", Handler: s.healthz},
		{Method: "GET", Path: "/readyz", Summary: "Readiness: broker and store reachable", Handler: s.readyz},
		{Method: "POST", Path: "/v1/customers", Scope: auth.ScopeMasterWrite, Summary: "Upsert a customer (customer stream)", Handler: s.postCustomer},
		{Method: "GET", Path: "/v1/customers/{id}", Scope: auth.ScopeRead, Summary: "Read a customer from the master", Handler: s.getCustomer},
	}
}

// OperationDoc is filled in by the OpenAPI document builder.
type OperationDoc struct{}
