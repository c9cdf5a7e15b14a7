package localdaemon_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
)

func TestCopyRoundTrips(t *testing.T) {
	d, c := setup(t)
	ctx := ctxT(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})

	// WriteFile/ReadFile: the copied file is the file exec reads.
	if err := c.WriteFile(ctx, vm, "/home/ubuntu/a/b/hello.txt", []byte("hi there\n"), 1000, 1000, "0640"); err != nil {
		t.Fatal(err)
	}
	if got := sh(t, c, vm, "cat ~/a/b/hello.txt; stat -c '%U %a' ~/a/b/hello.txt ~/a"); got != "hi there\nubuntu 640\nubuntu 755" {
		t.Fatalf("in VM: %q", got)
	}
	data, mode, err := c.ReadFile(ctx, vm, "~/a/b/hello.txt")
	if err != nil || string(data) != "hi there\n" || mode != "0640" {
		t.Fatalf("ReadFile = %q %q %v", data, mode, err)
	}
	if _, _, err := c.ReadFile(ctx, vm, "/home/ubuntu/missing"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	// uid 0 on a binary upload makes a root-owned file (seed WriteFile sends the local ids for 0/0).
	req, _ := http.NewRequest("POST", "http://unix/vm/"+vm+"/cp?path=%2Fopt%2Froot.txt&uid=0&gid=0&permissions=0600", strings.NewReader("r"))
	if resp := doRaw(t, d, req); resp.StatusCode != 200 {
		t.Fatalf("root upload: %d", resp.StatusCode)
	}
	if got := shAs(t, c, vm, 0, "stat -c '%u %a' /opt/root.txt"); got != "0 600" {
		t.Fatalf("root-owned upload: %q", got)
	}

	// A local tree through tar, both ways, with excludes.
	src := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(src, "sub", "skip"), 0o755))
	must(t, os.WriteFile(filepath.Join(src, "run.sh"), []byte("#!/bin/sh\necho ran\n"), 0o755))
	must(t, os.WriteFile(filepath.Join(src, "sub", "x.txt"), []byte("x"), 0o644))
	must(t, os.WriteFile(filepath.Join(src, "sub", "y.tmp"), []byte("y"), 0o644))
	must(t, os.WriteFile(filepath.Join(src, "sub", "skip", "z"), []byte("z"), 0o644))
	if err := c.CpToVM(ctx, vm, src, "/home/ubuntu/tree", 0, 0, "", "tar", "*.tmp", "sub/skip/**"); err != nil {
		t.Fatal(err)
	}
	if got := sh(t, c, vm, "cd ~/tree && find . | sort && ./run.sh"); got != ".\n./run.sh\n./sub\n./sub/x.txt\nran" {
		t.Fatalf("tree in VM: %q", got)
	}
	dst := filepath.Join(t.TempDir(), "back")
	if err := c.CpFromVM(ctx, vm, "/home/ubuntu/tree", dst, "", "tar"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "sub", "x.txt")); err != nil || string(b) != "x" {
		t.Fatalf("tar download: %q %v", b, err)
	}
	if err := c.CpFromVM(ctx, vm, "/home/ubuntu/tree/run.sh", filepath.Join(t.TempDir(), "run.sh"), "", "binary"); err != nil {
		t.Fatal(err)
	}

	// Legacy-agent answers.
	for q, want := range map[string]string{
		"path=%2Fhome%2Fubuntu%2Ftree&mode=binary":                            "must specify a file not a directory",
		"path=%2Fhome%2Fubuntu%2Ftree&mode=cp-v1-binary&copy_semantics=cp-v1": "invalid mode: cp-v1-binary",
		"path=%2Fhome%2Fubuntu%2Ftree&mode=cp-v1-tar":                         "invalid mode: cp-v1-tar",
		"mode=binary": "path is required",
	} {
		req, _ := http.NewRequest("GET", "http://unix/vm/"+vm+"/cp?"+q, nil)
		resp := doRaw(t, d, req)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 400 || !strings.Contains(string(b), want) {
			t.Errorf("GET cp?%s: %d %s", q, resp.StatusCode, b)
		}
	}
	// Binary GET carries X-Slicer-File-Mode.
	req, _ = http.NewRequest("GET", "http://unix/vm/"+vm+"/cp?path=%2Fhome%2Fubuntu%2Ftree%2Frun.sh", nil)
	resp := doRaw(t, d, req)
	if resp.StatusCode != 200 || resp.Header.Get("X-Slicer-File-Mode") != "0755" || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("binary GET headers: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestFS(t *testing.T) {
	d, c := setup(t)
	ctx := ctxT(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	if err := c.Mkdir(ctx, vm, client.SlicerFSMkdirRequest{Path: "/home/ubuntu/p/q/r", Recursive: true, Mode: "0700"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Mkdir(ctx, vm, client.SlicerFSMkdirRequest{Path: "/home/ubuntu/p/q/r", Recursive: true}); err != nil {
		t.Fatalf("mkdir -p of an existing dir: %v", err)
	}
	wantStatus(t, c.Mkdir(ctx, vm, client.SlicerFSMkdirRequest{Path: "/home/ubuntu/p"}), 400)
	wantStatus(t, c.Mkdir(ctx, vm, client.SlicerFSMkdirRequest{Path: "/home/ubuntu/none/x"}), 404)
	sh(t, c, vm, "echo data > ~/p/file; ln -s file ~/p/link; touch ~/p/q/r/inner")
	st, err := c.Stat(ctx, vm, "/home/ubuntu/p/q/r")
	if err != nil || st.Type != "directory" || st.Mode != "0700" || st.Name != "r" || time.Since(st.Mtime) > time.Minute {
		t.Fatalf("stat dir: %+v %v", st, err)
	}
	entries, err := c.ReadDir(ctx, vm, "/home/ubuntu/p")
	if err != nil || len(entries) != 3 {
		t.Fatalf("readdir: %+v %v", entries, err)
	}
	types := map[string]string{}
	for _, e := range entries {
		types[e.Name] = e.Type
	}
	if types["file"] != "file" || types["link"] != "symlink" || types["q"] != "directory" {
		t.Fatalf("types: %v", types)
	}
	if ok, err := c.Exists(ctx, vm, "/home/ubuntu/p/nope"); ok || err != nil {
		t.Fatalf("Exists(nope) = %v %v", ok, err)
	}
	// mtime is an RFC 3339 string on the wire.
	var raw map[string]any
	getJSON(t, d, "/vm/"+vm+"/fs/stat?path=%2Fhome%2Fubuntu%2Fp%2Ffile", &raw)
	if s, ok := raw["mtime"].(string); !ok || raw["size"] != float64(5) || raw["mode"] != "0664" && raw["mode"] != "0644" {
		t.Fatalf("stat body = %v", raw)
	} else if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		t.Fatalf("mtime %q: %v", s, err)
	}
	wantStatus(t, c.Remove(ctx, vm, "/home/ubuntu/p/q", false), 400)
	if err := c.Remove(ctx, vm, "/home/ubuntu/p/q", true); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove(ctx, vm, "/home/ubuntu/p/link", false); err != nil {
		t.Fatal(err)
	}
	if got := sh(t, c, vm, "ls ~/p"); got != "file" {
		t.Fatalf("after remove: %q", got)
	}
	wantStatus(t, c.Remove(ctx, vm, "/home/ubuntu/p/q", true), 404)
	wantStatus(t, c.Remove(ctx, vm, "/", true), 400)
	_ = json.Marshal
}

// TestSandboxEscapes tries every host-side path (fs, cp binary and tar) with
// "..", absolute symlinks and relative symlink chains pointing at a host
// directory outside the VM, and checks another VM's files are unreachable.
func TestSandboxEscapes(t *testing.T) {
	d, c := setup(t)
	ctx := ctxT(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	other := newVM(t, c, client.SlicerCreateNodeRequest{})
	sh(t, c, other, "echo other-secret > ~/mine")

	victim := filepath.Join(t.TempDir(), "victim")
	must(t, os.MkdirAll(victim, 0o755))
	must(t, os.WriteFile(filepath.Join(victim, "hello"), []byte("host-only"), 0o644))
	otherRoot := filepath.Join(d.StateDir, "vms", other, "root", "home", "ubuntu")
	ups := strings.Repeat("../", 30)
	// abs: absolute link to the host victim; rel: relative link climbing out
	// of the root; chain: two hops (go_up -> .., then through it);
	// peer: absolute link to the other VM's home on the host.
	sh(t, c, vm, "cd ~ && ln -s "+victim+" abs && ln -s "+ups+strings.TrimPrefix(victim, "/")+" rel && "+
		"mkdir inner && ln -s .. inner/go_up && ln -s go_up/"+ups+strings.TrimPrefix(victim, "/")+" inner/chain && "+
		"ln -s "+otherRoot+" peer")

	for _, link := range []string{"abs", "rel", "inner/chain", "peer"} {
		base := "/home/ubuntu/" + link
		if _, _, err := c.ReadFile(ctx, vm, base+"/hello"); err == nil {
			t.Errorf("%s: ReadFile through the link succeeded", link)
		}
		if _, _, err := c.ReadFile(ctx, vm, base+"/mine"); err == nil {
			t.Errorf("%s: ReadFile of the other VM's file succeeded", link)
		}
		// A link in a directory component resolves as inside the VM (an
		// absolute target from the VM's /, ".." stopping there): a write
		// may succeed, but only where exec sees it, never on the host.
		if err := c.WriteFile(ctx, vm, base+"/planted", []byte("x"), 1000, 1000, ""); err == nil {
			if got := sh(t, c, vm, "cat "+base+"/planted"); got != "x" {
				t.Errorf("%s: WriteFile through the link went elsewhere than the VM's view (%q)", link, got)
			}
		}
		if ents, err := c.ReadDir(ctx, vm, base); err == nil {
			for _, e := range ents {
				if e.Name == "hello" || e.Name == "mine" {
					t.Errorf("%s: ReadDir through the link listed a host or other-VM file", link)
				}
			}
		}
		if _, err := c.Stat(ctx, vm, base+"/hello"); err == nil {
			t.Errorf("%s: Stat through the link succeeded", link)
		}
		if err := c.Mkdir(ctx, vm, client.SlicerFSMkdirRequest{Path: base + "/newdir", Recursive: true}); err == nil {
			if got := sh(t, c, vm, "test -d "+base+"/newdir && echo yes"); got != "yes" {
				t.Errorf("%s: Mkdir through the link went elsewhere than the VM's view", link)
			}
		}
		if err := c.Remove(ctx, vm, base+"/hello", true); err == nil {
			t.Errorf("%s: Remove through the link succeeded", link)
		}
		var buf bytes.Buffer
		_ = c.CpFromVMToWriter(ctx, vm, base, &buf, "tar") // may list the VM's own directory
		if bytes.Contains(buf.Bytes(), []byte("host-only")) || bytes.Contains(buf.Bytes(), []byte("other-secret")) {
			t.Errorf("%s: tar download leaked file content", link)
		}
		if err := c.CpToVMFromReader(ctx, vm, tarOf(t, map[string]string{"tarred": "x"}), base, 1000, 1000, "", "tar"); err == nil {
			if got := sh(t, c, vm, "cat "+base+"/tarred"); got != "x" {
				t.Errorf("%s: tar upload through the link went elsewhere than the VM's view (%q)", link, got)
			}
		}
		// A watch follows the link as inotify in the VM would: it may
		// only ever watch the VM's own directory (the host victim is
		// changed below and must produce no event).
		if ch, errc := c.WatchFS(ctx, vm, client.SlicerFSWatchRequest{Paths: []string{base}, Timeout: "1s"}); ch != nil {
			must(t, os.WriteFile(filepath.Join(victim, "touched"), nil, 0o644))
			for ev := range ch {
				if strings.Contains(ev.Path, "touched") {
					t.Errorf("%s: watch through the link saw the host directory: %+v", link, ev)
				}
			}
			<-errc
			_ = os.Remove(filepath.Join(victim, "touched"))
		}
	}
	// Tar entries that climb out are refused; nothing lands outside.
	for _, name := range []string{"../../../../../../../../.." + victim + "/evil", "a/../../evil", "/abs-evil"} {
		err := c.CpToVMFromReader(ctx, vm, tarOf(t, map[string]string{name: "x"}), "/home/ubuntu/dst", 1000, 1000, "", "tar")
		if err == nil {
			t.Errorf("tar entry %q accepted", name)
		}
	}
	// A symlink entry is not created, and a later file cannot go through a planted one.
	must(t, c.CpToVMFromReader(ctx, vm, tarWithSymlink(t, "esc", victim, "ok.txt"), "/home/ubuntu/dst2", 1000, 1000, "", "tar"))
	if got := sh(t, c, vm, "ls -A ~/dst2"); got != "ok.txt" {
		t.Fatalf("dst2 holds %q", got)
	}
	if err := c.CpToVMFromReader(ctx, vm, tarOf(t, map[string]string{"abs/planted": "x"}), "/home/ubuntu", 1000, 1000, "", "tar"); err == nil {
		t.Error("tar upload writing through a planted symlink succeeded")
	}
	ents, _ := os.ReadDir(victim)
	if len(ents) != 1 {
		t.Fatalf("victim directory changed: %v", ents)
	}
	if b, _ := os.ReadFile(filepath.Join(victim, "hello")); string(b) != "host-only" {
		t.Fatal("victim file changed")
	}
	if _, err := os.Stat(filepath.Join(otherRoot, "planted")); err == nil {
		t.Fatal("file planted in the other VM")
	}

	// ".." never climbs above the VM's /: it reads the VM's own files.
	data, _, err := c.ReadFile(ctx, vm, "/../../../../etc/passwd")
	if err != nil || !strings.Contains(string(data), "ubuntu:x:1000") {
		t.Fatalf("../etc/passwd = %q %v", data, err)
	}
	if got := sh(t, c, vm, "cat /etc/passwd"); got != strings.TrimSpace(string(data)) {
		t.Fatal("the daemon's /etc/passwd is not the VM's")
	}
	// Inside the VM, the host victim and the other VM do not exist.
	if got := sh(t, c, vm, "cat "+victim+"/hello 2>&1; cat "+otherRoot+"/mine 2>&1; true"); strings.Contains(got, "host-only") || strings.Contains(got, "other-secret") {
		t.Fatalf("VM sees host or other VM files: %q", got)
	}
	// Within the VM, links that stay inside still work for cp and fs.
	sh(t, c, vm, "mkdir -p ~/real && echo inside > ~/real/f && ln -s real ~/ok")
	if b, _, err := c.ReadFile(ctx, vm, "/home/ubuntu/ok/f"); err != nil || string(b) != "inside\n" {
		t.Fatalf("in-root symlink: %q %v", b, err)
	}
}

func tarOf(t *testing.T, files map[string]string) io.Reader {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, body := range files {
		must(t, tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}))
		_, _ = tw.Write([]byte(body))
	}
	must(t, tw.Close())
	return &buf
}

func tarWithSymlink(t *testing.T, link, target, file string) io.Reader {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	must(t, tw.WriteHeader(&tar.Header{Name: link, Linkname: target, Typeflag: tar.TypeSymlink, Mode: 0o777}))
	must(t, tw.WriteHeader(&tar.Header{Name: file, Mode: 0o644, Size: 2, Typeflag: tar.TypeReg}))
	_, _ = tw.Write([]byte("ok"))
	must(t, tw.Close())
	return &buf
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fs and cp show what exec sees under the read-only system directories.
func TestSystemDirectories(t *testing.T) {
	_, c := setup(t)
	ctx := ctxT(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	want := sh(t, c, vm, "cat /usr/bin/env | sha256sum")
	data, _, err := c.ReadFile(ctx, vm, "/usr/bin/env")
	if err != nil || len(data) == 0 {
		t.Fatalf("read /usr/bin/env: %v", err)
	}
	if sum := sha256.Sum256(data); !strings.HasPrefix(want, hex.EncodeToString(sum[:])) {
		t.Fatalf("/usr/bin/env differs between cp (%x) and exec (%s)", sum, want)
	}
	if _, err := c.Stat(ctx, vm, "/bin/sh"); err != nil {
		t.Fatalf("stat /bin/sh: %v", err)
	}
	ents, err := c.ReadDir(ctx, vm, "/usr/bin")
	if err != nil || len(ents) < 10 {
		t.Fatalf("readdir /usr/bin: %d %v", len(ents), err)
	}
	wantStatus(t, c.WriteFile(ctx, vm, "/usr/bin/evil", []byte("x"), 1000, 1000, ""), 400)
	wantStatus(t, c.Mkdir(ctx, vm, client.SlicerFSMkdirRequest{Path: "/usr/local/evil", Recursive: true}), 400)
	wantStatus(t, c.Remove(ctx, vm, "/usr/bin/env", false), 400)
	wantStatus(t, c.Remove(ctx, vm, "/bin", true), 400)
	_, _, err = c.ReadFile(ctx, vm, "/proc/self/environ")
	wantStatus(t, err, 400)
	if _, err := os.Stat("/usr/bin/evil"); err == nil {
		t.Fatal("wrote into the host's /usr")
	}
}
