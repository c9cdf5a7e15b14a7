package bg

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/cmd/cmdutil/cmdtest"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newFactory(fake *clienttest.Fake) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer) {
	ios, _, out, errOut := iostreams.Test()
	return &cmdutil.Factory{IOStreams: ios, Client: func() (client.Interface, error) { return fake, nil }}, out, errOut
}

func TestNewCmdBgExec(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
		want    client.ExecBackgroundRequest
	}{
		{name: "positional direct", args: []string{"vm-1", "--", "npm", "run", "dev"},
			want: client.ExecBackgroundRequest{Command: "npm", Args: []string{"run", "dev"}, UID: client.NonRootUser, GID: client.NonRootUser}},
		{name: "explicit", args: []string{"vm-1", "-c", "npm", "-a", "run", "-a", "dev", "--uid", "1000"},
			want: client.ExecBackgroundRequest{Command: "npm", Args: []string{"run", "dev"}, UID: 1000, GID: 1000}},
		{name: "shell", args: []string{"vm-1", "-s", "/bin/bash", "--", "cd /app && exec npm run dev"},
			want: client.ExecBackgroundRequest{Command: "cd /app && exec npm run dev", Shell: "/bin/bash", UID: client.NonRootUser, GID: client.NonRootUser}},
		{name: "shell several words", args: []string{"vm-1", "--shell=/bin/sh", "--", "echo", "a b"},
			want: client.ExecBackgroundRequest{Command: "echo 'a b'", Shell: "/bin/sh", UID: client.NonRootUser, GID: client.NonRootUser}},
		{name: "ring and env", args: []string{"vm-1", "--ring-bytes", "4M", "--env", "A=1", "--cwd", "/w", "--gid", "5", "--", "x"},
			want: client.ExecBackgroundRequest{Command: "x", Args: []string{}, RingBytes: 4 << 20, Env: []string{"A=1"}, Cwd: "/w", UID: client.NonRootUser, GID: 5}},
		{name: "single string direct", args: []string{"vm-1", "--", "npm run dev"}, wantErr: "-s /bin/bash"},
		{name: "cmd and positional", args: []string{"vm-1", "-c", "npm", "--", "x"}, wantErr: "--cmd cannot"},
		{name: "cmd and shell", args: []string{"vm-1", "-c", "npm", "-s", "/bin/sh"}, wantErr: "--cmd cannot"},
		{name: "arg without cmd", args: []string{"vm-1", "-a", "x", "--", "y"}, wantErr: "--arg needs --cmd"},
		{name: "no command", args: []string{"vm-1"}, wantErr: "no command"},
		{name: "bad ring", args: []string{"vm-1", "--ring-bytes", "lots", "--", "x"}, wantErr: "--ring-bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := newFactory(&clienttest.Fake{})
			got := cmdtest.Parse(t, f, NewCmdExec, tt.wantErr, tt.args...)
			if got == nil {
				return
			}
			req := got.request()
			if req.Args == nil && tt.want.Args != nil && len(tt.want.Args) == 0 {
				req.Args = []string{}
			}
			if len(req.Args) == 0 && len(tt.want.Args) == 0 {
				req.Args, tt.want.Args = nil, nil
			}
			if !reflect.DeepEqual(req, tt.want) {
				t.Errorf("request %+v\nwant    %+v", req, tt.want)
			}
		})
	}
}

func oneVM(context.Context, ...client.ListOptions) ([]client.SlicerNode, error) {
	return []client.SlicerNode{{Hostname: "vm-1"}}, nil
}

