package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// RemoteCmd represents a remote command to be executed on a VM. It mirrors
// the os/exec.Cmd API but executes commands on remote VMs.
//
// A RemoteCmd cannot be reused after calling Run, Output, or CombinedOutput.
type RemoteCmd struct {
	// Path is the command to run. This is the only field that must be set.
	// If Path contains no path separators, it will be resolved using the
	// remote system's PATH.
	Path string

	// Args holds command line arguments, including the command as Args[0].
	// If Args is empty or nil, Run uses {Path}.
	Args []string

	// Env specifies the environment of the process.
	// Each entry is of the form "key=value".
	// If Env is nil, the remote process inherits the default environment.
	Env []string

	// Dir specifies the working directory of the command.
	// If Dir is empty, the command runs in the remote agent's default directory.
	Dir string

	// Stdin specifies the process's standard input.
	// If Stdin is nil, the process reads from an empty reader.
	// Otherwise, a goroutine reads from Stdin and delivers to the remote.
	Stdin io.Reader

	// Stdout specifies the process's standard output.
	// If Stdout is nil, output is discarded.
	Stdout io.Writer

	// Stderr specifies the process's standard error.
	// If Stderr is nil, error output is discarded.
	// If Stderr is the same as Stdout, both are combined.
	Stderr io.Writer

	// ProcessState contains information about an exited process.
	// It is available after a call to Wait or Run.
	ProcessState *RemoteProcessState

	// UID specifies the user ID to run the command as (Linux only).
	// If zero, uses the remote system's default (usually root).
	UID uint32

	// GID specifies the group ID to run the command as (Linux only).
	// If zero, uses the remote system's default (usually root).
	GID uint32

	// Shell specifies the shell interpreter to use. It is sent only when
	// set; when empty the program is run directly.
	Shell string

	ctx    context.Context
	vmName string
	exec   ExecStreamer

	mu          sync.Mutex
	started     bool
	waited      bool
	stdinPipe   *io.PipeWriter
	stdoutPipeW *io.PipeWriter
	stderrPipeW *io.PipeWriter
	closeAfter  []io.Closer
	done        chan struct{}
	result      streamResult
	stop        context.CancelFunc
}

type streamResult struct {
	pid      int
	sawExit  bool
	exitCode int
	signal   string
	errText  string
	err      error // transport or write error
}

// NewRemoteCmd returns a RemoteCmd that runs through e (a *SlicerClient or
// any Interface implementation, such as clienttest.Fake). It is what
// SlicerClient.Command uses.
func NewRemoteCmd(ctx context.Context, e ExecStreamer, vmName, name string, arg ...string) *RemoteCmd {
	if ctx == nil {
		ctx = context.Background()
	}
	return &RemoteCmd{
		Path:   name,
		Args:   append([]string{name}, arg...),
		ctx:    ctx,
		vmName: vmName,
		exec:   e,
	}
}

// Command returns a RemoteCmd to execute the named program on the specified
// VM. The returned Cmd's Args field is set to the command name followed by
// any arguments. If the context is canceled, the command is abandoned and
// Wait returns the context's error.
func (c *SlicerClient) Command(ctx context.Context, vmName string, name string, arg ...string) *RemoteCmd {
	return NewRemoteCmd(ctx, c, vmName, name, arg...)
}

// CommandContext is an alias for Command.
func (c *SlicerClient) CommandContext(ctx context.Context, vmName string, name string, arg ...string) *RemoteCmd {
	return c.Command(ctx, vmName, name, arg...)
}

// String returns a human-readable description of the command.
func (c *RemoteCmd) String() string {
	if len(c.Args) == 0 {
		return c.Path
	}
	parts := append([]string{c.Path}, c.Args[1:]...)
	return strings.Join(parts, " ")
}

// Environ returns a copy of the environment in which the command would be
// run: the entries of Env (the remote default environment is not known
// locally).
func (c *RemoteCmd) Environ() []string {
	return append([]string{}, c.Env...)
}

// StdinPipe returns a pipe that will be connected to the command's standard
// input when the command starts. Close it to send EOF.
func (c *RemoteCmd) StdinPipe() (io.WriteCloser, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Stdin != nil {
		return nil, errors.New("exec: Stdin already set")
	}
	if c.started {
		return nil, errors.New("exec: StdinPipe after process started")
	}
	pr, pw := io.Pipe()
	c.Stdin = pr
	c.stdinPipe = pw
	c.closeAfter = append(c.closeAfter, pr)
	return pw, nil
}

