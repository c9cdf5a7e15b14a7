package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ExecSpec says what to run in the VM.
type ExecSpec struct {
	Argv   []string // direct exec when Shell == ""
	Shell  string   // with a shell: run Shell -c Script
	Script string
	UID    uint32
	GID    uint32
	Cwd    string   // "" = the user's home directory (or / when it has none)
	Env    []string // KEY=VALUE, added to and overriding HOME, USER, LOGNAME, SHELL, PATH and TERM
	Stdin  bool     // Process.Stdin usable; otherwise stdin is /dev/null
	PTY    bool     // run on a pseudo-terminal; Stdout carries the merged pty output
	Rows   uint16
	Cols   uint16
}

// ExitStatus is how a process ended: Code is its exit code, or 128+n when
// it was killed by signal n, whose name (e.g. "SIGKILL") is then in Signal.
type ExitStatus struct {
	Code   int    `json:"code"`
	Signal string `json:"signal,omitempty"`
}

// Process is a process started by Exec.
//
// Stdout and Stderr (nil for a PTY) reach EOF when every process holding
// them has closed them, which can be after Wait returns. Wait does not close
// them, so reading them to EOF and calling Wait may happen in either order
// or concurrently. Close releases whatever was not read.
type Process struct {
	Stdin          io.WriteCloser
	Stdout, Stderr io.Reader
	Pid            int // pid inside the VM (0 when the command could not be started)

	op      *conn
	pty     *os.File
	files   []*os.File
	done    chan struct{}
	status  ExitStatus
	waitErr error

	closeOnce sync.Once
}

// Exec starts a process in the VM. A command that is not found or cannot be
// executed yields a Process that exits with 127 or 126 and says why on its
// stderr, like a shell; an invalid spec, a missing Cwd or a dead sandbox is
// an error (ErrStopped for the latter). ctx bounds only the start (which
// waits while the VM is paused): the process then runs until it exits, is
// signalled, or is abandoned with Close, or the sandbox stops.
// ErrBadSpec is wrapped by Exec errors that are about the ExecSpec itself
// as the VM sees it (a working directory that does not exist), not about the
// sandbox: the caller's input was wrong.
var ErrBadSpec = errors.New("invalid exec request")

type badSpecError string

func (e badSpecError) Error() string        { return string(e) }
func (e badSpecError) Is(target error) bool { return target == ErrBadSpec }

func (s *Sandbox) Exec(ctx context.Context, spec ExecSpec) (*Process, error) {
	argv := spec.Argv
	if spec.Shell != "" {
		argv = []string{spec.Shell, "-c", spec.Script}
	} else if spec.Script != "" {
		return nil, errors.New("exec: Script needs Shell")
	}
	if len(argv) == 0 || argv[0] == "" {
		return nil, errors.New("exec: no command given")
	}
	op, err := s.open(ctx, request{
		Op: "exec", Argv: argv, UID: spec.UID, GID: spec.GID, Cwd: spec.Cwd, Env: spec.Env,
		Stdin: spec.Stdin, PTY: spec.PTY, Rows: spec.Rows, Cols: spec.Cols,
	})
	if err != nil {
		return nil, err
	}
	var m message
	files, err := recvCtx(ctx, op, &m)
	if err != nil {
		op.Close()
		return nil, fmt.Errorf("exec: %w", s.agentErr(err))
	}
	if m.Error != "" {
		closeFiles(files)
		op.Close()
		if m.BadSpec {
			return nil, fmt.Errorf("exec: %w", badSpecError(m.Error))
		}
		return nil, fmt.Errorf("exec: %s", m.Error)
	}
	want := 2
	switch {
	case spec.PTY:
		want = 1
	case spec.Stdin:
		want = 3
	}
	if !m.Started || len(files) != want || !validStreamFDs(files) {
		closeFiles(files)
		op.Close()
		return nil, errors.New("exec: agent protocol: bad start reply")
	}
	p := &Process{Pid: m.Pid, op: op, files: files, done: make(chan struct{})}
	if spec.PTY {
		p.pty = files[0]
		p.Stdout = &eofReader{f: files[0], pty: true}
		if spec.Stdin {
			p.Stdin = &ptyStdin{f: files[0]}
		}
	} else {
		p.Stdout = &eofReader{f: files[0]}
		p.Stderr = &eofReader{f: files[1]}
		if spec.Stdin {
			p.Stdin = files[2]
		}
	}
	go p.readLoop()
	return p, nil
}

