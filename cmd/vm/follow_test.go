package vm

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/slicer-cli/slicer/cmd/cmdutil/cmdtest"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
)

func TestListWatchUntilInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	fake := &clienttest.Fake{
		ListVMsFunc: func(context.Context, ...client.ListOptions) ([]client.SlicerNode, error) {
			n++
			if n == 3 {
				cancel()
			}
			return sampleNodes()[:1], nil
		},
	}
	f, s := cmdtest.NewFactory(fake, false)
	cmd := NewCmdList(f, nil)
	cmd.SetArgs([]string{"--watch", "--interval", "1ms"})
	err := cmd.ExecuteContext(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v", err)
	}
	if got := strings.Count(s.Out.String(), "HOSTNAME"); got != 3 {
		t.Errorf("printed %d tables, want 3:\n%s", got, s.Out)
	}
	if strings.Contains(s.Out.String(), "\x1b[") {
		t.Errorf("screen control codes in piped output")
	}
}

func TestLogsFollowPrintsOnlyNewLines(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	contents := []string{"a\nb\n", "a\nb\n", "b\nc\nd\n", "c\nd\ne\n"}
	n := 0
	fake := &clienttest.Fake{
		GetVMLogsFunc: func(ctx context.Context, vm string, lines int) (*client.SlicerLogsResponse, error) {
			c := contents[n]
			n++
			if n == len(contents) {
				cancel()
			}
			return &client.SlicerLogsResponse{Hostname: vm, Content: c}, nil
		},
	}
	f, s := cmdtest.NewFactory(fake, false)
	cmd := NewCmdLogs(f, nil)
	cmd.SetArgs([]string{"vm-1", "-f", "--interval", "1ms"})
	if err := cmd.ExecuteContext(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v", err)
	}
	if s.Out.String() != "a\nb\nc\nd\ne\n" {
		t.Errorf("followed output = %q", s.Out)
	}
}
