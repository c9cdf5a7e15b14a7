package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/slicer-cli/slicer/pkg/tarstream"
)

// Copy modes (the mode query parameter of /vm/{vm}/cp).
const (
	CpModeBinary = "binary"
	CpModeTar    = "tar"
)

func checkCpMode(mode string) error {
	switch mode {
	case CpModeBinary, CpModeTar:
		return nil
	}
	return fmt.Errorf("invalid copy mode %q: use %q or %q", mode, CpModeBinary, CpModeTar)
}

// wireExcludes returns the trimmed, non-blank patterns, as sent on the wire.
func wireExcludes(patterns []string) []string {
	var out []string
	for _, p := range patterns {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func fmtID(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

// binaryIDs applies the seed SDK's binary-upload ownership rule
// (PROTOCOL.md §1.6): 0/0 becomes the local process's uid/gid, then each is
// sent unless it is NonRootUser.
func binaryIDs(q url.Values, uid, gid uint32) {
	if uid == 0 && gid == 0 {
		if u, g := os.Getuid(), os.Getgid(); u >= 0 && g >= 0 {
			uid, gid = uint32(u), uint32(g)
		}
	}
	if uid != NonRootUser {
		q.Set("uid", fmtID(uid))
	}
	if gid != NonRootUser {
		q.Set("gid", fmtID(gid))
	}
}

// tarIDs applies the seed SDK's tar-upload rule: sent only when > 0 and not
// NonRootUser.
func tarIDs(q url.Values, uid, gid uint32) {
	if uid > 0 && uid != NonRootUser {
		q.Set("uid", fmtID(uid))
	}
	if gid > 0 && gid != NonRootUser {
		q.Set("gid", fmtID(gid))
	}
}

// upload POSTs body to /vm/{vm}/cp with the given query and headers.
func (c *SlicerClient) upload(ctx context.Context, vmName string, q url.Values, body io.Reader, contentType string, extra http.Header) error {
	req, err := c.newRequest(ctx, http.MethodPost, vmEndpoint(vmName, "/cp"), q, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range extra {
		req.Header[k] = v
	}
	resp, err := c.send(req, http.StatusOK, http.StatusCreated, http.StatusNoContent)
	if err != nil {
		return err
	}
	drainClose(resp.Body)
	return nil
}

// CpToVMFromReader uploads r to vmPath: r is a tar stream when mode is "tar"
// (extracted into vmPath) or the raw bytes of one file when mode is "binary"
// (written to exactly vmPath). The body is streamed; nothing is buffered.
// uid/gid/permissions follow CpToVM's rules for the same mode.
func (c *SlicerClient) CpToVMFromReader(ctx context.Context, vmName string, r io.Reader, vmPath string, uid, gid uint32, permissions, mode string) error {
	return c.cpToVMFromReader(ctx, vmName, r, vmPath, uid, gid, permissions, mode, nil, -1)
}

func (c *SlicerClient) cpToVMFromReader(ctx context.Context, vmName string, r io.Reader, vmPath string, uid, gid uint32, permissions, mode string, excludes []string, unpacked int64) error {
	if mode == "" {
		mode = CpModeBinary
	}
	if err := checkCpMode(mode); err != nil {
		return err
	}
	q := url.Values{"mode": {mode}, "path": {vmPath}}
	contentType := "application/octet-stream"
	var extra http.Header
	if mode == CpModeTar {
		tarIDs(q, uid, gid)
		for _, e := range wireExcludes(excludes) {
			q.Add("exclude", e)
		}
		contentType = "application/x-tar"
		if unpacked >= 0 {
			extra = http.Header{"X-Slicer-Unpacked-Size": {strconv.FormatInt(unpacked, 10)}}
		}
	} else {
		binaryIDs(q, uid, gid)
	}
	if permissions != "" {
		q.Set("permissions", permissions)
	}
	if r == nil {
		r = http.NoBody
	}
	return c.upload(ctx, vmName, q, r, contentType, extra)
}

// CpToVM copies a local file or directory to vmPath in the VM.
//
// In "binary" mode localPath must be a regular file (a symlink to one is
// followed); its bytes are written to exactly vmPath. In "tar" mode a
// directory's contents are extracted into vmPath, and a regular file is
// sent as a one-entry archive, so it lands at vmPath/<base name>. Excludes
// apply to tar mode, locally while archiving and on the daemon. Any other
// mode, the empty one included, is an error and sends nothing, as with the
// SDK. uid and gid set the ownership in the VM (NonRootUser leaves it to the
// guest).
func (c *SlicerClient) CpToVM(ctx context.Context, vmName, localPath, vmPath string, uid, gid uint32, permissions, mode string, excludePatterns ...string) error {
	if err := checkCpMode(mode); err != nil {
		return err
	}
	abs, err := filepath.Abs(localPath)
	if err != nil {
		return fmt.Errorf("copy to VM: %w", err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("copy to VM: %w", err)
	}
	if mode == CpModeBinary {
		if !st.Mode().IsRegular() {
			return fmt.Errorf("copy to VM: %s is not a regular file; binary mode copies one file (use tar mode for a directory)", localPath)
		}
		f, err := os.Open(abs)
		if err != nil {
			return fmt.Errorf("copy to VM: %w", err)
		}
		defer f.Close()
		// Wrap the file so the transport streams it (chunked) rather than
		// treating it specially.
		return c.cpToVMFromReader(ctx, vmName, struct{ io.Reader }{f}, vmPath, uid, gid, permissions, mode, nil, -1)
	}
	if !st.IsDir() && !st.Mode().IsRegular() {
		return fmt.Errorf("copy to VM: %s is neither a regular file nor a directory", localPath)
	}
	size, err := unpackedSize(abs, st, excludePatterns)
	if err != nil {
		return fmt.Errorf("copy to VM: %w", err)
	}
	// The transport sends the body with the reader's WriteTo: the archive
	// goes straight into the request stream, with no pipe.
	ar := tarstream.NewArchiveReader(ctx, abs, tarstream.ArchiveOptions{Excludes: excludePatterns})
	upErr := c.cpToVMFromReader(ctx, vmName, ar, vmPath, uid, gid, permissions, mode, excludePatterns, size)
	ar.Close()
	_, aErr := ar.Wait()
	if aErr != nil && !errors.Is(aErr, context.Canceled) {
		return fmt.Errorf("copy to VM: archive %s: %w", localPath, aErr)
	}
	return upErr
}

// unpackedSize sums the regular-file bytes an archive of abs will carry
// (after excludes), for the X-Slicer-Unpacked-Size header.
func unpackedSize(abs string, st fs.FileInfo, excludes []string) (int64, error) {
	if !st.IsDir() {
		return st.Size(), nil
	}
	var total int64
	err := filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if p == abs {
			return err
		}
		rel, rerr := filepath.Rel(abs, p)
		if rerr != nil {
			return rerr
		}
		if tarstream.Excluded(filepath.ToSlash(rel), excludes) {
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			total += info.Size()
		}
		return nil
	})
	return total, err
}

// download GETs /vm/{vm}/cp and returns the open response (200 checked). A
// 404 is marked os.ErrNotExist.
func (c *SlicerClient) download(ctx context.Context, vmName, vmPath, mode string, excludes []string) (*http.Response, error) {
	q := url.Values{"path": {vmPath}}
	accept := "application/octet-stream"
	if mode != "" {
		if err := checkCpMode(mode); err != nil {
			return nil, err
		}
		q.Set("mode", mode)
		if mode == CpModeTar {
			accept = "application/x-tar"
		}
	}
	if mode == CpModeTar {
		// Excludes only travel with tar downloads at v0.0.61 (PROTOCOL.md
		// §11.1); sending them in every mode came later (§11.9).
		for _, e := range wireExcludes(excludes) {
			q.Add("exclude", e)
		}
	}
	req, err := c.newRequest(ctx, http.MethodGet, vmEndpoint(vmName, "/cp"), q, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	resp, err := c.send(req, http.StatusOK)
	if err != nil {
		return nil, notExistOn404(err)
	}
	return resp, nil
}

// CpFromVMToWriter streams vmPath from the VM to w: a tar stream of a
// directory's contents (mode "tar") or the raw bytes of one file (mode
// "binary"; an empty mode means binary). In tar mode the excludes are sent
// for the daemon to apply; binary mode sends none.
func (c *SlicerClient) CpFromVMToWriter(ctx context.Context, vmName, vmPath string, w io.Writer, mode string, excludePatterns ...string) error {
	if mode == "" {
		mode = CpModeBinary
	}
	resp, err := c.download(ctx, vmName, vmPath, mode, excludePatterns)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("copy from VM %s: %w", vmPath, err)
	}
	return nil
}

// CpFromVM copies vmPath from the VM to localPath.
//
// In "binary" mode the file is written to exactly localPath (which must not
// be a directory), through a temporary file beside it that is renamed into
// place only when the whole file has arrived. Its mode is permissions when
// given, else the daemon's X-Slicer-File-Mode, else 0600.
//
// In "tar" mode localPath must be a directory; it is created (with parents)
// when missing, and the remote directory's contents are extracted into it,
// each file through a temporary name. Excludes are applied by the daemon and
// again locally. permissions is not used in tar mode.
//
// Any other mode, the empty one included, is an error and sends nothing, as
// with the SDK.
func (c *SlicerClient) CpFromVM(ctx context.Context, vmName, vmPath, localPath string, permissions, mode string, excludePatterns ...string) error {
	if err := checkCpMode(mode); err != nil {
		return err
	}
	var perm os.FileMode
	if permissions != "" {
		p, err := parseOctalMode(permissions)
		if err != nil {
			return err
		}
		perm = p
	}
	if mode == CpModeTar {
		if st, err := os.Stat(localPath); err == nil && !st.IsDir() {
			return fmt.Errorf("copy from VM: destination %s must be a directory in tar mode", localPath)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Clean(localPath)), 0o755); err != nil {
			return fmt.Errorf("copy from VM: %w", err)
		}
		resp, err := c.download(ctx, vmName, vmPath, mode, excludePatterns)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := tarstream.ExtractToDir(ctx, resp.Body, localPath, tarstream.ExtractOptions{Excludes: excludePatterns}); err != nil {
			return fmt.Errorf("copy from VM: extract into %s: %w", localPath, err)
		}
		return nil
	}
	if st, err := os.Stat(localPath); err == nil && st.IsDir() {
		return fmt.Errorf("copy from VM: destination %s is a directory; binary mode writes one file, give its full path", localPath)
	}
	if st, err := os.Stat(filepath.Dir(filepath.Clean(localPath))); err != nil || !st.IsDir() {
		return fmt.Errorf("copy from VM: destination directory %s does not exist", filepath.Dir(filepath.Clean(localPath)))
	}
	resp, err := c.download(ctx, vmName, vmPath, mode, excludePatterns)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if perm == 0 {
		perm = 0o600
		if h := resp.Header.Get("X-Slicer-File-Mode"); h != "" {
			if p, err := parseOctalMode(h); err == nil {
				perm = p
			}
		}
	}
	return writeFileAtomic(localPath, resp.Body, perm)
}

func parseOctalMode(s string) (os.FileMode, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 8, 32)
	if err != nil || v > 0o7777 {
		return 0, fmt.Errorf("invalid permissions %q: want an octal mode such as 0644", s)
	}
	return os.FileMode(v) & os.ModePerm, nil
}

// writeFileAtomic writes r to a temporary file beside dest, sets perm and
// renames it over dest. On any failure the temporary file is removed and
// dest is untouched.
func writeFileAtomic(dest string, r io.Reader, perm os.FileMode) (err error) {
	dir := filepath.Dir(dest)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dest)+".slicer-download-*")
	if err != nil {
		return fmt.Errorf("copy from VM: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = io.Copy(tmp, r); err != nil {
		return fmt.Errorf("copy from VM: write %s: %w", dest, err)
	}
	if err = tmp.Chmod(perm); err != nil {
		return fmt.Errorf("copy from VM: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("copy from VM: %w", err)
	}
	if err = os.Rename(tmp.Name(), dest); err != nil {
		return fmt.Errorf("copy from VM: %w", err)
	}
	return nil
}

// ReadFileTo streams the file at vmPath to w (GET /vm/{vm}/cp without a
// mode: the daemon's default, binary). A missing file yields an error
// matching os.ErrNotExist.
func (c *SlicerClient) ReadFileTo(ctx context.Context, vmName, vmPath string, w io.Writer) error {
	_, err := c.readFileTo(ctx, vmName, vmPath, w)
	return err
}

func (c *SlicerClient) readFileTo(ctx context.Context, vmName, vmPath string, w io.Writer) (string, error) {
	resp, err := c.download(ctx, vmName, vmPath, "", nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	mode := resp.Header.Get("X-Slicer-File-Mode")
	if mode == "" {
		mode = "0600"
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return "", fmt.Errorf("read %s from VM: %w", vmPath, err)
	}
	return mode, nil
}

// ReadFile downloads a file from the VM and returns its contents and its mode
// (the X-Slicer-File-Mode header, "0600" when absent).
func (c *SlicerClient) ReadFile(ctx context.Context, vmName, vmPath string) ([]byte, string, error) {
	var buf bytes.Buffer
	mode, err := c.readFileTo(ctx, vmName, vmPath, &buf)
	if err != nil {
		return nil, "", err
	}
	return buf.Bytes(), mode, nil
}

// WriteFileFrom streams r to the file vmPath in the VM (POST
// /vm/{vm}/cp without a mode). uid/gid 0/0 mean the local user's ids;
// NonRootUser leaves the choice to the guest.
func (c *SlicerClient) WriteFileFrom(ctx context.Context, vmName, vmPath string, r io.Reader, uid, gid uint32, permissions string) error {
	q := url.Values{"path": {vmPath}}
	binaryIDs(q, uid, gid)
	if permissions != "" {
		q.Set("permissions", permissions)
	}
	if r == nil {
		r = http.NoBody
	}
	return c.upload(ctx, vmName, q, r, "application/octet-stream", nil)
}

// WriteFile writes data to the file vmPath in the VM.
func (c *SlicerClient) WriteFile(ctx context.Context, vmName, vmPath string, data []byte, uid, gid uint32, permissions string) error {
	return c.WriteFileFrom(ctx, vmName, vmPath, bytes.NewReader(data), uid, gid, permissions)
}
