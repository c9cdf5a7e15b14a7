package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// helperEnv makes the test binary, run inside a VM, act as a tiny echo
// server instead of running tests (the binary is already in every VM at
// /run/slicer/agent).
const helperEnv = "SANDBOX_TEST_ECHO_SERVER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(helperEnv); spec != "" {
		echoServer(spec)
		return
	}
	goleak.VerifyTestMain(m)
}

// echoServer listens on "network address", prints "ready" and answers each
// line it reads with "echo: line".
func echoServer(spec string) {
	network, addr, _ := strings.Cut(spec, " ")
	ln, err := net.Listen(network, addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("ready")
	for {
		c, err := ln.Accept()
		if err != nil {
			os.Exit(1)
		}
		go func() {
			defer c.Close()
			sc := bufio.NewScanner(c)
			for sc.Scan() {
				fmt.Fprintf(c, "echo: %s\n", sc.Text())
			}
		}()
	}
}

func requireBwrap(t *testing.T) {
	t.Helper()
	if err := CheckBwrap(); err != nil {
		t.Skipf("bubblewrap is needed for sandbox tests: %v", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("sandbox tests run as root (as in CI); TestUnprivileged covers the user-namespace mode")
	}
}

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startVM(t *testing.T, name string) *Sandbox {
	t.Helper()
	requireBwrap(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := &logBuf{}
	s, err := Start(ctx, Config{Root: filepath.Join(t.TempDir(), "root"), Hostname: name, Log: log})
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
	return s
}

type result struct {
	stdout, stderr string
	status         ExitStatus
}

func run(t *testing.T, s *Sandbox, spec ExecSpec) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := s.Exec(ctx, spec)
	if err != nil {
		t.Fatalf("Exec(%q %q): %v", spec.Argv, spec.Script, err)
	}
	defer p.Close()
	var out, errb []byte
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if p.Stderr != nil {
			errb, _ = io.ReadAll(p.Stderr)
		}
	}()
	out, _ = io.ReadAll(p.Stdout)
	wg.Wait()
	st, err := p.Wait()
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return result{string(out), string(errb), st}
}

func sh(t *testing.T, s *Sandbox, uid uint32, script string) result {
	t.Helper()
	return run(t, s, ExecSpec{Shell: "/bin/sh", Script: script, UID: uid, GID: uid})
}

func TestExitCodes(t *testing.T) {
	s := startVM(t, "codes")
	for _, tc := range []struct {
		name   string
		spec   ExecSpec
		code   int
		signal string
		stderr string
	}{
		{"true", ExecSpec{Argv: []string{"true"}}, 0, "", ""},
		{"false", ExecSpec{Argv: []string{"false"}}, 1, "", ""},
		{"exit 3", ExecSpec{Shell: "/bin/sh", Script: "exit 3"}, 3, "", ""},
		{"exit 255", ExecSpec{Shell: "/bin/bash", Script: "exit 255"}, 255, "", ""},
		{"direct not found", ExecSpec{Argv: []string{"no-such-command-xyz"}}, 127, "", "no-such-command-xyz: command not found"},
		{"absolute not found", ExecSpec{Argv: []string{"/nope/bin"}}, 127, "", "No such file"},
		{"shell not found", ExecSpec{Shell: "/bin/sh", Script: "no-such-command-xyz"}, 127, "", "not found"},
		{"not executable", ExecSpec{Argv: []string{"/etc/passwd"}}, 126, "", "Permission denied"},
		{"directory", ExecSpec{Argv: []string{"/usr"}}, 126, "", "Is a directory"},
		{"kill -9 self", ExecSpec{Shell: "/bin/sh", Script: "kill -9 $$"}, 137, "SIGKILL", ""},
		{"kill -TERM self", ExecSpec{Shell: "/bin/sh", Script: "kill -TERM $$"}, 143, "SIGTERM", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, s, tc.spec)
			if r.status.Code != tc.code || r.status.Signal != tc.signal {
				t.Errorf("status = %+v, want code %d signal %q (stderr %q)", r.status, tc.code, tc.signal, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", r.stderr, tc.stderr)
			}
		})
	}
}

