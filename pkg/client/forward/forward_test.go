package forward

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/slicer-cli/slicer/pkg/client"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseSpec(t *testing.T) {
	cwd, _ := os.Getwd()
	home, _ := os.UserHomeDir()
	tests := []struct {
		in              string
		network, listen string
		upstream        string
	}{
		{"127.0.0.1:9000", "tcp", "127.0.0.1:9000", "127.0.0.1:9000"},
		{"9001:127.0.0.1:9000", "tcp", "127.0.0.1:9001", "127.0.0.1:9000"},
		{"9001:10.0.0.5:9000", "tcp", "127.0.0.1:9001", "10.0.0.5:9000"},
		{"0:127.0.0.1:9000", "tcp", "127.0.0.1:0", "127.0.0.1:9000"},
		{"0.0.0.0:9000:127.0.0.1:9000", "tcp", "0.0.0.0:9000", "127.0.0.1:9000"},
		{"127.0.0.1:9000:/var/run/docker.sock", "tcp", "127.0.0.1:9000", "unix:/var/run/docker.sock"},
		{"9000:/var/run/docker.sock", "tcp", "127.0.0.1:9000", "unix:/var/run/docker.sock"},
		{"/tmp/docker.sock:/var/run/docker.sock", "unix", "/tmp/docker.sock", "unix:/var/run/docker.sock"},
		{"./docker.sock:/var/run/docker.sock", "unix", filepath.Join(cwd, "docker.sock"), "unix:/var/run/docker.sock"},
		{"rel/x.sock:./guest.sock", "unix", filepath.Join(cwd, "rel/x.sock"), "unix:./guest.sock"},
		{"/tmp/x.sock:9000", "unix", "/tmp/x.sock", "127.0.0.1:9000"},
		{"/tmp/x.sock:db:5432", "unix", "/tmp/x.sock", "db:5432"},
		{"  8080:127.0.0.1:80  ", "tcp", "127.0.0.1:8080", "127.0.0.1:80"},
		{"localhost:3000", "tcp", "localhost:3000", "localhost:3000"},
		// VENDOR-CLI.md §4.11: ~/.slicer/docker.sock:/... as a quoted spec.
		{"~/.slicer/docker.sock:/var/run/docker.sock", "unix", filepath.Join(home, ".slicer/docker.sock"), "unix:/var/run/docker.sock"},
		{"~/x.sock:127.0.0.1:8000", "unix", filepath.Join(home, "x.sock"), "127.0.0.1:8000"},
	}
	for _, tt := range tests {
		sp, err := ParseSpec(tt.in)
		if err != nil {
			t.Errorf("ParseSpec(%q): %v", tt.in, err)
			continue
		}
		if sp.ListenNetwork != tt.network || sp.ListenAddress != tt.listen || sp.Upstream != tt.upstream {
			t.Errorf("ParseSpec(%q) = %+v, want %s %s -> %s", tt.in, sp, tt.network, tt.listen, tt.upstream)
		}
		if sp.ListenNetwork == "tcp" && strings.HasPrefix(sp.ListenAddress, "0.0.0.0") && !strings.HasPrefix(strings.TrimSpace(tt.in), "0.0.0.0") {
			t.Errorf("ParseSpec(%q) listens on all interfaces without being asked", tt.in)
		}
	}
	for _, bad := range []string{"", "  ", "127.0.0.1", "a:b:c:d:e", "x:127.0.0.1:9000", "70000:127.0.0.1:9000",
		"-1:127.0.0.1:80", "127.0.0.1:0", ":9000", "9000::80", "/tmp/x.sock", "/tmp/x.sock:99999", ":/var/run/docker.sock", "1:2:3:4:5:6"} {
		if sp, err := ParseSpec(bad); err == nil {
			t.Errorf("ParseSpec(%q) = %+v, want error", bad, sp)
		} else if !strings.Contains(err.Error(), "invalid forward") {
			t.Errorf("ParseSpec(%q) error %q does not say what was wrong", bad, err)
		}
	}
}

// echoServer accepts connections on ln and echoes every byte back.
func echoServer(t *testing.T, ln net.Listener) {
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); io.Copy(c, c); c.Close() }()
		}
	}()
}

// fakeDaemon implements GET /vm/{vm}/forward like the agent: it dials
// X-Inlets-Upstream and splices bytes.
type fakeDaemon struct {
	srv *httptest.Server
	mu  sync.Mutex
	req []*http.Request
	wg  sync.WaitGroup

	closed bool // set under mu before waiting on wg
}

