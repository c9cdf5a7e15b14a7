package cp

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/iotest"

	"go.uber.org/goleak"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/cmd/cmdutil/cmdtest"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/tarstream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newFactory(fake *clienttest.Fake) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	ios, in, out, errOut := iostreams.Test()
	return &cmdutil.Factory{IOStreams: ios, Client: func() (client.Interface, error) { return fake, nil }}, in, out, errOut
}

func oneVM(context.Context, ...client.ListOptions) ([]client.SlicerNode, error) {
	return []client.SlicerNode{{Hostname: "vm-1"}}, nil
}

func statAs(kinds map[string]client.SlicerFSInfo) func(context.Context, string, string) (*client.SlicerFSInfo, error) {
	return func(_ context.Context, _ string, p string) (*client.SlicerFSInfo, error) {
		if fi, ok := kinds[p]; ok {
			return &fi, nil
		}
		return nil, &client.APIError{StatusCode: 404, Message: "not found"}
	}
}

func TestNewCmdCp(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, o *CpOptions)
	}{
		{name: "upCall", args: []string{"./f", "vm-1:/tmp/f"}, check: func(t *testing.T, o *CpOptions) {
			if o.Src.Path != "./f" || o.Dst.VM != "vm-1" || o.Dst.Path != "/tmp/f" || o.UIDSet {
				t.Errorf("%+v", o)
			}
		}},
		{name: "flags anywhere", args: []string{"--uid", "1000", "./task.txt", "vm:/p", "--permissions", "0755"}, check: func(t *testing.T, o *CpOptions) {
			if !o.UIDSet || o.UID != 1000 || o.Permissions != "0755" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "recursive excludes", args: []string{"-r", "./d", "vm:~/d", "--exclude", "**/node_modules/**"}, check: func(t *testing.T, o *CpOptions) {
			if !o.Recursive || len(o.Excludes) != 1 {
				t.Errorf("%+v", o)
			}
		}},
		{name: "mode tar implies -r", args: []string{"--mode", "tar", "vm:/d", "."}, check: func(t *testing.T, o *CpOptions) {
			if !o.Recursive {
				t.Error("not recursive")
			}
		}},
		{name: "stdin tar", args: []string{"-", "vm:/d"}, check: func(t *testing.T, o *CpOptions) {
			if !o.Src.Stdio {
				t.Error("not stdio")
			}
		}},
		{name: "both local", args: []string{"a", "b"}, wantErr: "names a VM"},
		{name: "both remote", args: []string{"a:x", "b:y"}, wantErr: "one side must be local"},
		{name: "bad mode", args: []string{"--mode", "zip", "a", "vm:b"}, wantErr: "invalid --mode"},
		{name: "binary and -r", args: []string{"--mode", "binary", "-r", "a", "vm:b"}, wantErr: "cannot be combined"},
		{name: "permissions with -r", args: []string{"-r", "--permissions", "0755", "a", "vm:b"}, wantErr: "single-file"},
		{name: "bad permissions", args: []string{"--permissions", "999", "a", "vm:b"}, wantErr: "octal"},
		{name: "exclude without -r", args: []string{"--exclude", "x", "a", "vm:b"}, wantErr: "-r"},
		{name: "one arg", args: []string{"a"}, wantErr: "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _, _ := newFactory(&clienttest.Fake{})
			got := cmdtest.Parse(t, f, NewCmdCp, tt.wantErr, tt.args...)
			if got == nil {
				return
			}
			tt.check(t, got)
		})
	}
}

type upCall struct {
	path, mode, perms string
	uid, gid          uint32
	body              []byte
}

func uploadFake(stat map[string]client.SlicerFSInfo, got *[]upCall) *clienttest.Fake {
	return &clienttest.Fake{
		ListVMsFunc: oneVM,
		StatFunc:    statAs(stat),
		CpToVMFromReaderFunc: func(_ context.Context, vm string, r io.Reader, p string, uid, gid uint32, perms, mode string) error {
			b, err := io.ReadAll(r)
			*got = append(*got, upCall{path: p, mode: mode, perms: perms, uid: uid, gid: gid, body: b})
			return err
		},
	}
}

