package iostreams

import (
	"context"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

func TestRawModeRestoresOnce(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreTopFunction("os/signal.signal_recv"), goleak.IgnoreTopFunction("os/signal.loop"))
	var n atomic.Int32
	r := NewRawMode(func() error { n.Add(1); return nil }, nil)
	for i := 0; i < 3; i++ {
		if err := r.Restore(); err != nil {
			t.Fatal(err)
		}
	}
	_ = r.RestoreAbnormal()
	if got := n.Load(); got != 1 {
		t.Fatalf("restore ran %d times, want 1", got)
	}
}

func TestRawModeAbnormalWritesReset(t *testing.T) {
	var screen lockedBuffer
	r := NewRawMode(func() error { return nil }, &screen)
	_ = r.RestoreAbnormal()
	if screen.String() != ResetSequence {
		t.Fatalf("screen = %q, want reset sequence", screen.String())
	}
	var quiet lockedBuffer
	r = NewRawMode(func() error { return nil }, &quiet)
	_ = r.Restore()
	if quiet.Len() != 0 {
		t.Fatalf("normal restore wrote %q", quiet.String())
	}
}

func TestRawModeGuardRestoresOnPanic(t *testing.T) {
	var n atomic.Int32
	r := NewRawMode(func() error { n.Add(1); return nil }, nil)
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Fatalf("panic = %v, want boom to continue", p)
			}
		}()
		r.Guard(func() { panic("boom") })
	}()
	if n.Load() != 1 {
		t.Fatal("terminal not restored by a panic")
	}
	_ = r.Restore()
	if n.Load() != 1 {
		t.Fatal("restored twice")
	}
}

func TestRawModeRestoresOnSignal(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreTopFunction("os/signal.signal_recv"), goleak.IgnoreTopFunction("os/signal.loop"))
	var n atomic.Int32
	r := NewRawMode(func() error { n.Add(1); return nil }, nil)
	got := make(chan os.Signal, 1)
	r.OnSignal(func(s os.Signal) { got <- s })
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != syscall.SIGHUP {
			t.Fatalf("signal %v", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no signal callback")
	}
	if n.Load() != 1 {
		t.Fatal("not restored before the callback")
	}
	_ = r.Restore()
}

func TestWatchResizeCoalescesAndStops(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreTopFunction("os/signal.signal_recv"), goleak.IgnoreTopFunction("os/signal.loop"))
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	ch := watchResize(ctx, func() (Size, error) {
		c := calls.Add(1)
		return Size{Rows: uint16(c), Cols: 80}, nil
	})
	time.Sleep(20 * time.Millisecond) // let signal.Notify register
	for i := 0; i < 3; i++ {
		_ = syscall.Kill(os.Getpid(), syscall.SIGWINCH)
		time.Sleep(20 * time.Millisecond)
	}
	deadline := time.After(5 * time.Second)
	var last Size
	for last.Rows == 0 {
		select {
		case last = <-ch:
		case <-deadline:
			t.Fatal("no resize delivered")
		}
	}
	if last.Cols != 80 {
		t.Fatalf("size %+v", last)
	}
	cancel()
	for range ch {
	}
}

// TestStdinTerminalPTY puts a real pseudo-terminal in raw mode and checks
// that the saved state comes back byte for byte, and that the size is read.
func TestStdinTerminalPTY(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	before, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	s := &IOStreams{In: tty, Out: tty, ErrOut: tty}
	s.SetStdinTTY(true)
	s.SetStdoutTTY(true)
	tm, err := s.StdinTerminal()
	if err != nil {
		t.Fatal(err)
	}
	sz, err := tm.Size()
	if err != nil || sz != (Size{Rows: 40, Cols: 120}) {
		t.Fatalf("size %+v %v", sz, err)
	}
	raw, err := tm.MakeRaw()
	if err != nil {
		t.Fatal(err)
	}
	during, _ := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if during.Lflag&unix.ECHO != 0 {
		t.Fatal("echo still on in raw mode")
	}
	if err := raw.Restore(); err != nil {
		t.Fatal(err)
	}
	after, _ := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if *after != *before {
		t.Fatalf("termios not restored:\n%+v\n%+v", before, after)
	}
	if !term.IsTerminal(int(tty.Fd())) {
		t.Fatal("tty lost")
	}
}

func TestStdinTerminalRefusesPipes(t *testing.T) {
	s, _, _, _ := Test()
	if _, err := s.StdinTerminal(); err != ErrNotTerminal {
		t.Fatalf("err = %v", err)
	}
	// Claimed TTY but not a file: still refused, nothing touched.
	s.SetStdinTTY(true)
	s.SetStdoutTTY(true)
	if _, err := s.StdinTerminal(); err != ErrNotTerminal {
		t.Fatalf("err = %v", err)
	}
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	s.In, s.Out = r, w
	if _, err := s.StdinTerminal(); err != ErrNotTerminal {
		t.Fatalf("pipe err = %v", err)
	}
}
