package tarstream

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// ArchiveOptions controls archive creation. The zero value is usable.
type ArchiveOptions struct {
	// Excludes are patterns (see Excluded) matched against each path
	// relative to the archived directory; a matching directory is skipped
	// with its whole subtree.
	Excludes []string
	// OnSkip is called for every symlink, device, FIFO or socket that is
	// left out of the archive.
	OnSkip func(Skip)
}

// Archive writes to w a tar archive of name inside root ("." for the root
// directory itself). A directory contributes its contents, with entry names
// relative to it; a regular file becomes a single entry named after its base
// name. Any other file type is an error. The archive is terminated (the two
// zero blocks are written) only when everything succeeded.
func Archive(ctx context.Context, w io.Writer, root *os.Root, name string, opts ArchiveOptions) (Result, error) {
	// Headers are 512 bytes and small files a few KiB: batch them so a pipe
	// or an HTTP body sees large writes, not one per header and file.
	bw := bufio.NewWriterSize(w, 256<<10)
	a := &archiver{ctx: ctx, root: root, opts: opts, tw: tar.NewWriter(bw)}
	name = path.Clean(filepath.ToSlash(name))
	if name != "." && !ValidRelPath(name) {
		return a.res, fmt.Errorf("archive %s: %w", quote(name), ErrUnsafePath)
	}
	fi, err := root.Stat(name)
	if err != nil {
		return a.res, rootErr(err)
	}
	switch {
	case fi.IsDir():
		d := root
		if name != "." {
			if d, err = root.OpenRoot(name); err != nil {
				return a.res, rootErr(err)
			}
			defer d.Close()
		}
		if err := a.walkDir(d, name, ""); err != nil {
			return a.res, err
		}
	case fi.Mode().IsRegular():
		if err := a.file(root, ".", name, path.Base(name), nil); err != nil {
			return a.res, err
		}
	default:
		return a.res, fmt.Errorf("archive %s: not a regular file or directory", quote(name))
	}
	if err := a.tw.Close(); err != nil {
		return a.res, err
	}
	return a.res, bw.Flush()
}

// ArchivePath writes a tar archive of the local path src (a directory's
// contents, or a single regular file) to w. A symlink given as src itself is
// followed; symlinks inside a directory are not.
func ArchivePath(ctx context.Context, w io.Writer, src string, opts ArchiveOptions) (Result, error) {
	resolved, err := filepath.EvalSymlinks(src)
	if err != nil {
		return Result{}, err
	}
	fi, err := os.Stat(resolved)
	if err != nil {
		return Result{}, err
	}
	dir, name := resolved, "."
	if !fi.IsDir() {
		dir, name = filepath.Dir(resolved), filepath.Base(resolved)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return Result{}, err
	}
	defer root.Close()
	return Archive(ctx, w, root, name, opts)
}

type archiver struct {
	ctx    context.Context
	root   *os.Root
	opts   ArchiveOptions
	tw     *tar.Writer
	res    Result
	buf    []byte // file contents pass through it
	dirBuf []byte // getdents64 records land in it (Linux)
}

// walkDir writes the entries below dir (a root-relative name, open as d);
// rel is the archive name prefix of dir ("" for the archived directory
// itself). Entries are reached through d by their base names, so a tree
// costs one lookup per entry rather than one per path component.
func (a *archiver) walkDir(d *os.Root, dir, rel string) error {
	f, err := d.Open(".")
	if err != nil {
		return inDir(rootErr(err), dir)
	}
	defer f.Close()
	// The directory's descriptor, for the fast path of fileAt: the listing
	// then also tells which entries are regular files (os.File.ReadDir
	// would lstat every entry of a directory opened in a Root).
	dirfd := -1
	if archiveAtSupported {
		dirfd = descriptor(f)
	}
	var entries []dirEntry
	if dirfd >= 0 {
		if a.dirBuf == nil {
			a.dirBuf = make([]byte, 32<<10)
		}
		entries, err = readDirTypes(dirfd, a.dirBuf)
	} else {
		var names []string
		names, err = f.Readdirnames(-1)
		for _, n := range names {
			entries = append(entries, dirEntry{name: n})
		}
	}
	if err != nil {
		return fmt.Errorf("read directory %s: %w", quote(dir), err)
	}
	slices.SortFunc(entries, func(x, y dirEntry) int { return strings.Compare(x.name, y.name) })
	for _, e := range entries {
		if err := a.ctx.Err(); err != nil {
			return err
		}
		n := e.name
		child := path.Join(dir, n)
		childRel := path.Join(rel, n)
		if Excluded(childRel, a.opts.Excludes) {
			continue
		}
		if dirfd >= 0 && e.regular {
			// What the directory listing says is a regular file is opened
			// straight away, without a separate lstat.
			if err := a.fileAt(dirfd, dir, n, childRel); err != nil {
				return err
			}
			continue
		}
		fi, err := d.Lstat(n)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed while we walked
			}
			return inDir(rootErr(err), dir)
		}
		switch {
		case fi.IsDir():
			hdr := &tar.Header{
				Typeflag: tar.TypeDir,
				Name:     childRel + "/",
				Mode:     int64(fi.Mode() & fs.ModePerm),
				ModTime:  fi.ModTime().Truncate(time.Second),
			}
			if err := a.tw.WriteHeader(hdr); err != nil {
				return err
			}
			a.res.Dirs++
			sub, err := d.OpenRoot(n)
			if err != nil {
				return inDir(rootErr(err), dir)
			}
			// OpenRoot follows a symlink swapped in since the Lstat: skip
			// anything that is not the directory Lstat saw.
			if got, err := sub.Stat("."); err != nil || !os.SameFile(fi, got) {
				sub.Close()
				a.changed(childRel)
				continue
			}
			err = a.walkDir(sub, child, childRel)
			sub.Close()
			if err != nil {
				return err
			}
		case fi.Mode().IsRegular():
			if err := a.file(d, dir, n, childRel, fi); err != nil {
				return err
			}
		default:
			a.res.Skipped++
			if a.opts.OnSkip != nil {
				a.opts.OnSkip(Skip{Name: childRel, Reason: fileTypeReason(fi.Mode())})
			}
		}
	}
	return nil
}

