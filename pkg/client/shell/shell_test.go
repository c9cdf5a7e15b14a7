package shell

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/slicer-cli/slicer/pkg/client"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestFrameCodec(t *testing.T) {
	if got := EncodeFrame(FrameTypeWindowSize, WindowSizePayload(40, 120)); !bytes.Equal(got, []byte{2, 0, 0, 0, 8, 0, 0, 0, 0x78, 0, 0, 0, 0x28}) {
		t.Errorf("window size frame % x", got)
	}
	if got := EncodeFrame(FrameTypeData, []byte("ls\r")); !bytes.Equal(got, []byte{1, 0, 0, 0, 3, 'l', 's', '\r'}) {
		t.Errorf("data frame % x", got)
	}
	if got := EncodeFrame(FrameTypeHeartbeat, nil); !bytes.Equal(got, []byte{4, 0, 0, 0, 0}) {
		t.Errorf("heartbeat frame % x", got)
	}
	f, err := DecodeFrame([]byte{1, 0, 0, 0, 2, 'h', 'i', 'x'})
	if err != nil || f.Type != 1 || string(f.Payload) != "hi" {
		t.Errorf("decode = %+v, %v", f, err)
	}
	for _, bad := range [][]byte{nil, {1}, {1, 0, 0, 0}, {1, 0, 0, 0, 3, 'a'}, {1, 0xff, 0xff, 0xff, 0xff}} {
		if _, err := DecodeFrame(bad); !errors.Is(err, ErrMalformedFrame) {
			t.Errorf("DecodeFrame(% x) err = %v", bad, err)
		}
	}
	rows, cols, err := ParseWindowSize(WindowSizePayload(50, 200))
	if err != nil || rows != 50 || cols != 200 {
		t.Errorf("ParseWindowSize = %d %d %v", rows, cols, err)
	}
	if _, _, err := ParseWindowSize([]byte{1}); err == nil {
		t.Error("short window size accepted")
	}
}

func FuzzDecodeFrame(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 3, 'l', 's', '\r'})
	f.Add([]byte{2, 0, 0, 0, 8, 0, 0, 0, 0x78, 0, 0, 0, 0x28})
	f.Add([]byte{4, 0, 0, 0, 0})
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, msg []byte) {
		fr, err := DecodeFrame(msg)
		if err != nil {
			return
		}
		// A decoded frame re-encodes to a prefix of the message.
		if enc := EncodeFrame(fr.Type, fr.Payload); !bytes.HasPrefix(msg, enc) {
			t.Fatalf("re-encoding % x is not a prefix of % x", enc, msg)
		}
		if fr.Type == FrameTypeWindowSize {
			ParseWindowSize(fr.Payload)
		}
	})
}

// fakeDaemon serves /vm/{vm}/shell like the Slicer agent: it echoes Data
// frames back prefixed with "echo:", reports WindowSize frames as Data
// "size RxC", and reacts to the stdin commands "exit" (SessionClose),
// "close" (normal WebSocket close), "drop" (abrupt close), "hang" (stops
// reading so pings go unanswered) and "flood N" (N output bytes).
type fakeDaemon struct {
	srv  *httptest.Server
	mu   sync.Mutex
	req  []*http.Request
	got  [][]byte // every frame received
	wg   sync.WaitGroup
	stop chan struct{}

	closed bool // set under mu before waiting on wg
}

func newFakeDaemon(t *testing.T) *fakeDaemon {
	d := &fakeDaemon{stop: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /vm/{vm}/shell", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("vm") == "missing" {
			http.Error(w, `{"error":"VM not found"}`, http.StatusNotFound)
			return
		}
		d.mu.Lock()
		d.req = append(d.req, r)
		d.mu.Unlock()
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		if !d.enter() {
			c.CloseNow()
			return
		}
		defer d.wg.Done()
		d.serve(r.Context(), c)
	})
	d.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		close(d.stop)
		d.srv.CloseClientConnections()
		d.srv.Close()
		d.mu.Lock()
		d.closed = true
		d.mu.Unlock()
		d.wg.Wait()
	})
	return d
}

func (d *fakeDaemon) frames() [][]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([][]byte(nil), d.got...)
}

