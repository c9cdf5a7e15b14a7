package sandbox

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// limitsTestEnv makes the test binary, run inside a VM, allocate and touch
// the number of MiB it names and print "held".
const limitsTestEnv = "SANDBOX_TEST_HOLD_MIB"

func init() {
	if v := os.Getenv(limitsTestEnv); v != "" {
		holdMemory(v)
	}
}

func holdMemory(v string) {
	mib, _ := strconv.Atoi(v)
	b := make([]byte, mib<<20)
	for i := range b {
		b[i] = 1 // touch every page so it is really resident
	}
	os.Stdout.WriteString("held\n")
	os.Exit(int(b[len(b)-1]) - 1)
}

// startLimitedVM starts a sandbox with cfg's limits and skips the test when
// the limit of controller could not be set on this host.
func startLimitedVM(t *testing.T, name string, cfg Config, controller string) (*Sandbox, *logBuf) {
	t.Helper()
	requireBwrap(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := &logBuf{}
	cfg.Root = filepath.Join(t.TempDir(), "root")
	cfg.Hostname = name
	cfg.Log = log
	s, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
		if t.Failed() {
			t.Logf("VM log:\n%s", log.String())
		}
	})
	if s.limitDir(controller) == "" {
		t.Skipf("cgroup %s limits are not writable on this host (VM log: %s)", controller, strings.TrimSpace(log.String()))
	}
	return s, log
}

// limitDir is the cgroup directory holding the sandbox's controller limit,
// or "" when there is none.
func (s *Sandbox) limitDir(controller string) string {
	if s.limits != nil {
		for _, d := range s.limits.dirs {
			if strings.Contains(d, "/"+controller+"/") || strings.Contains(d, ","+controller+"/") || strings.Contains(d, "/"+controller+",") {
				return d
			}
		}
	}
	if s.freezer != nil && s.freezer.v2 && hasController(filepath.Join(s.freezer.dir, "cgroup.controllers"), controller) {
		return s.freezer.dir
	}
	return ""
}

