package localdaemon

import (
	"net/http"
	"os"
	"path"
	"strings"
)

// Inside the VM some directories are not the VM root's own: the sandbox
// binds the host's /usr (and /bin, /lib, ... where they are not symlinks into
// /usr) read-only, mounts its own /proc and /dev, and binds the VM's secrets
// at /run/slicer/secrets. fs and cp resolve guest paths the same way, so
// they show what exec sees: those directories are read from their source,
// read-only, and /proc and /dev are refused.

// usrLinkDirs are the top-level names that merged-/usr hosts make symlinks
// into /usr (the sandbox mirrors them in the VM root).
var usrLinkDirs = []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32"}

// target is where a guest path lives on the host.
type target struct {
	root     *os.Root
	rel      string
	readOnly bool
	close    func()
}

// resolve maps the guest path (abs, with rel inside the VM root) to the
// os.Root holding it.
func (vm *VM) resolve(root *os.Root, abs, rel string) (target, error) {
	t := target{root: root, rel: rel, close: func() {}}
	first, rest, _ := strings.Cut(rel, "/")
	// /bin -> usr/bin and friends: follow the VM root's own top-level link
	// so the path can be matched against the /usr bind below.
	for _, l := range usrLinkDirs {
		if first != l {
			continue
		}
		if dest, err := root.Readlink(first); err == nil && !path.IsAbs(dest) &&
			path.Clean(dest) != ".." && !strings.HasPrefix(path.Clean(dest), "../") {
			rel = path.Join(path.Clean(dest), rest)
			first, rest, _ = strings.Cut(rel, "/")
		}
		break
	}
	under := func(p string) (string, bool) {
		if rel == p {
			return ".", true
		}
		if s, ok := strings.CutPrefix(rel, p+"/"); ok {
			return s, true
		}
		return "", false
	}
	switch first {
	case "proc", "dev":
		return t, errorf(http.StatusBadRequest, "%s is a kernel filesystem inside the VM; use exec to read it", abs)
	}
	if sub, ok := under("run/slicer/agent"); ok && sub == "." {
		return t, errorf(http.StatusBadRequest, "%s is the VM's agent binary (read-only)", abs)
	}
	var hostDir string
	var sub string
	if s, ok := under("usr"); ok {
		hostDir, sub = "/usr", s
	} else if s, ok := under("run/slicer/secrets"); ok {
		vm.mu.Lock()
		has := len(vm.rec.Secrets) > 0
		vm.mu.Unlock()
		if has {
			hostDir, sub = vm.secretsDir(), s
		}
	} else {
		for _, l := range usrLinkDirs {
			if s, ok := under(l); ok {
				if fi, err := os.Lstat("/" + l); err == nil && fi.IsDir() {
					hostDir, sub = "/"+l, s
				}
			}
		}
	}
	if hostDir == "" {
		t.rel = rel
		return t, nil
	}
	r, err := os.OpenRoot(hostDir)
	if err != nil {
		return t, errorf(http.StatusInternalServerError, "open %s: %v", abs, stripHostPath(err))
	}
	return target{root: r, rel: sub, readOnly: true, close: func() { r.Close() }}, nil
}

func readOnlyError(abs string) error {
	return errorf(http.StatusBadRequest, "%s is read-only inside the VM", abs)
}