func TestBgExecHumanOutput(t *testing.T) {
	fake := &clienttest.Fake{
		ExecBackgroundFunc: func(_ context.Context, vm string, req client.ExecBackgroundRequest) (*client.ExecBackgroundResponse, error) {
			return &client.ExecBackgroundResponse{ExecID: "ex_1", PID: 42, RingBytes: 1 << 20, StartedAt: time.Unix(0, 0)}, nil
		},
	}
	f, out, _ := newFactory(fake)
	cmd := NewCmdExec(f, nil)
	cmd.SetArgs([]string{"vm-1", "--", "sleep", "10"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	// The awk pattern vendor scripts use.
	fields := strings.FieldsFunc(out.String(), func(r rune) bool { return r == '=' || r == ' ' || r == '\n' })
	id := ""
	for i := range fields {
		if fields[i] == "exec_id" && i+1 < len(fields) {
			id = fields[i+1]
		}
	}
	if id != "ex_1" || !strings.Contains(out.String(), "pid=42") {
		t.Fatalf("output %q", out.String())
	}
}

func TestBgExecFollow(t *testing.T) {
	fake := &clienttest.Fake{
		ExecBackgroundFunc: func(context.Context, string, client.ExecBackgroundRequest) (*client.ExecBackgroundResponse, error) {
			return &client.ExecBackgroundResponse{ExecID: "ex_1", PID: 42}, nil
		},
		ExecLogsFunc: func(_ context.Context, vm, id string, o client.LogOptions) (<-chan client.SlicerExecWriteResult, error) {
			if !o.Follow || id != "ex_1" {
				t.Errorf("logs %s %+v", id, o)
			}
			ch := make(chan client.SlicerExecWriteResult, 4)
			ch <- client.SlicerExecWriteResult{ID: 1, Type: "started"}
			ch <- client.SlicerExecWriteResult{ID: 2, Type: "stdout", Data: "aGkK", Encoding: "base64"}
			ch <- client.SlicerExecWriteResult{ID: 3, Type: "gap", DroppedBytes: 10, DroppedFrames: 2}
			ch <- client.SlicerExecWriteResult{ID: 4, Type: "exit", ExitCode: 7}
			close(ch)
			return ch, nil
		},
	}
	f, out, errOut := newFactory(fake)
	cmd := NewCmdExec(f, nil)
	cmd.SetArgs([]string{"vm-1", "--follow", "--", "x"})
	err := cmd.Execute()
	var code cmdutil.ExitCodeError
	if !errors.As(err, &code) || code.Code != 7 {
		t.Fatalf("err = %v, want exit 7", err)
	}
	if out.String() != "hi\n" {
		t.Errorf("stdout %q", out.String())
	}
	if !strings.Contains(errOut.String(), "exec_id=ex_1") || !strings.Contains(errOut.String(), "10 bytes in 2 frames") {
		t.Errorf("stderr %q", errOut.String())
	}
}

func TestFollowResumesAfterBreak(t *testing.T) {
	calls := 0
	fake := &clienttest.Fake{
		ListVMsFunc: oneVM,
		ExecLogsFunc: func(_ context.Context, _, _ string, o client.LogOptions) (<-chan client.SlicerExecWriteResult, error) {
			calls++
			ch := make(chan client.SlicerExecWriteResult, 2)
			if calls == 1 {
				ch <- client.SlicerExecWriteResult{ID: 5, Type: "stdout", Data: "a"}
			} else {
				if o.FromID != 6 {
					t.Errorf("resumed from %d, want 6", o.FromID)
				}
				ch <- client.SlicerExecWriteResult{ID: 6, Type: "stdout", Data: "b"}
				ch <- client.SlicerExecWriteResult{ID: 7, Type: "exit", Signal: "KILL", ExitCode: -1}
			}
			close(ch)
			return ch, nil
		},
		ExecInfoFunc: func(context.Context, string, string) (*client.ExecBackgroundInfo, error) {
			return &client.ExecBackgroundInfo{Running: true}, nil
		},
	}
	f, out, _ := newFactory(fake)
	cmd := NewCmdLogs(f, nil)
	cmd.SetArgs([]string{"vm-1", "ex_1", "--follow"})
	err := cmd.Execute()
	var code cmdutil.ExitCodeError
	if !errors.As(err, &code) || code.Code != 137 {
		t.Fatalf("err = %v, want 137", err)
	}
	if out.String() != "ab" {
		t.Errorf("stdout %q", out.String())
	}
}

func TestBgInfoIndentedJSON(t *testing.T) {
	code := 0
	fake := &clienttest.Fake{
		ExecInfoFunc: func(context.Context, string, string) (*client.ExecBackgroundInfo, error) {
			return &client.ExecBackgroundInfo{ExecID: "ex_1", PID: 3, Command: "sleep", NextID: 9, ExitCode: &code}, nil
		},
	}
	f, out, _ := newFactory(fake)
	cmd := NewCmdInfo(f, nil)
	cmd.SetArgs([]string{"vm-1", "ex_1"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	// awk -F'[:, ]+' '/"next_id"/ {print $4-1}'
	var line string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.Contains(l, `"next_id"`) {
			line = l
		}
	}
	parts := strings.FieldsFunc(line, func(r rune) bool { return r == ':' || r == ',' || r == ' ' })
	if len(parts) < 2 || parts[1] != "9" || !strings.HasPrefix(line, "  ") {
		t.Fatalf("next_id line %q in %s", line, out.String())
	}
}

func TestBgInfoGone(t *testing.T) {
	fake := &clienttest.Fake{
		ExecInfoFunc: func(context.Context, string, string) (*client.ExecBackgroundInfo, error) {
			return nil, &client.APIError{Method: "GET", Path: "/vm/vm-1/exec/ex_1", StatusCode: 410, Message: "gone"}
		},
	}
	f, _, _ := newFactory(fake)
	cmd := NewCmdInfo(f, nil)
	cmd.SetArgs([]string{"vm-1", "ex_1"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "removed") {
		t.Fatalf("err = %v", err)
	}
}

func TestWaitLoopsAndTimesOut(t *testing.T) {
	now := time.Unix(0, 0)
	var timeouts []time.Duration
	fake := &clienttest.Fake{
		ListVMsFunc: oneVM,
		ExecWaitExitFunc: func(_ context.Context, _, _ string, d time.Duration) (*client.ExecBackgroundWaitExitResponse, error) {
			timeouts = append(timeouts, d)
			now = now.Add(d)
			return &client.ExecBackgroundWaitExitResponse{Running: true, TimedOut: true}, nil
		},
	}
	f, _, _ := newFactory(fake)
	opts := &WaitOptions{IO: f.IOStreams, Client: f.Client, Now: func() time.Time { return now }, VM: "vm-1", ID: "ex_1", Timeout: 25 * time.Minute, Poll: MaxWaitPoll}
	err := waitRun(context.Background(), opts)
	if !errors.Is(err, cmdutil.ErrTimeout) {
		t.Fatalf("err = %v, want timeout", err)
	}
	want := []time.Duration{10 * time.Minute, 10 * time.Minute, 5 * time.Minute}
	if !reflect.DeepEqual(timeouts, want) {
		t.Fatalf("polls %v, want %v", timeouts, want)
	}
}

func TestWaitExitCode(t *testing.T) {
	code := 3
	fake := &clienttest.Fake{
		ListVMsFunc: oneVM,
		ExecWaitExitFunc: func(context.Context, string, string, time.Duration) (*client.ExecBackgroundWaitExitResponse, error) {
			return &client.ExecBackgroundWaitExitResponse{ExecID: "ex_1", ExitCode: &code}, nil
		},
	}
	f, out, _ := newFactory(fake)
	cmd := NewCmdWait(f, nil)
	cmd.SetArgs([]string{"vm-1", "ex_1"})
	err := cmd.Execute()
	var ec cmdutil.ExitCodeError
	if !errors.As(err, &ec) || ec.Code != 3 {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(out.String(), "exit_code=3") {
		t.Fatalf("out %q", out.String())
	}
}

func TestKillFlags(t *testing.T) {
	var got client.KillOptions
	fake := &clienttest.Fake{
		ExecKillFunc: func(_ context.Context, _, _ string, o client.KillOptions) (*client.ExecBackgroundKillResponse, error) {
			got = o
			return &client.ExecBackgroundKillResponse{ExecID: "ex_1", SignalSent: "TERM"}, nil
		},
	}
	for _, tt := range []struct {
		args    []string
		want    client.KillOptions
		wantErr bool
	}{
		{args: nil, want: client.KillOptions{}},
		{args: []string{"--signal", "sigkill"}, want: client.KillOptions{Signal: "KILL"}},
		{args: []string{"--grace", "2s"}, want: client.KillOptions{Signal: "TERM", GraceMs: 2000}},
		{args: []string{"--signal", "STOP"}, wantErr: true},
		{args: []string{"--signal", "KILL", "--grace", "1s"}, wantErr: true},
	} {
		f, _, _ := newFactory(fake)
		got = client.KillOptions{}
		cmd := NewCmdKill(f, nil)
		cmd.SetArgs(append([]string{"vm-1", "ex_1"}, tt.args...))
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		err := cmd.Execute()
		if tt.wantErr {
			if err == nil {
				t.Errorf("%v accepted", tt.args)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%v: %+v %v, want %+v", tt.args, got, err, tt.want)
		}
	}
}

func TestRemoveRefusesRunning(t *testing.T) {
	running := true
	fake := &clienttest.Fake{
		ListVMsFunc: oneVM,
		ExecInfoFunc: func(context.Context, string, string) (*client.ExecBackgroundInfo, error) {
			return &client.ExecBackgroundInfo{ExecID: "ex_1", Running: running, PID: 9}, nil
		},
		ExecKillFunc: func(context.Context, string, string, client.KillOptions) (*client.ExecBackgroundKillResponse, error) {
			return &client.ExecBackgroundKillResponse{}, nil
		},
		ExecWaitExitFunc: func(context.Context, string, string, time.Duration) (*client.ExecBackgroundWaitExitResponse, error) {
			return &client.ExecBackgroundWaitExitResponse{Running: false}, nil
		},
		ExecDeleteFunc: func(context.Context, string, string) (*client.ExecBackgroundDeleteResponse, error) {
			return &client.ExecBackgroundDeleteResponse{ExecID: "ex_1", Reaped: true}, nil
		},
	}
	f, _, _ := newFactory(fake)
	cmd := NewCmdRemove(f, nil)
	cmd.SetArgs([]string{"vm-1", "ex_1"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("err = %v", err)
	}
	if len(fake.CallsTo("ExecDelete")) != 0 {
		t.Fatal("deleted a running process")
	}
	f, out, _ := newFactory(fake)
	cmd = NewCmdRemove(f, nil)
	cmd.SetArgs([]string{"vm-1", "ex_1", "--force"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(methods(fake, "ExecKill", "ExecWaitExit", "ExecDelete"), []string{"ExecKill", "ExecWaitExit", "ExecDelete"}) {
		t.Fatalf("calls %v", fake.Methods())
	}
	if !strings.Contains(out.String(), "reaped=true") {
		t.Fatalf("out %q", out.String())
	}
}

func methods(f *clienttest.Fake, keep ...string) []string {
	var out []string
	for _, m := range f.Methods() {
		for _, k := range keep {
			if m == k {
				out = append(out, m)
			}
		}
	}
	return out
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1M": 1 << 20, "4MiB": 4 << 20, "512k": 512 << 10, "100": 100, "1G": 1 << 30} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "x", "-1", "1T"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
}

// TestBgListRun: piped, STARTED is an RFC 3339 time and the command whole;
// on a terminal (80 columns here) STARTED is an age and a long command is
// cut to fit, with the same columns.
func TestBgListRun(t *testing.T) {
	started := time.Now().Add(-2*time.Minute - 5*time.Second)
	long := "python3 -m http.server 8080 --bind 127.0.0.1 --directory /srv/www/a/long/path/to/serve"
	fake := &clienttest.Fake{
		ExecListFunc: func(context.Context, string) ([]client.ExecBackgroundInfo, error) {
			return []client.ExecBackgroundInfo{{ExecID: "ex_1", PID: 42, Running: true, StartedAt: started, Command: long}}, nil
		},
	}
	for _, tty := range []bool{false, true} {
		f, s := cmdtest.NewFactory(fake, tty)
		if err := cmdtest.Run(NewCmdList(f, nil), "vm-1"); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(s.Out.String(), "\n"), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "EXEC_ID  PID  STATUS   STARTED") {
			t.Fatalf("tty=%v: %q", tty, s.Out.String())
		}
		row := lines[2]
		if !tty {
			if !strings.Contains(row, started.UTC().Format(time.RFC3339)) || !strings.HasSuffix(row, long) {
				t.Errorf("piped row %q", row)
			}
			continue
		}
		if !strings.Contains(row, "  2 minutes ago  ") || !strings.HasSuffix(row, "…") || len([]rune(row)) > 80 {
			t.Errorf("terminal row %q (%d characters)", row, len([]rune(row)))
		}
	}
}