func newFakeDaemon(t *testing.T) *fakeDaemon {
	d := &fakeDaemon{}
	mux := http.NewServeMux()
	mux.HandleFunc("/vm/{vm}/forward", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("vm") != "vm-1" {
			http.Error(w, `{"error":"VM not found"}`, http.StatusNotFound)
			return
		}
		d.mu.Lock()
		d.req = append(d.req, r)
		d.mu.Unlock()
		up := r.Header.Get("X-Inlets-Upstream")
		network, addr := "tcp", up
		if strings.HasPrefix(up, "unix:") {
			network, addr = "unix", strings.TrimPrefix(up, "unix:")
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		if !d.enter() {
			ws.CloseNow()
			return
		}
		defer d.wg.Done()
		target, err := net.Dial(network, addr)
		if err != nil {
			ws.Close(websocket.StatusInternalError, "upstream unreachable")
			return
		}
		nc := websocket.NetConn(context.Background(), ws, websocket.MessageBinary)
		done := make(chan struct{}, 2)
		go func() { io.Copy(nc, target); done <- struct{}{} }()
		go func() { io.Copy(target, nc); done <- struct{}{} }()
		<-done
		target.Close()
		nc.Close()
		<-done
	})
	d.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		d.srv.CloseClientConnections()
		d.srv.Close()
		d.mu.Lock()
		d.closed = true
		d.mu.Unlock()
		d.wg.Wait()
	})
	return d
}

func tcpEcho(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	echoServer(t, ln)
	return ln.Addr().String()
}

func unixEcho(t *testing.T) string {
	p := filepath.Join(shortTemp(t), "guest.sock")
	ln, err := net.Listen("unix", p)
	if err != nil {
		t.Fatal(err)
	}
	echoServer(t, ln)
	return p
}

