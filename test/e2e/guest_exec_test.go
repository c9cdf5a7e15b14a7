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
