package cp

import (
	"fmt"
	"path"
	"strings"
)

// Location is one side of a copy: a local path, a remote `VM:path`, or `-`
// (a tar stream on stdin or stdout).
type Location struct {
	VM    string // empty for a local path or stdio
	Path  string
	Stdio bool
}

// IsRemote reports whether the location is inside a VM.
func (l Location) IsRemote() bool { return l.VM != "" }

func (l Location) String() string {
	switch {
	case l.Stdio:
		return "-"
	case l.VM != "":
		return l.VM + ":" + l.Path
	}
	return l.Path
}

// ParseLocation reads a cp argument. `VM:path` is remote when the part
// before the first colon is a plausible VM name or hostname (letters,
// digits, '-', '_', '.') and contains no '/'; anything that starts like a
// local path (`/`, `./`, `../`, `~`) is local even if it holds a colon, so
// `./a:b` is the local file "a:b". A remote path that is empty means the
// user's home directory (`vm:` = `vm:~`).
func ParseLocation(s string) (Location, error) {
	if s == "" {
		return Location{}, fmt.Errorf("empty path")
	}
	if s == "-" {
		return Location{Stdio: true}, nil
	}
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") || strings.HasPrefix(s, "~") {
		return Location{Path: s}, nil
	}
	vm, p, ok := strings.Cut(s, ":")
	if !ok || !plausibleVM(vm) {
		return Location{Path: s}, nil
	}
	if p == "" {
		p = "~"
	}
	return Location{VM: vm, Path: p}, nil
}

func plausibleVM(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return false
		}
	}
	return true
}

// ParseArgs reads SRC and DST: exactly one side must be in a VM, unless one
// side is `-` (then the other must be in a VM).
func ParseArgs(src, dst string) (Location, Location, error) {
	s, err := ParseLocation(src)
	if err != nil {
		return s, Location{}, fmt.Errorf("source: %w", err)
	}
	d, err := ParseLocation(dst)
	if err != nil {
		return s, d, fmt.Errorf("destination: %w", err)
	}
	switch {
	case s.Stdio && d.Stdio:
		return s, d, fmt.Errorf("source and destination cannot both be '-'")
	case s.IsRemote() && d.IsRemote():
		return s, d, fmt.Errorf("both %q and %q are in a VM: copy between VMs through the host, one side must be local", src, dst)
	case !s.IsRemote() && !d.IsRemote():
		return s, d, fmt.Errorf("neither %q nor %q names a VM: write one side as VM:path (for example vm-1:/tmp/file)", src, dst)
	}
	return s, d, nil
}

// CopyContents reports whether p asks for the contents of a directory
// rather than the directory itself: it ends in "/." (after trailing
// slashes are removed), or is "/" or ".".
func CopyContents(p string) bool {
	t := strings.TrimRight(p, "/")
	if t == "" || t == "." {
		return true
	}
	return strings.HasSuffix(t, "/.")
}

// RemoteBase is the name a remote source is known by when it is placed in
// a directory: the last element of its cleaned path ("~" for the home
// directory itself).
func RemoteBase(p string) string {
	t := strings.TrimRight(p, "/")
	if t == "" {
		return ""
	}
	b := path.Base(path.Clean(t))
	if b == "." || b == "/" || b == ".." {
		return ""
	}
	return b
}

// JoinRemote joins a remote directory and a name, keeping a leading "~".
func JoinRemote(dir, name string) string {
	if dir == "~" || dir == "~/" {
		return "~/" + name
	}
	return strings.TrimRight(dir, "/") + "/" + name
}
