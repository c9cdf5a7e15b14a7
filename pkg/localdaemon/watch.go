package localdaemon

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/slicer-cli/slicer/pkg/client"
)

// fs watch (PROTOCOL.md §10.6): inotify on the host, on directories opened
// through the VM's os.Root (the watch is placed on /proc/self/fd/N of a
// descriptor opened inside the root, so no symlink can point it elsewhere),
// delivered as Server-Sent Events.

var watchEventTypes = map[string]bool{"create": true, "write": true, "remove": true, "rename": true, "chmod": true}

const watchMask = unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_MODIFY | unix.IN_DELETE | unix.IN_DELETE_SELF |
	unix.IN_MOVED_FROM | unix.IN_MOVE_SELF | unix.IN_ATTRIB | unix.IN_EXCL_UNLINK

type rawEvent struct {
	wd    int32
	mask  uint32
	name  string
	drops bool
}

type watchOpts struct {
	paths     []string
	patterns  []string
	events    map[string]bool
	recursive bool
	oneShot   bool
	debounce  time.Duration
	timeout   time.Duration
	maxEvents int
}

func parseWatch(r *http.Request) (watchOpts, error) {
	q := r.URL.Query()
	o := watchOpts{debounce: 200 * time.Millisecond}
	for _, p := range q["paths"] {
		if p = strings.TrimSpace(p); p != "" {
			o.paths = append(o.paths, p)
		}
	}
	if len(o.paths) == 0 {
		return o, badRequest("paths is required: give at least one path to watch")
	}
	for _, p := range q["patterns"] {
		if p = strings.TrimSpace(p); p != "" {
			if _, err := path.Match(p, ""); err != nil {
				return o, badRequest("invalid pattern %q: %v", p, err)
			}
			o.patterns = append(o.patterns, p)
		}
	}
	for _, e := range q["events"] {
		e = strings.ToLower(strings.TrimSpace(e))
		switch {
		case e == "":
		case e == "all":
			o.events = nil
		case watchEventTypes[e]:
			if o.events == nil {
				o.events = map[string]bool{}
			}
			o.events[e] = true
		default:
			return o, badRequest("invalid event %q: use create, write, remove, rename, chmod or all", e)
		}
	}
	var err error
	if o.recursive, err = queryBool(r, "recursive"); err != nil {
		return o, err
	}
	if o.oneShot, err = queryBool(r, "one_shot"); err != nil {
		return o, err
	}
	if v := q.Get("debounce"); v != "" {
		if o.debounce, err = time.ParseDuration(v); err != nil || o.debounce < 0 {
			return o, badRequest("invalid debounce=%q: use a Go duration such as 200ms", v)
		}
	}
	if v := q.Get("timeout"); v != "" {
		if o.timeout, err = time.ParseDuration(v); err != nil || o.timeout < 0 {
			return o, badRequest("invalid timeout=%q: use a Go duration such as 30s", v)
		}
	}
	if v := q.Get("max_events"); v != "" {
		if o.maxEvents, err = strconv.Atoi(v); err != nil || o.maxEvents < 0 {
			return o, badRequest("invalid max_events=%q: want a non-negative number", v)
		}
	}
	if v := strings.TrimSpace(r.Header.Get("Last-Event-ID")); v != "" {
		if _, err := strconv.ParseUint(v, 10, 64); err != nil {
			return o, badRequest("invalid Last-Event-ID %q: want an unsigned integer", v)
		}
	}
	return o, nil
}

type watcher struct {
	root      *os.Root
	fd        int
	file      *os.File
	wds       map[int32]string // watch descriptor -> guest path
	recursive bool
}

// add watches the guest path abs (rel inside the root), and with recursive
// every directory below it.
func (wt *watcher) add(abs, rel string) error {
	f, err := wt.root.OpenFile(rel, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	// Opened without O_PATH: with O_PATH an os.Root would hand back a
	// descriptor of a final symlink itself, which inotify would follow.
	fi, serr := f.Stat()
	if serr == nil && fi.Mode()&fs.ModeSymlink != 0 {
		f.Close()
		return fmt.Errorf("watch %s: %w", rel, fs.ErrInvalid)
	}
	wd, err := unix.InotifyAddWatch(wt.fd, fmt.Sprintf("/proc/self/fd/%d", f.Fd()), watchMask)
	f.Close()
	if err != nil {
		return err
	}
	wt.wds[int32(wd)] = abs
	if wt.recursive && serr == nil && fi.IsDir() {
		_ = fs.WalkDir(wt.root.FS(), rel, func(p string, de fs.DirEntry, err error) error {
			if err != nil || p == rel || !de.IsDir() {
				return nil
			}
			sub := path.Join(abs, strings.TrimPrefix(p, rel+"/"))
			if rel == "." {
				sub = path.Join(abs, p)
			}
			if f, err := wt.root.OpenFile(p, os.O_RDONLY|unix.O_NONBLOCK|unix.O_DIRECTORY, 0); err == nil {
				if wd, err := unix.InotifyAddWatch(wt.fd, fmt.Sprintf("/proc/self/fd/%d", f.Fd()), watchMask); err == nil {
					wt.wds[int32(wd)] = sub
				}
				f.Close()
			}
			return nil
		})
	}
	return nil
}

func (wt *watcher) read(out chan<- []rawEvent) {
	defer close(out)
	buf := make([]byte, 64<<10)
	for {
		n, err := wt.file.Read(buf)
		if err != nil {
			return
		}
		var evs []rawEvent
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameStart := off + unix.SizeofInotifyEvent
			nameEnd := nameStart + int(ev.Len)
			if nameEnd > n {
				break
			}
			name := strings.TrimRight(string(buf[nameStart:nameEnd]), "\x00")
			evs = append(evs, rawEvent{wd: ev.Wd, mask: ev.Mask, name: name, drops: ev.Mask&unix.IN_Q_OVERFLOW != 0})
			off = nameEnd
		}
		out <- evs
	}
}

