package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/localdaemon"
	"github.com/slicer-cli/slicer/pkg/localdaemon/sandbox"
)

// UpOptions are the options of `slicer local up`.
type UpOptions struct {
	IO *iostreams.IOStreams

	StateDir   string
	Listen     string
	ConfigFile string
	Detach     bool
	// Version is the slicer binary's version, which the daemon reports.
	Version string

	// executable and checkBwrap are replaced in tests.
	executable func() (string, error)
	checkBwrap func() error
}

// NewCmdUp returns `slicer local up`.
func NewCmdUp(f *cmdutil.Factory, runF func(context.Context, *UpOptions) error) *cobra.Command {
	opts := &UpOptions{IO: f.IOStreams, Version: f.AppVersion, executable: os.Executable, checkBwrap: sandbox.CheckBwrap}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start the local daemon",
		Long: `Start the local daemon. It runs in the foreground until interrupted, or in the
background with -d (its log then goes to <state>/daemon.log).

Host groups come from --config, a YAML file such as:

  host_groups:
    - name: vm        # VMs are named vm-1, vm-2, ...
      cpus: 2         # default and maximum per VM
      ram_gb: 4
      count: 0        # VMs declared here are created at start and protected

Without --config there is one group "vm" with 2 vCPUs and 4 GiB.`,
		Example: `  slicer local up
  slicer local up -d --listen 127.0.0.1:8080
  slicer local up --state /tmp/slicer-ci --config groups.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Listen != "" {
				if _, _, err := net.SplitHostPort(opts.Listen); err != nil {
					return cmdutil.FlagErrorf("invalid --listen %q: want HOST:PORT, e.g. 127.0.0.1:8080", opts.Listen)
				}
			}
			var err error
			if opts.StateDir, err = absState(f, opts.StateDir); err != nil {
				return err
			}
			if opts.ConfigFile != "" {
				if opts.ConfigFile, err = filepath.Abs(opts.ConfigFile); err != nil {
					return err
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return upRun(cmd.Context(), opts)
		},
	}
	addStateFlag(cmd, &opts.StateDir)
	cmd.Flags().StringVar(&opts.Listen, "listen", "", "also listen on TCP `HOST:PORT` (requires the token in <state>/token)")
	cmd.Flags().StringVar(&opts.ConfigFile, "config", "", "host groups YAML `file`")
	cmd.Flags().BoolVarP(&opts.Detach, "detach", "d", false, "run in the background")
	_ = cmd.MarkFlagFilename("config", "yaml", "yml")
	return cmd
}

func upRun(ctx context.Context, opts *UpOptions) error {
	if err := opts.checkBwrap(); err != nil {
		return err
	}
	cfg, err := localdaemon.LoadConfig(opts.ConfigFile)
	if err != nil {
		return err
	}
	st, err := localdaemon.ReadStatus(opts.StateDir)
	if err != nil {
		return err
	}
	if st.Running {
		return fmt.Errorf("slicer local is already running for %s (pid %d); stop it with `slicer local down --state %s`", st.StateDir, st.PID, st.StateDir)
	}
	if opts.Detach {
		return upDetached(ctx, opts)
	}
	d, err := localdaemon.Start(localdaemon.Options{StateDir: opts.StateDir, Listen: opts.Listen, Config: cfg, Log: opts.IO.ErrOut, Version: opts.Version})
	if err != nil {
		return err
	}
	printEndpoints(opts.IO, localdaemon.Status{StateDir: d.StateDir(), Socket: d.SocketPath(), TCPAddr: d.TCPAddr()})
	<-ctx.Done()
	fmt.Fprintln(opts.IO.ErrOut, "slicer local: stopping")
	return d.Close()
}

func printEndpoints(io *iostreams.IOStreams, st localdaemon.Status) {
	fmt.Fprintf(io.ErrOut, "slicer local: listening on unix socket %s (no token)\n", st.Socket)
	if st.TCPAddr != "" {
		fmt.Fprintf(io.ErrOut, "slicer local: listening on http://%s (bearer token in %s)\n", st.TCPAddr, filepath.Join(st.StateDir, localdaemon.TokenName))
	}
	fmt.Fprintf(io.ErrOut, "slicer local: state in %s\n", st.StateDir)
}

// upDetached starts `slicer local up` again in a new session with its output
// in <state>/daemon.log, and waits until it serves.
func upDetached(ctx context.Context, opts *UpOptions) error {
	exe, err := opts.executable()
	if err != nil {
		return fmt.Errorf("find the slicer executable: %w", err)
	}
	if err := os.MkdirAll(opts.StateDir, 0o700); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}
	logPath := filepath.Join(opts.StateDir, "daemon.log")
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open daemon log: %w", err)
	}
	defer logf.Close()
	args := []string{"local", "up", "--state", opts.StateDir}
	if opts.Listen != "" {
		args = append(args, "--listen", opts.Listen)
	}
	if opts.ConfigFile != "" {
		args = append(args, "--config", opts.ConfigFile)
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer devnull.Close()
	cmd := exec.Command(exe, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, logf, logf
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start daemon: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("the daemon exited during start (%v); its log %s says:\n%s", err, logPath, tail(logPath, 10))
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGTERM)
			return ctx.Err()
		case <-deadline.C:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			return fmt.Errorf("the daemon did not answer within 60s; see %s", logPath)
		case <-tick.C:
			st, err := localdaemon.ReadStatus(opts.StateDir)
			if err != nil || !st.Running || st.PID != cmd.Process.Pid || !answers(st.Socket) {
				continue
			}
			_ = cmd.Process.Release()
			printEndpoints(opts.IO, st)
			fmt.Fprintf(opts.IO.ErrOut, "slicer local: running in the background (pid %d); log in %s\n", st.PID, logPath)
			return nil
		}
	}
}

// answers reports whether a daemon answers GET /healthz on the socket.
func answers(socket string) bool {
	c := &http.Client{
		Timeout: 2 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		}},
	}
	defer c.CloseIdleConnections()
	resp, err := c.Get("http://localhost/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + errors.Unwrap(err).Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
