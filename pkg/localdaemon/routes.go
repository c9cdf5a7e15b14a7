package localdaemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/localdaemon/sandbox"
)

func (d *Daemon) routes() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, fn func(http.ResponseWriter, *http.Request) error) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := fn(w, r); err != nil {
				fail(w, err)
			}
		})
	}
	mux.HandleFunc("GET /healthz", d.handleHealthz)
	mux.HandleFunc("HEAD /healthz", d.handleHealthz)
	h("GET /info", d.handleInfo)
	h("GET /metrics", d.handleMetrics)
	h("GET /hostgroup", d.handleHostGroups)
	h("GET /hostgroup/{group}/nodes", d.handleGroupNodes)
	h("POST /hostgroup/{group}/nodes", d.handleCreate)
	h("DELETE /hostgroup/{group}/nodes/{hostname}", d.handleDelete)
	h("GET /nodes", d.handleNodes)
	h("GET /nodes/stats", d.handleAllStats)
	h("GET /node/{hostname}/stats", d.handleNodeStats)
	h("POST /vm/{hostname}/relaunch", d.handleRelaunch)
	h("POST /vm/{hostname}/shutdown", d.handleShutdown)
	h("POST /vm/{hostname}/pause", d.handlePause)
	h("POST /vm/{hostname}/resume", d.handleResume)
	h("POST /vm/{hostname}/suspend", d.handleSuspend)
	h("POST /vm/{hostname}/restore", d.handleRestore)
	h("GET /vm/{hostname}/logs", d.handleLogs)
	h("GET /vm/{hostname}/health", d.handleHealth)
	h("HEAD /vm/{hostname}/health", d.handleHealth)

	h("GET /secrets", d.handleListSecrets)
	h("POST /secrets", d.handleCreateSecret)
	h("PATCH /secrets/{name}", d.handlePatchSecret)
	h("DELETE /secrets/{name}", d.handleDeleteSecret)

	h("POST /vm/{hostname}/exec", d.handleExec)
	h("GET /vm/{hostname}/exec", d.handleExecList)
	h("GET /vm/{hostname}/exec/{exec_id}", d.handleExecInfo)
	h("DELETE /vm/{hostname}/exec/{exec_id}", d.handleExecDelete)
	h("GET /vm/{hostname}/exec/{exec_id}/logs", d.handleExecLogs)
	h("POST /vm/{hostname}/exec/{exec_id}/kill", d.handleExecKill)
	h("GET /vm/{hostname}/exec/{exec_id}/wait-exit", d.handleExecWaitExit)

	h("GET /vm/{hostname}/cp", d.handleCpGet)
	h("POST /vm/{hostname}/cp", d.handleCpPost)
	h("GET /vm/{hostname}/fs/readdir", d.handleReadDir)
	h("GET /vm/{hostname}/fs/stat", d.handleStat)
	h("POST /vm/{hostname}/fs/mkdir", d.handleMkdir)
	h("DELETE /vm/{hostname}/fs/remove", d.handleRemove)
	h("GET /vm/{hostname}/fs/watch", d.handleWatch)
	h("GET /vm/{hostname}/shell", d.handleShell)
	h("/vm/{hostname}/forward", d.handleForward)

	d.proxyRoutes(mux)

	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/proxy/v1/") {
			textError(w, http.StatusNotFound, "no route for %s %s", r.Method, r.URL.Path)
			return
		}
		jsonError(w, http.StatusNotFound, "no route for %s %s", r.Method, r.URL.Path)
	})
	return mux
}

func (d *Daemon) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, "OK")
	}
}

func (d *Daemon) handleInfo(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, client.SlicerInfo{
		Version:  d.opts.Version,
		Platform: runtime.GOOS,
		Arch:     runtime.GOARCH,
	})
	return nil
}

// hostGroupResponse is SlicerHostGroup with count and gpu_count always sent,
// zeros included, as the real daemon does (PROTOCOL.md §4.1); the SDK's
// omitempty would drop them.
type hostGroupResponse struct {
	client.SlicerHostGroup
	Count    int `json:"count"`
	GPUCount int `json:"gpu_count"`
}

