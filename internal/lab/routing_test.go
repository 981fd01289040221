package lab

import (
	"fmt"
	"testing"
)

func TestRouteResult(t *testing.T) {
	t.Parallel()
	master := map[string]Tier{
		"cust-corp":  TierCorp,
		"cust-vip":   TierSVIP2,
		"cust-old":   "",     // stored before tiers existed
		"cust-bogus": "gold", // should not happen; must not misroute
	}
	lookup := func(id string) (Tier, bool) { t, ok := master[id]; return t, ok }
	for _, tc := range []struct {
		name       string
		explicit   Tier
		lookup     func(string) (Tier, bool)
		customerID string
		want       Tier
		reason     RouteReason
	}{
		{"explicit beats master", TierB2B, lookup, "cust-vip", TierB2B, RouteExplicit},
		{"explicit general beats master", TierGeneral, lookup, "cust-vip", TierGeneral, RouteExplicit},
		{"explicit without customer", TierSVIP1, lookup, "", TierSVIP1, RouteExplicit},
		{"master tier", "", lookup, "cust-corp", TierCorp, RouteCustomerMaster},
		{"master svip", "", lookup, "cust-vip", TierSVIP2, RouteCustomerMaster},
		{"invalid explicit falls back to master", "gold", lookup, "cust-corp", TierCorp, RouteCustomerMaster},
		{"master without tier is general", "", lookup, "cust-old", TierGeneral, RouteCustomerMaster},
		{"master with unknown tier is general", "", lookup, "cust-bogus", TierGeneral, RouteCustomerMaster},
		{"unknown customer is general", "", lookup, "cust-nobody", TierGeneral, RouteUnknownCustomer},
		{"no lookup is unknown customer", "", nil, "cust-vip", TierGeneral, RouteUnknownCustomer},
		{"no customer is general", "", lookup, "", TierGeneral, RouteNoCustomer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tier, reason := RouteResult(tc.explicit, tc.lookup, tc.customerID)
			if tier != tc.want || reason != tc.reason {
				t.Errorf("RouteResult = %q, %q; want %q, %q", tier, reason, tc.want, tc.reason)
			}
			if !reason.Valid() {
				t.Errorf("reason %q not Valid", reason)
			}
		})
	}
	t.Run("explicit tier skips the lookup", func(t *testing.T) {
		t.Parallel()
		called := false
		RouteResult(TierCorp, func(string) (Tier, bool) { called = true; return TierSVIP1, true }, "cust-vip")
		if called {
			t.Error("lookup called although the request named a tier")
		}
	})
}

func TestStreamSuffix(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		tier   Tier
		suffix string
		stream string
	}{
		{TierGeneral, "", "lis-test-result"},
		{TierB2B, "-b2b", "lis-test-result-b2b"},
		{TierCorp, "-corp", "lis-test-result-corp"},
		{TierSVIP1, "-svip1", "lis-test-result-svip1"},
		{TierSVIP2, "-svip2", "lis-test-result-svip2"},
		{"", "", "lis-test-result"},
		{"gold", "", "lis-test-result"},
	} {
		t.Run(string(tc.tier), func(t *testing.T) {
			t.Parallel()
			if got := StreamSuffix(tc.tier); got != tc.suffix {
				t.Errorf("StreamSuffix(%q) = %q, want %q", tc.tier, got, tc.suffix)
			}
			if got := ResultStreamFor(tc.tier); got != tc.stream {
				t.Errorf("ResultStreamFor(%q) = %q, want %q", tc.tier, got, tc.stream)
			}
		})
	}
}

func TestRouteReasonValid(t *testing.T) {
	t.Parallel()
	for _, r := range []RouteReason{RouteExplicit, RouteCustomerMaster, RouteUnknownCustomer, RouteNoCustomer} {
		if !r.Valid() {
			t.Errorf("%q.Valid() = false", r)
		}
	}
	if RouteReason("guess").Valid() {
		t.Error("unknown reason reported valid")
	}
}

func ExampleRouteResult() {
	master := map[string]Tier{"cust-1001": TierSVIP1}
	lookup := func(id string) (Tier, bool) { t, ok := master[id]; return t, ok }

	for _, in := range []struct {
		explicit   Tier
		customerID string
	}{
		{TierCorp, "cust-1001"}, // the request names a tier: it wins
		{"", "cust-1001"},       // the customer master decides
		{"", "cust-9999"},       // unknown customer: general
		{"", ""},                // no customer at all: general
	} {
		tier, reason := RouteResult(in.explicit, lookup, in.customerID)
		fmt.Println(ResultStream+StreamSuffix(tier), reason)
	}
	// Output:
	// lis-test-result-corp explicit
	// lis-test-result-svip1 customer-master
	// lis-test-result unknown-customer
	// lis-test-result no-customer
}
