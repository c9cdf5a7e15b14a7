package tarstream

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"runtime"
	"strings"
)

// ErrUnsafePath is wrapped by every error about an entry name or a
// destination path that could escape the extraction directory.
var ErrUnsafePath = errors.New("unsafe path")

// ValidRelPath reports whether p is a safe, clean, relative slash-separated
// path: not empty, no leading "/", no empty, "." or ".." segment, already
// clean (path.Clean(p) == p) and no NUL byte. Backslashes are part of a file
// name on Unix; on Windows, where they are separators, names that are not
// local by filepath.IsLocal (backslash traversal, drive letters, reserved
// device names) and names containing ':' are rejected as well.
func ValidRelPath(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.IndexByte(p, 0) >= 0 {
		return false
	}
	if path.Clean(p) != p {
		return false
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	if runtime.GOOS == "windows" {
		if strings.ContainsRune(p, ':') || !filepath.IsLocal(filepath.FromSlash(p)) {
			return false
		}
	}
	return true
}

// Limits on entry names. Longer names could not be created through a
// normal path anyway (PATH_MAX is 4096 on Linux); rejecting them up front
// keeps extraction time linear in the archive size.
const (
	MaxNameLength = 4095 // bytes
	MaxNameDepth  = 1024 // path segments
)

// ErrNameTooLong is wrapped by the error for an entry name beyond
// MaxNameLength bytes or MaxNameDepth segments.
var ErrNameTooLong = errors.New("name too long or too deep")

// entryName turns a tar header name into the relative path to create,
// removing one trailing "/" (directory entries) and validating the rest.
func entryName(name string) (string, error) {
	n := strings.TrimSuffix(name, "/")
	if !ValidRelPath(n) {
		return "", &EntryError{Name: name, Err: ErrUnsafePath}
	}
	if len(n) > MaxNameLength || strings.Count(n, "/") >= MaxNameDepth {
		return "", &EntryError{Name: name, Err: fmt.Errorf("%w (limits: %d bytes, %d levels)", ErrNameTooLong, MaxNameLength, MaxNameDepth)}
	}
	return n, nil
}

// EntryError reports a problem with one archive entry.
type EntryError struct {
	Name string // the entry name as it appears in the archive
	Err  error
}

func (e *EntryError) Error() string {
	if e.Err == ErrUnsafePath {
		return "tar entry " + quote(e.Name) + ": unsafe path (absolute, \"..\", \".\", empty segment or escaping the destination)"
	}
	return "tar entry " + quote(e.Name) + ": " + e.Err.Error()
}

func (e *EntryError) Unwrap() error { return e.Err }

// quote quotes a name for an error message, escaping control characters and
// capping the length so a hostile 5,000-byte name does not flood a terminal.
func quote(s string) string {
	const max = 256
	if len(s) > max {
		return strqQuote(s[:max]) + "..."
	}
	return strqQuote(s)
}
