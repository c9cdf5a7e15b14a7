package fs

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
)

// MkdirOptions are the inputs of `fs mkdir`.
type MkdirOptions struct {
	PathOptions
	Parents bool
	Mode    string
}

// NewCmdMkdir builds `fs mkdir`.
func NewCmdMkdir(f *cmdutil.Factory, runF func(context.Context, *MkdirOptions) error) *cobra.Command {
	opts := &MkdirOptions{}
	cmd := &cobra.Command{
		Use:   "mkdir <vm> <path>",
		Short: "Create a directory in a VM",
		Example: `  slicer fs mkdir vm-1 /tmp/work
  slicer fs mkdir -p vm-1 ~/app/data --mode 0700`,
		Args:              cmdutil.ExactArgs(2, "<vm> and <path>"),
		ValidArgsFunction: CompleteRemotePath(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Mode != "" {
				if err := ValidateMode(opts.Mode); err != nil {
					return cmdutil.FlagErrorf("invalid --mode: %v", err)
				}
			}
			bind(f, &opts.PathOptions, args)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return cmdutil.GuestError(mkdirRun(cmd.Context(), opts), opts.VM)
		},
	}
	cmd.Flags().BoolVarP(&opts.Parents, "parents", "p", false, "Create missing parent directories; no error if the directory exists")
	cmd.Flags().StringVar(&opts.Mode, "mode", "", "Permissions in octal, e.g. 0755")
	return cmd
}

// ValidateMode checks an octal permission string such as 0644.
func ValidateMode(m string) error {
	v, err := strconv.ParseUint(m, 8, 32)
	if err != nil || v > 0o7777 {
		return fmt.Errorf("%q is not an octal mode like 0755", m)
	}
	return nil
}

func mkdirRun(ctx context.Context, opts *MkdirOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	err = cmdutil.WithVM(ctx, c, opts.VM, func(vm string) error {
		return c.Mkdir(ctx, vm, client.SlicerFSMkdirRequest{Path: opts.Path, Recursive: opts.Parents, Mode: opts.Mode})
	})
	if err != nil {
		return fmt.Errorf("mkdir %s in VM %q: %w", opts.Path, opts.VM, err)
	}
	return nil
}
