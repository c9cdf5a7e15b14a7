package sandbox

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// init turns any binary that links this package into the in-VM agent when
// SLICER_LOCAL_AGENT is set (bwrap starts it that way).
func init() {
	v, ok := os.LookupEnv(agentEnv)
	if !ok {
		return
	}
	if v != agentEnvValue {
		fmt.Fprintf(os.Stderr, "slicer agent: %s=%q is not understood; unset it to run this program normally\n", agentEnv, v)
		os.Exit(2)
	}
	os.Unsetenv(agentEnv)
	if err := runAgent(); err != nil {
		fmt.Fprintf(os.Stderr, "slicer agent: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

type agent struct {
	spawnCh chan func()
}

// agentThreads is how many OS threads the agent creates at start. The
// agent shares the VM's process limit (pids.max counts threads), and the Go
// runtime aborts the whole process when it cannot create a thread it needs:
// a fork bomb in the VM would take the agent, and with it the VM, down.
// Threads created up front and parked stay with the runtime for reuse, so
// the agent keeps working at the limit unless more than this many of its
// system calls block at once.
const agentThreads = 24

// warmThreads makes the runtime create n OS threads now: n goroutines each
// hold a thread of their own until all n have one, then release them to the
// runtime's idle pool (a thread is only destroyed when a goroutine exits
// while locked to it, which these do not).
func warmThreads(n int) {
	var all, done sync.WaitGroup
	all.Add(n)
	done.Add(n)
	for range n {
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			all.Done()
			all.Wait()
			runtime.UnlockOSThread()
		}()
	}
	done.Wait()
}

func runAgent() error {
	var st unix.Stat_t
	if err := unix.Fstat(3, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return errors.New("control socket (fd 3) missing: the agent only runs inside a slicer local sandbox")
	}
	ctl, err := newConn(os.NewFile(3, "control"))
	if err != nil {
		return err
	}
	warmThreads(agentThreads)
	// Nothing the daemon or bwrap left open may reach a process in the VM.
	if err := unix.CloseRange(4, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			return fmt.Errorf("list open files: %w", err)
		}
		for _, e := range ents {
			if fd, err := strconv.Atoi(e.Name()); err == nil && fd >= 4 {
				unix.CloseOnExec(fd)
			}
		}
	}
	a := &agent{spawnCh: make(chan func())}
	ready := make(chan error, 1)
	go a.spawner(ready)
	if err := <-ready; err != nil {
		return err
	}
	for {
		var x struct{}
		files, err := ctl.recv(&x)
		if err != nil {
			// The daemon is gone or stopped us: end the VM.
			closeFiles(files)
			return nil
		}
		for _, f := range files {
			op, err := newConn(f)
			if err != nil {
				continue
			}
			go a.serve(op)
		}
	}
}

// spawner owns one locked OS thread whose capabilities are reduced so that
// processes forked from it start with empty bounding, inheritable and
// ambient sets. Capabilities are per thread, and clone(2) copies the calling
// thread's, so every process is started from this thread.
func (a *agent) spawner(ready chan<- error) {
	runtime.LockOSThread() // never unlocked: the thread dies with the agent
	if err := dropSpawnCaps(); err != nil {
		ready <- fmt.Errorf("drop capabilities: %w", err)
		return
	}
	ready <- nil
	for f := range a.spawnCh {
		f()
	}
}

// keepCaps are what the spawner thread keeps in its effective and permitted
// sets, for Credential (setuid/setgid/setgroups) in the forked child and for
// chown of a PTY.
var keepCaps = []int{unix.CAP_SETUID, unix.CAP_SETGID, unix.CAP_CHOWN, unix.CAP_KILL}

func dropSpawnCaps() error {
	last := 63
	if b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			last = n
		}
	}
	for c := 0; c <= last; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("bounding set: %w", err)
		}
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("ambient set: %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	for _, c := range keepCaps {
		data[c/32].Effective |= 1 << (uint(c) % 32)
	}
	data[0].Permitted, data[1].Permitted = data[0].Effective, data[1].Effective
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	// Verify on this thread.
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/status", unix.Gettid()))
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(b), "\n") {
		for _, k := range []string{"CapBnd:", "CapAmb:", "CapInh:"} {
			if strings.HasPrefix(line, k) {
				v, err := strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(line, k)), 16, 64)
				if err != nil || v != 0 {
					return fmt.Errorf("%s still %s", k, strings.TrimSpace(strings.TrimPrefix(line, k)))
				}
			}
		}
	}
	return nil
}

