package cmdutil

import (
	"testing"

	"go.uber.org/goleak"
)

// Completion helpers start goroutines; none may outlive a test run.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
