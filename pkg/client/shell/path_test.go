package shell

import (
	"testing"

	"github.com/slicer-cli/slicer/pkg/client/forward"
)

// The WebSocket paths escape a hostname exactly as the REST calls do: ";"
// and "," stay as the SDK sends them, "/" cannot add a path segment.
func TestWebSocketPathsEscapeLikeREST(t *testing.T) {
	for vm, want := range map[string]string{
		"vm-1":   "/vm/vm-1",
		"a;b,c":  "/vm/a;b,c",
		"a/b":    "/vm/a%2Fb",
		"sp ace": "/vm/sp%20ace",
	} {
		if got := ShellPath(vm); got != want+"/shell" {
			t.Errorf("ShellPath(%q) = %q, want %q", vm, got, want+"/shell")
		}
		if got := forward.ForwardPath(vm); got != want+"/forward" {
			t.Errorf("ForwardPath(%q) = %q, want %q", vm, got, want+"/forward")
		}
	}
}
