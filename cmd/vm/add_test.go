package vm

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/cmd/cmdutil/cmdtest"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
)

func TestNewCmdAdd(t *testing.T) {
	dir := t.TempDir()
	udFile := filepath.Join(dir, "ud.sh")
	if err := os.WriteFile(udFile, []byte("#!/bin/sh\necho hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		group   string
		want    client.SlicerCreateNodeRequest
		wantErr string
	}{
		{name: "defaults", want: client.SlicerCreateNodeRequest{Persistent: true}},
		{name: "group and specs", args: []string{"sbox", "--cpus", "2", "--ram-gb", "4", "--gpus", "1"}, group: "sbox",
			want: client.SlicerCreateNodeRequest{CPUs: 2, RamBytes: 4 << 30, GPUCount: 1, Persistent: true}},
		{name: "ram mb", args: []string{"--ram-mb", "512"}, want: client.SlicerCreateNodeRequest{RamBytes: 512 << 20, Persistent: true}},
		{name: "name and tags", args: []string{"-n", "web", "--tag", "env=dev", "--tag", "team=a"},
			want: client.SlicerCreateNodeRequest{Tags: []string{"name=web", "env=dev", "team=a"}, Persistent: true}},
		{name: "rm", args: []string{"--rm"}, want: client.SlicerCreateNodeRequest{}},
		{name: "persistent false", args: []string{"--persistent=false"}, want: client.SlicerCreateNodeRequest{}},
		{name: "secrets both spellings", args: []string{"--secrets", "a,b", "--secret=c"},
			want: client.SlicerCreateNodeRequest{Secrets: []string{"a", "b", "c"}, Persistent: true}},
		{name: "ssh keys and user", args: []string{"--ssh-key", "ssh-ed25519 AAA x", "--import-user", "alex"},
			want: client.SlicerCreateNodeRequest{SSHKeys: []string{"ssh-ed25519 AAA x"}, ImportUser: "alex", Persistent: true}},
		{name: "userdata", args: []string{"--userdata", "echo hi"}, want: client.SlicerCreateNodeRequest{Userdata: "echo hi", Persistent: true}},
		{name: "userdata file", args: []string{"--userdata-file", udFile}, want: client.SlicerCreateNodeRequest{Userdata: "#!/bin/sh\necho hi\n", Persistent: true}},
		{name: "two ram forms", args: []string{"--ram-gb", "1", "--ram-mb", "5"}, wantErr: "give RAM once"},
		{name: "name and name tag", args: []string{"--name", "a", "--tag", "name=a"}, wantErr: "--name and --tag name="},
		{name: "bad tag", args: []string{"--tag", "novalue"}, wantErr: "key=value"},
		{name: "bad name", args: []string{"--name", "Web_1"}, wantErr: "invalid VM name"},
		{name: "both userdata", args: []string{"--userdata", "x", "--userdata-file", udFile}, wantErr: "cannot be combined"},
		{name: "missing userdata file", args: []string{"--userdata-file", filepath.Join(dir, "nope")}, wantErr: "no such file"},
		{name: "rm and persistent", args: []string{"--rm", "--persistent"}, wantErr: "--rm conflicts"},
		{name: "timeout without wait", args: []string{"--timeout", "1m"}, wantErr: "--timeout needs"},
		{name: "negative cpus", args: []string{"--cpus", "-1"}, wantErr: "negative"},
		{name: "two groups", args: []string{"a", "b"}, wantErr: "too many arguments"},
		{name: "shell with json", args: []string{"--shell", "--json"}, wantErr: "--shell cannot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := cmdtest.NewFactory(&clienttest.Fake{}, false)
			got := cmdtest.Parse(t, f, NewCmdAdd, tt.wantErr, tt.args...)
			if got == nil {
				return
			}
			if got.HostGroup != tt.group {
				t.Errorf("group = %q, want %q", got.HostGroup, tt.group)
			}
			if !reflect.DeepEqual(got.request, tt.want) {
				t.Errorf("request = %+v\nwant      %+v", got.request, tt.want)
			}
		})
	}
}

func addFake(t *testing.T, gotOpts *client.SlicerCreateNodeOptions, gotGroup *string) *clienttest.Fake {
	return &clienttest.Fake{
		GetHostGroupsFunc: func(ctx context.Context) ([]client.SlicerHostGroup, error) {
			return []client.SlicerHostGroup{{Name: "task", CPUs: 1, RamBytes: 2 << 30}}, nil
		},
		CreateVMWithOptionsFunc: func(ctx context.Context, group string, req client.SlicerCreateNodeRequest, o client.SlicerCreateNodeOptions) (*client.SlicerCreateNodeResponse, error) {
			*gotGroup = group
			*gotOpts = o
			return &client.SlicerCreateNodeResponse{Hostname: "task-1", HostGroup: "task", IP: "192.168.138.2/24",
				CreatedAt: time.Date(2025, 9, 9, 8, 45, 27, 0, time.UTC), Arch: "amd64"}, nil
		},
	}
}

