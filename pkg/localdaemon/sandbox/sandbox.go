package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Config describes one VM sandbox.
type Config struct {
	Root       string    // VM root dir on the host (becomes / inside)
	Hostname   string    // the VM's hostname
	SecretsDir string    // host dir bind-mounted read-only at /run/slicer/secrets ("" = none)
	Log        io.Writer // VM console log (the agent's own messages); nil discards

	// Resource limits, enforced with cgroups when the host allows it (see
	// doc.go); zero means no limit. A limit that cannot be set is said once
	// on Log and does not fail Start.
	MemoryBytes int64 // memory (no swap on top)
	CPUs        int   // CPU bandwidth, in whole CPUs
	MaxProcs    int   // processes and threads at once
}

// Paths inside the VM.
const (
	agentPath   = "/run/slicer/agent"
	secretsPath = "/run/slicer/secrets"

	agentEnv = "SLICER_LOCAL_AGENT"
	// agentEnvValue names the inherited control socket's descriptor.
	agentEnvValue = "control-fd=3"
)

// ErrStopped is returned by operations on a sandbox that was stopped or whose
// processes are gone.
var ErrStopped = errors.New("sandbox is not running")

// Sandbox is one running VM.
type Sandbox struct {
	cfg     Config
	cmd     *exec.Cmd
	control *conn
	initPid int // host pid of the sandbox's pid 1
	// initStart is initPid's start time (/proc stat field 22), to tell it
	// from a later process that reuses the pid.
	initStart uint64
	started   time.Time

	done    chan struct{} // closed when bwrap has exited
	waitErr error         // bwrap's exit, valid after done

	mu       sync.Mutex
	stopping bool
	paused   bool
	freezer  *freezer // nil when no cgroup freezer is usable
	limits   *limitCgroups

	statsMu   sync.Mutex
	lastStats statsSample
}

