package localdaemon

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"

	"github.com/slicer-cli/slicer/pkg/localdaemon/sandbox"
)

// The VM's default user, as on Slicer's Ubuntu images.
const (
	defaultUID  = 1000
	defaultGID  = 1000
	defaultUser = "ubuntu"
	defaultHome = "/home/ubuntu"
)

// writeSSHKeys installs ssh_keys for the ubuntu user (the sandbox package
// has created /home/ubuntu by then).
func writeSSHKeys(r *os.Root, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	if _, err := r.Lstat("home/ubuntu/.ssh/authorized_keys"); err == nil {
		return nil
	}
	if err := r.MkdirAll("home/ubuntu/.ssh", 0o700); err != nil {
		return err
	}
	_ = r.Lchown("home/ubuntu/.ssh", defaultUID, defaultGID)
	if err := r.WriteFile("home/ubuntu/.ssh/authorized_keys", []byte(strings.Join(keys, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	return r.Lchown("home/ubuntu/.ssh/authorized_keys", defaultUID, defaultGID)
}

// guestUser is a user of the VM as its /etc/passwd describes it.
type guestUser struct {
	uid, gid uint32
	name     string
	home     string
}

// openNoBlock opens rel in a VM root for reading. A VM process may have
// put a FIFO there, on which a plain open waits for a writer forever (a hung
// request and a leaked descriptor); O_NONBLOCK returns at once, and callers
// check the type on the open descriptor.
func openNoBlock(root *os.Root, rel string) (*os.File, error) {
	return root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// lookupUID finds uid in the VM's /etc/passwd (read through the VM root).
func lookupUID(root *os.Root, uid uint32) guestUser {
	u := guestUser{uid: uid, gid: uid, name: strconv.FormatUint(uint64(uid), 10), home: "/"}
	switch uid {
	case 0:
		u.name, u.home = "root", "/root"
	case defaultUID:
		u.name, u.home = defaultUser, defaultHome
	}
	if root == nil {
		return u
	}
	f, err := openNoBlock(root, "etc/passwd")
	if err != nil {
		return u
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return u
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 7 {
			continue
		}
		id, err := strconv.ParseUint(fields[2], 10, 32)
		if err != nil || uint32(id) != uid {
			continue
		}
		if gid, err := strconv.ParseUint(fields[3], 10, 32); err == nil {
			u.gid = uint32(gid)
		}
		u.name = fields[0]
		if fields[5] != "" {
			u.home = fields[5]
		}
		break
	}
	return u
}

// guestPath turns a path as the VM sees it (absolute, "~", "~/x" or relative
// to home) into a clean absolute guest path and the matching name relative to
// the VM root, for use with os.Root. ".." cannot climb above "/".
func guestPath(p, home string) (abs, rel string, err error) {
	if p == "" {
		return "", "", badRequest("path is required")
	}
	if strings.ContainsRune(p, 0) {
		return "", "", badRequest("path must not contain NUL bytes")
	}
	switch {
	case p == "~":
		p = home
	case strings.HasPrefix(p, "~/"):
		p = home + p[1:]
	case !strings.HasPrefix(p, "/"):
		p = home + "/" + p
	}
	abs = path.Clean("/" + p)
	rel = strings.TrimPrefix(abs, "/")
	if rel == "" {
		rel = "."
	}
	return abs, rel, nil
}

// fsError maps a filesystem error to an API error.
func fsError(op, guest string, err error) error {
	switch {
	case errors.Is(err, syscall.ENOTEMPTY):
		return errorf(400, "%s %s: directory not empty (use recursive=true)", op, guest)
	case errors.Is(err, fs.ErrNotExist):
		return errorf(404, "%s %s: no such file or directory", op, guest)
	case errors.Is(err, fs.ErrExist):
		return errorf(409, "%s %s: file exists", op, guest)
	case errors.Is(err, syscall.ENOTDIR):
		return errorf(400, "%s %s: not a directory", op, guest)
	case errors.Is(err, syscall.EISDIR):
		return errorf(400, "%s %s: is a directory", op, guest)
	case errors.Is(err, fs.ErrPermission):
		return errorf(403, "%s %s: permission denied", op, guest)
	case isEscape(err):
		return errorf(400, "%s %s: path escapes the VM's root through a symlink or \"..\"; symlinks are only followed while they stay inside the VM", op, guest)
	}
	return errorf(500, "%s %s: %v", op, guest, stripHostPath(err))
}

func isEscape(err error) bool {
	return err != nil && strings.Contains(err.Error(), "path escapes from parent")
}

// stripHostPath drops the host-side path from *fs.PathError messages.
func stripHostPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

var signalNumbers = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT, "ILL": syscall.SIGILL,
	"TRAP": syscall.SIGTRAP, "ABRT": syscall.SIGABRT, "BUS": syscall.SIGBUS, "FPE": syscall.SIGFPE,
	"KILL": syscall.SIGKILL, "USR1": syscall.SIGUSR1, "SEGV": syscall.SIGSEGV, "USR2": syscall.SIGUSR2,
	"PIPE": syscall.SIGPIPE, "ALRM": syscall.SIGALRM, "TERM": syscall.SIGTERM,
}

// signalByName accepts "TERM", "SIGTERM", "term" or a number.
func signalByName(s string) (syscall.Signal, string, bool) {
	n := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "SIG")
	if sig, ok := signalNumbers[n]; ok {
		return sig, n, true
	}
	if i, err := strconv.Atoi(n); err == nil && i > 0 && i < 65 {
		sig := syscall.Signal(i)
		for name, v := range signalNumbers {
			if v == sig {
				return sig, name, true
			}
		}
		return sig, n, true
	}
	return 0, "", false
}

// exitCodeOf is the shell-style exit code: 128+n for a signal death.
func exitCodeOf(st sandbox.ExitStatus) int {
	if st.Signal != "" && st.Code == 0 {
		if sig, _, ok := signalByName(st.Signal); ok {
			return 128 + int(sig)
		}
		return 128
	}
	return st.Code
}

// signalName is the name without SIG prefix, for frames.
func signalName(st sandbox.ExitStatus) string {
	if st.Signal == "" {
		return ""
	}
	if _, name, ok := signalByName(st.Signal); ok {
		return name
	}
	return st.Signal
}
