// Package exec implements `slicer exec` (also `slicer vm exec`): run a
// command inside one VM, streaming its output, or on many VMs at once.
package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	shellcmd "github.com/slicer-cli/slicer/cmd/shell"
	"github.com/slicer-cli/slicer/pkg/client"
	clientshell "github.com/slicer-cli/slicer/pkg/client/shell"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// ExecOptions are the inputs of `slicer exec`.
type ExecOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	VM      string   // the one VM (positional form)
	VMs     []string // --vm, repeatable
	Tag     string
	All     bool
	Command []string

	UID, GID       uint32
	UIDSet, GIDSet bool
	Cwd            string
	Env            []string
	Shell          string
	TTY            bool
	Parallel       int

	Output output.Options

	// Terminal is the local terminal for -t (nil: taken from IO).
	Terminal iostreams.Terminal
	// dial opens the -t session (tests replace it).
	dial func(ctx context.Context, c client.Interface, vm string, o clientshell.Options) (shellcmd.Session, error)
}

// NewCmdExec builds `exec`; the same constructor serves `slicer exec` and
// `slicer vm exec`.
func NewCmdExec(f *cmdutil.Factory, runF func(context.Context, *ExecOptions) error) *cobra.Command {
	opts := &ExecOptions{}
	cmd := &cobra.Command{
		Use:   "exec <vm> [--] <command>...",
		Short: "Run a command in a VM",
		Long: `Run a command inside a VM and stream its output: the remote stdout goes to
stdout and the remote stderr to stderr, byte for byte. Piped stdin reaches the
command and its end closes the command's stdin. The exit status of the remote
command is the exit status of slicer.

Commands run under --shell (default /bin/bash). A single argument is the
script, sent verbatim, so pipes and && work inside one quoted string; several
arguments are each shell-quoted and joined, so -- bash -c "a && b" arrives as
three words. --shell "" runs the arguments directly, without a shell.

Use -- before a command that has its own flags. Without --uid the VM's default
(non-root) user runs the command; --uid 0 runs it as root.

Fan-out: --vm (repeatable), --tag KEY=VALUE or --all run the command on every
matching VM in parallel (--parallel N), each output line prefixed "[vm] "
(-o json prints one JSON object per line instead). The exit status is the
largest one of the VMs, so it is non-zero if any failed; stdin is not sent.

-t runs the command on a pseudo-terminal (for TUIs and REPLs): stdin and stdout
must be terminals.

Exit status: the remote command's own (128+N when it was killed by signal N),
1 for an API error, 2 for a usage error, 130 after Ctrl-C (the remote command
is stopped), 255 when the connection to the daemon was lost before the exit
status arrived.`,
		Example: `  slicer exec vm-1 -- uname -a
  slicer vm exec vm-1 -- "ps aux | grep nginx"
  cat script.sh | slicer exec vm-1 -- bash
  slicer exec vm-1 -- "cat > /tmp/file" < ./file
  slicer exec --uid 0 vm-1 -- apt-get update
  slicer exec --shell "" vm-1 -- /bin/bash -n /path/script.sh
  slicer exec --tag role=web -- systemctl is-active nginx
  slicer exec -t vm-1 -- htop`,
		ValidArgsFunction: cmdutil.CompleteVMNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			fanOut := len(opts.VMs) > 0 || opts.Tag != "" || opts.All
			if err := cmdutil.MutuallyExclusive("--vm, --tag and --all cannot be combined", len(opts.VMs) > 0, opts.Tag != "", opts.All); err != nil {
				return err
			}
			if fanOut {
				if cmd.ArgsLenAtDash() > 0 {
					return cmdutil.FlagErrorf("with --vm, --tag or --all the VMs come from the flags: give no VM argument, only the command after -- (got %q before --)", args[:cmd.ArgsLenAtDash()])
				}
				opts.Command = args
			} else {
				if len(args) == 0 {
					return cmdutil.FlagErrorf("missing VM and command\n\nUsage: %s", cmd.UseLine())
				}
				opts.VM, opts.Command = args[0], args[1:]
			}
			if len(opts.Command) == 0 {
				return cmdutil.FlagErrorf("no command given: to open an interactive shell use `slicer shell %s`", opts.VM)
			}
			if opts.Parallel < 1 {
				return cmdutil.FlagErrorf("--parallel must be at least 1")
			}
			opts.UIDSet = cmd.Flags().Changed("uid")
			opts.GIDSet = cmd.Flags().Changed("gid")
			if err := cmdutil.CheckCwd(opts.Cwd); err != nil {
				return err
			}
			for _, e := range opts.Env {
				if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
					return cmdutil.FlagErrorf("invalid --env %q: use KEY=VALUE", e)
				}
			}
			if opts.TTY {
				if fanOut {
					return cmdutil.FlagErrorf("-t cannot be used with --vm, --tag or --all")
				}
				if opts.Output.Format == output.JSON {
					return cmdutil.FlagErrorf("-t cannot be used with -o json")
				}
			}
			if opts.Output.Format != output.Table && opts.Output.Format != output.JSON {
				return cmdutil.FlagErrorf("exec supports -o json only")
			}
			opts.IO = f.IOStreams
			opts.Client = f.Client
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return execRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.Uint32Var(&opts.UID, "uid", 0, "User id to run as (default: the VM's default user; 0 for root)")
	fl.Uint32Var(&opts.GID, "gid", 0, "Group id to run as (default: matches --uid)")
	fl.StringVar(&opts.Cwd, "cwd", "", "Working directory (~ and ~/path work)")
	fl.StringArrayVar(&opts.Env, "env", nil, "Environment variable KEY=VALUE (repeatable)")
	fl.StringVar(&opts.Shell, "shell", DefaultShell, `Interpreter for the command; "" runs it directly`)
	fl.BoolVarP(&opts.TTY, "tty", "t", false, "Run the command on a pseudo-terminal (stdin and stdout must be terminals)")
	fl.StringArrayVar(&opts.VMs, "vm", nil, "Run on this VM (repeatable; fan-out)")
	fl.StringVar(&opts.Tag, "tag", "", "Run on every VM with tag KEY=VALUE (fan-out)")
	fl.BoolVar(&opts.All, "all", false, "Run on every VM (fan-out)")
	fl.IntVar(&opts.Parallel, "parallel", 10, "How many VMs to run on at once in fan-out")
	output.AddFlags(cmd, &opts.Output, output.Table, output.JSON)
	_ = cmd.RegisterFlagCompletionFunc("vm", cmdutil.CompleteVMNamesAt(f, -1))
	return cmd
}

