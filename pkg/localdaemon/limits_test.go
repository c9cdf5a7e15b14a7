package localdaemon_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slicer-cli/slicer/pkg/client"
)

// cgroupFile finds file in a cgroup named name anywhere in the host's
// cgroup hierarchies.
func cgroupFile(name, file string) string {
	for depth := 0; depth < 5; depth++ {
		pat := "/sys/fs/cgroup" + strings.Repeat("/*", depth) + "/" + name + "/" + file
		if m, _ := filepath.Glob(pat); len(m) > 0 {
			return m[0]
		}
	}
	return ""
}

func TestVMLimitsFromRequest(t *testing.T) {
	_, c := setup(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{CPUs: 1, RamBytes: 1 << 30})

	// A command run in the VM is in the VM's cgroups (its cgroup namespace
	// shows them relative to the daemon's); all carry the same name.
	out := sh(t, c, vm, "cat /proc/self/cgroup")
	name := ""
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		ctl := parts[1]
		if ctl == "" || ctl == "pids" || ctl == "memory" || ctl == "cpu" || strings.HasPrefix(ctl, "cpu,") {
			base := filepath.Base(parts[2])
			if strings.HasPrefix(base, "slicer-sandbox-"+vm+"-") {
				name = base
			} else if ctl != "" {
				t.Errorf("exec in the VM is outside the VM's %s cgroup: %q", ctl, line)
			}
		}
	}
	pidsMax := ""
	if name != "" {
		pidsMax = cgroupFile(name, "pids.max")
	}
	if pidsMax == "" {
		log, _ := c.GetVMLogs(ctxT(t), vm, 0)
		if !strings.Contains(log.Content, "resource limits not enforced") {
			t.Fatalf("no pids cgroup for %s (in the VM: %q) and the VM log does not say why: %q", vm, out, log.Content)
		}
		t.Skipf("cgroup limits are not writable on this host: %s", log.Content)
	}
	if b, err := os.ReadFile(pidsMax); err != nil || strings.TrimSpace(string(b)) != "4096" {
		t.Errorf("pids.max = %q, %v; want 4096", b, err)
	}
	if f := cgroupFile(name, "cpu.max"); f != "" {
		if b, _ := os.ReadFile(f); strings.TrimSpace(string(b)) != "100000 100000" {
			t.Errorf("cpu.max = %q; want \"100000 100000\" for 1 CPU", b)
		}
	} else if f := cgroupFile(name, "cpu.cfs_quota_us"); f != "" {
		if b, _ := os.ReadFile(f); strings.TrimSpace(string(b)) != "100000" {
			t.Errorf("cpu.cfs_quota_us = %q; want 100000 for 1 CPU", b)
		}
	} else {
		t.Errorf("no cpu limit cgroup for %s", vm)
	}
	if f := cgroupFile(name, "memory.max"); f != "" {
		if b, _ := os.ReadFile(f); strings.TrimSpace(string(b)) != "1073741824" {
			t.Errorf("memory.max = %q; want 1073741824", b)
		}
	} else if f := cgroupFile(name, "memory.limit_in_bytes"); f != "" {
		if b, _ := os.ReadFile(f); strings.TrimSpace(string(b)) != "1073741824" {
			t.Errorf("memory.limit_in_bytes = %q; want 1073741824", b)
		}
	} else {
		t.Errorf("no memory limit cgroup for %s", vm)
	}
}