// spawn runs f on the spawner thread.
func (a *agent) spawn(f func()) {
	done := make(chan struct{})
	a.spawnCh <- func() { f(); close(done) }
	<-done
}

func (a *agent) serve(op *conn) {
	var req request
	files, err := op.recv(&req)
	closeFiles(files)
	if err != nil {
		op.Close()
		return
	}
	switch req.Op {
	case "ping":
		_ = op.send(message{OK: true, Pid: os.Getpid()})
		op.Close()
	case "exec":
		a.exec(op, &req)
	case "dial":
		a.dial(op, &req)
	default:
		_ = op.send(message{Error: fmt.Sprintf("unknown operation %q", req.Op)})
		op.Close()
	}
}

func (a *agent) dial(op *conn, req *request) {
	defer op.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(req.TimeoutMS)*time.Millisecond)
	defer cancel()
	go func() { // the daemon gave up: stop dialing
		var m message
		if _, err := op.recv(&m); err != nil {
			cancel()
		}
	}()
	c, err := a.dialAs(ctx, req.Network, req.Address)
	if err != nil {
		_ = op.send(message{Error: err.Error()})
		return
	}
	defer c.Close()
	fc, ok := c.(interface{ File() (*os.File, error) })
	if !ok {
		_ = op.send(message{Error: "connection cannot be passed"})
		return
	}
	f, err := fc.File()
	if err != nil {
		_ = op.send(message{Error: err.Error()})
		return
	}
	defer f.Close()
	_ = op.send(message{OK: true}, f)
}

// dialAs connects to addr. A unix socket is connected to with the file
// system identity of the socket's owner, the way root in a real guest
// reaches any socket: the agent holds no CAP_DAC_OVERRIDE, so connecting as
// itself would fail on a socket only its owner may write. The identity is
// switched with setfsuid/setfsgid on the spawner thread only (they are per
// thread) and restored before that thread runs anything else.
func (a *agent) dialAs(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	var st unix.Stat_t
	if network != "unix" || unix.Stat(addr, &st) != nil {
		return d.DialContext(ctx, network, addr)
	}
	var c net.Conn
	var err error
	a.spawn(func() {
		prevUID, uerr := unix.SetfsuidRetUid(int(st.Uid))
		prevGID, gerr := unix.SetfsgidRetGid(int(st.Gid))
		c, err = d.DialContext(ctx, network, addr)
		if gerr == nil {
			_, _ = unix.SetfsgidRetGid(prevGID)
		}
		if uerr == nil {
			_, _ = unix.SetfsuidRetUid(prevUID)
		}
	})
	return c, err
}

// user is an /etc/passwd entry of the VM.
type user struct {
	name, home, shell string
	groups            []int
}

// openRegular opens a regular file for reading. A process in the VM may have
// replaced it with a FIFO, on which a plain open or read would wait forever
// and hang every exec; that counts as a missing file.
func openRegular(name string) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	return f, nil
}

func lookupUser(uid uint32) user {
	u := user{home: "/", shell: "/bin/sh"}
	if uid == 0 {
		u = user{name: "root", home: "/root", shell: "/bin/sh"}
	}
	if f, err := openRegular("/etc/passwd"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			p := strings.Split(sc.Text(), ":")
			if len(p) >= 7 && p[2] == strconv.FormatUint(uint64(uid), 10) {
				u.name, u.home, u.shell = p[0], p[5], p[6]
				break
			}
		}
		f.Close()
	}
	if u.name == "" {
		return u
	}
	if f, err := openRegular("/etc/group"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			p := strings.Split(sc.Text(), ":")
			if len(p) < 4 {
				continue
			}
			for _, m := range strings.Split(p[3], ",") {
				if m == u.name {
					if g, err := strconv.Atoi(p[2]); err == nil {
						u.groups = append(u.groups, g)
					}
				}
			}
		}
		f.Close()
	}
	return u
}

func buildEnv(req *request, u user) []string {
	env := []string{
		"HOME=" + u.home,
		"PATH=" + defaultPath,
		"SHELL=" + u.shell,
	}
	if u.name != "" {
		env = append(env, "USER="+u.name, "LOGNAME="+u.name)
	}
	if req.PTY {
		env = append(env, "TERM=xterm-256color")
	} else {
		env = append(env, "TERM=dumb")
	}
	idx := map[string]int{}
	for i, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		idx[k] = i
	}
	for _, kv := range req.Env {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		if i, ok := idx[k]; ok {
			env[i] = kv
		} else {
			idx[k] = len(env)
			env = append(env, kv)
		}
	}
	return env
}

