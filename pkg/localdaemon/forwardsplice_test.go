package localdaemon

import (
	"bytes"
	"context"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/sys/unix"
)

// TestForwardSpliceRelay runs the VM-to-client relay over real sockets (a
// TCP upstream, the WebSocket over a unix socket, as the daemon serves it):
// the relay must splice (not fall back to read and write) and the client
// must receive every byte, in order, in well-formed messages, while pings
// (whose pongs the library writes on the same connection) interleave.
func TestForwardSpliceRelay(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	data := make([]byte, 24<<20+12345)
	rand.New(rand.NewSource(1)).Read(data)

	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	go func() {
		c, err := up.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		// Uneven writes: some below the splice threshold, some above.
		for rest, i := data, 0; len(rest) > 0; i++ {
			n := min(len(rest), []int{100, 70 << 10, 1 << 20, 5000, 300 << 10}[i%5])
			if _, err := c.Write(rest[:n]); err != nil {
				return
			}
			rest = rest[n:]
		}
	}()

	relayErr := make(chan error, 1)
	sndbuf := make(chan int, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hj := acceptSpliceHijacker(w)
		c, err := websocket.Accept(hj, r, nil)
		if err != nil {
			relayErr <- err
			return
		}
		upc, err := net.Dial("tcp", up.Addr().String())
		if err != nil {
			relayErr <- err
			return
		}
		defer upc.Close()
		sndbuf <- sockOpt(t, hj.conn.raw, unix.SO_SNDBUF)
		ws := websocket.NetConn(ctx, c, websocket.MessageBinary)
		go io.Copy(io.Discard, ws) // reads control frames (pings) and answers them
		relayErr <- spliceRelay(hj, ws, upc)
		c.Close(websocket.StatusNormalClosure, "closing")
	})}
	sock := filepath.Join(t.TempDir(), "d.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()

	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	c, _, err := websocket.Dial(ctx, "ws://localhost/", &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(-1)
	got := make([]byte, 0, len(data))
	pingDone := make(chan struct{})
	readDone := make(chan struct{})
	go func() {
		defer close(pingDone)
		for {
			select {
			case <-readDone:
				return
			case <-time.After(time.Millisecond):
			}
			pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
			err := c.Ping(pctx)
			pcancel()
			if err != nil {
				return
			}
		}
	}()
	for len(got) < len(data) {
		typ, b, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("after %d bytes: %v", len(got), err)
		}
		if typ != websocket.MessageBinary {
			t.Fatalf("message type %v, want binary", typ)
		}
		got = append(got, b...)
	}
	close(readDone)
	<-pingDone
	if !bytes.Equal(got, data) {
		i := 0
		for i < len(got) && got[i] == data[i] {
			i++
		}
		t.Fatalf("relayed bytes differ from offset %d", i)
	}
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("after the data: %v, want a normal close", err)
	}
	// The daemon's end holds more than the default send buffer.
	fresh, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	fraw, err := fresh.(*net.UnixConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	if got, def := <-sndbuf, sockOpt(t, fraw, unix.SO_SNDBUF); got <= def {
		t.Errorf("SO_SNDBUF of the WebSocket connection %d, want more than the default %d", got, def)
	}
	if err := <-relayErr; err != nil {
		t.Fatalf("relay: %v (want the spliced relay to end cleanly at EOF)", err)
	}
}

func sockOpt(t *testing.T, raw syscall.RawConn, opt int) int {
	t.Helper()
	var v int
	var gerr error
	if err := raw.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, opt) }); err != nil {
		t.Error(err)
	}
	if gerr != nil {
		t.Error(gerr)
	}
	return v
}

type countWrites struct {
	net.Conn
	n atomic.Int32
}

func (c *countWrites) Write(p []byte) (int, error) {
	c.n.Add(1)
	return c.Conn.Write(p)
}

// TestForwardSpliceSmallMessage: a small message (interactive traffic) still
// leaves the daemon in one write, header and payload together.
func TestForwardSpliceSmallMessage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	writes := make(chan int32, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hj := acceptSpliceHijacker(w)
		c, err := websocket.Accept(hj, r, nil)
		if err != nil {
			writes <- -1
			return
		}
		defer c.CloseNow()
		cw := &countWrites{Conn: hj.conn.Conn}
		hj.conn.Conn = cw
		err = c.Write(ctx, websocket.MessageBinary, bytes.Repeat([]byte("s"), 3000))
		if err != nil {
			writes <- -1
			return
		}
		writes <- cw.n.Load()
		_, _, _ = c.Read(ctx)
	}))
	defer srv.Close()
	c, _, err := websocket.Dial(ctx, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	_, b, err := c.Read(ctx)
	if err != nil || len(b) != 3000 {
		t.Fatalf("read %d bytes, %v", len(b), err)
	}
	if n := <-writes; n != 1 {
		t.Fatalf("a 3000-byte message took %d writes, want 1", n)
	}
}
