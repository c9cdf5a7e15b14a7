package bg

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/output"
)

// ExecOptions are the inputs of `bg exec`.
type ExecOptions struct {
	IO     *iostreams.IOStreams
	Client func() (client.Interface, error)

	VM             string
	Words          []string
	Cmd            string
	Args           []string
	Shell          string
	UID, GID       uint32
	UIDSet, GIDSet bool
	Cwd            string
	Env            []string
	RingBytes      int64
	Follow         bool

	Output output.Options
}

// NewCmdExec builds `bg exec`.
func NewCmdExec(f *cmdutil.Factory, runF func(context.Context, *ExecOptions) error) *cobra.Command {
	opts := &ExecOptions{}
	var ring string
	cmd := &cobra.Command{
		Use:   "exec <vm> [--] <command>... | exec <vm> -c <binary> [-a <arg>]...",
		Short: "Start a background process in a VM",
		Long: `Start a process in a VM that keeps running after slicer exits, and print its
id as exec_id=<id>.

Three forms:
  slicer bg exec vm-1 -- npm run dev                 direct exec, one word per argument
  slicer bg exec vm-1 -c npm -a run -a dev           the same, explicit
  slicer bg exec vm-1 -s /bin/bash -- "cd /app && exec npm run dev"
                                                     through a shell

Unlike exec, bg exec runs the command directly unless --shell is given, so a
single quoted string with spaces is refused in direct mode.

--follow streams the output until the process exits and then exits with the
process's exit status.`,
		Example: `  slicer bg exec vm-1 -- python3 -m http.server 8000
  slicer bg exec vm-1 --cwd /app -c npm -a run -a dev
  slicer bg exec vm-1 --shell /bin/bash -- "make build 2>&1 | tee build.log"
  slicer bg exec vm-1 --follow -- ./run-tests.sh`,
		ValidArgsFunction: cmdutil.CompleteVMNames(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if len(args) == 0 {
				return cmdutil.FlagErrorf("missing VM\n\nUsage: %s", cmd.UseLine())
			}
			opts.VM, opts.Words = args[0], args[1:]
			opts.UIDSet = cmd.Flags().Changed("uid")
			opts.GIDSet = cmd.Flags().Changed("gid")
			if err := cmdutil.CheckCwd(opts.Cwd); err != nil {
				return err
			}
			if opts.Cmd != "" {
				if len(opts.Words) > 0 {
					return cmdutil.FlagErrorf("--cmd cannot be combined with a positional command %q", opts.Words)
				}
				if opts.Shell != "" {
					return cmdutil.FlagErrorf("--cmd cannot be combined with --shell")
				}
			} else {
				if len(opts.Args) > 0 {
					return cmdutil.FlagErrorf("--arg needs --cmd")
				}
				if len(opts.Words) == 0 {
					return cmdutil.FlagErrorf("no command given: pass it after -- or with --cmd")
				}
				if opts.Shell == "" && len(opts.Words) == 1 && strings.ContainsAny(opts.Words[0], " \t\n") {
					return cmdutil.FlagErrorf("%q is one argument with spaces, but bg exec runs commands directly: pass the words separately (-- npm run dev) or use a shell (-s /bin/bash -- %q)", opts.Words[0], opts.Words[0])
				}
			}
			if ring != "" {
				n, err := ParseSize(ring)
				if err != nil {
					return cmdutil.FlagErrorf("invalid --ring-bytes: %v", err)
				}
				opts.RingBytes = n
			}
			for _, e := range opts.Env {
				if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
					return cmdutil.FlagErrorf("invalid --env %q: use KEY=VALUE", e)
				}
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
	fl.StringVar(&opts.Cwd, "cwd", "", "Working directory")
	fl.StringArrayVar(&opts.Env, "env", nil, "Environment variable KEY=VALUE (repeatable)")
	fl.StringVarP(&opts.Shell, "shell", "s", "", "Run the command through this shell (default: run it directly)")
	fl.StringVarP(&opts.Cmd, "cmd", "c", "", "Program to run (explicit form)")
	fl.StringArrayVarP(&opts.Args, "arg", "a", nil, "Argument for --cmd (repeatable, in order)")
	fl.StringVar(&ring, "ring-bytes", "", "Output ring buffer size, e.g. 1M or 4M (default: the VM's, 1M)")
	fl.BoolVar(&opts.Follow, "follow", false, "Stream the output until the process exits, and exit with its status")
	output.AddFlags(cmd, &opts.Output, output.Table, output.JSON, output.YAML)
	return cmd
}

func (opts *ExecOptions) request() client.ExecBackgroundRequest {
	req := client.ExecBackgroundRequest{
		Env:       opts.Env,
		Cwd:       opts.Cwd,
		Shell:     opts.Shell,
		RingBytes: opts.RingBytes,
		UID:       client.NonRootUser,
		GID:       client.NonRootUser,
	}
	if opts.UIDSet {
		req.UID, req.GID = opts.UID, opts.UID
	}
	if opts.GIDSet {
		req.GID = opts.GID
	}
	switch {
	case opts.Cmd != "":
		req.Command, req.Args = opts.Cmd, opts.Args
	case opts.Shell != "":
		req.Command = opts.Words[0]
		if len(opts.Words) > 1 {
			req.Command = shellJoin(opts.Words)
		}
	default:
		req.Command, req.Args = opts.Words[0], opts.Words[1:]
	}
	return req
}

func shellJoin(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		if w != "" && strings.IndexFunc(w, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./,:@%+=", r))
		}) < 0 {
			q[i] = w
			continue
		}
		q[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

func execRun(ctx context.Context, opts *ExecOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var res *client.ExecBackgroundResponse
	var vm string
	err = cmdutil.WithVM(ctx, c, opts.VM, func(host string) error {
		vm = host
		var err error
		res, err = c.ExecBackground(ctx, host, opts.request())
		return err
	})
	if err != nil {
		return cmdutil.GuestError(fmt.Errorf("start background process in VM %q: %w", opts.VM, err), opts.VM)
	}
	line := execLine("exec_id", res.ExecID, "pid", strconv.Itoa(res.PID), "vm", vm,
		"started_at", res.StartedAt.Format(time.RFC3339), "ring_bytes", strconv.FormatInt(res.RingBytes, 10))
	if opts.Follow {
		// stdout belongs to the process's output; the id goes to stderr.
		fmt.Fprintln(opts.IO.ErrOut, line)
		return follow(ctx, c, vm, res.ExecID, 0, opts.IO)
	}
	return opts.Output.Print(opts.IO, output.Data{
		Value: res,
		Human: func(w io.Writer) error {
			_, err := fmt.Fprintln(w, line)
			return err
		},
	})
}
