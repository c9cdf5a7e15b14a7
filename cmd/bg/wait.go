package bg

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// MaxWaitPoll is the longest single wait-exit long poll the API allows.
const MaxWaitPoll = 600 * time.Second

// WaitOptions are the inputs of `bg wait`.
type WaitOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)
	Now    func() time.Time

	VM, ID  string
	Timeout time.Duration
	// Poll caps each long poll (MaxWaitPoll; tests shorten it).
	Poll   time.Duration
	Output output.Options
}

// NewCmdWait builds `bg wait`.
func NewCmdWait(f *cmdutil.Factory, runF func(context.Context, *WaitOptions) error) *cobra.Command {
	opts := &WaitOptions{Poll: MaxWaitPoll}
	cmd := &cobra.Command{
		Use:   "wait <vm> <exec-id>",
		Short: "Wait for a background process to exit",
		Long: `Block until a background process exits, then exit with its exit status
(128+N when it was killed by signal N). With --timeout, give up after that long
and exit 124. The wait has no limit of its own: slicer repeats the daemon's
long poll (at most 10 minutes each) as often as needed.`,
		Example: `  slicer bg wait vm-1 ex_abc123
  slicer bg wait vm-1 ex_abc123 --timeout 10m || echo "failed or timed out"`,
		Args:              cmdutil.ExactArgs(2, "<vm> and <exec-id>"),
		ValidArgsFunction: completeExecIDs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if opts.Timeout < 0 {
				return cmdutil.FlagErrorf("--timeout must not be negative")
			}
			opts.VM, opts.ID = args[0], args[1]
			opts.IO = f.IOStreams
			opts.Client = f.Client
			opts.Now = f.NowFunc()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return waitRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 0, "Give up after this long and exit 124 (default: wait forever)")
	output.AddFlags(cmd, &opts.Output, output.Table, output.JSON, output.YAML)
	return cmd
}

func waitRun(ctx context.Context, opts *WaitOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	vm, err := cmdutil.ResolveVM(ctx, c, opts.VM)
	if err != nil {
		return err
	}
	res, err := waitExit(ctx, c, vm, opts.ID, opts.Timeout, opts.Poll, opts.Now)
	if err != nil {
		return err
	}
	code := exitStatus(res.ExitCode, res.Signal)
	perr := opts.Output.Print(opts.IO, output.Data{
		Value: res,
		Human: func(w io.Writer) error {
			pairs := []string{"exec_id", res.ExecID, "running", "false"}
			if res.ExitCode != nil {
				pairs = append(pairs, "exit_code", strconv.Itoa(*res.ExitCode))
			}
			if res.Signal != "" {
				pairs = append(pairs, "signal", res.Signal)
			}
			_, err := fmt.Fprintln(w, execLine(pairs...))
			return err
		},
	})
	if perr != nil {
		return perr
	}
	return statusError(code)
}

// waitExit repeats the wait-exit long poll until the process exits or
// timeout (0 = none) passes; a timeout returns an error wrapping
// cmdutil.ErrTimeout.
func waitExit(ctx context.Context, c client.Interface, vm, id string, timeout, poll time.Duration, now func() time.Time) (*client.ExecBackgroundWaitExitResponse, error) {
	if poll <= 0 || poll > MaxWaitPoll {
		poll = MaxWaitPoll
	}
	var deadline time.Time
	if timeout > 0 {
		deadline = now().Add(timeout)
	}
	for {
		d := poll
		if !deadline.IsZero() {
			left := deadline.Sub(now())
			if left <= 0 {
				return nil, fmt.Errorf("%w: %s in VM %q still running after %s", cmdutil.ErrTimeout, id, vm, timeout)
			}
			if left < d {
				d = left
			}
		}
		// The API counts whole seconds; never ask for 0 (the server's 30s).
		if d < time.Second {
			d = time.Second
		}
		res, err := c.ExecWaitExit(ctx, vm, id, d)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("wait for %s in VM %q: %w", id, vm, goneHint(err))
		}
		if !res.Running {
			return res, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}
