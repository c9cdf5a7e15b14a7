package sandbox

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// procInfo is what the host's /proc says about one process.
type procInfo struct {
	pid, ppid   int
	state       byte
	ticks       uint64 // utime+stime+cutime+cstime
	user, sys   uint64 // utime+cutime, stime+cstime
	threads     int
	rssPages    uint64
	startTicks  uint64
	zombieOrDie bool
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

func readProc(pid int) (procInfo, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procInfo{}, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return procInfo{}, errors.New("bad stat")
	}
	f := strings.Fields(s[i+2:])
	// f[0] is field 3 (state); field n is f[n-3].
	if len(f) < 22 {
		return procInfo{}, errors.New("short stat")
	}
	num := func(n int) uint64 { v, _ := strconv.ParseUint(f[n-3], 10, 64); return v }
	p := procInfo{pid: pid, state: f[0][0], ppid: int(num(4))}
	p.user = num(14) + num(16)
	p.sys = num(15) + num(17)
	p.ticks = p.user + p.sys
	p.threads = int(num(20))
	p.startTicks = num(22)
	p.rssPages = num(24)
	p.zombieOrDie = p.state == 'Z' || p.state == 'X' || p.state == 'x'
	return p, nil
}

// tree returns the sandbox's processes: bwrap's init inside the sandbox and
// all its descendants (orphans are reparented to it, so nothing escapes).
func (s *Sandbox) tree() []procInfo {
	if s.initPid <= 0 {
		return nil
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]procInfo{}
	var root *procInfo
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p, err := readProc(pid)
		if err != nil {
			continue
		}
		if pid == s.initPid {
			root = &p
		}
		children[p.ppid] = append(children[p.ppid], p)
	}
	if root == nil {
		return nil
	}
	out := []procInfo{*root}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i].pid]...)
	}
	return out
}

func (s *Sandbox) treePids() []int {
	t := s.tree()
	pids := make([]int, len(t))
	for i, p := range t {
		pids[i] = p.pid
	}
	return pids
}

