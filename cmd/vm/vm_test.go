package vm

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/slicer-cli/slicer/pkg/client"
)

func TestMain(m *testing.M) {
	// Tables print local time; pin the zone so golden files are stable.
	time.Local = time.UTC
	goleak.VerifyTestMain(m)
}

var created = time.Date(2026, 2, 27, 16, 30, 53, 0, time.UTC)

func sampleNodes() []client.SlicerNode {
	return []client.SlicerNode{
		{Hostname: "vm-1", HostGroup: "vm", IP: "192.168.137.2", RamBytes: 4 << 30, CPUs: 2, CreatedAt: created,
			Arch: "amd64", Tags: []string{"name=web", "env=dev"}, Status: "Running", Persistent: true},
		{Hostname: "vm-2", HostGroup: "vm", IP: "192.168.137.3", RamBytes: 512 << 20, CPUs: 1, CreatedAt: created,
			Arch: "amd64", Status: "Paused"},
	}
}