// shortTemp returns a temp dir with a path short enough for a socket.
func shortTemp(t *testing.T) string {
	d, err := os.MkdirTemp("", "fw")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func mustSpec(t *testing.T, s string) Spec {
	t.Helper()
	sp, err := ParseSpec(s)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func roundTrip(t *testing.T, network, addr string, payload []byte) {
	t.Helper()
	c, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() { c.Write(payload) }()
	got := make([]byte, len(payload))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read echo: %v", err)
	}
	if !bytes.Equal(got, payload) {
		t.Fatal("echo differs")
	}
}

func TestForwardAllForms(t *testing.T) {
	d := newFakeDaemon(t)
	c := client.NewSlicerClient(d.srv.URL, "tok", "ua", nil)
	tcpTarget := tcpEcho(t)
	unixTarget := unixEcho(t)
	dir := shortTemp(t)
	specs := []Spec{
		mustSpec(t, "0:"+tcpTarget),                                     // TCP -> TCP, random port
		mustSpec(t, "0:"+unixTarget),                                    // TCP -> unix
		mustSpec(t, filepath.Join(dir, "sub", "a.sock")+":"+unixTarget), // unix -> unix, parent created
		mustSpec(t, filepath.Join(dir, "b.sock")+":"+tcpTarget),         // unix -> TCP
	}
	f, err := Start(context.Background(), Options{Client: c, VM: "vm-1", Specs: specs, ClientID: "test-host"})
	if err != nil {
		t.Fatal(err)
	}
	ls := f.Listeners()
	if len(ls) != 4 {
		t.Fatalf("listeners %v", ls)
	}
	for i, l := range ls {
		addr := l.Addr.String()
		if l.Spec.ListenNetwork == "tcp" {
			if strings.HasSuffix(addr, ":0") || !strings.HasPrefix(addr, "127.0.0.1:") {
				t.Errorf("listener %d reports %s", i, addr)
			}
		} else {
			fi, err := os.Stat(addr)
			if err != nil || fi.Mode().Perm() != 0o660 {
				t.Errorf("socket %s: %v %v", addr, fi, err)
			}
		}
		roundTrip(t, l.Spec.ListenNetwork, addr, []byte("hello through "+l.Spec.String()))
	}
	d.mu.Lock()
	reqs := append([]*http.Request(nil), d.req...)
	d.mu.Unlock()
	if len(reqs) != 4 {
		t.Fatalf("%d upgrades, want one per connection", len(reqs))
	}
	wantUp := []string{tcpTarget, "unix:" + unixTarget, "unix:" + unixTarget, tcpTarget}
	for i, r := range reqs {
		h := r.Header
		if h.Get("X-Inlets-Upstream") != wantUp[i] || h.Get("X-Inlets-Mode") != "local" || h.Get("X-Inlets-Client-ID") != "test-host" ||
			h.Get("User-Agent") != DefaultUserAgent || h.Get("Authorization") != "Bearer tok" || r.URL.Path != "/vm/vm-1/forward" || r.Method != http.MethodGet {
			t.Errorf("upgrade %d: %s %s %v", i, r.Method, r.URL, h)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Wait(); err != nil {
		t.Errorf("Wait after Close = %v", err)
	}
	for _, l := range ls {
		if l.Spec.ListenNetwork == "unix" {
			if _, err := os.Lstat(l.Addr.String()); err == nil {
				t.Errorf("socket %s left behind", l.Addr)
			}
		} else if c, err := net.Dial("tcp", l.Addr.String()); err == nil {
			c.Close()
			t.Errorf("%s still accepting", l.Addr)
		}
	}
}

func TestStartCleansUpOnBindFailure(t *testing.T) {
	d := newFakeDaemon(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, busyPort, _ := net.SplitHostPort(busy.Addr().String())
	sock := filepath.Join(shortTemp(t), "ok.sock")
	specs := []Spec{mustSpec(t, sock+":/guest.sock"), mustSpec(t, busyPort+":127.0.0.1:80")}
	_, err = Start(context.Background(), Options{Client: client.NewSlicerClient(d.srv.URL, "", "", nil), VM: "vm-1", Specs: specs})
	if err == nil || !strings.Contains(err.Error(), busyPort) {
		t.Fatalf("err = %v, want a bind error naming the port", err)
	}
	if _, err := os.Lstat(sock); err == nil {
		t.Error("first listener's socket left behind")
	}
}

func TestUnixSocketPathSafety(t *testing.T) {
	d := newFakeDaemon(t)
	c := client.NewSlicerClient(d.srv.URL, "", "", nil)
	dir := shortTemp(t)
	regular := filepath.Join(dir, "file")
	os.WriteFile(regular, []byte("keep"), 0o644)
	if _, err := Start(context.Background(), Options{Client: c, VM: "vm-1", Specs: []Spec{mustSpec(t, regular+":/g.sock")}}); err == nil {
		t.Error("replaced a regular file with a socket")
	}
	if b, _ := os.ReadFile(regular); string(b) != "keep" {
		t.Error("regular file damaged")
	}
	// A stale socket (nobody listening) is replaced.
	stale := filepath.Join(dir, "stale.sock")
	ln, _ := net.Listen("unix", stale)
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	f, err := Start(context.Background(), Options{Client: c, VM: "vm-1", Specs: []Spec{mustSpec(t, stale+":/g.sock")}})
	if err != nil {
		t.Fatalf("stale socket: %v", err)
	}
	// A live socket is not stolen.
	if _, err := Start(context.Background(), Options{Client: c, VM: "vm-1", Specs: []Spec{mustSpec(t, stale+":/g.sock")}}); err == nil {
		t.Error("took over a socket in use")
	}
	f.Close()
}

func TestConnectionsSurviveEachOther(t *testing.T) {
	d := newFakeDaemon(t)
	target := tcpEcho(t)
	var mu sync.Mutex
	var errs []error
	f, err := Start(context.Background(), Options{Client: client.NewSlicerClient(d.srv.URL, "", "", nil), VM: "vm-1",
		Specs: []Spec{mustSpec(t, "0:"+target)}, OnError: func(_ Spec, err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	addr := f.Listeners()[0].Addr.String()

	// Client A resets mid-transfer.
	a, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	a.Write(bytes.Repeat([]byte("a"), 1<<20))
	a.(*net.TCPConn).SetLinger(0)
	a.Close()

	// Client B transfers 10 MB fine.
	payload := make([]byte, 10<<20)
	rand.Read(payload)
	b, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	go func() { b.Write(payload) }()
	h := sha256.New()
	b.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.CopyN(h, b, int64(len(payload))); err != nil {
		t.Fatal(err)
	}
	if want := sha256.Sum256(payload); !bytes.Equal(h.Sum(nil), want[:]) {
		t.Error("payload corrupted")
	}
	// An unknown upstream closes only that connection.
	select {
	case <-f.done:
		t.Fatal("forwarder stopped")
	default:
	}
}

func TestUpstreamFailureAndVMErrors(t *testing.T) {
	d := newFakeDaemon(t)
	c := client.NewSlicerClient(d.srv.URL, "", "", nil)
	errc := make(chan error, 4)
	// Nothing listens on the upstream: the daemon closes the tunnel.
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := dead.Addr().String()
	dead.Close()
	f, err := Start(context.Background(), Options{Client: c, VM: "vm-1", Specs: []Spec{mustSpec(t, "0:"+deadAddr)},
		OnError: func(_ Spec, err error) { errc <- err }})
	if err != nil {
		t.Fatal(err)
	}
	conn, _ := net.Dial("tcp", f.Listeners()[0].Addr.String())
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Error("read succeeded on a dead upstream")
	}
	conn.Close()
	select {
	case err := <-errc: // the daemon's close reason is reported
		if !strings.Contains(err.Error(), "upstream unreachable") {
			t.Errorf("error %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no error reported for the dead upstream")
	}
	f.Close()

	// A missing VM is a per-connection error; the listener keeps serving.
	f, err = Start(context.Background(), Options{Client: c, VM: "nope", Specs: []Spec{mustSpec(t, "0:"+deadAddr)},
		OnError: func(_ Spec, err error) { errc <- err }})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		conn, err := net.Dial("tcp", f.Listeners()[0].Addr.String())
		if err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		conn.Read(make([]byte, 1))
		conn.Close()
		select {
		case err := <-errc:
			var ae *client.APIError
			if !errors.As(err, &ae) || ae.StatusCode != http.StatusNotFound {
				t.Errorf("error %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no error reported")
		}
	}
	f.Close()
}

func TestDaemonLossStopsForwarder(t *testing.T) {
	d := newFakeDaemon(t)
	c := client.NewSlicerClient(d.srv.URL, "", "", nil)
	f, err := Start(context.Background(), Options{Client: c, VM: "vm-1", Specs: []Spec{mustSpec(t, "0:127.0.0.1:1")}})
	if err != nil {
		t.Fatal(err)
	}
	addr := f.Listeners()[0].Addr.String()
	d.srv.Close()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	done := make(chan error)
	go func() { done <- f.Wait() }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrDaemonUnreachable) {
			t.Errorf("Wait = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("forwarder kept running without a daemon")
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Error("port not released")
	}
	f.Close()
}

func TestContextCancelStops(t *testing.T) {
	d := newFakeDaemon(t)
	target := tcpEcho(t)
	ctx, cancel := context.WithCancel(context.Background())
	f, err := Start(ctx, Options{Client: client.NewSlicerClient(d.srv.URL, "", "", nil), VM: "vm-1", Specs: []Spec{mustSpec(t, "0:"+target)}})
	if err != nil {
		t.Fatal(err)
	}
	// An open connection is torn down too.
	conn, _ := net.Dial("tcp", f.Listeners()[0].Addr.String())
	defer conn.Close()
	roundTripConn(t, conn)
	cancel()
	if err := f.Wait(); err != nil {
		t.Errorf("Wait = %v", err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Error("connection still open")
	}
}

func roundTripConn(t *testing.T, c net.Conn) {
	t.Helper()
	c.Write([]byte("ping"))
	b := make([]byte, 4)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, b); err != nil || string(b) != "ping" {
		t.Fatalf("round trip: %q %v", b, err)
	}
	c.SetReadDeadline(time.Time{})
}

func TestStartValidation(t *testing.T) {
	c := client.NewSlicerClient("http://127.0.0.1:1", "", "", nil)
	sp := mustSpec(t, "0:127.0.0.1:80")
	for _, o := range []Options{{VM: "v", Specs: []Spec{sp}}, {Client: c, Specs: []Spec{sp}}, {Client: c, VM: "v"}} {
		if _, err := Start(context.Background(), o); err == nil {
			t.Errorf("Start(%+v) succeeded", o)
		}
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

func TestHealthCheckStopsIdleForwarder(t *testing.T) {
	d := newFakeDaemon(t)
	c := client.NewSlicerClient(d.srv.URL, "", "", nil)
	f, err := Start(context.Background(), Options{Client: c, VM: "vm-1", Specs: []Spec{mustSpec(t, "0:127.0.0.1:1")}, HealthInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The fake answers /info with 404: reachable, so the forwarder runs on.
	time.Sleep(100 * time.Millisecond)
	select {
	case <-f.done:
		t.Fatal("stopped while the daemon answered")
	default:
	}
	d.srv.Close()
	done := make(chan error)
	go func() { done <- f.Wait() }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrDaemonUnreachable) {
			t.Errorf("Wait = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("idle forwarder kept running without a daemon")
	}
}