func (opts *ExecOptions) request() client.SlicerExecRequest {
	req := client.SlicerExecRequest{
		Env:   opts.Env,
		Cwd:   opts.Cwd,
		Shell: opts.Shell,
		Stdio: client.ExecStdioBase64,
		UID:   client.NonRootUser,
		GID:   client.NonRootUser,
	}
	if opts.UIDSet {
		req.UID = opts.UID
		req.GID = opts.UID
	}
	if opts.GIDSet {
		req.GID = opts.GID
	}
	req.Command, req.Args = BuildCommand(opts.Command, opts.Shell)
	return req
}

func execRun(ctx context.Context, opts *ExecOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	if len(opts.VMs) > 0 || opts.Tag != "" || opts.All {
		return fanOutRun(ctx, c, opts)
	}
	vm, err := cmdutil.ResolveVM(ctx, c, opts.VM)
	if err != nil {
		return err
	}
	if opts.TTY {
		return ttyRun(ctx, c, vm, opts)
	}
	var stdin io.Reader
	if !opts.IO.IsStdinTTY() && opts.IO.In != nil {
		stdin = opts.IO.In
	}
	var stdout, stderr io.Writer = opts.IO.Out, opts.IO.ErrOut
	var jl *jsonLines
	if opts.Output.Format == output.JSON {
		jl = newJSONLines(opts.IO.Out, vm, opts.Output)
		stdout, stderr = jl.stream("stdout"), jl.stream("stderr")
	}
	res, err := Stream(ctx, c, vm, opts.request(), stdin, stdout, stderr)
	if jl != nil {
		jl.finish(res, err)
	}
	return cmdutil.GuestError(resultError(opts.IO.ErrOut, vm, res, err), opts.VM)
}

// Result is how a remote command ended.
type Result struct {
	ExitCode int
	Signal   string
	Error    string // the agent's message when the command could not start
}

// Code is the exit status slicer reports for the result: the command's own
// code, or 128+N for a death by signal N.
func (r Result) Code() int {
	if r.Signal != "" && r.ExitCode <= 0 {
		if n := signalNumber(r.Signal); n > 0 {
			return 128 + n
		}
		return 1
	}
	if r.ExitCode < 0 || r.ExitCode > 255 {
		return 1
	}
	if r.ExitCode == 0 && r.Error != "" {
		return 1
	}
	return r.ExitCode
}

