package localdaemon_test

import (
	"testing"

	"github.com/slicer-cli/slicer/pkg/client"
)

func TestSmokeCreateExec(t *testing.T) {
	_, c := setup(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	if vm != "vm-1" {
		t.Fatalf("hostname = %q, want vm-1", vm)
	}
	if got := shAs(t, c, vm, 0, "echo hello; id -u; hostname"); got != "hello\n0\nvm-1" {
		t.Fatalf("got %q", got)
	}
}
