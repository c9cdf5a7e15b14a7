package localdaemon

import (
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
)

// nodeStat is NodeStatResponse: the Node fields plus snapshot and error.
type nodeStat struct {
	nodeJSON
	Snapshot *client.SlicerSnapshot `json:"snapshot,omitempty"` // absent, not null, when stopped
	Error    string                 `json:"error"`
}

// stat builds one VM's stats from its sandbox's real processes; the disk
// figures are those of the filesystem holding the VM's root.
func (vm *VM) stat() nodeStat {
	n := vm.node()
	out := nodeStat{nodeJSON: toNodeJSON(n)}
	vm.mu.Lock()
	sb, cpus, ram := vm.sb, vm.rec.CPUs, vm.rec.RAMBytes
	state := vm.rec.State
	vm.mu.Unlock()
	if sb == nil || (state != stateRunning && state != statePaused) {
		out.Error = "VM is not running"
		return out
	}
	st, err := sb.Stats()
	if err != nil {
		out.Error = "read VM stats: " + err.Error()
		return out
	}
	snap := &client.SlicerSnapshot{
		Hostname:  n.Hostname,
		Arch:      hostArch(),
		Timestamp: time.Now().UTC(),
		Uptime:    st.Uptime.Round(time.Second).String(),
		TotalCPUS: cpus,
		LoadAvg1:  st.Load1, LoadAvg5: st.Load5, LoadAvg15: st.Load15,
		OpenFiles: int64(st.OpenFiles),
	}
	snap.TotalMemory = uint64(ram)
	snap.MemoryUsed = st.MemoryRSS
	if snap.TotalMemory > snap.MemoryUsed {
		snap.MemoryAvailable = snap.TotalMemory - snap.MemoryUsed
	}
	if snap.TotalMemory > 0 {
		snap.MemoryUsedPercent = 100 * float64(snap.MemoryUsed) / float64(snap.TotalMemory)
	}
	var fs syscall.Statfs_t
	if syscall.Statfs(vm.rootDir(), &fs) == nil {
		bs := uint64(fs.Bsize)
		snap.DiskSpaceTotal = fs.Blocks * bs
		snap.DiskSpaceFree = fs.Bavail * bs
		snap.DiskSpaceUsed = (fs.Blocks - fs.Bfree) * bs
		if snap.DiskSpaceTotal > 0 {
			snap.DiskSpaceUsedPercent = 100 * float64(snap.DiskSpaceUsed) / float64(snap.DiskSpaceTotal)
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/random/entropy_avail"); err == nil {
		snap.Entropy, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	}
	out.Snapshot = snap
	return out
}

func (d *Daemon) handleAllStats(w http.ResponseWriter, r *http.Request) error {
	out := []nodeStat{}
	for _, vm := range d.sortedVMs() {
		out = append(out, vm.stat())
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleNodeStats answers with a one-element array: that is what the seed
// SDK decodes (openapi.yaml documents a single object; PROTOCOL.md §6.2).
func (d *Daemon) handleNodeStats(w http.ResponseWriter, r *http.Request) error {
	vm, err := d.vm(r.PathValue("hostname"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, []nodeStat{vm.stat()})
	return nil
}