func eventType(mask uint32) string {
	switch {
	case mask&(unix.IN_CREATE|unix.IN_MOVED_TO) != 0:
		return "create"
	case mask&unix.IN_MODIFY != 0:
		return "write"
	case mask&(unix.IN_DELETE|unix.IN_DELETE_SELF) != 0:
		return "remove"
	case mask&(unix.IN_MOVED_FROM|unix.IN_MOVE_SELF) != 0:
		return "rename"
	case mask&unix.IN_ATTRIB != 0:
		return "chmod"
	}
	return ""
}

func (o watchOpts) wants(ev client.SlicerFSWatchEvent) bool {
	if o.events != nil && !o.events[ev.Type] {
		return false
	}
	if len(o.patterns) == 0 {
		return true
	}
	for _, p := range o.patterns {
		if ok, _ := path.Match(p, ev.Path); ok {
			return true
		}
		if ok, _ := path.Match(p, path.Base(ev.Path)); ok {
			return true
		}
	}
	return false
}

func (d *Daemon) handleWatch(w http.ResponseWriter, r *http.Request) error {
	vm, err := d.vm(r.PathValue("hostname"))
	if err != nil {
		return err
	}
	_, root, _, err := vm.guest()
	if err != nil {
		return err
	}
	o, err := parseWatch(r)
	if err != nil {
		return err
	}
	home := defaultHome
	if uid, set, err := queryUint32(r, "uid"); err != nil {
		return err
	} else if set {
		home = lookupUID(root, uid).home
	}
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return fmt.Errorf("inotify: %w", err)
	}
	wt := &watcher{root: root, fd: fd, file: os.NewFile(uintptr(fd), "inotify"), wds: map[int32]string{}, recursive: o.recursive}
	defer wt.file.Close()
	for _, p := range o.paths {
		abs, rel, err := guestPath(p, home)
		if err != nil {
			return err
		}
		// Followed to the end, as inotify inside the VM follows a link.
		tg, err := vm.resolveFollow(root, abs, rel)
		if err != nil {
			return err
		}
		tg.close()
		if tg.readOnly || tg.root != root {
			return badRequest("cannot watch %s: it is a read-only directory the VM shares with the host", abs)
		}
		if err := wt.add(abs, tg.rel); err != nil {
			return fsError("watch", abs, err)
		}
	}

	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return nil
	}
	raw := make(chan []rawEvent, 16)
	go wt.read(raw)

	var timeoutC <-chan time.Time
	if o.timeout > 0 {
		t := time.NewTimer(o.timeout)
		defer t.Stop()
		timeoutC = t.C
	}
	hb := time.NewTicker(d.heartbeat)
	defer hb.Stop()
	flush := time.NewTicker(20 * time.Millisecond)
	defer flush.Stop()

	type pendingEv struct {
		ev  client.SlicerFSWatchEvent
		due time.Time
	}
	var pending []*pendingEv
	var nextID uint64
	sent := 0
	emit := func(ev client.SlicerFSWatchEvent) bool {
		nextID++
		ev.ID = nextID
		b, _ := json.Marshal(ev)
		if _, err := fmt.Fprintf(w, "id: %d\nevent: watch\ndata: %s\n\n", ev.ID, b); err != nil {
			return false
		}
		if rc.Flush() != nil {
			return false
		}
		sent++
		return !(o.oneShot || (o.maxEvents > 0 && sent >= o.maxEvents))
	}
	flushDue := func(all bool) bool {
		now := time.Now()
		for len(pending) > 0 && (all || !pending[0].due.After(now)) {
			ev := pending[0].ev
			pending = pending[1:]
			if !emit(ev) {
				return false
			}
		}
		return true
	}
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-timeoutC:
			flushDue(true)
			return nil
		case <-hb.C:
			if _, err := fmt.Fprint(w, ":\n\n"); err != nil || rc.Flush() != nil {
				return nil
			}
		case <-flush.C:
			if !flushDue(false) {
				return nil
			}
		case evs, ok := <-raw:
			if !ok {
				flushDue(true)
				return nil
			}
			for _, re := range evs {
				if re.mask&unix.IN_IGNORED != 0 {
					delete(wt.wds, re.wd)
					continue
				}
				base, known := wt.wds[re.wd]
				if !known {
					continue
				}
				typ := eventType(re.mask)
				if typ == "" {
					continue
				}
				p := base
				if re.name != "" {
					p = path.Join(base, re.name)
				}
				ev := client.SlicerFSWatchEvent{Type: typ, Path: p, Timestamp: time.Now().UTC().Format(time.RFC3339Nano), IsDir: re.mask&unix.IN_ISDIR != 0}
				if typ == "create" || typ == "write" || typ == "chmod" {
					if _, rel, err := guestPath(p, home); err == nil {
						rel = inVMPath(root, rel, false)
						if fi, err := root.Lstat(rel); err == nil {
							ev.Size = fi.Size()
							if o.recursive && typ == "create" && fi.IsDir() {
								_ = wt.add(p, rel)
							}
						}
					}
				}
				if !o.wants(ev) {
					continue
				}
				merged := false
				for _, pe := range pending {
					if pe.ev.Type == ev.Type && pe.ev.Path == ev.Path {
						pe.ev.Size, pe.ev.Timestamp = ev.Size, ev.Timestamp
						merged = true
						break
					}
				}
				if !merged {
					pending = append(pending, &pendingEv{ev: ev, due: time.Now().Add(o.debounce)})
				}
			}
			if o.debounce == 0 && !flushDue(true) {
				return nil
			}
		}
	}
}
