package localdaemon_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every daemon a test starts is closed by its cleanup; nothing it started
// may still run afterwards.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
