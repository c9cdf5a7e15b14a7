package forward

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/slicer-cli/slicer/pkg/client"
)

// Defaults of Options.
const (
	DefaultUserAgent        = "slicer-forward/1.0"
	DefaultHandshakeTimeout = 10 * time.Second
)

// Options configures Start.
type Options struct {
	Client client.Interface
	VM     string
	Specs  []Spec

	// ClientID is sent as X-Inlets-Client-ID; default: the OS hostname.
	ClientID string
	// UserAgent is sent on each upgrade; default DefaultUserAgent.
	UserAgent string
	// HandshakeTimeout bounds each WebSocket upgrade; default
	// DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// OnError is called (from a connection's goroutine) for an error that
	// ends one forwarded connection; the listener keeps serving.
	OnError func(Spec, error)
	// OnConnect, when set, is called for each accepted local connection.
	OnConnect func(Spec, net.Addr)
	// HealthInterval, when > 0, checks every interval that the daemon
	// still answers (GET /info); a daemon that cannot be reached stops the
	// forwarder even while no connection is open.
	HealthInterval time.Duration
}

// Listener is one bound local listener.
type Listener struct {
	Spec Spec
	// Addr is the real bound address: the chosen port for port 0, the
	// socket path for unix.
	Addr net.Addr
}

// Forwarder runs the listeners of Start.
type Forwarder struct {
	opts      Options
	listeners []Listener
	lns       []net.Listener
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	mu        sync.Mutex
	conns     map[io.Closer]struct{}
	done      chan struct{}
	closeOnce sync.Once
	errOnce   sync.Once
	err       error
}

// ErrDaemonUnreachable is wrapped by Wait's error when a connection could not
// reach the daemon at all (it stopped, or the network to it broke).
var ErrDaemonUnreachable = errors.New("daemon unreachable")

// Start binds every spec's listener and starts forwarding. If any listener
// cannot be bound, the ones already bound are closed and the error names the
// spec. Each accepted connection gets its own WebSocket to GET
// /vm/{vm}/forward with the X-Inlets-* headers of PROTOCOL.md §13.1; bytes are
// copied both ways until either side ends, then both are closed. The
// forwarder stops when ctx is cancelled, Close is called, or the daemon
// cannot be reached (see Wait).
func Start(ctx context.Context, opts Options) (*Forwarder, error) {
	if opts.Client == nil {
		return nil, errors.New("forward: no client")
	}
	if opts.VM == "" {
		return nil, errors.New("forward: VM name is empty")
	}
	if len(opts.Specs) == 0 {
		return nil, errors.New("forward: no forward specs given")
	}
	if opts.ClientID == "" {
		opts.ClientID, _ = os.Hostname()
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	if opts.HandshakeTimeout <= 0 {
		opts.HandshakeTimeout = DefaultHandshakeTimeout
	}
	f := &Forwarder{opts: opts, conns: map[io.Closer]struct{}{}, done: make(chan struct{})}
	for _, sp := range opts.Specs {
		ln, err := listen(ctx, sp)
		if err != nil {
			for _, l := range f.lns {
				l.Close()
			}
			return nil, fmt.Errorf("forward %s: %w", sp, err)
		}
		f.lns = append(f.lns, ln)
		f.listeners = append(f.listeners, Listener{Spec: sp, Addr: ln.Addr()})
	}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	for i, ln := range f.lns {
		f.wg.Add(1)
		go f.acceptLoop(ln, f.listeners[i].Spec)
	}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		select {
		case <-ctx.Done():
			f.shutdown(nil)
		case <-f.ctx.Done():
		}
	}()
	if opts.HealthInterval > 0 {
		f.wg.Add(1)
		go f.healthLoop(opts.HealthInterval)
	}
	return f, nil
}

func listen(ctx context.Context, sp Spec) (net.Listener, error) {
	var lc net.ListenConfig
	switch sp.ListenNetwork {
	case "tcp":
		return lc.Listen(ctx, "tcp", sp.ListenAddress)
	case "unix":
		path := sp.ListenAddress
		if fi, err := os.Lstat(path); err == nil {
			if fi.Mode()&fs.ModeSocket == 0 {
				return nil, fmt.Errorf("%s exists and is not a socket; refusing to replace it", path)
			}
			// A stale socket: remove it only if nobody answers on it.
			if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
				c.Close()
				return nil, fmt.Errorf("%s is in use by another process", path)
			}
			if err := os.Remove(path); err != nil {
				return nil, err
			}
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		ln, err := lc.Listen(ctx, "unix", path)
		if err != nil {
			return nil, err
		}
		if err := os.Chmod(path, 0o660); err != nil {
			ln.Close()
			return nil, err
		}
		return ln, nil
	default:
		return nil, fmt.Errorf("unknown listen network %q", sp.ListenNetwork)
	}
}

// Listeners reports the bound listeners, in spec order.
func (f *Forwarder) Listeners() []Listener { return append([]Listener(nil), f.listeners...) }

