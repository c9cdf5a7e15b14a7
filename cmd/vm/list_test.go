package vm

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/cmd/cmdutil/cmdtest"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
	"github.com/slicer-cli/slicer/pkg/output"
)

func TestNewCmdList(t *testing.T) {
	type want struct {
		HostGroup, Tag, TagPrefix string
		Format                    output.Format
	}
	tests := []struct {
		name    string
		args    []string
		want    want
		wantErr string
	}{
		{name: "no args", args: nil, want: want{Format: output.Table}},
		{name: "group", args: []string{"sbox"}, want: want{HostGroup: "sbox", Format: output.Table}},
		{name: "json alias", args: []string{"--json"}, want: want{Format: output.JSON}},
		{name: "tag", args: []string{"--tag", "a=b", "-o", "name"}, want: want{Tag: "a=b", Format: output.Name}},
		{name: "tag prefix", args: []string{"--tag-prefix", "a="}, want: want{TagPrefix: "a=", Format: output.Table}},
		{name: "jq implies json", args: []string{"--jq", ".[]"}, want: want{Format: output.JSON}},
		{name: "both tag filters", args: []string{"--tag", "a=b", "--tag-prefix", "a"}, wantErr: "cannot be combined"},
		{name: "two groups", args: []string{"a", "b"}, wantErr: "too many arguments"},
		{name: "bad format", args: []string{"-o", "xml"}, wantErr: "invalid output format"},
		{name: "json and yaml", args: []string{"--json", "-o", "yaml"}, wantErr: "conflicts"},
		{name: "bad jq", args: []string{"--jq", ".["}, wantErr: "invalid --jq"},
		{name: "bad interval", args: []string{"--watch", "--interval", "0s"}, wantErr: "--interval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := cmdtest.NewFactory(&clienttest.Fake{}, false)
			var got *ListOptions
			cmd := NewCmdList(f, func(_ context.Context, o *ListOptions) error { got = o; return nil })
			err := cmdtest.Run(cmd, tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				var fe *cmdutil.FlagError
				if !errors.As(err, &fe) {
					t.Errorf("error %v is not a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.HostGroup != tt.want.HostGroup || got.Tag != tt.want.Tag || got.TagPrefix != tt.want.TagPrefix ||
				got.Output.Format != tt.want.Format {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestListRun(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		tty    bool
		golden string
	}{
		{name: "table piped", args: nil, golden: "list_table"},
		// On a terminal the same columns, with the creation time as an age.
		{name: "table tty", args: nil, tty: true, golden: "list_table_tty"},
		{name: "wide", args: []string{"-o", "wide"}, golden: "list_wide"},
		{name: "json", args: []string{"--json"}, golden: "list_json"},
		{name: "yaml", args: []string{"-o", "yaml"}, golden: "list_yaml"},
		{name: "name", args: []string{"-o", "name"}, golden: "list_name"},
		{name: "no headers", args: []string{"--no-headers"}, golden: "list_noheaders"},
		{name: "jq", args: []string{"--jq", ".[] | select(.status==\"Running\") | .hostname"}, golden: "list_jq"},
		{name: "template", args: []string{"--template", "{{range .}}{{.hostname}} {{.ip}}\n{{end}}"}, golden: "list_template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &clienttest.Fake{
				ListVMsFunc: func(ctx context.Context, opts ...client.ListOptions) ([]client.SlicerNode, error) {
					nodes := sampleNodes()
					if tt.tty {
						for i := range nodes {
							nodes[i].CreatedAt = time.Now().Add(-3*time.Hour - time.Duration(i+1)*time.Minute)
						}
					}
					return nodes, nil
				},
			}
			f, s := cmdtest.NewFactory(fake, tt.tty)
			if err := cmdtest.Run(NewCmdList(f, nil), tt.args...); err != nil {
				t.Fatal(err)
			}
			cmdtest.Golden(t, tt.golden, s.Out.Bytes())
			if s.ErrOut.Len() != 0 {
				t.Errorf("stderr = %q, want nothing", s.ErrOut)
			}
		})
	}
}

func TestListRunFilters(t *testing.T) {
	fake := &clienttest.Fake{
		GetHostGroupNodesFunc: func(ctx context.Context, group string, opts ...client.ListOptions) ([]client.SlicerNode, error) {
			if group != "sbox" || len(opts) != 1 || opts[0].Tag != "env=dev" {
				t.Errorf("GetHostGroupNodes(%q, %+v)", group, opts)
			}
			return nil, nil
		},
	}
	f, s := cmdtest.NewFactory(fake, false)
	if err := cmdtest.Run(NewCmdList(f, nil), "sbox", "--tag", "env=dev", "--json"); err != nil {
		t.Fatal(err)
	}
	if got := s.Out.String(); got != "[]\n" {
		t.Errorf("empty list JSON = %q, want []", got)
	}
}

func TestListRunEmptyTable(t *testing.T) {
	fake := &clienttest.Fake{
		ListVMsFunc: func(ctx context.Context, opts ...client.ListOptions) ([]client.SlicerNode, error) { return nil, nil },
	}
	f, s := cmdtest.NewFactory(fake, false)
	if err := cmdtest.Run(NewCmdList(f, nil)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(s.Out.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "HOSTNAME") || !strings.HasPrefix(lines[1], "--------") {
		t.Errorf("empty table = %q, want exactly the two header lines", s.Out.String())
	}
}

func TestListRunAPIError(t *testing.T) {
	fake := &clienttest.Fake{
		ListVMsFunc: func(ctx context.Context, opts ...client.ListOptions) ([]client.SlicerNode, error) {
			return nil, &client.APIError{Method: "GET", Path: "/nodes", StatusCode: http.StatusInternalServerError, Message: "boom"}
		},
	}
	f, s := cmdtest.NewFactory(fake, false)
	err := cmdtest.Run(NewCmdList(f, nil))
	if err == nil || !strings.Contains(err.Error(), "list VMs") || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("error = %v", err)
	}
	if s.Out.Len() != 0 {
		t.Errorf("stdout = %q on error", s.Out)
	}
}

func TestListTTYEscapesServerText(t *testing.T) {
	fake := &clienttest.Fake{
		ListVMsFunc: func(ctx context.Context, opts ...client.ListOptions) ([]client.SlicerNode, error) {
			return []client.SlicerNode{{Hostname: "vm-1", Tags: []string{"evil=\x1b[31mred\nx"}}}, nil
		},
	}
	f, s := cmdtest.NewFactory(fake, true)
	if err := cmdtest.Run(NewCmdList(f, nil)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s.Out.String(), "\x1b") || strings.Count(s.Out.String(), "\n") != 3 {
		t.Errorf("control characters reached the terminal: %q", s.Out)
	}
	if !strings.Contains(s.Out.String(), `evil=\x1b[31mred\nx`) {
		t.Errorf("escaped tag missing: %q", s.Out)
	}
}
