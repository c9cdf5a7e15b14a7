package bg

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// ListOptions are the inputs of `bg list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	VM     string
	Output output.Options
}

// NewCmdList builds `bg list`.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{}
	cmd := &cobra.Command{
		Use:     "list <vm>",
		Aliases: []string{"ls"},
		Short:   "List background processes in a VM",
		Long:    "List the VM's background processes: running ones and exited ones not yet removed.",
		Example: `  slicer bg list vm-1
  slicer bg list vm-1 -o json | jq -r '.[] | select(.running) | .exec_id'`,
		Args:              cmdutil.ExactArgs(1, "<vm>"),
		ValidArgsFunction: cmdutil.CompleteVMNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			opts.VM = args[0]
			opts.IO = f.IOStreams
			opts.Client = f.Client
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	output.AddFlags(cmd, &opts.Output)
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var list []client.ExecBackgroundInfo
	err = cmdutil.WithVM(ctx, c, opts.VM, func(vm string) error {
		var err error
		list, err = c.ExecList(ctx, vm)
		return err
	})
	if err != nil {
		return fmt.Errorf("list background processes in VM %q: %w", opts.VM, err)
	}
	if list == nil {
		list = []client.ExecBackgroundInfo{}
	}
	return opts.Output.Print(opts.IO, output.Data{
		Value: list,
		Names: func() []string {
			var n []string
			for _, e := range list {
				n = append(n, e.ExecID)
			}
			return n
		},
		Table: func(t *output.TableWriter) {
			t.SetColumns(
				output.Column{Header: "EXEC_ID"},
				output.Column{Header: "PID"},
				output.Column{Header: "STATUS"},
				output.Column{Header: "STARTED", Age: true},
				output.Column{Header: "OUTPUT", Wide: true},
				output.Column{Header: "COMMAND", Truncate: true},
			)
			for _, e := range list {
				t.AddRow(e.ExecID, strconv.Itoa(e.PID), status(e), started(e.StartedAt),
					iostreams.FormatBytes(e.BytesWritten), strings.TrimSpace(e.Command+" "+strings.Join(e.Args, " ")))
			}
		},
	})
}

func status(e client.ExecBackgroundInfo) string {
	if e.Running {
		return "running"
	}
	if e.Signal != "" {
		return "killed (" + e.Signal + ")"
	}
	if e.ExitCode != nil {
		return "exited (" + strconv.Itoa(*e.ExitCode) + ")"
	}
	return "exited"
}

func started(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
