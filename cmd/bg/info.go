package bg

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// InfoOptions are the inputs of `bg info`.
type InfoOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	VM, ID string
	Output output.Options
}

// NewCmdInfo builds `bg info`.
func NewCmdInfo(f *cmdutil.Factory, runF func(context.Context, *InfoOptions) error) *cobra.Command {
	opts := &InfoOptions{}
	cmd := &cobra.Command{
		Use:   "info <vm> <exec-id>",
		Short: "Show the status of a background process",
		Long: `Print the status of a background process as indented JSON, one field per
line (exec_id, pid, command, args, running, exit_code, next_id, ...). After
the process was removed this fails with a non-zero exit status.`,
		Example: `  slicer bg info vm-1 ex_abc123
  slicer bg info vm-1 ex_abc123 --jq .running`,
		Args:              cmdutil.ExactArgs(2, "<vm> and <exec-id>"),
		ValidArgsFunction: completeExecIDs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			opts.VM, opts.ID = args[0], args[1]
			opts.IO = f.IOStreams
			opts.Client = f.Client
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return infoRun(cmd.Context(), opts)
		},
	}
	output.AddFlags(cmd, &opts.Output, output.JSON, output.YAML)
	return cmd
}

func infoRun(ctx context.Context, opts *InfoOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var info *client.ExecBackgroundInfo
	err = cmdutil.WithVM(ctx, c, opts.VM, func(vm string) error {
		var err error
		info, err = c.ExecInfo(ctx, vm, opts.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("background process %s in VM %q: %w", opts.ID, opts.VM, goneHint(err))
	}
	return opts.Output.Print(opts.IO, output.Data{Value: info})
}

// goneHint explains 410: the process was removed.
func goneHint(err error) error {
	if cmdutil.IsAPIStatus(err, 410) {
		return fmt.Errorf("%w (it was removed)", err)
	}
	return err
}
