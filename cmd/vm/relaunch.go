package vm

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// RelaunchOptions are the options of `vm relaunch`.
type RelaunchOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	VM     string
	Output output.Options
}

// NewCmdRelaunch returns `vm relaunch`.
func NewCmdRelaunch(f *cmdutil.Factory, runF func(context.Context, *RelaunchOptions) error) *cobra.Command {
	opts := &RelaunchOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:               "relaunch <vm>",
		Short:             "Boot a stopped persistent VM again",
		Long:              "Boot a stopped persistent VM again from its disk. Prints the same block as 'vm add'.",
		Example:           "  slicer vm relaunch sbox-1\n  slicer vm relaunch sbox-1 --json | jq -r .ip",
		Args:              cmdutil.ExactArgs(1, "VM name"),
		ValidArgsFunction: cmdutil.CompleteVMNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.VM = args[0]
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return relaunchRun(cmd.Context(), opts)
		},
	}
	output.AddFlags(cmd, &opts.Output, output.Table, output.JSON, output.YAML, output.Name)
	return cmd
}

func relaunchRun(ctx context.Context, opts *RelaunchOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var resp *client.SlicerCreateNodeResponse
	err = cmdutil.WithVM(ctx, c, opts.VM, func(vm string) error {
		var err error
		resp, err = c.RelaunchVM(ctx, vm)
		return err
	})
	if err != nil {
		return fmt.Errorf("relaunch VM %q: %w", opts.VM, err)
	}
	return opts.Output.Print(opts.IO, output.Data{
		Value: resp,
		Names: func() []string { return []string{resp.Hostname} },
		Human: func(w io.Writer) error {
			var b = "VM relaunched\n" +
				fmt.Sprintf("  Hostname: %s\n", output.SanitizeCell(resp.Hostname)) +
				fmt.Sprintf("  Group:    %s\n", output.SanitizeCell(orDash(resp.HostGroup))) +
				fmt.Sprintf("  IP:       %s\n", output.SanitizeCell(orDash(resp.IP)))
			_, err := io.WriteString(w, b)
			return err
		},
	})
}
