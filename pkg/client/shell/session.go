package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/slicer-cli/slicer/pkg/client"
)

// DefaultHeartbeatInterval is how often a Session sends a Heartbeat frame
// and pings the daemon (PROTOCOL.md §12.3: 30 s).
const DefaultHeartbeatInterval = 30 * time.Second

// ErrConnectionLost is wrapped by Session.Err (and returned by Read) when the
// connection to the daemon broke before the remote session ended.
var ErrConnectionLost = errors.New("connection to VM lost")

// ErrSessionClosed is returned by Write and Resize after the session ended.
var ErrSessionClosed = errors.New("shell session closed")

// Options configures Dial.
type Options struct {
	// UID and GID select the user inside the VM; nil leaves the choice to
	// the guest (the query parameter is omitted). Unlike the SDK's proxy,
	// 0 (root) can be requested explicitly.
	UID, GID *uint32
	// Cwd is the starting directory; "" for the guest default.
	Cwd string
	// Shell is the shell binary inside the VM, e.g. /bin/bash; "" for the
	// guest default.
	Shell string
	// Rows and Cols are the initial terminal size, sent as the first frame
	// when both are non-zero.
	Rows, Cols uint16
	// HeartbeatInterval overrides DefaultHeartbeatInterval. A ping not
	// answered within two intervals ends the session with
	// ErrConnectionLost.
	HeartbeatInterval time.Duration
}

// Query returns the upgrade request's query parameters for opts.
func (o Options) Query() url.Values {
	q := url.Values{}
	if o.Shell != "" {
		q.Set("shell", o.Shell)
	}
	if o.UID != nil {
		q.Set("uid", strconv.FormatUint(uint64(*o.UID), 10))
	}
	if o.GID != nil {
		q.Set("gid", strconv.FormatUint(uint64(*o.GID), 10))
	}
	if o.Cwd != "" {
		q.Set("cwd", o.Cwd)
	}
	return q
}

// ShellPath returns the escaped endpoint path of vm's shell.
func ShellPath(vm string) string { return client.VMPath(vm, "/shell") }

// Session is an interactive shell in a VM. Read returns the PTY output,
// Write sends stdin. Output is not buffered beyond one frame: keep reading,
// because the end of the session (Done) is only seen after the output before
// it has been read. Always call Close, which waits for the session's
// goroutines to stop.
type Session struct {
	conn     *websocket.Conn
	ctx      context.Context // cancelled when the session ends
	cancel   context.CancelFunc
	out      *io.PipeReader
	outW     *io.PipeWriter
	done     chan struct{}
	wg       sync.WaitGroup
	once     sync.Once
	err      error // set before done is closed
	interval time.Duration

	delivering atomic.Bool // the reader is blocked handing output to Read
	writeMu    sync.Mutex  // keeps one stdin chunk sequence together
}

// Dial opens a shell in vm. ctx bounds the WebSocket handshake only; the
// session lives until the remote ends it, the connection breaks or Close is
// called. A refused upgrade is returned as the client's *client.APIError.
func Dial(ctx context.Context, c client.Interface, vm string, opts Options) (*Session, error) {
	if vm == "" {
		return nil, errors.New("shell: VM name is empty")
	}
	conn, _, err := c.DialWebSocket(ctx, ShellPath(vm), opts.Query(), nil)
	if err != nil {
		return nil, fmt.Errorf("open shell in VM %q: %w", vm, err)
	}
	conn.SetReadLimit(1 << 20)
	s := newSession(conn, opts.HeartbeatInterval)
	if opts.Rows > 0 && opts.Cols > 0 {
		if err := s.send(ctx, FrameTypeWindowSize, WindowSizePayload(opts.Rows, opts.Cols)); err != nil {
			s.Close()
			return nil, fmt.Errorf("open shell in VM %q: send window size: %w", vm, err)
		}
	}
	s.wg.Add(2)
	go s.readLoop()
	go s.heartbeatLoop()
	return s, nil
}

func newSession(conn *websocket.Conn, interval time.Duration) *Session {
	if interval <= 0 {
		interval = DefaultHeartbeatInterval
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	return &Session{conn: conn, ctx: ctx, cancel: cancel, out: pr, outW: pw, done: make(chan struct{}), interval: interval}
}

// Read reads PTY output. It returns io.EOF once the session ended cleanly
// and an error wrapping ErrConnectionLost when the connection was lost.
func (s *Session) Read(p []byte) (int, error) { return s.out.Read(p) }

// Write sends p as stdin, split into Data frames.
func (s *Session) Write(p []byte) (int, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	n := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), MaxDataPayload)]
		if err := s.send(s.ctx, FrameTypeData, chunk); err != nil {
			return n, err
		}
		n += len(chunk)
		p = p[len(chunk):]
	}
	return n, nil
}

