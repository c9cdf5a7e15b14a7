package localdaemon

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/localdaemon/sandbox"
)

// execParams are the query parameters of POST /vm/{hostname}/exec.
type execParams struct {
	cmd        string
	args       []string
	env        []string
	user       guestUser
	cwd        string
	shell      string
	stdio      string
	stdin      bool
	buffered   bool
	background bool
	ringBytes  int64
}

// parseExec reads and validates the exec query. Omitted uid/gid (or the
// NonRootUser sentinel) run as the VM's default user ubuntu (1000); uid=0 is
// root.
func parseExec(r *http.Request, root *os.Root) (execParams, error) {
	q := r.URL.Query()
	p := execParams{cmd: q.Get("cmd"), args: q["args"], env: q["env"], cwd: q.Get("cwd"), shell: q.Get("shell")}
	if p.cmd == "" {
		return p, badRequest("cmd is required")
	}
	var err error
	if p.stdin, err = queryBool(r, "stdin"); err != nil {
		return p, err
	}
	if p.buffered, err = queryBool(r, "buffered"); err != nil {
		return p, err
	}
	if p.background, err = queryBool(r, "background"); err != nil {
		return p, err
	}
	switch {
	case p.buffered && p.stdin:
		return p, badRequest("stdin=true cannot be combined with buffered=true")
	case p.background && (p.stdin || p.buffered):
		return p, badRequest("background=true cannot be combined with stdin=true or buffered=true")
	}
	p.stdio = q.Get("stdio")
	if p.stdio == "" {
		p.stdio = "text"
	}
	if p.stdio != "text" && p.stdio != "base64" {
		return p, badRequest("invalid stdio=%q: use text or base64", p.stdio)
	}
	if v := q.Get("ring_bytes"); v != "" {
		if !p.background {
			return p, badRequest("ring_bytes is only valid with background=true")
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return p, badRequest("invalid ring_bytes=%q: want a non-negative number of bytes", v)
		}
		p.ringBytes = n
	}
	if v := q.Get("permissions"); v != "" {
		if _, err := parseMode(v, "permissions"); err != nil {
			return p, err
		}
	}
	for _, kv := range p.env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return p, badRequest("invalid env entry %q: want KEY=VALUE", kv)
		}
	}
	uid, uidSet, err := queryUint32(r, "uid")
	if err != nil {
		return p, err
	}
	gid, gidSet, err := queryUint32(r, "gid")
	if err != nil {
		return p, err
	}
	if !uidSet {
		uid = defaultUID
	}
	p.user = lookupUID(root, uid)
	if gidSet {
		p.user.gid = gid
	} else if !uidSet {
		p.user.gid = defaultGID
	}
	if p.cwd == "" {
		p.cwd = p.user.home
	} else if !strings.HasPrefix(p.cwd, "/") {
		abs, _, err := guestPath(p.cwd, p.user.home)
		if err != nil {
			return p, err
		}
		p.cwd = abs
	}
	return p, nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r == '/' || r == '=' || r == ':' || r == ',' || r == '+' || r == '@' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// spec builds the sandbox ExecSpec: without a shell, cmd and args run
// directly; with one, cmd is the script (args are appended, quoted).
func (p execParams) spec() sandbox.ExecSpec {
	s := sandbox.ExecSpec{
		UID: p.user.uid, GID: p.user.gid, Cwd: p.cwd,
		Env:   p.env,
		Stdin: p.stdin,
	}
	if p.shell == "" {
		s.Argv = append([]string{p.cmd}, p.args...)
	} else {
		script := p.cmd
		for _, a := range p.args {
			script += " " + shellQuote(a)
		}
		s.Shell, s.Script = p.shell, script
	}
	return s
}

func (d *Daemon) handleExec(w http.ResponseWriter, r *http.Request) error {
	vm, err := d.vm(r.PathValue("hostname"))
	if err != nil {
		return err
	}
	sb, root, execs, err := vm.guest()
	if err != nil {
		return err
	}
	p, err := parseExec(r, root)
	if err != nil {
		return err
	}
	if p.background {
		return d.startBackground(w, vm, sb, execs, p)
	}
	if p.buffered {
		return execBuffered(w, r, sb, p)
	}
	return execStream(w, r, sb, p)
}

func encodeChunk(stdio string, b []byte) (string, string) {
	if stdio == "base64" {
		return base64.StdEncoding.EncodeToString(b), "base64"
	}
	return string(b), ""
}

// frameWriter writes NDJSON frames, flushing each one.
type frameWriter struct {
	mu  sync.Mutex
	w   io.Writer
	rc  *http.ResponseController
	err error
}

func (f *frameWriter) write(fr client.SlicerExecWriteResult) error {
	b, err := json.Marshal(fr)
	if err != nil {
		return err
	}
	return f.writeLine(append(b, '\n'))
}

