package forward

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/cmd/cmdutil/cmdtest"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newFactory(fake *clienttest.Fake) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer) {
	ios, _, out, errOut := iostreams.Test()
	return &cmdutil.Factory{IOStreams: ios, Client: func() (client.Interface, error) { return fake, nil }}, out, errOut
}

func TestNewCmdForward(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
		want    []string // listen addresses
	}{
		{name: "flag specs", args: []string{"vm-1", "-L", "8080:127.0.0.1:80", "-L", "0.0.0.0:9000:10.0.0.1:90"}, want: []string{"127.0.0.1:8080", "0.0.0.0:9000"}},
		{name: "bare spec", args: []string{"vm-1", "127.0.0.1:3000"}, want: []string{"127.0.0.1:3000"}},
		{name: "socket default loopback", args: []string{"vm-1", "2375:/var/run/docker.sock"}, want: []string{"127.0.0.1:2375"}},
		{name: "both forms", args: []string{"vm-1", "-L", "1:127.0.0.1:1", "2:127.0.0.1:2"}, want: []string{"127.0.0.1:1", "127.0.0.1:2"}},
		{name: "no spec", args: []string{"vm-1"}, wantErr: "nothing to forward"},
		{name: "no vm", args: []string{}, wantErr: "missing VM"},
		{name: "bad spec", args: []string{"vm-1", "-L", "a:b:c:d:e"}, wantErr: "invalid forward"},
		{name: "bad port", args: []string{"vm-1", "-L", "70000:127.0.0.1:1"}, wantErr: "invalid port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := newFactory(&clienttest.Fake{})
			got := cmdtest.Parse(t, f, NewCmdForward, tt.wantErr, tt.args...)
			if got == nil {
				return
			}
			var addrs []string
			for _, s := range got.Specs {
				addrs = append(addrs, s.ListenAddress)
			}
			if strings.Join(addrs, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("listen %v, want %v", addrs, tt.want)
			}
		})
	}
}

func oneVM(context.Context, ...client.ListOptions) ([]client.SlicerNode, error) {
	return []client.SlicerNode{{Hostname: "vm-1"}}, nil
}

func TestForwardPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	f, out, _ := newFactory(&clienttest.Fake{ListVMsFunc: oneVM})
	cmd := NewCmdForward(f, nil)
	cmd.SetArgs([]string{"vm-1", "-L", "0:127.0.0.1:1", "-L", net.JoinHostPort("127.0.0.1", itoa(port)) + ":127.0.0.1:80"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err = cmd.Execute()
	if err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("err = %v", err)
	}
	if out.Len() != 0 {
		t.Fatalf("printed listeners before failing: %q", out.String())
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for n > 0 || i == len(b) {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
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

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestForwardPrintsListenersAndStops(t *testing.T) {
	f, _, _ := newFactory(&clienttest.Fake{ListVMsFunc: oneVM})
	out, errOut := &lockedBuf{}, &lockedBuf{}
	f.IOStreams.Out, f.IOStreams.ErrOut = out, errOut
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	cmd := NewCmdForward(f, nil)
	cmd.SetArgs([]string{"vm-1", "-L", "0:127.0.0.1:9000"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(errOut.String(), "Ctrl-C") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	line := out.String()
	if !strings.HasPrefix(line, "Forwarding 127.0.0.1:") || !strings.HasSuffix(line, " -> vm-1:127.0.0.1:9000\n") || strings.Contains(line, "127.0.0.1:0 ") {
		t.Fatalf("listener line %q", line)
	}
	addr := strings.Fields(line)[1]
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatal("still listening after the stop")
	}
}

// A forward with no open connection still notices that the daemon is gone:
// it ends with an error (exit non-zero) and closes its listeners.
func TestForwardEndsWhenDaemonGone(t *testing.T) {
	var calls sync.Mutex
	n := 0
	fake := &clienttest.Fake{
		ListVMsFunc: oneVM,
		GetInfoFunc: func(context.Context) (*client.SlicerInfo, error) {
			calls.Lock()
			defer calls.Unlock()
			n++
			if n < 3 {
				return &client.SlicerInfo{}, nil
			}
			return nil, &net.OpError{Op: "dial", Net: "unix", Err: errors.New("connect: connection refused")}
		},
	}
	f, _, _ := newFactory(fake)
	out := &lockedBuf{}
	f.IOStreams.Out = out
	var interval time.Duration
	cmd := NewCmdForward(f, func(ctx context.Context, o *ForwardOptions) error {
		interval = o.HealthInterval
		o.HealthInterval = 20 * time.Millisecond
		return forwardRun(ctx, o)
	})
	cmd.SetArgs([]string{"vm-1", "-L", "0:127.0.0.1:9000"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() { done <- cmd.Execute() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("forward kept running after the daemon went away")
	}
	if err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Fatalf("err = %v", err)
	}
	if interval != DefaultHealthInterval || interval <= 0 {
		t.Fatalf("default health interval %v", interval)
	}
	fields := strings.Fields(out.String())
	if len(fields) < 2 {
		t.Fatalf("no listener printed: %q", out.String())
	}
	if c, derr := net.Dial("tcp", fields[1]); derr == nil {
		c.Close()
		t.Fatal("still listening after the daemon went away")
	}
}
