package bg

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// LogsOptions are the inputs of `bg logs`.
type LogsOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	VM, ID string
	Follow bool
	FromID uint64
}

// NewCmdLogs builds `bg logs`.
func NewCmdLogs(f *cmdutil.Factory, runF func(context.Context, *LogsOptions) error) *cobra.Command {
	opts := &LogsOptions{}
	cmd := &cobra.Command{
		Use:   "logs <vm> <exec-id>",
		Short: "Print the output of a background process",
		Long: `Replay the output a background process has in its ring buffer: stdout to
stdout, stderr to stderr. --follow keeps streaming until the process exits and
then exits with the process's exit status. --from-id N starts at frame N (the
"next_id" of bg info is the next frame to be written). When the ring buffer
evicted output before it was read, a note on stderr says how much was lost.`,
		Example: `  slicer bg logs vm-1 ex_abc123
  slicer bg logs vm-1 ex_abc123 --follow
  slicer bg logs vm-1 ex_abc123 --follow --from-id 42`,
		Args:              cmdutil.ExactArgs(2, "<vm> and <exec-id>"),
		ValidArgsFunction: completeExecIDs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.VM, opts.ID = args[0], args[1]
			opts.IO = f.IOStreams
			opts.Client = f.Client
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return logsRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Follow, "follow", "f", false, "Keep streaming until the process exits; exit with its status")
	cmd.Flags().Uint64Var(&opts.FromID, "from-id", 0, "Start at this frame id (default: the oldest frame still kept)")
	return cmd
}

func logsRun(ctx context.Context, opts *LogsOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	vm, err := cmdutil.ResolveVM(ctx, c, opts.VM)
	if err != nil {
		return err
	}
	if opts.Follow {
		return follow(ctx, c, vm, opts.ID, opts.FromID, opts.IO)
	}
	frames, err := c.ExecLogs(ctx, vm, opts.ID, client.LogOptions{FromID: opts.FromID})
	if err != nil {
		return fmt.Errorf("read logs of %s in VM %q: %w", opts.ID, vm, err)
	}
	defer drain(frames)
	for f := range frames {
		if _, err := writeFrame(f, opts.IO.Out, opts.IO.ErrOut); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func drain(ch <-chan client.SlicerExecWriteResult) {
	go func() {
		for range ch {
		}
	}()
}

// maxResumes bounds how often a follow reconnects after its stream broke
// while the process was still running.
const maxResumes = 5

// follow streams the process's output from fromID until it exits and
// returns its exit status as the command's error. A stream that breaks
// while the process is still running is resumed after the last frame seen
// (the ring keeps the output in between); the process's status comes from
// wait-exit when the stream ends without an exit frame.
func follow(ctx context.Context, c client.Interface, vm, id string, fromID uint64, io *iostreams.IOStreams) error {
	next := fromID
	for attempt := 0; ; attempt++ {
		frames, err := c.ExecLogs(ctx, vm, id, client.LogOptions{Follow: true, FromID: next})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("follow logs of %s in VM %q: %w", id, vm, err)
		}
		for f := range frames {
			if f.ID > 0 {
				next = f.ID + 1
			}
			exit, err := writeFrame(f, io.Out, io.ErrOut)
			if err != nil {
				drain(frames)
				return err
			}
			if exit {
				drain(frames)
				code := f.ExitCode
				return statusError(exitStatus(&code, f.Signal))
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// No exit frame: ask the agent how the process is doing.
		info, err := c.ExecInfo(ctx, vm, id)
		if err != nil {
			return fmt.Errorf("%w: follow logs of %s in VM %q: %v", cmdutil.ErrConnectionLost, id, vm, err)
		}
		if !info.Running {
			return statusError(exitStatus(info.ExitCode, info.Signal))
		}
		if attempt >= maxResumes {
			return fmt.Errorf("%w: the log stream of %s in VM %q kept ending while the process runs", cmdutil.ErrConnectionLost, id, vm)
		}
	}
}

func statusError(code int) error {
	if code == 0 {
		return nil
	}
	return cmdutil.ExitCodeError{Code: code}
}
