package vm

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// ShutdownOptions are the options of `vm shutdown`.
type ShutdownOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	VMs    []string
	Reboot bool
}

// NewCmdShutdown returns `vm shutdown`.
func NewCmdShutdown(f *cmdutil.Factory, runF func(context.Context, *ShutdownOptions) error) *cobra.Command {
	opts := &ShutdownOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "shutdown <vm>...",
		Short: "Shut down or reboot VMs",
		Long: `Shut VMs down gracefully (always sending action=shutdown, so no platform
default turns it into a reboot), or reboot them with --reboot.

An ephemeral VM is removed when it stops; a persistent one is kept, stopped,
and 'vm relaunch' boots it again.`,
		Example: `  slicer vm shutdown sbox-1
  slicer vm shutdown sbox-1 --reboot`,
		Args:              cmdutil.MinimumArgs(1, "VM name"),
		ValidArgsFunction: cmdutil.CompleteVMNamesAt(f, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.VMs = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return shutdownRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Reboot, "reboot", false, "Reboot instead of shutting down")
	return cmd
}

func shutdownRun(ctx context.Context, opts *ShutdownOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	action, done := "shutdown", "shut down"
	if opts.Reboot {
		action, done = "reboot", "rebooting"
	}
	var failed int
	for _, arg := range opts.VMs {
		var host string
		err := cmdutil.WithVM(ctx, c, arg, func(vm string) error {
			host = vm
			return c.Shutdown(ctx, vm, &client.SlicerShutdownRequest{Action: action})
		})
		if err != nil {
			err = fmt.Errorf("%s VM %q: %w", action, arg, err)
			if len(opts.VMs) == 1 {
				return err
			}
			fmt.Fprintln(opts.IO.ErrOut, err)
			failed++
			continue
		}
		fmt.Fprintf(opts.IO.ErrOut, "VM %s %s\n", host, done)
	}
	if failed > 0 {
		return fmt.Errorf("%s: %d of %d VMs failed", action, failed, len(opts.VMs))
	}
	return nil
}