func TestAddRun(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		tty      bool
		golden   string
		wantWait client.SlicerCreateNodeWaitFor
	}{
		{name: "human piped", args: []string{"--rm"}, golden: "add_human"},
		{name: "human tty", args: []string{"--rm"}, tty: true, golden: "add_human"},
		{name: "json", args: []string{"--json", "--wait"}, golden: "add_json", wantWait: client.SlicerCreateNodeWaitAgent},
		{name: "name", args: []string{"-o", "name", "--wait-userdata", "--timeout", "15m"}, golden: "add_name", wantWait: client.SlicerCreateNodeWaitUserdata},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o client.SlicerCreateNodeOptions
			var group string
			f, s := cmdtest.NewFactory(addFake(t, &o, &group), tt.tty)
			if err := cmdtest.Run(NewCmdAdd(f, nil), tt.args...); err != nil {
				t.Fatal(err)
			}
			cmdtest.Golden(t, tt.golden, s.Out.Bytes())
			if group != "task" || o.Wait != tt.wantWait {
				t.Errorf("group %q wait %q", group, o.Wait)
			}
		})
	}
}

func TestAddRunHostGroupChoice(t *testing.T) {
	fake := &clienttest.Fake{
		GetHostGroupsFunc: func(ctx context.Context) ([]client.SlicerHostGroup, error) {
			return []client.SlicerHostGroup{{Name: "b"}, {Name: "a"}}, nil
		},
	}
	f, _ := cmdtest.NewFactory(fake, false)
	err := cmdtest.Run(NewCmdAdd(f, nil))
	if err == nil || !strings.Contains(err.Error(), "host group is required when more than one is configured (have: a, b)") {
		t.Fatalf("error = %v", err)
	}
	err = cmdtest.Run(NewCmdAdd(f, nil), "c")
	if err == nil || !strings.Contains(err.Error(), `host group "c" not found (have: a, b)`) {
		t.Fatalf("error = %v", err)
	}
	if n := len(fake.CallsTo("CreateVMWithOptions")); n != 0 {
		t.Errorf("created %d VMs", n)
	}
}

func TestAddRunTimeout(t *testing.T) {
	var o client.SlicerCreateNodeOptions
	var group string
	fake := addFake(t, &o, &group)
	fake.CreateVMWithOptionsFunc = func(ctx context.Context, g string, req client.SlicerCreateNodeRequest, opts client.SlicerCreateNodeOptions) (*client.SlicerCreateNodeResponse, error) {
		if opts.Timeout != 30*time.Second {
			t.Errorf("timeout = %v", opts.Timeout)
		}
		return nil, &client.APIError{Method: "POST", Path: "/hostgroup/task/nodes", StatusCode: http.StatusRequestTimeout, Message: "timed out"}
	}
	f, s := cmdtest.NewFactory(fake, false)
	err := cmdtest.Run(NewCmdAdd(f, nil), "--wait", "--timeout", "30s")
	if !errors.Is(err, cmdutil.ErrTimeout) {
		t.Fatalf("error = %v, want ErrTimeout", err)
	}
	if s.Out.Len() != 0 {
		t.Errorf("stdout = %q", s.Out)
	}
}

func TestAddRunShell(t *testing.T) {
	var o client.SlicerCreateNodeOptions
	var group string
	f, _ := cmdtest.NewFactory(addFake(t, &o, &group), false)
	var shellVM string
	f.Run = func(ctx context.Context, args ...string) error {
		shellVM = strings.Join(args, " ")
		return nil
	}
	if err := cmdtest.Run(NewCmdAdd(f, nil), "--shell"); err != nil {
		t.Fatal(err)
	}
	if shellVM != "vm shell task-1" || o.Wait != client.SlicerCreateNodeWaitAgent {
		t.Errorf("shell ran %q, wait %q", shellVM, o.Wait)
	}
}

// The Created line is in local time with its offset, as the vendor prints
// it, even when the daemon answers in UTC.
func TestAddRunCreatedLocalTime(t *testing.T) {
	old := time.Local
	time.Local = time.FixedZone("BST", 3600)
	defer func() { time.Local = old }()
	var o client.SlicerCreateNodeOptions
	var group string
	f, s := cmdtest.NewFactory(addFake(t, &o, &group), false)
	if err := cmdtest.Run(NewCmdAdd(f, nil)); err != nil {
		t.Fatal(err)
	}
	if want := "\n  Created:  2025-09-09T09:45:27+01:00\n"; !strings.Contains(s.Out.String(), want) {
		t.Errorf("stdout = %q, want it to contain %q", s.Out, want)
	}
}
