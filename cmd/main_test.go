package cmd

import (
	"testing"

	"go.uber.org/goleak"
)

// Execute starts a signal watcher per run: it must stop with the command.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("os/signal.signal_recv"), goleak.IgnoreTopFunction("os/signal.loop"))
}
