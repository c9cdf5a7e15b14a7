package iostreams

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/term"
)

// Terminal is the local terminal an interactive session runs on: the
// keyboard side (stdin) is put in raw mode and the screen side is measured.
// Commands take a Terminal rather than touching file descriptors so that
// tests can substitute a fake.
type Terminal interface {
	// MakeRaw puts the terminal in raw mode and returns the state to
	// restore. Restore must be called on every way out.
	MakeRaw() (*RawMode, error)
	// Size reports the terminal's size in character cells.
	Size() (Size, error)
	// WatchResize delivers the new size after every window change
	// (SIGWINCH) until ctx ends. The channel is closed when ctx ends.
	WatchResize(ctx context.Context) <-chan Size
}

// Size is a terminal size in character cells.
type Size struct {
	Rows, Cols uint16
}

// ErrNotTerminal is returned when an interactive operation needs a terminal
// and the stream is not one.
var ErrNotTerminal = errors.New("not a terminal")

// StdinTerminal returns the terminal behind stdin (raw mode) and stdout
// (size), or ErrNotTerminal when stdin or stdout is not a terminal. Callers
// must check this before anything touches terminal modes, so that a pipe
// or /dev/null never sees a TCSETS ioctl.
func (s *IOStreams) StdinTerminal() (Terminal, error) {
	if !s.IsStdinTTY() || !s.IsStdoutTTY() {
		return nil, ErrNotTerminal
	}
	in, ok := s.In.(*os.File)
	if !ok {
		return nil, ErrNotTerminal
	}
	out, ok := s.Out.(*os.File)
	if !ok {
		return nil, ErrNotTerminal
	}
	if !term.IsTerminal(int(in.Fd())) || !term.IsTerminal(int(out.Fd())) {
		return nil, ErrNotTerminal
	}
	return &fileTerminal{in: int(in.Fd()), out: int(out.Fd()), screen: out}, nil
}

type fileTerminal struct {
	in, out int
	screen  io.Writer
}

func (t *fileTerminal) MakeRaw() (*RawMode, error) {
	st, err := term.MakeRaw(t.in)
	if err != nil {
		return nil, fmt.Errorf("put terminal in raw mode: %w", err)
	}
	return NewRawMode(func() error { return term.Restore(t.in, st) }, t.screen), nil
}

func (t *fileTerminal) Size() (Size, error) {
	w, h, err := term.GetSize(t.out)
	if err != nil {
		return Size{}, fmt.Errorf("read terminal size: %w", err)
	}
	return Size{Rows: clamp16(h), Cols: clamp16(w)}, nil
}

func (t *fileTerminal) WatchResize(ctx context.Context) <-chan Size {
	return watchResize(ctx, t.Size)
}

func clamp16(v int) uint16 {
	if v < 0 {
		return 0
	}
	if v > 0xffff {
		return 0xffff
	}
	return uint16(v)
}

// watchResize turns SIGWINCH into sizes. Only the latest size matters, so
// the channel holds one value and a newer size replaces an unread older
// one: the sender never blocks, and the goroutine ends with ctx.
func watchResize(ctx context.Context, size func() (Size, error)) <-chan Size {
	out := make(chan Size, 1)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGWINCH)
	go func() {
		defer close(out)
		defer signal.Stop(sig)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sig:
				sz, err := size()
				if err != nil {
					continue
				}
				select {
				case out <- sz:
				default:
					select {
					case <-out:
					default:
					}
					out <- sz
				}
			}
		}
	}()
	return out
}

// ResetSequence turns off what a remote program may have left on: the
// alternate screen, mouse tracking, bracketed paste, a hidden cursor and
// text attributes. It is written only when the screen is a terminal.
const ResetSequence = "\x1b[?1049l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[?25h\x1b[0m"

// RawMode is a terminal in raw mode. Restore puts it back exactly once,
// whichever way out comes first: the normal path, a signal (HUP, INT,
// TERM, QUIT; the signal is then delivered again with its default action
// so the process dies of it, as the shell expects), or a panic in a
// goroutine that runs under Guard.
type RawMode struct {
	restore func() error
	screen  io.Writer

	once    sync.Once
	err     error
	sig     chan os.Signal
	stop    chan struct{}
	stopped chan struct{}
	onSig   func(os.Signal)
	mu      sync.Mutex
}

// NewRawMode wraps a restore function (the state saved before MakeRaw) and
// starts watching terminating signals. screen, when not nil, receives
// ResetSequence on an abnormal end (RestoreAbnormal).
func NewRawMode(restore func() error, screen io.Writer) *RawMode {
	r := &RawMode{
		restore: restore,
		screen:  screen,
		sig:     make(chan os.Signal, 1),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	signal.Notify(r.sig, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT)
	go r.watch()
	return r
}

// OnSignal sets a function called (after the terminal is restored) when a
// terminating signal arrives. Without one, the signal is re-raised with its
// default action, which ends the process.
func (r *RawMode) OnSignal(f func(os.Signal)) {
	r.mu.Lock()
	r.onSig = f
	r.mu.Unlock()
}

func (r *RawMode) watch() {
	defer close(r.stopped)
	select {
	case <-r.stop:
		return
	case s := <-r.sig:
		r.restoreOnce(true)
		r.mu.Lock()
		f := r.onSig
		r.mu.Unlock()
		if f != nil {
			f(s)
			return
		}
		// Nobody will handle it: die of the signal as if we had not caught it.
		if sys, ok := s.(syscall.Signal); ok {
			signal.Reset(sys)
			_ = syscall.Kill(os.Getpid(), sys)
		}
	}
}

func (r *RawMode) restoreOnce(reset bool) {
	r.once.Do(func() {
		if reset && r.screen != nil {
			_, _ = io.WriteString(r.screen, ResetSequence)
		}
		r.err = r.restore()
		signal.Stop(r.sig)
		close(r.stop)
	})
}

// Restore puts the terminal back into the mode it had before MakeRaw. It
// is safe to call many times and from many goroutines; only the first call
// acts. It returns once the signal watcher has stopped.
func (r *RawMode) Restore() error {
	r.restoreOnce(false)
	<-r.stopped
	return r.err
}

// RestoreAbnormal writes ResetSequence to the screen (when there is one)
// and restores the terminal: for sessions that ended without the remote
// side tidying up (lost connection, panic, signal).
func (r *RawMode) RestoreAbnormal() error {
	r.restoreOnce(true)
	<-r.stopped
	return r.err
}

// Guard runs f and, if it panics, restores the terminal before the panic
// continues. Every goroutine started while the terminal is raw runs its
// body under Guard: a panic ends the program after running only the
// deferred calls of its own goroutine.
func (r *RawMode) Guard(f func()) {
	defer func() {
		if p := recover(); p != nil {
			r.restoreOnce(true)
			panic(p)
		}
	}()
	f()
}
