package tarstream

import (
	"archive/tar"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Owner is a numeric owner applied to extracted files and directories.
type Owner struct {
	UID, GID uint32
}

// Skip describes an archive entry or a source file that was not copied.
type Skip struct {
	Name     string // entry name (extraction) or relative path (archiving)
	Typeflag byte   // tar typeflag of the entry; 0 when archiving a non-tar file type
	Reason   string // human-readable reason, e.g. "symlink not supported"
}

func (s Skip) String() string { return "skipping " + quote(s.Name) + ": " + s.Reason }

// ExtractOptions controls extraction. The zero value is usable.
type ExtractOptions struct {
	// Owner, when non-nil, is applied to every created file and directory.
	// It is ignored on Windows.
	Owner *Owner
	// FileMode, when non-nil, replaces the mode of every regular file
	// (only its permission bits are used). Directories keep the archive's
	// mode.
	FileMode *fs.FileMode
	// Excludes are patterns (see Excluded) matched against each entry on
	// its own; a matching entry is skipped silently.
	Excludes []string
	// MaxFileSize, when > 0, is the largest regular file accepted.
	MaxFileSize int64
	// MaxTotalSize, when > 0, bounds the sum of all regular-file sizes.
	MaxTotalSize int64
	// OnSkip is called for every entry that is not created because of its
	// type (symlink, hard link, device, FIFO, sparse file, ...).
	OnSkip func(Skip)
	// NoTimes leaves modification times at the time of extraction.
	NoTimes bool
}

// Result summarises an extraction or an archive.
type Result struct {
	Files   int   // regular files written
	Dirs    int   // directory entries processed
	Bytes   int64 // regular-file bytes written
	Skipped int   // entries reported through OnSkip
}

// tempPrefix starts the name of every temporary file and staging directory.
const tempPrefix = ".slicer-extract-"

// Extract extracts the tar stream r into the top directory of root.
//
// It returns an error wrapping ErrUnsafePath (inside an *EntryError) for an
// entry name that could escape the destination or a write that would pass
// through an existing symlink, and stops there; entries already extracted
// stay. See the package documentation for the complete rules.
func Extract(ctx context.Context, r io.Reader, root *os.Root, opts ExtractOptions) (Result, error) {
	return extract(ctx, r, root, opts, false)
}

// extract is Extract; fresh says root is a staging directory this package
// just created, which nobody else uses and which is renamed into place
// only when the whole archive succeeded (or removed otherwise): its files
// can then be written straight under their final names (fileInPlace).
func extract(ctx context.Context, r io.Reader, root *os.Root, opts ExtractOptions, fresh bool) (Result, error) {
	x := &extractor{
		fresh:    fresh && inPlaceSupported,
		ctx:      ctx,
		root:     root,
		opts:     opts,
		okDirs:   make(map[string]bool),
		created:  make(map[string]bool),
		dirMeta:  make(map[string]dirMeta),
		setOwner: opts.Owner != nil && runtime.GOOS != "windows",
	}
	if x.fresh {
		x.umask = processUmask()
	}
	err := x.run(r)
	x.closeCur()
	// Directory metadata is applied even after an error so that the
	// owner-write bit added during extraction does not linger.
	if ferr := x.finishDirs(); err == nil {
		err = ferr
	}
	return x.res, err
}

type dirMeta struct {
	mode  fs.FileMode
	mtime time.Time
}

type extractor struct {
	ctx      context.Context
	root     *os.Root
	opts     ExtractOptions
	res      Result
	okDirs   map[string]bool // directories verified (or created) as real directories
	created  map[string]bool // directories this extraction created
	curName  string          // directory held open in cur
	cur      *os.Root        // the last directory a file was written to
	dirMeta  map[string]dirMeta
	setOwner bool

	// In-place writing into a fresh staging directory (see extract).
	fresh   bool
	umask   int      // the process umask, -1 if unknown
	curFile *os.File // cur's directory opened as a file, for its descriptor
	curFD   int
	buf     []byte // copy buffer, allocated once
}

func isSparse(hdr *tar.Header) bool {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

func typeReason(t byte) string {
	switch t {
	case tar.TypeSymlink:
		return "symlink not supported"
	case tar.TypeLink:
		return "hard link not supported"
	case tar.TypeChar:
		return "character device not supported"
	case tar.TypeBlock:
		return "block device not supported"
	case tar.TypeFifo:
		return "FIFO not supported"
	case tar.TypeGNUSparse:
		return "sparse file not supported"
	default:
		return fmt.Sprintf("unsupported entry type %q", t)
	}
}

func (x *extractor) skip(hdr *tar.Header, reason string) {
	x.res.Skipped++
	if x.opts.OnSkip != nil {
		x.opts.OnSkip(Skip{Name: hdr.Name, Typeflag: hdr.Typeflag, Reason: reason})
	}
}

// ensureDir makes sure name exists as a real directory (not a symlink),
// creating it (and its parents) with mode 0755 when missing.
func (x *extractor) ensureDir(name string, entry string) error {
	if name == "." || x.okDirs[name] {
		return nil
	}
	if err := x.ensureDir(path.Dir(name), entry); err != nil {
		return err
	}
	fi, err := x.root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		err = x.root.Mkdir(name, 0o755)
		if err == nil {
			x.okDirs[name] = true
			x.created[name] = true
			if x.setOwner {
				_ = x.root.Lchown(name, int(x.opts.Owner.UID), int(x.opts.Owner.GID))
			}
			return nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return &EntryError{Name: entry, Err: fmt.Errorf("create directory %s: %w", quote(name), err)}
		}
		fi, err = x.root.Lstat(name)
	}
	if err != nil {
		return &EntryError{Name: entry, Err: fmt.Errorf("inspect %s: %w", quote(name), rootErr(err))}
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return &EntryError{Name: entry, Err: fmt.Errorf("%w: %s is a symlink", ErrUnsafePath, quote(name))}
	case !fi.IsDir():
		return &EntryError{Name: entry, Err: fmt.Errorf("%s exists and is not a directory", quote(name))}
	}
	x.okDirs[name] = true
	return nil
}

// rootErr marks os.Root's "path escapes from parent" errors as unsafe.
func rootErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "escapes") {
		return fmt.Errorf("%w: %v", ErrUnsafePath, err)
	}
	return err
}