// dirEntry is a name from a directory listing; regular is true when the
// listing itself says the entry is a regular file.
type dirEntry struct {
	name    string
	regular bool
}

// inDir makes the path of a *fs.PathError from a directory handle
// root-relative again (dir/name), so messages name the entry as before.
func inDir(err error, dir string) error {
	var pe *fs.PathError
	if dir != "." && errors.As(err, &pe) {
		pe.Path = path.Join(dir, pe.Path)
	}
	return err
}

func fileTypeReason(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symlink not copied"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO not copied"
	case m&fs.ModeSocket != 0:
		return "socket not copied"
	case m&fs.ModeDevice != 0:
		return "device not copied"
	default:
		return "special file not copied"
	}
}

func (a *archiver) changed(rel string) {
	a.res.Skipped++
	if a.opts.OnSkip != nil {
		a.opts.OnSkip(Skip{Name: rel, Reason: "replaced while being archived"})
	}
}

// file writes one regular file. It is opened without blocking (a FIFO
// swapped in after the Lstat cannot hang the walk) and checked again on the
// open descriptor; want, when set, is what Lstat saw, and a file swapped for
// a symlink since then (which the open would follow) is skipped.
func (a *archiver) file(d *os.Root, dir, name, rel string, want fs.FileInfo) error {
	f, err := d.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return inDir(rootErr(err), dir)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if want != nil && !os.SameFile(want, fi) {
		a.changed(rel)
		return nil
	}
	if !fi.Mode().IsRegular() {
		a.res.Skipped++
		if a.opts.OnSkip != nil {
			a.opts.OnSkip(Skip{Name: rel, Reason: fileTypeReason(fi.Mode())})
		}
		return nil
	}
	if err := a.tw.WriteHeader(fileHeader(rel, fi.Mode(), fi.Size(), fi.ModTime())); err != nil {
		return err
	}
	return a.contents(f, rel, fi.Size())
}

// fileHeader is the header of a regular file: its permission bits (any
// execute bit set makes all three set), size and mtime in whole seconds.
func fileHeader(rel string, perm fs.FileMode, size int64, mtime time.Time) *tar.Header {
	mode := perm & fs.ModePerm
	if mode&0o111 != 0 {
		mode |= 0o111
	}
	return &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     rel,
		Mode:     int64(mode),
		Size:     size,
		ModTime:  mtime.Truncate(time.Second),
	}
}

// contents copies exactly size bytes of r (the file rel, its header
// written) into the archive, through one buffer reused for every file.
func (a *archiver) contents(r io.Reader, rel string, size int64) error {
	if a.buf == nil {
		a.buf = make([]byte, 256<<10)
	}
	lr := &io.LimitedReader{R: &ctxReader{ctx: a.ctx, r: r}, N: size}
	n, err := io.CopyBuffer(a.tw, lr, a.buf)
	if err == nil && n < size {
		err = io.EOF
	}
	if err != nil {
		if ctxErr := a.ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if err == io.EOF {
			return fmt.Errorf("archive %s: file shrank while being read (%d of %d bytes)", quote(rel), n, size)
		}
		return fmt.Errorf("archive %s: %w", quote(rel), err)
	}
	a.res.Files++
	a.res.Bytes += n
	return nil
}
