package localdaemon

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path"
	"sort"

	"github.com/slicer-cli/slicer/pkg/client"
)

// fs endpoints (PROTOCOL.md §10). mtime is sent as an RFC 3339 string, the
// type the Go SDK decodes (openapi.yaml shows integer seconds; §19 q1).

func fsInfo(name string, fi fs.FileInfo) client.SlicerFSInfo {
	typ := "file"
	mode := fi.Mode()
	switch {
	case mode&fs.ModeSymlink != 0:
		typ = "symlink"
	case mode.IsDir():
		typ = "directory"
	}
	return client.SlicerFSInfo{Name: name, Type: typ, Size: fi.Size(), Mtime: fi.ModTime().UTC(), Mode: formatMode(uint32(mode.Perm()))}
}

// fsTarget resolves the VM and path of an fs request; call done when finished.
func (d *Daemon) fsTarget(r *http.Request, p string, write bool) (root *os.Root, abs, rel string, done func(), err error) {
	return d.fsTargetLinks(r, p, write, false)
}

// fsTargetLinks is fsTarget; with followFinal a final symlink is followed
// as inside the VM.
func (d *Daemon) fsTargetLinks(r *http.Request, p string, write, followFinal bool) (root *os.Root, abs, rel string, done func(), err error) {
	vm, err := d.vm(r.PathValue("hostname"))
	if err != nil {
		return nil, "", "", nil, err
	}
	_, vroot, _, err := vm.guest()
	if err != nil {
		return nil, "", "", nil, err
	}
	abs, rel, err = guestPath(p, defaultHome)
	if err != nil {
		return nil, "", "", nil, err
	}
	tg, err := vm.resolveLinks(vroot, abs, rel, followFinal)
	if err != nil {
		return nil, "", "", nil, err
	}
	if write && tg.readOnly {
		tg.close()
		return nil, "", "", nil, readOnlyError(abs)
	}
	return tg.root, abs, tg.rel, tg.close, nil
}

func (d *Daemon) handleReadDir(w http.ResponseWriter, r *http.Request) error {
	root, abs, rel, done, err := d.fsTargetLinks(r, r.URL.Query().Get("path"), false, true)
	if err != nil {
		return err
	}
	defer done()
	f, err := openNoBlock(root, rel)
	if err != nil {
		return fsError("readdir", abs, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fsError("readdir", abs, err)
	}
	if !fi.IsDir() {
		return badRequest("readdir %s: not a directory", abs)
	}
	entries, err := f.ReadDir(-1)
	if err != nil {
		return fsError("readdir", abs, err)
	}
	out := make([]client.SlicerFSInfo, 0, len(entries))
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, fsInfo(e.Name(), info))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (d *Daemon) handleStat(w http.ResponseWriter, r *http.Request) error {
	root, abs, rel, done, err := d.fsTarget(r, r.URL.Query().Get("path"), false)
	if err != nil {
		return err
	}
	defer done()
	fi, err := root.Lstat(rel)
	if err != nil {
		return fsError("stat", abs, err)
	}
	writeJSON(w, http.StatusOK, fsInfo(path.Base(abs), fi))
	return nil
}

func (d *Daemon) handleMkdir(w http.ResponseWriter, r *http.Request) error {
	var req client.SlicerFSMkdirRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return err
	}
	root, abs, rel, done, err := d.fsTarget(r, req.Path, true)
	if err != nil {
		return err
	}
	defer done()
	mode := fs.FileMode(0o755)
	if req.Mode != "" {
		m, err := parseMode(req.Mode, "mode")
		if err != nil {
			return err
		}
		mode = fs.FileMode(m).Perm()
	}
	owner := guestUser{uid: defaultUID, gid: defaultGID}
	if rel == "." {
		if req.Recursive {
			w.WriteHeader(http.StatusOK)
			return nil
		}
		return badRequest("mkdir %s: file exists", abs)
	}
	if req.Recursive {
		if err := mkdirAllOwned(root, path.Dir(rel), owner); err != nil {
			return fsError("mkdir", abs, err)
		}
	}
	err = root.Mkdir(rel, mode)
	switch {
	case err == nil:
		_ = root.Chmod(rel, mode)
		_ = root.Lchown(rel, int(owner.uid), int(owner.gid))
	case errors.Is(err, fs.ErrExist):
		fi, serr := root.Stat(rel)
		if req.Recursive && serr == nil && fi.IsDir() {
			break
		}
		return badRequest("mkdir %s: file exists", abs)
	default:
		return fsError("mkdir", abs, err)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (d *Daemon) handleRemove(w http.ResponseWriter, r *http.Request) error {
	recursive, err := queryBool(r, "recursive")
	if err != nil {
		return err
	}
	root, abs, rel, done, err := d.fsTarget(r, r.URL.Query().Get("path"), true)
	if err != nil {
		return err
	}
	defer done()
	if rel == "." {
		return badRequest("refusing to remove / of the VM")
	}
	if _, err := root.Lstat(rel); err != nil {
		return fsError("remove", abs, err)
	}
	if recursive {
		err = root.RemoveAll(rel)
	} else {
		err = root.Remove(rel)
	}
	if err != nil {
		return fsError("remove", abs, err)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
