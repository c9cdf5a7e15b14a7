package localdaemon

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"

	"github.com/slicer-cli/slicer/pkg/tarstream"
)

// Copy (PROTOCOL.md §11): the legacy binary and tar modes, acting host-side
// on the VM's root through os.Root. The versioned cp-v1-* modes of newer
// agents are answered the way an older agent does (400 "invalid mode"), so
// clients fall back to the legacy modes.

func cpMode(r *http.Request) (string, error) {
	m := r.URL.Query().Get("mode")
	switch m {
	case "", "binary":
		return "binary", nil
	case "tar":
		return "tar", nil
	}
	return "", badRequest("invalid mode: %s", m)
}

func (d *Daemon) handleCpGet(w http.ResponseWriter, r *http.Request) error {
	vm, err := d.vm(r.PathValue("hostname"))
	if err != nil {
		return err
	}
	_, root, _, err := vm.guest()
	if err != nil {
		return err
	}
	mode, err := cpMode(r)
	if err != nil {
		return err
	}
	abs, rel, err := guestPath(r.URL.Query().Get("path"), defaultHome)
	if err != nil {
		return err
	}
	tg, err := vm.resolveFollow(root, abs, rel)
	if err != nil {
		return err
	}
	defer tg.close()
	root, rel = tg.root, tg.rel
	if mode == "tar" {
		fi, err := root.Stat(rel)
		if err != nil {
			return fsError("copy from", abs, err)
		}
		if !fi.IsDir() && !fi.Mode().IsRegular() {
			return badRequest("copy from %s: not a regular file or directory", abs)
		}
		w.Header().Set("Content-Type", "application/x-tar")
		w.WriteHeader(http.StatusOK)
		if _, err := tarstream.Archive(r.Context(), w, root, rel, tarstream.ArchiveOptions{Excludes: r.URL.Query()["exclude"]}); err != nil {
			d.logger.Printf("cp %s:%s: %v", vm.name, abs, stripHostPath(err))
			// Cut the stream so the client sees a failed copy, not a short archive.
			panic(http.ErrAbortHandler)
		}
		return nil
	}
	f, err := openNoBlock(root, rel)
	if err != nil {
		return fsError("copy from", abs, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fsError("copy from", abs, err)
	}
	if fi.IsDir() {
		return badRequest("%s: must specify a file not a directory (use mode=tar for directories)", abs)
	}
	if !fi.Mode().IsRegular() {
		return badRequest("%s: not a regular file", abs)
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Slicer-File-Mode", formatMode(uint32(fi.Mode().Perm())))
	w.Header().Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, f); err != nil {
		panic(http.ErrAbortHandler)
	}
	return nil
}

// uploadOwner reads uid/gid for uploads: omitted (or NonRootUser) means the
// VM's default user ubuntu; 0 is root.
func uploadOwner(r *http.Request, root *os.Root) (guestUser, error) {
	uid, uidSet, err := queryUint32(r, "uid")
	if err != nil {
		return guestUser{}, err
	}
	gid, gidSet, err := queryUint32(r, "gid")
	if err != nil {
		return guestUser{}, err
	}
	if !uidSet {
		uid = defaultUID
	}
	u := lookupUID(root, uid)
	if gidSet {
		u.gid = gid
	} else if !uidSet {
		u.gid = defaultGID
	}
	return u, nil
}

// mkdirAllOwned creates rel and its missing parents (mode 0755) owned by u.
func mkdirAllOwned(root *os.Root, rel string, u guestUser) error {
	_, err := mkdirAllOwnedUndo(root, rel, u)
	return err
}

// mkdirAllOwnedUndo is mkdirAllOwned that also returns a function removing
// the directories it created (deepest first, only while they are still
// empty), for an upload that fails after making them.
func mkdirAllOwnedUndo(root *os.Root, rel string, u guestUser) (undo func(), err error) {
	var created []string
	undo = func() {
		for i := len(created) - 1; i >= 0; i-- {
			if root.Remove(created[i]) != nil {
				return
			}
		}
	}
	if rel == "." {
		return undo, nil
	}
	cur := ""
	for _, part := range strings.Split(rel, "/") {
		if cur == "" {
			cur = part
		} else {
			cur += "/" + part
		}
		err := root.Mkdir(cur, 0o755)
		switch {
		case err == nil:
			created = append(created, cur)
			_ = root.Lchown(cur, int(u.uid), int(u.gid))
		case errors.Is(err, fs.ErrExist):
			fi, serr := root.Stat(cur)
			if serr != nil {
				undo()
				return nil, serr
			}
			if !fi.IsDir() {
				undo()
				return nil, &fs.PathError{Op: "mkdir", Path: cur, Err: syscall.ENOTDIR}
			}
		default:
			undo()
			return nil, err
		}
	}
	return undo, nil
}

func (d *Daemon) handleCpPost(w http.ResponseWriter, r *http.Request) error {
	vm, err := d.vm(r.PathValue("hostname"))
	if err != nil {
		return err
	}
	_, root, _, err := vm.guest()
	if err != nil {
		return err
	}
	mode, err := cpMode(r)
	if err != nil {
		return err
	}
	u, err := uploadOwner(r, root)
	if err != nil {
		return err
	}
	abs, rel, err := guestPath(r.URL.Query().Get("path"), u.home)
	if err != nil {
		return err
	}
	tg, err := vm.resolveFollow(root, abs, rel)
	if err != nil {
		return err
	}
	defer tg.close()
	if tg.readOnly {
		return readOnlyError(abs)
	}
	rel = tg.rel
	var perm *fs.FileMode
	if v := r.URL.Query().Get("permissions"); v != "" {
		m, err := parseMode(v, "permissions")
		if err != nil {
			return err
		}
		pm := fs.FileMode(m).Perm()
		perm = &pm
	}
	if mode == "tar" {
		if v := r.Header.Get("X-Slicer-Unpacked-Size"); v != "" {
			need, err := strconv.ParseInt(v, 10, 64)
			if err != nil || need < 0 {
				return badRequest("invalid X-Slicer-Unpacked-Size %q", v)
			}
			var st syscall.Statfs_t
			if syscall.Statfs(vm.rootDir(), &st) == nil {
				if avail := int64(st.Bavail) * int64(st.Bsize); need > avail {
					return errorf(http.StatusInsufficientStorage, "not enough space in VM %s: the archive unpacks to %d bytes, %d are free", vm.name, need, avail)
				}
			}
		}
		// A destination that exists receives the files one by one (each
		// written to a temporary name and renamed), so a failed upload
		// leaves the files that completed. A missing one, and its missing
		// parents, appear only when the whole stream was extracted:
		// tarstream stages it beside the destination and renames it into
		// place; the parents made here are removed again on failure.
		if fi, err := root.Stat(rel); err == nil && !fi.IsDir() {
			return fsError("copy to", abs, &fs.PathError{Op: "mkdir", Path: rel, Err: syscall.ENOTDIR})
		}
		undo, err := mkdirAllOwnedUndo(root, path.Dir(rel), u)
		if err != nil {
			return fsError("copy to", abs, err)
		}
		res, err := tarstream.ExtractToRoot(r.Context(), r.Body, root, rel, tarstream.ExtractOptions{
			Owner:    &tarstream.Owner{UID: u.uid, GID: u.gid},
			FileMode: perm,
			Excludes: r.URL.Query()["exclude"],
		})
		if err != nil {
			undo()
			var ee *tarstream.EntryError
			var pe *fs.PathError
			var le *os.LinkError
			switch {
			case errors.Is(err, tarstream.ErrUnsafePath):
				return badRequest("copy to %s: %v", abs, err)
			case !errors.As(err, &ee) && (errors.As(err, &pe) || errors.As(err, &le)):
				// Creating, opening or renaming the destination
				// itself failed, not an entry of the stream.
				return fsError("copy to", abs, err)
			}
			return badRequest("copy to %s: invalid tar stream: %v", abs, stripHostPath(err))
		}
		d.logger.Printf("cp to %s:%s: %d files, %d bytes", vm.name, abs, res.Files, res.Bytes)
		w.WriteHeader(http.StatusOK)
		return nil
	}

	if rel == "." {
		return badRequest("copy to %s: is a directory", abs)
	}
	dir, base := path.Split(rel)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	// The file is written to a temporary name beside the target and
	// renamed over it only when the whole body arrived; the missing parent
	// directories made here are removed again when the upload fails.
	undo, err := mkdirAllOwnedUndo(root, dir, u)
	if err != nil {
		return fsError("copy to", abs, err)
	}
	ok := false
	defer func() {
		if !ok {
			undo()
		}
	}()
	mode0 := fs.FileMode(0o644)
	if fi, err := root.Lstat(rel); err == nil {
		if fi.IsDir() {
			return badRequest("copy to %s: is a directory; give the file's full path", abs)
		}
		if fi.Mode().IsRegular() {
			mode0 = fi.Mode().Perm()
		}
	}
	if perm != nil {
		mode0 = *perm
	}
	rnd := make([]byte, 8)
	_, _ = rand.Read(rnd)
	tmp := path.Join(dir, ".slicer-upload-"+base+"-"+hex.EncodeToString(rnd))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fsError("copy to", abs, err)
	}
	written := false
	defer func() {
		if !written {
			f.Close()
			_ = root.Remove(tmp)
		}
	}()
	if _, err := io.Copy(f, r.Body); err != nil {
		return badRequest("copy to %s: reading the request body: %v", abs, err)
	}
	if err := f.Chmod(mode0); err != nil {
		return fsError("copy to", abs, err)
	}
	if err := f.Chown(int(u.uid), int(u.gid)); err != nil {
		return fsError("copy to", abs, err)
	}
	if err := f.Close(); err != nil {
		return fsError("copy to", abs, err)
	}
	if err := root.Rename(tmp, rel); err != nil {
		return fsError("copy to", abs, err)
	}
	written, ok = true, true
	w.WriteHeader(http.StatusOK)
	return nil
}
