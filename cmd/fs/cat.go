package fs

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
)

// NewCmdCat builds `fs cat`.
func NewCmdCat(f *cmdutil.Factory, runF func(context.Context, *PathOptions) error) *cobra.Command {
	opts := &PathOptions{}
	cmd := &cobra.Command{
		Use:   "cat <vm> <path>",
		Short: "Print a file from a VM",
		Long:  "Write the bytes of a file in a VM to stdout, unchanged (binary-safe), as they arrive.",
		Example: `  slicer fs cat vm-1 /etc/os-release
  slicer fs cat vm-1 /var/backup.tar.gz > backup.tar.gz`,
		Args:              cmdutil.ExactArgs(2, "<vm> and <path>"),
		ValidArgsFunction: CompleteRemotePath(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			bind(f, opts, args)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return cmdutil.GuestError(catRun(cmd.Context(), opts), opts.VM)
		},
	}
	return cmd
}

func catRun(ctx context.Context, opts *PathOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	vm, err := cmdutil.ResolveVM(ctx, c, opts.VM)
	if err != nil {
		return err
	}
	if err := c.ReadFileTo(ctx, vm, opts.Path, opts.IO.Out); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("read %s in VM %q: %w", opts.Path, vm, notFound(err, vm, opts.Path))
	}
	return nil
}