func (p *Process) readLoop() {
	defer close(p.done)
	for {
		var m message
		files, err := p.op.recv(&m)
		closeFiles(files)
		if err != nil {
			p.waitErr = errors.New("connection to the in-VM agent lost before the exit status")
			return
		}
		if m.Exit != nil {
			p.status = *m.Exit
			return
		}
	}
}

// Wait waits for the process to exit and returns its status. The error is
// non-nil only when the status cannot be known (the sandbox went away).
func (p *Process) Wait() (ExitStatus, error) {
	<-p.done
	p.op.Close()
	return p.status, p.waitErr
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Signal sends sig to the process group of the process. It returns
// os.ErrProcessDone when the process has already exited.
func (p *Process) Signal(sig syscall.Signal) error {
	select {
	case <-p.done:
		return os.ErrProcessDone
	default:
	}
	if sig <= 0 || sig >= 65 {
		return fmt.Errorf("invalid signal %d", int(sig))
	}
	if err := p.op.send(message{Signal: int(sig)}); err != nil {
		select {
		case <-p.done:
			return os.ErrProcessDone
		default:
		}
		return fmt.Errorf("signal: %w", err)
	}
	return nil
}

// Resize sets the PTY's window size (the process gets SIGWINCH).
func (p *Process) Resize(rows, cols uint16) error {
	if p.pty == nil {
		return errors.New("resize: process has no terminal")
	}
	if rows == 0 || cols == 0 {
		return fmt.Errorf("resize: invalid size %dx%d", rows, cols)
	}
	return withFD(p.pty, func(fd int) error {
		return unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols})
	})
}

// withFD runs fn on f's descriptor while holding a reference to it, so a
// concurrent Close (the Stdout reader closes at end of stream) cannot
// release (and the kernel reuse) the descriptor under fn: reading f.Fd()
// while another goroutine closes f is a data race.
func withFD(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// fstat is unix.Fstat through withFD.
func fstat(f *os.File, st *unix.Stat_t) error {
	return withFD(f, func(fd int) error { return unix.Fstat(fd, st) })
}

// Close releases the process's streams (after Wait, or to abandon it). An
// abandoned running process is killed by the agent.
func (p *Process) Close() error {
	p.closeOnce.Do(func() {
		closeFiles(p.files)
		p.op.Close()
	})
	return nil
}

// eofReader turns the PTY master's EIO (every slave closed) into io.EOF and
// closes the descriptor at the end of the stream.
type eofReader struct {
	f   *os.File
	pty bool
	eof bool
	mu  sync.Mutex
	raw syscall.RawConn // f's, for Ready; used by the reading goroutine only
}

func (r *eofReader) Read(b []byte) (int, error) {
	n, err := r.f.Read(b)
	if err != nil && r.pty && errors.Is(err, syscall.EIO) {
		err = io.EOF
	}
	if errors.Is(err, os.ErrClosed) {
		err = io.EOF
	}
	if err == io.EOF {
		r.mu.Lock()
		if !r.eof {
			r.eof = true
			r.f.Close()
		}
		r.mu.Unlock()
	}
	return n, err
}

// Ready reports how many bytes can be read at once without blocking
// (FIONREAD), 0 when none or when that cannot be told.
func (r *eofReader) Ready() int {
	if r.raw == nil { // once: SyscallConn allocates, and Ready runs per read
		sc, err := r.f.SyscallConn()
		if err != nil {
			return 0
		}
		r.raw = sc
	}
	n := 0
	_ = r.raw.Control(func(fd uintptr) {
		v, err := unix.IoctlGetInt(int(fd), unix.TIOCINQ) // FIONREAD
		if err == nil {
			n = v
		}
	})
	return n
}

// ptyStdin writes to the PTY master. Closing it sends the terminal's
// end-of-file character (Ctrl-D), the way a user ends input on a terminal.
type ptyStdin struct {
	f      *os.File
	mu     sync.Mutex
	closed bool
}

func (w *ptyStdin) Write(b []byte) (int, error) {
	w.mu.Lock()
	closed := w.closed
	w.mu.Unlock()
	if closed {
		return 0, os.ErrClosed
	}
	return w.f.Write(b)
}

func (w *ptyStdin) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	_, err := w.f.Write([]byte{4})
	if errors.Is(err, syscall.EIO) || errors.Is(err, os.ErrClosed) {
		err = nil
	}
	return err
}

