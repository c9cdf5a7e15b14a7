package exec

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newFactory(fake *clienttest.Fake) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	ios, in, out, errOut := iostreams.Test()
	return &cmdutil.Factory{IOStreams: ios, Client: func() (client.Interface, error) { return fake, nil }}, in, out, errOut
}

func TestNewCmdExec(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, o *ExecOptions)
	}{
		{name: "vm and command", args: []string{"vm-1", "--", "ls", "-la"}, check: func(t *testing.T, o *ExecOptions) {
			if o.VM != "vm-1" || !reflect.DeepEqual(o.Command, []string{"ls", "-la"}) || o.Shell != "/bin/bash" || o.UIDSet {
				t.Errorf("%+v", o)
			}
		}},
		{name: "flags before vm", args: []string{"--uid", "1000", "--cwd", "/w", "vm-1", "--", "opencode", "run"}, check: func(t *testing.T, o *ExecOptions) {
			if o.VM != "vm-1" || o.UID != 1000 || !o.UIDSet || o.Cwd != "/w" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "flags after vm", args: []string{"vm-1", "--uid", "0", "--env", "A=1", "--env", "B=2", "--", "cmd"}, check: func(t *testing.T, o *ExecOptions) {
			if !o.UIDSet || o.UID != 0 || !reflect.DeepEqual(o.Env, []string{"A=1", "B=2"}) {
				t.Errorf("%+v", o)
			}
		}},
		{name: "empty shell", args: []string{"--shell", "", "vm-1", "--", "/bin/true"}, check: func(t *testing.T, o *ExecOptions) {
			if o.Shell != "" {
				t.Errorf("shell %q", o.Shell)
			}
		}},
		{name: "shell= form", args: []string{"vm-1", "--shell=", "--", "/bin/true"}, check: func(t *testing.T, o *ExecOptions) {
			if o.Shell != "" {
				t.Errorf("shell %q", o.Shell)
			}
		}},
		{name: "fan-out tag", args: []string{"--tag", "role=web", "--", "uptime"}, check: func(t *testing.T, o *ExecOptions) {
			if o.Tag != "role=web" || o.VM != "" || !reflect.DeepEqual(o.Command, []string{"uptime"}) || o.Parallel != 10 {
				t.Errorf("%+v", o)
			}
		}},
		{name: "fan-out vms", args: []string{"--vm", "a", "--vm", "b", "--parallel", "2", "-o", "json", "--", "uptime"}, check: func(t *testing.T, o *ExecOptions) {
			if !reflect.DeepEqual(o.VMs, []string{"a", "b"}) || o.Parallel != 2 || o.Output.Format != "json" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "tty", args: []string{"-t", "vm-1", "--", "htop"}, check: func(t *testing.T, o *ExecOptions) {
			if !o.TTY {
				t.Error("tty not set")
			}
		}},
		{name: "no args", args: []string{}, wantErr: "missing VM"},
		{name: "no command", args: []string{"vm-1"}, wantErr: "slicer shell vm-1"},
		{name: "bad env", args: []string{"vm-1", "--env", "NOVALUE", "--", "ls"}, wantErr: "KEY=VALUE"},
		{name: "cwd climbing out", args: []string{"vm-1", "--cwd", "~/../../etc", "--", "ls"}, wantErr: `".." is not allowed`},
		{name: "cwd under home", args: []string{"vm-1", "--cwd", "~/src", "--", "ls"}, check: func(t *testing.T, o *ExecOptions) {
			if o.Cwd != "~/src" {
				t.Errorf("cwd %q", o.Cwd)
			}
		}},
		{name: "vm argument with fan-out", args: []string{"--vm", "a", "b", "--", "ls"}, wantErr: "give no VM argument"},
		{name: "tag and all", args: []string{"--tag", "a=b", "--all", "--", "ls"}, wantErr: "cannot be combined"},
		{name: "tty fan-out", args: []string{"-t", "--all", "--", "ls"}, wantErr: "-t cannot"},
		{name: "parallel zero", args: []string{"--all", "--parallel", "0", "--", "ls"}, wantErr: "--parallel"},
		{name: "bad output", args: []string{"-o", "yaml", "vm-1", "--", "ls"}, wantErr: "invalid output format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _, _ := newFactory(&clienttest.Fake{})
			var got *ExecOptions
			cmd := NewCmdExec(f, func(_ context.Context, o *ExecOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			err := cmd.Execute()
			if tt.wantErr != "" {
				var fe *cmdutil.FlagError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if !errors.As(err, &fe) {
					t.Fatalf("err %v is not a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
		})
	}
}

func frames(fs ...client.SlicerExecWriteResult) chan client.SlicerExecWriteResult {
	ch := make(chan client.SlicerExecWriteResult, len(fs))
	for _, f := range fs {
		ch <- f
	}
	close(ch)
	return ch
}

func oneVM(name string) func(context.Context, ...client.ListOptions) ([]client.SlicerNode, error) {
	return func(context.Context, ...client.ListOptions) ([]client.SlicerNode, error) {
		return []client.SlicerNode{{Hostname: name}}, nil
	}
}

func TestExecRun(t *testing.T) {
	tests := []struct {
		name       string
		opts       ExecOptions
		stdinTTY   bool
		frames     []client.SlicerExecWriteResult
		wantOut    string
		wantErrOut string
		wantCode   int
		wantLost   bool
		check      func(t *testing.T, req client.SlicerExecRequest, stdin io.Reader)
	}{
		{
			name: "binary output and exit 0",
			opts: ExecOptions{Command: []string{"cat /bin/x"}, Shell: "/bin/bash"},
			frames: []client.SlicerExecWriteResult{
				{Type: "started", Pid: 3},
				{Type: "stdout", Data: "\x00\xff\n"},
				{Type: "stderr", Data: "warn\n"},
				{Type: "exit", ExitCode: 0},
			},
			wantOut: "\x00\xff\n", wantErrOut: "warn\n",
			check: func(t *testing.T, req client.SlicerExecRequest, stdin io.Reader) {
				if req.Command != "cat /bin/x" || req.Shell != "/bin/bash" || req.UID != client.NonRootUser || req.GID != client.NonRootUser || req.Stdio != "base64" {
					t.Errorf("request %+v", req)
				}
				if stdin == nil {
					t.Error("piped stdin not sent")
				}
			},
		},
		{
			name:     "remote exit code passes through",
			opts:     ExecOptions{Command: []string{"false"}, Shell: "", UID: 0, UIDSet: true},
			frames:   []client.SlicerExecWriteResult{{Type: "exit", ExitCode: 3}},
			wantCode: 3,
			check: func(t *testing.T, req client.SlicerExecRequest, _ io.Reader) {
				if req.UID != 0 || req.GID != 0 || req.Shell != "" || req.Command != "false" {
					t.Errorf("request %+v", req)
				}
			},
		},
		{
			name:     "signal death",
			opts:     ExecOptions{Command: []string{"x"}, Shell: "/bin/bash"},
			frames:   []client.SlicerExecWriteResult{{Type: "exit", ExitCode: -1, Signal: "KILL"}},
			wantCode: 137,
		},
		{
			name:       "not found",
			opts:       ExecOptions{Command: []string{"nope"}, Shell: ""},
			frames:     []client.SlicerExecWriteResult{{Type: "exit", ExitCode: 127, Error: "exec: \"nope\": executable file not found"}},
			wantCode:   127,
			wantErrOut: "slicer: VM vm-1: exec: \"nope\": executable file not found\n",
		},
		{
			name:     "stream cut before exit",
			opts:     ExecOptions{Command: []string{"x"}, Shell: "/bin/bash"},
			frames:   []client.SlicerExecWriteResult{{Type: "stdout", Data: "partial"}},
			wantOut:  "partial",
			wantLost: true,
		},
		{
			name:     "client reports broken stream",
			opts:     ExecOptions{Command: []string{"x"}, Shell: "/bin/bash"},
			frames:   []client.SlicerExecWriteResult{{Type: "stdout", Data: "a"}, {Error: "exec stream: unexpected EOF", ExitCode: -1}},
			wantOut:  "a",
			wantLost: true,
		},
		{
			name:    "legacy untyped frames",
			opts:    ExecOptions{Command: []string{"x"}, Shell: "/bin/bash"},
			frames:  []client.SlicerExecWriteResult{{Stdout: "out\n"}, {Stderr: "err\n", ExitCode: 0}},
			wantOut: "out\n", wantErrOut: "err\n",
			stdinTTY: true,
			check: func(t *testing.T, _ client.SlicerExecRequest, stdin io.Reader) {
				if stdin != nil {
					t.Error("a terminal stdin was sent")
				}
			},
		},
		{
			name:    "json lines",
			opts:    ExecOptions{Command: []string{"x"}, Shell: "/bin/bash"},
			frames:  []client.SlicerExecWriteResult{{Type: "stdout", Data: "a\nb"}, {Type: "exit", ExitCode: 0}},
			wantOut: `{"vm":"vm-1","stream":"stdout","data":"a"}` + "\n" + `{"vm":"vm-1","stream":"stdout","data":"b"}` + "\n" + `{"vm":"vm-1","data":"","exit_code":0}` + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotReq client.SlicerExecRequest
			var gotStdin io.Reader
			fake := &clienttest.Fake{
				ListVMsFunc: oneVM("vm-1"),
				ExecWithReaderFunc: func(ctx context.Context, vm string, req client.SlicerExecRequest, stdin io.Reader) (chan client.SlicerExecWriteResult, error) {
					if vm != "vm-1" {
						t.Errorf("vm %q", vm)
					}
					gotReq, gotStdin = req, stdin
					return frames(tt.frames...), nil
				},
			}
			f, _, out, errOut := newFactory(fake)
			f.IOStreams.SetStdinTTY(tt.stdinTTY)
			opts := tt.opts
			opts.VM = "vm-1"
			opts.IO = f.IOStreams
			opts.Client = f.Client
			opts.Parallel = 1
			if strings.HasPrefix(tt.name, "json") {
				opts.Output.Format = "json"
			}
			err := execRun(context.Background(), &opts)
			var code cmdutil.ExitCodeError
			switch {
			case tt.wantLost:
				if !errors.Is(err, cmdutil.ErrConnectionLost) {
					t.Fatalf("err = %v, want connection lost", err)
				}
			case tt.wantCode != 0:
				if !errors.As(err, &code) || code.Code != tt.wantCode {
					t.Fatalf("err = %v, want exit %d", err, tt.wantCode)
				}
			case err != nil:
				t.Fatalf("err = %v", err)
			}
			if out.String() != tt.wantOut {
				t.Errorf("stdout %q, want %q", out.String(), tt.wantOut)
			}
			if errOut.String() != tt.wantErrOut {
				t.Errorf("stderr %q, want %q", errOut.String(), tt.wantErrOut)
			}
			if tt.check != nil {
				tt.check(t, gotReq, gotStdin)
			}
		})
	}
}

func TestExecRunCancelled(t *testing.T) {
	ch := make(chan client.SlicerExecWriteResult)
	fake := &clienttest.Fake{
		ListVMsFunc: oneVM("vm-1"),
		ExecWithReaderFunc: func(ctx context.Context, _ string, _ client.SlicerExecRequest, _ io.Reader) (chan client.SlicerExecWriteResult, error) {
			go func() {
				<-ctx.Done()
				close(ch)
			}()
			return ch, nil
		},
	}
	f, _, _, _ := newFactory(fake)
	ctx, cancel := context.WithCancel(context.Background())
	opts := &ExecOptions{IO: f.IOStreams, Client: f.Client, VM: "vm-1", Command: []string{"sleep 100"}, Shell: "/bin/bash", Parallel: 1}
	done := make(chan error)
	go func() { done <- execRun(ctx, opts) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestFanOut(t *testing.T) {
	fake := &clienttest.Fake{
		ListVMsFunc: func(_ context.Context, o ...client.ListOptions) ([]client.SlicerNode, error) {
			if len(o) != 1 || o[0].Tag != "role=web" {
				t.Errorf("list options %+v", o)
			}
			return []client.SlicerNode{{Hostname: "web-2"}, {Hostname: "web-1"}}, nil
		},
		ExecWithReaderFunc: func(_ context.Context, vm string, req client.SlicerExecRequest, stdin io.Reader) (chan client.SlicerExecWriteResult, error) {
			if stdin != nil {
				t.Error("stdin sent to a fan-out")
			}
			code := 0
			if vm == "web-2" {
				code = 4
			}
			return frames(client.SlicerExecWriteResult{Type: "stdout", Data: "up\nok"}, client.SlicerExecWriteResult{Type: "exit", ExitCode: code}), nil
		},
	}
	f, _, out, _ := newFactory(fake)
	opts := &ExecOptions{IO: f.IOStreams, Client: f.Client, Tag: "role=web", Command: []string{"uptime"}, Shell: "/bin/bash", Parallel: 2}
	err := execRun(context.Background(), opts)
	var code cmdutil.ExitCodeError
	if !errors.As(err, &code) || code.Code != 4 {
		t.Fatalf("err = %v, want exit 4", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("lines %q", lines)
	}
	for _, want := range []string{"[web-1] up", "[web-1] ok", "[web-2] up", "[web-2] ok"} {
		if !strings.Contains(out.String(), want+"\n") {
			t.Errorf("missing %q in %q", want, out.String())
		}
	}
}

func TestSignalNumber(t *testing.T) {
	for name, want := range map[string]int{"KILL": 9, "SIGTERM": 15, "killed": 9, "9": 9, "int": 2, "bogus": 0} {
		if got := signalNumber(name); got != want {
			t.Errorf("signalNumber(%q) = %d, want %d", name, got, want)
		}
	}
}

func TestFanOutJQ(t *testing.T) {
	fake := &clienttest.Fake{
		ListVMsFunc: func(context.Context, ...client.ListOptions) ([]client.SlicerNode, error) {
			return []client.SlicerNode{{Hostname: "a"}, {Hostname: "b"}}, nil
		},
		ExecWithReaderFunc: func(_ context.Context, vm string, _ client.SlicerExecRequest, _ io.Reader) (chan client.SlicerExecWriteResult, error) {
			code := 0
			if vm == "b" {
				code = 2
			}
			return frames(client.SlicerExecWriteResult{Type: "stdout", Data: "x\n"}, client.SlicerExecWriteResult{Type: "exit", ExitCode: code}), nil
		},
	}
	f, _, out, _ := newFactory(fake)
	cmd := NewCmdExec(f, nil)
	cmd.SetArgs([]string{"--all", "--jq", "select(.exit_code != null and .exit_code != 0) | .vm", "--", "x"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err := cmd.Execute()
	var code cmdutil.ExitCodeError
	if !errors.As(err, &code) || code.Code != 2 {
		t.Fatalf("err = %v", err)
	}
	if out.String() != "b\n" {
		t.Fatalf("out %q", out.String())
	}
}
