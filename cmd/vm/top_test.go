package vm

import (
	"context"
	"testing"

	"github.com/slicer-cli/slicer/cmd/cmdutil/cmdtest"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
)

func TestTopRunPipedOneSnapshot(t *testing.T) {
	calls := 0
	fake := &clienttest.Fake{
		GetVMStatsFunc: func(ctx context.Context, vm string) ([]client.SlicerNodeStat, error) {
			calls++
			return []client.SlicerNodeStat{
				{Hostname: "k3s-2", IP: "192.168.136.3", Snapshot: &client.SlicerSnapshot{TotalCPUS: 2, MemoryUsed: 159 << 20,
					MemoryAvailable: 3669 << 20, DiskSpaceUsedPercent: 2.2, DiskSpaceFree: 29 << 30, Uptime: "7m45s"}},
				{Hostname: "k3s-3", IP: "192.168.136.4"},
			}, nil
		},
	}
	f, s := cmdtest.NewFactory(fake, false)
	if err := cmdtest.Run(NewCmdTop(f, nil)); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("GetVMStats called %d times, want one snapshot", calls)
	}
	cmdtest.Golden(t, "top_table", s.Out.Bytes())
}
