package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuPeriod is the cgroup CPU bandwidth period in microseconds; a VM with N
// vCPUs gets a quota of N periods per period.
const cpuPeriod = 100000

// limitCgroups are the cgroups holding a sandbox's resource limits. With a
// cgroup v2 freezer whose cgroup has a controller, that controller's limit
// is written there; otherwise (a hybrid or v1 host) the controller's own v1
// hierarchy gets a cgroup of the same name. dirs lists the v1 cgroups this
// created, to remove when the sandbox stops.
type limitCgroups struct {
	dirs []string
}

// limitKind is one resource controller and how to write its limit.
type limitKind struct {
	controller string // v2 controller name = v1 hierarchy name
	what       string // for the log line
	v2         func(dir string) error
	v1         func(dir string) error
}

// applyLimits puts pids (the sandbox's only processes so far, so everything
// started later inherits the cgroups) under cfg's limits. name is the
// sandbox's cgroup name; fz its freezer (nil when none). A limit that
// cannot be set is reported once on log; it never fails the sandbox.
func applyLimits(cfg Config, name string, fz *freezer, pids []int, log io.Writer) *limitCgroups {
	var kinds []limitKind
	if cfg.MemoryBytes > 0 {
		v := strconv.FormatInt(cfg.MemoryBytes, 10)
		kinds = append(kinds, limitKind{
			controller: "memory",
			what:       "memory " + v + " bytes",
			v2: func(dir string) error {
				if err := writeCgroup(dir, "memory.max", v); err != nil {
					return err
				}
				// No swap on top of the VM's RAM (the file exists only
				// with swap accounting).
				if exists(filepath.Join(dir, "memory.swap.max")) {
					return writeCgroup(dir, "memory.swap.max", "0")
				}
				return nil
			},
			v1: func(dir string) error {
				if err := writeCgroup(dir, "memory.limit_in_bytes", v); err != nil {
					return err
				}
				if exists(filepath.Join(dir, "memory.memsw.limit_in_bytes")) {
					return writeCgroup(dir, "memory.memsw.limit_in_bytes", v)
				}
				return nil
			},
		})
	}
	if cfg.MaxProcs > 0 {
		v := strconv.Itoa(cfg.MaxProcs)
		set := func(dir string) error { return writeCgroup(dir, "pids.max", v) }
		kinds = append(kinds, limitKind{controller: "pids", what: v + " processes", v2: set, v1: set})
	}
	if cfg.CPUs > 0 {
		quota := strconv.Itoa(cfg.CPUs * cpuPeriod)
		kinds = append(kinds, limitKind{
			controller: "cpu",
			what:       strconv.Itoa(cfg.CPUs) + " CPUs",
			v2: func(dir string) error {
				return writeCgroup(dir, "cpu.max", quota+" "+strconv.Itoa(cpuPeriod))
			},
			v1: func(dir string) error {
				if err := writeCgroup(dir, "cpu.cfs_period_us", strconv.Itoa(cpuPeriod)); err != nil {
					return err
				}
				return writeCgroup(dir, "cpu.cfs_quota_us", quota)
			},
		})
	}
	lc := &limitCgroups{}
	if len(kinds) == 0 {
		return lc
	}
	var missing []string
	for _, k := range kinds {
		err := errors.New("no cgroup")
		if fz != nil && fz.v2 {
			err = setV2(fz.dir, k)
		}
		if err != nil {
			var dir string
			dir, err = lc.setV1(name, k, pids)
			if err == nil {
				lc.dirs = append(lc.dirs, dir)
			}
		}
		if err != nil {
			missing = append(missing, fmt.Sprintf("%s (%v)", k.what, err))
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(log, "slicer-local: resource limits not enforced for this VM: %s\n", strings.Join(missing, "; "))
	}
	return lc
}

// setV2 writes k's limit in the v2 cgroup dir, first enabling the
// controller in the parent's cgroup.subtree_control when that is allowed.
func setV2(dir string, k limitKind) error {
	if !hasController(filepath.Join(dir, "cgroup.controllers"), k.controller) {
		parent := filepath.Dir(dir)
		if !hasController(filepath.Join(parent, "cgroup.controllers"), k.controller) {
			return fmt.Errorf("the %s controller is not available in the cgroup v2 hierarchy", k.controller)
		}
		// Fails with EBUSY when the parent holds processes itself (the
		// daemon's own cgroup, unless it is the root).
		if err := writeCgroup(parent, "cgroup.subtree_control", "+"+k.controller); err != nil {
			return fmt.Errorf("enable the %s controller: %v", k.controller, err)
		}
	}
	return k.v2(dir)
}

// setV1 makes a cgroup named name in k's v1 hierarchy, writes the limit and
// moves pids into it.
func (lc *limitCgroups) setV1(name string, k limitKind, pids []int) (string, error) {
	base := cgroupV1Dir(k.controller)
	if base == "" {
		return "", fmt.Errorf("no writable %s cgroup", k.controller)
	}
	removeStale(base, name)
	dir := filepath.Join(base, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", err
	}
	if err := k.v1(dir); err != nil {
		_ = os.Remove(dir)
		return "", err
	}
	for _, pid := range pids {
		if err := writeCgroup(dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			for _, p := range pids {
				_ = writeCgroup(base, "cgroup.procs", strconv.Itoa(p))
			}
			_ = os.Remove(dir)
			return "", err
		}
	}
	return dir, nil
}

// remove deletes the v1 limit cgroups once their last task is gone.
func (lc *limitCgroups) remove(ctx context.Context) {
	for _, d := range lc.dirs {
		removeCgroup(ctx, d)
	}
}

// removeStale removes empty cgroups that an earlier run of the same VM (the
// same hostname and root directory: see cgroupName) left when its daemon
// died; rmdir fails on a cgroup that still has processes. Other VMs' cgroups,
// also those of another daemon's VM with the same hostname, never match.
func removeStale(base, name string) {
	prefix := name[:len(name)-len("-")-2*cgroupRandBytes]
	stale, _ := filepath.Glob(filepath.Join(base, prefix+"-"+strings.Repeat("[0-9a-f]", 2*cgroupRandBytes)))
	for _, d := range stale {
		if filepath.Base(d) != name {
			_ = os.Remove(d)
		}
	}
}

// removeCgroup deletes dir, waiting (up to 5s) for its last task to go.
func removeCgroup(ctx context.Context, dir string) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for {
		err := os.Remove(dir)
		if err == nil || errors.Is(err, os.ErrNotExist) || !errors.Is(err, syscall.EBUSY) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// cgroupV1Dir is the daemon's own cgroup in the v1 hierarchy of controller,
// or "" when there is none.
func cgroupV1Dir(controller string) string {
	return cgroupDirFor(false, controller)
}

func hasController(file, controller string) bool {
	b, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	for _, c := range strings.Fields(string(b)) {
		if c == controller {
			return true
		}
	}
	return false
}

func writeCgroup(dir, file, value string) error {
	return os.WriteFile(filepath.Join(dir, file), []byte(value), 0)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
