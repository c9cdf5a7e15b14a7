package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// largeMB is the size of the large-copy and large-output tests:
// SLICER_E2E_LARGE_MB, else 1024 (1 GiB) under `make test-large`
// (SLICER_TEST_LARGE=1), else 16 MiB so CI stays fast.
func largeMB(t *testing.T) int64 {
	v := os.Getenv("SLICER_E2E_LARGE_MB")
	if v == "" {
		if os.Getenv("SLICER_TEST_LARGE") == "1" {
			return 1024
		}
		return 16
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		t.Fatalf("SLICER_E2E_LARGE_MB=%q: want a positive number of MiB", v)
	}
	return n
}

// writeRandom writes n pseudo-random bytes to path and returns their
// sha256, in constant memory.
func writeRandom(t *testing.T, path string, n int64, seed uint64) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	src := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	if _, err := io.CopyN(io.MultiWriter(f, h), src, n); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestCpLargeRoundTrip copies a large file into a VM and back and checks the
// sha256 on both sides.
func TestCpLargeRoundTrip(t *testing.T) {
	bin, env := guestEnv(t)
	newVM(t, bin, env, "big")
	dir := t.TempDir()
	src := filepath.Join(dir, "large.bin")
	want := writeRandom(t, src, largeMB(t)<<20, 1)

	slicer(t, bin, env, nil, "cp", src, "big:/tmp/large.bin")
	remote := strings.Fields(slicer(t, bin, env, nil, "exec", "big", "--", "sha256sum", "/tmp/large.bin"))
	if len(remote) == 0 || remote[0] != want {
		t.Fatalf("sha256 in the VM %v, want %s", remote, want)
	}
	back := filepath.Join(dir, "back.bin")
	slicer(t, bin, env, nil, "cp", "big:/tmp/large.bin", back)
	if got := fileSum(t, back); got != want {
		t.Fatalf("sha256 after the round trip %s, want %s", got, want)
	}

	// A tree holding the large file, down and up again with -r.
	slicer(t, bin, env, nil, "exec", "big", "--", "mkdir -p /tmp/tree/sub && cp /tmp/large.bin /tmp/tree/sub/")
	slicer(t, bin, env, nil, "cp", "-r", "big:/tmp/tree", filepath.Join(dir, "tree"))
	if got := fileSum(t, filepath.Join(dir, "tree", "sub", "large.bin")); got != want {
		t.Fatalf("sha256 after a tree copy %s, want %s", got, want)
	}
}

// TestCpKilledLeavesNoPartialFile kills slicer cp (SIGKILL, and SIGINT)
// at several points of a download and checks the destination directory
// holds either nothing or the complete file, never a part of it or a
// temporary file.
func TestCpKilledLeavesNoPartialFile(t *testing.T) {
	bin, env := guestEnv(t)
	newVM(t, bin, env, "kill")
	dir := t.TempDir()
	src := filepath.Join(dir, "src.bin")
	want := writeRandom(t, src, 64<<20, 2)
	slicer(t, bin, env, nil, "cp", src, "kill:/tmp/src.bin")

	for i, tc := range []struct {
		sig   syscall.Signal
		after time.Duration
		args  []string
	}{
		{syscall.SIGKILL, 20 * time.Millisecond, []string{"cp", "kill:/tmp/src.bin"}},
		{syscall.SIGKILL, 80 * time.Millisecond, []string{"cp", "kill:/tmp/src.bin"}},
		{syscall.SIGINT, 20 * time.Millisecond, []string{"cp", "kill:/tmp/src.bin"}},
		{syscall.SIGINT, 60 * time.Millisecond, []string{"cp", "-r", "kill:/tmp"}},
		{syscall.SIGTERM, 40 * time.Millisecond, []string{"cp", "-r", "kill:/tmp"}},
	} {
		out := filepath.Join(t.TempDir(), "dst")
		if err := os.Mkdir(out, 0o755); err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(out, "copy")
		cmd := exec.Command(bin, append(tc.args, target)...)
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(tc.after)
		_ = cmd.Process.Signal(tc.sig)
		err := cmd.Wait()
		entries, _ := os.ReadDir(out)
		t.Logf("case %d: %v after %v: %v", i, tc.sig, tc.after, err)
		if err != nil {
			// Interrupted: nothing may be left behind, except after SIGKILL
			// of a directory copy (not run here).
			if len(entries) != 0 {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Fatalf("case %d (%v after %v): interrupted copy left %v", i, tc.sig, tc.after, names)
			}
			if tc.sig != syscall.SIGKILL {
				// A signal that lands before slicer installed its handler
				// (a loaded machine) kills it outright: the shell reports
				// 128+n for both.
				code := cmd.ProcessState.ExitCode()
				if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					code = 128 + int(ws.Signal())
				}
				if code != 128+int(tc.sig) {
					t.Errorf("case %d: exit %d, want %d", i, code, 128+int(tc.sig))
				}
			}
			continue
		}
		// Finished before the signal: the copy must be complete.
		p := target
		if len(tc.args) == 3 {
			p = filepath.Join(target, "src.bin")
		}
		if got := fileSum(t, p); got != want {
			t.Fatalf("case %d: completed copy has sha256 %s, want %s", i, got, want)
		}
	}
}