func (x *extractor) dir(name string, hdr *tar.Header) error {
	if err := x.ensureDir(name, hdr.Name); err != nil {
		return err
	}
	x.res.Dirs++
	if !x.created[name] {
		// A directory that existed before keeps its mode, owner and
		// times (extracting "tmp/" into / must not touch /tmp's sticky
		// bit).
		return nil
	}
	mode := fs.FileMode(hdr.Mode) & fs.ModePerm
	// Keep the directory usable for the rest of the extraction; the final
	// mode is applied by finishDirs.
	x.dirMeta[name] = dirMeta{mode: mode, mtime: hdr.ModTime}
	return nil
}

func (x *extractor) file(name string, hdr *tar.Header, tr io.Reader) error {
	if hdr.Size < 0 {
		return &EntryError{Name: hdr.Name, Err: errors.New("negative size")}
	}
	if x.opts.MaxFileSize > 0 && hdr.Size > x.opts.MaxFileSize {
		return &EntryError{Name: hdr.Name, Err: fmt.Errorf("size %d exceeds the per-file limit of %d bytes", hdr.Size, x.opts.MaxFileSize)}
	}
	if x.opts.MaxTotalSize > 0 && hdr.Size > x.opts.MaxTotalSize-x.res.Bytes {
		return &EntryError{Name: hdr.Name, Err: fmt.Errorf("archive exceeds the total limit of %d bytes", x.opts.MaxTotalSize)}
	}
	dir := path.Dir(name)
	if err := x.ensureDir(dir, hdr.Name); err != nil {
		return err
	}
	// Work relative to a handle on the parent directory, so that a
	// directory swapped for a link in the meantime cannot redirect the
	// temporary file, the rename or the clean-up.
	dr, err := x.dirRoot(dir)
	if err != nil {
		return &EntryError{Name: hdr.Name, Err: fmt.Errorf("open directory %s: %w", quote(dir), rootErr(err))}
	}
	base := path.Base(name)
	mode := fs.FileMode(hdr.Mode) & fs.ModePerm
	if mode&0o111 != 0 {
		mode |= 0o111
	}
	if x.opts.FileMode != nil {
		mode = *x.opts.FileMode & fs.ModePerm
	}
	if x.fresh {
		if done, err := x.fileInPlace(dr, base, hdr, tr, mode); done {
			return err
		}
	}
	// The target must not be a directory: renaming a file over it would
	// fail or replace a tree.
	if fi, err := dr.Lstat(base); err == nil && fi.IsDir() {
		return &EntryError{Name: hdr.Name, Err: fmt.Errorf("%s exists and is a directory", quote(name))}
	}

	tmp, f, err := createTemp(dr)
	if err != nil {
		return &EntryError{Name: hdr.Name, Err: fmt.Errorf("create file in %s: %w", quote(dir), rootErr(err))}
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			_ = dr.Remove(tmp)
		}
	}()

	n, err := io.CopyN(f, tr, hdr.Size)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if ctxErr := x.ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return &EntryError{Name: hdr.Name, Err: fmt.Errorf("write: %w (wrote %d of %d bytes)", err, n, hdr.Size)}
	}
	if err := f.Chmod(mode); err != nil {
		return &EntryError{Name: hdr.Name, Err: err}
	}
	if x.setOwner {
		if err := f.Chown(int(x.opts.Owner.UID), int(x.opts.Owner.GID)); err != nil {
			return &EntryError{Name: hdr.Name, Err: err}
		}
	}
	if err := f.Close(); err != nil {
		return &EntryError{Name: hdr.Name, Err: err}
	}
	ok = true
	if !x.opts.NoTimes && !hdr.ModTime.IsZero() {
		if err := dr.Chtimes(tmp, hdr.ModTime, hdr.ModTime); err != nil {
			_ = dr.Remove(tmp)
			return &EntryError{Name: hdr.Name, Err: err}
		}
	}
	if err := dr.Rename(tmp, base); err != nil {
		_ = dr.Remove(tmp)
		return &EntryError{Name: hdr.Name, Err: rootErr(err)}
	}
	x.res.Files++
	x.res.Bytes += n
	return nil
}