// validStreamFDs checks that the agent sent pipes, sockets or terminals,
// never a directory or regular file.
func validStreamFDs(files []*os.File) bool {
	for _, f := range files {
		var st unix.Stat_t
		if err := fstat(f, &st); err != nil {
			return false
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFIFO, unix.S_IFSOCK, unix.S_IFCHR:
		default:
			return false
		}
	}
	return true
}

// Dial connects to addr from inside the VM's network namespace. network is
// "tcp", "tcp4", "tcp6" or "unix" (a socket path inside the VM).
func (s *Sandbox) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6", "unix":
	default:
		return nil, fmt.Errorf("dial: unsupported network %q (use tcp, tcp4, tcp6 or unix)", network)
	}
	req := request{Op: "dial", Network: network, Address: addr, TimeoutMS: 30_000}
	if dl, ok := ctx.Deadline(); ok {
		req.TimeoutMS = max(1, time.Until(dl).Milliseconds())
	}
	op, err := s.open(ctx, req)
	if err != nil {
		return nil, err
	}
	defer op.Close()
	var m message
	files, err := recvCtx(ctx, op, &m)
	if err != nil {
		return nil, fmt.Errorf("dial %s %s in VM: %w", network, addr, s.agentErr(err))
	}
	if m.Error != "" {
		closeFiles(files)
		return nil, fmt.Errorf("dial %s %s in VM: %s", network, addr, m.Error)
	}
	if len(files) != 1 {
		closeFiles(files)
		return nil, errors.New("dial: agent protocol: bad reply")
	}
	var st unix.Stat_t
	if err := fstat(files[0], &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		files[0].Close()
		return nil, errors.New("dial: agent protocol: not a socket")
	}
	c, err := net.FileConn(files[0])
	files[0].Close()
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	return c, nil
}

// ping checks that the agent answers.
func (s *Sandbox) ping(ctx context.Context) error {
	op, err := s.open(ctx, request{Op: "ping"})
	if err != nil {
		return err
	}
	defer op.Close()
	var m message
	files, err := recvCtx(ctx, op, &m)
	closeFiles(files)
	if err != nil {
		return s.agentErr(err)
	}
	if !m.OK {
		return fmt.Errorf("agent: %s", m.Error)
	}
	return nil
}

// open makes a new operation socket, hands one end to the agent and sends
// the request on it.
func (s *Sandbox) open(ctx context.Context, req request) (*conn, error) {
	if err := s.alive(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	mine, theirs, err := socketPair()
	if err != nil {
		return nil, err
	}
	err = s.control.send(struct{}{}, theirs)
	theirs.Close()
	if err != nil {
		mine.Close()
		return nil, s.agentErr(err)
	}
	op, err := newConn(mine)
	if err != nil {
		return nil, err
	}
	if err := op.send(req); err != nil {
		op.Close()
		return nil, s.agentErr(err)
	}
	return op, nil
}

// recvCtx is op.recv that gives up (closing op) when ctx ends.
func recvCtx(ctx context.Context, op *conn, v any) ([]*os.File, error) {
	stop := context.AfterFunc(ctx, func() { op.c.SetReadDeadline(time.Unix(1, 0)) })
	files, err := op.recv(v)
	if !stop() && ctx.Err() != nil {
		closeFiles(files)
		return nil, ctx.Err()
	}
	return files, err
}

func (s *Sandbox) agentErr(err error) error {
	if s.alive() != nil {
		return ErrStopped
	}
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
		return fmt.Errorf("in-VM agent closed the connection: %w", err)
	}
	return err
}
