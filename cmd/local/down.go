package local

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/localdaemon"
)

// DownOptions are the options of `slicer local down`.
type DownOptions struct {
	IO       *iostreams.IOStreams
	StateDir string
	Timeout  time.Duration
}

// NewCmdDown returns `slicer local down`.
func NewCmdDown(f *cmdutil.Factory, runF func(context.Context, *DownOptions) error) *cobra.Command {
	opts := &DownOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop the local daemon",
		Long: `Stop the local daemon of a state directory. Its VMs stop with it: ephemeral
VMs are removed, persistent VMs come back at the next 'slicer local up'.`,
		Example: `  slicer local down
  slicer local down --state /tmp/slicer-ci`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Timeout <= 0 {
				return cmdutil.FlagErrorf("--timeout must be positive")
			}
			var err error
			if opts.StateDir, err = absState(f, opts.StateDir); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return downRun(cmd.Context(), opts)
		},
	}
	addStateFlag(cmd, &opts.StateDir)
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", time.Minute, "how long to wait for the daemon to stop")
	return cmd
}

func downRun(ctx context.Context, opts *DownOptions) error {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	was, err := localdaemon.Stop(ctx, opts.StateDir)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w: %w", cmdutil.ErrTimeout, err)
		}
		return err
	}
	if !was {
		fmt.Fprintf(opts.IO.ErrOut, "slicer local is not running (state %s)\n", opts.StateDir)
		return nil
	}
	fmt.Fprintf(opts.IO.ErrOut, "slicer local stopped (state %s)\n", opts.StateDir)
	return nil
}