// Close stops listening (removing unix socket files), closes every forwarded
// connection and waits for all goroutines. It is idempotent.
func (f *Forwarder) Close() error {
	f.shutdown(nil)
	f.wg.Wait()
	return nil
}

// Wait blocks until the forwarder stops. It returns nil after Close or the
// cancellation of Start's context, and an error wrapping
// ErrDaemonUnreachable when the daemon could not be reached.
func (f *Forwarder) Wait() error {
	<-f.done
	f.wg.Wait()
	return f.err
}

func (f *Forwarder) shutdown(err error) {
	f.errOnce.Do(func() { f.err = err })
	f.closeOnce.Do(func() {
		f.cancel()
		for _, ln := range f.lns {
			ln.Close()
		}
		f.mu.Lock()
		for c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
		close(f.done)
	})
}

func (f *Forwarder) track(c io.Closer) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ctx.Err() != nil {
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *Forwarder) untrack(c io.Closer) {
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
}

func (f *Forwarder) acceptLoop(ln net.Listener, sp Spec) {
	defer f.wg.Done()
	delay := 5 * time.Millisecond
	for {
		c, err := ln.Accept()
		if err != nil {
			if f.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off and retry.
			select {
			case <-time.After(delay):
			case <-f.ctx.Done():
				return
			}
			delay = min(2*delay, time.Second)
			continue
		}
		delay = 5 * time.Millisecond
		if !f.track(c) {
			c.Close()
			return
		}
		if f.opts.OnConnect != nil {
			f.opts.OnConnect(sp, c.RemoteAddr())
		}
		f.wg.Add(1)
		go f.handle(c, sp)
	}
}

// ForwardPath returns the escaped endpoint path of vm's forward tunnel.
func ForwardPath(vm string) string { return client.VMPath(vm, "/forward") }

func (f *Forwarder) handle(local net.Conn, sp Spec) {
	defer f.wg.Done()
	defer f.untrack(local)
	defer local.Close()

	h := http.Header{}
	h.Set("X-Inlets-Client-ID", f.opts.ClientID)
	h.Set("X-Inlets-Mode", "local")
	h.Set("X-Inlets-Upstream", sp.Upstream)
	h.Set("User-Agent", f.opts.UserAgent)
	dctx, cancel := context.WithTimeout(f.ctx, f.opts.HandshakeTimeout)
	ws, _, err := f.opts.Client.DialWebSocket(dctx, ForwardPath(f.opts.VM), nil, h)
	cancel()
	if err != nil {
		if f.ctx.Err() != nil {
			return
		}
		var ae *client.APIError
		if !errors.As(err, &ae) && !errors.Is(err, context.DeadlineExceeded) {
			// No HTTP answer at all: the daemon is gone.
			f.report(sp, err)
			f.shutdown(fmt.Errorf("%w: %v", ErrDaemonUnreachable, err))
			return
		}
		f.report(sp, err)
		return
	}
	wc := &wsCloser{ws}
	if !f.track(wc) {
		ws.CloseNow()
		return
	}
	defer f.untrack(wc)
	nc := websocket.NetConn(f.ctx, ws, websocket.MessageBinary)

	// Copy both ways; when either direction ends, tear both down (the
	// protocol has no half-close).
	errc := make(chan error, 2)
	// 256 KiB buffers rather than io.Copy's 32 KiB (the wrappers hide
	// ReadFrom/WriteTo, which would bring back 32 KiB): fewer, larger
	// WebSocket messages.
	go func() {
		_, err := io.CopyBuffer(struct{ io.Writer }{nc}, struct{ io.Reader }{local}, make([]byte, 256<<10))
		errc <- err
	}()
	go func() {
		_, err := io.CopyBuffer(struct{ io.Writer }{local}, struct{ io.Reader }{nc}, make([]byte, 256<<10))
		errc <- err
	}()
	first := <-errc
	ws.Close(websocket.StatusNormalClosure, "closing")
	local.Close()
	nc.Close()
	<-errc
	if first != nil && f.ctx.Err() == nil && !isClosedErr(first) {
		f.report(sp, first)
	}
}

func (f *Forwarder) healthLoop(every time.Duration) {
	defer f.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-f.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(f.ctx, 2*every)
		_, err := f.opts.Client.GetInfo(ctx)
		cancel()
		if err == nil || f.ctx.Err() != nil {
			continue
		}
		var ae *client.APIError
		if errors.As(err, &ae) {
			continue // it answered
		}
		f.shutdown(fmt.Errorf("%w: %v", ErrDaemonUnreachable, err))
		return
	}
}

func (f *Forwarder) report(sp Spec, err error) {
	if f.opts.OnError != nil {
		f.opts.OnError(sp, err)
	}
}

func isClosedErr(err error) bool {
	if errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) {
		return true
	}
	switch websocket.CloseStatus(err) {
	case websocket.StatusNormalClosure, websocket.StatusGoingAway:
		return true
	}
	return false
}

type wsCloser struct{ c *websocket.Conn }

func (w *wsCloser) Close() error { return w.c.CloseNow() }
