package localdaemon

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// The VM-to-client half of a forward tunnel moves the payload with splice(2)
// instead of read(2) and write(2): the bytes go from the VM's socket into a
// pipe and from the pipe into the daemon's end of the WebSocket by page
// reference, so the daemon copies nothing (bench/: two of the five copies
// of every forwarded byte were the daemon's).
//
// The WebSocket library still frames every message, under its own write
// lock, so control frames (pong, close) cannot land inside a message. It
// writes through spliceConn with a 4 KiB buffer, so a large message reaches
// the connection as one small write (the frame header and the first payload
// bytes) followed by one write of the rest of the payload slice. The relay
// hands the library a slice whose first bytes are real and whose tail is a
// placeholder; spliceConn recognises the tail by its address and moves it
// from the pipe instead. The frames on the wire are exactly those the
// library would have written for the same bytes (PROTOCOL.md §13).

const (
	spliceBufSize  = 4 << 10  // the library's write buffer: a small message is still one write
	spliceMinBytes = 64 << 10 // smaller reads are relayed as plain bytes
	splicePipeSize = 1 << 20  // bytes per message at most (the pipe's capacity)
	// SO_SNDBUF of the WebSocket's connection (the kernel caps it at
	// net.core.wmem_max).
	spliceSendBuffer = 4 << 20
)

// spliceConn is the connection the WebSocket library writes to.
type spliceConn struct {
	net.Conn
	raw  syscall.RawConn
	pend atomic.Pointer[pendingSplice]
}

// pendingSplice is the message being written: buf[:head] are its real first
// bytes, the rest of buf stands for n-head bytes waiting in the pipe.
type pendingSplice struct {
	buf  []byte
	head int
	pipe int // read end
}

func (c *spliceConn) Write(p []byte) (int, error) {
	ps := c.pend.Load()
	if ps == nil || len(p) == 0 || len(p) > len(ps.buf) || &p[0] != &ps.buf[len(ps.buf)-len(p)] {
		return c.Conn.Write(p)
	}
	off := len(ps.buf) - len(p)
	if off > ps.head {
		return 0, fmt.Errorf("forward: the WebSocket library wrote %d bytes of a message before its tail, more than the %d it was given", off, ps.head)
	}
	// The tail of the message: its real bytes first, then the pipe.
	n := 0
	if off < ps.head {
		m, err := c.Conn.Write(ps.buf[off:ps.head])
		n += m
		if err != nil {
			return n, err
		}
	}
	left := len(ps.buf) - ps.head
	for left > 0 {
		var m int64
		var serr error
		err := c.raw.Write(func(fd uintptr) bool {
			m, serr = unix.Splice(ps.pipe, nil, int(fd), nil, left, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
			return serr != unix.EAGAIN
		})
		if err == nil {
			err = serr
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			return n, io.ErrUnexpectedEOF
		}
		n += int(m)
		left -= int(m)
	}
	return n, nil
}

// spliceHijacker hands the WebSocket library a spliceConn when it hijacks
// the connection.
type spliceHijacker struct {
	http.ResponseWriter
	conn *spliceConn
}

func (h *spliceHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nc, brw, nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nc, brw, nil
	}
	// The 101 answer may still sit in the server's buffer.
	if err := brw.Writer.Flush(); err != nil {
		nc.Close()
		return nil, nil, err
	}
	// A send buffer that holds several messages: the relay splices up to
	// 1 MiB at a time without waiting for the client at every 208 KiB
	// (the default), and the client reads in larger pieces.
	if wb, ok := nc.(interface{ SetWriteBuffer(int) error }); ok {
		_ = wb.SetWriteBuffer(spliceSendBuffer)
	}
	h.conn = &spliceConn{Conn: nc, raw: raw}
	return h.conn, bufio.NewReadWriter(brw.Reader, bufio.NewWriterSize(h.conn, spliceBufSize)), nil
}

// acceptSpliceHijacker wraps w for websocket.Accept.
func acceptSpliceHijacker(w http.ResponseWriter) *spliceHijacker {
	return &spliceHijacker{ResponseWriter: w}
}

// errNoSplice says the relay must fall back to read and write.
var errNoSplice = errors.New("splice not available")

// spliceRelay copies src (the VM side) to ws, the library's net.Conn over
// h's hijacked connection, splicing large reads. It returns errNoSplice
// before moving any byte when either side cannot splice.
func spliceRelay(h *spliceHijacker, ws io.Writer, src net.Conn) error {
	if h.conn == nil {
		return errNoSplice
	}
	sc, ok := src.(syscall.Conn)
	if !ok {
		return errNoSplice
	}
	sraw, err := sc.SyscallConn()
	if err != nil {
		return errNoSplice
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return errNoSplice
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	size := splicePipeSize
	if got, err := unix.FcntlInt(uintptr(p[1]), unix.F_SETPIPE_SZ, splicePipeSize); err != nil {
		got, err = unix.FcntlInt(uintptr(p[1]), unix.F_GETPIPE_SZ, 0)
		if err != nil {
			return errNoSplice
		}
		size = got
	} else {
		size = got
	}
	buf := make([]byte, size)
	for {
		// Move what the VM side has into the (empty) pipe.
		var n64 int64
		var serr error
		err := sraw.Read(func(fd uintptr) bool {
			n64, serr = unix.Splice(int(fd), nil, p[1], nil, size, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
			return serr != unix.EAGAIN
		})
		if err == nil {
			err = serr
		}
		if err != nil {
			return err
		}
		n := int(n64)
		if n == 0 {
			return nil // EOF
		}
		head := n
		if n >= spliceMinBytes {
			// What the library copies into its buffer behind the frame
			// header (10 bytes for a payload of 64 KiB or more).
			head = spliceBufSize - 10
		}
		if err := readPipe(p[0], buf[:head]); err != nil {
			return err
		}
		if head < n {
			h.conn.pend.Store(&pendingSplice{buf: buf[:n], head: head, pipe: p[0]})
		}
		_, err = ws.Write(buf[:n])
		h.conn.pend.Store(nil)
		if err != nil {
			return err
		}
	}
}

// readPipe fills b from the pipe, which holds at least len(b) bytes.
func readPipe(fd int, b []byte) error {
	for len(b) > 0 {
		m, err := unix.Read(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if m == 0 {
			return io.ErrUnexpectedEOF
		}
		b = b[m:]
	}
	return nil
}
