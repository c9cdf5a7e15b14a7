package vm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// ReadyOptions are the options of `vm ready`.
type ReadyOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)
	Now    func() time.Time

	VM       string
	Agent    bool
	Userdata bool
	Timeout  time.Duration
	Interval time.Duration
}

// NewCmdReady returns `vm ready`.
func NewCmdReady(f *cmdutil.Factory, runF func(context.Context, *ReadyOptions) error) *cobra.Command {
	opts := &ReadyOptions{IO: f.IOStreams, Client: f.Client, Now: f.NowFunc()}
	cmd := &cobra.Command{
		Use:   "ready <vm>",
		Short: "Wait until a VM is ready",
		Long: `Poll the VM's guest agent until it answers (--agent, the default) or until
its userdata script has run (--userdata).

Exits 0 when ready and 124 when --timeout passes first.`,
		Example: `  slicer vm ready sbox-1
  slicer vm ready sbox-1 --userdata --timeout 5m`,
		Args:              cmdutil.ExactArgs(1, "VM name"),
		ValidArgsFunction: cmdutil.CompleteVMNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.VM = args[0]
			if opts.Interval <= 0 {
				return cmdutil.FlagErrorf("--interval must be positive")
			}
			if opts.Timeout < 0 {
				return cmdutil.FlagErrorf("--timeout must not be negative")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return readyRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Agent, "agent", true, "Wait for the guest agent")
	cmd.Flags().BoolVar(&opts.Userdata, "userdata", false, "Wait until userdata has finished")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 0, "Give up after this long (0: wait until interrupted)")
	cmd.Flags().DurationVar(&opts.Interval, "interval", 100*time.Millisecond, "Poll interval")
	return cmd
}

func readyRun(ctx context.Context, opts *ReadyOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	host := opts.VM
	resolved := false
	var lastErr error
	tty := opts.IO.IsStderrTTY()
	announced := false
	for {
		h, err := c.GetAgentHealth(ctx, host, opts.Userdata)
		switch {
		case err == nil:
			if !opts.Userdata || h.UserdataRan {
				if announced {
					fmt.Fprintln(opts.IO.ErrOut)
				}
				if opts.Userdata && h.UserdataExitCode != nil && *h.UserdataExitCode != 0 {
					return fmt.Errorf("VM %s: userdata finished with exit code %d (see 'slicer vm logs %s')", host, *h.UserdataExitCode, host)
				}
				what := "agent ready"
				if opts.Userdata {
					what = "userdata finished"
				}
				fmt.Fprintf(opts.IO.ErrOut, "VM %s ready (%s)\n", host, what)
				return nil
			}
			lastErr = errors.New("userdata has not finished yet")
		case cmdutil.IsNotFound(err) && !resolved:
			resolved = true
			// The agent health endpoint answers 404 for an unknown VM;
			// the argument may be a friendly name.
			if h, rerr := cmdutil.ResolveVM(ctx, c, opts.VM); rerr == nil && h != host {
				host = h
				continue
			}
			lastErr = err
		case ctx.Err() != nil:
			// handled below
		default:
			lastErr = err
		}
		if tty && !announced {
			fmt.Fprintf(opts.IO.ErrOut, "Waiting for VM %s...", host)
			announced = true
		}
		select {
		case <-ctx.Done():
			if announced {
				fmt.Fprintln(opts.IO.ErrOut)
			}
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				if lastErr != nil {
					return fmt.Errorf("VM %q not ready after %s: %w (last: %v)", opts.VM, opts.Timeout, cmdutil.ErrTimeout, lastErr)
				}
				return fmt.Errorf("VM %q not ready after %s: %w", opts.VM, opts.Timeout, cmdutil.ErrTimeout)
			}
			return ctx.Err()
		case <-time.After(opts.Interval):
		}
	}
}
