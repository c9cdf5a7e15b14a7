package client_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
)

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func tarEntries(t *testing.T, b []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("bad tar: %v", err)
		}
		data, _ := io.ReadAll(tr)
		if h.Typeflag == tar.TypeDir {
			out[h.Name] = "<dir>"
		} else {
			out[h.Name] = string(data)
		}
	}
}

func mkTar(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if strings.HasSuffix(n, "/") {
			_ = tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Unix(1700000000, 0)})
			continue
		}
		_ = tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o640, Size: int64(len(files[n])), ModTime: time.Unix(1700000000, 0)})
		_, _ = tw.Write([]byte(files[n]))
	}
	_ = tw.Close()
	return buf.Bytes()
}

func TestCpToVMBinary(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "f.txt")
	writeTree(t, dir, map[string]string{"f.txt": "payload"})
	c, rec := newTestClient(t, replyJSON(200, ""))
	if err := c.CpToVM(ctx(), "vm-1", src, "/tmp/f.txt", 1000, 1000, "0644", "binary"); err != nil {
		t.Fatal(err)
	}
	r := rec.last(t)
	checkRequest(t, contractCase{method: "POST", path: "/vm/vm-1/cp", query: "gid=1000&mode=binary&path=%2Ftmp%2Ff.txt&permissions=0644&uid=1000",
		body: "payload", ctype: "application/octet-stream"}, r)
	if !r.Chunked {
		t.Error("file upload not streamed with chunked encoding")
	}

	// 0/0 is replaced by the local ids (seed SDK rule, PROTOCOL.md §1.6).
	if err := c.CpToVM(ctx(), "vm-1", src, "/tmp/f.txt", 0, 0, "", "binary"); err != nil {
		t.Fatal(err)
	}
	r = rec.last(t)
	expect(t, "uid", r.Query.Get("uid"), strconv.Itoa(os.Getuid()))
	expect(t, "gid", r.Query.Get("gid"), strconv.Itoa(os.Getgid()))

	if err := c.CpToVM(ctx(), "vm-1", dir, "/tmp/x", 0, 0, "", "binary"); err == nil {
		t.Error("binary copy of a directory accepted")
	}
	if err := c.CpToVM(ctx(), "vm-1", filepath.Join(dir, "missing"), "/tmp/x", 0, 0, "", "binary"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing source: %v", err)
	}
}

func TestCpToVMTarDirectory(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "d")
	writeTree(t, src, map[string]string{"a.txt": "aaa", "skip.tmp": "zz", "sub/b.txt": "bb", "node_modules/x.js": "x"})
	if err := os.Symlink("/etc/passwd", filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	c, rec := newTestClient(t, replyJSON(200, ""))
	if err := c.CpToVM(ctx(), "vm-1", src, "/tmp/d", 1000, client.NonRootUser, "0755", "tar", "*.tmp", " node_modules/ ", ""); err != nil {
		t.Fatal(err)
	}
	r := rec.last(t)
	checkRequest(t, contractCase{method: "POST", path: "/vm/vm-1/cp",
		query: "exclude=%2A.tmp&exclude=node_modules%2F&mode=tar&path=%2Ftmp%2Fd&permissions=0755&uid=1000",
		body:  string(r.Body), ctype: "application/x-tar"}, r)
	expect(t, "X-Slicer-Unpacked-Size", r.Header.Get("X-Slicer-Unpacked-Size"), "5")
	got := tarEntries(t, r.Body)
	want := map[string]string{"a.txt": "aaa", "sub/": "<dir>", "sub/b.txt": "bb"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("archive = %v, want %v", got, want)
	}

	// tar uploads never send uid/gid 0.
	if err := c.CpToVM(ctx(), "vm-1", src, "/tmp/d", 0, 0, "", "tar"); err != nil {
		t.Fatal(err)
	}
	if q := rec.last(t).Query; q.Has("uid") || q.Has("gid") {
		t.Errorf("tar upload sent uid/gid 0: %v", q)
	}
}

