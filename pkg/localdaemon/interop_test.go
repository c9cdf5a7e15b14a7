package localdaemon_test

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/forward"
	"github.com/slicer-cli/slicer/pkg/client/shell"
)

// The shell and forward clients of pkg/client against the daemon.

func TestShellSessionInterop(t *testing.T) {
	_, c := setup(t)
	ctx := ctxT(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	s, err := shell.Dial(ctx, c, vm, shell.Options{Shell: "/bin/sh", Rows: 33, Cols: 99})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Write([]byte("stty size; echo mark-$((2+3))\n")); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	buf := make([]byte, 4096)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "mark-5") {
		if time.Now().After(deadline) {
			t.Fatalf("no output: %q", out.String())
		}
		n, err := s.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			t.Fatalf("read: %v (%q)", err, out.String())
		}
	}
	if !strings.Contains(out.String(), "33 99") {
		t.Fatalf("size not applied: %q", out.String())
	}
	if _, err := s.Write([]byte("exit\n")); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, s) }()
	select {
	case <-s.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("session did not end after exit")
	}
	if err := s.Err(); err != nil {
		t.Fatalf("clean exit reported %v", err)
	}
}

func TestForwardInterop(t *testing.T) {
	_, c := setup(t)
	ctx := ctxT(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	if _, err := c.ExecBackground(ctx, vm, client.ExecBackgroundRequest{Command: "python3", Args: []string{"-c", `
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 8081)); s.listen()
open("/tmp/up", "w").close()
while True:
    c, _ = s.accept(); c.sendall(b"hello from the VM\n"); c.close()
`}, UID: 1000, GID: 1000}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if ok, _ := c.Exists(ctx, vm, "/tmp/up"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Skip("python3 is not available in the sandbox")
		}
		time.Sleep(50 * time.Millisecond)
	}
	spec, err := forward.ParseSpec("127.0.0.1:0:127.0.0.1:8081")
	if err != nil {
		t.Fatal(err)
	}
	f, err := forward.Start(ctx, forward.Options{Client: c, VM: vm, Specs: []forward.Spec{spec}})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := 0; i < 3; i++ {
		conn, err := net.Dial("tcp", f.Listeners()[0].Addr.String())
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(conn)
		conn.Close()
		if err != nil || string(b) != "hello from the VM\n" {
			t.Fatalf("forwarded read %d: %q %v", i, b, err)
		}
	}
}