// dirRoot returns a handle on the directory name, reusing the last one.
func (x *extractor) dirRoot(name string) (*os.Root, error) {
	if x.cur != nil && x.curName == name {
		return x.cur, nil
	}
	x.closeCur()
	r, err := x.root.OpenRoot(name)
	if err != nil {
		return nil, err
	}
	x.cur, x.curName = r, name
	return r, nil
}

func (x *extractor) closeCur() {
	if x.curFile != nil {
		x.curFile.Close()
		x.curFile = nil
	}
	if x.cur != nil {
		x.cur.Close()
		x.cur = nil
	}
}

func createTemp(dir *os.Root) (string, *os.File, error) {
	for range 10 {
		var b [16]byte
		_, _ = rand.Read(b[:])
		name := tempPrefix + hex.EncodeToString(b[:])
		f, err := dir.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return name, f, err
	}
	return "", nil, errors.New("could not create a unique temporary file")
}

// finishDirs applies directory modes, owners and mtimes, deepest first.
func (x *extractor) finishDirs() error {
	names := make([]string, 0, len(x.dirMeta))
	for n := range x.dirMeta {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		if d := strings.Count(b, "/") - strings.Count(a, "/"); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	var first error
	for _, n := range names {
		m := x.dirMeta[n]
		if err := x.finishDir(n, m); err != nil && first == nil {
			first = &EntryError{Name: n + "/", Err: err}
		}
	}
	return first
}

func (x *extractor) finishDir(name string, m dirMeta) error {
	f, err := x.root.Open(name)
	if err != nil {
		return rootErr(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is no longer a directory", quote(name))
	}
	if x.setOwner {
		if err := f.Chown(int(x.opts.Owner.UID), int(x.opts.Owner.GID)); err != nil {
			return err
		}
	}
	if err := f.Chmod(m.mode); err != nil {
		return err
	}
	if !x.opts.NoTimes && !m.mtime.IsZero() {
		// Chtimes through the root; the directory was just verified and
		// os.Root keeps any race confined to the destination.
		if err := x.root.Chtimes(name, m.mtime, m.mtime); err != nil {
			return rootErr(err)
		}
	}
	return nil
}

// ctxReader stops a long copy when the context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
