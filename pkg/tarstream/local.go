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
	"path/filepath"
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
// renamed into place. If dest does not exist, its parent must; the archive
// is extracted into a new staging directory beside dest, which is renamed to
// dest only when the whole archive succeeded, so a failed or cancelled copy
// leaves no dest behind. dest existing as a non-directory is an error.
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
	// The staging directory gets dest's final mode (0755 less the umask)
	// at creation.
	stage, root, err := newStage(dest, 0o755)
	if err != nil {
		return Result{}, err
	}
	defer root.Close()
	res, err := Extract(ctx, r, root, opts)
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = os.Rename(stage, dest)
	}
	if err != nil {
		_ = os.RemoveAll(stage)
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
	stage, root, err := newStage(dest, 0o700)
	if err != nil {
		return Result{}, err
	}
	defer root.Close()
	defer os.RemoveAll(stage)
	res, err := Extract(ctx, r, root, opts)
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
	src := filepath.Join(stage, names[0])
	sfi, err := os.Lstat(src)
	if err != nil {
		return res, err
	}
	if dfi, err := os.Lstat(dest); err == nil && (sfi.IsDir() || dfi.IsDir()) {
		// A directory cannot be renamed over a file (or the reverse):
		// remove the old non-directory destination first.
		if dfi.IsDir() {
			return res, fmt.Errorf("destination %s exists and is a directory", dest)
		}
		if err := os.Remove(dest); err != nil {
			return res, err
		}
	}
	if err := os.Rename(src, dest); err != nil {
		return res, err
	}
	return res, nil
}

// newStage creates an empty staging directory with mode perm beside dest
// and opens it as a root.
func newStage(dest string, perm fs.FileMode) (string, *os.Root, error) {
	parent := filepath.Dir(filepath.Clean(dest))
	pfi, err := os.Stat(parent)
	if err != nil {
		return "", nil, fmt.Errorf("destination parent: %w", err)
	}
	if !pfi.IsDir() {
		return "", nil, fmt.Errorf("destination parent %s is not a directory", parent)
	}
	for range 10 {
		var b [16]byte
		_, _ = rand.Read(b[:])
		stage := filepath.Join(parent, tempPrefix+hex.EncodeToString(b[:]))
		err := os.Mkdir(stage, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", nil, err
		}
		root, err := os.OpenRoot(stage)
		if err != nil {
			os.Remove(stage)
			return "", nil, err
		}
		return stage, root, nil
	}
	return "", nil, errors.New("could not create a staging directory")
}
