package localdaemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/localdaemon/sandbox"
)

// Background exec (PROTOCOL.md §9): each process keeps its output in a ring
// buffer of frames that outlives client connections, but not the VM's agent
// (a reboot or stop ends every background exec with the VM's processes).
const (
	defaultRingBytes = 1 << 20
	ringBudget       = 256 << 20 // per VM, like the agent-wide cap
)

type bgFrame struct {
	id     uint64
	typ    string
	data   []byte
	t      time.Time
	cum    int64 // payload bytes produced before this frame
	code   int
	signal string
	errMsg string
}

type bgExec struct {
	id      string
	pid     int
	command string
	args    []string
	cwd     string
	uid     uint32
	stdio   string
	started time.Time
	proc    *sandbox.Process
	ring    int64

	mu       sync.Mutex
	frames   []bgFrame
	used     int64
	nextID   uint64
	written  int64
	dropped  int64
	evicted  []evictMark
	running  bool
	exitCode *int
	signal   string
	ended    *time.Time
	changed  chan struct{}
	done     chan struct{}
	graceJob *time.Timer
}

// evictMark remembers cum for evicted frame ids, to size gap frames.
type evictMark struct {
	id  uint64
	cum int64
}

type execRegistry struct {
	mu     sync.Mutex
	execs  map[string]*bgExec
	reaped map[string]bool
	total  int64
}

func newExecRegistry() *execRegistry {
	return &execRegistry{execs: map[string]*bgExec{}, reaped: map[string]bool{}}
}

// closeAll kills every background process (the VM is stopping).
func (reg *execRegistry) closeAll() {
	reg.mu.Lock()
	list := make([]*bgExec, 0, len(reg.execs))
	for _, e := range reg.execs {
		list = append(list, e)
	}
	reg.mu.Unlock()
	for _, e := range list {
		e.mu.Lock()
		running := e.running
		if e.graceJob != nil {
			e.graceJob.Stop()
		}
		e.mu.Unlock()
		if running {
			_ = e.proc.Signal(syscall.SIGKILL)
		}
	}
}

func (reg *execRegistry) lookup(id string) (*bgExec, error) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if reg.reaped[id] {
		return nil, errorf(http.StatusGone, "exec %s was reaped", id)
	}
	e, ok := reg.execs[id]
	if !ok {
		return nil, errorf(http.StatusNotFound, "exec %s not found", id)
	}
	return e, nil
}

// append adds a frame and evicts the oldest frames beyond the ring size.
func (e *bgExec) append(f bgFrame) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.nextID++
	f.id = e.nextID
	f.cum = e.written
	e.written += int64(len(f.data))
	e.frames = append(e.frames, f)
	e.used += int64(len(f.data))
	for e.used > e.ring && len(e.frames) > 1 {
		old := e.frames[0]
		e.frames = e.frames[1:]
		e.used -= int64(len(old.data))
		e.dropped += int64(len(old.data))
		if len(e.evicted) >= 4096 {
			e.evicted = append(e.evicted[:0], e.evicted[2048:]...)
		}
		e.evicted = append(e.evicted, evictMark{old.id, old.cum})
	}
	close(e.changed)
	e.changed = make(chan struct{})
}

// cumAt is the byte offset of evicted frame id (best effort for very old ids).
func (e *bgExec) cumAt(id uint64) int64 {
	for _, m := range e.evicted {
		if m.id >= id {
			return m.cum
		}
	}
	return 0
}

func newExecID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "ex_" + hex.EncodeToString(b)
}

