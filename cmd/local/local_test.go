package local

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/localdaemon"
	"github.com/slicer-cli/slicer/pkg/localdaemon/sandbox"
)

func testFactory(env map[string]string) (*cmdutil.Factory, *iostreams.IOStreams) {
	ios, _, _, _ := iostreams.Test()
	ios.Getenv = func(k string) string { return env[k] }
	return &cmdutil.Factory{IOStreams: ios}, ios
}

func TestNewCmdUp(t *testing.T) {
	cwd, _ := os.Getwd()
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    UpOptions
		wantErr string
	}{
		{name: "defaults", env: map[string]string{"XDG_STATE_HOME": "/x/state"}, want: UpOptions{StateDir: "/x/state/slicer/local"}},
		{name: "home default", env: map[string]string{"HOME": "/home/u"}, want: UpOptions{StateDir: "/home/u/.local/state/slicer/local"}},
		{name: "all flags", args: []string{"--state", "rel", "--listen", "127.0.0.1:8080", "--config", "c.yaml", "-d"},
			want: UpOptions{StateDir: filepath.Join(cwd, "rel"), Listen: "127.0.0.1:8080", ConfigFile: filepath.Join(cwd, "c.yaml"), Detach: true}},
		{name: "bad listen", args: []string{"--listen", "8080"}, wantErr: "invalid --listen"},
		{name: "extra arg", args: []string{"x"}, wantErr: "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := testFactory(tt.env)
			var got *UpOptions
			cmd := NewCmdUp(f, func(_ context.Context, o *UpOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(&strings.Builder{})
			cmd.SetErr(&strings.Builder{})
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.StateDir != tt.want.StateDir || got.Listen != tt.want.Listen || got.ConfigFile != tt.want.ConfigFile || got.Detach != tt.want.Detach {
				t.Fatalf("opts = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestUpWithoutBwrap(t *testing.T) {
	_, ios := testFactory(nil)
	err := upRun(context.Background(), &UpOptions{IO: ios, StateDir: t.TempDir(), checkBwrap: func() error {
		return errors.New("bubblewrap (bwrap) is not installed; install it with `apt-get install bubblewrap`")
	}})
	if err == nil || !strings.Contains(err.Error(), "apt-get install bubblewrap") {
		t.Fatalf("err = %v", err)
	}
}

func TestUpBadConfig(t *testing.T) {
	_, ios := testFactory(nil)
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	_ = os.WriteFile(cfg, []byte("host_groups:\n  - name: NOPE\n"), 0o644)
	err := upRun(context.Background(), &UpOptions{IO: ios, StateDir: t.TempDir(), ConfigFile: cfg, checkBwrap: func() error { return nil }})
	if err == nil || !strings.Contains(err.Error(), "lowercase DNS label") {
		t.Fatalf("err = %v", err)
	}
}

func TestStatusAndDownNotRunning(t *testing.T) {
	dir := t.TempDir()
	_, ios := testFactory(nil)
	err := statusRun(context.Background(), &StatusOptions{IO: ios, StateDir: dir})
	var ec cmdutil.ExitCodeError
	if !errors.As(err, &ec) || ec.Code != 1 {
		t.Fatalf("err = %v", err)
	}
	out := ios.Out.(interface{ String() string }).String()
	if !strings.Contains(out, "not running") || !strings.Contains(out, filepath.Join(dir, "slicer.sock")) || !strings.Contains(out, "TCP:         -") {
		t.Fatalf("status output:\n%s", out)
	}
	if err := downRun(context.Background(), &DownOptions{IO: ios, StateDir: dir, Timeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ios.ErrOut.(interface{ String() string }).String(), "not running") {
		t.Fatal("down did not say the daemon is not running")
	}
}

func TestStatusRunning(t *testing.T) {
	if sandbox.CheckBwrap() != nil {
		t.Skip("needs bwrap")
	}
	dir, _ := os.MkdirTemp("", "slt-")
	defer os.RemoveAll(dir)
	d, err := localdaemon.Start(localdaemon.Options{StateDir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_, ios := testFactory(nil)
	if err := statusRun(context.Background(), &StatusOptions{IO: ios, StateDir: dir}); err != nil {
		t.Fatal(err)
	}
	out := ios.Out.(interface{ String() string }).String()
	if !strings.Contains(out, "running (pid") || !strings.Contains(out, "http://"+d.TCPAddr()) || strings.Contains(out, d.Token()) {
		t.Fatalf("status output:\n%s", out)
	}
	_, ios = testFactory(nil)
	if err := statusRun(context.Background(), &StatusOptions{IO: ios, StateDir: dir, JSON: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ios.Out.(interface{ String() string }).String(), `"socket": "`+d.SocketPath()+`"`) {
		t.Fatalf("json: %s", ios.Out)
	}
	// A second daemon on the same state directory is refused.
	_, ios = testFactory(nil)
	err = upRun(context.Background(), &UpOptions{IO: ios, StateDir: dir, checkBwrap: func() error { return nil }})
	if err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second up: %v", err)
	}
}

// TestDetachedLifecycle builds the slicer binary and runs
// `local up -d`, `local status` and `local down` the way a user does.
func TestDetachedLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the slicer binary")
	}
	if sandbox.CheckBwrap() != nil {
		t.Skip("needs bwrap")
	}
	bin := filepath.Join(t.TempDir(), "slicer")
	build := exec.Command("go", "build", "-o", bin, "github.com/slicer-cli/slicer")
	if out, err := build.CombinedOutput(); err != nil {
		t.Skipf("cannot build the slicer binary (the tree may be mid-change): %v\n%s", err, out)
	}
	dir, _ := os.MkdirTemp("", "sld-")
	defer os.RemoveAll(dir)
	run := func(args ...string) (string, error) {
		out, err := exec.Command(bin, args...).CombinedOutput()
		return string(out), err
	}
	out, err := run("local", "up", "-d", "--state", dir, "--listen", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("up -d: %v\n%s", err, out)
	}
	defer run("local", "down", "--state", dir)
	if !strings.Contains(out, "running in the background") {
		t.Fatalf("up -d output:\n%s", out)
	}
	out, err = run("local", "status", "--state", dir)
	if err != nil || !strings.Contains(out, "running (pid") || !strings.Contains(out, "http://127.0.0.1:") {
		t.Fatalf("status: %v\n%s", err, out)
	}
	tok, _ := os.ReadFile(filepath.Join(dir, "token"))
	if strings.Contains(out, strings.TrimSpace(string(tok))) {
		t.Fatal("status printed the token")
	}
	if out, err := run("local", "up", "-d", "--state", dir); err == nil || !strings.Contains(out, "already running") {
		t.Fatalf("second up: %v\n%s", err, out)
	}
	out, err = run("local", "down", "--state", dir)
	if err != nil || !strings.Contains(out, "stopped") {
		t.Fatalf("down: %v\n%s", err, out)
	}
	out, err = run("local", "status", "--state", dir)
	if err == nil || !strings.Contains(out, "not running") {
		t.Fatalf("status after down: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "slicer.sock")); !os.IsNotExist(err) {
		t.Fatalf("socket left behind: %v", err)
	}
}