func TestCpToVMTarSingleFile(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"run.sh": "#!/bin/sh\n"})
	c, rec := newTestClient(t, replyJSON(200, ""))
	if err := c.CpToVM(ctx(), "vm-1", filepath.Join(dir, "run.sh"), "/usr/local/bin", 0, 0, "", "tar"); err != nil {
		t.Fatal(err)
	}
	r := rec.last(t)
	got := tarEntries(t, r.Body)
	if len(got) != 1 || got["run.sh"] != "#!/bin/sh\n" {
		t.Errorf("single-file archive = %v (the vendor SDK sent an empty archive)", got)
	}
	expect(t, "X-Slicer-Unpacked-Size", r.Header.Get("X-Slicer-Unpacked-Size"), "10")
}

func TestCpToVMUploadErrorStopsArchive(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"big": strings.Repeat("x", 1<<20)})
	c, _ := newTestClient(t, replyJSON(http.StatusRequestEntityTooLarge, `{"error":"disk full"}`))
	err := c.CpToVM(ctx(), "vm-1", dir, "/tmp/d", 0, 0, "", "tar")
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 413 || ae.Message != "disk full" {
		t.Fatalf("err = %v", err)
	}
}

func TestCpFromVMBinaryAtomic(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "hosts")
	c, rec := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Slicer-File-Mode", "0640")
		_, _ = io.WriteString(w, "127.0.0.1 localhost\n")
	})
	if err := c.CpFromVM(ctx(), "vm-1", "/etc/hosts", dest, "", "binary"); err != nil {
		t.Fatal(err)
	}
	checkRequest(t, contractCase{method: "GET", path: "/vm/vm-1/cp", query: "mode=binary&path=%2Fetc%2Fhosts", accept: "application/octet-stream"}, rec.last(t))
	b, _ := os.ReadFile(dest)
	expect(t, "content", string(b), "127.0.0.1 localhost\n")
	st, _ := os.Stat(dest)
	expect(t, "mode", st.Mode().Perm(), os.FileMode(0o640))

	if err := c.CpFromVM(ctx(), "vm-1", "/etc/hosts", dest, "0755", "binary"); err != nil {
		t.Fatal(err)
	}
	st, _ = os.Stat(dest)
	expect(t, "mode with permissions", st.Mode().Perm(), os.FileMode(0o755))

	if err := c.CpFromVM(ctx(), "vm-1", "/etc/hosts", dir, "", "binary"); err == nil {
		t.Error("binary download onto a directory accepted")
	}
	if err := c.CpFromVM(ctx(), "vm-1", "/etc/hosts", dest, "rw", "binary"); err == nil {
		t.Error("bad permissions accepted")
	}
}

func TestCpFromVMBinaryBrokenStreamLeavesDestination(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(200)
		_, _ = io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		conn, _, _ := http.NewResponseController(w).Hijack()
		conn.Close()
	}))
	defer srv.Close()
	c := client.NewSlicerClient(srv.URL, "", "", srv.Client())
	dir := t.TempDir()
	dest := filepath.Join(dir, "file")
	if err := os.WriteFile(dest, []byte("original"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.CpFromVM(ctx(), "vm-1", "/f", dest, "", "binary"); err == nil {
		t.Fatal("broken download succeeded")
	}
	b, _ := os.ReadFile(dest)
	expect(t, "destination", string(b), "original")
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("leftover files: %v", ents)
	}
}

