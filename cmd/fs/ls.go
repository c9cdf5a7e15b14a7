package fs

import (
	"context"
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/output"
)

// NewCmdLs builds `fs ls`.
func NewCmdLs(f *cmdutil.Factory, runF func(context.Context, *PathOptions) error) *cobra.Command {
	opts := &PathOptions{}
	cmd := &cobra.Command{
		Use:     "ls <vm> [path]",
		Aliases: []string{"list", "readdir"},
		Short:   "List a directory in a VM",
		Long:    "List the entries of a directory in a VM (default: the home directory, ~).",
		Example: `  slicer fs ls vm-1 /etc
  slicer fs ls vm-1 ~/project -o json | jq -r '.[] | select(.type == "file") | .name'
  slicer fs ls vm-1 /var/log -o name`,
		Args:              cmdutil.RangeArgs(1, 2, "<vm> [path]"),
		ValidArgsFunction: CompleteRemotePath(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if len(args) == 1 {
				args = append(args, "~")
			}
			bind(f, opts, args)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return cmdutil.GuestError(lsRun(cmd.Context(), opts), opts.VM)
		},
	}
	output.AddFlags(cmd, &opts.Output)
	return cmd
}

func lsRun(ctx context.Context, opts *PathOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var entries []client.SlicerFSInfo
	err = cmdutil.WithVM(ctx, c, opts.VM, func(vm string) error {
		var err error
		entries, err = c.ReadDir(ctx, vm, opts.Path)
		return err
	})
	if err != nil {
		return fmt.Errorf("list %s in VM %q: %w", opts.Path, opts.VM, notFound(err, opts.VM, opts.Path))
	}
	if entries == nil {
		entries = []client.SlicerFSInfo{}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	return opts.Output.Print(opts.IO, output.Data{
		Value: entries,
		Names: func() []string {
			n := make([]string, len(entries))
			for i, e := range entries {
				n[i] = e.Name
			}
			return n
		},
		Table: func(t *output.TableWriter) { infoTable(t, entries, t.TTY()) },
	})
}
