package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slicer-cli/slicer/pkg/localdaemon/localdaemontest"
)

// guestEnv starts a local daemon and returns the environment the slicer
// binary runs with (unix socket, no token) and its path.
func guestEnv(t *testing.T) (bin string, env []string) {
	t.Helper()
	bin, env, _ = guestDaemon(t)
	return bin, env
}

// guestDaemon is guestEnv that also returns the daemon (to stop it).
func guestDaemon(t *testing.T) (bin string, env []string, d *localdaemontest.Daemon) {
	t.Helper()
	d = localdaemontest.Start(t)
	home := t.TempDir()
	env = append(os.Environ(),
		"SLICER_URL="+d.URL,
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"NO_COLOR=1",
	)
	return filepath.Join(binDir, "slicer"), env, d
}

// slicer runs the binary to completion and fails the test on error.
func slicer(t *testing.T, bin string, env []string, stdin []byte, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("slicer %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// newVM creates a VM named name and waits for it.
func newVM(t *testing.T, bin string, env []string, name string) {
	t.Helper()
	slicer(t, bin, env, nil, "vm", "add", "--name", name, "--wait")
}
