// Package e2e runs the built slicer binary against a real `slicer local`
// daemon, the way a user would, with testscript (.txtar) scripts.
//
// Every script in testdata/ runs twice: once over the daemon's unix socket
// (SLICER_URL is the socket path, no token) and once over TCP with a bearer
// token (SLICER_URL is http://127.0.0.1:PORT and SLICER_TOKEN_FILE a 0600
// file). Each run gets a fresh daemon in its own state directory.
//
// Adding a script: drop a NAME.txtar file into testdata/ (prefix it with
// the area: vm_, secret_, proxy_, exec_, bg_, cp_, fs_, shell_, forward_).
// Commands run with `exec slicer ...`; the environment is
//
//	SLICER_URL          the daemon (socket path or http URL)
//	SLICER_TOKEN_FILE   token file (tcp runs only)
//	SLICER_SOCKET       the daemon's unix socket path (both runs)
//	SLICER_TCP_URL      the daemon's TCP URL (both runs)
//	SLICER_TOKEN_PATH   a file holding the TCP token (both runs)
//	SLICER_STATE_DIR    the daemon's state directory
//	TRANSPORT           unix or tcp
//	HOME, XDG_CONFIG_HOME, XDG_STATE_HOME  inside $WORK
//
// Conditions [socket] and [tcp] select a transport: `[!tcp] skip`.
// Extra commands:
//
//	waitfile PATH [TIMEOUT]      wait until PATH exists (default 10s)
//
// Run one script: go test ./test/e2e -run 'TestScripts/unix/vm_basic'.
// SLICER_E2E_BINARY=path uses a prebuilt binary instead of building one.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"go.uber.org/goleak"

	"github.com/slicer-cli/slicer/pkg/localdaemon/localdaemontest"
)

var binDir string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "slicer-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "slicer")
	if prebuilt := os.Getenv("SLICER_E2E_BINARY"); prebuilt != "" {
		if err := os.Symlink(prebuilt, bin); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	} else {
		_, here, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(here), "..", "..")
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Dir = root
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "build slicer: %v\n", err)
			return 1
		}
	}
	binDir = dir
	code := m.Run()
	if code == 0 {
		// The daemons run in this process: none of their goroutines may
		// outlive the tests.
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return code
}

func TestScripts(t *testing.T) {
	for _, transport := range []string{"unix", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			testscript.Run(t, params(transport))
		})
	}
}

func params(transport string) testscript.Params {
	return testscript.Params{
		Dir:                 "testdata",
		RequireExplicitExec: true,
		Deadline:            time.Now().Add(10 * time.Minute),
		Setup: func(env *testscript.Env) error {
			tb, ok := env.T().(testing.TB)
			if !ok {
				return fmt.Errorf("testscript T is not a testing.TB")
			}
			d := localdaemontest.Start(tb)
			tokenPath := filepath.Join(env.WorkDir, ".slicer-token")
			if err := os.WriteFile(tokenPath, []byte(d.Token+"\n"), 0o600); err != nil {
				return err
			}
			home := filepath.Join(env.WorkDir, "home")
			if err := os.MkdirAll(home, 0o700); err != nil {
				return err
			}
			env.Setenv("PATH", binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
			env.Setenv("HOME", home)
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
			env.Setenv("XDG_STATE_HOME", filepath.Join(home, ".local", "state"))
			env.Setenv("NO_COLOR", "1")
			env.Setenv("SLICER_SOCKET", d.URL)
			env.Setenv("SLICER_TCP_URL", d.TCPURL)
			env.Setenv("SLICER_TOKEN_PATH", tokenPath)
			env.Setenv("SLICER_STATE_DIR", d.StateDir)
			env.Setenv("TRANSPORT", transport)
			if transport == "tcp" {
				env.Setenv("SLICER_URL", d.TCPURL)
				env.Setenv("SLICER_TOKEN_FILE", tokenPath)
			} else {
				env.Setenv("SLICER_URL", d.URL)
			}
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "socket", "tcp":
				return cond == transport || (cond == "socket" && transport == "unix"), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitfile": cmdWaitFile,
		},
	}
}

// cmdWaitFile waits until a file exists: waitfile PATH [TIMEOUT].
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: waitfile PATH [TIMEOUT]")
	}
	timeout := 10 * time.Second
	if len(args) == 2 {
		d, err := time.ParseDuration(args[1])
		if err != nil {
			ts.Fatalf("waitfile: %v", err)
		}
		timeout = d
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(timeout)
	for {
		_, err := os.Stat(path)
		exists := err == nil
		if exists != neg {
			return
		}
		if time.Now().After(deadline) {
			state := "exist"
			if neg {
				state = "disappear"
			}
			ts.Fatalf("waitfile: %s did not %s within %s", strings.TrimPrefix(path, ts.Getenv("WORK")+"/"), state, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