// Resize tells the remote PTY the new terminal size.
func (s *Session) Resize(rows, cols uint16) error {
	return s.send(s.ctx, FrameTypeWindowSize, WindowSizePayload(rows, cols))
}

// Done is closed when the session has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err reports how the session ended: nil while it runs and after a clean end
// (the remote shell exited, or Close was called), an error wrapping
// ErrConnectionLost when the connection broke.
func (s *Session) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Close ends the session from the client side: it sends Shutdown, closes the
// WebSocket with 1000 and waits for the session's goroutines. It is safe to
// call more than once and after the remote ended the session.
func (s *Session) Close() error {
	select {
	case <-s.done:
	default:
		ctx, cancel := context.WithTimeout(s.ctx, closeHandshakeTimeout)
		_ = s.send(ctx, FrameTypeShutdown, nil)
		cancel()
		s.finish(nil)
	}
	// Unblock a reader stuck handing output to nobody.
	s.out.CloseWithError(ErrSessionClosed)
	s.wg.Wait()
	return nil
}

func (s *Session) send(ctx context.Context, typ byte, payload []byte) error {
	select {
	case <-s.done:
		return ErrSessionClosed
	default:
	}
	if err := s.conn.Write(ctx, websocket.MessageBinary, EncodeFrame(typ, payload)); err != nil {
		select {
		case <-s.done:
			return ErrSessionClosed
		default:
		}
		return fmt.Errorf("%w: %v", ErrConnectionLost, err)
	}
	return nil
}

// finish ends the session once: err nil means a clean end.
func (s *Session) finish(err error) {
	s.once.Do(func() {
		s.err = err
		if err == nil {
			s.outW.Close()
		} else {
			s.outW.CloseWithError(err)
		}
		close(s.done)
		if err == nil {
			closeGracefully(s.conn, closeHandshakeTimeout, s.cancel)
		} else {
			_ = s.conn.CloseNow()
		}
		s.cancel()
	})
}

func (s *Session) readLoop() {
	defer s.wg.Done()
	for {
		typ, msg, err := s.conn.Read(s.ctx)
		if err != nil {
			switch websocket.CloseStatus(err) {
			case websocket.StatusNormalClosure, websocket.StatusGoingAway:
				s.finish(nil)
			default:
				s.finish(fmt.Errorf("%w: %v", ErrConnectionLost, err))
			}
			return
		}
		if typ != websocket.MessageBinary {
			continue
		}
		f, err := DecodeFrame(msg)
		if err != nil {
			continue
		}
		switch f.Type {
		case FrameTypeData:
			if len(f.Payload) == 0 {
				continue
			}
			s.delivering.Store(true)
			_, err := s.outW.Write(f.Payload)
			s.delivering.Store(false)
			if err != nil {
				// Nobody reads any more: Close was called.
				s.finish(nil)
				return
			}
		case FrameTypeShutdown, FrameTypeSessionClose:
			s.finish(nil)
			return
		}
	}
}

func (s *Session) heartbeatLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		if err := s.send(s.ctx, FrameTypeHeartbeat, nil); err != nil {
			if !errors.Is(err, ErrSessionClosed) {
				s.finish(err)
			}
			return
		}
		ctx, cancel := context.WithTimeout(s.ctx, 2*s.interval)
		err := s.conn.Ping(ctx)
		cancel()
		if err != nil && s.ctx.Err() == nil && !s.delivering.Load() {
			s.finish(fmt.Errorf("%w: no response from the daemon for %v", ErrConnectionLost, 2*s.interval))
			return
		}
	}
}

// closeHandshakeTimeout bounds the goodbye to an unresponsive daemon, so
// that leaving a hung session (ssh's "~." in the CLI) is quick. A variable
// only so that tests can shorten it.
var closeHandshakeTimeout = time.Second

// closeGracefully closes with 1000 "session ended", waiting about d for
// the peer's close frame before abort is called. abort cancels the context
// of the read in progress, which makes the library drop the connection
// (CloseNow would only wait for the pending Close).
func closeGracefully(c *websocket.Conn, d time.Duration, abort func()) {
	done := make(chan struct{})
	go func() {
		_ = c.Close(websocket.StatusNormalClosure, "session ended")
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
		abort()
		<-done
	}
}
