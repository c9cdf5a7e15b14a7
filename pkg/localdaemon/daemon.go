// Package localdaemon is the embedded Slicer-compatible daemon behind
// `slicer local`: it serves the Slicer REST API (../shared/spec/openapi.yaml
// with the semantics of ../shared/spec/PROTOCOL.md) and runs each VM as a
// bubblewrap sandbox (package sandbox).
//
// Layout of the state directory:
//
//	slicer.sock         unix socket, mode 0600, no token
//	token               bearer token for the TCP listener, mode 0600
//	lock                held while a daemon serves this directory
//	secrets/            secret values (0600) and secrets.json metadata
//	proxy.json          proxy admin state (clients, secrets, allow rules), 0600
//	vms/<hostname>/     vm.json, console.log, root/ (the VM's /), secrets/
//
// The daemon acts on a VM's files host-side, through os.Root opened on the
// VM's root directory, so no path, symlink or ".." reaches outside it.
//
// The egress proxy's admin API is implemented (state is kept and validated);
// its data plane (the CONNECT listener that injects credentials) is not part
// of slicer local.
package localdaemon

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options configures a daemon.
type Options struct {
	// StateDir holds VMs, secrets, proxy state, the socket and the token.
	StateDir string
	// Listen, when set (HOST:PORT), adds a TCP listener that requires the
	// bearer token stored in <StateDir>/token.
	Listen string
	// Config lists the host groups; the zero value means DefaultConfig.
	Config Config
	// Log receives one line per request and lifecycle messages; nil discards.
	Log io.Writer
	// HeartbeatInterval is the fs-watch SSE heartbeat period (default 15s).
	HeartbeatInterval time.Duration
	// Version is what GET /info and agent health report: the version of the
	// slicer binary serving them ("dev" when empty).
	Version string
}

// Daemon is a running local daemon.
type Daemon struct {
	opts      Options
	stateDir  string
	token     string
	socket    string
	tcpAddr   string
	lockFile  *os.File
	logger    *log.Logger
	groups    []HostGroupConfig
	started   time.Time
	heartbeat time.Duration

	ctx    context.Context
	cancel context.CancelFunc

	metrics metrics

	mu      sync.Mutex
	vms     map[string]*VM
	secrets *secretStore
	proxy   *proxyStore

	servers  []*http.Server
	wg       sync.WaitGroup
	handlers sync.WaitGroup
	closed   bool
}

// SocketPath returns the unix socket the daemon listens on.
func (d *Daemon) SocketPath() string { return d.socket }

// TCPAddr returns the TCP listener's address, or "" without one.
func (d *Daemon) TCPAddr() string { return d.tcpAddr }

// Token returns the bearer token required on TCP.
func (d *Daemon) Token() string { return d.token }

// StateDir returns the state directory.
func (d *Daemon) StateDir() string { return d.stateDir }

// SocketName is the unix socket's file name inside the state directory.
const SocketName = "slicer.sock"

// TokenName is the token file's name inside the state directory.
const TokenName = "token"

// Start opens the state directory, brings persistent VMs back, and starts
// serving. Call Close to stop.
func Start(opts Options) (*Daemon, error) {
	if opts.StateDir == "" {
		return nil, errors.New("state directory is required")
	}
	dir, err := filepath.Abs(opts.StateDir)
	if err != nil {
		return nil, err
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	if len(opts.Config.HostGroups) == 0 {
		opts.Config = DefaultConfig()
	} else if err := opts.Config.normalize(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	lf, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock state directory: %w", err)
	}
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lf.Close()
		return nil, fmt.Errorf("another slicer local daemon is already using %s (stop it with `slicer local down --state %s`)", dir, dir)
	}
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	d := &Daemon{
		opts:      opts,
		stateDir:  dir,
		socket:    filepath.Join(dir, SocketName),
		lockFile:  lf,
		logger:    log.New(logw, "slicer-local: ", log.LstdFlags),
		groups:    opts.Config.HostGroups,
		started:   time.Now(),
		heartbeat: opts.HeartbeatInterval,
		vms:       map[string]*VM{},
	}
	if d.heartbeat <= 0 {
		d.heartbeat = 15 * time.Second
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	ok := false
	defer func() {
		if !ok {
			d.Close()
		}
	}()
	if d.token, err = loadOrCreateToken(filepath.Join(dir, TokenName)); err != nil {
		return nil, err
	}
	if d.secrets, err = openSecretStore(filepath.Join(dir, "secrets")); err != nil {
		return nil, err
	}
	if d.proxy, err = openProxyStore(filepath.Join(dir, "proxy.json")); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "vms"), 0o700); err != nil {
		return nil, err
	}
	if err := d.loadVMs(); err != nil {
		return nil, err
	}
	if err := d.ensureDeclaredVMs(); err != nil {
		return nil, err
	}

	handler := d.routes()
	// Unix socket: file permissions are the access control, no token.
	_ = os.Remove(d.socket)
	ul, err := net.Listen("unix", d.socket)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", d.socket, err)
	}
	if err := os.Chmod(d.socket, 0o600); err != nil {
		ul.Close()
		return nil, err
	}
	d.serve(ul, d.withCommon(handler, false))
	if opts.Listen != "" {
		tl, err := net.Listen("tcp", opts.Listen)
		if err != nil {
			return nil, fmt.Errorf("listen on %s: %w", opts.Listen, err)
		}
		d.tcpAddr = tl.Addr().String()
		d.serve(tl, d.withCommon(handler, true))
	}
	if err := d.writeStatus(); err != nil {
		return nil, fmt.Errorf("write %s: %w", StatusFile, err)
	}
	ok = true
	d.logger.Printf("serving on unix:%s%s", d.socket, map[bool]string{true: " and tcp:" + d.tcpAddr, false: ""}[d.tcpAddr != ""])
	return d, nil
}