func (d *Daemon) startBackground(w http.ResponseWriter, vm *VM, sb *sandbox.Sandbox, reg *execRegistry, p execParams) error {
	ring := p.ringBytes
	if ring == 0 {
		ring = defaultRingBytes
	}
	if ring > ringBudget {
		return badRequest("ring_bytes %d exceeds the agent-wide budget of %d bytes", ring, ringBudget)
	}
	reg.mu.Lock()
	if reg.total+ring > ringBudget {
		reg.mu.Unlock()
		return errorf(http.StatusServiceUnavailable, "background-exec ring budget exhausted (%d of %d bytes in use): reap finished execs with DELETE /vm/%s/exec/{exec_id}", reg.total, ringBudget, vm.name)
	}
	reg.total += ring
	reg.mu.Unlock()
	release := func() {
		reg.mu.Lock()
		reg.total -= ring
		reg.mu.Unlock()
	}
	spec := p.spec()
	proc, err := sb.Exec(context.Background(), spec)
	if err != nil {
		release()
		return errorf(http.StatusBadRequest, "start %s: %v", p.cmd, err)
	}
	now := time.Now().UTC()
	e := &bgExec{
		id: newExecID(), pid: proc.Pid, command: p.cmd, args: p.args, cwd: p.cwd, uid: p.user.uid,
		stdio: p.stdio, started: now, proc: proc, ring: ring, running: true,
		changed: make(chan struct{}), done: make(chan struct{}),
	}
	e.append(bgFrame{typ: "started", t: now})
	reg.mu.Lock()
	reg.execs[e.id] = e
	reg.mu.Unlock()

	chunk := 32 << 10
	if int64(chunk) > ring {
		chunk = int(ring)
	}
	var wg sync.WaitGroup
	var progress atomic.Int64
	pump := func(typ string, src interface{ Read([]byte) (int, error) }) {
		defer wg.Done()
		buf := make([]byte, chunk)
		for {
			n, rerr := src.Read(buf)
			if n > 0 {
				progress.Add(int64(n))
				e.append(bgFrame{typ: typ, data: append([]byte(nil), buf[:n]...), t: time.Now().UTC()})
			}
			if rerr != nil {
				return
			}
		}
	}
	wg.Add(2)
	go pump("stdout", proc.Stdout)
	go pump("stderr", proc.Stderr)
	go func() {
		st, werr := proc.Wait()
		drainAfterExit(proc, &wg, &progress)
		_ = proc.Close()
		end := time.Now().UTC()
		code := exitCodeOf(st)
		f := bgFrame{typ: "exit", t: end, code: code, signal: signalName(st)}
		if werr != nil {
			f.errMsg = werr.Error()
		}
		e.mu.Lock()
		e.running = false
		e.exitCode = &code
		e.signal = f.signal
		e.ended = &end
		if e.graceJob != nil {
			e.graceJob.Stop()
		}
		e.mu.Unlock()
		e.append(f)
		close(e.done)
	}()
	writeJSON(w, http.StatusCreated, client.ExecBackgroundResponse{ExecID: e.id, PID: e.pid, StartedAt: now, RingBytes: ring})
	return nil
}

func (e *bgExec) info() client.ExecBackgroundInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	return client.ExecBackgroundInfo{
		ExecID: e.id, PID: e.pid, Command: e.command, Args: e.args, Cwd: e.cwd, UID: e.uid,
		StartedAt: e.started, Running: e.running, ExitCode: e.exitCode, Signal: e.signal, EndedAt: e.ended,
		BytesWritten: e.written, BytesDropped: e.dropped, NextID: e.nextID + 1, RingBytes: e.ring,
	}
}

// execFor resolves the VM's registry (no 409 while paused: the ring lives in
// the daemon) and the exec.
func (d *Daemon) execFor(r *http.Request) (*bgExec, *execRegistry, error) {
	vm, err := d.vm(r.PathValue("hostname"))
	if err != nil {
		return nil, nil, err
	}
	vm.mu.Lock()
	reg := vm.execs
	vm.mu.Unlock()
	id := r.PathValue("exec_id")
	if reg == nil {
		return nil, nil, errorf(http.StatusNotFound, "exec %s not found: VM %s is not running", id, vm.name)
	}
	e, err := reg.lookup(id)
	return e, reg, err
}

func (d *Daemon) handleExecList(w http.ResponseWriter, r *http.Request) error {
	vm, err := d.vm(r.PathValue("hostname"))
	if err != nil {
		return err
	}
	vm.mu.Lock()
	reg := vm.execs
	vm.mu.Unlock()
	out := []client.ExecBackgroundInfo{}
	if reg != nil {
		reg.mu.Lock()
		list := make([]*bgExec, 0, len(reg.execs))
		for _, e := range reg.execs {
			list = append(list, e)
		}
		reg.mu.Unlock()
		for _, e := range list {
			out = append(out, e.info())
		}
	}
	sortExecInfos(out)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func sortExecInfos(v []client.ExecBackgroundInfo) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j].StartedAt.Before(v[j-1].StartedAt); j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

func (d *Daemon) handleExecInfo(w http.ResponseWriter, r *http.Request) error {
	e, _, err := d.execFor(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e.info())
	return nil
}

func (d *Daemon) handleExecDelete(w http.ResponseWriter, r *http.Request) error {
	e, reg, err := d.execFor(r)
	if err != nil {
		return err
	}
	e.mu.Lock()
	running := e.running
	e.mu.Unlock()
	if running {
		return errorf(http.StatusConflict, "exec %s is still running: kill it (POST .../kill) and wait for it to exit before reaping", e.id)
	}
	reg.mu.Lock()
	if _, ok := reg.execs[e.id]; !ok {
		reg.mu.Unlock()
		return errorf(http.StatusGone, "exec %s was reaped", e.id)
	}
	delete(reg.execs, e.id)
	reg.reaped[e.id] = true
	reg.total -= e.ring
	reg.mu.Unlock()
	writeJSON(w, http.StatusOK, client.ExecBackgroundDeleteResponse{ExecID: e.id, Reaped: true})
	return nil
}