func TestOutputAndStdin(t *testing.T) {
	s := startVM(t, "stdio")
	r := sh(t, s, 0, "echo out; echo err >&2")
	if r.stdout != "out\n" || r.stderr != "err\n" {
		t.Errorf("got stdout %q stderr %q", r.stdout, r.stderr)
	}

	// Without Stdin the process reads /dev/null.
	r = run(t, s, ExecSpec{Argv: []string{"cat"}})
	if r.stdout != "" || r.status.Code != 0 {
		t.Errorf("cat without stdin: %+v", r)
	}

	// With Stdin, closing it is EOF for the process.
	ctx := context.Background()
	p, err := s.Exec(ctx, ExecSpec{Shell: "/bin/sh", Script: "wc -c; echo done", Stdin: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	payload := bytes.Repeat([]byte("0123456789"), 100_000) // bigger than a pipe buffer
	go func() {
		_, _ = p.Stdin.Write(payload)
		p.Stdin.Close()
	}()
	out, _ := io.ReadAll(p.Stdout)
	st, err := p.Wait()
	if err != nil || st.Code != 0 {
		t.Fatalf("Wait = %+v, %v", st, err)
	}
	if got := strings.Fields(string(out)); len(got) != 2 || got[0] != strconv.Itoa(len(payload)) || got[1] != "done" {
		t.Errorf("output %q, want %d then done", out, len(payload))
	}

	// Large output streams through intact.
	r = sh(t, s, 0, "head -c 10000000 /dev/zero")
	if len(r.stdout) != 10_000_000 {
		t.Errorf("got %d bytes, want 10000000", len(r.stdout))
	}

	// A request larger than one protocol datagram.
	big := "# " + strings.Repeat("x", 100_000) + "\necho big-ok"
	if r := sh(t, s, 0, big); r.stdout != "big-ok\n" {
		t.Errorf("big script: %+v", r)
	}
}

func TestUsersCwdEnv(t *testing.T) {
	s := startVM(t, "users")
	for _, tc := range []struct {
		uid  uint32
		want string
	}{
		{0, "0 root /root /root root"},
		{1000, "1000 ubuntu /home/ubuntu /home/ubuntu ubuntu"},
	} {
		r := sh(t, s, tc.uid, `echo "$(id -u) $(id -un) $HOME $(pwd) $USER"`)
		if strings.TrimSpace(r.stdout) != tc.want {
			t.Errorf("uid %d: got %q, want %q (stderr %q)", tc.uid, r.stdout, tc.want, r.stderr)
		}
	}
	r := run(t, s, ExecSpec{Shell: "/bin/bash", Script: `pwd; echo "$FOO $HOME"; echo $PATH`, UID: 1000, GID: 1000,
		Cwd: "/tmp", Env: []string{"FOO=bar", "HOME=/elsewhere"}})
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || lines[0] != "/tmp" || lines[1] != "bar /elsewhere" || !strings.Contains(lines[2], "/usr/bin") {
		t.Errorf("cwd/env: %q", r.stdout)
	}
	// The ubuntu user owns its home and can write there, not in /root.
	if r := sh(t, s, 1000, "touch ~/f && echo ok; touch /root/f 2>/dev/null || echo denied"); r.stdout != "ok\ndenied\n" {
		t.Errorf("ubuntu writes: %+v", r)
	}
	ctx := context.Background()
	if _, err := s.Exec(ctx, ExecSpec{Argv: []string{"true"}, Cwd: "/does/not/exist"}); err == nil || !strings.Contains(err.Error(), "/does/not/exist") {
		t.Errorf("missing cwd: err = %v", err)
	}
	if _, err := s.Exec(ctx, ExecSpec{}); err == nil {
		t.Error("empty spec: no error")
	}
}

func TestEtcAndHostname(t *testing.T) {
	s := startVM(t, "vm-etc-1")
	r := sh(t, s, 0, "hostname; cat /etc/hostname; grep ^ubuntu: /etc/passwd; getent passwd ubuntu; getent group ubuntu")
	want := "vm-etc-1\nvm-etc-1\nubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\nubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\nubuntu:x:1000:\n"
	if r.stdout != want {
		t.Errorf("got %q, want %q (stderr %q)", r.stdout, want, r.stderr)
	}
	r = sh(t, s, 0, "stat -c '%u %g %a' /home/ubuntu /tmp")
	if r.stdout != "1000 1000 750\n0 0 1777\n" {
		t.Errorf("ownership: %q", r.stdout)
	}
}

func TestIsolation(t *testing.T) {
	a := startVM(t, "iso-a")
	b := startVM(t, "iso-b")

	// A file of the host is not reachable.
	hostFile := filepath.Join(t.TempDir(), "host-secret")
	if err := os.WriteFile(hostFile, []byte("host"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := sh(t, a, 0, "cat "+hostFile+" 2>/dev/null || echo unreachable")
	if r.stdout != "unreachable\n" {
		t.Errorf("host file: %q", r.stdout)
	}

	// A's files are invisible to B, under the same path and under A's
	// host path.
	sh(t, a, 0, "echo a-only > /tmp/mine")
	r = sh(t, b, 0, "cat /tmp/mine 2>/dev/null || echo absent; ls "+a.cfg.Root+" 2>/dev/null || echo no-root")
	if r.stdout != "absent\nno-root\n" {
		t.Errorf("B sees A: %q", r.stdout)
	}
	// The host sees the file in A's root (fs and cp act there).
	if got, err := os.ReadFile(filepath.Join(a.cfg.Root, "tmp", "mine")); err != nil || string(got) != "a-only\n" {
		t.Errorf("host view of A: %q, %v", got, err)
	}
	// Each VM has its own pid namespace: only its own processes.
	r = sh(t, b, 0, "ls /proc | grep -c '^[0-9]'")
	if n, _ := strconv.Atoi(strings.TrimSpace(r.stdout)); n == 0 || n > 6 {
		t.Errorf("B sees %d processes", n)
	}
	// Only the process's own stdio is open: no descriptor of the daemon,
	// bwrap or the agent leaks into the VM.
	r = run(t, a, ExecSpec{Argv: []string{"ls", "/proc/self/fd"}})
	if got := strings.Fields(r.stdout); strings.Join(got, " ") != "0 1 2 3" { // 3: ls's own directory
		t.Errorf("open descriptors in the VM: %q", r.stdout)
	}
	// Network: loopback only, and up.
	r = sh(t, a, 0, "cat /proc/net/dev")
	if !strings.Contains(r.stdout, "lo:") || strings.Count(r.stdout, ":") != 1 {
		t.Errorf("interfaces: %q", r.stdout)
	}
}

func TestNoPrivileges(t *testing.T) {
	s := startVM(t, "caps")
	for _, uid := range []uint32{0, 1000} {
		r := sh(t, s, uid, "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status")
		want := "CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n" +
			"CapBnd:\t0000000000000000\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\n"
		if r.stdout != want {
			t.Errorf("uid %d capabilities:\n%s", uid, r.stdout)
		}
	}
	// Root in the VM cannot write /usr, mount, change sysctls or the
	// hostname, or reach the agent's capabilities through a new process.
	for _, script := range []string{
		"touch /usr/slicer-test",
		"mkdir /usr/lib/slicer-test",
		"mount -t tmpfs none /mnt",
		"mount -o remount,rw /usr",
		"echo 1 > /proc/sys/kernel/sysrq",
		// Sysctls that exist on every kernel, written back with their own
		// value so a failing run does not change the host.
		"v=$(cat /proc/sys/vm/swappiness) && echo $v > /proc/sys/vm/swappiness",
		"v=$(cat /proc/sys/kernel/core_pattern) && echo \"$v\" > /proc/sys/kernel/core_pattern",
		"hostname evil",
		"chown 1000 /usr/bin/true",
		"echo x > /run/slicer/agent",
	} {
		r := sh(t, s, 0, script+" 2>/dev/null && echo ALLOWED || echo refused")
		if r.stdout != "refused\n" {
			t.Errorf("%q as VM root: %q", script, r.stdout)
		}
	}
	if _, err := os.Stat("/usr/slicer-test"); err == nil {
		t.Error("/usr/slicer-test appeared on the host")
	}
	// Root cannot read a 0600 file of ubuntu (no CAP_DAC_OVERRIDE).
	r := sh(t, s, 1000, "echo private > ~/p && chmod 600 ~/p && echo ok")
	if r.stdout != "ok\n" {
		t.Fatalf("setup: %+v", r)
	}
	if r := sh(t, s, 0, "cat /home/ubuntu/p 2>/dev/null || echo refused"); r.stdout != "refused\n" {
		t.Errorf("root read ubuntu's 0600 file: %q", r.stdout)
	}
}

func TestPTY(t *testing.T) {
	s := startVM(t, "pty")
	// A shell that does not exist: the message is a terminal line, ending
	// in \r\n (the local terminal is raw), and the status is 127.
	if r := run(t, s, ExecSpec{Shell: "/bin/no-such-shell", PTY: true, Rows: 24, Cols: 80}); !strings.HasSuffix(r.stdout, "No such file or directory\r\n") || r.status.Code != 127 {
		t.Errorf("missing shell on a pty: %q %+v", r.stdout, r.status)
	}
	r := run(t, s, ExecSpec{Shell: "/bin/sh", Script: "stty size; tty; echo $TERM", PTY: true, Rows: 30, Cols: 100, UID: 1000, GID: 1000})
	lines := strings.Split(strings.ReplaceAll(r.stdout, "\r", ""), "\n")
	if len(lines) < 3 || lines[0] != "30 100" || !strings.HasPrefix(lines[1], "/dev/pts/") || lines[2] != "xterm-256color" {
		t.Errorf("pty output %q", r.stdout)
	}
	if r.status.Code != 0 {
		t.Errorf("status %+v", r.status)
	}

	// Interactive: resize, then ask again; the shell gets our input.
	ctx := context.Background()
	p, err := s.Exec(ctx, ExecSpec{Shell: "/bin/bash", Script: `read line; echo "got:$line"; stty size; exit 4`,
		PTY: true, Stdin: true, Rows: 24, Cols: 80})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Stderr != nil {
		t.Error("PTY process has a separate Stderr")
	}
	if err := p.Resize(50, 132); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(p.Stdin, "hello\n"); err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(p.Stdout)
	st, err := p.Wait()
	if err != nil || st.Code != 4 {
		t.Errorf("Wait = %+v %v", st, err)
	}
	got := strings.ReplaceAll(string(out), "\r", "")
	if !strings.Contains(got, "got:hello\n") || !strings.Contains(got, "50 132\n") {
		t.Errorf("interactive pty output %q", got)
	}
	if err := p.Resize(10, 10); err == nil {
		t.Log("resize after exit succeeded (the master may still be open)")
	}
	// Resize on a non-PTY process is an error.
	p2, err := s.Exec(ctx, ExecSpec{Argv: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p2.Resize(10, 10); err == nil {
		t.Error("Resize without a PTY succeeded")
	}
	io.Copy(io.Discard, p2.Stdout)
	p2.Wait()
	p2.Close()
}

func TestSignal(t *testing.T) {
	s := startVM(t, "signal")
	ctx := context.Background()
	// The signal reaches the whole process group: the shell and its child.
	p, err := s.Exec(ctx, ExecSpec{Shell: "/bin/sh", Script: "sleep 100 & echo started; wait"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	br := bufio.NewReader(p.Stdout)
	if line, _ := br.ReadString('\n'); line != "started\n" {
		t.Fatalf("got %q", line)
	}
	if p.Pid <= 0 {
		t.Errorf("Pid = %d", p.Pid)
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	st, err := p.Wait()
	if err != nil || st.Signal != "SIGTERM" || st.Code != 128+15 {
		t.Errorf("Wait = %+v, %v", st, err)
	}
	// Stdout reaches EOF: the background sleep died too.
	io.Copy(io.Discard, br)
	if err := p.Signal(syscall.SIGTERM); !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("signal after exit: %v", err)
	}
	if r := sh(t, s, 0, "pgrep sleep || echo none"); r.stdout != "none\n" {
		t.Errorf("sleep survived: %q", r.stdout)
	}

	// Closing an unfinished process kills it.
	p, err = s.Exec(ctx, ExecSpec{Argv: []string{"sleep", "100"}})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := sh(t, s, 0, "pgrep sleep || echo none")
		if r.stdout == "none\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("abandoned process still running")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDial(t *testing.T) {
	s := startVM(t, "dial")
	ctx := context.Background()
	for _, tc := range []struct{ network, listen, dial string }{
		{"tcp", "127.0.0.1:8123", "127.0.0.1:8123"},
		{"unix", "/tmp/echo.sock", "/tmp/echo.sock"},
	} {
		t.Run(tc.network, func(t *testing.T) {
			srv, err := s.Exec(ctx, ExecSpec{Argv: []string{agentPath}, Env: []string{helperEnv + "=" + tc.network + " " + tc.listen}})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				srv.Signal(syscall.SIGKILL)
				srv.Wait()
				srv.Close()
			}()
			br := bufio.NewReader(srv.Stdout)
			if line, err := br.ReadString('\n'); line != "ready\n" {
				b, _ := io.ReadAll(srv.Stderr)
				t.Fatalf("server: %q %v %s", line, err, b)
			}
			c, err := s.Dial(ctx, tc.network, tc.dial)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			fmt.Fprintln(c, "hi")
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || line != "echo: hi\n" {
				t.Errorf("got %q %v", line, err)
			}
		})
	}
	// Nothing listens on the host's side of the same address: the VM's
	// loopback is its own.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if c, err := s.Dial(ctx, "tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Error("dial reached a host listener")
	}
	if _, err := s.Dial(ctx, "udp", "127.0.0.1:1"); err == nil {
		t.Error("udp accepted")
	}
}

func TestPauseResume(t *testing.T) {
	for _, cgroup := range []bool{true, false} {
		t.Run(fmt.Sprintf("cgroup=%v", cgroup), func(t *testing.T) {
			old := useCgroupFreezer
			useCgroupFreezer = cgroup
			s := startVM(t, "pause")
			useCgroupFreezer = old
			if cgroup && s.freezer == nil {
				t.Log("no writable cgroup freezer here: testing the SIGSTOP path twice")
			} else if s.freezer != nil {
				t.Logf("cgroup freezer %s (v2=%v)", s.freezer.dir, s.freezer.v2)
			}
			ctx := context.Background()
			p, err := s.Exec(ctx, ExecSpec{Shell: "/bin/sh", Script: "while :; do echo x >> /tmp/tick; sleep 0.02; done"})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			tick := filepath.Join(s.cfg.Root, "tmp", "tick")
			size := func() int64 {
				fi, err := os.Stat(tick)
				if err != nil {
					return 0
				}
				return fi.Size()
			}
			waitGrow := func() {
				t.Helper()
				start := size()
				deadline := time.Now().Add(10 * time.Second)
				for size() == start {
					if time.Now().After(deadline) {
						t.Fatal("the VM is not running")
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			waitGrow()
			if err := s.Pause(); err != nil {
				t.Fatal(err)
			}
			if !s.Paused() {
				t.Error("Paused() = false")
			}
			if err := s.Pause(); err != nil { // idempotent
				t.Fatal(err)
			}
			before := size()
			time.Sleep(300 * time.Millisecond)
			if after := size(); after != before {
				t.Errorf("file grew while paused: %d -> %d", before, after)
			}
			// Stats still work; operations wait for Resume.
			if _, err := s.Stats(); err != nil {
				t.Errorf("Stats while paused: %v", err)
			}
			tctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			_, err = s.Exec(tctx, ExecSpec{Argv: []string{"true"}})
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Exec while paused: %v", err)
			}
			if err := s.Resume(); err != nil {
				t.Fatal(err)
			}
			waitGrow()
			if r := sh(t, s, 0, "echo alive"); r.stdout != "alive\n" {
				t.Errorf("after resume: %+v", r)
			}
			// Stop works on a paused VM.
			if err := s.Pause(); err != nil {
				t.Fatal(err)
			}
			if err := s.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := p.Wait(); err == nil {
				t.Error("Wait after Stop: no error, want lost connection")
			}
		})
	}
}

func TestStats(t *testing.T) {
	s := startVM(t, "stats")
	st0, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st0.Processes < 2 || st0.MemoryRSS == 0 || st0.Threads < st0.Processes {
		t.Errorf("idle stats: %+v", st0)
	}
	ctx := context.Background()
	p, err := s.Exec(ctx, ExecSpec{Shell: "/bin/sh", Script: "sleep 100 & sleep 100 & i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; echo spun; wait"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	br := bufio.NewReader(p.Stdout)
	if line, _ := br.ReadString('\n'); line != "spun\n" {
		t.Fatalf("got %q", line)
	}
	st1, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st1.Processes != st0.Processes+3 {
		t.Errorf("processes %d -> %d, want +3", st0.Processes, st1.Processes)
	}
	if st1.CPUTime <= st0.CPUTime {
		t.Errorf("CPU time did not grow: %v -> %v", st0.CPUTime, st1.CPUTime)
	}
	if st1.Uptime <= st0.Uptime {
		t.Errorf("uptime %v -> %v", st0.Uptime, st1.Uptime)
	}
	p.Signal(syscall.SIGKILL)
	p.Wait()
}

func TestStopAndSecrets(t *testing.T) {
	requireBwrap(t)
	secrets := t.TempDir()
	if err := os.WriteFile(filepath.Join(secrets, "api-key"), []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "root")
	s, err := Start(ctx, Config{Root: root, Hostname: "stop", SecretsDir: secrets})
	if err != nil {
		t.Fatal(err)
	}
	r := sh(t, s, 0, "cat /run/slicer/secrets/api-key; echo; echo x > /run/slicer/secrets/new 2>/dev/null || echo read-only")
	if r.stdout != "s3cret\nread-only\n" {
		t.Errorf("secrets: %q", r.stdout)
	}
	p, err := s.Exec(ctx, ExecSpec{Shell: "/bin/sh", Script: "sleep 100 & sleep 100"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	pids := s.treePids()
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Stop(ctx); err != nil {
				t.Errorf("Stop: %v", err)
			}
		}()
	}
	wg.Wait()
	if err := s.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	select {
	case <-s.Done():
	default:
		t.Error("Done not closed")
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err == nil {
			if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); !strings.Contains(string(b), ") Z") {
				t.Errorf("pid %d still alive after Stop", pid)
			}
		}
	}
	if _, err := p.Wait(); err == nil {
		t.Error("Wait after Stop: no error")
	}
	if _, err := s.Exec(ctx, ExecSpec{Argv: []string{"true"}}); !errors.Is(err, ErrStopped) {
		t.Errorf("Exec after Stop: %v", err)
	}
	if _, err := s.Stats(); !errors.Is(err, ErrStopped) {
		t.Errorf("Stats after Stop: %v", err)
	}
	if err := s.Pause(); !errors.Is(err, ErrStopped) {
		t.Errorf("Pause after Stop: %v", err)
	}

	// Files survive a restart of the same root; the hostname can change.
	s2, err := Start(ctx, Config{Root: root, Hostname: "stop2"})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Stop(ctx)
	if r := sh(t, s2, 0, "hostname; grep -c stop2 /etc/hosts; test -e /run/slicer/secrets/api-key || echo no-secrets"); r.stdout != "stop2\n1\nno-secrets\n" {
		t.Errorf("restart: %q", r.stdout)
	}
}

func TestAgentDeathEndsSandbox(t *testing.T) {
	s := startVM(t, "agentdeath")
	// Root in the VM may kill its agent, like a guest killing its agent:
	// the VM ends and the daemon sees it.
	ctx := context.Background()
	p, err := s.Exec(ctx, ExecSpec{Shell: "/bin/sh", Script: "sleep 0.3; kill -9 $PPID"}) // the agent started it
	if err != nil {
		t.Fatal(err)
	}
	p.Wait()
	p.Close()
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("sandbox still running after its agent died")
	}
	if _, err := s.Exec(ctx, ExecSpec{Argv: []string{"true"}}); !errors.Is(err, ErrStopped) {
		t.Errorf("Exec: %v", err)
	}
}

func TestRootLinksStayInside(t *testing.T) {
	requireBwrap(t)
	victim := t.TempDir()
	root := filepath.Join(t.TempDir(), "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	// A VM's root replaced /etc with a link to a host directory.
	if err := os.Symlink(victim, filepath.Join(root, "etc")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := Start(ctx, Config{Root: root, Hostname: "links"})
	if err == nil {
		s.Stop(ctx)
	}
	ents, _ := os.ReadDir(victim)
	if len(ents) != 0 {
		t.Errorf("Start wrote %d files into the link's target", len(ents))
	}
}

func TestConfigErrors(t *testing.T) {
	ctx := context.Background()
	for _, cfg := range []Config{
		{Root: "relative", Hostname: "x"},
		{Root: "/tmp/x", Hostname: ""},
		{Root: "/tmp/x", Hostname: "bad name"},
		{Root: "/tmp/x", Hostname: "-x"},
		{Root: t.TempDir(), Hostname: "x", SecretsDir: "/does/not/exist"},
	} {
		if CheckBwrap() != nil {
			t.Skip("bwrap missing")
		}
		if s, err := Start(ctx, cfg); err == nil {
			s.Stop(ctx)
			t.Errorf("Start(%+v) succeeded", cfg)
		}
	}
}

func TestCheckBwrapHint(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := CheckBwrap()
	if err == nil || !strings.Contains(err.Error(), "apt-get install bubblewrap") {
		t.Errorf("CheckBwrap without bwrap: %v", err)
	}
}

// TestCloseInterruptsReadAndResizeRaces: Close ends a Read that is blocked
// because a detached job in the VM still holds stdout, and Resize may run
// while the Stdout reader reaches end of stream (and closes the terminal).
func TestCloseInterruptsReadAndResizeRaces(t *testing.T) {
	s := startVM(t, "closing")
	ctx := context.Background()

	p, err := s.Exec(ctx, ExecSpec{Shell: "/bin/sh", Script: "setsid sleep 120 & echo started"})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if n, err := p.Stdout.Read(buf); err != nil || !strings.Contains(string(buf[:n]), "started") {
		t.Fatalf("first read %q %v", buf[:n], err)
	}
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	readDone := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, p.Stdout)
		readDone <- err
	}()
	// Give the reader time to block in Read (Close before Read is fine too,
	// the test then just proves less).
	time.Sleep(200 * time.Millisecond)
	p.Close()
	select {
	case err := <-readDone:
		if err != nil {
			t.Errorf("read after Close: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not interrupt a blocked Stdout read (detached job still holds the pipe)")
	}

	for i := 0; i < 5; i++ {
		p, err := s.Exec(ctx, ExecSpec{Shell: "/bin/sh", Script: "echo hi", PTY: true, Stdin: true, Rows: 24, Cols: 80})
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		resized := make(chan struct{})
		go func() {
			defer close(resized)
			for {
				select {
				case <-stop:
					return
				default:
				}
				_ = p.Resize(30, 100)
				time.Sleep(time.Millisecond)
			}
		}()
		_, _ = io.Copy(io.Discard, p.Stdout)
		_, _ = p.Wait()
		close(stop)
		<-resized
		if err := p.Resize(30, 100); err == nil {
			t.Error("Resize after the terminal was closed succeeded")
		}
		p.Close()
	}
}
