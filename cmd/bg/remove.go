package bg

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// RemoveOptions are the inputs of `bg remove`.
type RemoveOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)
	Now    func() time.Time

	VM, ID string
	Force  bool
	Grace  time.Duration
	Output output.Options
}

// NewCmdRemove builds `bg remove`.
func NewCmdRemove(f *cmdutil.Factory, runF func(context.Context, *RemoveOptions) error) *cobra.Command {
	opts := &RemoveOptions{}
	cmd := &cobra.Command{
		Use:     "remove <vm> <exec-id>",
		Aliases: []string{"rm"},
		Short:   "Remove a background process's record and output",
		Long: `Free a background process's ring buffer and registry entry. A running process
is refused, because removing it would leave it running with no way to reach
it: stop it first with bg kill, or pass --force to kill it (TERM, then KILL
after --grace), wait for it to exit and remove it.`,
		Example: `  slicer bg remove vm-1 ex_abc123
  slicer bg remove vm-1 ex_abc123 --force`,
		Args:              cmdutil.ExactArgs(2, "<vm> and <exec-id>"),
		ValidArgsFunction: completeExecIDs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if opts.Grace < 0 {
				return cmdutil.FlagErrorf("--grace must not be negative")
			}
			opts.VM, opts.ID = args[0], args[1]
			opts.IO = f.IOStreams
			opts.Client = f.Client
			opts.Now = f.NowFunc()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return removeRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "Kill a running process, wait for it to exit, then remove it")
	cmd.Flags().DurationVar(&opts.Grace, "grace", 5*time.Second, "With --force: send KILL this long after TERM")
	output.AddFlags(cmd, &opts.Output, output.Table, output.JSON, output.YAML)
	return cmd
}

func removeRun(ctx context.Context, opts *RemoveOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	vm, err := cmdutil.ResolveVM(ctx, c, opts.VM)
	if err != nil {
		return err
	}
	info, err := c.ExecInfo(ctx, vm, opts.ID)
	if err != nil {
		return fmt.Errorf("remove %s in VM %q: %w", opts.ID, vm, goneHint(err))
	}
	if info.Running {
		if !opts.Force {
			return fmt.Errorf("%s in VM %q is still running (pid %d): stop it with `slicer bg kill %s %s`, or pass --force to kill, wait and remove", opts.ID, vm, info.PID, opts.VM, opts.ID)
		}
		if _, err := c.ExecKill(ctx, vm, opts.ID, killOptions("TERM", opts.Grace)); err != nil {
			return fmt.Errorf("kill %s in VM %q: %w", opts.ID, vm, goneHint(err))
		}
		// TERM escalates to KILL after the grace period, so this ends.
		if _, err := waitExit(ctx, c, vm, opts.ID, opts.Grace+30*time.Second, MaxWaitPoll, opts.Now); err != nil {
			return err
		}
	}
	res, err := c.ExecDelete(ctx, vm, opts.ID)
	if err != nil {
		if cmdutil.IsAPIStatus(err, 409) {
			return fmt.Errorf("%s in VM %q is still running: stop it with `slicer bg kill` first, or pass --force: %w", opts.ID, vm, err)
		}
		return fmt.Errorf("remove %s in VM %q: %w", opts.ID, vm, goneHint(err))
	}
	return opts.Output.Print(opts.IO, output.Data{
		Value: res,
		Human: func(w io.Writer) error {
			_, err := fmt.Fprintf(w, "%s\n", execLine("exec_id", res.ExecID, "reaped", fmt.Sprint(res.Reaped)))
			return err
		},
	})
}