func (d *Daemon) handleHostGroups(w http.ResponseWriter, r *http.Request) error {
	out := make([]hostGroupResponse, 0, len(d.groups))
	for _, g := range d.groups {
		out = append(out, hostGroupResponse{
			SlicerHostGroup: client.SlicerHostGroup{Name: g.Name, RamBytes: g.RAMBytes, CPUs: g.CPUs, Arch: hostArch()},
			Count:           g.Count,
		})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// tagFilter reads tag / tag_prefix (at most one).
func tagFilter(r *http.Request) (func([]string) bool, error) {
	q := r.URL.Query()
	tag, prefix := q.Get("tag"), q.Get("tag_prefix")
	if tag != "" && prefix != "" {
		return nil, badRequest("set only one of tag and tag_prefix")
	}
	return func(tags []string) bool {
		if tag == "" && prefix == "" {
			return true
		}
		for _, t := range tags {
			if (tag != "" && t == tag) || (prefix != "" && strings.HasPrefix(t, prefix)) {
				return true
			}
		}
		return false
	}, nil
}

// nodeJSON is a Node as the real daemon sends it (PROTOCOL.md §4.3): tags
// always an array and persistent always present, where the SDK's struct
// would leave out an empty list and false.
type nodeJSON struct {
	client.SlicerNode
	Tags       []string `json:"tags"`
	Persistent bool     `json:"persistent"`
}

func toNodeJSON(n client.SlicerNode) nodeJSON {
	tags := n.Tags
	if tags == nil {
		tags = []string{}
	}
	return nodeJSON{SlicerNode: n, Tags: tags, Persistent: n.Persistent}
}

func (d *Daemon) listNodes(r *http.Request, group string) ([]nodeJSON, error) {
	match, err := tagFilter(r)
	if err != nil {
		return nil, err
	}
	out := []nodeJSON{}
	for _, vm := range d.sortedVMs() {
		n := vm.node()
		if group != "" && n.HostGroup != group {
			continue
		}
		if match(n.Tags) {
			out = append(out, toNodeJSON(n))
		}
	}
	return out, nil
}

func (d *Daemon) handleNodes(w http.ResponseWriter, r *http.Request) error {
	out, err := d.listNodes(r, "")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (d *Daemon) handleGroupNodes(w http.ResponseWriter, r *http.Request) error {
	g := r.PathValue("group")
	if _, ok := d.group(g); !ok {
		return errorf(http.StatusNotFound, "host group %s not found", g)
	}
	out, err := d.listNodes(r, g)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// createRequest is SlicerCreateNodeRequest plus the fields the daemon accepts
// that the SDK cannot send (openapi.yaml: hostname, protected, pci_devices).
type createRequest struct {
	client.SlicerCreateNodeRequest
	Hostname   string   `json:"hostname,omitempty"`
	Protected  bool     `json:"protected,omitempty"`
	PCIDevices []string `json:"pci_devices,omitempty"`
	GitHubUser string   `json:"github_user,omitempty"`
}

func (d *Daemon) handleCreate(w http.ResponseWriter, r *http.Request) error {
	gname := r.PathValue("group")
	g, ok := d.group(gname)
	if !ok {
		return errorf(http.StatusNotFound, "host group %s not found", gname)
	}
	q := r.URL.Query()
	wait := q.Get("wait")
	if wait != "" && wait != "agent" && wait != "userdata" {
		return badRequest("invalid wait=%q: use agent or userdata", wait)
	}
	timeout := 5 * time.Minute
	if t := q.Get("timeout"); t != "" {
		dur, err := time.ParseDuration(t)
		if err != nil || dur <= 0 {
			return badRequest("invalid timeout=%q: use a positive Go duration such as 30s or 2m", t)
		}
		timeout = dur
	}
	var req createRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	if req.RamBytes < 0 || req.CPUs < 0 || req.GPUCount < 0 {
		return badRequest("ram_bytes, cpus and gpu_count must not be negative")
	}
	if req.RamBytes > g.RAMBytes {
		return badRequest("ram_bytes %d exceeds host group %s limit of %d", req.RamBytes, g.Name, g.RAMBytes)
	}
	if req.CPUs > g.CPUs {
		return badRequest("cpus %d exceeds host group %s limit of %d", req.CPUs, g.Name, g.CPUs)
	}
	if req.GPUCount > 0 {
		return badRequest("gpu_count %d exceeds host group %s limit of 0 (slicer local has no GPUs)", req.GPUCount, g.Name)
	}
	if len(req.PCIDevices) > 0 {
		return badRequest("pci_devices: slicer local cannot pass through PCI devices")
	}
	if req.IP != "" {
		return badRequest("ip %q: slicer local VMs have loopback-only networking and no static IPs", req.IP)
	}
	if req.ImportUser != "" || req.GitHubUser != "" {
		return badRequest("import_user: slicer local cannot fetch SSH keys from GitHub; pass them in ssh_keys")
	}
	for _, t := range req.Tags {
		if strings.TrimSpace(t) == "" {
			return badRequest("tags must not be empty strings")
		}
	}
	for _, s := range req.Secrets {
		if !d.secrets.exists(s) {
			return badRequest("secret %q not found: create it first with POST /secrets", s)
		}
	}
	rec := vmRecord{
		Group:      g.Name,
		CPUs:       req.CPUs,
		RAMBytes:   req.RamBytes,
		Persistent: req.Persistent,
		Protected:  req.Protected,
		Tags:       req.Tags,
		Secrets:    req.Secrets,
		Userdata:   req.Userdata,
		SSHKeys:    req.SSHKeys,
		CreatedAt:  time.Now(),
		State:      stateStopped,
	}
	if rec.CPUs == 0 {
		rec.CPUs = g.CPUs
	}
	if rec.RAMBytes == 0 {
		rec.RAMBytes = g.RAMBytes
	}
	if req.Hostname != "" && !hostnameRE.MatchString(req.Hostname) {
		return badRequest("hostname %q must be a lowercase DNS label", req.Hostname)
	}
	rec.Hostname = req.Hostname
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	if wait == "" {
		// Without wait the VM is created even if the client goes away.
		ctx, cancel = context.WithTimeout(d.ctx, 2*time.Minute)
		defer cancel()
	}
	vm, err := d.newVM(ctx, rec)
	d.metrics.launch(g.Name, err)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			return err
		}
		if errors.Is(err, context.DeadlineExceeded) && wait != "" {
			return errorf(http.StatusRequestTimeout, "VM was not ready within %s; it was removed", timeout)
		}
		return errorf(http.StatusInternalServerError, "create VM: %v", err)
	}
	d.logger.Printf("created VM %s", vm.name)
	if wait == "userdata" {
		vm.mu.Lock()
		done := vm.udDone
		vm.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			_ = d.removeVM(vm)
			if r.Context().Err() != nil {
				return r.Context().Err()
			}
			return errorf(http.StatusRequestTimeout, "userdata of VM %s did not finish within %s; the VM was removed", vm.name, timeout)
		}
	}
	writeJSON(w, http.StatusCreated, vm.createResponse())
	return nil
}

func (d *Daemon) handleDelete(w http.ResponseWriter, r *http.Request) error {
	g, name := r.PathValue("group"), r.PathValue("hostname")
	vm, err := d.vm(name)
	if err != nil {
		return err
	}
	vm.mu.Lock()
	group, protected, deleted := vm.rec.Group, vm.rec.Protected, vm.deleted
	vm.mu.Unlock()
	if deleted || group != g {
		return errorf(http.StatusNotFound, "VM %s not found in host group %s", name, g)
	}
	if protected {
		return errorf(http.StatusForbidden, "VM %s is protected: it is declared by the daemon's config (count:) and cannot be deleted", name)
	}
	if err := d.removeVM(vm); err != nil {
		d.logger.Printf("delete %s: %v", name, err)
	}
	d.logger.Printf("deleted VM %s", name)
	writeJSON(w, http.StatusOK, client.SlicerDeleteResponse{Message: "VM deleted successfully", DiskRemoved: "true"})
	return nil
}

func (d *Daemon) handleRelaunch(w http.ResponseWriter, r *http.Request) error {
	vm, err := d.vm(r.PathValue("hostname"))
	if err != nil {
		return err
	}
	vm.mu.Lock()
	switch {
	case vm.deleted:
		vm.mu.Unlock()
		return errorf(http.StatusNotFound, "VM %s not found", vm.name)
	case vm.rec.State == stateRunning || vm.rec.State == statePaused:
		vm.mu.Unlock()
		return errorf(http.StatusConflict, "VM %s is already running", vm.name)
	case vm.rec.State == stateSuspended:
		vm.mu.Unlock()
		return errorf(http.StatusConflict, "VM %s is suspended: use restore", vm.name)
	}
	err = vm.boot(d.ctx)
	vm.mu.Unlock()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, vm.createResponse())
	return nil
}

