package shell

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
	clientshell "github.com/slicer-cli/slicer/pkg/client/shell"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

func TestMain(m *testing.M) {
	if os.Getenv("BRIDGE_PANIC_CHILD") != "" {
		panicChild()
		return
	}
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("os/signal.signal_recv"), goleak.IgnoreTopFunction("os/signal.loop"))
}

type fakeTerm struct {
	restores atomic.Int32
	screen   *lockedBuf
	sizes    chan iostreams.Size
}

func newFakeTerm() *fakeTerm {
	return &fakeTerm{screen: &lockedBuf{}, sizes: make(chan iostreams.Size, 4)}
}

func (t *fakeTerm) MakeRaw() (*iostreams.RawMode, error) {
	return iostreams.NewRawMode(func() error { t.restores.Add(1); return nil }, t.screen), nil
}
func (t *fakeTerm) Size() (iostreams.Size, error) { return iostreams.Size{Rows: 40, Cols: 120}, nil }
func (t *fakeTerm) WatchResize(ctx context.Context) <-chan iostreams.Size {
	out := make(chan iostreams.Size)
	go func() {
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case s := <-t.sizes:
				select {
				case out <- s:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

type fakeSession struct {
	out     *io.PipeReader
	outW    *io.PipeWriter
	mu      sync.Mutex
	written bytes.Buffer
	resizes []iostreams.Size
	err     error
	closed  atomic.Bool
}

func newFakeSession() *fakeSession {
	r, w := io.Pipe()
	return &fakeSession{out: r, outW: w}
}

func (s *fakeSession) Read(p []byte) (int, error) { return s.out.Read(p) }
func (s *fakeSession) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return 0, clientshell.ErrSessionClosed
	}
	return s.written.Write(p)
}
func (s *fakeSession) Resize(r, c uint16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resizes = append(s.resizes, iostreams.Size{Rows: r, Cols: c})
	return nil
}
func (s *fakeSession) Err() error { s.mu.Lock(); defer s.mu.Unlock(); return s.err }
func (s *fakeSession) Close() error {
	s.closed.Store(true)
	s.out.CloseWithError(io.EOF)
	return nil
}
func (s *fakeSession) Written() string { s.mu.Lock(); defer s.mu.Unlock(); return s.written.String() }
func (s *fakeSession) Resizes() []iostreams.Size {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]iostreams.Size(nil), s.resizes...)
}

func TestBridgeRemoteEnds(t *testing.T) {
	term, s := newFakeTerm(), newFakeSession()
	inR, inW := io.Pipe()
	defer inW.Close()
	var out bytes.Buffer
	go func() {
		_, _ = s.outW.Write([]byte("hello\r\n"))
		term.sizes <- iostreams.Size{Rows: 50, Cols: 200}
		time.Sleep(50 * time.Millisecond)
		_, _ = inW.Write([]byte("ls\r\x03"))
		time.Sleep(50 * time.Millisecond)
		s.outW.Close()
	}()
	err := Bridge(context.Background(), s, BridgeOptions{Term: term, In: inR, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "hello\r\n" {
		t.Errorf("out %q", out.String())
	}
	if got := s.Written(); got != "ls\r\x03" {
		t.Errorf("sent %q", got)
	}
	rs := s.Resizes()
	if len(rs) != 2 || rs[0] != (iostreams.Size{Rows: 40, Cols: 120}) || rs[1] != (iostreams.Size{Rows: 50, Cols: 200}) {
		t.Errorf("resizes %v", rs)
	}
	if term.restores.Load() != 1 || term.screen.String() != "" {
		t.Errorf("restores %d, screen %q", term.restores.Load(), term.screen.String())
	}
}

func TestBridgeDetach(t *testing.T) {
	term, s := newFakeTerm(), newFakeSession()
	in := strings.NewReader("pwd\r\x1dignored")
	if err := Bridge(context.Background(), s, BridgeOptions{Term: term, In: in, Out: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if s.Written() != "pwd\r" || !s.closed.Load() || term.restores.Load() != 1 {
		t.Fatalf("sent %q closed %v restores %d", s.Written(), s.closed.Load(), term.restores.Load())
	}
}

func TestBridgeConnectionLost(t *testing.T) {
	term, s := newFakeTerm(), newFakeSession()
	inR, inW := io.Pipe()
	defer inW.Close()
	s.err = errors.New("connection to VM lost: EOF")
	var errOut bytes.Buffer
	go s.outW.CloseWithError(s.err)
	err := Bridge(context.Background(), s, BridgeOptions{Term: term, In: inR, Out: io.Discard, ErrOut: &errOut})
	if !errors.Is(err, cmdutil.ErrConnectionLost) {
		t.Fatalf("err = %v", err)
	}
	if term.restores.Load() != 1 || term.screen.String() != iostreams.ResetSequence {
		t.Fatalf("restores %d screen %q", term.restores.Load(), term.screen.String())
	}
	if !strings.Contains(errOut.String(), "lost") {
		t.Fatalf("message %q", errOut.String())
	}
}

func TestBridgeCancel(t *testing.T) {
	term, s := newFakeTerm(), newFakeSession()
	inR, inW := io.Pipe()
	defer inW.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(30 * time.Millisecond); cancel() }()
	err := Bridge(ctx, s, BridgeOptions{Term: term, In: inR, Out: io.Discard})
	if !errors.Is(err, context.Canceled) || term.restores.Load() != 1 || !s.closed.Load() {
		t.Fatalf("err %v restores %d closed %v", err, term.restores.Load(), s.closed.Load())
	}
}

// panicChild runs a bridge whose output goroutine panics; the restore
// function prints a marker so the parent can see it ran before the crash.
func panicChild() {
	bridgePanicHook = func(where string) {
		if where == os.Getenv("BRIDGE_PANIC_CHILD") {
			panic("boom in " + where)
		}
	}
	s := newFakeSession()
	term := &panicTerm{}
	inR, _ := io.Pipe()
	go func() { time.Sleep(20 * time.Millisecond); term.sizes <- iostreams.Size{Rows: 1, Cols: 1} }()
	_ = Bridge(context.Background(), s, BridgeOptions{Term: term, In: inR, Out: io.Discard})
	os.Exit(0)
}

type panicTerm struct{ fakeTerm }

func (t *panicTerm) MakeRaw() (*iostreams.RawMode, error) {
	t.sizes = make(chan iostreams.Size, 1)
	return iostreams.NewRawMode(func() error { os.Stdout.WriteString("RESTORED\n"); return nil }, os.Stdout), nil
}

func (t *panicTerm) WatchResize(ctx context.Context) <-chan iostreams.Size {
	if t.sizes == nil {
		t.sizes = make(chan iostreams.Size, 1)
	}
	return t.fakeTerm.WatchResize(ctx)
}

func TestBridgePanicRestoresTerminal(t *testing.T) {
	for _, where := range []string{"output", "resize"} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "BRIDGE_PANIC_CHILD="+where)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("%s: child did not crash: %s", where, out)
		}
		s := string(out)
		if !strings.Contains(s, "RESTORED") || !strings.Contains(s, "boom in "+where) || !strings.Contains(s, iostreams.ResetSequence) {
			t.Fatalf("%s: output %q", where, s)
		}
		if strings.Index(s, "RESTORED") > strings.Index(s, "panic:") {
			t.Fatalf("%s: restored after the panic report: %q", where, s)
		}
	}
}