// appendBase64Frame appends a data frame with a base64 payload, encoded
// without an intermediate string (base64 needs no JSON escaping). The field
// set is that of SlicerExecWriteResult.
func appendBase64Frame(b []byte, typ string, data []byte, ts time.Time) []byte {
	b = append(b, `{"timestamp":"`...)
	b = ts.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","type":"`...)
	b = append(b, typ...)
	b = append(b, `","encoding":"base64","data":"`...)
	b = base64.StdEncoding.AppendEncode(b, data)
	b = append(b, `","exit_code":0}`+"\n"...)
	return b
}

// writeLine writes complete NDJSON lines and flushes them.
func (f *frameWriter) writeLine(line []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if _, err := f.w.Write(line); err != nil {
		f.err = err
		return err
	}
	if err := f.rc.Flush(); err != nil {
		f.err = err
	}
	return f.err
}

// stdinProbeInterval is how long a write into a process's stdin may block
// before execStream checks that the client is still connected.
const stdinProbeInterval = time.Second

func execStream(w http.ResponseWriter, r *http.Request, sb *sandbox.Sandbox, p execParams) error {
	rc := http.NewResponseController(w)
	if p.stdin {
		if err := rc.EnableFullDuplex(); err != nil {
			return errorf(http.StatusInternalServerError, "enable full duplex: %v", err)
		}
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	proc, err := sb.Exec(ctx, p.spec())
	if err != nil {
		return execStartError(err)
	}
	defer proc.Close()
	w.Header().Set("Content-Type", "application/x-ndjson")
	if p.stdin {
		// The request body may still be open when the process exits; the
		// read is then cut with a read deadline, which would spoil the
		// connection for a next request, so it is not reused.
		w.Header().Set("Connection", "close")
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	fw := &frameWriter{w: w, rc: rc}
	now := time.Now().UTC()
	w.WriteHeader(http.StatusOK)
	_ = fw.write(client.SlicerExecWriteResult{Type: "started", Pid: proc.Pid, StartedAt: now, Timestamp: now})

	var stdinDone chan struct{}
	// stdinBlocked is when a write into the process's stdin began (unix
	// nanoseconds), 0 when none is in progress.
	var stdinBlocked atomic.Int64
	probeStop, probeDone := make(chan struct{}), make(chan struct{})
	if p.stdin {
		stdinDone = make(chan struct{})
		go func() {
			defer close(stdinDone)
			buf := make([]byte, 32<<10)
			for {
				n, rerr := r.Body.Read(buf)
				if n > 0 {
					stdinBlocked.Store(time.Now().UnixNano())
					_, werr := proc.Stdin.Write(buf[:n])
					stdinBlocked.Store(0)
					if werr != nil {
						break
					}
				}
				if rerr != nil {
					break
				}
			}
			_ = proc.Stdin.Close()
		}()
		// While the process does not read its stdin, nothing reads the
		// request body either, so the server cannot see the client go away
		// (Ctrl-C on `yes | slicer exec vm -- sleep 1000`). Probe the
		// connection then with an empty stdout frame, which clients write
		// as nothing, and stop the process when the write fails.
		go func() {
			defer close(probeDone)
			t := time.NewTicker(stdinProbeInterval)
			defer t.Stop()
			for {
				select {
				case <-probeStop:
					return
				case <-t.C:
				}
				since := stdinBlocked.Load()
				if since == 0 || time.Since(time.Unix(0, since)) < stdinProbeInterval {
					continue
				}
				now := time.Now().UTC()
				var err error
				if p.stdio == "base64" {
					err = fw.writeLine(appendBase64Frame(nil, "stdout", nil, now))
				} else {
					err = fw.write(client.SlicerExecWriteResult{Type: "stdout", Timestamp: now})
				}
				if err != nil {
					_ = proc.Signal(syscall.SIGKILL)
					return
				}
			}
		}()
	} else {
		close(probeDone)
	}
	var wg sync.WaitGroup
	var progress atomic.Int64
	pump := func(typ string, src io.Reader) {
		defer wg.Done()
		buf := make([]byte, 32<<10)
		// Frames go out in batches: while the process has more output
		// waiting in its pipe, the next frames join the batch (up to
		// execBatchBytes), so a stream of output costs the daemon and the
		// client one write and one wake-up per batch rather than per 32 KiB
		// frame. Once the pipe is empty the batch is written at once: no
		// output waits for more.
		ready, _ := src.(interface{ Ready() int })
		var batch []byte
		for {
			n, rerr := src.Read(buf)
			var werr error
			if n > 0 {
				progress.Add(int64(n))
				if p.stdio == "base64" {
					batch = appendBase64Frame(batch, typ, buf[:n], time.Now().UTC())
				} else {
					var b []byte
					b, werr = json.Marshal(client.SlicerExecWriteResult{Type: typ, Data: string(buf[:n]), Timestamp: time.Now().UTC()})
					batch = append(append(batch, b...), '\n')
				}
			}
			if werr == nil && len(batch) > 0 && (rerr != nil || len(batch) >= execBatchBytes || ready == nil || ready.Ready() == 0) {
				werr = fw.writeLine(batch)
				batch = batch[:0]
			}
			if werr != nil {
				// The client is gone: stop the process.
				_ = proc.Signal(syscall.SIGKILL)
				_, _ = io.Copy(io.Discard, src)
				return
			}
			if rerr != nil {
				return
			}
		}
	}
	wg.Add(2)
	go pump("stdout", proc.Stdout)
	go pump("stderr", proc.Stderr)
	// Kill the process when the client disconnects.
	stop := context.AfterFunc(r.Context(), func() { _ = proc.Signal(syscall.SIGKILL) })
	defer stop()
	st, werr := proc.Wait()
	drainAfterExit(proc, &wg, &progress)
	close(probeStop)
	<-probeDone
	end := time.Now().UTC()
	exit := client.SlicerExecWriteResult{Type: "exit", Pid: proc.Pid, ExitCode: exitCodeOf(st), Signal: signalName(st), EndedAt: end, Timestamp: end}
	if werr != nil {
		exit.Error = werr.Error()
		if exit.ExitCode == 0 {
			exit.ExitCode = 1
		}
	}
	_ = fw.write(exit)
	if stdinDone != nil {
		// The client ends its request body when its stdin ends or when it
		// has the exit frame. Give it time to do so: cutting the body read
		// at once closes the connection while the client may still be
		// writing the body's last chunk, and it then sees "broken pipe"
		// instead of the response (an empty stdin on a loaded machine).
		grace := time.NewTimer(stdinGrace)
		defer grace.Stop()
		select {
		case <-stdinDone:
		case <-grace.C:
			// Unblock a body read still waiting for a client that keeps
			// its stdin open.
			_ = rc.SetReadDeadline(time.Now())
			<-stdinDone
		}
	}
	return nil
}

// execBatchBytes bounds a batch of output frames written together (see
// execStream's pump).
const execBatchBytes = 192 << 10

// stdinGrace is how long an exec whose process has exited waits for the
// client to end its stdin before it cuts the request body off.
const stdinGrace = 5 * time.Second

func execBuffered(w http.ResponseWriter, r *http.Request, sb *sandbox.Sandbox, p execParams) error {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	start := time.Now().UTC()
	proc, err := sb.Exec(ctx, p.spec())
	if err != nil {
		return execStartError(err)
	}
	defer proc.Close()
	stop := context.AfterFunc(r.Context(), func() { _ = proc.Signal(syscall.SIGKILL) })
	defer stop()
	var outb, errb bytes.Buffer
	var wg sync.WaitGroup
	var progress atomic.Int64
	wg.Add(2)
	go func() { defer wg.Done(); _, _ = io.Copy(&countingWriter{&outb, &progress}, proc.Stdout) }()
	go func() { defer wg.Done(); _, _ = io.Copy(&countingWriter{&errb, &progress}, proc.Stderr) }()
	st, werr := proc.Wait()
	drainAfterExit(proc, &wg, &progress)
	res := client.ExecResult{Pid: proc.Pid, StartedAt: start, EndedAt: time.Now().UTC(), ExitCode: exitCodeOf(st), Signal: signalName(st)}
	res.Stdout, res.Encoding = encodeChunk(p.stdio, outb.Bytes())
	res.Stderr, _ = encodeChunk(p.stdio, errb.Bytes())
	if werr != nil {
		res.Error = werr.Error()
		if res.ExitCode == 0 {
			res.ExitCode = 1
		}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return c.w.Write(p)
}

// drainAfterExit waits for the output pumps once the process has exited.
// Output may still be in flight (or held open by a background child): the
// pumps are given as long as they keep making progress, and the streams are
// closed after a quiet second.
func drainAfterExit(proc *sandbox.Process, wg *sync.WaitGroup, progress *atomic.Int64) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := progress.Load()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			if n := progress.Load(); n != last {
				last = n
				continue
			}
			_ = proc.Close()
			<-done
			return
		}
	}
}

// execStartError maps a failed start: 400 when the request was wrong for
// this VM (sandbox.ErrBadSpec, e.g. a missing cwd), 500 otherwise.
func execStartError(err error) error {
	if errors.Is(err, sandbox.ErrBadSpec) {
		return badRequest("exec in VM: %v", err)
	}
	return errorf(http.StatusInternalServerError, "exec in VM: %v", err)
}