func (d *Daemon) handleShutdown(w http.ResponseWriter, r *http.Request) error {
	vm, err := d.vm(r.PathValue("hostname"))
	if err != nil {
		return err
	}
	action := r.URL.Query().Get("action")
	if action == "" {
		action = "reboot"
	}
	if action != "shutdown" && action != "reboot" {
		return badRequest("invalid action=%q: use shutdown or reboot", action)
	}
	vm.mu.Lock()
	if vm.deleted {
		vm.mu.Unlock()
		return errorf(http.StatusNotFound, "VM %s not found", vm.name)
	}
	if action == "shutdown" {
		err = vm.halt(stateStopped)
		if !vm.rec.Persistent {
			vm.destroyLocked()
			vm.mu.Unlock()
			d.mu.Lock()
			delete(d.vms, vm.name)
			d.mu.Unlock()
			d.logger.Printf("VM %s shut down and removed (ephemeral)", vm.name)
			writeText(w, http.StatusOK, "VM shut down\n")
			return nil
		}
		vm.mu.Unlock()
		if err != nil {
			return err
		}
		writeText(w, http.StatusOK, "VM shut down\n")
		return nil
	}
	if vm.rec.State == stateSuspended {
		vm.mu.Unlock()
		return errorf(http.StatusConflict, "VM %s is suspended: use restore", vm.name)
	}
	_ = vm.halt(stateStopped)
	err = vm.boot(d.ctx)
	vm.mu.Unlock()
	if err != nil {
		return err
	}
	writeText(w, http.StatusOK, "VM rebooted\n")
	return nil
}