func envGet(env []string, key string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// lookPath finds name in the child's PATH; it returns the exit code a shell
// would use when it cannot (127 not found, 126 not executable).
func lookPath(name string, env []string) (string, int, string) {
	check := func(p string) (int, string) {
		fi, err := os.Stat(p)
		if err != nil {
			return 127, fmt.Sprintf("%s: No such file or directory", name)
		}
		if fi.IsDir() {
			return 126, fmt.Sprintf("%s: Is a directory", name)
		}
		if fi.Mode().Perm()&0o111 == 0 {
			return 126, fmt.Sprintf("%s: Permission denied", name)
		}
		return 0, ""
	}
	if strings.Contains(name, "/") {
		code, msg := check(name)
		return name, code, msg
	}
	denied := ""
	for _, dir := range filepath.SplitList(envGet(env, "PATH")) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		code, _ := check(p)
		if code == 0 {
			return p, 0, ""
		}
		if code == 126 && denied == "" {
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				denied = p
			}
		}
	}
	if denied != "" {
		return denied, 126, fmt.Sprintf("%s: Permission denied", name)
	}
	return name, 127, fmt.Sprintf("%s: command not found", name)
}

func (a *agent) exec(op *conn, req *request) {
	u := lookupUser(req.UID)
	env := buildEnv(req, u)
	cwd := req.Cwd
	if cwd == "" {
		cwd = "/"
		if fi, err := os.Stat(u.home); err == nil && fi.IsDir() {
			cwd = u.home
		}
	} else if !filepath.IsAbs(cwd) {
		cwd = filepath.Join(u.home, cwd)
	}
	if fi, err := os.Stat(cwd); err != nil || !fi.IsDir() {
		_ = op.send(message{Error: fmt.Sprintf("working directory %s does not exist in the VM", cwd), BadSpec: true})
		op.Close()
		return
	}
	path, code, why := lookPath(req.Argv[0], env)
	if code != 0 {
		a.failedStart(op, req, code, why)
		return
	}

	cmd := &exec.Cmd{Path: path, Args: req.Argv, Env: env, Dir: cwd}
	attr := &syscall.SysProcAttr{Setsid: true}
	groups := make([]uint32, 0, len(u.groups))
	for _, g := range u.groups {
		if uint32(g) != req.GID {
			groups = append(groups, uint32(g))
		}
	}
	attr.Credential = &syscall.Credential{Uid: req.UID, Gid: req.GID, Groups: groups}
	cmd.SysProcAttr = attr
	// Without root on the host the sandbox's user namespace maps only the
	// daemon's own uid and gid: a process for any other id gets a nested
	// user namespace in which the agent's ids appear as the requested ones.
	nested := !idMapped("/proc/self/uid_map", req.UID) || !idMapped("/proc/self/gid_map", req.GID)
	if nested {
		attr.Cloneflags = syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: int(req.UID), HostID: os.Getuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: int(req.GID), HostID: os.Getgid(), Size: 1}}
		attr.GidMappingsEnableSetgroups = false
		attr.Credential = &syscall.Credential{Uid: req.UID, Gid: req.GID, NoSetGroups: true}
	}

	var send, child []*os.File
	cleanup := func() { closeFiles(send); closeFiles(child) }
	if req.PTY {
		master, slave, err := pty.Open()
		if err != nil {
			_ = op.send(message{Error: "open pty: " + err.Error()})
			op.Close()
			return
		}
		rows, cols := req.Rows, req.Cols
		if rows == 0 || cols == 0 {
			rows, cols = 24, 80
		}
		_ = pty.Setsize(master, &pty.Winsize{Rows: rows, Cols: cols})
		if !nested {
			_ = slave.Chown(int(req.UID), int(req.GID))
		}
		send, child = []*os.File{master}, []*os.File{slave}
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
		attr.Setctty = true
		attr.Ctty = 0
	} else {
		or, ow, err := os.Pipe()
		if err != nil {
			_ = op.send(message{Error: err.Error()})
			op.Close()
			return
		}
		er, ew, err := os.Pipe()
		if err != nil {
			closeFiles([]*os.File{or, ow})
			_ = op.send(message{Error: err.Error()})
			op.Close()
			return
		}
		send, child = []*os.File{or, er}, []*os.File{ow, ew}
		cmd.Stdout, cmd.Stderr = ow, ew
		if req.Stdin {
			ir, iw, err := os.Pipe()
			if err != nil {
				cleanup()
				_ = op.send(message{Error: err.Error()})
				op.Close()
				return
			}
			send, child = append(send, iw), append(child, ir)
			cmd.Stdin = ir
		} else {
			null, err := os.Open(os.DevNull)
			if err != nil {
				cleanup()
				_ = op.send(message{Error: err.Error()})
				op.Close()
				return
			}
			child = append(child, null)
			cmd.Stdin = null
		}
	}

	var startErr error
	a.spawn(func() { startErr = cmd.Start() })
	closeFiles(child)
	child = nil
	if startErr != nil {
		closeFiles(send)
		code, why := 126, fmt.Sprintf("%s: %v", req.Argv[0], errors.Unwrap(startErr))
		if errors.Is(startErr, syscall.ENOENT) {
			code = 127
		}
		if errors.Unwrap(startErr) == nil {
			why = startErr.Error()
		}
		a.failedStart(op, req, code, why)
		return
	}
	pid := cmd.Process.Pid
	err := op.send(message{Started: true, Pid: pid}, send...)
	closeFiles(send)
	if err != nil {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}

	exited := make(chan struct{})
	go func() {
		for {
			var m message
			files, err := op.recv(&m)
			closeFiles(files)
			if err != nil {
				select {
				case <-exited:
				default:
					// The daemon abandoned the process.
					_ = syscall.Kill(-pid, syscall.SIGKILL)
				}
				return
			}
			if m.Signal > 0 {
				if err := syscall.Kill(-pid, syscall.Signal(m.Signal)); errors.Is(err, syscall.ESRCH) {
					_ = syscall.Kill(pid, syscall.Signal(m.Signal))
				}
			}
		}
	}()
	_ = cmd.Wait()
	close(exited)
	_ = op.send(message{Exit: exitStatusOf(cmd.ProcessState)})
	op.Close()
}

