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
	sink := &extractSink{ctx: ctx, target: target, opts: eo, progress: p.Reader}
	derr := c.CpFromVMToWriter(ctx, vm, src, sink, ModeTar, opts.Excludes...)
	err = sink.close(derr)
	if !sink.started && err == nil && derr == nil {
		// An empty response: extract the empty archive it stands for.
		_, err = sink.extract(strings.NewReader(""))
	}
	if derr != nil && (err == nil || !sink.started || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errSinkAborted)) {
		err = derr
	}
	return finish(ctx, p, err, fmt.Sprintf("copy %s:%s to %s", vm, src, target))
}

// extractSink is the writer a tar download is copied into: it extracts the
// archive into target. io.Copy inside CpFromVMToWriter hands it the response
// body itself (ReadFrom), so the extraction reads the socket in the calling
// goroutine, with no pipe and no goroutine hand-off per 32 KiB piece. Plain
// Writes (from a source that drives the copy itself) go through a pipe to an
// extraction goroutine; close ends that and reports its result.
type extractSink struct {
	ctx      context.Context
	target   string
	opts     tarstream.ExtractOptions
	progress func(io.Reader) io.Reader

	started bool
	err     error // the extraction's result, once it ran

	pw   *io.PipeWriter
	done chan struct{}
}

// errSinkAborted ends a piped extraction whose download failed.
var errSinkAborted = errors.New("download ended early")

func (s *extractSink) ReadFrom(r io.Reader) (int64, error) {
	if s.pw != nil { // already extracting from Writes: keep feeding them
		return io.Copy(s.pw, r)
	}
	if s.started {
		return 0, errors.New("the archive was already extracted")
	}
	return s.extract(r)
}

func (s *extractSink) extract(r io.Reader) (int64, error) {
	s.started = true
	cr := &countingReader{r: s.progress(r)}
	_, s.err = tarstream.ExtractToDir(s.ctx, cr, s.target, s.opts)
	return cr.n, s.err
}

func (s *extractSink) Write(b []byte) (int, error) {
	if s.pw == nil {
		if s.started {
			return 0, errors.New("the archive was already extracted")
		}
		pr, pw := io.Pipe()
		s.pw, s.done = pw, make(chan struct{})
		go func() {
			defer close(s.done)
			_, err := s.extract(pr)
			if err == nil {
				err = errors.New("extraction ended")
			}
			pr.CloseWithError(err)
		}()
	}
	return s.pw.Write(b)
}

// close ends a piped extraction, at the end of the archive when the download
// succeeded and as a failure otherwise (so a download cut at an entry
// boundary cannot pass for a shorter archive), and returns the extraction's
// error.
func (s *extractSink) close(download error) error {
	if s.pw != nil {
		if download != nil {
			s.pw.CloseWithError(errSinkAborted)
		} else {
			s.pw.Close()
		}
		<-s.done
	}
	return s.err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
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
