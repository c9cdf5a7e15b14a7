package shell

import (
	"context"
	"net/http"
	"sync"

	"github.com/coder/websocket"

	"github.com/slicer-cli/slicer/pkg/client"
)

// ProxyOptions configures NewProxyHandler.
type ProxyOptions struct {
	// Client dials the daemon. When nil, a client is built from BaseURL
	// and Token (an http(s) URL or a unix socket path, as
	// client.NewSlicerClient accepts).
	Client  client.Interface
	BaseURL string
	Token   string

	// VMName is the VM whose shell every connection opens.
	VMName string
	// UID, GID, Shell and Cwd are sent upstream as in Options.
	UID, GID   *uint32
	Shell, Cwd string

	// CheckOrigin decides whether a browser's request may be upgraded.
	// When nil, the Origin header must match the request's host.
	CheckOrigin func(r *http.Request) bool
}

// ProxyHandler relays browser WebSocket connections to a VM's shell
// endpoint. Binary messages are relayed unchanged in both directions and
// text messages are dropped. After relaying a Shutdown frame in one
// direction, that direction stops; when either direction ends both sides are
// closed with 1000 "session ended". Messages are limited to
// MaxMessageSize bytes.
type ProxyHandler struct {
	c    client.Interface
	opts ProxyOptions
}

// NewProxyHandler returns a ProxyHandler for opts. Put authentication in
// front of it: anyone who reaches the handler gets a shell in the VM.
func NewProxyHandler(opts ProxyOptions) *ProxyHandler {
	c := opts.Client
	if c == nil {
		c = client.NewSlicerClient(opts.BaseURL, opts.Token, "", nil)
	}
	return &ProxyHandler{c: c, opts: opts}
}

func (h *ProxyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.opts.CheckOrigin != nil && !h.opts.CheckOrigin(r) {
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	// Dial upstream first, so a failure can still be answered with 502.
	q := Options{UID: h.opts.UID, GID: h.opts.GID, Shell: h.opts.Shell, Cwd: h.opts.Cwd}.Query()
	up, _, err := h.c.DialWebSocket(ctx, ShellPath(h.opts.VMName), q, nil)
	if err != nil {
		http.Error(w, "cannot open the VM shell: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer up.CloseNow()
	down, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: h.opts.CheckOrigin != nil})
	if err != nil {
		up.Close(websocket.StatusNormalClosure, "session ended")
		return // Accept has answered the browser
	}
	defer down.CloseNow()
	up.SetReadLimit(MaxMessageSize)
	down.SetReadLimit(MaxMessageSize)

	var once sync.Once
	end := func() {
		once.Do(func() {
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); down.Close(websocket.StatusNormalClosure, "session ended") }()
			go func() { defer wg.Done(); up.Close(websocket.StatusNormalClosure, "session ended") }()
			wg.Wait()
			cancel()
		})
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); relay(ctx, down, up); end() }()
	go func() { defer wg.Done(); relay(ctx, up, down); end() }()
	wg.Wait()
}

// relay copies binary messages from src to dst until an error or a
// Shutdown frame has been relayed.
func relay(ctx context.Context, src, dst *websocket.Conn) {
	for {
		typ, msg, err := src.Read(ctx)
		if err != nil {
			return
		}
		if typ != websocket.MessageBinary {
			continue
		}
		if err := dst.Write(ctx, websocket.MessageBinary, msg); err != nil {
			return
		}
		if len(msg) > 0 && msg[0] == FrameTypeShutdown {
			return
		}
	}
}

var _ http.Handler = (*ProxyHandler)(nil)
