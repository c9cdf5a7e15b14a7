package exec

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	shellcmd "github.com/slicer-cli/slicer/cmd/shell"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
	clientshell "github.com/slicer-cli/slicer/pkg/client/shell"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

func TestMarkerFilterSplitWrites(t *testing.T) {
	stream := "PS1$ typed line echoed\r\n" + oscStart + "hello \x1b[1mbold\x1b[0m\r\n" + oscExit + "42" + oscEnd + "\r\nexit\r\n"
	for size := 1; size <= len(stream); size++ {
		var out bytes.Buffer
		m := &markerFilter{w: &out}
		for i := 0; i < len(stream); i += size {
			_, _ = m.Write([]byte(stream[i:min(i+size, len(stream))]))
		}
		code, ok := m.result()
		if !ok || code != 42 || out.String() != "hello \x1b[1mbold\x1b[0m\r\n" {
			t.Fatalf("chunk %d: code %d ok %v out %q", size, code, ok, out.String())
		}
	}
}

func TestMarkerFilterDoesNotHoldOutput(t *testing.T) {
	var out bytes.Buffer
	m := &markerFilter{w: &out}
	_, _ = m.Write([]byte(oscStart + "Password: "))
	if out.String() != "Password: " {
		t.Fatalf("held back %q", out.String())
	}
	_, _ = m.Write([]byte("\x1b[0m"))
	if out.String() != "Password: \x1b[0m" {
		t.Fatalf("held back a colour code: %q", out.String())
	}
}

func TestTypedLine(t *testing.T) {
	l := TypedLine([]string{"echo $HOME | wc -c"}, "/bin/bash", []string{"A=b c"})
	if !strings.HasPrefix(l, " export 'A=b c'; printf") || !strings.Contains(l, "( echo $HOME | wc -c )") || !strings.HasSuffix(l, "\r") {
		t.Fatalf("%q", l)
	}
	l = TypedLine([]string{"printf", "%s", "a b"}, "", nil)
	if !strings.Contains(l, "( printf %s 'a b' )") {
		t.Fatalf("%q", l)
	}
	if strings.Contains(l, "\x1b") {
		t.Fatal("the typed line holds an escape byte: its echo would look like a marker")
	}
}

// remoteShell imitates the VM side: it echoes what is typed, and runs the
// typed line by printing the markers around a canned output.
type remoteShell struct {
	out     *io.PipeReader
	outW    *io.PipeWriter
	mu      sync.Mutex
	typed   bytes.Buffer
	output  string
	code    string
	resizes int
}

func (r *remoteShell) Read(p []byte) (int, error) { return r.out.Read(p) }
func (r *remoteShell) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.typed.Write(p)
	done := bytes.HasSuffix(r.typed.Bytes(), []byte("\r"))
	r.mu.Unlock()
	go func() {
		_, _ = r.outW.Write(p) // echo
		if done {
			_, _ = r.outW.Write([]byte("\r\n" + oscStart + r.output + oscExit + r.code + oscEnd + "exit\r\n"))
			r.outW.Close()
		}
	}()
	return len(p), nil
}
func (r *remoteShell) Resize(uint16, uint16) error { r.resizes++; return nil }
func (r *remoteShell) Err() error                  { return nil }
func (r *remoteShell) Close() error                { r.out.CloseWithError(io.EOF); return nil }

type fakeTerm struct{}

func (fakeTerm) MakeRaw() (*iostreams.RawMode, error) {
	return iostreams.NewRawMode(func() error { return nil }, nil), nil
}
func (fakeTerm) Size() (iostreams.Size, error) { return iostreams.Size{Rows: 24, Cols: 80}, nil }
func (fakeTerm) WatchResize(ctx context.Context) <-chan iostreams.Size {
	ch := make(chan iostreams.Size)
	go func() { <-ctx.Done(); close(ch) }()
	return ch
}

func TestExecTTY(t *testing.T) {
	for _, tc := range []struct {
		code string
		want int
	}{{"0", 0}, {"3", 3}, {"130", 130}} {
		r := &remoteShell{output: "out\r\n", code: tc.code}
		r.out, r.outW = io.Pipe()
		ios, _, out, _ := iostreams.Test()
		inR, inW := io.Pipe()
		ios.In = inR
		var dialed clientshell.Options
		opts := &ExecOptions{
			IO: ios, Client: func() (client.Interface, error) { return &clienttest.Fake{}, nil },
			VM: "vm-1", Command: []string{"ls"}, Shell: "/bin/bash", TTY: true, UID: 0, UIDSet: true, Terminal: fakeTerm{},
			dial: func(_ context.Context, _ client.Interface, _ string, o clientshell.Options) (shellcmd.Session, error) {
				dialed = o
				return r, nil
			},
		}
		err := ttyRun(context.Background(), &clienttest.Fake{}, "vm-1", opts)
		inW.Close()
		var ec cmdutil.ExitCodeError
		switch {
		case tc.want == 0 && err != nil:
			t.Fatalf("err = %v", err)
		case tc.want != 0 && (!errors.As(err, &ec) || ec.Code != tc.want):
			t.Fatalf("err = %v, want exit %d", err, tc.want)
		}
		if out.String() != "out\r\n" {
			t.Fatalf("out %q", out.String())
		}
		if dialed.UID == nil || *dialed.UID != 0 || dialed.GID == nil || dialed.Shell != "/bin/bash" || dialed.Rows != 24 {
			t.Fatalf("dial %+v", dialed)
		}
	}
}

func TestExecTTYNeedsTerminal(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	opts := &ExecOptions{IO: ios, VM: "vm-1", Command: []string{"ls"}, Shell: "/bin/bash", TTY: true}
	err := ttyRun(context.Background(), &clienttest.Fake{}, "vm-1", opts)
	var fe *cmdutil.FlagError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "terminal") {
		t.Fatalf("err = %v", err)
	}
}
