package vm

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// HealthOptions are the options of `vm health`.
type HealthOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	VM     string
	Output output.Options
}

// NewCmdHealth returns `vm health`.
func NewCmdHealth(f *cmdutil.Factory, runF func(context.Context, *HealthOptions) error) *cobra.Command {
	opts := &HealthOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "health <vm>",
		Short: "Show a VM's guest agent health",
		Long:  "Ask the VM's guest agent once for its version and uptimes (no waiting; see 'vm ready').",
		Example: `  slicer vm health sbox-1
  slicer vm health sbox-1 --json | jq -r .agent_version`,
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
			return healthRun(cmd.Context(), opts)
		},
	}
	output.AddFlags(cmd, &opts.Output)
	return cmd
}

func healthRun(ctx context.Context, opts *HealthOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var h *client.SlicerAgentHealthResponse
	var host string
	err = cmdutil.WithVM(ctx, c, opts.VM, func(vm string) error {
		host = vm
		var err error
		h, err = c.GetAgentHealth(ctx, vm, true)
		return err
	})
	if err != nil {
		return fmt.Errorf("health of VM %q: %w", opts.VM, err)
	}
	if h.Hostname == "" {
		h.Hostname = host
	}
	return opts.Output.Print(opts.IO, output.Data{
		Value: h,
		Names: func() []string { return []string{h.Hostname} },
		Table: func(t *output.TableWriter) {
			t.SetColumns(
				output.Column{Header: "HOSTNAME"},
				output.Column{Header: "AGENT UPTIME"},
				output.Column{Header: "SYSTEM UPTIME"},
				output.Column{Header: "AGENT VERSION"},
				output.Column{Header: "USERDATA RAN"},
				output.Column{Header: "IP", Wide: true},
			)
			ran := "0"
			if h.UserdataRan {
				ran = "1"
			}
			t.AddRow(h.Hostname, formatDuration(h.AgentUptime), formatDuration(h.SystemUptime),
				orDash(h.AgentVersion), ran, orDash(h.IP))
		},
	})
}
