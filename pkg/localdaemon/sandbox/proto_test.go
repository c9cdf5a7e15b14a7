package sandbox

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestProtocolRoundTrip(t *testing.T) {
	a, b := pair(t)
	defer a.Close()
	defer b.Close()
	r, w, err := osPipe(t)
	if err != nil {
		t.Fatal(err)
	}
	big := request{Op: "exec", Argv: []string{"sh", "-c", strings.Repeat("y", 3*chunkSize+17)}, UID: 1000}
	go func() {
		_ = a.send(big, r)
		r.Close()
		a.Close()
	}()
	var got request
	files, err := b.recv(&got)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || got.Argv[2] != big.Argv[2] || got.UID != 1000 {
		t.Fatalf("got %d files, argv len %d", len(files), len(got.Argv[2]))
	}
	// The passed descriptor is the pipe's read end.
	w.Write([]byte("through"))
	w.Close()
	data, _ := io.ReadAll(files[0])
	files[0].Close()
	if string(data) != "through" {
		t.Errorf("read %q through the passed pipe", data)
	}
	if _, err := b.recv(&got); err != io.EOF {
		t.Errorf("after close: %v, want EOF", err)
	}
}

// FuzzRecv feeds arbitrary datagrams to the decoder the daemon uses on what
// the agent sends.
func FuzzRecv(f *testing.F) {
	f.Add([]byte{0, '{', '}'}, []byte{})
	f.Add([]byte{1, '{'}, []byte{0, '}'})
	f.Add([]byte(`\x00{"exit":{"code":3}}`), []byte{})
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, d1, d2 []byte) {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Skip(err)
		}
		defer unix.Close(fds[0])
		c, err := newConn(fileOf(fds[1]))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for _, d := range [][]byte{d1, d2} {
			if len(d) > 0 {
				_ = unix.Sendmsg(fds[0], bytes.Clone(d), nil, nil, 0)
			}
		}
		unix.Close(fds[0])
		fds[0] = -1
		var m message
		files, _ := c.recv(&m)
		closeFiles(files)
	})
}

func pair(t *testing.T) (*conn, *conn) {
	t.Helper()
	x, y, err := socketPair()
	if err != nil {
		t.Fatal(err)
	}
	a, err := newConn(x)
	if err != nil {
		t.Fatal(err)
	}
	b, err := newConn(y)
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}