func TestNewCmdShell(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Client: func() (client.Interface, error) { return &clienttest.Fake{}, nil }}
	var got *ShellOptions
	cmd := NewCmdShell(f, func(_ context.Context, o *ShellOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"vm-1", "--uid", "0", "--cwd", "/tmp", "--shell", "/bin/sh", "--bootstrap", "top"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.VM != "vm-1" || !got.UIDSet || got.UID != 0 || got.GIDSet || got.Cwd != "/tmp" || got.Shell != "/bin/sh" || got.Bootstrap != "top" {
		t.Fatalf("%+v", got)
	}
	o := DialOptions(got.UID, got.GID, got.UIDSet, got.GIDSet, got.Cwd, got.Shell, iostreams.Size{Rows: 5, Cols: 6})
	if o.UID == nil || *o.UID != 0 || o.GID != nil || o.Rows != 5 || o.Cols != 6 {
		t.Fatalf("dial options %+v", o)
	}
	cmd = NewCmdShell(f, nil)
	cmd.SetArgs([]string{})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	var fe *cmdutil.FlagError
	if err := cmd.Execute(); !errors.As(err, &fe) {
		t.Fatalf("err = %v", err)
	}
}

func TestShellRefusesNonTerminal(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	fake := &clienttest.Fake{}
	f := &cmdutil.Factory{IOStreams: ios, Client: func() (client.Interface, error) { return fake, nil }}
	cmd := NewCmdShell(f, nil)
	cmd.SetArgs([]string{"vm-1"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err := cmd.Execute()
	if err == nil || !strings.Contains(err.Error(), "needs a terminal") {
		t.Fatalf("err = %v", err)
	}
	if len(fake.Calls()) != 0 {
		t.Fatalf("called the daemon: %v", fake.Methods())
	}
}

func TestShellRunBanners(t *testing.T) {
	ios, _, _, errOut := iostreams.Test()
	fake := &clienttest.Fake{ListVMsFunc: func(context.Context, ...client.ListOptions) ([]client.SlicerNode, error) {
		return []client.SlicerNode{{Hostname: "vm-1"}}, nil
	}}
	s := newFakeSession()
	var dialed clientshell.Options
	opts := &ShellOptions{
		IO: ios, Client: func() (client.Interface, error) { return fake, nil },
		VM: "vm-1", Bootstrap: "uptime", Terminal: newFakeTerm(),
		Dial: func(_ context.Context, _ client.Interface, vm string, o clientshell.Options) (Session, error) {
			dialed = o
			return s, nil
		},
	}
	ios.In = io.NopCloser(strings.NewReader(""))
	go func() {
		for !strings.Contains(s.Written(), "uptime\r") {
			time.Sleep(5 * time.Millisecond)
		}
		s.outW.Close()
	}()
	if err := shellRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "Connecting to VM: vm-1\nConnected! Press Ctrl+] to exit.\n") {
		t.Fatalf("stderr %q", errOut.String())
	}
	if dialed.Rows != 40 || dialed.Cols != 120 || dialed.UID != nil {
		t.Fatalf("dial %+v", dialed)
	}
}