func (d *Daemon) handlePause(w http.ResponseWriter, r *http.Request) error {
	return d.transition(w, r, stateRunning, statePaused, "pause", (*sandbox.Sandbox).Pause)
}

func (d *Daemon) handleResume(w http.ResponseWriter, r *http.Request) error {
	return d.transition(w, r, statePaused, stateRunning, "resume", (*sandbox.Sandbox).Resume)
}

// transition moves the VM of the request from state from to state to with
// act on its sandbox (pause/resume). A VM already in state to is answered
// as done ("VM <verb>d"); a VM in any other state is a conflict ("VM <name>
// is not <from>"). verb names the action in errors, the answer and the log.
func (d *Daemon) transition(w http.ResponseWriter, r *http.Request, from, to, verb string, act func(*sandbox.Sandbox) error) error {
	vm, err := d.vm(r.PathValue("hostname"))
	if err != nil {
		return err
	}
	vm.mu.Lock()
	defer vm.mu.Unlock()
	switch vm.rec.State {
	case to:
		writeText(w, http.StatusOK, "VM "+verb+"d\n")
		return nil
	case from:
	default:
		return errorf(http.StatusConflict, "VM %s is not %s", vm.name, from)
	}
	if err := act(vm.sb); err != nil {
		return fmt.Errorf("%s VM %s: %w", verb, vm.name, err)
	}
	vm.rec.State = to
	_ = vm.save()
	vm.logf("slicer-local: VM %sd", verb)
	writeText(w, http.StatusOK, "VM "+verb+"d\n")
	return nil
}

func (d *Daemon) handleSuspend(w http.ResponseWriter, r *http.Request) error {
	vm, err := d.vm(r.PathValue("hostname"))
	if err != nil {
		return err
	}
	vm.mu.Lock()
	defer vm.mu.Unlock()
	if vm.rec.State == stateSuspended {
		writeText(w, http.StatusOK, "VM suspended\n")
		return nil
	}
	if vm.rec.State == stateStopped {
		return errorf(http.StatusConflict, "VM %s is not running", vm.name)
	}
	// A sandbox has no memory image to save: its processes end and its
	// files are kept; restore boots it again.
	if err := vm.halt(stateSuspended); err != nil {
		return err
	}
	vm.logf("slicer-local: VM suspended (files kept; processes were stopped)")
	writeText(w, http.StatusOK, "VM suspended\n")
	return nil
}

