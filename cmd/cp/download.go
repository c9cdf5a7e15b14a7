package cp

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/tarstream"
)

func download(ctx context.Context, c client.Interface, vm string, opts *CpOptions) error {
	src := opts.Src.Path
	info, err := c.Stat(ctx, vm, src)
	if errors.Is(err, os.ErrNotExist) || cmdutil.IsNotFound(err) {
		return fmt.Errorf("%s:%s: no such file or directory", opts.Src.VM, src)
	}
	if err != nil {
		return fmt.Errorf("stat %s in VM %q: %w", src, vm, err)
	}
	isDir := info.Type == "directory"
	if opts.Dst.Stdio {
		if isDir {
			err := c.CpFromVMToWriter(ctx, vm, src, opts.IO.Out, ModeTar, opts.Excludes...)
			return copyErrf(ctx, err, "copy %s:%s to stdout", vm, src)
		}
		return fileAsTar(ctx, c, vm, src, info, opts.IO.Out)
	}
	if isDir {
		if !opts.Recursive {
			return cmdutil.FlagErrorf("%s:%s is a directory: use -r to copy a directory", opts.Src.VM, src)
		}
		return downloadDir(ctx, c, vm, opts)
	}
	if opts.Mode == ModeTar {
		return cmdutil.FlagErrorf("%s:%s is a file: tar mode copies directories; leave out --mode", opts.Src.VM, src)
	}
	dst := opts.Dst.Path
	target := dst
	st, err := os.Stat(dst)
	switch {
	case err == nil && st.IsDir():
		target = filepath.Join(dst, RemoteBase(src))
	case err == nil:
	case errors.Is(err, fs.ErrNotExist) && (strings.HasSuffix(dst, "/") || strings.HasSuffix(dst, string(filepath.Separator)+".")):
		return fmt.Errorf("destination directory %s does not exist", dst)
	case errors.Is(err, fs.ErrNotExist):
	default:
		return fmt.Errorf("destination %s: %w", dst, err)
	}
	mode := fs.FileMode(0o644)
	perms := opts.Permissions
	if perms == "" {
		perms = info.Mode
	}
	if v, err := strconv.ParseUint(perms, 8, 32); err == nil {
		mode = fs.FileMode(v).Perm()
	}
	p := opts.IO.NewProgress(RemoteBase(src), info.Size)
	err = writeAtomic(target, mode, func(w io.Writer) error {
		return c.CpFromVMToWriter(ctx, vm, src, p.Writer(w), ModeBinary)
	}, opts)
	return finish(ctx, p, err, fmt.Sprintf("copy %s:%s to %s", vm, src, target))
}

// writeAtomic writes a file that appears at target only once complete. It
// writes into an unnamed file (O_TMPFILE) in the target's directory and
// links it in at the end, so not even a killed process leaves a partial
// file behind; where O_TMPFILE is not available it falls back to a
// temporary name that is removed on failure.
func writeAtomic(target string, mode fs.FileMode, fill func(io.Writer) error, opts *CpOptions) error {
	dir := filepath.Dir(target)
	f, named, err := openTemp(dir, mode)
	if err != nil {
		return fmt.Errorf("create a file in %s: %w", dir, err)
	}
	fail := func(err error) error {
		f.Close()
		if named != "" {
			os.Remove(named)
		}
		return err
	}
	if err := fill(f); err != nil {
		return fail(err)
	}
	if err := f.Chmod(mode); err != nil {
		return fail(err)
	}
	if opts.UIDSet || opts.GIDSet {
		uid, gid := -1, -1
		if opts.UIDSet {
			uid = int(opts.UID)
		}
		if opts.GIDSet {
			gid = int(opts.GID)
		} else if opts.UIDSet {
			gid = int(opts.UID)
		}
		if err := f.Chown(uid, gid); err != nil {
			return fail(err)
		}
	}
	if named == "" {
		// Give the unnamed file a hidden name, then rename it over target.
		tmp := filepath.Join(dir, ".slicer-cp-"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatUint(uint64(f.Fd()), 10))
		_ = os.Remove(tmp)
		if err := unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(f.Fd())), unix.AT_FDCWD, tmp, unix.AT_SYMLINK_FOLLOW); err != nil {
			return fail(fmt.Errorf("link the copied file into %s: %w", dir, err))
		}
		named = tmp
	}
	if err := f.Close(); err != nil {
		os.Remove(named)
		return err
	}
	if err := os.Rename(named, target); err != nil {
		os.Remove(named)
		return err
	}
	return nil
}