// CheckBwrap reports whether bubblewrap is installed, with an install hint
// when it is not.
func CheckBwrap() error {
	path, err := exec.LookPath("bwrap")
	if err != nil {
		return errors.New("bubblewrap (bwrap) is not installed or not in PATH; slicer local runs each VM in a bwrap sandbox. " +
			"Install it with `apt-get install bubblewrap` (Debian/Ubuntu), `dnf install bubblewrap` (Fedora/RHEL), " +
			"`apk add bubblewrap` (Alpine), `pacman -S bubblewrap` (Arch) or `zypper install bubblewrap` (openSUSE)")
	}
	out, err := exec.Command(path, "--version").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s --version failed: %v: %s; reinstall bubblewrap (e.g. `apt-get install --reinstall bubblewrap`)",
			path, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Start prepares cfg.Root and starts the sandbox and its agent. It returns
// once the agent answers, or with an error (and nothing left running) when it
// does not.
func Start(ctx context.Context, cfg Config) (*Sandbox, error) {
	if err := CheckBwrap(); err != nil {
		return nil, err
	}
	if cfg.Root == "" || !filepath.IsAbs(cfg.Root) {
		return nil, fmt.Errorf("sandbox root %q must be an absolute path", cfg.Root)
	}
	if err := validHostname(cfg.Hostname); err != nil {
		return nil, err
	}
	if cfg.MemoryBytes < 0 || cfg.CPUs < 0 || cfg.MaxProcs < 0 {
		return nil, fmt.Errorf("invalid sandbox limits (memory %d bytes, %d CPUs, %d processes): use 0 for no limit or a positive number",
			cfg.MemoryBytes, cfg.CPUs, cfg.MaxProcs)
	}
	if cfg.SecretsDir != "" {
		st, err := os.Stat(cfg.SecretsDir)
		if err != nil {
			return nil, fmt.Errorf("secrets dir: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("secrets dir %s is not a directory", cfg.SecretsDir)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable for the in-VM agent: %w", err)
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return nil, fmt.Errorf("find own executable for the in-VM agent: %w", err)
	}
	if err := prepareRoot(cfg.Root, cfg.Hostname, cfg.SecretsDir != ""); err != nil {
		return nil, fmt.Errorf("prepare VM root %s: %w", cfg.Root, err)
	}
	log := cfg.Log
	if log == nil {
		log = io.Discard
	}

	hostEnd, agentEnd, err := socketPair()
	if err != nil {
		return nil, err
	}
	infoR, infoW, err := os.Pipe()
	if err != nil {
		hostEnd.Close()
		agentEnd.Close()
		return nil, err
	}

	args := bwrapArgs(cfg, exe)
	cmd := exec.Command("bwrap", args...)
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.Dir = "/"
	cmd.Stdin = nil
	var early bytes.Buffer // bwrap's own complaints, for the error message
	out := &limitedTee{w: log, buf: &early, max: 4096}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.ExtraFiles = []*os.File{agentEnd, infoW} // fd 3, fd 4
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		hostEnd.Close()
		agentEnd.Close()
		infoR.Close()
		infoW.Close()
		return nil, fmt.Errorf("start bwrap: %w", err)
	}
	agentEnd.Close()
	infoW.Close()

	s := &Sandbox{cfg: cfg, cmd: cmd, started: time.Now(), done: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()

	fail := func(err error) (*Sandbox, error) {
		hostEnd.Close()
		infoR.Close()
		_ = cmd.Process.Kill()
		<-s.done
		if msg := strings.TrimSpace(out.String()); msg != "" {
			err = fmt.Errorf("%w (bwrap: %s)", err, msg)
		}
		return nil, err
	}

	// bwrap writes {"child-pid": N} on --info-fd once the sandbox exists.
	infoCh := make(chan error, 1)
	go func() {
		var info struct {
			ChildPid int `json:"child-pid"`
		}
		err := json.NewDecoder(infoR).Decode(&info)
		if err == nil && info.ChildPid <= 0 {
			err = errors.New("no child-pid")
		}
		s.initPid = info.ChildPid
		infoCh <- err
	}()
	select {
	case err := <-infoCh:
		if err != nil {
			return fail(fmt.Errorf("start sandbox: bwrap did not report the sandbox pid: %v", err))
		}
	case <-s.done:
		<-infoCh
		return fail(fmt.Errorf("start sandbox: bwrap exited: %v", s.waitErr))
	case <-ctx.Done():
		infoR.Close()
		<-infoCh
		return fail(fmt.Errorf("start sandbox: %w", ctx.Err()))
	}
	infoR.Close()
	if p, err := readProc(s.initPid); err == nil {
		s.initStart = p.startTicks
	}

	s.control, err = newConn(hostEnd)
	if err != nil {
		return fail(err)
	}
	// Wait for the agent.
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.ping(pctx); err != nil {
		s.control.Close()
		return fail(fmt.Errorf("start sandbox: in-VM agent did not answer: %w", err))
	}
	// Only bwrap's init and the idle agent exist now, so moving them into a
	// freezer cgroup is race-free: everything started later inherits it.
	pids := s.treePids()
	name := cgroupName(cfg.Hostname, cfg.Root)
	s.freezer = newFreezer(name, pids)
	s.limits = applyLimits(cfg, name, s.freezer, pids, log)
	return s, nil
}

func bwrapArgs(cfg Config, exe string) []string {
	a := []string{
		"--bind", cfg.Root, "/",
		"--ro-bind", "/usr", "/usr",
	}
	for _, name := range usrLinks {
		p := "/" + name
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode()&os.ModeSymlink != 0 {
			continue // made a symlink in the root by prepareRoot
		}
		if fi.IsDir() {
			a = append(a, "--ro-bind", p, p)
		}
	}
	a = append(a,
		"--proc", "/proc",
		// bwrap means to cover /proc/sys read-only but skips it: its
		// access(W_OK) probe gets EACCES from the sysctl root directory
		// even for root. Root in the VM is uid 0 on the host, and sysctl
		// writes are checked against the file mode, not capabilities, so
		// without this VM root could set host-wide sysctls such as
		// kernel.core_pattern or kernel.modprobe (a host escape).
		"--ro-bind", "/proc/sys", "/proc/sys",
		"--dev", "/dev",
		// Not --unshare-all: as root that would also try a user namespace,
		// mapping only uid 0 (see doc.go for the unprivileged case).
		"--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
		"--hostname", cfg.Hostname,
		"--new-session",
		"--die-with-parent",
		"--info-fd", "4",
		"--ro-bind", exe, agentPath,
	)
	if cfg.SecretsDir != "" {
		a = append(a, "--ro-bind", cfg.SecretsDir, secretsPath)
	}
	if os.Geteuid() != 0 {
		// An identity map of the daemon's own uid/gid. (bwrap's --uid 0
		// nests a second namespace in which the agent can no longer map
		// ids for its children.)
		a = append(a, "--unshare-user")
	}
	a = append(a, "--cap-drop", "ALL")
	for _, c := range agentCaps {
		a = append(a, "--cap-add", c)
	}
	a = append(a,
		"--clearenv",
		"--setenv", agentEnv, agentEnvValue,
		"--setenv", "PATH", defaultPath,
		"--chdir", "/",
		agentPath,
	)
	return a
}

// agentCaps are the only capabilities the agent starts with; see doc.go.
var agentCaps = []string{"CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN", "CAP_SETPCAP"}

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func validHostname(h string) error {
	if h == "" || len(h) > 63 {
		return fmt.Errorf("invalid VM hostname %q: use 1-63 letters, digits and '-'", h)
	}
	for i, r := range h {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || (r == '-' && i > 0 && i < len(h)-1)
		if !ok {
			return fmt.Errorf("invalid VM hostname %q: use 1-63 letters, digits and '-'", h)
		}
	}
	return nil
}

// Done is closed when the sandbox has ended, by Stop or because its agent
// died.
func (s *Sandbox) Done() <-chan struct{} { return s.done }

// Started is when the sandbox started.
func (s *Sandbox) Started() time.Time { return s.started }

// Paused reports whether the sandbox is paused.
func (s *Sandbox) Paused() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paused
}

// Stop kills every process in the sandbox and waits until they are gone. It
// is idempotent and safe to call concurrently.
func (s *Sandbox) Stop(ctx context.Context) error {
	s.mu.Lock()
	first := !s.stopping
	s.stopping = true
	s.mu.Unlock()
	if first {
		// Kill the tree first (a frozen task must be thawed to die under a
		// v1 freezer), then pid 1: the kernel kills everything left in the
		// pid namespace with it.
		pids := s.treePids()
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		if s.freezer != nil {
			_ = s.freezer.thaw()
		}
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGCONT)
		}
		if s.control != nil {
			s.control.Close()
		}
		_ = s.cmd.Process.Kill()
	}
	select {
	case <-s.done:
	case <-ctx.Done():
		return fmt.Errorf("stop sandbox %s: %w", s.cfg.Hostname, ctx.Err())
	}
	// bwrap is gone, but the sandbox's pid 1 may still be taking the pid
	// namespace down: the kernel kills the rest when it dies, and it is a
	// zombie (or gone) only once they have all exited. Wait for that, so
	// nothing the VM ran outlives Stop (the caller may delete the root).
	if err := s.waitInitGone(ctx); err != nil {
		return fmt.Errorf("stop sandbox %s: %w", s.cfg.Hostname, err)
	}
	// Wait for the last tasks to be reaped before removing the cgroup.
	if s.freezer != nil {
		s.freezer.remove(ctx)
	}
	if s.limits != nil {
		s.limits.remove(ctx)
	}
	s.mu.Lock()
	s.paused = false
	s.mu.Unlock()
	return nil
}

// waitInitGone waits until the sandbox's pid 1 has exited.
func (s *Sandbox) waitInitGone(ctx context.Context) error {
	if s.initPid <= 0 || s.initStart == 0 {
		return nil
	}
	for {
		p, err := readProc(s.initPid)
		if err != nil || p.startTicks != s.initStart || p.zombieOrDie {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func (s *Sandbox) alive() error {
	select {
	case <-s.done:
		return ErrStopped
	default:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return ErrStopped
	}
	return nil
}

// limitedTee writes everything to w and keeps the first max bytes.
type limitedTee struct {
	mu  sync.Mutex
	w   io.Writer
	buf *bytes.Buffer
	max int
}

func (t *limitedTee) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if room := t.max - t.buf.Len(); room > 0 {
		t.buf.Write(p[:min(room, len(p))])
	}
	_, _ = t.w.Write(p) // a failing log must not kill the VM
	return len(p), nil
}

func (t *limitedTee) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}