func exitStatusOf(ps *os.ProcessState) *ExitStatus {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if !ok {
		return &ExitStatus{Code: ps.ExitCode()}
	}
	if ws.Signaled() {
		return &ExitStatus{Code: 128 + int(ws.Signal()), Signal: unix.SignalName(ws.Signal())}
	}
	return &ExitStatus{Code: ws.ExitStatus()}
}

// failedStart reports a command that could not start the way a shell does:
// a message on its stderr (or terminal) and exit code 127 or 126.
func (a *agent) failedStart(op *conn, req *request, code int, why string) {
	defer op.Close()
	var send []*os.File
	var msgW *os.File
	mk := func() (*os.File, *os.File, error) { return os.Pipe() }
	if req.PTY {
		r, w, err := mk()
		if err != nil {
			_ = op.send(message{Error: err.Error()})
			return
		}
		send, msgW = []*os.File{r}, w
	} else {
		or, ow, err := mk()
		if err != nil {
			_ = op.send(message{Error: err.Error()})
			return
		}
		ow.Close()
		er, ew, err := mk()
		if err != nil {
			or.Close()
			_ = op.send(message{Error: err.Error()})
			return
		}
		send, msgW = []*os.File{or, er}, ew
		if req.Stdin {
			ir, iw, err := mk()
			if err != nil {
				closeFiles(send)
				ew.Close()
				_ = op.send(message{Error: err.Error()})
				return
			}
			// Keep the read end open until we finish so writes do not
			// fail with EPIPE before the exit status is known.
			defer ir.Close()
			send = append(send, iw)
		}
	}
	nl := "\n"
	if req.PTY {
		// A terminal in raw mode (slicer shell) does not turn \n into \r\n.
		nl = "\r\n"
	}
	_, _ = io.WriteString(msgW, "slicer: "+why+nl)
	msgW.Close()
	err := op.send(message{Started: true}, send...)
	closeFiles(send)
	if err == nil {
		_ = op.send(message{Exit: &ExitStatus{Code: code}})
	}
}

// idMapped reports whether id exists in this user namespace, per mapFile.
func idMapped(mapFile string, uid uint32) bool {
	b, err := os.ReadFile(mapFile)
	if err != nil {
		return true
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		start, err1 := strconv.ParseUint(f[0], 10, 32)
		n, err2 := strconv.ParseUint(f[2], 10, 32)
		if err1 == nil && err2 == nil && uint64(uid) >= start && uint64(uid) < start+n {
			return true
		}
	}
	return false
}
