//go:build linux

package shell_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/shell"
	"github.com/slicer-cli/slicer/pkg/localdaemon/localdaemontest"
)

// TestLocalDaemonShell drives a real shell in a slicer local VM over the
// unix socket and over TCP with a token: initial size, resize, exit.
func TestLocalDaemonShell(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local daemon")
	}
	d := localdaemontest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	uc := client.NewSlicerClient(d.URL, "", "slicer-test", nil)
	resp, err := uc.CreateVMWithOptions(ctx, "vm", client.SlicerCreateNodeRequest{}, client.SlicerCreateNodeOptions{Wait: client.SlicerCreateNodeWaitAgent, Timeout: time.Minute})
	if err != nil {
		t.Fatalf("create VM: %v", err)
	}
	vm := resp.Hostname
	for name, c := range map[string]*client.SlicerClient{
		"unix": uc,
		"tcp":  client.NewSlicerClient(d.TCPURL, d.Token, "slicer-test", nil),
	} {
		t.Run(name, func(t *testing.T) {
			root := uint32(0)
			s, err := shell.Dial(ctx, c, vm, shell.Options{Shell: "/bin/sh", UID: &root, GID: &root, Cwd: "/tmp", Rows: 40, Cols: 120})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			s.Write([]byte("stty size; pwd; id -u\n"))
			readUntilRE(t, s, "40 120", "/tmp", "\n0")
			if err := s.Resize(50, 200); err != nil {
				t.Fatal(err)
			}
			s.Write([]byte("stty size\n"))
			readUntilRE(t, s, "50 200")
			s.Write([]byte("exit\n"))
			// Output is not buffered: drain it to see the end.
			go io.Copy(io.Discard, s)
			select {
			case <-s.Done():
			case <-time.After(30 * time.Second):
				t.Fatal("session did not end after exit")
			}
			if s.Err() != nil {
				t.Errorf("Err after exit = %v", s.Err())
			}
		})
	}
	// A token-less TCP dial is refused with 401.
	if _, err := shell.Dial(ctx, client.NewSlicerClient(d.TCPURL, "", "", nil), vm, shell.Options{}); err == nil {
		t.Error("dial without token succeeded")
	}
}

// readUntilRE reads until every want string has appeared.
func readUntilRE(t *testing.T, s *shell.Session, wants ...string) {
	t.Helper()
	var buf strings.Builder
	p := make([]byte, 4096)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok := true
		for _, w := range wants {
			if !strings.Contains(strings.ReplaceAll(buf.String(), "\r", ""), w) {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %q in %q", wants, buf.String())
		}
		done := make(chan struct{})
		var n int
		var err error
		go func() { n, err = s.Read(p); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Until(deadline)):
			t.Fatalf("timed out waiting for %q in %q", wants, buf.String())
		}
		buf.Write(p[:n])
		if err != nil {
			t.Fatalf("read: %v (have %q)", err, buf.String())
		}
	}
}
