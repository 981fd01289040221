package auth

import (
	"fmt"
	"slices"
)

// Scopes a key can hold.
const (
	ScopeMasterWrite  = "master:write"  // customers, employees, test catalog
	ScopeOrdersWrite  = "orders:write"  // lab orders
	ScopeResultsWrite = "results:write" // results and HL7 from the LIS
	ScopeStatusWrite  = "status:write"  // order/sample status
	ScopeJobsWrite    = "jobs:write"    // background jobs
	ScopeRead         = "read"          // every GET
	ScopeOperate      = "operate"       // re-push and discard dead letters
	ScopeAdmin        = "admin"         // everything, including key management
)

// AllScopes lists every scope.
var AllScopes = []string{ScopeMasterWrite, ScopeOrdersWrite, ScopeResultsWrite, ScopeStatusWrite, ScopeJobsWrite, ScopeRead, ScopeOperate, ScopeAdmin}

// CheckScopes rejects unknown scope names.
func CheckScopes(scopes []string) error {
	for _, s := range scopes {
		if !slices.Contains(AllScopes, s) {
			return fmt.Errorf("unknown scope %q (known: %v)", s, AllScopes)
		}
	}
	return nil
}

// Principal is an authenticated client.
type Principal struct {
	KeyID  string
	Name   string
	Scopes []string
}

// Can reports whether p holds scope (admin holds every scope).
func (p Principal) Can(scope string) bool {
	return slices.Contains(p.Scopes, scope) || slices.Contains(p.Scopes, ScopeAdmin)
}
