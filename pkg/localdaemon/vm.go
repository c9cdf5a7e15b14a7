package localdaemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/localdaemon/sandbox"
)

// VM states as stored in vm.json.
const (
	stateRunning   = "running"
	statePaused    = "paused"
	stateStopped   = "stopped"
	stateSuspended = "suspended"
)

// vmRecord is what vm.json holds.
type vmRecord struct {
	Hostname         string    `json:"hostname"`
	Group            string    `json:"hostgroup"`
	CPUs             int       `json:"cpus"`
	RAMBytes         int64     `json:"ram_bytes"`
	Persistent       bool      `json:"persistent"`
	Protected        bool      `json:"protected,omitempty"`
	Tags             []string  `json:"tags,omitempty"`
	Secrets          []string  `json:"secrets,omitempty"`
	Userdata         string    `json:"userdata,omitempty"`
	SSHKeys          []string  `json:"ssh_keys,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	State            string    `json:"state"`
	Booted           bool      `json:"booted,omitempty"`
	UserdataRan      bool      `json:"userdata_ran,omitempty"`
	UserdataExitCode *int      `json:"userdata_exit_code,omitempty"`
}

// VM is one sandboxed VM.
type VM struct {
	d    *Daemon
	dir  string
	name string

	mu       sync.Mutex
	rec      vmRecord
	sb       *sandbox.Sandbox
	root     *os.Root
	bootedAt time.Time
	execs    *execRegistry
	udDone   chan struct{} // closed when userdata finished (or there is none)
	deleted  bool

	logMu sync.Mutex
}

func (vm *VM) rootDir() string    { return filepath.Join(vm.dir, "root") }
func (vm *VM) secretsDir() string { return filepath.Join(vm.dir, "secrets") }
func (vm *VM) logPath() string    { return filepath.Join(vm.dir, "console.log") }

// save writes vm.json; vm.mu must be held.
func (vm *VM) save() error {
	b, err := json.MarshalIndent(vm.rec, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(vm.dir, "vm.json"), append(b, '\n'), 0o600)
}

// logf appends a line to the VM's console log.
func (vm *VM) logf(format string, args ...any) {
	vm.logMu.Lock()
	defer vm.logMu.Unlock()
	f, err := os.OpenFile(vm.logPath(), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "[%s] %s\n", time.Now().UTC().Format(time.RFC3339), fmt.Sprintf(format, args...))
}

// logWriter is an io.Writer appending to the console log.
type logWriter struct{ vm *VM }

func (l logWriter) Write(p []byte) (int, error) {
	l.vm.logMu.Lock()
	defer l.vm.logMu.Unlock()
	f, err := os.OpenFile(l.vm.logPath(), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return f.Write(p)
}

func (vm *VM) status() string {
	switch vm.rec.State {
	case stateRunning:
		return "Running"
	case statePaused:
		return "Paused"
	default:
		return "Stopped"
	}
}

func (vm *VM) node() client.SlicerNode {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return client.SlicerNode{
		Hostname:   vm.rec.Hostname,
		HostGroup:  vm.rec.Group,
		IP:         vmIP,
		RamBytes:   vm.rec.RAMBytes,
		CPUs:       vm.rec.CPUs,
		CreatedAt:  vm.rec.CreatedAt,
		Arch:       hostArch(),
		Tags:       append([]string(nil), vm.rec.Tags...),
		Status:     vm.status(),
		Persistent: vm.rec.Persistent,
	}
}

// vmIP is the address VMs report: each VM has its own network namespace with
// only a loopback interface.
const vmIP = "127.0.0.1"

func (vm *VM) createResponse() client.SlicerCreateNodeResponse {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return client.SlicerCreateNodeResponse{
		Hostname:  vm.rec.Hostname,
		HostGroup: vm.rec.Group,
		IP:        vmIP,
		CreatedAt: vm.rec.CreatedAt,
		Arch:      hostArch(),
	}
}

// vmMaxProcs caps the processes and threads of one VM (cgroup pids.max), so
// a fork bomb in a VM stops at the VM instead of exhausting the host's pid
// space. A real microVM has its own kernel and pid space; 4096 is far above
// what a build or a test suite in a small VM runs at once, and far below
// the host's default pid_max.
const vmMaxProcs = 4096

// boot starts the sandbox; vm.mu must be held. On the first boot userdata
// runs in the background, as root.
func (vm *VM) boot(ctx context.Context) error {
	if err := os.MkdirAll(vm.rootDir(), 0o755); err != nil {
		return fmt.Errorf("create VM root: %w", err)
	}
	secretsDir := ""
	if len(vm.rec.Secrets) > 0 {
		secretsDir = vm.secretsDir()
		if err := vm.d.syncVMSecrets(vm); err != nil {
			return err
		}
	}
	vm.logf("slicer-local: starting VM %s (group %s)", vm.rec.Hostname, vm.rec.Group)
	sb, err := sandbox.Start(ctx, sandbox.Config{
		Root:       vm.rootDir(),
		Hostname:   vm.rec.Hostname,
		SecretsDir: secretsDir,
		Log:        logWriter{vm},
		// A VM's cpus and ram_bytes are enforced as in a microVM.
		MemoryBytes: vm.rec.RAMBytes,
		CPUs:        vm.rec.CPUs,
		MaxProcs:    vmMaxProcs,
	})
	if err != nil {
		vm.logf("slicer-local: start failed: %v", err)
		return fmt.Errorf("start sandbox: %w", err)
	}
	if vm.root == nil {
		r, err := os.OpenRoot(vm.rootDir())
		if err != nil {
			_ = sb.Stop(context.Background())
			return err
		}
		vm.root = r
	}
	if err := writeSSHKeys(vm.root, vm.rec.SSHKeys); err != nil {
		vm.logf("slicer-local: ssh_keys: %v", stripHostPath(err))
	}
	vm.sb = sb
	vm.bootedAt = time.Now()
	vm.execs = newExecRegistry()
	vm.rec.State = stateRunning
	vm.logf("slicer-local: agent ready")
	first := !vm.rec.Booted
	vm.rec.Booted = true
	vm.udDone = make(chan struct{})
	if first && vm.rec.Userdata != "" {
		vm.rec.UserdataRan = false
		vm.rec.UserdataExitCode = nil
		go vm.runUserdata(sb, vm.rec.Userdata, vm.udDone)
	} else {
		if first {
			vm.rec.UserdataRan = true
		}
		close(vm.udDone)
	}
	return vm.save()
}

func (vm *VM) runUserdata(sb *sandbox.Sandbox, script string, done chan struct{}) {
	defer close(done)
	vm.logf("slicer-local: running userdata")
	code := -1
	p, err := sb.Exec(context.Background(), sandbox.ExecSpec{
		Shell:  "/bin/bash",
		Script: script,
		UID:    0,
		GID:    0,
		Cwd:    "/root",
	})
	if err != nil {
		vm.logf("slicer-local: userdata could not start: %v", err)
		code = 127
	} else {
		var wg sync.WaitGroup
		w := logWriter{vm}
		wg.Add(2)
		go func() { defer wg.Done(); _, _ = io.Copy(w, p.Stdout) }()
		go func() { defer wg.Done(); _, _ = io.Copy(w, p.Stderr) }()
		wg.Wait()
		st, werr := p.Wait()
		if werr != nil {
			vm.logf("slicer-local: userdata: %v", werr)
		}
		code = exitCodeOf(st)
		vm.logf("slicer-local: userdata exited with code %d", code)
	}
	vm.mu.Lock()
	defer vm.mu.Unlock()
	vm.rec.UserdataRan = true
	vm.rec.UserdataExitCode = &code
	if !vm.deleted {
		_ = vm.save()
	}
}

// halt stops the sandbox; vm.mu must be held. newState is stored.
func (vm *VM) halt(newState string) error {
	var err error
	if vm.sb != nil {
		if vm.rec.State == statePaused {
			_ = vm.sb.Resume()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = vm.sb.Stop(ctx)
		cancel()
		vm.sb = nil
		vm.logf("slicer-local: VM stopped")
	}
	if vm.execs != nil {
		vm.execs.closeAll()
		vm.execs = nil
	}
	vm.rec.State = newState
	if !vm.deleted {
		if serr := vm.save(); err == nil {
			err = serr
		}
	}
	return err
}

// daemonShutdown stops the VM when the daemon stops, keeping the recorded
// state so persistent VMs come back; ephemeral VMs are removed.
func (vm *VM) daemonShutdown() {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	if vm.deleted {
		return
	}
	state := vm.rec.State
	_ = vm.halt(state)
	if !vm.rec.Persistent && state != stateSuspended {
		vm.destroyLocked()
		return
	}
	if state == statePaused {
		vm.rec.State = stateRunning
		_ = vm.save()
	}
}

// destroyLocked removes the VM's files; vm.mu must be held and the sandbox
// stopped.
func (vm *VM) destroyLocked() {
	vm.deleted = true
	if vm.root != nil {
		vm.root.Close()
		vm.root = nil
	}
	_ = os.RemoveAll(vm.dir)
}

// guest returns the running sandbox and root for a guest operation, or 409
// while the VM is paused or not running.
func (vm *VM) guest() (*sandbox.Sandbox, *os.Root, *execRegistry, error) {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	switch {
	case vm.deleted:
		return nil, nil, nil, errorf(http.StatusNotFound, "VM %s not found", vm.name)
	case vm.rec.State == statePaused:
		return nil, nil, nil, errorf(http.StatusConflict, "VM %s is paused: resume it first", vm.name)
	case vm.rec.State != stateRunning || vm.sb == nil:
		return nil, nil, nil, errorf(http.StatusConflict, "VM %s is not running (status %s): start it with relaunch or restore", vm.name, vm.status())
	}
	return vm.sb, vm.root, vm.execs, nil
}

// ---- daemon-level VM bookkeeping ----

func (d *Daemon) vm(name string) (*VM, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	vm, ok := d.vms[name]
	if !ok {
		return nil, errorf(http.StatusNotFound, "VM %s not found", name)
	}
	return vm, nil
}

func (d *Daemon) sortedVMs() []*VM {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]*VM, 0, len(d.vms))
	for _, vm := range d.vms {
		out = append(out, vm)
	}
	sort.Slice(out, func(i, j int) bool { return lessHostname(out[i].name, out[j].name) })
	return out
}

// lessHostname orders vm-2 before vm-10.
func lessHostname(a, b string) bool {
	ga, na := splitHostname(a)
	gb, nb := splitHostname(b)
	if ga != gb {
		return ga < gb
	}
	if na != nb {
		return na < nb
	}
	return a < b
}

func splitHostname(h string) (string, int) {
	i := strings.LastIndexByte(h, '-')
	if i < 0 {
		return h, 0
	}
	n, err := strconv.Atoi(h[i+1:])
	if err != nil {
		return h, 0
	}
	return h[:i], n
}

func (d *Daemon) group(name string) (HostGroupConfig, bool) {
	for _, g := range d.groups {
		if g.Name == name {
			return g, true
		}
	}
	return HostGroupConfig{}, false
}

// loadVMs reads vms/*/vm.json at start: ephemeral leftovers are removed,
// persistent VMs that were running are booted again.
func (d *Daemon) loadVMs() error {
	entries, err := os.ReadDir(filepath.Join(d.stateDir, "vms"))
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(d.stateDir, "vms", e.Name())
		b, err := os.ReadFile(filepath.Join(dir, "vm.json"))
		if err != nil {
			d.logger.Printf("removing incomplete VM directory %s", dir)
			_ = os.RemoveAll(dir)
			continue
		}
		var rec vmRecord
		if err := json.Unmarshal(b, &rec); err != nil || rec.Hostname != e.Name() {
			d.logger.Printf("ignoring %s: unreadable vm.json", dir)
			continue
		}
		if !rec.Persistent && rec.State != stateSuspended {
			_ = os.RemoveAll(dir)
			continue
		}
		vm := &VM{d: d, dir: dir, name: rec.Hostname, rec: rec}
		d.vms[rec.Hostname] = vm
		if rec.State == stateRunning || rec.State == statePaused {
			vm.mu.Lock()
			err := vm.boot(d.ctx)
			if err != nil {
				vm.rec.State = stateStopped
				_ = vm.save()
				d.logger.Printf("VM %s: %v", rec.Hostname, err)
			}
			vm.mu.Unlock()
		}
	}
	return nil
}

// ensureDeclaredVMs creates the VMs a host group declares with count:.
func (d *Daemon) ensureDeclaredVMs() error {
	for _, g := range d.groups {
		for i := 1; i <= g.Count; i++ {
			name := fmt.Sprintf("%s-%d", g.Name, i)
			d.mu.Lock()
			_, exists := d.vms[name]
			d.mu.Unlock()
			if exists {
				continue
			}
			rec := vmRecord{
				Hostname: name, Group: g.Name, CPUs: g.CPUs, RAMBytes: g.RAMBytes,
				Persistent: true, Protected: true, Userdata: g.Userdata,
				CreatedAt: time.Now(), State: stateStopped,
			}
			if _, err := d.newVM(d.ctx, rec); err != nil {
				return fmt.Errorf("create declared VM %s: %w", name, err)
			}
		}
	}
	return nil
}

// allocateHostname picks the lowest free <group>-N; d.mu must be held.
func (d *Daemon) allocateHostname(group string) string {
	for n := 1; ; n++ {
		name := fmt.Sprintf("%s-%d", group, n)
		if _, taken := d.vms[name]; taken {
			continue
		}
		if _, err := os.Lstat(filepath.Join(d.stateDir, "vms", name)); err == nil {
			continue
		}
		return name
	}
}

// newVM registers and boots a VM described by rec; an empty Hostname gets
// the lowest free <group>-N.
func (d *Daemon) newVM(ctx context.Context, rec vmRecord) (*VM, error) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil, errorf(http.StatusServiceUnavailable, "the daemon is shutting down")
	}
	if rec.Hostname == "" {
		rec.Hostname = d.allocateHostname(rec.Group)
	} else if _, taken := d.vms[rec.Hostname]; taken {
		d.mu.Unlock()
		return nil, errorf(http.StatusConflict, "VM %s already exists", rec.Hostname)
	}
	dir := filepath.Join(d.stateDir, "vms", rec.Hostname)
	if err := os.Mkdir(dir, 0o700); err != nil {
		d.mu.Unlock()
		return nil, fmt.Errorf("create VM directory: %w", err)
	}
	vm := &VM{d: d, dir: dir, name: rec.Hostname, rec: rec}
	vm.mu.Lock() // fresh VM: uncontended, so taking it under d.mu is safe
	d.vms[rec.Hostname] = vm
	d.mu.Unlock()
	err := vm.save()
	if err == nil {
		err = vm.boot(ctx)
	}
	if err != nil {
		_ = vm.halt(stateStopped)
		vm.destroyLocked()
		vm.mu.Unlock()
		d.mu.Lock()
		delete(d.vms, rec.Hostname)
		d.mu.Unlock()
		return nil, err
	}
	vm.mu.Unlock()
	return vm, nil
}

// removeVM stops and deletes a VM.
func (d *Daemon) removeVM(vm *VM) error {
	vm.mu.Lock()
	err := vm.halt(stateStopped)
	vm.destroyLocked()
	vm.mu.Unlock()
	d.mu.Lock()
	if d.vms[vm.name] == vm {
		delete(d.vms, vm.name)
	}
	d.mu.Unlock()
	return err
}
