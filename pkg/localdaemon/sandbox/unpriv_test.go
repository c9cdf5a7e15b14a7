package sandbox

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const unprivEnv = "SANDBOX_TEST_UNPRIVILEGED"

// TestUnprivileged runs TestUnprivilegedInner as uid/gid 65534, the way a
// daemon started by an ordinary user runs: bwrap then needs a user
// namespace.
func TestUnprivileged(t *testing.T) {
	if os.Getenv(unprivEnv) != "" {
		t.Skip("inner run")
	}
	if err := CheckBwrap(); err != nil {
		t.Skipf("bubblewrap is needed: %v", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to an unprivileged uid; as an ordinary user run TestUnprivilegedInner with " + unprivEnv + "=1")
	}
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "sandbox.test")
	src, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(dst, src)
	src.Close()
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tmp, 0o777); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-test.run", "^TestUnprivilegedInner$", "-test.v", "-test.count=1")
	cmd.Env = []string{unprivEnv + "=1", "TMPDIR=" + tmp, "HOME=" + tmp, "PATH=" + os.Getenv("PATH")}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	if strings.Contains(string(out), "No permissions to create") || strings.Contains(string(out), "setting up uid map") {
		t.Skipf("unprivileged user namespaces are disabled here:\n%s", out)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: TestUnprivilegedInner") {
		t.Fatalf("unprivileged run failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

func TestUnprivilegedInner(t *testing.T) {
	if os.Getenv(unprivEnv) == "" {
		t.Skip("run by TestUnprivileged")
	}
	if os.Geteuid() == 0 {
		t.Fatal("inner run as root")
	}
	ctx := context.Background()
	log := &logBuf{}
	// Limits usually cannot be set here (the cgroupfs belongs to root): the
	// VM starts anyway and its log says so, once.
	s, err := Start(ctx, Config{Root: filepath.Join(t.TempDir(), "root"), Hostname: "unpriv", Log: log, MemoryBytes: 256 << 20, CPUs: 1, MaxProcs: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop(ctx)
	if n := strings.Count(log.String(), "resource limits not enforced"); n > 1 {
		t.Errorf("limits reported %d times: %q", n, log.String())
	}
	for _, ctl := range []string{"memory", "pids", "cpu"} {
		if s.limitDir(ctl) == "" && !strings.Contains(log.String(), "resource limits not enforced") {
			t.Errorf("no %s limit and the VM log does not say so: %q", ctl, log.String())
		}
	}
	t.Logf("VM log: %s", log.String())
	hostFile := filepath.Join(t.TempDir(), "host-file")
	if err := os.WriteFile(hostFile, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		uid  uint32
		want string
	}{
		{0, "0 root /root"},
		{1000, "1000 ubuntu /home/ubuntu"},
	} {
		r := sh(t, s, tc.uid, `echo "$(id -u) $(id -un) $(pwd)"; hostname; touch ~/f && echo wrote; touch /usr/x 2>/dev/null || echo usr-ro; cat `+hostFile+` 2>/dev/null || echo no-host-file`)
		want := tc.want + "\nunpriv\nwrote\nusr-ro\nno-host-file\n"
		if r.stdout != want {
			t.Errorf("uid %d: got %q, want %q (stderr %q)", tc.uid, r.stdout, want, r.stderr)
		}
	}
	if r := sh(t, s, 1000, "grep CapEff /proc/self/status"); r.stdout != "CapEff:\t0000000000000000\n" {
		t.Errorf("uid 1000 capabilities: %q", r.stdout)
	}
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	if r := sh(t, s, 0, "echo ok"); r.stdout != "ok\n" {
		t.Errorf("after resume: %q", r.stdout)
	}
}