// TestCpUploadInterrupted interrupts uploads and checks the VM holds either
// no file at the destination or the complete one.
func TestCpUploadInterrupted(t *testing.T) {
	bin, env := guestEnv(t)
	newVM(t, bin, env, "up")
	src := filepath.Join(t.TempDir(), "src.bin")
	want := writeRandom(t, src, 64<<20, 3)
	for i, after := range []time.Duration{30 * time.Millisecond, 60 * time.Millisecond, 120 * time.Millisecond} {
		dst := "/tmp/up-" + strconv.Itoa(i) + ".bin"
		cmd := exec.Command(bin, "cp", src, "up:"+dst)
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(after)
		_ = cmd.Process.Signal(syscall.SIGINT)
		err := cmd.Wait()
		t.Logf("upload %d interrupted after %v: %v", i, after, err)
		out := slicer(t, bin, env, nil, "exec", "up", "--", "test -e "+dst+" && sha256sum "+dst+" || echo absent; ls -a /tmp")
		switch {
		case strings.HasPrefix(out, "absent"):
		case strings.HasPrefix(out, want):
		default:
			t.Fatalf("upload %d: the VM holds a partial file: %s", i, out)
		}
		if strings.Contains(out, ".slicer") {
			t.Fatalf("upload %d: temporary file left in the VM: %s", i, out)
		}
	}
}

// TestCpProgressOnlyOnTTY: the progress meter appears on a terminal's stderr
// and never when stderr is a pipe.
func TestCpProgressOnlyOnTTY(t *testing.T) {
	bin, env := guestEnv(t)
	newVM(t, bin, env, "prog")
	src := filepath.Join(t.TempDir(), "p.bin")
	writeRandom(t, src, 8<<20, 4)

	p := startPTY(t, bin, env, "cp", src, "prog:/tmp/p.bin")
	p.start("")
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d: %q", code, p.output())
	}
	p.expect(" in ") // the final line: "... in 12ms"
	out := p.output()
	if !strings.Contains(out, "\r") || !strings.Contains(out, "MiB") || !strings.Contains(out, "/s") {
		t.Fatalf("no progress meter on a terminal: %q", out)
	}

	cmd := exec.Command(bin, "cp", "prog:/tmp/p.bin", filepath.Join(t.TempDir(), "back.bin"))
	cmd.Env = env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if stdout.Len() != 0 || stderr.Len() != 0 {
		t.Fatalf("output when piped: stdout %q stderr %q", stdout.String(), stderr.String())
	}
}
