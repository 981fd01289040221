package mllp

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must leave no goroutine behind: servers, connections and
// client reader goroutines all have to stop.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