func TestUploadFilePlacement(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "tool")
	if err := os.WriteFile(src, []byte("bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dst, want string
		stat      map[string]client.SlicerFSInfo
		wantErr   string
	}{
		{dst: "/usr/local/bin", want: "/usr/local/bin/tool", stat: map[string]client.SlicerFSInfo{"/usr/local/bin": {Type: "directory"}}},
		{dst: "~", want: "~/tool", stat: map[string]client.SlicerFSInfo{"~": {Type: "directory"}}},
		{dst: "/tmp/new", want: "/tmp/new"},
		{dst: "/tmp/old", want: "/tmp/old", stat: map[string]client.SlicerFSInfo{"/tmp/old": {Type: "file"}}},
		{dst: "/nope/", wantErr: "does not exist"},
	}
	for _, tt := range tests {
		var got []upCall
		f, _, _, _ := newFactory(uploadFake(tt.stat, &got))
		cmd := NewCmdCp(f, nil)
		cmd.SetArgs([]string{src, "vm-1:" + tt.dst})
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		err := cmd.Execute()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || len(got) != 0 {
				t.Errorf("%s: err = %v, uploads %d", tt.dst, err, len(got))
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.dst, err)
		}
		if len(got) != 1 || got[0].path != tt.want || got[0].mode != "binary" || got[0].perms != "0755" || string(got[0].body) != "bin" || got[0].uid != client.NonRootUser {
			t.Errorf("%s: %+v", tt.dst, got)
		}
	}
}

func tarNames(t *testing.T, b []byte) []string {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
	sort.Strings(names)
	return names
}

