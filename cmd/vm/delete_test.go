package vm

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/cmd/cmdutil/cmdtest"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
)

func deleteFake(deleted *[]string) *clienttest.Fake {
	return &clienttest.Fake{
		ListVMsFunc: func(ctx context.Context, opts ...client.ListOptions) ([]client.SlicerNode, error) {
			nodes := sampleNodes()
			if len(opts) == 1 && opts[0].Tag != "" {
				var out []client.SlicerNode
				for _, n := range nodes {
					for _, tg := range n.Tags {
						if tg == opts[0].Tag {
							out = append(out, n)
						}
					}
				}
				return out, nil
			}
			return nodes, nil
		},
		GetHostGroupsFunc: func(ctx context.Context) ([]client.SlicerHostGroup, error) {
			return []client.SlicerHostGroup{{Name: "vm"}}, nil
		},
		DeleteVMFunc: func(ctx context.Context, group, host string) (*client.SlicerDeleteResponse, error) {
			*deleted = append(*deleted, group+"/"+host)
			return &client.SlicerDeleteResponse{Message: "deleted", DiskRemoved: "true"}, nil
		},
	}
}

func TestNewCmdDelete(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "nothing", args: nil, wantErr: "name the VMs"},
		{name: "names and tag", args: []string{"vm-1", "--tag", "a=b"}, wantErr: "not both"},
		{name: "ok", args: []string{"vm-1", "vm-2", "-y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := cmdtest.NewFactory(&clienttest.Fake{}, false)
			err := cmdtest.Run(NewCmdDelete(f, func(context.Context, *DeleteOptions) error { return nil }), tt.args...)
			var fe *cmdutil.FlagError
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &fe) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDeleteRun(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		tty         bool
		stdin       string
		wantDeleted []string
		wantErr     string
		wantOut     string
	}{
		{name: "hostname", args: []string{"vm-1"}, wantDeleted: []string{"vm/vm-1"}},
		{name: "friendly name", args: []string{"web"}, wantDeleted: []string{"vm/vm-1"}},
		{name: "vendor group form", args: []string{"vm-2", "vm"}, wantDeleted: []string{"vm/vm-2"}},
		{name: "several", args: []string{"vm-1", "vm-2"}, wantDeleted: []string{"vm/vm-1", "vm/vm-2"}},
		{name: "by tag needs yes off a terminal", args: []string{"--tag", "env=dev"}, wantErr: "--yes"},
		{name: "by tag", args: []string{"--tag", "env=dev", "--yes"}, wantDeleted: []string{"vm/vm-1"}},
		{name: "unknown", args: []string{"nope"}, wantErr: `VM "nope" not found`},
		{name: "tty confirmed", args: []string{"vm-1"}, tty: true, stdin: "y\n", wantDeleted: []string{"vm/vm-1"}},
		{name: "tty declined", args: []string{"vm-1"}, tty: true, stdin: "n\n", wantErr: "cancelled"},
		{name: "json", args: []string{"vm-1", "--json"}, wantDeleted: []string{"vm/vm-1"}, wantOut: `"disk_removed": "true"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var deleted []string
			f, s := cmdtest.NewFactory(deleteFake(&deleted), tt.tty)
			s.In.WriteString(tt.stdin)
			err := cmdtest.Run(NewCmdDelete(f, nil), tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if len(deleted) != 0 {
					t.Errorf("deleted %v despite the error", deleted)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(deleted, ",") != strings.Join(tt.wantDeleted, ",") {
				t.Errorf("deleted %v, want %v", deleted, tt.wantDeleted)
			}
			if !strings.Contains(s.Out.String(), tt.wantOut) {
				t.Errorf("stdout %q lacks %q", s.Out, tt.wantOut)
			}
			if tt.wantOut == "" && s.Out.Len() != 0 {
				t.Errorf("stdout = %q, want nothing (talk goes to stderr)", s.Out)
			}
		})
	}
}

// Deleting one VM that the daemon refuses returns that API error (so the
// 403 hint is printed) and prints nothing on stdout, not an empty list.
func TestDeleteRunOneRefused(t *testing.T) {
	var deleted []string
	fake := deleteFake(&deleted)
	fake.DeleteVMFunc = func(ctx context.Context, group, host string) (*client.SlicerDeleteResponse, error) {
		return nil, &client.APIError{Method: "DELETE", Path: "/hostgroup/vm/nodes/vm-1", StatusCode: 403, Message: "VM vm-1 is protected"}
	}
	f, s := cmdtest.NewFactory(fake, false)
	err := cmdtest.Run(NewCmdDelete(f, nil), "vm-1", "--json")
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 403 || !strings.Contains(err.Error(), `delete VM "vm-1"`) {
		t.Fatalf("error = %v, want the 403 API error", err)
	}
	if s.Out.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", s.Out)
	}
	if strings.Contains(s.ErrOut.String(), "protected") {
		t.Errorf("stderr %q repeats the error that is returned", s.ErrOut)
	}
}
