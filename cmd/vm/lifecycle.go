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

// LifecycleOptions are the options of pause, resume and suspend.
type LifecycleOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	VMs []string
}

type lifecycleVerb struct {
	use, short, long, example, done string
	call                            func(c client.Interface, ctx context.Context, vm string) error
}

func newLifecycleCmd(f *cmdutil.Factory, v lifecycleVerb, runF func(context.Context, *LifecycleOptions) error) *cobra.Command {
	opts := &LifecycleOptions{IO: f.IOStreams, Client: f.Client}
	return &cobra.Command{
		Use:               v.use + " <vm>...",
		Short:             v.short,
		Long:              v.long,
		Example:           v.example,
		Args:              cmdutil.MinimumArgs(1, "VM name"),
		ValidArgsFunction: cmdutil.CompleteVMNamesAt(f, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.VMs = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return lifecycleRun(cmd.Context(), opts, v)
		},
	}
}

func lifecycleRun(ctx context.Context, opts *LifecycleOptions, v lifecycleVerb) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var firstErr error
	for _, arg := range opts.VMs {
		var host string
		err := cmdutil.WithVM(ctx, c, arg, func(vm string) error {
			host = vm
			return v.call(c, ctx, vm)
		})
		if err != nil {
			err = fmt.Errorf("%s VM %q: %w", v.use, arg, err)
			if len(opts.VMs) == 1 {
				return err
			}
			fmt.Fprintln(opts.IO.ErrOut, output.EscapeControl(err.Error()))
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: some VMs failed", v.use)
			}
			continue
		}
		fmt.Fprintf(opts.IO.ErrOut, "VM %s %s\n", host, v.done)
	}
	return firstErr
}

// NewCmdPause returns `vm pause`.
func NewCmdPause(f *cmdutil.Factory, runF func(context.Context, *LifecycleOptions) error) *cobra.Command {
	return newLifecycleCmd(f, lifecycleVerb{
		use:     "pause",
		short:   "Pause VMs (stop their vCPUs, keep memory)",
		long:    "Pause VMs: their vCPUs stop and memory is kept. exec and cp are refused (409) until 'vm resume'.",
		example: "  slicer vm pause sbox-1",
		done:    "paused",
		call:    func(c client.Interface, ctx context.Context, vm string) error { return c.PauseVM(ctx, vm) },
	}, runF)
}

// NewCmdResume returns `vm resume`.
func NewCmdResume(f *cmdutil.Factory, runF func(context.Context, *LifecycleOptions) error) *cobra.Command {
	return newLifecycleCmd(f, lifecycleVerb{
		use:     "resume",
		short:   "Resume paused VMs",
		long:    "Resume VMs paused with 'vm pause'.",
		example: "  slicer vm resume sbox-1",
		done:    "resumed",
		call:    func(c client.Interface, ctx context.Context, vm string) error { return c.ResumeVM(ctx, vm) },
	}, runF)
}

// NewCmdSuspend returns `vm suspend`.
func NewCmdSuspend(f *cmdutil.Factory, runF func(context.Context, *LifecycleOptions) error) *cobra.Command {
	return newLifecycleCmd(f, lifecycleVerb{
		use:     "suspend",
		short:   "Suspend VMs to disk",
		long:    "Snapshot VMs to disk and stop them; 'vm restore' brings them back. Not every platform supports it (501).",
		example: "  slicer vm suspend sbox-1",
		done:    "suspended",
		call:    func(c client.Interface, ctx context.Context, vm string) error { return c.SuspendVM(ctx, vm) },
	}, runF)
}
