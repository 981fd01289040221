package lab

// RouteReason says why a result went to the stream of its tier. It is
// carried in a record header so operators can see how each result was
// routed without reading its payload.
type RouteReason string

// The reasons RouteResult gives.
const (
	RouteExplicit        RouteReason = "explicit"         // the request named a valid tier
	RouteCustomerMaster  RouteReason = "customer-master"  // the customer master's tier
	RouteUnknownCustomer RouteReason = "unknown-customer" // customer not in the master: general
	RouteNoCustomer      RouteReason = "no-customer"      // no customer id and no tier: general
)

// Valid reports whether r is one of the reasons RouteResult gives.
func (r RouteReason) Valid() bool {
	switch r {
	case RouteExplicit, RouteCustomerMaster, RouteUnknownCustomer, RouteNoCustomer:
		return true
	}
	return false
}

// RouteResult picks the tier whose stream a result goes to, at ingress.
// A valid explicit tier in the request wins; an invalid one is ignored
// (Result.Validate has already refused it where it matters). Otherwise the
// customer master's tier is used, general when the master holds an empty
// or unknown tier. An unknown customer, or no lookup, routes to general.
func RouteResult(explicit Tier, lookup func(customerID string) (Tier, bool), customerID string) (Tier, RouteReason) {
	if explicit.Valid() {
		return explicit, RouteExplicit
	}
	if customerID == "" {
		return TierGeneral, RouteNoCustomer
	}
	if lookup == nil {
		return TierGeneral, RouteUnknownCustomer
	}
	t, ok := lookup(customerID)
	if !ok {
		return TierGeneral, RouteUnknownCustomer
	}
	if !t.Valid() {
		t = TierGeneral
	}
	return t, RouteCustomerMaster
}

// StreamSuffix is what a tier adds to the name of a tiered stream: "" for
// general (and any unknown tier), "-b2b", "-corp", "-svip1", "-svip2".
func StreamSuffix(t Tier) string {
	if t == TierGeneral || !t.Valid() {
		return ""
	}
	return "-" + string(t)
}

// ResultStream is the base name of the result stream; the stream of a tier
// is ResultStream + StreamSuffix(tier), before any topic prefix.
const ResultStream = "lis-test-result"

// ResultStreamFor names the result stream of tier t, without topic prefix:
// "lis-test-result", "lis-test-result-b2b", ...
func ResultStreamFor(t Tier) string { return ResultStream + StreamSuffix(t) }
