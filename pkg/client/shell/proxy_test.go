package shell

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/slicer-cli/slicer/pkg/client"
)

func proxyServer(t *testing.T, opts ProxyOptions) *httptest.Server {
	srv := httptest.NewServer(NewProxyHandler(opts))
	t.Cleanup(srv.Close)
	return srv
}

func wsURL(u string) string { return "ws" + strings.TrimPrefix(u, "http") }

func readFrame(t *testing.T, ctx context.Context, c *websocket.Conn) Frame {
	t.Helper()
	typ, msg, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if typ != websocket.MessageBinary {
		t.Fatalf("message type %v", typ)
	}
	f, err := DecodeFrame(msg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestProxyRelays(t *testing.T) {
	d := newFakeDaemon(t)
	c := client.NewSlicerClient(d.srv.URL, "tok", "", nil)
	p := proxyServer(t, ProxyOptions{Client: c, VMName: "vm-1", UID: u32(1000), Shell: "/bin/bash"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, _, err := websocket.Dial(ctx, wsURL(p.URL), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.CloseNow()
	b.Write(ctx, websocket.MessageBinary, EncodeFrame(FrameTypeWindowSize, WindowSizePayload(24, 80)))
	if f := readFrame(t, ctx, b); string(f.Payload) != "size 24x80" {
		t.Errorf("got %q", f.Payload)
	}
	b.Write(ctx, websocket.MessageText, []byte("text is dropped"))
	b.Write(ctx, websocket.MessageBinary, EncodeFrame(FrameTypeData, []byte("pwd\r")))
	if f := readFrame(t, ctx, b); string(f.Payload) != "echo:pwd\r" {
		t.Errorf("got %q", f.Payload)
	}
	// Shutdown is relayed and ends the session with 1000.
	b.Write(ctx, websocket.MessageBinary, EncodeFrame(FrameTypeShutdown, nil))
	_, _, err = b.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Errorf("browser close: %v", err)
	}
	d.mu.Lock()
	r := d.req[0]
	d.mu.Unlock()
	if r.URL.RawQuery != "shell=%2Fbin%2Fbash&uid=1000" || r.Header.Get("Authorization") != "Bearer tok" {
		t.Errorf("upstream query %q auth %q", r.URL.RawQuery, r.Header.Get("Authorization"))
	}
	for _, f := range d.frames() {
		if strings.Contains(string(f), "text is dropped") {
			t.Error("text message relayed")
		}
	}
	d.wg.Wait()
}

func TestProxyRemoteClose(t *testing.T) {
	d := newFakeDaemon(t)
	p := proxyServer(t, ProxyOptions{BaseURL: d.srv.URL, VMName: "vm-1"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, _, err := websocket.Dial(ctx, wsURL(p.URL), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.CloseNow()
	b.Write(ctx, websocket.MessageBinary, EncodeFrame(FrameTypeData, []byte("exit")))
	if f := readFrame(t, ctx, b); string(f.Payload) != "logout" {
		t.Errorf("got %q", f.Payload)
	}
	if f := readFrame(t, ctx, b); f.Type != FrameTypeSessionClose {
		t.Errorf("got frame %d", f.Type)
	}
	if _, _, err := b.Read(ctx); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Errorf("close: %v", err)
	}
}

func TestProxyUpstreamFailure(t *testing.T) {
	d := newFakeDaemon(t)
	p := proxyServer(t, ProxyOptions{BaseURL: d.srv.URL, VMName: "missing"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, wsURL(p.URL), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("dial: %v %v", resp, err)
	}
}

func TestProxyOrigin(t *testing.T) {
	d := newFakeDaemon(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	evil := http.Header{"Origin": {"http://evil.example"}}

	p := proxyServer(t, ProxyOptions{BaseURL: d.srv.URL, VMName: "vm-1"})
	if _, resp, err := websocket.Dial(ctx, wsURL(p.URL), &websocket.DialOptions{HTTPHeader: evil}); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin dial with default check: %v", err)
	}

	p2 := proxyServer(t, ProxyOptions{BaseURL: d.srv.URL, VMName: "vm-1", CheckOrigin: func(r *http.Request) bool {
		return r.Header.Get("Origin") == "http://good.example"
	}})
	if _, resp, err := websocket.Dial(ctx, wsURL(p2.URL), &websocket.DialOptions{HTTPHeader: evil}); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("CheckOrigin false: %v", err)
	}
	b, _, err := websocket.Dial(ctx, wsURL(p2.URL), &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://good.example"}}})
	if err != nil {
		t.Fatalf("CheckOrigin true: %v", err)
	}
	b.Close(websocket.StatusNormalClosure, "")
}
