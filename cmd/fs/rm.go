package fs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
)

// RmOptions are the inputs of `fs rm`.
type RmOptions struct {
	PathOptions
	Recursive bool
	Force     bool
}

// NewCmdRm builds `fs rm`.
func NewCmdRm(f *cmdutil.Factory, runF func(context.Context, *RmOptions) error) *cobra.Command {
	opts := &RmOptions{}
	cmd := &cobra.Command{
		Use:     "rm <vm> <path>",
		Aliases: []string{"remove"},
		Short:   "Remove a file or directory in a VM",
		Long:    "Remove a file or an empty directory in a VM; -r removes a directory and everything in it.",
		Example: `  slicer fs rm vm-1 /tmp/file
  slicer fs rm -r vm-1 ~/build`,
		Args:              cmdutil.ExactArgs(2, "<vm> and <path>"),
		ValidArgsFunction: CompleteRemotePath(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			bind(f, &opts.PathOptions, args)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return cmdutil.GuestError(rmRun(cmd.Context(), opts), opts.VM)
		},
	}
	cmd.Flags().BoolVarP(&opts.Recursive, "recursive", "r", false, "Remove directories and their contents")
	cmd.Flags().BoolVarP(&opts.Force, "force", "f", false, "No error when the path does not exist")
	return cmd
}

func rmRun(ctx context.Context, opts *RmOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	vm, err := cmdutil.ResolveVM(ctx, c, opts.VM)
	if err != nil {
		return err
	}
	if opts.Force {
		if _, err := c.Stat(ctx, vm, opts.Path); errors.Is(err, os.ErrNotExist) || cmdutil.IsNotFound(err) {
			return nil
		}
	}
	if err := c.Remove(ctx, vm, opts.Path, opts.Recursive); err != nil {
		err = fmt.Errorf("remove %s in VM %q: %w", opts.Path, vm, notFound(err, vm, opts.Path))
		if !opts.Recursive && cmdutil.IsAPIStatus(err, 400) && strings.Contains(err.Error(), "not empty") {
			// The daemon's hint names the API's recursive=true.
			err = fmt.Errorf("%w\nThe directory is not empty: use `slicer fs rm -r %s %s` to remove it and everything in it", err, opts.VM, opts.Path)
		}
		return err
	}
	return nil
}