// StdoutPipe returns a pipe that will be connected to the command's standard
// output when the command starts. Wait closes it after the command exits.
func (c *RemoteCmd) StdoutPipe() (io.ReadCloser, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Stdout != nil {
		return nil, errors.New("exec: Stdout already set")
	}
	if c.started {
		return nil, errors.New("exec: StdoutPipe after process started")
	}
	pr, pw := io.Pipe()
	c.Stdout = pw
	c.stdoutPipeW = pw
	c.closeAfter = append(c.closeAfter, pr)
	return pr, nil
}

// StderrPipe returns a pipe that will be connected to the command's standard
// error when the command starts. Wait closes it after the command exits.
func (c *RemoteCmd) StderrPipe() (io.ReadCloser, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Stderr != nil {
		return nil, errors.New("exec: Stderr already set")
	}
	if c.started {
		return nil, errors.New("exec: StderrPipe after process started")
	}
	pr, pw := io.Pipe()
	c.Stderr = pw
	c.stderrPipeW = pw
	c.closeAfter = append(c.closeAfter, pr)
	return pr, nil
}

// Start starts the specified command but does not wait for it to complete.
// After a successful call to Start, Wait must be called.
func (c *RemoteCmd) Start() error {
	c.mu.Lock()
	if c.started {
		c.mu.Unlock()
		return errors.New("exec: already started")
	}
	c.started = true
	c.mu.Unlock()
	if c.exec == nil {
		return errors.New("exec: RemoteCmd has no client; create it with Command")
	}
	if c.Path == "" {
		return errors.New("exec: no command")
	}
	args := c.Args
	if len(args) > 0 {
		args = args[1:]
	}
	req := SlicerExecRequest{
		Command: c.Path,
		Args:    args,
		Env:     c.Env,
		UID:     c.UID,
		GID:     c.GID,
		Shell:   c.Shell,
		Cwd:     c.Dir,
		Stdin:   c.Stdin != nil,
		Stdio:   ExecStdioBase64,
	}
	ctx, cancel := context.WithCancel(c.ctx)
	c.stop = cancel
	ch, err := c.exec.ExecWithReader(ctx, c.vmName, req, c.Stdin)
	if err != nil {
		cancel()
		c.closePipes(err)
		return err
	}
	c.done = make(chan struct{})
	stdout, stderr := c.Stdout, c.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	go c.consume(ctx, ch, stdout, stderr)
	return nil
}

func (c *RemoteCmd) consume(ctx context.Context, ch chan SlicerExecWriteResult, stdout, stderr io.Writer) {
	defer close(c.done)
	// Like a child process closing its end of the pipes when it exits: a
	// reader of StdoutPipe/StderrPipe sees EOF once the stream is over,
	// before Wait is called.
	defer c.closePipeWriters(nil)
	r := &c.result
	for f := range ch {
		if r.err != nil {
			continue // keep draining so the producer can finish
		}
		if strings.HasPrefix(f.Error, "exec stream:") && f.ExitCode == -1 {
			r.err = fmt.Errorf("%w: %s", ErrNoExitStatus, f.Error)
			continue
		}
		if f.Type == "started" && f.Pid != 0 {
			r.pid = f.Pid
		}
		if f.Pid != 0 && r.pid == 0 {
			r.pid = f.Pid
		}
		so, se := frameOutput(&f)
		if so != "" {
			if _, err := io.WriteString(stdout, so); err != nil {
				r.err = err
				c.stop()
				continue
			}
		}
		if se != "" {
			if _, err := io.WriteString(stderr, se); err != nil {
				r.err = err
				c.stop()
				continue
			}
		}
		switch {
		case f.Type == "exit":
			r.sawExit = true
			r.exitCode, r.signal = f.ExitCode, f.Signal
			if f.Error != "" {
				r.errText = f.Error
			}
		case f.Type == "":
			// Legacy agents: the last frame carries the final status.
			r.sawExit = true
			if f.ExitCode != 0 {
				r.exitCode = f.ExitCode
			}
			if f.Signal != "" {
				r.signal = f.Signal
			}
			if f.Error != "" {
				r.errText = f.Error
			}
		case f.Error != "" || f.ExitCode != 0:
			r.sawExit = true
			r.exitCode, r.errText = f.ExitCode, f.Error
		}
	}
	if r.err == nil && !r.sawExit {
		if err := ctx.Err(); err != nil {
			r.err = err
		} else {
			r.err = ErrNoExitStatus
		}
	}
}