func openTemp(dir string, mode fs.FileMode) (*os.File, string, error) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, uint32(mode.Perm()|0o200))
	if err == nil {
		return os.NewFile(uintptr(fd), filepath.Join(dir, "(unnamed)")), "", nil
	}
	if !errors.Is(err, unix.EOPNOTSUPP) && !errors.Is(err, unix.EISDIR) && !errors.Is(err, unix.EINVAL) {
		return nil, "", &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	f, err := os.CreateTemp(dir, ".slicer-cp-*")
	if err != nil {
		return nil, "", err
	}
	return f, f.Name(), nil
}

func downloadDir(ctx context.Context, c client.Interface, vm string, opts *CpOptions) error {
	src, dst := opts.Src.Path, opts.Dst.Path
	target := dst
	st, err := os.Stat(dst)
	switch {
	case err == nil && !st.IsDir():
		return fmt.Errorf("destination %s exists and is not a directory", dst)
	case err == nil && !CopyContents(src):
		base := RemoteBase(src)
		if base == "" {
			return fmt.Errorf("cannot tell the name of %s:%s: end it with /. to copy its contents into %s", opts.Src.VM, src, dst)
		}
		target = filepath.Join(dst, base)
	case err == nil:
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(filepath.Clean(dst)), 0o755); err != nil {
			return fmt.Errorf("destination %s: %w", dst, err)
		}
	default:
		return fmt.Errorf("destination %s: %w", dst, err)
	}
	pr, pw := io.Pipe()
	dlErr := make(chan error, 1)
	go func() {
		err := c.CpFromVMToWriter(ctx, vm, src, pw, ModeTar, opts.Excludes...)
		pw.CloseWithError(err)
		dlErr <- err
	}()
	eo := tarstream.ExtractOptions{
		Excludes: opts.Excludes,
		OnSkip: func(s tarstream.Skip) {
			fmt.Fprintf(opts.IO.ErrOut, "warning: %s\n", s)
		},
	}
	if opts.UIDSet || opts.GIDSet {
		u, g := opts.UID, opts.GID
		if !opts.GIDSet {
			g = u
		}
		if !opts.UIDSet {
			u = uint32(os.Getuid())
		}
		eo.Owner = &tarstream.Owner{UID: u, GID: g}
	}
	p := opts.IO.NewProgress(filepath.Base(target), -1)
	_, err = tarstream.ExtractToDir(ctx, p.Reader(pr), target, eo)
	pr.CloseWithError(errors.New("extraction ended"))
	derr := <-dlErr
	if derr != nil && (err == nil || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "extraction ended")) {
		err = derr
	}
	return finish(ctx, p, err, fmt.Sprintf("copy %s:%s to %s", vm, src, target))
}

// fileAsTar writes a one-entry tar stream of a VM file to w.
func fileAsTar(ctx context.Context, c client.Interface, vm, src string, info *client.SlicerFSInfo, w io.Writer) error {
	mode := int64(0o644)
	if v, err := strconv.ParseInt(info.Mode, 8, 64); err == nil {
		mode = v & 0o777
	}
	tw := tar.NewWriter(w)
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: RemoteBase(src), Size: info.Size, Mode: mode, ModTime: info.Mtime, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if err := c.CpFromVMToWriter(ctx, vm, src, tw, ModeBinary); err != nil {
		return copyErrf(ctx, err, "copy %s:%s to stdout", vm, src)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("copy %s:%s to stdout: %w (did the file change during the copy?)", vm, src, err)
	}
	return nil
}

func copyErrf(ctx context.Context, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return copyErr(ctx, fmt.Sprintf(format, args...), err)
}
