package exec

import (
	"context"
	"fmt"

	"github.com/slicer-cli/slicer/pkg/client"
)

func ttyRun(ctx context.Context, c client.Interface, vm string, opts *ExecOptions) error {
	return fmt.Errorf("TODO")
}
