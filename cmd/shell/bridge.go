package shell

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// DetachKey is Ctrl+], the byte that ends an interactive session from the
// keyboard without sending anything to the VM.
const DetachKey = 0x1d

// Session is the remote end of an interactive terminal: a shell session in
// production, a fake in tests.
type Session interface {
	io.ReadWriter
	Resize(rows, cols uint16) error
	Err() error
	Close() error
}

// BridgeOptions connect a local terminal to a Session.
type BridgeOptions struct {
	Term   iostreams.Terminal
	In     io.Reader // keyboard
	Out    io.Writer // screen
	ErrOut io.Writer // messages, written after the terminal is restored

	// Output, when set, wraps Out (exec -t filters its markers this way).
	Output func(io.Writer) io.Writer
	// OnRaw is called once the terminal is raw and the pumps run (exec -t
	// types its command here).
	OnRaw func() error
}

// bridgePanicHook, when set (tests), is called in the output and resize
// goroutines, to check that a panic there still restores the terminal.
var bridgePanicHook func(where string)

// Bridge runs an interactive session on the local terminal: raw mode, the
// current size and every later resize sent to the session, keystrokes sent
// as typed (Ctrl-C included), output written as it comes. It returns when
// the remote session ends (nil), the user presses Ctrl+] (nil), the
// connection is lost (an error wrapping cmdutil.ErrConnectionLost), ctx is
// cancelled (ctx.Err()) or a terminating signal arrives (a
// *cmdutil.SignalError). The terminal is restored on every one of these
// ways out, and by a panic in the bridge's goroutines.
//
// The keyboard reader cannot be interrupted; when Bridge returns it is left
// to end at its next read (the session is closed by then, so nothing more
// is sent).
func Bridge(ctx context.Context, s Session, o BridgeOptions) error {
	raw, err := o.Term.MakeRaw()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sigc := make(chan os.Signal, 1)
	raw.OnSignal(func(sig os.Signal) {
		sigc <- sig
	})
	abnormal := true
	defer func() {
		if abnormal {
			_ = raw.RestoreAbnormal()
		} else {
			_ = raw.Restore()
		}
	}()

	if sz, err := o.Term.Size(); err == nil && sz.Rows > 0 && sz.Cols > 0 {
		_ = s.Resize(sz.Rows, sz.Cols)
	}
	resized := make(chan struct{})
	go raw.Guard(func() {
		defer close(resized)
		for sz := range o.Term.WatchResize(ctx) {
			if h := bridgePanicHook; h != nil {
				h("resize")
			}
			_ = s.Resize(sz.Rows, sz.Cols)
		}
	})

	out := o.Out
	if o.Output != nil {
		out = o.Output(out)
	}
	outDone := make(chan error, 1)
	go raw.Guard(func() {
		if h := bridgePanicHook; h != nil {
			h("output")
		}
		_, err := io.Copy(out, s)
		outDone <- err
	})

	detach := make(chan struct{})
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := o.In.Read(buf)
			if n > 0 {
				chunk := buf[:n]
				i := bytes.IndexByte(chunk, DetachKey)
				if i >= 0 {
					chunk = chunk[:i]
				}
				if len(chunk) > 0 {
					if _, werr := s.Write(chunk); werr != nil {
						return
					}
				}
				if i >= 0 {
					close(detach)
					return
				}
			}
			if err != nil {
				// Keyboard gone (EOF on a terminal is unusual): keep the
				// session; it ends from the remote side or by a signal.
				return
			}
		}
	}()

	if o.OnRaw != nil {
		if err := o.OnRaw(); err != nil {
			_ = s.Close()
			cancel()
			<-resized
			return err
		}
	}

	var result error
	select {
	case <-outDone:
		if err := s.Err(); err != nil {
			result = fmt.Errorf("%w: %v", cmdutil.ErrConnectionLost, err)
		} else {
			abnormal = false
		}
	case <-detach:
		abnormal = false
		_ = s.Close()
	case sig := <-sigc:
		_ = s.Close()
		n := 1
		if sys, ok := sig.(syscall.Signal); ok {
			n = int(sys)
		}
		result = &cmdutil.SignalError{Signal: n, Name: sig.String()}
	case <-ctx.Done():
		_ = s.Close()
		result = ctx.Err()
	}
	_ = s.Close()
	cancel()
	<-resized
	if abnormal {
		_ = raw.RestoreAbnormal()
	} else {
		_ = raw.Restore()
	}
	if result != nil && errors.Is(result, cmdutil.ErrConnectionLost) && o.ErrOut != nil {
		fmt.Fprintln(o.ErrOut, "\r\nConnection to the VM lost.")
	}
	return result
}
