package sandbox

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"
)

// removeStale takes only earlier runs of the same VM: the same hostname and
// root directory. A VM whose hostname extends this one's (vm-1 and vm-1-2),
// the same hostname under another daemon's state directory, and this run's
// own cgroup are left alone.
func TestRemoveStaleMatchesOnlyThisVM(t *testing.T) {
	base := t.TempDir()
	this := cgroupName("vm-1", "/state-a/vms/vm-1/root")
	if !regexp.MustCompile(`^slicer-sandbox-vm-1-[0-9a-f]{8}-[0-9a-f]{8}$`).MatchString(this) {
		t.Fatalf("cgroupName = %q", this)
	}
	earlier := cgroupName("vm-1", "/state-a/vms/vm-1/root")
	otherDaemon := cgroupName("vm-1", "/state-b/vms/vm-1/root")
	longerHost := cgroupName("vm-1-2", "/state-a/vms/vm-1-2/root")
	for _, n := range []string{this, earlier, otherDaemon, longerHost} {
		if err := os.Mkdir(filepath.Join(base, n), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	removeStale(base, this)
	ents, err := os.ReadDir(base)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	want := []string{this, otherDaemon, longerHost}
	sort.Strings(got)
	sort.Strings(want)
	if len(got) != len(want) {
		t.Fatalf("left %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("left %v, want %v", got, want)
		}
	}
}