func (d *fakeDaemon) serve(ctx context.Context, c *websocket.Conn) {
	defer c.CloseNow()
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		d.mu.Lock()
		d.got = append(d.got, msg)
		d.mu.Unlock()
		if typ != websocket.MessageBinary {
			continue
		}
		f, err := DecodeFrame(msg)
		if err != nil {
			continue
		}
		switch f.Type {
		case FrameTypeWindowSize:
			r, cl, _ := ParseWindowSize(f.Payload)
			c.Write(ctx, websocket.MessageBinary, EncodeFrame(FrameTypeData, fmt.Appendf(nil, "size %dx%d", r, cl)))
		case FrameTypeShutdown:
			c.Close(websocket.StatusNormalClosure, "bye")
			return
		case FrameTypeData:
			cmd := string(f.Payload)
			switch {
			case cmd == "exit":
				c.Write(ctx, websocket.MessageBinary, EncodeFrame(FrameTypeData, []byte("logout")))
				c.Write(ctx, websocket.MessageBinary, EncodeFrame(FrameTypeSessionClose, nil))
				c.Close(websocket.StatusNormalClosure, "")
				return
			case cmd == "close":
				c.Close(websocket.StatusNormalClosure, "")
				return
			case cmd == "drop":
				return // CloseNow without a close frame
			case cmd == "hang":
				<-d.stop
				return
			case strings.HasPrefix(cmd, "flood "):
				var n int
				fmt.Sscanf(cmd, "flood %d", &n)
				chunk := bytes.Repeat([]byte("x"), 4096)
				for n > 0 {
					k := min(n, len(chunk))
					if c.Write(ctx, websocket.MessageBinary, EncodeFrame(FrameTypeData, chunk[:k])) != nil {
						return
					}
					n -= k
				}
				c.Write(ctx, websocket.MessageBinary, EncodeFrame(FrameTypeData, []byte("END")))
			default:
				c.Write(ctx, websocket.MessageBinary, EncodeFrame(FrameTypeData, append([]byte("echo:"), f.Payload...)))
			}
		}
	}
}

