// Package localdaemontest starts a real slicer local daemon for Go tests:
// VMs are bubblewrap sandboxes under a temporary state directory, served on a
// unix socket and on a loopback TCP port that requires a bearer token.
//
// A test binary that imports this package (through package sandbox) becomes
// the in-VM agent when the sandbox starts it, so no separate binary is needed.
package localdaemontest

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/slicer-cli/slicer/pkg/localdaemon"
	"github.com/slicer-cli/slicer/pkg/localdaemon/sandbox"
)

// Daemon is a daemon started by Start.
type Daemon struct {
	// URL is the unix socket path, usable as a client base URL (no token).
	URL string
	// TCPURL is http://127.0.0.1:PORT; it requires Token.
	TCPURL string
	// Token is the bearer token for TCPURL.
	Token string
	// StateDir is the daemon's state directory.
	StateDir string

	// Daemon is the running daemon (replaced by Restart).
	Daemon *localdaemon.Daemon

	t    testing.TB
	opts localdaemon.Options
}

// Option adjusts the daemon's options before it starts.
type Option func(*localdaemon.Options)

// WithConfig sets the host groups.
func WithConfig(c localdaemon.Config) Option {
	return func(o *localdaemon.Options) { o.Config = c }
}

// Start runs a daemon in a fresh temporary state directory and stops it (and
// removes the directory) when the test ends. It skips the test when bwrap is
// not installed.
func Start(t testing.TB, opts ...Option) *Daemon {
	t.Helper()
	if err := sandbox.CheckBwrap(); err != nil {
		t.Skipf("slicer local needs bubblewrap: %v", err)
	}
	// A short path: unix socket names are limited to 108 bytes.
	dir, err := os.MkdirTemp("", "sl-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	o := localdaemon.Options{StateDir: filepath.Join(dir, "state"), Listen: "127.0.0.1:0", Log: newTestWriter(t)}
	for _, opt := range opts {
		opt(&o)
	}
	d := &Daemon{t: t, opts: o}
	d.start()
	t.Cleanup(func() { d.Stop() })
	return d
}

func (d *Daemon) start() {
	d.t.Helper()
	ld, err := localdaemon.Start(d.opts)
	if err != nil {
		d.t.Fatalf("start local daemon: %v", err)
	}
	d.Daemon = ld
	d.URL = ld.SocketPath()
	d.TCPURL = "http://" + ld.TCPAddr()
	d.Token = ld.Token()
	d.StateDir = ld.StateDir()
}

// Stop stops the daemon (idempotent).
func (d *Daemon) Stop() {
	if d.Daemon != nil {
		_ = d.Daemon.Close()
		d.Daemon = nil
	}
}

// Restart stops the daemon and starts a new one on the same state directory
// (the TCP port may change).
func (d *Daemon) Restart() {
	d.t.Helper()
	d.Stop()
	d.start()
}

// testWriter logs through t until the test's cleanup has stopped the daemon.
type testWriter struct {
	t    testing.TB
	mu   *sync.Mutex
	done *bool
}

func newTestWriter(t testing.TB) testWriter {
	w := testWriter{t: t, mu: new(sync.Mutex), done: new(bool)}
	t.Cleanup(func() {
		w.mu.Lock()
		*w.done = true
		w.mu.Unlock()
	})
	return w
}

func (w testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !*w.done {
		w.t.Logf("%s", bytes.TrimRight(p, "\n"))
	}
	return len(p), nil
}
