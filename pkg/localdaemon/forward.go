package localdaemon

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// handleForward tunnels one TCP or unix-socket connection inside the VM over
// a WebSocket (PROTOCOL.md §13): raw bytes in binary messages, both ways.
// The target comes from X-Inlets-Upstream: "host:port" or "unix:/path".
func (d *Daemon) handleForward(w http.ResponseWriter, r *http.Request) error {
	vm, err := d.vm(r.PathValue("hostname"))
	if err != nil {
		return err
	}
	sb, _, _, err := vm.guest()
	if err != nil {
		return err
	}
	if !isWebSocketUpgrade(r) {
		return badRequest("the forward endpoint needs a WebSocket upgrade (GET with Upgrade: websocket)")
	}
	up := strings.TrimSpace(r.Header.Get("X-Inlets-Upstream"))
	network, addr := "tcp", up
	switch {
	case up == "":
		return badRequest("X-Inlets-Upstream is required: host:port or unix:/path inside the VM")
	case strings.HasPrefix(up, "unix:"):
		network, addr = "unix", strings.TrimPrefix(up, "unix:")
		if addr == "" {
			return badRequest("X-Inlets-Upstream %q: the unix socket path is empty", up)
		}
	default:
		host, port, err := net.SplitHostPort(up)
		if err != nil || port == "" {
			return badRequest("X-Inlets-Upstream %q: want host:port or unix:/path", up)
		}
		if host == "" {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
	}
	hj := acceptSpliceHijacker(w)
	c, err := websocket.Accept(hj, r, nil)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(d.ctx)
	defer cancel()
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	upstream, err := sb.Dial(dctx, network, addr)
	dcancel()
	if err != nil {
		reason := err.Error()
		if len(reason) > 120 {
			reason = reason[:120]
		}
		c.Close(websocket.StatusInternalError, reason)
		return nil
	}
	defer upstream.Close()
	ws := websocket.NetConn(ctx, c, websocket.MessageBinary)
	defer ws.Close()
	var once sync.Once
	done := make(chan struct{})
	stop := func() { once.Do(func() { close(done) }) }
	// The VM-to-client half splices (forwardsplice.go). Otherwise 256 KiB
	// buffers rather than io.Copy's 32 KiB: the wrappers hide
	// TCPConn.WriteTo/ReadFrom, which would copy 32 KiB at a time, so each
	// WebSocket message carries up to 256 KiB and the client writes its
	// local socket in as large pieces (bench/: forward throughput).
	go func() {
		_, _ = io.CopyBuffer(struct{ io.Writer }{upstream}, struct{ io.Reader }{ws}, make([]byte, 256<<10))
		stop()
	}()
	go func() {
		if err := spliceRelay(hj, ws, upstream); err == errNoSplice {
			_, _ = io.CopyBuffer(struct{ io.Writer }{ws}, struct{ io.Reader }{upstream}, make([]byte, 256<<10))
		}
		stop()
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
	upstream.Close()
	c.Close(websocket.StatusNormalClosure, "closing")
	return nil
}
