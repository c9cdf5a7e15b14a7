package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"plain", errors.New("x"), 1},
		{"api", &client.APIError{StatusCode: 500}, 1},
		{"usage", cmdutil.FlagErrorf("bad"), 2},
		{"wrapped usage", fmt.Errorf("x: %w", cmdutil.FlagErrorf("bad")), 2},
		{"cobra unknown command", errors.New(`unknown command "x" for "slicer"`), 2},
		{"cobra unknown flag", errors.New("unknown flag: --x"), 2},
		{"remote exit", cmdutil.ExitCodeError{Code: 42}, 42},
		{"remote exit pointer", &cmdutil.ExitCodeError{Code: 3}, 3},
		{"wrapped remote exit", fmt.Errorf("exec: %w", cmdutil.ExitCodeError{Code: 7}), 7},
		{"timeout", fmt.Errorf("wait: %w", cmdutil.ErrTimeout), 124},
		{"connection lost", fmt.Errorf("exec: %w", cmdutil.ErrConnectionLost), 255},
		{"sigint", &cmdutil.SignalError{Signal: 2, Name: "SIGINT"}, 130},
		{"sigterm", &cmdutil.SignalError{Signal: 15, Name: "SIGTERM"}, 143},
		{"cancel", cmdutil.ErrCancel, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.err); got != tt.want {
				t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestHandleErrorMessages(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	noSock := &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", syscall.ENOENT)}
	denied := &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", syscall.EACCES)}
	tests := []struct {
		name   string
		err    error
		target string
		want   []string
		empty  bool
		clean  bool // no raw control or bidi characters besides newlines
	}{
		{name: "refused", err: fmt.Errorf("list VMs: %w", refused), target: "http://127.0.0.1:8080",
			want: []string{"Error: list VMs", "http://127.0.0.1:8080", "slicer local up"}},
		{name: "no socket", err: noSock, target: "/x/slicer.sock", want: []string{"No daemon socket at /x/slicer.sock", "slicer local up"}},
		{name: "socket permission", err: denied, target: "/x/slicer.sock", want: []string{"Permission denied", "sudo"}},
		{name: "401", err: &client.APIError{StatusCode: 401, Method: "GET", Path: "/nodes"}, target: "http://h:1",
			want: []string{"--token-file", "SLICER_TOKEN_FILE", "SLICER_TOKEN"}},
		{name: "usage", err: cmdutil.FlagErrorf("bad flag"), want: []string{"Error: bad flag"}},
		{name: "remote exit prints nothing", err: cmdutil.ExitCodeError{Code: 3}, empty: true},
		{name: "signal prints nothing", err: &cmdutil.SignalError{Signal: 2}, empty: true},
		// The daemon's text is escaped: no ESC, BEL or bidi override
		// reaches the terminal; newlines of our own messages stay.
		{name: "daemon text escaped", err: fmt.Errorf("pause VM \"x\": %w\nsecond line", &client.APIError{StatusCode: 400, Method: "POST", Path: "/vm/x/pause",
			Message: "bad\x1b]0;pwned\x07 \x1b[2J\u202etxt"}),
			want: []string{`bad\x1b]0;pwned\x07 \x1b[2J\u202etxt`, "\nsecond line"}, clean: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			HandleError(&buf, nil, tt.err, tt.target)
			if tt.empty && buf.Len() != 0 {
				t.Errorf("printed %q", buf.String())
			}
			if tt.clean && strings.ContainsAny(buf.String(), "\x1b\x07\u202e") {
				t.Errorf("raw control characters printed: %q", buf.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("message %q lacks %q", buf.String(), w)
				}
			}
		})
	}
}

func TestRootUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want int
		msg  string
	}{
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"vm", "frobnicate"}, 2, `unknown command "frobnicate" for "slicer vm"`},
		{[]string{"vm", "list", "--bogus"}, 2, "unknown flag"},
		{[]string{"vm", "pause"}, 2, "missing VM name"},
		{[]string{"--url", "ftp://x", "vm", "list"}, 2, "invalid daemon URL"},
		{[]string{"help", "exit-codes"}, 0, ""},
		{[]string{"help", "vm", "add"}, 0, ""},
		{[]string{"help"}, 0, ""},
		{[]string{"help", "nosuch"}, 2, `unknown help topic "nosuch"`},
		{[]string{"help", "vm", "nosuch"}, 2, `unknown help topic "vm nosuch"`},
		{[]string{"version"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Setenv("SLICER_URL", "")
			t.Setenv("XDG_CONFIG_HOME", t.TempDir())
			ios, errOut := testIO()
			f, target := NewFactory(ios, "1.0.0")
			root := NewCmdRoot(f)
			root.SetArgs(tt.args)
			cmd, err := root.ExecuteContextC(context.Background())
			code := HandleError(errOut, cmd, err, target())
			if code != tt.want || !strings.Contains(errOut.String(), tt.msg) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.want, tt.msg)
			}
		})
	}
}

func TestRootConnectionFlags(t *testing.T) {
	dir := t.TempDir()
	tokenFile := dir + "/token"
	if err := os.WriteFile(tokenFile, []byte("s3cret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("SLICER_URL", "http://env.example:1")
	t.Setenv("SLICER_TOKEN", "env-token")
	t.Setenv("SLICER_TOKEN_FILE", "")
	t.Setenv("SLICER_CONTEXT", "")

	ios, errOut := testIO()
	f, _ := NewFactory(ios, "1.0.0")
	root := NewCmdRoot(f)
	root.SetArgs([]string{"--api", "http://flag.example:2", "--token-file", tokenFile, "version"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	conn, err := f.Connection()
	if err != nil {
		t.Fatal(err)
	}
	if conn.URL != "http://flag.example:2" || conn.URLSource != "--api" || conn.Token != "s3cret" || conn.TokenSource != "--token-file" {
		t.Errorf("conn = %+v", conn)
	}
	if !strings.Contains(errOut.String(), "readable by other users") {
		t.Errorf("no warning about the open token file: %q", errOut)
	}
	if strings.Contains(errOut.String(), "s3cret") {
		t.Errorf("token printed: %q", errOut)
	}

	// Without flags: the environment.
	ios2, _ := testIO()
	f2, _ := NewFactory(ios2, "1.0.0")
	root2 := NewCmdRoot(f2)
	root2.SetArgs([]string{"version"})
	if err := root2.Execute(); err != nil {
		t.Fatal(err)
	}
	conn2, err := f2.Connection()
	if err != nil {
		t.Fatal(err)
	}
	if conn2.URL != "http://env.example:1" || conn2.URLSource != "SLICER_URL" || conn2.Token != "env-token" || conn2.TokenSource != "SLICER_TOKEN" {
		t.Errorf("conn = %+v", conn2)
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Store(true)
		}
		w.Write([]byte("[]"))
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()

	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("SLICER_URL", srv.URL)
	t.Setenv("SLICER_TOKEN", "sl-CANARY-123")
	t.Setenv("SLICER_TOKEN_FILE", "")
	t.Setenv("SLICER_CONTEXT", "")
	for _, debug := range []bool{false, true} {
		ios, errOut := testIO()
		f, target := NewFactory(ios, "1.0.0")
		root := NewCmdRoot(f)
		args := []string{"vm", "list"}
		if debug {
			args = append([]string{"--debug"}, args...)
		}
		root.SetArgs(args)
		cmd, err := root.ExecuteContextC(context.Background())
		if code := HandleError(errOut, cmd, err, target()); code != 1 {
			t.Errorf("exit %d, want 1 for an unexpected redirect", code)
		}
		if leaked.Load() {
			t.Fatalf("the token followed the redirect (debug=%v)", debug)
		}
		if strings.Contains(errOut.String(), "CANARY") {
			t.Errorf("token in stderr: %q", errOut)
		}
	}
}
