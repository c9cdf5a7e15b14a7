package tarstream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"syscall"
)

// ErrEmptyArchive is returned by ExtractToPath for an archive with no entry.
var ErrEmptyArchive = errors.New("tar archive was empty")

// ErrMultipleEntries is returned by ExtractToPath when the destination is not
// an existing directory and the archive holds more than one top-level entry.
var ErrMultipleEntries = errors.New("cannot extract multiple files to single file destination")

// ExtractToDir extracts r into the local directory dest.
//
// If dest is an existing directory (or a symlink to one) the entries are
// extracted into it, each file being written under a temporary name and
// renamed into place; a failure leaves the files that completed. If dest
// does not exist, its parent must; the archive is extracted into a new
// staging directory beside dest, which is renamed to dest only when the
// whole archive succeeded, so a failed or cancelled copy leaves no dest
// behind. dest existing as a non-directory is an error.
func ExtractToDir(ctx context.Context, r io.Reader, dest string, opts ExtractOptions) (Result, error) {
	fi, err := os.Stat(dest)
	switch {
	case err == nil && fi.IsDir():
		root, err := os.OpenRoot(dest)
		if err != nil {
			return Result{}, err
		}
		defer root.Close()
		return Extract(ctx, r, root, opts)
	case err == nil:
		return Result{}, fmt.Errorf("destination %s exists and is not a directory", dest)
	case !errors.Is(err, fs.ErrNotExist):
		return Result{}, err
	}
	parent, base, err := openParent(dest)
	if err != nil {
		return Result{}, err
	}
	defer parent.Close()
	return extractStaged(ctx, r, parent, base, opts)
}

// ExtractToRoot extracts r into the directory name inside root (a path
// relative to root, as os.Root takes it), with the rules of ExtractToDir and
// every file operation confined to root: an existing directory (symlinks
// inside root are followed) receives the entries, and the files that
// completed stay if the extraction fails; a missing one is created through a
// staging directory beside it (mode 0755 less the umask, owned by
// opts.Owner when set) that is renamed to name only when the whole archive
// succeeded and removed otherwise. name's parent must exist. name existing
// as a non-directory is an error wrapping syscall.ENOTDIR.
func ExtractToRoot(ctx context.Context, r io.Reader, root *os.Root, name string, opts ExtractOptions) (Result, error) {
	name = path.Clean(name)
	fi, err := root.Stat(name)
	switch {
	case err == nil && fi.IsDir():
		sub, err := root.OpenRoot(name)
		if err != nil {
			return Result{}, err
		}
		defer sub.Close()
		return Extract(ctx, r, sub, opts)
	case err == nil:
		return Result{}, &fs.PathError{Op: "extract", Path: name, Err: syscall.ENOTDIR}
	case !errors.Is(err, fs.ErrNotExist):
		return Result{}, err
	}
	dir, base := path.Split(name)
	if dir == "" {
		return extractStaged(ctx, r, root, base, opts)
	}
	parent, err := root.OpenRoot(path.Clean(dir))
	if err != nil {
		return Result{}, err
	}
	defer parent.Close()
	return extractStaged(ctx, r, parent, base, opts)
}

// extractStaged extracts r into a staging directory inside parent and
// renames it to base on success; on failure the staging directory is
// removed.
func extractStaged(ctx context.Context, r io.Reader, parent *os.Root, base string, opts ExtractOptions) (Result, error) {
	// The staging directory gets the final mode (0755 less the umask)
	// and owner at creation.
	stage, root, err := newStage(parent, 0o755, opts.Owner)
	if err != nil {
		return Result{}, err
	}
	res, err := extract(ctx, r, root, opts, true)
	root.Close()
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = parent.Rename(stage, base)
	}
	if err != nil {
		_ = parent.RemoveAll(stage)
		return res, err
	}
	return res, nil
}

// ExtractToPath extracts r to dest with the SDK's ExtractTarToPath rules: if
// dest is an existing directory the entries go into it (as ExtractToDir).
// Otherwise dest's parent must exist, and the archive must hold exactly one
// top-level entry (a file, or a directory with its contents), which becomes
// dest, replacing an existing file. Unlike the SDK, extraction goes through a
// staging directory beside dest, so pre-existing files in the parent do not
// count and a failure leaves dest untouched.
func ExtractToPath(ctx context.Context, r io.Reader, dest string, opts ExtractOptions) (Result, error) {
	if fi, err := os.Stat(dest); err == nil && fi.IsDir() {
		return ExtractToDir(ctx, r, dest, opts)
	}
	parent, base, err := openParent(dest)
	if err != nil {
		return Result{}, err
	}
	defer parent.Close()
	stage, root, err := newStage(parent, 0o700, nil)
	if err != nil {
		return Result{}, err
	}
	defer parent.RemoveAll(stage)
	defer root.Close()
	res, err := extract(ctx, r, root, opts, true)
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return res, err
	}
	f, err := root.Open(".")
	if err != nil {
		return res, err
	}
	names, err := f.Readdirnames(3)
	f.Close()
	if err != nil && err != io.EOF {
		return res, err
	}
	switch len(names) {
	case 0:
		return res, ErrEmptyArchive
	case 1:
	default:
		return res, ErrMultipleEntries
	}
	src := path.Join(stage, names[0])
	sfi, err := parent.Lstat(src)
	if err != nil {
		return res, err
	}
	if dfi, err := parent.Lstat(base); err == nil && (sfi.IsDir() || dfi.IsDir()) {
		// A directory cannot be renamed over a file (or the reverse):
		// remove the old non-directory destination first.
		if dfi.IsDir() {
			return res, fmt.Errorf("destination %s exists and is a directory", dest)
		}
		if err := parent.Remove(base); err != nil {
			return res, err
		}
	}
	if err := parent.Rename(src, base); err != nil {
		return res, err
	}
	return res, nil
}

// openParent opens the local parent directory of dest as a root and returns
// it with dest's base name.
func openParent(dest string) (*os.Root, string, error) {
	dest = filepath.Clean(dest)
	parent := filepath.Dir(dest)
	pfi, err := os.Stat(parent)
	if err != nil {
		return nil, "", fmt.Errorf("destination parent: %w", err)
	}
	if !pfi.IsDir() {
		return nil, "", fmt.Errorf("destination parent %s is not a directory", parent)
	}
	root, err := os.OpenRoot(parent)
	if err != nil {
		return nil, "", fmt.Errorf("destination parent: %w", err)
	}
	return root, filepath.Base(dest), nil
}

// newStage creates an empty staging directory with mode perm (and owner,
// when non-nil) in parent and opens it as a root. It returns the staging
// directory's name inside parent.
func newStage(parent *os.Root, perm fs.FileMode, owner *Owner) (string, *os.Root, error) {
	for range 10 {
		var b [16]byte
		_, _ = rand.Read(b[:])
		stage := tempPrefix + hex.EncodeToString(b[:])
		err := parent.Mkdir(stage, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", nil, err
		}
		if owner != nil && runtime.GOOS != "windows" {
			if err := parent.Lchown(stage, int(owner.UID), int(owner.GID)); err != nil {
				_ = parent.Remove(stage)
				return "", nil, err
			}
		}
		root, err := parent.OpenRoot(stage)
		if err != nil {
			_ = parent.Remove(stage)
			return "", nil, err
		}
		return stage, root, nil
	}
	return "", nil, errors.New("could not create a staging directory")
}