// Stream runs one command and copies its output frames to stdout and stderr
// as they arrive. It returns how the command ended; an error wrapping
// cmdutil.ErrConnectionLost when the stream ended without an exit status,
// or the context's error when ctx was cancelled (the request is dropped,
// which stops the remote command).
func Stream(ctx context.Context, c client.Interface, vm string, req client.SlicerExecRequest, stdin io.Reader, stdout, stderr io.Writer) (Result, error) {
	if stdin != nil {
		req.Stdin = true
	}
	// ExecTo hands every frame over in this goroutine with its output
	// decoded into reused buffers: no channel handoff or copy per frame
	// (bench/: exec output).
	typed, seen, done := false, false, false
	var res Result
	var werr error
	err := c.ExecTo(ctx, vm, req, stdin, func(f *client.SlicerExecWriteResult, o client.ExecOutput) bool {
		seen = true
		if f.Type != "" {
			typed = true
		}
		out, errOut := frameOutput(f, o)
		if len(out) > 0 {
			if _, werr = stdout.Write(out); werr != nil {
				return false
			}
		}
		if len(errOut) > 0 {
			if _, werr = stderr.Write(errOut); werr != nil {
				return false
			}
		}
		res = Result{ExitCode: f.ExitCode, Signal: f.Signal, Error: f.Error}
		// The exit frame, or a start failure / legacy final frame.
		done = f.Type == "exit" || f.Error != "" || f.ExitCode != 0
		return !done
	})
	switch {
	case werr != nil:
		return Result{}, fmt.Errorf("write output: %w", werr)
	case err == nil && done:
		return res, nil
	case ctx.Err() != nil:
		return Result{}, ctx.Err()
	case errors.Is(err, client.ErrExecStream):
		return Result{}, fmt.Errorf("%w before the exit status arrived (VM %q): %v", cmdutil.ErrConnectionLost, vm, err)
	case err != nil:
		return Result{}, fmt.Errorf("run command in VM %q: %w", vm, err)
	case seen && !typed:
		// A legacy agent: the last frame carries the final status.
		return res, nil
	}
	return Result{}, fmt.Errorf("%w before the exit status arrived (VM %q)", cmdutil.ErrConnectionLost, vm)
}

// frameOutput picks a frame's stdout and stderr bytes (PROTOCOL.md §8.2):
// typed frames carry their stream's output in stdout/stderr or else data;
// untyped (legacy) frames in stdout and stderr.
func frameOutput(f *client.SlicerExecWriteResult, o client.ExecOutput) (stdout, stderr []byte) {
	switch f.Type {
	case "stdout":
		if stdout = o.Stdout; len(stdout) == 0 {
			stdout = o.Data
		}
	case "stderr":
		if stderr = o.Stderr; len(stderr) == 0 {
			stderr = o.Data
		}
	case "", "exit":
		stdout, stderr = o.Stdout, o.Stderr
	}
	return stdout, stderr
}

// resultError turns a finished command into the command's error: nil for
// success, an ExitCodeError carrying the remote status otherwise. A start
// failure reported by the agent (command not found...) is written to errOut
// first, since an ExitCodeError prints nothing.
func resultError(errOut io.Writer, vm string, res Result, err error) error {
	if err != nil {
		return err
	}
	if res.Error != "" {
		fmt.Fprintf(errOut, "slicer: VM %s: %s\n", vm, res.Error)
	}
	if code := res.Code(); code != 0 {
		return cmdutil.ExitCodeError{Code: code}
	}
	return nil
}

var signalNumbers = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT, "ILL": syscall.SIGILL,
	"TRAP": syscall.SIGTRAP, "ABRT": syscall.SIGABRT, "BUS": syscall.SIGBUS, "FPE": syscall.SIGFPE,
	"KILL": syscall.SIGKILL, "USR1": syscall.SIGUSR1, "SEGV": syscall.SIGSEGV, "USR2": syscall.SIGUSR2,
	"PIPE": syscall.SIGPIPE, "ALRM": syscall.SIGALRM, "TERM": syscall.SIGTERM,
}

// signalNumber maps "KILL", "SIGKILL", "killed" (Go's wording) or "9" to 9.
func signalNumber(name string) int {
	n := strings.ToUpper(strings.TrimSpace(name))
	n = strings.TrimPrefix(n, "SIG")
	if s, ok := signalNumbers[n]; ok {
		return int(s)
	}
	var num int
	if _, err := fmt.Sscanf(n, "%d", &num); err == nil && num > 0 && num < 128 {
		return num
	}
	for i := syscall.Signal(1); i < 32; i++ {
		if strings.EqualFold(i.String(), name) {
			return int(i)
		}
	}
	return 0
}
