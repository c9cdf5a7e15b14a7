package localdaemon

import (
	"io/fs"
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
	return vm.resolveLinks(root, abs, rel, false)
}

// resolveFollow is resolve for reads that follow a final symlink too
// (readdir of a link to a directory, cp download of a link).
func (vm *VM) resolveFollow(root *os.Root, abs, rel string) (target, error) {
	return vm.resolveLinks(root, abs, rel, true)
}

func (vm *VM) resolveLinks(root *os.Root, abs, rel string, followFinal bool) (target, error) {
	rel = inVMPath(root, rel, followFinal)
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

// maxLinks bounds symlink resolution, as the kernel's ELOOP limit does.
const maxLinks = 40

// inVMPath rewrites rel (clean, relative to the VM root) so that symlinks in
// its directory components resolve as they do inside the VM: an absolute
// target starts again at the VM's /, and ".." never climbs above it. So
// /home/ubuntu/etc/passwd with etc -> /etc is the VM's /etc/passwd, as
// exec cat sees it, instead of a refused escape. The final component is
// resolved too only with followFinal (stat and remove act on a link itself).
// This only picks a better path: os.Root still confines every operation, so
// a link swapped in after this walk is refused, never followed out.
// Resolution stops at the first component that is missing, not a symlink to
// follow, or under a directory the sandbox mounts from the host.
func inVMPath(root *os.Root, rel string, followFinal bool) string {
	if rel == "." {
		return rel
	}
	parts := strings.Split(rel, "/")
	done, links := "", 0
	for i := 0; i < len(parts); i++ {
		cur := path.Join(done, parts[i])
		if i == len(parts)-1 && !followFinal {
			return cur
		}
		if mountedInVM(cur) {
			return path.Join(append([]string{cur}, parts[i+1:]...)...)
		}
		fi, err := root.Lstat(cur)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			if err != nil || (!fi.IsDir() && i < len(parts)-1) {
				return path.Join(append([]string{cur}, parts[i+1:]...)...)
			}
			done = cur
			continue
		}
		dest, err := root.Readlink(cur)
		if links++; err != nil || links > maxLinks {
			return rel // os.Root reports the loop or the error
		}
		if !path.IsAbs(dest) {
			dest = path.Join("/", done, dest)
		}
		// Cleaning a rooted path drops ".." at the VM's /.
		next := strings.TrimPrefix(path.Clean(dest), "/")
		rest := parts[i+1:]
		parts = nil
		if next != "" {
			parts = strings.Split(next, "/")
		}
		parts = append(parts, rest...)
		done, i = "", -1
	}
	if done == "" {
		return "."
	}
	return done
}

// mountedInVM reports whether rel is a directory the sandbox mounts over the
// VM root (resolve maps those to their source).
func mountedInVM(rel string) bool {
	switch rel {
	case "usr", "proc", "dev", "run/slicer/secrets", "run/slicer/agent":
		return true
	}
	for _, l := range usrLinkDirs {
		if rel == l {
			fi, err := os.Lstat("/" + l)
			return err == nil && fi.IsDir()
		}
	}
	return false
}
