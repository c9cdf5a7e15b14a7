package localdaemon_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/localdaemon/localdaemontest"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// setup starts a daemon and returns a unix-socket client.
func setup(t *testing.T) (*localdaemontest.Daemon, *client.SlicerClient) {
	t.Helper()
	d := localdaemontest.Start(t)
	return d, client.NewSlicerClient(d.URL, "", "slicer-test", nil)
}

func newVM(t *testing.T, c *client.SlicerClient, req client.SlicerCreateNodeRequest) string {
	t.Helper()
	resp, err := c.CreateVMWithOptions(ctxT(t), "vm", req, client.SlicerCreateNodeOptions{Wait: client.SlicerCreateNodeWaitAgent, Timeout: time.Minute})
	if err != nil {
		t.Fatalf("create VM: %v", err)
	}
	return resp.Hostname
}

// run executes argv in the VM (as root unless uid says otherwise) and
// returns stdout, stderr and the exit code.
func run(t *testing.T, c *client.SlicerClient, vm string, uid uint32, shell string, cmd string, args ...string) (string, string, int) {
	t.Helper()
	res, err := c.ExecBuffered(ctxT(t), vm, client.SlicerExecRequest{Command: cmd, Args: args, UID: uid, GID: uid, Shell: shell, Stdio: "base64"})
	if err != nil {
		t.Fatalf("exec %s %v: %v", cmd, args, err)
	}
	out, _ := res.StdoutBytes()
	errb, _ := res.StderrBytes()
	return string(out), string(errb), res.ExitCode
}

// sh runs a script as the VM's default user ubuntu (1000).
func sh(t *testing.T, c *client.SlicerClient, vm, script string) string {
	t.Helper()
	return shAs(t, c, vm, 1000, script)
}

func shAs(t *testing.T, c *client.SlicerClient, vm string, uid uint32, script string) string {
	t.Helper()
	out, errOut, code := run(t, c, vm, uid, "/bin/sh", script)
	if code != 0 {
		t.Fatalf("sh %q: exit %d: %s%s", script, code, out, errOut)
	}
	return strings.TrimSpace(out)
}

// wantStatus fails unless err is an *client.APIError with the given status.
func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want HTTP %d", status)
	}
	if !client.IsAPIStatus(err, status) {
		t.Fatalf("got %v, want HTTP %d", err, status)
	}
}

// unixHTTP is a plain net/http client on the daemon's socket.
func unixHTTP(d *localdaemontest.Daemon) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dd net.Dialer
		return dd.DialContext(ctx, "unix", d.URL)
	}}}
}

// doRaw sends req over the unix socket; the body is closed at cleanup.
func doRaw(t *testing.T, d *localdaemontest.Daemon, req *http.Request) *http.Response {
	t.Helper()
	hc := unixHTTP(d)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	t.Cleanup(func() { resp.Body.Close(); hc.CloseIdleConnections() })
	return resp
}
