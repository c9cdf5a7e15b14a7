package bg

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// Signals are the signal names the kill API accepts.
var Signals = []string{"TERM", "KILL", "INT", "HUP", "QUIT", "USR1", "USR2"}

// KillOptions are the inputs of `bg kill`.
type KillOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	VM, ID string
	Signal string
	Grace  time.Duration
	Output output.Options
}

// NewCmdKill builds `bg kill`.
func NewCmdKill(f *cmdutil.Factory, runF func(context.Context, *KillOptions) error) *cobra.Command {
	opts := &KillOptions{}
	cmd := &cobra.Command{
		Use:   "kill <vm> <exec-id>",
		Short: "Send a signal to a background process",
		Long: `Signal a background process's process group. With TERM (the default) the VM
sends KILL if the process is still running after --grace. Killing a process
that already exited does nothing.`,
		Example: `  slicer bg kill vm-1 ex_abc123
  slicer bg kill vm-1 ex_abc123 --signal INT
  slicer bg kill vm-1 ex_abc123 --grace 30s`,
		Args:              cmdutil.ExactArgs(2, "<vm> and <exec-id>"),
		ValidArgsFunction: completeExecIDs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			sig := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(opts.Signal)), "SIG")
			if !slices.Contains(Signals, sig) {
				return cmdutil.FlagErrorf("invalid --signal %q: use one of %s", opts.Signal, strings.Join(Signals, ", "))
			}
			opts.Signal = sig
			if opts.Grace < 0 {
				return cmdutil.FlagErrorf("--grace must not be negative")
			}
			if cmd.Flags().Changed("grace") && sig != "TERM" {
				return cmdutil.FlagErrorf("--grace applies to --signal TERM only")
			}
			opts.VM, opts.ID = args[0], args[1]
			opts.IO = f.IOStreams
			opts.Client = f.Client
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return killRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Signal, "signal", "TERM", "Signal: "+strings.Join(Signals, "|"))
	cmd.Flags().DurationVar(&opts.Grace, "grace", 0, "With TERM: send KILL after this long (default: the VM's, 5s)")
	_ = cmd.RegisterFlagCompletionFunc("signal", cmdutil.CompleteEnum(Signals...))
	output.AddFlags(cmd, &opts.Output, output.Table, output.JSON, output.YAML)
	return cmd
}

func killOptions(signal string, grace time.Duration) client.KillOptions {
	ko := client.KillOptions{GraceMs: int(grace / time.Millisecond)}
	if signal != "TERM" {
		ko.Signal = signal
	} else if grace > 0 {
		ko.Signal = signal
	}
	return ko
}

func killRun(ctx context.Context, opts *KillOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var res *client.ExecBackgroundKillResponse
	err = cmdutil.WithVM(ctx, c, opts.VM, func(vm string) error {
		var err error
		res, err = c.ExecKill(ctx, vm, opts.ID, killOptions(opts.Signal, opts.Grace))
		return err
	})
	if err != nil {
		return fmt.Errorf("kill %s in VM %q: %w", opts.ID, opts.VM, goneHint(err))
	}
	return opts.Output.Print(opts.IO, output.Data{
		Value: res,
		Human: func(w io.Writer) error {
			_, err := fmt.Fprintln(w, execLine("exec_id", res.ExecID, "pid", strconv.Itoa(res.PID),
				"signal_sent", res.SignalSent, "running", strconv.FormatBool(res.Running)))
			return err
		},
	})
}