func TestUploadDirExcludesAndIgnore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "project")
	for _, p := range []string{"main.go", "node_modules/x/index.js", "build/out.bin", "a.log", "sub/keep.txt"} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, IgnoreFile), []byte("*.log\n/build\n!x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var got []upCall
	f, _, _, errOut := newFactory(uploadFake(map[string]client.SlicerFSInfo{"/srv": {Type: "directory"}}, &got))
	cmd := NewCmdCp(f, nil)
	cmd.SetArgs([]string{"-r", dir, "vm-1:/srv", "--exclude", "**/node_modules/**"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].path != "/srv/project" || got[0].mode != "tar" {
		t.Fatalf("uploads %+v", got)
	}
	names := tarNames(t, got[0].body)
	want := []string{".slicerignore", "main.go", "sub/", "sub/keep.txt"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("archive %q, want %q", names, want)
	}
	if !strings.Contains(errOut.String(), "negated pattern") {
		t.Errorf("no warning for the negation: %q", errOut.String())
	}
	// Contents copy: a trailing /. sends to the destination itself.
	got = nil
	f, _, _, _ = newFactory(uploadFake(map[string]client.SlicerFSInfo{"/srv": {Type: "directory"}}, &got))
	cmd = NewCmdCp(f, nil)
	cmd.SetArgs([]string{"-r", dir + "/.", "vm-1:/srv"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got[0].path != "/srv" {
		t.Fatalf("contents copy went to %q", got[0].path)
	}
}

func TestUploadDirNeedsRecursive(t *testing.T) {
	f, _, _, _ := newFactory(uploadFake(nil, new([]upCall)))
	cmd := NewCmdCp(f, nil)
	cmd.SetArgs([]string{t.TempDir(), "vm-1:/x"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "use -r") {
		t.Fatalf("err = %v", err)
	}
}

func downloadFake(stat map[string]client.SlicerFSInfo, content func(p, mode string, w io.Writer) error) *clienttest.Fake {
	return &clienttest.Fake{
		ListVMsFunc: oneVM,
		StatFunc:    statAs(stat),
		CpFromVMToWriterFunc: func(_ context.Context, _ string, p string, w io.Writer, mode string, _ ...string) error {
			return content(p, mode, w)
		},
	}
}

// execCp runs slicer cp with args against fake, its output discarded.
func execCp(fake *clienttest.Fake, args ...string) error {
	f, _, _, _ := newFactory(fake)
	cmd := NewCmdCp(f, nil)
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	return cmd.Execute()
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func TestDownloadFile(t *testing.T) {
	stat := map[string]client.SlicerFSInfo{"/etc/os-release": {Name: "os-release", Type: "file", Size: 5, Mode: "0640"}}
	fake := downloadFake(stat, func(p, mode string, w io.Writer) error {
		if mode != "binary" {
			t.Errorf("mode %q", mode)
		}
		_, err := w.Write([]byte("hello"))
		return err
	})
	dir := t.TempDir()
	f, _, _, _ := newFactory(fake)
	cmd := NewCmdCp(f, nil)
	cmd.SetArgs([]string{"vm-1:/etc/os-release", dir})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "os-release"))
	if err != nil || string(b) != "hello" {
		t.Fatalf("%q %v", b, err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "os-release")); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", fi.Mode())
	}
	if l := listDir(t, dir); len(l) != 1 {
		t.Fatalf("left behind: %q", l)
	}
	// Missing directory named with a trailing slash.
	cmd = NewCmdCp(f, nil)
	cmd.SetArgs([]string{"vm-1:/etc/os-release", filepath.Join(dir, "nope") + "/"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("err = %v", err)
	}
}

func TestDownloadFileInterruptedLeavesNothing(t *testing.T) {
	stat := map[string]client.SlicerFSInfo{"/big": {Name: "big", Type: "file", Size: 1 << 20, Mode: "0644"}}
	fake := downloadFake(stat, func(p, mode string, w io.Writer) error {
		_, _ = w.Write(bytes.Repeat([]byte("x"), 4096))
		return io.ErrUnexpectedEOF
	})
	dir := t.TempDir()
	old := filepath.Join(dir, "big")
	if err := os.WriteFile(old, []byte("previous"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, _, _, _ := newFactory(fake)
	cmd := NewCmdCp(f, nil)
	cmd.SetArgs([]string{"vm-1:/big", dir})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.Execute(); err == nil {
		t.Fatal("a broken download succeeded")
	}
	if b, _ := os.ReadFile(old); string(b) != "previous" {
		t.Fatalf("previous file changed: %q", b)
	}
	if l := listDir(t, dir); len(l) != 1 {
		t.Fatalf("left behind: %q", l)
	}
	cmd = NewCmdCp(f, nil)
	cmd.SetArgs([]string{"vm-1:/big", filepath.Join(dir, "new")})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	_ = cmd.Execute()
	if l := listDir(t, dir); len(l) != 1 {
		t.Fatalf("left behind: %q", l)
	}
}

func TestDownloadDirPlacement(t *testing.T) {
	tree := t.TempDir()
	for _, p := range []string{"a.txt", "sub/b.txt"} {
		_ = os.MkdirAll(filepath.Join(tree, filepath.Dir(p)), 0o755)
		_ = os.WriteFile(filepath.Join(tree, p), []byte(p), 0o644)
	}
	stat := map[string]client.SlicerFSInfo{"/srv/app": {Name: "app", Type: "directory"}, "/srv/app/.": {Name: ".", Type: "directory"}}
	fake := downloadFake(stat, func(p, mode string, w io.Writer) error {
		if mode != "tar" {
			t.Errorf("mode %q", mode)
		}
		_, err := tarstream.ArchivePath(context.Background(), w, tree, tarstream.ArchiveOptions{})
		return err
	})
	run := func(args ...string) error { return execCp(fake, args...) }
	base := t.TempDir()
	// Existing directory: the source lands inside under its own name.
	if err := run("-r", "vm-1:/srv/app", base); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, base); strings.Join(got, ",") != "app,app/a.txt,app/sub,app/sub/b.txt" {
		t.Fatalf("got %q", got)
	}
	// Missing destination: created with the contents.
	if err := run("-r", "vm-1:/srv/app", filepath.Join(base, "copy")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(base, "copy", "sub", "b.txt")); err != nil {
		t.Fatal(err)
	}
	// Contents into an existing directory.
	into := t.TempDir()
	if err := run("-r", "vm-1:/srv/app/.", into); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, into); strings.Join(got, ",") != "a.txt,sub,sub/b.txt" {
		t.Fatalf("got %q", got)
	}
	// A directory without -r.
	if err := run("vm-1:/srv/app", base); err == nil || !strings.Contains(err.Error(), "use -r") {
		t.Fatalf("err = %v", err)
	}
}

func TestDownloadDirBrokenLeavesNothing(t *testing.T) {
	stat := map[string]client.SlicerFSInfo{"/d": {Name: "d", Type: "directory"}}
	fake := downloadFake(stat, func(p, mode string, w io.Writer) error {
		tw := tar.NewWriter(w)
		_ = tw.WriteHeader(&tar.Header{Name: "f", Size: 100, Mode: 0o644, Typeflag: tar.TypeReg})
		_, _ = tw.Write([]byte("short"))
		return io.ErrUnexpectedEOF
	})
	base := t.TempDir()
	if err := execCp(fake, "-r", "vm-1:/d", filepath.Join(base, "out")); err == nil {
		t.Fatal("broken download succeeded")
	}
	if got := listDir(t, base); len(got) != 0 {
		t.Fatalf("left behind %q", got)
	}
}

func TestStdioTar(t *testing.T) {
	stat := map[string]client.SlicerFSInfo{"/f": {Name: "f", Type: "file", Size: 3, Mode: "0600"}}
	fake := downloadFake(stat, func(p, mode string, w io.Writer) error {
		_, err := w.Write([]byte("abc"))
		return err
	})
	f, _, out, _ := newFactory(fake)
	cmd := NewCmdCp(f, nil)
	cmd.SetArgs([]string{"vm-1:/f", "-"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(out)
	h, err := tr.Next()
	if err != nil || h.Name != "f" || h.Size != 3 {
		t.Fatalf("%+v %v", h, err)
	}
	var got []upCall
	f, in, _, _ := newFactory(uploadFake(nil, &got))
	tw := tar.NewWriter(in)
	_ = tw.WriteHeader(&tar.Header{Name: "a", Size: 3, Mode: 0o644, Typeflag: tar.TypeReg})
	_, _ = tw.Write([]byte("AAA"))
	_ = tw.Close()
	cmd = NewCmdCp(f, nil)
	cmd.SetArgs([]string{"-", "vm-1:/srv"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].mode != "tar" || got[0].path != "/srv" {
		t.Fatalf("%+v", got)
	}
	if names := tarNames(t, got[0].body); strings.Join(names, ",") != "a" {
		t.Fatalf("archive %q", names)
	}
}

// `tar -C dir -cf - .` names the entries "./", "./a", "./sub/b": the
// directory itself is dropped and the "./" prefix removed, since the daemon
// accepts only clean relative names. Everything else passes unchanged.
func TestStdinTarDotPrefix(t *testing.T) {
	var got []upCall
	f, in, _, _ := newFactory(uploadFake(nil, &got))
	tw := tar.NewWriter(in)
	_ = tw.WriteHeader(&tar.Header{Name: "./", Mode: 0o755, Typeflag: tar.TypeDir})
	_ = tw.WriteHeader(&tar.Header{Name: "./sub/", Mode: 0o755, Typeflag: tar.TypeDir})
	_ = tw.WriteHeader(&tar.Header{Name: "./sub/b", Size: 2, Mode: 0o600, Typeflag: tar.TypeReg})
	_, _ = tw.Write([]byte("bb"))
	_ = tw.WriteHeader(&tar.Header{Name: ".//c", Size: 1, Mode: 0o644, Typeflag: tar.TypeReg})
	_, _ = tw.Write([]byte("c"))
	_ = tw.WriteHeader(&tar.Header{Name: "../evil", Size: 1, Mode: 0o644, Typeflag: tar.TypeReg})
	_, _ = tw.Write([]byte("e"))
	_ = tw.Close()
	cmd := NewCmdCp(f, nil)
	cmd.SetArgs([]string{"-", "vm-1:/srv"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%+v", got)
	}
	if names := tarNames(t, got[0].body); strings.Join(names, ",") != "../evil,c,sub/,sub/b" {
		t.Fatalf("archive %q", names)
	}
	tr := tar.NewReader(bytes.NewReader(got[0].body))
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "sub/b" {
			b, _ := io.ReadAll(tr)
			if string(b) != "bb" || h.Mode != 0o600 {
				t.Fatalf("sub/b: %q mode %o", b, h.Mode)
			}
			break
		}
	}
	// Not a tar stream: a clear error before anything is sent.
	got = nil
	f, in, _, _ = newFactory(uploadFake(nil, &got))
	in.WriteString(strings.Repeat("not a tar stream ", 64))
	cmd = NewCmdCp(f, nil)
	cmd.SetArgs([]string{"-", "vm-1:/srv"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "not a tar stream") || len(got) != 0 {
		t.Fatalf("err = %v, uploads %d", err, len(got))
	}
	// Empty stdin: nothing is sent either.
	f, _, _, _ = newFactory(uploadFake(nil, &got))
	cmd = NewCmdCp(f, nil)
	cmd.SetArgs([]string{"-", "vm-1:/srv"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "stdin is empty") || len(got) != 0 {
		t.Fatalf("err = %v, uploads %d", err, len(got))
	}
	// A .tar.gz on stdin: say so.
	got = nil
	f, in, _, _ = newFactory(uploadFake(nil, &got))
	gz := gzip.NewWriter(in)
	_, _ = gz.Write([]byte("anything"))
	_ = gz.Close()
	cmd = NewCmdCp(f, nil)
	cmd.SetArgs([]string{"-", "vm-1:/srv"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "gunzip") || len(got) != 0 {
		t.Fatalf("err = %v, uploads %d", err, len(got))
	}
}

// A tar download is extracted straight from the body when the copy hands the
// sink a reader (what the real client does), and through a pipe when the
// source writes; either way a download cut short, even between two entries,
// leaves nothing behind.
func TestDownloadDirSinkPaths(t *testing.T) {
	stat := map[string]client.SlicerFSInfo{"/d": {Name: "d", Type: "directory"}}
	archive := func(entries int) []byte {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		for i := range entries {
			body := strings.Repeat("x", 700*i)
			_ = tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("f%d", i), Size: int64(len(body)), Mode: 0o644, Typeflag: tar.TypeReg})
			_, _ = tw.Write([]byte(body))
		}
		if entries == 3 {
			_ = tw.Close()
		} else {
			_ = tw.Flush() // no end-of-archive blocks: cut between entries
		}
		return b.Bytes()
	}
	cut := errors.New("connection reset by peer")
	for _, tc := range []struct {
		name    string
		copy    func(w io.Writer) error
		wantErr error
	}{
		{"reader", func(w io.Writer) error {
			_, err := io.Copy(w, struct{ io.Reader }{bytes.NewReader(archive(3))})
			return err
		}, nil},
		{"writes", func(w io.Writer) error { _, err := w.Write(archive(3)); return err }, nil},
		{"reader cut between entries", func(w io.Writer) error {
			_, err := io.Copy(w, io.MultiReader(bytes.NewReader(archive(2)), iotest.ErrReader(cut)))
			return err
		}, cut},
		{"writes cut between entries", func(w io.Writer) error {
			if _, err := w.Write(archive(2)); err != nil {
				return err
			}
			return cut
		}, cut},
		{"fails before any byte", func(w io.Writer) error { return cut }, cut},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := downloadFake(stat, func(p, mode string, w io.Writer) error { return tc.copy(w) })
			base := t.TempDir()
			err := execCp(fake, "-r", "vm-1:/d", filepath.Join(base, "out"))
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if got := listDir(t, base); len(got) != 0 {
					t.Fatalf("left behind %q", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(listDir(t, base), ","); got != "out,out/f0,out/f1,out/f2" {
				t.Fatalf("got %q", got)
			}
			if b, _ := os.ReadFile(filepath.Join(base, "out", "f2")); len(b) != 1400 {
				t.Fatalf("f2 has %d bytes", len(b))
			}
		})
	}
}