// Wait waits for the command to exit and for its output to be copied. A
// non-zero exit status is reported as *ExitError; a stream that ends without
// an exit status as an error wrapping ErrNoExitStatus; a cancelled context as
// the context's error.
func (c *RemoteCmd) Wait() error {
	c.mu.Lock()
	if !c.started || c.done == nil {
		c.mu.Unlock()
		return errors.New("exec: not started")
	}
	if c.waited {
		c.mu.Unlock()
		return errors.New("exec: Wait was already called")
	}
	c.waited = true
	c.mu.Unlock()

	<-c.done
	c.stop()
	r := c.result
	c.closePipes(nil)
	if r.err != nil {
		return r.err
	}
	code := r.exitCode
	if code == 0 && r.errText != "" {
		code = 1
	}
	st := &RemoteProcessState{pid: r.pid, exitCode: code, signal: r.signal, message: r.errText, exited: r.signal == ""}
	c.ProcessState = st
	if !st.Success() {
		return &ExitError{RemoteProcessState: st}
	}
	return nil
}

func (c *RemoteCmd) closePipeWriters(err error) {
	if err == nil {
		err = io.EOF
	}
	if c.stdoutPipeW != nil {
		c.stdoutPipeW.CloseWithError(err)
	}
	if c.stderrPipeW != nil {
		c.stderrPipeW.CloseWithError(err)
	}
}

func (c *RemoteCmd) closePipes(err error) {
	c.closePipeWriters(err)
	for _, cl := range c.closeAfter {
		_ = cl.Close()
	}
}

// Run starts the specified command and waits for it to complete.
func (c *RemoteCmd) Run() error {
	if err := c.Start(); err != nil {
		return err
	}
	return c.Wait()
}

// Output runs the command and returns its standard output. If the command
// fails with a non-zero status the error is *ExitError, whose Stderr holds
// the captured standard error when Stderr was not otherwise set.
func (c *RemoteCmd) Output() ([]byte, error) {
	if c.Stdout != nil {
		return nil, errors.New("exec: Stdout already set")
	}
	var stdout bytes.Buffer
	c.Stdout = &stdout
	var captured *capBuffer
	if c.Stderr == nil {
		captured = &capBuffer{max: 64 << 10}
		c.Stderr = captured
	}
	err := c.Run()
	if captured != nil {
		var ee *ExitError
		if errors.As(err, &ee) {
			ee.Stderr = captured.Bytes()
		}
	}
	return stdout.Bytes(), err
}

// CombinedOutput runs the command and returns its combined standard output
// and standard error.
func (c *RemoteCmd) CombinedOutput() ([]byte, error) {
	if c.Stdout != nil {
		return nil, errors.New("exec: Stdout already set")
	}
	if c.Stderr != nil {
		return nil, errors.New("exec: Stderr already set")
	}
	var b bytes.Buffer
	c.Stdout = &b
	c.Stderr = &b
	err := c.Run()
	return b.Bytes(), err
}

// capBuffer keeps at most max bytes (the first ones written). It has no
// WriteString method, so every write goes through the cap.
type capBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *capBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		if len(p) > room {
			b.buf.Write(p[:room])
		} else {
			b.buf.Write(p)
		}
	}
	return len(p), nil
}

func (b *capBuffer) Bytes() []byte { return b.buf.Bytes() }

// RemoteProcessState stores information about an exited remote process. It
// mirrors os.ProcessState but for remote executions.
type RemoteProcessState struct {
	pid      int
	exitCode int
	signal   string
	message  string
	exited   bool
}

// ExitCode returns the exit code of the exited process, or -1 if the process
// hasn't exited or was terminated by a signal.
func (p *RemoteProcessState) ExitCode() int {
	if p == nil || !p.exited {
		return -1
	}
	return p.exitCode
}

// Exited reports whether the program has exited (rather than being killed by
// a signal).
func (p *RemoteProcessState) Exited() bool { return p != nil && p.exited }

// Pid returns the remote process id, or -1 if it is not available.
func (p *RemoteProcessState) Pid() int {
	if p == nil || p.pid == 0 {
		return -1
	}
	return p.pid
}

// Success reports whether the program exited successfully (exit status 0).
func (p *RemoteProcessState) Success() bool {
	return p != nil && p.exited && p.exitCode == 0
}

// Signal returns the name of the signal that ended the process, or "".
func (p *RemoteProcessState) Signal() string {
	if p == nil {
		return ""
	}
	return p.signal
}

// String returns a human-readable description of the process state.
func (p *RemoteProcessState) String() string {
	if p == nil {
		return "<nil>"
	}
	var s string
	switch {
	case p.signal != "":
		s = "signal: " + p.signal
	default:
		s = fmt.Sprintf("exit status %d", p.exitCode)
	}
	if p.message != "" {
		s += " (" + p.message + ")"
	}
	return s
}

// ExitError is returned by RemoteCmd methods when a command exits with a
// non-zero status. It mirrors exec.ExitError but for remote executions.
type ExitError struct {
	*RemoteProcessState

	// Stderr holds stderr output if it was collected.
	Stderr []byte
}

// Error describes the exit status.
func (e *ExitError) Error() string { return e.RemoteProcessState.String() }