// Pause freezes every process in the sandbox, the agent included, so
// operations started while paused block until Resume.
func (s *Sandbox) Pause() error {
	if err := s.alive(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paused {
		return nil
	}
	if s.freezer != nil {
		if err := s.freezer.freeze(); err != nil {
			_ = s.freezer.thaw()
			return fmt.Errorf("pause: %w", err)
		}
		s.paused = true
		return nil
	}
	// SIGSTOP every process until a pass finds them all stopped, so that
	// a process forked during the pass is caught by the next one.
	for round := 0; round < 200; round++ {
		all := true
		for _, p := range s.tree() {
			if p.zombieOrDie || p.state == 'T' || p.state == 't' {
				continue
			}
			all = false
			_ = syscall.Kill(p.pid, syscall.SIGSTOP)
		}
		if all {
			s.paused = true
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, pid := range s.treePids() {
		_ = syscall.Kill(pid, syscall.SIGCONT)
	}
	return errors.New("pause: processes in the VM did not stop")
}

// Resume thaws what Pause froze.
func (s *Sandbox) Resume() error {
	if err := s.alive(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.paused {
		return nil
	}
	if s.freezer != nil {
		if err := s.freezer.thaw(); err != nil {
			return fmt.Errorf("resume: %w", err)
		}
	} else {
		for _, pid := range s.treePids() {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}
	s.paused = false
	return nil
}

// Stats describes the sandbox's processes, read from the host's /proc.
type Stats struct {
	Processes  int           // live processes in the VM (bwrap's init and the agent included)
	Threads    int           // their threads
	Running    int           // of them, runnable or in uninterruptible sleep right now
	CPUTime    time.Duration // CPU consumed by the VM since start (user + system, reaped children included)
	UserTime   time.Duration
	SystemTime time.Duration
	CPUPercent float64 // CPU use since the previous Stats call (100 = one core busy)
	MemoryRSS  uint64  // resident memory of the VM's processes in bytes (shared pages counted per process)
	OpenFiles  int     // open file descriptors
	// Load1, Load5 and Load15 are exponentially damped averages of Running
	// over 1, 5 and 15 minutes, like the kernel's load average but for the
	// VM only, sampled on each Stats call.
	Load1, Load5, Load15 float64
	Uptime               time.Duration
	Paused               bool
}

type statsSample struct {
	at                   time.Time
	cpu                  time.Duration
	load1, load5, load15 float64
}

// Stats reads the sandbox's processes.
func (s *Sandbox) Stats() (Stats, error) {
	if err := s.alive(); err != nil {
		return Stats{}, err
	}
	tree := s.tree()
	if len(tree) == 0 {
		return Stats{}, ErrStopped
	}
	var st Stats
	var user, sys uint64
	page := uint64(os.Getpagesize())
	for _, p := range tree {
		if p.zombieOrDie {
			continue
		}
		st.Processes++
		st.Threads += p.threads
		if p.state == 'R' || p.state == 'D' {
			st.Running++
		}
		user += p.user
		sys += p.sys
		st.MemoryRSS += p.rssPages * page
		if fds, err := os.ReadDir("/proc/" + strconv.Itoa(p.pid) + "/fd"); err == nil {
			st.OpenFiles += len(fds)
		}
	}
	tick := time.Second / clockTicks
	st.UserTime = time.Duration(user) * tick
	st.SystemTime = time.Duration(sys) * tick
	st.CPUTime = st.UserTime + st.SystemTime
	now := time.Now()
	st.Uptime = now.Sub(s.started)
	st.Paused = s.Paused()

	s.statsMu.Lock()
	prev := s.lastStats
	if !prev.at.IsZero() {
		dt := now.Sub(prev.at)
		if dt > 0 {
			st.CPUPercent = max(0, float64(st.CPUTime-prev.cpu)/float64(dt)*100)
		}
		decay := func(old float64, period time.Duration) float64 {
			f := math.Exp(-dt.Seconds() / period.Seconds())
			return old*f + float64(st.Running)*(1-f)
		}
		st.Load1 = decay(prev.load1, time.Minute)
		st.Load5 = decay(prev.load5, 5*time.Minute)
		st.Load15 = decay(prev.load15, 15*time.Minute)
	} else {
		st.Load1, st.Load5, st.Load15 = float64(st.Running), float64(st.Running), float64(st.Running)
	}
	s.lastStats = statsSample{at: now, cpu: st.CPUTime, load1: st.Load1, load5: st.Load5, load15: st.Load15}
	s.statsMu.Unlock()
	return st, nil
}

// useCgroupFreezer can be turned off by tests to exercise the SIGSTOP path.
var useCgroupFreezer = true

// freezer is a cgroup (v2 cgroup.freeze or the v1 freezer controller) that
// holds every process of one sandbox.
type freezer struct {
	dir string
	v2  bool
}

// newFreezer makes a cgroup for the sandbox and moves pids into it. It
// returns nil when no freezer is usable (then Pause uses SIGSTOP).
func newFreezer(name string, pids []int) *freezer {
	if len(pids) == 0 || !useCgroupFreezer {
		return nil
	}
	for _, v2 := range []bool{true, false} {
		base := cgroupDir(v2)
		if base == "" {
			continue
		}
		removeStale(base, name)
		fz := &freezer{dir: filepath.Join(base, name), v2: v2}
		if err := os.Mkdir(fz.dir, 0o755); err != nil {
			continue
		}
		if v2 {
			if _, err := os.Stat(filepath.Join(fz.dir, "cgroup.freeze")); err != nil {
				_ = os.Remove(fz.dir)
				continue
			}
		}
		ok := true
		for _, pid := range pids {
			if err := os.WriteFile(filepath.Join(fz.dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
				ok = false
				break
			}
		}
		if !ok {
			fz.moveBack(pids)
			_ = os.Remove(fz.dir)
			continue
		}
		return fz
	}
	return nil
}

// moveBack returns pids to the daemon's own cgroup after a failed setup.
func (f *freezer) moveBack(pids []int) {
	parent := filepath.Dir(f.dir)
	for _, pid := range pids {
		_ = os.WriteFile(filepath.Join(parent, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0)
	}
}

// cgroupRandBytes is the random part of a cgroup name, in bytes.
const cgroupRandBytes = 4

// cgroupName is a new sandbox's cgroup name (the same in every hierarchy):
// the hostname, a hash of the VM's root directory, which tells apart VMs of
// the same hostname under different daemons (parallel tests, several state
// directories), and a random part for this run.
func cgroupName(hostname, root string) string {
	sum := sha256.Sum256([]byte(root))
	var rnd [cgroupRandBytes]byte
	_, _ = rand.Read(rnd[:])
	return "slicer-sandbox-" + hostname + "-" + hex.EncodeToString(sum[:4]) + "-" + hex.EncodeToString(rnd[:])
}

// cgroupDir is the daemon's own cgroup directory in the v2 hierarchy, or in
// the v1 freezer hierarchy.
func cgroupDir(v2 bool) string { return cgroupDirFor(v2, "freezer") }

// cgroupDirFor is the daemon's own cgroup directory in the v2 hierarchy, or
// in the v1 hierarchy of controller.
func cgroupDirFor(v2 bool, controller string) string {
	mounts, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	defer mounts.Close()
	mountPoint := ""
	sc := bufio.NewScanner(mounts)
	for sc.Scan() {
		// ... mountpoint ... - fstype source superoptions
		left, right, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		lf, rf := strings.Fields(left), strings.Fields(right)
		if len(lf) < 5 || len(rf) < 3 {
			continue
		}
		if v2 && rf[0] == "cgroup2" {
			mountPoint = lf[4]
			break
		}
		if !v2 && rf[0] == "cgroup" && hasOpt(rf[2], controller) {
			mountPoint = lf[4]
			break
		}
	}
	if mountPoint == "" {
		return ""
	}
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if (v2 && parts[0] == "0" && parts[1] == "") || (!v2 && hasOpt(parts[1], controller)) {
			return filepath.Join(mountPoint, parts[2])
		}
	}
	return ""
}

func hasOpt(list, opt string) bool {
	for _, o := range strings.Split(list, ",") {
		if o == opt {
			return true
		}
	}
	return false
}

func (f *freezer) freeze() error {
	if f.v2 {
		if err := os.WriteFile(filepath.Join(f.dir, "cgroup.freeze"), []byte("1"), 0); err != nil {
			return err
		}
		return f.waitState(filepath.Join(f.dir, "cgroup.events"), "frozen 1")
	}
	if err := os.WriteFile(filepath.Join(f.dir, "freezer.state"), []byte("FROZEN"), 0); err != nil {
		return err
	}
	return f.waitState(filepath.Join(f.dir, "freezer.state"), "FROZEN")
}

func (f *freezer) thaw() error {
	if f.v2 {
		return os.WriteFile(filepath.Join(f.dir, "cgroup.freeze"), []byte("0"), 0)
	}
	return os.WriteFile(filepath.Join(f.dir, "freezer.state"), []byte("THAWED"), 0)
}

func (f *freezer) waitState(file, want string) error {
	for i := 0; i < 500; i++ {
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(line) == want {
				return nil
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return errors.New("the VM's processes did not freeze")
}

// remove deletes the cgroup once its last task is gone.
func (f *freezer) remove(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for {
		err := os.Remove(f.dir)
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
