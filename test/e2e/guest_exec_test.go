package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestExecLargeOutputIntegrity streams a large random output through exec
// and checks that every byte arrived (THREATS.md B10): the VM prints the
// sha256 of what it wrote on stderr, slicer's stdout must hash the same.
func TestExecLargeOutputIntegrity(t *testing.T) {
	bin, env := guestEnv(t)
	newVM(t, bin, env, "out")
	n := largeMB(t) << 20
	cmd := exec.Command(bin, "exec", "out", "--",
		"head -c "+strconv.FormatInt(n, 10)+" /dev/urandom | tee >(sha256sum | cut -d' ' -f1 >&2) ; wait")
	cmd.Env = env
	h := sha256.New()
	var count countWriter
	var errb bytes.Buffer
	cmd.Stdout = teeWriter{h, &count}
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("exec: %v\n%s", err, errb.String())
	}
	if int64(count) != n {
		t.Fatalf("got %d bytes, want %d", count, n)
	}
	if got, want := hex.EncodeToString(h.Sum(nil)), strings.TrimSpace(errb.String()); got != want {
		t.Fatalf("sha256 %s, the VM wrote %s", got, want)
	}
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

type teeWriter struct {
	a interface{ Write([]byte) (int, error) }
	b interface{ Write([]byte) (int, error) }
}

func (t teeWriter) Write(p []byte) (int, error) {
	if _, err := t.a.Write(p); err != nil {
		return 0, err
	}
	return t.b.Write(p)
}

// TestExecDaemonLost stops the daemon while a command runs: slicer must exit
// 255 (never 0) with a message, after printing the output it received.
func TestExecDaemonLost(t *testing.T) {
	bin, env, d := guestDaemon(t)
	newVM(t, bin, env, "lost")
	cmd := exec.Command(bin, "exec", "lost", "--", "echo first-line; sleep 100")
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := stdout.Read(buf)
	if !strings.Contains(string(buf[:n]), "first-line") {
		t.Fatalf("first output %q", buf[:n])
	}
	d.Stop()
	_ = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 255 {
		t.Fatalf("exit %d after the daemon stopped, want 255; stderr %q", code, errb.String())
	}
	if !strings.Contains(errb.String(), "lost") {
		t.Fatalf("stderr %q", errb.String())
	}
}
