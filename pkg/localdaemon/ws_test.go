package localdaemon_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/slicer-cli/slicer/pkg/client"
)

func frame(typ byte, p []byte) []byte {
	b := make([]byte, 5+len(p))
	b[0] = typ
	binary.BigEndian.PutUint32(b[1:5], uint32(len(p)))
	copy(b[5:], p)
	return b
}

func winsize(rows, cols uint32) []byte {
	p := make([]byte, 8)
	binary.BigEndian.PutUint32(p[0:4], cols)
	binary.BigEndian.PutUint32(p[4:8], rows)
	return p
}

// readUntil reads shell frames until the accumulated output contains want.
func readUntil(t *testing.T, ctx context.Context, c *websocket.Conn, out *bytes.Buffer, want string) (closed bool) {
	t.Helper()
	for !strings.Contains(out.String(), want) {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for %q: %v; output so far %q", want, err, out.String())
		}
		if typ != websocket.MessageBinary || len(msg) < 5 {
			t.Fatalf("bad message %v %q", typ, msg)
		}
		switch msg[0] {
		case 0x01:
			out.Write(msg[5:])
		case 0x03, 0x05:
			return true
		}
	}
	return false
}

func TestShell(t *testing.T) {
	_, c := setup(t)
	ctx := ctxT(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	conn, _, err := c.DialWebSocket(ctx, "/vm/"+vm+"/shell", url.Values{"shell": {"/bin/sh"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	must(t, conn.Write(ctx, websocket.MessageBinary, frame(0x02, winsize(40, 120))))
	must(t, conn.Write(ctx, websocket.MessageBinary, frame(0x04, nil)))
	must(t, conn.Write(ctx, websocket.MessageBinary, frame(0x01, []byte("stty size; id -un; tty; echo done-$((6*7))\n"))))
	var out bytes.Buffer
	readUntil(t, ctx, conn, &out, "done-42")
	s := out.String()
	if !strings.Contains(s, "40 120") || !strings.Contains(s, "ubuntu") || !strings.Contains(s, "/dev/pts/") {
		t.Fatalf("shell output %q", s)
	}
	must(t, conn.Write(ctx, websocket.MessageBinary, frame(0x02, winsize(50, 200))))
	must(t, conn.Write(ctx, websocket.MessageBinary, frame(0x01, []byte("stty size\n"))))
	readUntil(t, ctx, conn, &out, "50 200")
	// exit ends the session: SessionClose, then a normal close.
	must(t, conn.Write(ctx, websocket.MessageBinary, frame(0x01, []byte("exit\n"))))
	if !readUntil(t, ctx, conn, &out, "never-printed") {
		t.Fatal("no SessionClose")
	}
	_, _, err = conn.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("close: %v", err)
	}

	// Root on request; Shutdown from the client ends the shell.
	conn2, _, err := c.DialWebSocket(ctx, "/vm/"+vm+"/shell", url.Values{"uid": {"0"}, "cwd": {"/tmp"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.CloseNow()
	must(t, conn2.Write(ctx, websocket.MessageBinary, frame(0x02, winsize(24, 80))))
	must(t, conn2.Write(ctx, websocket.MessageBinary, frame(0x01, []byte("echo uid=$(id -u) cwd=$(pwd)\n"))))
	out.Reset()
	readUntil(t, ctx, conn2, &out, "uid=0 cwd=/tmp")
	must(t, conn2.Write(ctx, websocket.MessageBinary, frame(0x03, nil)))
	for {
		if _, _, err := conn2.Read(ctx); err != nil {
			break
		}
	}

	// Paused VM: 409 before the upgrade; unknown VM: 404.
	must(t, c.PauseVM(ctx, vm))
	_, _, err = c.DialWebSocket(ctx, "/vm/"+vm+"/shell", nil, nil)
	wantStatus(t, err, 409)
	must(t, c.ResumeVM(ctx, vm))
	_, _, err = c.DialWebSocket(ctx, "/vm/vm-9/shell", nil, nil)
	wantStatus(t, err, 404)
}

func TestForward(t *testing.T) {
	_, c := setup(t)
	ctx := ctxT(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	// An echo server inside the VM on loopback (the VM's own netns) and on a unix socket.
	_, err := c.ExecBackground(ctx, vm, client.ExecBackgroundRequest{Command: "python3", Args: []string{"-c", `
import socket, threading, os
def serve(s):
    while True:
        c, _ = s.accept()
        def h(c):
            while True:
                d = c.recv(65536)
                if not d: break
                c.sendall(d.upper())
            c.close()
        threading.Thread(target=h, args=(c,)).start()
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(("127.0.0.1", 7070)); t.listen()
u = socket.socket(socket.AF_UNIX); u.bind("/tmp/echo.sock"); os.chmod("/tmp/echo.sock", 0o700); u.listen()
threading.Thread(target=serve, args=(u,)).start()
open("/tmp/ready", "w").close()
serve(t)
`}, UID: 1000, GID: 1000})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if ok, _ := c.Exists(ctx, vm, "/tmp/ready"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Skip("python3 is not available in the sandbox")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, up := range []string{"127.0.0.1:7070", "unix:/tmp/echo.sock"} {
		conn, resp, err := c.DialWebSocket(ctx, "/vm/"+vm+"/forward", nil, http.Header{"X-Inlets-Upstream": {up}, "X-Inlets-Mode": {"local"}})
		if err != nil {
			t.Fatalf("%s: %v", up, err)
		}
		if resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("%s: status %d", up, resp.StatusCode)
		}
		nc := websocket.NetConn(ctx, conn, websocket.MessageBinary)
		payload := bytes.Repeat([]byte("abc"), 100000)
		go func() { _, _ = nc.Write(payload) }()
		got := make([]byte, len(payload))
		if _, err := io.ReadFull(nc, got); err != nil {
			t.Fatalf("%s: %v", up, err)
		}
		if !bytes.Equal(got, bytes.ToUpper(payload)) {
			t.Fatalf("%s: echoed data differs", up)
		}
		nc.Close()
	}
	// The daemon relays the VM side in pieces larger than io.Copy's 32 KiB
	// (one WebSocket message per read of up to 256 KiB): bulk forwards
	// cost fewer messages and system calls on both ends (bench/).
	conn, _, err := c.DialWebSocket(ctx, "/vm/"+vm+"/forward", nil, http.Header{"X-Inlets-Upstream": {"unix:/tmp/echo.sock"}})
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(-1)
	biggest := 0
	for try := 0; try < 5 && biggest <= 32<<10; try++ {
		payload := bytes.Repeat([]byte("x"), 1<<20)
		werr := make(chan error, 1)
		go func() { werr <- conn.Write(ctx, websocket.MessageBinary, payload) }()
		for got := 0; got < len(payload); {
			_, b, err := conn.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got += len(b)
			biggest = max(biggest, len(b))
		}
		if err := <-werr; err != nil {
			t.Fatal(err)
		}
	}
	if biggest <= 32<<10 {
		t.Errorf("largest forwarded message %d bytes, want more than 32 KiB", biggest)
	}
	conn.Close(websocket.StatusNormalClosure, "")
	// The host's loopback is not the VM's: a host listener is unreachable.
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hl.Close()
	conn, _, err = c.DialWebSocket(ctx, "/vm/"+vm+"/forward", nil, http.Header{"X-Inlets-Upstream": {hl.Addr().String()}})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = conn.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusInternalError {
		t.Fatalf("dial of a host port: %v", err)
	}
	_, _, err = c.DialWebSocket(ctx, "/vm/"+vm+"/forward", nil, nil)
	wantStatus(t, err, 400)
}
