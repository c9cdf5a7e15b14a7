package e2e

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// ptySession runs the slicer binary on a real pseudo-terminal, the way a
// user's terminal would, and records everything it draws.
type ptySession struct {
	t    *testing.T
	ptmx *os.File
	tty  *os.File
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	read chan struct{}
	mark int
}

func startPTY(t *testing.T, bin string, env []string, args ...string) *ptySession {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	p := &ptySession{t: t, ptmx: ptmx, tty: tty, read: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(env, "TERM=xterm")
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = tty, tty, tty
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil && p.cmd.Process != nil {
			_ = p.cmd.Process.Kill()
			_, _ = p.cmd.Process.Wait()
		}
		ptmx.Close()
		tty.Close()
		<-p.read
	})
	return p
}

func (p *ptySession) start(before string) string {
	p.t.Helper()
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	go func() {
		defer close(p.read)
		buf := make([]byte, 4096)
		for {
			n, err := p.ptmx.Read(buf)
			if n > 0 {
				p.mu.Lock()
				p.out.Write(buf[:n])
				p.mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	return before
}

// stty runs `stty -g` on the session's terminal.
func (p *ptySession) stty() string {
	p.t.Helper()
	c := exec.Command("stty", "-g")
	c.Stdin = p.tty
	out, err := c.Output()
	if err != nil {
		p.t.Fatalf("stty -g: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// waitRaw waits until the terminal's settings differ from before (slicer
// put it in raw mode).
func (p *ptySession) waitRaw(before string) {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for p.stty() == before {
		if time.Now().After(deadline) {
			p.t.Fatalf("the terminal was not put in raw mode; output:\n%q", p.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// expect waits until s appears in the output after the last match.
func (p *ptySession) expect(s string) {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		all := p.out.String()
		p.mu.Unlock()
		if i := strings.Index(all[p.mark:], s); i >= 0 {
			p.mark += i + len(s)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.t.Fatalf("did not see %q in output:\n%q", s, p.out.String())
}

// eventually sends input every half second until want appears.
func (p *ptySession) eventually(input, want string) {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		p.send(input)
		time.Sleep(500 * time.Millisecond)
		p.mu.Lock()
		all := p.out.String()
		p.mu.Unlock()
		if i := strings.Index(all[p.mark:], want); i >= 0 {
			p.mark += i + len(want)
			return
		}
	}
	p.t.Fatalf("did not see %q in output:\n%q", want, p.output())
}

func (p *ptySession) send(s string) {
	p.t.Helper()
	if _, err := p.ptmx.Write([]byte(s)); err != nil {
		p.t.Fatal(err)
	}
}

func (p *ptySession) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// wait waits for slicer to exit and returns its exit code.
func (p *ptySession) wait() int {
	p.t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return 128 + int(ws.Signal())
			}
			return ee.ExitCode()
		}
		if err != nil {
			p.t.Fatal(err)
		}
		return 0
	case <-time.After(20 * time.Second):
		p.t.Fatalf("slicer did not exit; output:\n%q", p.output())
	}
	return -1
}

func TestShellPTY(t *testing.T) {
	bin, env := guestEnv(t)
	newVM(t, bin, env, "box")
	p := startPTY(t, bin, env, "shell", "box", "--shell", "/bin/bash")
	before := p.start(p.stty())
	p.expect("Connected! Press Ctrl+] to exit.")
	during := p.stty()
	if during == before {
		t.Error("the local terminal was not put in raw mode")
	}
	// Initial size, echo, and a resize.
	p.send("stty size\r")
	p.expect("40 120")
	p.send("echo hel''lo-from-vm\r")
	p.expect("hello-from-vm")
	if err := pty.Setsize(p.ptmx, &pty.Winsize{Rows: 50, Cols: 200}); err != nil {
		t.Fatal(err)
	}
	// The resize travels asynchronously (SIGWINCH, then a frame): ask again
	// until the VM reports it.
	p.eventually("stty size\r", "50 200")
	// Ctrl-C goes to the VM: it stops sleep there, the session lives on.
	// Interrupt once bash runs the list (a fixed pause raced a loaded
	// machine): Ctrl-C then kills sleep, or, if it comes before sleep
	// starts, makes bash drop the rest of the list.
	p.send("echo slee''ping; sleep 100\r")
	p.expect("sleeping")
	p.send("\x03")
	p.send("echo after-interrupt\r")
	p.expect("after-interrupt")
	p.send("exit\r")
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d after the remote shell ended, want 0; output:\n%q", code, p.output())
	}
	if after := p.stty(); after != before {
		t.Fatalf("terminal not restored:\nbefore %s\nafter  %s", before, after)
	}
}

func TestShellPTYWaysOut(t *testing.T) {
	bin, env, d := guestDaemon(t)
	newVM(t, bin, env, "box")

	t.Run("detach", func(t *testing.T) {
		p := startPTY(t, bin, env, "shell", "box")
		before := p.start(p.stty())
		p.expect("Connected!")
		p.send("\x1d")
		if code := p.wait(); code != 0 {
			t.Fatalf("exit %d after Ctrl+], want 0", code)
		}
		if after := p.stty(); after != before {
			t.Fatalf("terminal not restored:\nbefore %s\nafter  %s", before, after)
		}
	})
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			p := startPTY(t, bin, env, "shell", "box")
			before := p.start(p.stty())
			p.expect("Connected!")
			_ = p.cmd.Process.Signal(sig)
			if code := p.wait(); code != 128+int(sig) {
				t.Fatalf("exit %d after %v, want %d", code, sig, 128+int(sig))
			}
			if after := p.stty(); after != before {
				t.Fatalf("terminal not restored:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
	t.Run("daemon gone", func(t *testing.T) {
		p := startPTY(t, bin, env, "shell", "box")
		before := p.start(p.stty())
		p.expect("Connected!")
		p.send("printf '\\033[?1049h\\033[?2004h'; echo modes-on\r")
		p.expect("modes-on")
		d.Stop()
		if code := p.wait(); code != 255 {
			t.Fatalf("exit %d after the daemon went away, want 255; output:\n%q", code, p.output())
		}
		if after := p.stty(); after != before {
			t.Fatalf("terminal not restored:\nbefore %s\nafter  %s", before, after)
		}
		if !strings.Contains(p.output(), "\x1b[?1049l") || !strings.Contains(p.output(), "lost") {
			t.Fatalf("no mode reset or message; output:\n%q", p.output())
		}
	})
}

func TestExecTTYPTY(t *testing.T) {
	bin, env := guestEnv(t)
	newVM(t, bin, env, "box")

	p := startPTY(t, bin, env, "exec", "-t", "box", "--", "stty size; tty >/dev/null && echo on-a-tty; exit 3")
	before := p.start(p.stty())
	p.expect("40 120")
	p.expect("on-a-tty")
	if code := p.wait(); code != 3 {
		t.Fatalf("exit %d, want 3; output:\n%q", code, p.output())
	}
	if after := p.stty(); after != before {
		t.Fatalf("terminal not restored:\nbefore %s\nafter  %s", before, after)
	}
	if strings.Contains(p.output(), "slicer-exit") || strings.Contains(p.output(), "__slicer_rc") {
		t.Fatalf("the typed command line leaked into the output:\n%q", p.output())
	}

	// Interactive: what is typed reaches the command and is echoed; Ctrl-D ends it.
	p = startPTY(t, bin, env, "exec", "-t", "box", "--", "cat")
	before = p.start(p.stty())
	// Type once slicer has the terminal in raw mode, not after a fixed
	// pause: before that the local line discipline would echo and edit.
	p.waitRaw(before)
	p.send("typed-line\r")
	p.expect("typed-line")
	p.send("\x04")
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d, want 0; output:\n%q", code, p.output())
	}
	if after := p.stty(); after != before {
		t.Fatalf("terminal not restored:\nbefore %s\nafter  %s", before, after)
	}
}

func TestShellRefusesNonTerminal(t *testing.T) {
	bin, env := guestEnv(t)
	newVM(t, bin, env, "box")
	cmd := exec.Command(bin, "shell", "box")
	cmd.Env = env
	cmd.Stdin = bytes.NewReader(nil)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("err = %v, want exit 2", err)
	}
	if !strings.Contains(errb.String(), "needs a terminal") || strings.Contains(out.String()+errb.String(), "\x1b") {
		t.Fatalf("stdout %q stderr %q", out.String(), errb.String())
	}
	_ = io.Discard
}
