package vm

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// RestoreOptions are the options of `vm restore`.
type RestoreOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	VM      string
	Wait    bool
	Timeout time.Duration
}

// NewCmdRestore returns `vm restore`.
func NewCmdRestore(f *cmdutil.Factory, runF func(context.Context, *RestoreOptions) error) *cobra.Command {
	opts := &RestoreOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "restore <vm>",
		Short: "Restore a suspended VM",
		Long: `Restore a VM suspended with 'vm suspend'. With --wait the daemon answers
only once the guest agent is reachable again.`,
		Example: `  slicer vm restore sbox-1
  slicer vm restore sbox-1 --wait --timeout 30s`,
		Args:              cmdutil.ExactArgs(1, "VM name"),
		ValidArgsFunction: cmdutil.CompleteVMNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.VM = args[0]
			if opts.Timeout < 0 {
				return cmdutil.FlagErrorf("--timeout must not be negative")
			}
			if opts.Timeout > 0 && !opts.Wait {
				return cmdutil.FlagErrorf("--timeout needs --wait")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return restoreRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Wait, "wait", false, "Wait until the guest agent answers")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 0, "How long to wait (default the daemon's)")
	return cmd
}

func restoreRun(ctx context.Context, opts *RestoreOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var host string
	err = cmdutil.WithVM(ctx, c, opts.VM, func(vm string) error {
		host = vm
		if !opts.Wait {
			return c.RestoreVM(ctx, vm)
		}
		return c.RestoreVMWithOptions(ctx, vm, client.SlicerRestoreVMOptions{Wait: client.SlicerRestoreVMWaitAgent, Timeout: opts.Timeout})
	})
	if err != nil {
		if cmdutil.IsAPIStatus(err, http.StatusRequestTimeout) {
			return fmt.Errorf("restore VM %q: %w: %v", opts.VM, cmdutil.ErrTimeout, err)
		}
		return fmt.Errorf("restore VM %q: %w", opts.VM, err)
	}
	fmt.Fprintf(opts.IO.ErrOut, "VM %s restored\n", host)
	return nil
}