func (d *Daemon) handleExecKill(w http.ResponseWriter, r *http.Request) error {
	e, _, err := d.execFor(r)
	if err != nil {
		return err
	}
	var req client.KillOptions
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	name := "TERM"
	sig := syscall.SIGTERM
	if req.Signal != "" {
		s, n, ok := signalByName(req.Signal)
		if !ok {
			return badRequest("unknown signal %q: use TERM, KILL, INT, HUP, QUIT, USR1 or USR2", req.Signal)
		}
		sig, name = s, n
	}
	if req.GraceMs < 0 {
		return badRequest("grace_ms must not be negative")
	}
	grace := 5 * time.Second
	if req.GraceMs > 0 {
		grace = time.Duration(req.GraceMs) * time.Millisecond
	}
	e.mu.Lock()
	running := e.running
	e.mu.Unlock()
	if !running {
		writeJSON(w, http.StatusOK, client.ExecBackgroundKillResponse{ExecID: e.id, PID: e.pid, Running: false})
		return nil
	}
	if err := e.proc.Signal(sig); err != nil {
		return errorf(http.StatusInternalServerError, "signal exec %s: %v", e.id, err)
	}
	if sig == syscall.SIGTERM {
		e.mu.Lock()
		if e.running && e.graceJob == nil {
			e.graceJob = time.AfterFunc(grace, func() {
				e.mu.Lock()
				still := e.running
				e.mu.Unlock()
				if still {
					_ = e.proc.Signal(syscall.SIGKILL)
				}
			})
		}
		e.mu.Unlock()
	}
	// Give a prompt exit the chance to show in the reply.
	select {
	case <-e.done:
	case <-time.After(50 * time.Millisecond):
	}
	e.mu.Lock()
	running = e.running
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, client.ExecBackgroundKillResponse{ExecID: e.id, PID: e.pid, Running: running, SignalSent: name})
	return nil
}

func (d *Daemon) handleExecWaitExit(w http.ResponseWriter, r *http.Request) error {
	e, _, err := d.execFor(r)
	if err != nil {
		return err
	}
	timeout := 30 * time.Second
	if v := r.URL.Query().Get("timeout"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return badRequest("invalid timeout=%q: want whole seconds (0-600)", v)
		}
		if n > 600 {
			n = 600
		}
		timeout = time.Duration(n) * time.Second
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	timedOut := false
	select {
	case <-e.done:
	case <-t.C:
		timedOut = true
	case <-r.Context().Done():
		return r.Context().Err()
	}
	e.mu.Lock()
	resp := client.ExecBackgroundWaitExitResponse{ExecID: e.id, Running: e.running, ExitCode: e.exitCode, Signal: e.signal, EndedAt: e.ended, TimedOut: timedOut && e.running}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (e *bgExec) wire(f bgFrame) client.SlicerExecWriteResult {
	out := client.SlicerExecWriteResult{ID: f.id, Type: f.typ, Timestamp: f.t}
	switch f.typ {
	case "started":
		out.Pid, out.StartedAt = e.pid, f.t
	case "exit":
		out.Pid, out.EndedAt, out.ExitCode, out.Signal, out.Error = e.pid, f.t, f.code, f.signal, f.errMsg
	default:
		out.Data, out.Encoding = encodeChunk(e.stdio, f.data)
	}
	return out
}

func (d *Daemon) handleExecLogs(w http.ResponseWriter, r *http.Request) error {
	e, _, err := d.execFor(r)
	if err != nil {
		return err
	}
	follow, err := queryBool(r, "follow")
	if err != nil {
		return err
	}
	var cursor uint64
	if v := r.URL.Query().Get("from_id"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return badRequest("invalid from_id=%q: want a frame id", v)
		}
		cursor = n
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_ = rc.Flush()
	fw := &frameWriter{w: w, rc: rc}
	for {
		e.mu.Lock()
		var out []client.SlicerExecWriteResult
		if len(e.frames) > 0 {
			oldest := e.frames[0].id
			if cursor == 0 {
				cursor = oldest
			}
			if cursor < oldest {
				out = append(out, client.SlicerExecWriteResult{
					ID: oldest - 1, Type: "gap", Timestamp: time.Now().UTC(),
					DroppedFrames: int(oldest - cursor), DroppedBytes: e.frames[0].cum - e.cumAt(cursor),
					Message: "ring buffer evicted frames before they were read",
				})
				cursor = oldest
			}
			for _, f := range e.frames {
				if f.id >= cursor {
					out = append(out, e.wire(f))
					cursor = f.id + 1
				}
			}
		}
		finished := !e.running && cursor > e.nextID
		ch := e.changed
		e.mu.Unlock()
		for _, f := range out {
			if fw.write(f) != nil {
				return nil
			}
		}
		if !follow || finished {
			return nil
		}
		select {
		case <-ch:
		case <-r.Context().Done():
			return nil
		}
	}
}