func TestCpFromVMTar(t *testing.T) {
	archive := mkTar(t, map[string]string{"a.txt": "A", "sub/": "", "sub/b.txt": "B", "c.tmp": "C"})
	c, rec := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-tar")
		_, _ = w.Write(archive)
	})
	dir := t.TempDir()
	dest := filepath.Join(dir, "new", "out")
	if err := c.CpFromVM(ctx(), "vm-1", "/src", dest, "0600", "tar", "*.tmp"); err != nil {
		t.Fatal(err)
	}
	checkRequest(t, contractCase{method: "GET", path: "/vm/vm-1/cp", query: "exclude=%2A.tmp&mode=tar&path=%2Fsrc", accept: "application/x-tar"}, rec.last(t))
	for name, want := range map[string]string{"a.txt": "A", "sub/b.txt": "B"} {
		b, err := os.ReadFile(filepath.Join(dest, name))
		if err != nil || string(b) != want {
			t.Errorf("%s = %q, %v", name, b, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dest, "c.tmp")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("excluded file extracted: %v", err)
	}
	// Into an existing directory: contents merge in.
	if err := c.CpFromVM(ctx(), "vm-1", "/src", dest, "", "tar"); err != nil {
		t.Fatal(err)
	}
	// A file destination is refused.
	file := filepath.Join(dir, "file")
	_ = os.WriteFile(file, nil, 0o644)
	if err := c.CpFromVM(ctx(), "vm-1", "/src", file, "", "tar"); err == nil || !strings.Contains(err.Error(), "must be a directory") {
		t.Errorf("tar onto a file: %v", err)
	}
}

func TestCpFromVMTarRejectsEscape(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: "../evil", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
	_, _ = tw.Write([]byte("x"))
	_ = tw.Close()
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(buf.Bytes()) })
	dir := t.TempDir()
	dest := filepath.Join(dir, "dest")
	if err := c.CpFromVM(ctx(), "vm-1", "/src", dest, "", "tar"); err == nil {
		t.Fatal("escaping entry accepted")
	}
	if _, err := os.Stat(filepath.Join(dir, "evil")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("file written outside the destination")
	}
	if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed download left %s behind", dest)
	}
}

// TestCpStreamsLargeUpload sends 64 MiB from a generator; the server counts
// the bytes as they arrive.
func TestCpStreamsLargeUpload(t *testing.T) {
	const size = 64 << 20
	var got int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	c := client.NewSlicerClient(srv.URL, "", "", srv.Client())
	if err := c.CpToVMFromReader(ctx(), "vm-1", io.LimitReader(zeroReader{}, size), "/big", 0, 0, "", "binary"); err != nil {
		t.Fatal(err)
	}
	expect(t, "bytes received", got, int64(size))
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestTarHelpers(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	writeTree(t, src, map[string]string{"x/y.txt": "y", "z.tmp": "z"})
	var buf bytes.Buffer
	if err := client.StreamTarArchive(ctx(), &buf, dir, "src", "*.tmp"); err != nil {
		t.Fatal(err)
	}
	archive := buf.Bytes()
	if got := tarEntries(t, archive); len(got) != 2 || got["x/y.txt"] != "y" {
		t.Fatalf("archive = %v", got)
	}
	out := filepath.Join(dir, "out")
	if err := client.ExtractTarStream(ctx(), bytes.NewReader(archive), out, 0, 0); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "x", "y.txt")); string(b) != "y" {
		t.Errorf("extracted = %q", b)
	}
	one := mkTar(t, map[string]string{"only.txt": "1"})
	renamed := filepath.Join(dir, "renamed.txt")
	if err := client.ExtractTarToPath(ctx(), bytes.NewReader(one), renamed, 0, 0); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(renamed); string(b) != "1" {
		t.Errorf("renamed = %q", b)
	}
	for p, want := range map[string]bool{"a": true, "a/b": true, `a\b`: true, "": false, "/a": false, "../a": false, "..": false, "a/..": false, "./a": false, "a//b": false} {
		expect(t, "ValidRelPath("+p+")", client.ValidRelPath(p), want)
	}
}

func BenchmarkCpToVMFromReader(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	c := client.NewSlicerClient(srv.URL, "", "", srv.Client())
	const size = 16 << 20
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.CpToVMFromReader(context.Background(), "vm-1", io.LimitReader(zeroReader{}, size), "/big", 0, 0, "", "binary"); err != nil {
			b.Fatal(err)
		}
	}
}
