package vm

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// GroupOptions are the options of `vm group`.
type GroupOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)
	Output output.Options
}

// NewCmdGroup returns `vm group`: the daemon's host groups.
func NewCmdGroup(f *cmdutil.Factory, runF func(context.Context, *GroupOptions) error) *cobra.Command {
	opts := &GroupOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "group",
		Aliases: []string{"groups", "hostgroup"},
		Short:   "List host groups",
		Long:    "List the daemon's host groups with their VM count and per-VM limits.",
		Example: `  slicer vm group
  slicer vm group --json | jq -r '.[].name'`,
		Args:              cmdutil.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return groupRun(cmd.Context(), opts)
		},
	}
	output.AddFlags(cmd, &opts.Output)
	return cmd
}

func groupRun(ctx context.Context, opts *GroupOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	groups, err := c.GetHostGroups(ctx)
	if err != nil {
		return fmt.Errorf("list host groups: %w", err)
	}
	return opts.Output.Print(opts.IO, output.List(groups,
		func(g client.SlicerHostGroup) string { return g.Name },
		[]output.Column{
			{Header: "NAME"},
			{Header: "COUNT"},
			{Header: "CPUS"},
			{Header: "RAM"},
			{Header: "GPUS"},
			{Header: "ARCH"},
		},
		func(g client.SlicerHostGroup) []string {
			return []string{g.Name, strconv.Itoa(g.Count), strconv.Itoa(g.CPUs), formatRAM(g.RamBytes),
				strconv.Itoa(g.GPUCount), orDash(g.Arch)}
		},
	))
}