func (d *Daemon) handleRestore(w http.ResponseWriter, r *http.Request) error {
	vm, err := d.vm(r.PathValue("hostname"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if wt := q.Get("wait"); wt != "" && wt != "agent" {
		return badRequest("invalid wait=%q: restore supports wait=agent", wt)
	}
	timeout := 5 * time.Minute
	if t := q.Get("timeout"); t != "" {
		dur, err := time.ParseDuration(t)
		if err != nil || dur < 0 {
			return badRequest("invalid timeout=%q: use a Go duration such as 30s", t)
		}
		if dur > 0 {
			timeout = dur
		}
	}
	vm.mu.Lock()
	defer vm.mu.Unlock()
	if vm.rec.State != stateSuspended {
		return errorf(http.StatusConflict, "VM %s is not suspended (status %s)", vm.name, vm.status())
	}
	ctx, cancel := context.WithTimeout(d.ctx, timeout)
	defer cancel()
	if err := vm.boot(ctx); err != nil {
		vm.rec.State = stateSuspended
		_ = vm.save()
		if errors.Is(err, context.DeadlineExceeded) {
			return errorf(http.StatusRequestTimeout, "VM %s agent not ready within %s", vm.name, timeout)
		}
		return err
	}
	vm.logf("slicer-local: VM restored")
	writeText(w, http.StatusOK, "VM restored\n")
	return nil
}

func (d *Daemon) handleLogs(w http.ResponseWriter, r *http.Request) error {
	vm, err := d.vm(r.PathValue("hostname"))
	if err != nil {
		return err
	}
	lines := 20
	if v := r.URL.Query().Get("lines"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return badRequest("invalid lines=%q: want 0 (whole log) or a positive number", v)
		}
		lines = n
	}
	vm.logMu.Lock()
	content, err := tailFile(vm.logPath(), lines)
	vm.logMu.Unlock()
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			content = ""
		} else {
			return err
		}
	}
	writeJSON(w, http.StatusOK, client.SlicerLogsResponse{Hostname: vm.name, Lines: lines, Content: content})
	return nil
}

// tailFile returns the last n lines of a file (all of it for n == 0),
// reading backwards from the end so a long log costs only what is returned.
func tailFile(path string, n int) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	size := st.Size()
	if n == 0 {
		b, err := io.ReadAll(f)
		return string(b), err
	}
	const chunk = 32 << 10
	var buf []byte
	off := size
	for off > 0 {
		step := int64(chunk)
		if off < step {
			step = off
		}
		off -= step
		part := make([]byte, step)
		if _, err := f.ReadAt(part, off); err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		buf = append(part, buf...)
		body := buf
		if len(body) > 0 && body[len(body)-1] == '\n' {
			body = body[:len(body)-1]
		}
		if strings.Count(string(body), "\n") >= n {
			break
		}
	}
	s := string(buf)
	trail := strings.HasSuffix(s, "\n")
	s = strings.TrimSuffix(s, "\n")
	parts := strings.Split(s, "\n")
	if len(parts) > n {
		parts = parts[len(parts)-n:]
	}
	out := strings.Join(parts, "\n")
	if trail {
		out += "\n"
	}
	return out, nil
}

// healthResponse is SlicerAgentHealthResponse plus userdata_exit_code (newer
// daemons). Uptimes are nanoseconds, as the Go SDK decodes them.
type healthResponse struct {
	client.SlicerAgentHealthResponse
	UserdataExitCode *int `json:"userdata_exit_code,omitempty"`
}

func (d *Daemon) handleHealth(w http.ResponseWriter, r *http.Request) error {
	vm, err := d.vm(r.PathValue("hostname"))
	if err != nil {
		return err
	}
	vm.mu.Lock()
	state, booted := vm.rec.State, vm.bootedAt
	resp := healthResponse{
		SlicerAgentHealthResponse: client.SlicerAgentHealthResponse{
			Hostname:     vm.name,
			AgentVersion: d.opts.Version,
			UserdataRan:  vm.rec.UserdataRan,
			IP:           vmIP,
		},
		UserdataExitCode: vm.rec.UserdataExitCode,
	}
	vm.mu.Unlock()
	switch state {
	case stateRunning:
	case statePaused:
		return errorf(http.StatusConflict, "VM %s is paused: its agent cannot answer until it is resumed", vm.name)
	default:
		return errorf(http.StatusServiceUnavailable, "VM %s is not running: its agent is unreachable", vm.name)
	}
	up := time.Since(booted)
	if up <= 0 {
		up = time.Nanosecond
	}
	resp.AgentUptime = up
	resp.SystemUptime = up
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return nil
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

var hostnameRE = groupNameRE
