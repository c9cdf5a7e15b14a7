package exec

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	shellcmd "github.com/slicer-cli/slicer/cmd/shell"
	"github.com/slicer-cli/slicer/pkg/client"
)

// exec -t runs the command on a pseudo-terminal through the shell
// WebSocket, which takes no command: like `shell --bootstrap`, slicer types
// the command line into the session. The exit status travels back in-band:
// the typed line prints a start marker before the command and an exit
// marker carrying $? after it (private OSC sequences that no terminal
// displays), and slicer shows only what lies between the two. The typed
// line itself, the shell's prompt and anything printed after the command
// are never shown.
const (
	oscStart = "\x1b]6973;slicer-start\x07"
	oscExit  = "\x1b]6973;slicer-exit;"
	oscEnd   = "\x07"
)

// maxTypedLine keeps the typed line under the terminal's canonical-mode line
// limit (4095 bytes on Linux).
const maxTypedLine = 3500

// TypedLine is the line exec -t types into the remote shell for the
// command words, run under shell rules (see BuildCommand) in a subshell so
// that an `exit` in the script still reports its status.
func TypedLine(words []string, shell string, env []string) string {
	script, args := BuildCommand(words, shell)
	if shell == "" {
		script = JoinQuoted(append([]string{script}, args...))
	}
	var b bytes.Buffer
	b.WriteString(" ")
	for _, e := range env {
		b.WriteString("export ")
		b.WriteString(ShellQuote(e))
		b.WriteString("; ")
	}
	b.WriteString(`printf '\033]6973;slicer-start\007'; ( `)
	b.WriteString(script)
	b.WriteString(` ); __slicer_rc=$?; printf '\033]6973;slicer-exit;%d\007' "$__slicer_rc"; exit "$__slicer_rc"`)
	b.WriteString("\r")
	return b.String()
}

// markerFilter passes through only the output between the start and the
// exit markers and records the exit status.
type markerFilter struct {
	w io.Writer

	mu      sync.Mutex
	state   int // 0 before start, 1 running, 2 done
	pending []byte
	code    int
}

func (m *markerFilter) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(p)
	m.pending = append(m.pending, p...)
	for {
		switch m.state {
		case 0:
			i := bytes.Index(m.pending, []byte(oscStart))
			if i < 0 {
				// Keep a tail that could be the start of the marker.
				if k := len(m.pending) - len(oscStart) + 1; k > 0 {
					m.pending = append(m.pending[:0], m.pending[k:]...)
				}
				return n, nil
			}
			m.pending = append(m.pending[:0], m.pending[i+len(oscStart):]...)
			m.state = 1
		case 1:
			i := bytes.Index(m.pending, []byte(oscExit))
			if i < 0 {
				safe := len(m.pending)
				if j := bytes.LastIndexByte(m.pending, 0x1b); j >= 0 && bytes.HasPrefix([]byte(oscExit), m.pending[j:]) {
					safe = j
				}
				if safe > 0 {
					if _, err := m.w.Write(m.pending[:safe]); err != nil {
						return n, err
					}
					m.pending = append(m.pending[:0], m.pending[safe:]...)
				}
				return n, nil
			}
			end := bytes.Index(m.pending[i:], []byte(oscEnd))
			if end < 0 {
				if i > 0 {
					if _, err := m.w.Write(m.pending[:i]); err != nil {
						return n, err
					}
					m.pending = append(m.pending[:0], m.pending[i:]...)
				}
				return n, nil
			}
			if i > 0 {
				if _, err := m.w.Write(m.pending[:i]); err != nil {
					return n, err
				}
			}
			code, err := strconv.Atoi(string(m.pending[i+len(oscExit) : i+end]))
			if err != nil {
				code = 1
			}
			m.code = code
			m.state = 2
			m.pending = nil
		default:
			m.pending = nil
			return n, nil
		}
	}
}

func (m *markerFilter) result() (int, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.code, m.state == 2
}

func ttyRun(ctx context.Context, c client.Interface, vm string, opts *ExecOptions) error {
	term := opts.Terminal
	if term == nil {
		t, err := opts.IO.StdinTerminal()
		if err != nil {
			return cmdutil.FlagErrorf("-t needs a terminal on stdin and stdout; leave out -t to run the command with pipes")
		}
		term = t
	}
	line := TypedLine(opts.Command, opts.Shell, opts.Env)
	if len(line) > maxTypedLine {
		return cmdutil.FlagErrorf("the command is too long for -t (%d bytes, at most %d): copy it to the VM as a script, or leave out -t", len(line), maxTypedLine)
	}
	sz, _ := term.Size()
	so := shellcmd.DialOptions(opts.UID, opts.GID, opts.UIDSet, opts.GIDSet, opts.Cwd, opts.Shell, sz)
	if so.UID != nil && so.GID == nil {
		g := *so.UID
		so.GID = &g
	}
	dial := opts.dial
	if dial == nil {
		dial = shellcmd.DialSession
	}
	s, err := dial(ctx, c, vm, so)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	defer s.Close()
	filter := &markerFilter{}
	err = shellcmd.Bridge(ctx, s, shellcmd.BridgeOptions{
		Term:   term,
		In:     opts.IO.In,
		Out:    opts.IO.Out,
		ErrOut: opts.IO.ErrOut,
		Output: func(w io.Writer) io.Writer { filter.w = w; return filter },
		OnRaw: func() error {
			_, err := s.Write([]byte(line))
			return err
		},
	})
	if err != nil {
		return err
	}
	code, ok := filter.result()
	if !ok {
		return fmt.Errorf("%w: the terminal session in VM %q ended before the command's exit status arrived", cmdutil.ErrConnectionLost, vm)
	}
	if code != 0 {
		return cmdutil.ExitCodeError{Code: code}
	}
	return nil
}
