// Package shell implements `slicer shell` (also `slicer vm shell`): an
// interactive terminal in a VM over the daemon's shell WebSocket.
package shell

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	clientshell "github.com/slicer-cli/slicer/pkg/client/shell"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// ShellOptions are the inputs of `shell`.
type ShellOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	VM             string
	UID, GID       uint32
	UIDSet, GIDSet bool
	Cwd            string
	Shell          string
	Bootstrap      string

	// Terminal overrides the terminal taken from IO (tests).
	Terminal iostreams.Terminal
	// Dial overrides clientshell.Dial (tests).
	Dial func(ctx context.Context, c client.Interface, vm string, o clientshell.Options) (Session, error)
}

// NewCmdShell builds `shell`; the same constructor serves `slicer shell`
// and `slicer vm shell`.
func NewCmdShell(f *cmdutil.Factory, runF func(context.Context, *ShellOptions) error) *cobra.Command {
	opts := &ShellOptions{}
	cmd := &cobra.Command{
		Use:   "shell <vm>",
		Short: "Open an interactive shell in a VM",
		Long: `Open an interactive shell in a VM on a pseudo-terminal. The local terminal is
put in raw mode (Ctrl-C and friends go to the VM) and restored however the
session ends; its size follows every window resize.

Press Ctrl+] to detach. slicer exits 0 when the remote shell ends (the
protocol carries no exit status) and 255 when the connection to the daemon is
lost. stdin and stdout must be a terminal: for scripts use slicer exec.`,
		Example: `  slicer shell vm-1
  slicer vm shell vm-1 --uid 0
  slicer shell vm-1 --cwd /var/log --shell /bin/sh
  slicer shell vm-1 --bootstrap "tmux attach || tmux"`,
		Args:              cmdutil.ExactArgs(1, "<vm>"),
		ValidArgsFunction: cmdutil.CompleteVMNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.VM = args[0]
			opts.UIDSet = cmd.Flags().Changed("uid")
			opts.GIDSet = cmd.Flags().Changed("gid")
			if err := cmdutil.CheckCwd(opts.Cwd); err != nil {
				return err
			}
			opts.IO = f.IOStreams
			opts.Client = f.Client
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return shellRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.Uint32Var(&opts.UID, "uid", 0, "User id (default: the VM's default user; 0 for root)")
	fl.Uint32Var(&opts.GID, "gid", 0, "Group id (default: the user's)")
	fl.StringVar(&opts.Cwd, "cwd", "", "Starting directory")
	fl.StringVar(&opts.Shell, "shell", "", "Shell to run, e.g. /bin/zsh (default: the VM's)")
	fl.StringVar(&opts.Bootstrap, "bootstrap", "", "Command typed into the shell once it is connected")
	return cmd
}

// ErrNotTerminal explains why shell refuses to run.
var ErrNotTerminal = errors.New("slicer shell needs a terminal on stdin and stdout: run it interactively, or use `slicer exec` for scripts and pipes")

// DialOptions builds the shell options for a terminal of size sz.
func DialOptions(uid, gid uint32, uidSet, gidSet bool, cwd, sh string, sz iostreams.Size) clientshell.Options {
	o := clientshell.Options{Cwd: cwd, Shell: sh, Rows: sz.Rows, Cols: sz.Cols}
	if uidSet {
		u := uid
		o.UID = &u
	}
	if gidSet {
		g := gid
		o.GID = &g
	}
	return o
}

// DialSession opens a shell session through the client.
func DialSession(ctx context.Context, c client.Interface, vm string, o clientshell.Options) (Session, error) {
	return clientshell.Dial(ctx, c, vm, o)
}

func shellRun(ctx context.Context, opts *ShellOptions) error {
	term := opts.Terminal
	if term == nil {
		t, err := opts.IO.StdinTerminal()
		if err != nil {
			return cmdutil.FlagErrorWrap(ErrNotTerminal)
		}
		term = t
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	vm, err := cmdutil.ResolveVM(ctx, c, opts.VM)
	if err != nil {
		return err
	}
	sz, _ := term.Size()
	dial := opts.Dial
	if dial == nil {
		dial = DialSession
	}
	fmt.Fprintf(opts.IO.ErrOut, "Connecting to VM: %s\n", vm)
	s, err := dial(ctx, c, vm, DialOptions(opts.UID, opts.GID, opts.UIDSet, opts.GIDSet, opts.Cwd, opts.Shell, sz))
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return cmdutil.GuestError(err, opts.VM)
	}
	defer s.Close()
	fmt.Fprintln(opts.IO.ErrOut, "Connected! Press Ctrl+] to exit.")
	bo := BridgeOptions{Term: term, In: opts.IO.In, Out: opts.IO.Out, ErrOut: opts.IO.ErrOut}
	if opts.Bootstrap != "" {
		bo.OnRaw = func() error {
			_, err := s.Write([]byte(opts.Bootstrap + "\r"))
			return err
		}
	}
	return Bridge(ctx, s, bo)
}