func (d *Daemon) serve(l net.Listener, h http.Handler) {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 30 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return d.ctx },
		ErrorLog:          d.logger,
	}
	d.servers = append(d.servers, srv)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		_ = srv.Serve(l)
	}()
}

// Close stops serving, stops every VM (ephemeral VMs are removed, persistent
// ones come back at the next start) and releases the state directory.
func (d *Daemon) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	vms := make([]*VM, 0, len(d.vms))
	for _, vm := range d.vms {
		vms = append(vms, vm)
	}
	d.mu.Unlock()

	// Connections go first: a client streaming exec output must see the
	// daemon vanish (no exit status, slicer exits 255), not an exit frame
	// for a process the daemon killed on its way out.
	for _, s := range d.servers {
		_ = s.Close()
	}
	d.cancel()
	var wg sync.WaitGroup
	for _, vm := range vms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vm.daemonShutdown()
		}()
	}
	wg.Wait()
	d.wg.Wait()
	handlersDone := make(chan struct{})
	go func() { d.handlers.Wait(); close(handlersDone) }()
	select {
	case <-handlersDone:
	case <-time.After(10 * time.Second):
		d.logger.Printf("some requests were still running at shutdown")
	}
	if d.socket != "" && d.lockFile != nil {
		_ = os.Remove(d.socket)
		_ = os.Remove(filepath.Join(d.stateDir, StatusFile))
	}
	if d.lockFile != nil {
		_ = syscall.Flock(int(d.lockFile.Fd()), syscall.LOCK_UN)
		d.lockFile.Close()
	}
	return nil
}

// withCommon adds the request log and, on TCP, bearer-token authentication.
// /healthz needs no token.
func (d *Daemon) withCommon(h http.Handler, requireToken bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		d.handlers.Add(1)
		defer d.handlers.Done()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			d.logger.Printf("%s %s %d %s", r.Method, r.URL.Path, sw.status, time.Since(start).Round(time.Millisecond))
			d.metrics.request(r.Method, sw.status)
		}()
		if requireToken && r.URL.Path != "/healthz" && !d.authorized(r) {
			sw.Header().Set("WWW-Authenticate", `Bearer realm="slicer"`)
			if strings.HasPrefix(r.URL.Path, "/proxy/v1/") {
				textError(sw, http.StatusUnauthorized, "missing or invalid bearer token")
				return
			}
			jsonError(sw, http.StatusUnauthorized, "missing or invalid bearer token: send Authorization: Bearer <token> (the token is in the daemon's state directory, file %q)", TokenName)
			return
		}
		h.ServeHTTP(sw, r)
	})
}

func (d *Daemon) authorized(r *http.Request) bool {
	// The scheme name is case-insensitive (RFC 9110 §11.1).
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	tok = strings.TrimSpace(tok)
	return tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(d.token)) == 1
}

func loadOrCreateToken(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil {
		if t := strings.TrimSpace(string(b)); t != "" {
			if err := os.Chmod(path, 0o600); err != nil {
				return "", err
			}
			return t, nil
		}
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(buf)
	if err := writeFileAtomic(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write token: %w", err)
	}
	return tok, nil
}

// writeFileAtomic writes data to a temporary file beside path and renames it.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach Flush, Hijack and full duplex.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
