package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// Wire format between the daemon and the agent.
//
// Both the control socket and every operation socket are SOCK_SEQPACKET unix
// sockets. A message is a JSON object sent as one or more datagrams; each
// datagram starts with one flag byte (flagMore when more datagrams of the
// same message follow, flagLast on the final one). File descriptors travel
// as SCM_RIGHTS on the first datagram of a message.

const (
	flagLast byte = 0
	flagMore byte = 1

	chunkSize      = 32 << 10 // payload bytes per datagram
	maxMessageSize = 16 << 20 // refuse larger messages
	maxFDs         = 8
)

// request is the first message on an operation socket.
type request struct {
	Op string `json:"op"` // "ping", "exec", "dial"

	// exec
	Argv  []string `json:"argv,omitempty"`
	UID   uint32   `json:"uid"`
	GID   uint32   `json:"gid"`
	Cwd   string   `json:"cwd,omitempty"`
	Env   []string `json:"env,omitempty"`
	Stdin bool     `json:"stdin,omitempty"`
	PTY   bool     `json:"pty,omitempty"`
	Rows  uint16   `json:"rows,omitempty"`
	Cols  uint16   `json:"cols,omitempty"`

	// dial
	Network   string `json:"network,omitempty"`
	Address   string `json:"address,omitempty"`
	TimeoutMS int64  `json:"timeout_ms,omitempty"`
}

// message is every later message, in both directions.
type message struct {
	// agent -> daemon
	Error   string      `json:"error,omitempty"`
	BadSpec bool        `json:"bad_spec,omitempty"` // Error is about the request (see ErrBadSpec)
	OK      bool        `json:"ok,omitempty"`
	Pid     int         `json:"pid,omitempty"`
	Exit    *ExitStatus `json:"exit,omitempty"`
	Started bool        `json:"started,omitempty"`

	// daemon -> agent
	Signal int `json:"signal,omitempty"`
}

// conn is one end of a SOCK_SEQPACKET socket, safe for one reader and
// concurrent writers.
type conn struct {
	c   *net.UnixConn
	wmu sync.Mutex
	buf []byte
	oob []byte
}

func newConn(f *os.File) (*conn, error) {
	nc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	uc, ok := nc.(*net.UnixConn)
	if !ok {
		nc.Close()
		return nil, fmt.Errorf("agent socket is a %T, not a unix socket", nc)
	}
	return &conn{c: uc}, nil
}

// socketPair returns two connected SOCK_SEQPACKET sockets as files.
func socketPair() (*os.File, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "sandbox-a"), os.NewFile(uintptr(fds[1]), "sandbox-b"), nil
}

func (c *conn) Close() error { return c.c.Close() }

// send writes v as one message with files attached.
func (c *conn) send(v any, files ...*os.File) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	var oob []byte
	if len(files) > 0 {
		fds := make([]int, len(files))
		for i, f := range files {
			fds[i] = int(f.Fd())
		}
		oob = unix.UnixRights(fds...)
	}
	for first := true; first || len(data) > 0; first = false {
		n := min(len(data), chunkSize)
		pkt := make([]byte, 1+n)
		pkt[0] = flagLast
		if n < len(data) {
			pkt[0] = flagMore
		}
		copy(pkt[1:], data[:n])
		data = data[n:]
		if _, _, err := c.c.WriteMsgUnix(pkt, oob, nil); err != nil {
			return err
		}
		oob = nil
	}
	return nil
}

// recv reads one message into v and returns the files that came with it.
// The caller owns the files. At a clean end of stream it returns io.EOF.
func (c *conn) recv(v any) ([]*os.File, error) {
	if c.buf == nil {
		c.buf = make([]byte, 1+chunkSize)
		c.oob = make([]byte, unix.CmsgSpace(maxFDs*4))
	}
	var data []byte
	var files []*os.File
	fail := func(err error) ([]*os.File, error) {
		for _, f := range files {
			f.Close()
		}
		return nil, err
	}
	for {
		n, oobn, flags, _, err := c.c.ReadMsgUnix(c.buf, c.oob)
		if oobn > 0 {
			fs, perr := parseRights(c.oob[:oobn])
			files = append(files, fs...)
			if perr != nil {
				return fail(perr)
			}
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fail(err)
		}
		if n == 0 || err != nil {
			// A zero-length datagram is how SOCK_SEQPACKET reports the
			// peer's close.
			if data == nil {
				return fail(io.EOF)
			}
			return fail(io.ErrUnexpectedEOF)
		}
		if flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0 {
			return fail(errors.New("agent protocol: truncated datagram"))
		}
		data = append(data, c.buf[1:n]...)
		if len(data) > maxMessageSize {
			return fail(errors.New("agent protocol: message too large"))
		}
		if c.buf[0] == flagLast {
			break
		}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fail(fmt.Errorf("agent protocol: %w", err))
	}
	return files, nil
}

func parseRights(oob []byte) ([]*os.File, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var files []*os.File
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			unix.CloseOnExec(fd)
			// Non-blocking, so os.NewFile makes a pollable file whose
			// Read is interrupted by Close and honours deadlines.
			_ = unix.SetNonblock(fd, true)
			files = append(files, os.NewFile(uintptr(fd), "agent-fd"))
		}
	}
	return files, nil
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}
