package fs

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/output"
)

// NewCmdStat builds `fs stat`.
func NewCmdStat(f *cmdutil.Factory, runF func(context.Context, *PathOptions) error) *cobra.Command {
	opts := &PathOptions{}
	cmd := &cobra.Command{
		Use:   "stat <vm> <path>",
		Short: "Show a file's type, size, mode and modification time",
		Long:  "Show the metadata of one path in a VM. A missing path exits 1 with \"no such file or directory\".",
		Example: `  slicer fs stat vm-1 /etc/hosts
  slicer fs stat vm-1 ~/app -o json | jq -r .type`,
		Args:              cmdutil.ExactArgs(2, "<vm> and <path>"),
		ValidArgsFunction: CompleteRemotePath(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			bind(f, opts, args)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return cmdutil.GuestError(statRun(cmd.Context(), opts), opts.VM)
		},
	}
	output.AddFlags(cmd, &opts.Output)
	return cmd
}

func statRun(ctx context.Context, opts *PathOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	vm, err := cmdutil.ResolveVM(ctx, c, opts.VM)
	if err != nil {
		return err
	}
	info, err := c.Stat(ctx, vm, opts.Path)
	if err != nil {
		return fmt.Errorf("stat %s in VM %q: %w", opts.Path, vm, notFound(err, vm, opts.Path))
	}
	return opts.Output.Print(opts.IO, output.Data{
		Value: info,
		Names: func() []string { return []string{info.Name} },
		Table: func(t *output.TableWriter) { infoTable(t, []client.SlicerFSInfo{*info}, t.TTY()) },
	})
}
