package local

import (
	"testing"

	"go.uber.org/goleak"
)

// The daemon and its sandboxes run goroutines: none may outlive a test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