func readUntil(t *testing.T, s *Session, want string) string {
	t.Helper()
	var buf []byte
	p := make([]byte, 4096)
	deadline := time.After(5 * time.Second)
	for !strings.Contains(string(buf), want) {
		type res struct {
			n   int
			err error
		}
		ch := make(chan res, 1)
		go func() { n, err := s.Read(p); ch <- res{n, err} }()
		select {
		case r := <-ch:
			buf = append(buf, p[:r.n]...)
			if r.err != nil {
				t.Fatalf("read: %v (have %q, want %q)", r.err, buf, want)
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %q, have %q", want, buf)
		}
	}
	return string(buf)
}

func u32(v uint32) *uint32 { return &v }

func TestDialQueryHeadersAndEcho(t *testing.T) {
	d := newFakeDaemon(t)
	c := client.NewSlicerClient(d.srv.URL, "sekret", "slicer-test/1", nil)
	s, err := Dial(context.Background(), c, "vm-1", Options{UID: u32(0), GID: u32(1000), Cwd: "/tmp", Shell: "/bin/sh", Rows: 40, Cols: 120})
	if err != nil {
		t.Fatal(err)
	}
	readUntil(t, s, "size 40x120")
	if _, err := s.Write([]byte("ls\r")); err != nil {
		t.Fatal(err)
	}
	readUntil(t, s, "echo:ls\r")
	if err := s.Resize(50, 200); err != nil {
		t.Fatal(err)
	}
	readUntil(t, s, "size 50x200")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.Err() != nil {
		t.Errorf("Err after Close = %v", s.Err())
	}
	d.mu.Lock()
	r := d.req[0]
	d.mu.Unlock()
	if got := r.URL.Query().Encode(); got != "cwd=%2Ftmp&gid=1000&shell=%2Fbin%2Fsh&uid=0" {
		t.Errorf("query %s", got)
	}
	if r.Header.Get("Authorization") != "Bearer sekret" {
		t.Errorf("Authorization %q", r.Header.Get("Authorization"))
	}
	if r.Header.Get("Sec-WebSocket-Protocol") != "" || strings.Contains(r.Header.Get("Sec-WebSocket-Extensions"), "deflate") {
		t.Errorf("unexpected subprotocol/extension: %v", r.Header)
	}
	// The first frame is the window size; the client's last one Shutdown.
	frames := d.frames()
	waitFor(t, func() bool {
		frames = d.frames()
		return len(frames) > 0 && frames[len(frames)-1][0] == FrameTypeShutdown
	})
	if frames[0][0] != FrameTypeWindowSize {
		t.Errorf("first frame % x", frames[0])
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not met")
}

func TestNoOptionalQuery(t *testing.T) {
	d := newFakeDaemon(t)
	s, err := Dial(context.Background(), client.NewSlicerClient(d.srv.URL, "", "", nil), "vm 1", Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("x"))
	readUntil(t, s, "echo:x")
	s.Close()
	d.mu.Lock()
	r := d.req[0]
	d.mu.Unlock()
	if r.URL.RawQuery != "" || r.Header.Get("Authorization") != "" {
		t.Errorf("query %q auth %q", r.URL.RawQuery, r.Header.Get("Authorization"))
	}
	if r.URL.EscapedPath() != "/vm/vm%201/shell" {
		t.Errorf("path %q", r.URL.EscapedPath())
	}
}

func TestRemoteEndsCleanly(t *testing.T) {
	for _, cmd := range []string{"exit", "close"} {
		t.Run(cmd, func(t *testing.T) {
			d := newFakeDaemon(t)
			s, err := Dial(context.Background(), client.NewSlicerClient(d.srv.URL, "", "", nil), "vm-1", Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			s.Write([]byte(cmd))
			out, err := io.ReadAll(s)
			if err != nil {
				t.Fatalf("ReadAll: %v", err)
			}
			if cmd == "exit" && string(out) != "logout" {
				t.Errorf("output %q", out)
			}
			<-s.Done()
			if s.Err() != nil {
				t.Errorf("Err = %v, want nil", s.Err())
			}
			if _, err := s.Write([]byte("more")); !errors.Is(err, ErrSessionClosed) {
				t.Errorf("Write after end: %v", err)
			}
		})
	}
}

func TestConnectionLost(t *testing.T) {
	d := newFakeDaemon(t)
	s, err := Dial(context.Background(), client.NewSlicerClient(d.srv.URL, "", "", nil), "vm-1", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Write([]byte("drop"))
	_, err = io.ReadAll(s)
	if !errors.Is(err, ErrConnectionLost) {
		t.Errorf("ReadAll err = %v", err)
	}
	<-s.Done()
	if !errors.Is(s.Err(), ErrConnectionLost) {
		t.Errorf("Err = %v", s.Err())
	}
}

func TestDeadPeerDetected(t *testing.T) {
	d := newFakeDaemon(t)
	s, err := Dial(context.Background(), client.NewSlicerClient(d.srv.URL, "", "", nil), "vm-1", Options{HeartbeatInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Write([]byte("hang"))
	select {
	case <-s.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("dead peer not detected")
	}
	if !errors.Is(s.Err(), ErrConnectionLost) {
		t.Errorf("Err = %v", s.Err())
	}
	// Heartbeats were sent before the hang.
	hb := 0
	for _, f := range d.frames() {
		if len(f) == 5 && f[0] == FrameTypeHeartbeat {
			hb++
		}
	}
	_ = hb // the daemon stopped reading at "hang"; heartbeats are checked in TestHeartbeats
}

func TestHeartbeats(t *testing.T) {
	d := newFakeDaemon(t)
	s, err := Dial(context.Background(), client.NewSlicerClient(d.srv.URL, "", "", nil), "vm-1", Options{HeartbeatInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		n := 0
		for _, f := range d.frames() {
			if bytes.Equal(f, []byte{4, 0, 0, 0, 0}) {
				n++
			}
		}
		return n >= 3
	})
	s.Close()
	if s.Err() != nil {
		t.Errorf("Err = %v", s.Err())
	}
}

func TestLargeIOIsChunkedAndOrdered(t *testing.T) {
	d := newFakeDaemon(t)
	s, err := Dial(context.Background(), client.NewSlicerClient(d.srv.URL, "", "", nil), "vm-1", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	big := bytes.Repeat([]byte("y"), 100<<10)
	if n, err := s.Write(big); err != nil || n != len(big) {
		t.Fatalf("Write = %d, %v", n, err)
	}
	waitFor(t, func() bool {
		total := 0
		for _, f := range d.frames() {
			if len(f) > MaxMessageSize {
				t.Fatalf("frame of %d bytes", len(f))
			}
			if f[0] == FrameTypeData {
				total += len(f) - HeaderLen
			}
		}
		return total == len(big)
	})
	s.Write([]byte("flood 1000000"))
	out := readUntil(t, s, "END")
	if n := strings.Count(out, "x"); n != 1000000 {
		t.Errorf("got %d flood bytes", n)
	}
}

func TestDialErrors(t *testing.T) {
	d := newFakeDaemon(t)
	c := client.NewSlicerClient(d.srv.URL, "", "", nil)
	_, err := Dial(context.Background(), c, "missing", Options{})
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusNotFound {
		t.Errorf("err = %v", err)
	}
	if _, err := Dial(context.Background(), c, "", Options{}); err == nil {
		t.Error("empty VM accepted")
	}
}

func TestCloseWhileOutputPending(t *testing.T) {
	d := newFakeDaemon(t)
	s, err := Dial(context.Background(), client.NewSlicerClient(d.srv.URL, "", "", nil), "vm-1", Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("flood 10000000")) // nobody reads it
	time.Sleep(50 * time.Millisecond)
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close blocked")
	}
}

// enter registers a running handler unless the daemon is shutting down.
func (d *fakeDaemon) enter() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	d.wg.Add(1)
	return true
}

func TestCloseOnHungDaemonIsQuick(t *testing.T) {
	// Close is bounded by closeHandshakeTimeout twice (Shutdown write, close
	// handshake); the library's own timeout would be 5 s. A short bound
	// here leaves a wide margin for a loaded machine. (Set before the
	// session's goroutines exist; they are gone once Close returns.)
	defer func(d time.Duration) { closeHandshakeTimeout = d }(closeHandshakeTimeout)
	closeHandshakeTimeout = 100 * time.Millisecond
	d := newFakeDaemon(t)
	s, err := Dial(context.Background(), client.NewSlicerClient(d.srv.URL, "", "", nil), "vm-1", Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("hang"))
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	s.Close()
	if el := time.Since(start); el > 4*time.Second {
		t.Errorf("Close took %v", el)
	}
	if s.Err() != nil {
		t.Errorf("Err = %v", s.Err())
	}
}
