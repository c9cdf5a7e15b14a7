package vm

import (
	"context"
	"strings"
	"testing"

	"github.com/slicer-cli/slicer/cmd/cmdutil/cmdtest"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
)

func TestGroupRun(t *testing.T) {
	groups := []client.SlicerHostGroup{
		{Name: "sbox", Count: 2, CPUs: 2, RamBytes: 4 << 30, Arch: "amd64"},
		{Name: "gpu", CPUs: 8, RamBytes: 32 << 30, GPUCount: 1, Arch: "amd64"},
	}
	for _, tt := range []struct {
		name, golden string
		args         []string
		tty          bool
		groups       []client.SlicerHostGroup
	}{
		{"table", "group_table", nil, false, groups},
		{"table tty", "group_table", nil, true, groups},
		{"json", "group_json", []string{"--json"}, false, groups},
		{"name", "group_name", []string{"-o", "name"}, false, groups},
		{"empty json is []", "group_empty_json", []string{"-o", "json"}, false, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := &clienttest.Fake{
				GetHostGroupsFunc: func(ctx context.Context) ([]client.SlicerHostGroup, error) { return tt.groups, nil },
			}
			f, s := cmdtest.NewFactory(fake, tt.tty)
			if err := cmdtest.Run(NewCmdGroup(f, nil), tt.args...); err != nil {
				t.Fatal(err)
			}
			cmdtest.Golden(t, tt.golden, s.Out.Bytes())
		})
	}
}

func TestGroupFlagsAndErrors(t *testing.T) {
	f, _ := cmdtest.NewFactory(&clienttest.Fake{}, false)
	if err := cmdtest.Run(NewCmdGroup(f, nil), "extra"); err == nil {
		t.Error("an argument was accepted")
	}
	if err := cmdtest.Run(NewCmdGroup(f, nil), "-o", "xml"); err == nil || !strings.Contains(err.Error(), "xml") {
		t.Errorf("-o xml: %v", err)
	}
	fake := &clienttest.Fake{
		GetHostGroupsFunc: func(ctx context.Context) ([]client.SlicerHostGroup, error) {
			return nil, &client.APIError{Method: "GET", Path: "/hostgroup", StatusCode: 500, Message: "boom"}
		},
	}
	f, s := cmdtest.NewFactory(fake, false)
	err := cmdtest.Run(NewCmdGroup(f, nil))
	if err == nil || !strings.Contains(err.Error(), "list host groups") || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("error = %v", err)
	}
	if s.Out.Len() != 0 {
		t.Errorf("stdout = %q", s.Out)
	}
}