func TestLimitPids(t *testing.T) {
	s, _ := startLimitedVM(t, "lim-pids", Config{MaxProcs: 50}, "pids")
	b, err := os.ReadFile(filepath.Join(s.limitDir("pids"), "pids.max"))
	if err != nil || strings.TrimSpace(string(b)) != "50" {
		t.Fatalf("pids.max = %q, %v; want 50", b, err)
	}
	// 200 concurrent sleeps: the fork fails long before; count the ones
	// that started.
	r := sh(t, s, 0, `n=0; i=0
while [ $i -lt 200 ]; do
  if sleep 3 </dev/null >/dev/null 2>&1 & then n=$((n+1)); fi
  i=$((i+1))
done
echo started=$n
exit 0`)
	t.Logf("stdout %q, stderr %.200q", r.stdout, r.stderr)
	got := strings.TrimSpace(r.stdout)
	n, err := strconv.Atoi(strings.TrimPrefix(got, "started="))
	if err != nil {
		// The shell itself may fail to fork for $(...): also a sign the
		// limit holds, as long as it says so.
		if !strings.Contains(r.stderr, "fork") && !strings.Contains(r.stderr, "Resource temporarily unavailable") {
			t.Fatalf("unexpected output %q, stderr %q, status %+v", r.stdout, r.stderr, r.status)
		}
	} else if n >= 50 {
		t.Fatalf("%d sleeps ran at once under pids.max 50 (stderr %q)", n, r.stderr)
	}
	// The host is unaffected.
	if out, err := exec.Command("sh", "-c", "echo host").Output(); err != nil || string(out) != "host\n" {
		t.Fatalf("host fork: %q, %v", out, err)
	}
	// The VM still answers once the sleeps are gone.
	deadline := time.Now().Add(15 * time.Second)
	for {
		r = sh(t, s, 0, "echo alive")
		if r.stdout == "alive\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("VM does not answer after the fork limit: %+v", r)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestLimitMemory(t *testing.T) {
	s, _ := startLimitedVM(t, "lim-mem", Config{MemoryBytes: 64 << 20}, "memory")
	dir := s.limitDir("memory")
	file := "memory.max"
	if !exists(filepath.Join(dir, file)) {
		file = "memory.limit_in_bytes"
	}
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(64<<20) {
		t.Fatalf("%s = %q, %v; want %d", file, b, err, 64<<20)
	}
	r := run(t, s, ExecSpec{Argv: []string{agentPath}, Env: []string{limitsTestEnv + "=200"}})
	if r.status.Code != 137 && r.status.Signal != "KILL" {
		t.Fatalf("a 200 MiB allocation under a 64 MiB limit ended with %+v, stdout %q", r.status, r.stdout)
	}
	t.Logf("200 MiB under 64 MiB: %+v", r.status)
	if strings.Contains(r.stdout, "held") {
		t.Fatalf("the allocation was held: %q", r.stdout)
	}
	// A small one fits, and the VM still answers.
	r = run(t, s, ExecSpec{Shell: "/bin/sh", Script: limitsTestEnv + "=8 " + agentPath})
	if r.stdout != "held\n" {
		t.Fatalf("an 8 MiB allocation under a 64 MiB limit: %+v", r)
	}
}

func TestLimitCPU(t *testing.T) {
	s, _ := startLimitedVM(t, "lim-cpu", Config{CPUs: 2}, "cpu")
	dir := s.limitDir("cpu")
	if exists(filepath.Join(dir, "cpu.max")) {
		b, err := os.ReadFile(filepath.Join(dir, "cpu.max"))
		if err != nil || strings.TrimSpace(string(b)) != "200000 100000" {
			t.Fatalf("cpu.max = %q, %v; want \"200000 100000\"", b, err)
		}
	} else {
		q, err1 := os.ReadFile(filepath.Join(dir, "cpu.cfs_quota_us"))
		p, err2 := os.ReadFile(filepath.Join(dir, "cpu.cfs_period_us"))
		if err1 != nil || err2 != nil || strings.TrimSpace(string(q)) != "200000" || strings.TrimSpace(string(p)) != "100000" {
			t.Fatalf("cpu.cfs_quota_us/period_us = %q/%q (%v, %v); want 200000/100000", q, p, err1, err2)
		}
	}
	// Every process of the VM is in that cgroup, later children included.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := s.Exec(ctx, ExecSpec{Shell: "/bin/sh", Script: "sleep 30 & sleep 30", UID: 1000, GID: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = p.Signal(9)
		p.Close()
	}()
	var pids []int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if pids = s.treePids(); len(pids) >= 5 { // init, agent, sh, 2 sleeps
			break
		}
	}
	if len(pids) < 5 {
		t.Fatalf("VM processes: %v; want init, agent, sh and two sleeps", pids)
	}
	for _, hp := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(hp) + "/cgroup")
		if err != nil {
			continue
		}
		if !strings.Contains(string(b), filepath.Base(dir)) {
			t.Errorf("VM process %d is not in the limit cgroup: %s", hp, b)
		}
	}
}

func TestLimitsInvalid(t *testing.T) {
	requireBwrap(t)
	ctx := context.Background()
	for _, cfg := range []Config{
		{Root: filepath.Join(t.TempDir(), "r"), Hostname: "x", MemoryBytes: -1},
		{Root: filepath.Join(t.TempDir(), "r"), Hostname: "x", CPUs: -1},
		{Root: filepath.Join(t.TempDir(), "r"), Hostname: "x", MaxProcs: -2},
	} {
		if s, err := Start(ctx, cfg); err == nil {
			s.Stop(ctx)
			t.Errorf("Start(%+v) succeeded", cfg)
		} else if !strings.Contains(err.Error(), "0 for no limit") {
			t.Errorf("Start(%+v): %v", cfg, err)
		}
	}
}
