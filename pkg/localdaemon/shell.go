package localdaemon

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"github.com/slicer-cli/slicer/pkg/client/shell"
	"github.com/slicer-cli/slicer/pkg/localdaemon/sandbox"
)

// Shell frames (PROTOCOL.md §12.2) use the codec of pkg/client/shell: one
// frame per binary WebSocket message, type byte + big-endian uint32 payload
// length + payload.
const (
	frameData         = shell.FrameTypeData
	frameWindowSize   = shell.FrameTypeWindowSize
	frameShutdown     = shell.FrameTypeShutdown
	frameSessionClose = shell.FrameTypeSessionClose
)

func encodeFrame(typ byte, payload []byte) []byte { return shell.EncodeFrame(typ, payload) }

// decodeFrame parses one message; ok is false for a malformed one.
func decodeFrame(msg []byte) (typ byte, payload []byte, ok bool) {
	f, err := shell.DecodeFrame(msg)
	if err != nil {
		return 0, nil, false
	}
	return f.Type, f.Payload, true
}

// windowSize decodes a WindowSize payload, rejecting sizes a PTY cannot take.
func windowSize(p []byte) (rows, cols uint16, ok bool) {
	r, c, err := shell.ParseWindowSize(p)
	if err != nil || r == 0 || c == 0 || r > 0xffff || c > 0xffff {
		return 0, 0, false
	}
	return uint16(r), uint16(c), true
}

func isWebSocketUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket") &&
		strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade")
}

func (d *Daemon) handleShell(w http.ResponseWriter, r *http.Request) error {
	vm, err := d.vm(r.PathValue("hostname"))
	if err != nil {
		return err
	}
	sb, root, _, err := vm.guest()
	if err != nil {
		return err
	}
	if !isWebSocketUpgrade(r) {
		return badRequest("the shell endpoint needs a WebSocket upgrade")
	}
	u, err := uploadOwner(r, root)
	if err != nil {
		return err
	}
	sh := r.URL.Query().Get("shell")
	if sh == "" {
		sh = "/bin/bash"
	}
	cwd := r.URL.Query().Get("cwd")
	if cwd != "" {
		abs, _, err := guestPath(cwd, u.home)
		if err != nil {
			return err
		}
		cwd = abs
	}
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return nil // Accept has answered the client
	}
	c.SetReadLimit(1 << 20)
	ctx, cancel := context.WithCancel(d.ctx)
	defer cancel()
	// One reader feeds every client message to msgs.
	msgs := make(chan []byte, 16)
	go func() {
		defer close(msgs)
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil {
				return
			}
			if typ != websocket.MessageBinary {
				continue
			}
			select {
			case msgs <- msg:
			case <-ctx.Done():
				return
			}
		}
	}()

	// The client sends its window size first; start the shell at that size.
	rows, cols := uint16(24), uint16(80)
	var early [][]byte
	select {
	case msg, ok := <-msgs:
		if !ok {
			c.CloseNow()
			return nil
		}
		if t, p, ok := decodeFrame(msg); ok && t == frameWindowSize {
			if rr, cc, ok := windowSize(p); ok {
				rows, cols = rr, cc
			}
		} else {
			early = append(early, msg)
		}
	case <-time.After(time.Second):
	}

	proc, err := sb.Exec(ctx, sandbox.ExecSpec{
		Argv: []string{sh, "-l"}, UID: u.uid, GID: u.gid, Cwd: cwd,
		Env: []string{"TERM=xterm-256color"}, Stdin: true, PTY: true, Rows: rows, Cols: cols,
	})
	if err != nil {
		_ = c.Write(ctx, websocket.MessageBinary, encodeFrame(frameData, []byte("slicer: cannot start shell: "+err.Error()+"\r\n")))
		_ = c.Write(ctx, websocket.MessageBinary, encodeFrame(frameSessionClose, nil))
		c.Close(websocket.StatusInternalError, "cannot start shell")
		return nil
	}
	defer proc.Close()

	var writeMu sync.Mutex
	send := func(typ byte, p []byte) error {
		writeMu.Lock()
		defer writeMu.Unlock()
		wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
		defer wcancel()
		return c.Write(wctx, websocket.MessageBinary, encodeFrame(typ, p))
	}

	handle := func(msg []byte) bool {
		t, p, ok := decodeFrame(msg)
		if !ok {
			return true
		}
		switch t {
		case frameData:
			if len(p) > 0 {
				if _, err := proc.Stdin.Write(p); err != nil {
					return false
				}
			}
		case frameWindowSize:
			if rr, cc, ok := windowSize(p); ok {
				_ = proc.Resize(rr, cc)
			}
		case frameShutdown, frameSessionClose:
			return false
		}
		return true
	}

	// Input: client frames to the PTY.
	inputDone := make(chan struct{})
	go func() {
		defer close(inputDone)
		for _, m := range early {
			if !handle(m) {
				return
			}
		}
		for msg := range msgs {
			if !handle(msg) {
				return
			}
		}
	}()
	// Output: PTY to client.
	outputDone := make(chan struct{})
	go func() {
		defer close(outputDone)
		buf := make([]byte, shell.MaxDataPayload)
		for {
			n, err := proc.Stdout.Read(buf)
			if n > 0 {
				if send(frameData, buf[:n]) != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()

	select {
	case <-proc.Done():
		// The shell ended: deliver the rest of its output, then close.
		select {
		case <-outputDone:
		case <-time.After(2 * time.Second):
		}
		_ = send(frameSessionClose, nil)
		c.Close(websocket.StatusNormalClosure, "session ended")
	case <-inputDone:
		// The client ended the session (Shutdown frame) or went away.
		_ = proc.Signal(syscall.SIGHUP)
		select {
		case <-proc.Done():
		case <-time.After(2 * time.Second):
			_ = proc.Signal(syscall.SIGKILL)
		}
		c.Close(websocket.StatusNormalClosure, "session ended")
	}
	cancel()
	_, _ = proc.Wait()
	// Closing the process's streams ends the output goroutine even when a
	// background job in the VM still holds the terminal open.
	_ = proc.Close()
	<-outputDone
	<-inputDone
	for range msgs {
	}
	return nil
}
