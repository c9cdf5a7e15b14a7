package vm

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/cmd/cmdutil/cmdtest"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
)

func notFound(path string) error {
	return &client.APIError{Method: "POST", Path: path, StatusCode: http.StatusNotFound, Message: "VM not found"}
}

// namedFake knows vm-1 (friendly name "web"); other hostnames are 404.
func namedFake(calls *[]string) *clienttest.Fake {
	known := func(vm string) error {
		*calls = append(*calls, vm)
		if vm != "vm-1" {
			return notFound("/vm/" + vm)
		}
		return nil
	}
	return &clienttest.Fake{
		ListVMsFunc: func(ctx context.Context, opts ...client.ListOptions) ([]client.SlicerNode, error) {
			if len(opts) == 1 && opts[0].Tag == "name=web" {
				return sampleNodes()[:1], nil
			}
			if len(opts) == 1 {
				return nil, nil
			}
			return sampleNodes(), nil
		},
		PauseVMFunc:   func(ctx context.Context, vm string) error { return known(vm) },
		ResumeVMFunc:  func(ctx context.Context, vm string) error { return known(vm) },
		SuspendVMFunc: func(ctx context.Context, vm string) error { return known(vm) },
		RestoreVMWithOptionsFunc: func(ctx context.Context, vm string, o client.SlicerRestoreVMOptions) error {
			if o.Wait != client.SlicerRestoreVMWaitAgent || o.Timeout != 20*time.Second {
				return errors.New("bad restore options")
			}
			return known(vm)
		},
		ShutdownFunc: func(ctx context.Context, vm string, req *client.SlicerShutdownRequest) error {
			*calls = append(*calls, req.Action)
			return known(vm)
		},
		RelaunchVMFunc: func(ctx context.Context, vm string) (*client.SlicerCreateNodeResponse, error) {
			if err := known(vm); err != nil {
				return nil, err
			}
			return &client.SlicerCreateNodeResponse{Hostname: vm, HostGroup: "vm", IP: "10.0.0.2/24"}, nil
		},
	}
}

func TestLifecycleVerbs(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantCalls string
		wantErr   string
		wantTalk  string
	}{
		{name: "pause by hostname", args: []string{"pause", "vm-1"}, wantCalls: "vm-1", wantTalk: "VM vm-1 paused"},
		{name: "pause by name falls back on 404", args: []string{"pause", "web"}, wantCalls: "web,vm-1", wantTalk: "VM vm-1 paused"},
		{name: "resume", args: []string{"resume", "web"}, wantCalls: "web,vm-1", wantTalk: "resumed"},
		{name: "suspend", args: []string{"suspend", "vm-1"}, wantCalls: "vm-1", wantTalk: "suspended"},
		{name: "unknown VM", args: []string{"pause", "ghost"}, wantCalls: "ghost", wantErr: "VM not found"},
		{name: "shutdown sends explicit action", args: []string{"shutdown", "vm-1"}, wantCalls: "shutdown,vm-1", wantTalk: "shut down"},
		{name: "reboot", args: []string{"shutdown", "web", "--reboot"}, wantCalls: "reboot,web,reboot,vm-1", wantTalk: "rebooting"},
		{name: "restore wait", args: []string{"restore", "vm-1", "--wait", "--timeout", "20s"}, wantCalls: "vm-1", wantTalk: "restored"},
		{name: "restore timeout needs wait", args: []string{"restore", "vm-1", "--timeout", "20s"}, wantErr: "--timeout needs --wait"},
		{name: "missing VM", args: []string{"pause"}, wantErr: "missing VM name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []string
			f, s := cmdtest.NewFactory(namedFake(&calls), false)
			cmd := NewCmdVM(f)
			err := cmdtest.Run(cmd, tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(calls, ","); got != tt.wantCalls {
				t.Errorf("calls = %q, want %q", got, tt.wantCalls)
			}
			if !strings.Contains(s.ErrOut.String(), tt.wantTalk) {
				t.Errorf("stderr = %q, want %q", s.ErrOut, tt.wantTalk)
			}
			if s.Out.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", s.Out)
			}
		})
	}
}

func TestRelaunchRun(t *testing.T) {
	for _, tt := range []struct {
		name, golden string
		args         []string
	}{
		{"human", "relaunch_human", []string{"relaunch", "web"}},
		{"json", "relaunch_json", []string{"relaunch", "web", "--json"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var calls []string
			f, s := cmdtest.NewFactory(namedFake(&calls), false)
			if err := cmdtest.Run(NewCmdVM(f), tt.args...); err != nil {
				t.Fatal(err)
			}
			cmdtest.Golden(t, tt.golden, s.Out.Bytes())
		})
	}
}

// With several VMs the per-VM errors are printed as they happen; the
// daemon's text in them must not reach the terminal raw.
func TestSeveralVMsErrorsEscaped(t *testing.T) {
	hostile := &client.APIError{Method: "POST", Path: "/vm/bad/pause", StatusCode: http.StatusConflict, Message: "no\x1b]0;pwned\x07\x1b[2J"}
	var deleted []string
	fake := deleteFake(&deleted)
	fake.PauseVMFunc = func(ctx context.Context, vm string) error {
		if vm == "vm-2" {
			return hostile
		}
		return nil
	}
	fake.DeleteVMFunc = func(ctx context.Context, group, host string) (*client.SlicerDeleteResponse, error) {
		if host == "vm-2" {
			return nil, hostile
		}
		return &client.SlicerDeleteResponse{}, nil
	}
	for _, args := range [][]string{{"pause", "vm-1", "vm-2"}, {"delete", "vm-1", "vm-2", "--yes"}} {
		f, s := cmdtest.NewFactory(fake, false)
		err := cmdtest.Run(NewCmdVM(f), args...)
		if err == nil {
			t.Fatalf("%v: no error", args)
		}
		if !strings.Contains(s.ErrOut.String(), `no\x1b]0;pwned\x07\x1b[2J`) || strings.ContainsAny(s.ErrOut.String(), "\x1b\x07") {
			t.Errorf("%v: stderr = %q, want the daemon text escaped", args, s.ErrOut)
		}
	}
}
