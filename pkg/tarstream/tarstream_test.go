//go:build unix

package tarstream

import (
	"archive/tar"
	"bytes"
	"compress/bzip2"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestValidRelPath(t *testing.T) {
	valid := []string{"a", "a/b", `a\b`, "a b/c d", "caf\xe9", ".hidden", "a/.b", "...", "a/..b", "..a", `..\..\x`, "C:x"}
	invalid := []string{"", "/", "/a", "..", "../a", "a/..", "a/../b", ".", "./a", "a/.", "a//b", "a/./b", "a/", "//a", "a\x00b", "../dest-evil/x"}
	if runtime.GOOS == "windows" {
		valid = []string{"a", "a/b", "a b/c d"}
		invalid = append(invalid, `..\..\x`, `C:\x`, "C:x", "NUL", "a/CON")
	}
	for _, p := range valid {
		if !ValidRelPath(p) {
			t.Errorf("ValidRelPath(%q) = false, want true", p)
		}
	}
	for _, p := range invalid {
		if ValidRelPath(p) {
			t.Errorf("ValidRelPath(%q) = true, want false", p)
		}
	}
}

func TestExcluded(t *testing.T) {
	tests := []struct {
		pat  []string
		path string
		want bool
	}{
		{[]string{"*.tmp"}, "other.tmp", true},
		{[]string{"*.tmp"}, "x/y.tmp", true},
		{[]string{"*.tmp"}, "x/y.txt", false},
		{[]string{"skipme/**"}, "skipme", true},
		{[]string{"skipme/**"}, "skipme/a/b", true},
		{[]string{"skipme/**"}, "other/skipme", false},
		{[]string{"nested/*.txt"}, "nested/skip.txt", true},
		{[]string{"nested/*.txt"}, "nested/skip.bin", false},
		{[]string{"nested/*.txt"}, "a/nested/skip.txt", false},
		{[]string{"a/**/deep"}, "a/x/deep", true},
		{[]string{"a/**/deep"}, "a/deep", true},
		{[]string{"a/**/deep"}, "a/x/y/deep", true},
		{[]string{"a/**/deep"}, "b/deep", false},
		{[]string{"node_modules"}, "node_modules/x.js", false},
		{[]string{"node_modules"}, "a/node_modules", true},
		{[]string{"**/node_modules/**"}, "a/node_modules/x.js", true},
		{[]string{"  ./foo/ "}, "foo", true},
		{[]string{"/bar/ "}, "bar", true},
		{[]string{" ./a/b/ "}, "a/b", true},
		{[]string{"[a-"}, "[a-", false}, // malformed glob never matches
		{[]string{"", "   "}, "x", false},
		{[]string{`\*`}, "*", true},
		{nil, "x", false},
	}
	for _, tt := range tests {
		if got := Excluded(tt.path, tt.pat); got != tt.want {
			t.Errorf("Excluded(%q, %q) = %v, want %v", tt.path, tt.pat, got, tt.want)
		}
	}
}

func TestNormalizeExclude(t *testing.T) {
	for in, want := range map[string]string{"  ./foo/ ": "foo", "/bar/ ": "bar", " ./a/b/ ": "a/b", "./": "", " ": "", "*.go": "*.go"} {
		if got := NormalizeExclude(in); got != want {
			t.Errorf("NormalizeExclude(%q) = %q, want %q", in, got, want)
		}
	}
}

type entry struct {
	name string
	typ  byte
	mode int64
	size int64
	uid  int
	body string
	mt   time.Time
}

func readEntries(t *testing.T, data []byte) []entry {
	t.Helper()
	var out []entry
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out = append(out, entry{h.Name, h.Typeflag, h.Mode, h.Size, h.Uid, string(b), h.ModTime})
	}
}

func writeFile(t *testing.T, p, body string, mode os.FileMode) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(p), 0o755))
	must(t, os.WriteFile(p, []byte(body), mode))
	must(t, os.Chmod(p, mode))
}

func TestArchiveFormat(t *testing.T) {
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "run.sh"), "#!/bin/sh\n", 0o744)
	writeFile(t, filepath.Join(src, "sub", "a.txt"), "hello", 0o640)
	must(t, os.Chmod(filepath.Join(src, "sub", "a.txt"), 0o4640))
	writeFile(t, filepath.Join(src, "sub", "b.tmp"), "tmp", 0o644)
	writeFile(t, filepath.Join(src, "skip", "x"), "x", 0o644)
	must(t, os.Symlink("run.sh", filepath.Join(src, "link")))
	must(t, syscall.Mkfifo(filepath.Join(src, "fifo"), 0o644))
	mt := time.Unix(1700000000, 123456789)
	must(t, os.Chtimes(filepath.Join(src, "run.sh"), mt, mt))

	var buf bytes.Buffer
	var skips []Skip
	res, err := ArchivePath(context.Background(), &buf, src, ArchiveOptions{
		Excludes: []string{"*.tmp", "skip"},
		OnSkip:   func(s Skip) { skips = append(skips, s) },
	})
	if err != nil {
		t.Fatal(err)
	}
	got := readEntries(t, buf.Bytes())
	var names []string
	for _, e := range got {
		names = append(names, e.name)
		if e.uid != 0 {
			t.Errorf("%s uid %d", e.name, e.uid)
		}
	}
	if want := "run.sh sub/ sub/a.txt"; strings.Join(names, " ") != want {
		t.Fatalf("entries %q, want %q", names, want)
	}
	if got[0].mode != 0o755 || got[0].typ != tar.TypeReg || got[0].body != "#!/bin/sh\n" || !got[0].mt.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("run.sh entry %+v", got[0])
	}
	if got[1].typ != tar.TypeDir {
		t.Errorf("sub/ type %q", got[1].typ)
	}
	if got[2].mode != 0o640 {
		t.Errorf("sub/a.txt mode %o, want 640 (setuid stripped)", got[2].mode)
	}
	if len(skips) != 2 || res.Skipped != 2 || res.Files != 2 || res.Dirs != 1 || res.Bytes != 15 {
		t.Errorf("skips %v result %+v", skips, res)
	}

	// A single file becomes one entry under its base name.
	buf.Reset()
	if _, err := ArchivePath(context.Background(), &buf, filepath.Join(src, "run.sh"), ArchiveOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := readEntries(t, buf.Bytes()); len(got) != 1 || got[0].name != "run.sh" {
		t.Errorf("single file archive %+v", got)
	}
	// A symlink given as the source itself is followed.
	buf.Reset()
	if _, err := ArchivePath(context.Background(), &buf, filepath.Join(src, "link"), ArchiveOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := readEntries(t, buf.Bytes()); len(got) != 1 || got[0].name != "run.sh" {
		t.Errorf("symlinked source archive %+v", got)
	}
	// A FIFO is not archived (and does not block).
	if _, err := ArchivePath(context.Background(), io.Discard, filepath.Join(src, "fifo"), ArchiveOptions{}); err == nil {
		t.Errorf("archiving a FIFO succeeded")
	}
}

func TestArchiveRootConfined(t *testing.T) {
	base := t.TempDir()
	vm := filepath.Join(base, "vm")
	writeFile(t, filepath.Join(base, "host-secret"), "secret", 0o600)
	writeFile(t, filepath.Join(vm, "etc", "hosts"), "hosts", 0o644)
	must(t, os.Symlink("../../host-secret", filepath.Join(vm, "etc", "escape")))
	must(t, os.Symlink("/", filepath.Join(vm, "rootlink")))
	root, err := os.OpenRoot(vm)
	must(t, err)
	defer root.Close()
	var buf bytes.Buffer
	if _, err := Archive(context.Background(), &buf, root, "etc", ArchiveOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, e := range readEntries(t, buf.Bytes()) {
		if e.body == "secret" {
			t.Errorf("archive from root leaked a host file through %s", e.name)
		}
	}
	for _, name := range []string{"etc/escape", "rootlink/etc", "../host-secret", "/etc"} {
		if _, err := Archive(context.Background(), io.Discard, root, name, ArchiveOptions{}); err == nil {
			t.Errorf("Archive(%q) succeeded", name)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	src := t.TempDir()
	files := map[string]string{
		"empty":                    "",
		"with space/file name.txt": "spaces",
		"ünïcödé/日本語.txt":          "utf8",
		strings.Repeat("n", 255):   "long name",
		"deep/a/b/c/d/e/f.bin":     strings.Repeat("\x00\xff", 70000),
		"exec.sh":                  "#!/bin/sh\n",
		"dir-with-mode/inner.txt":  "inner",
		"ro-dir/file":              "read only dir",
		"nested/" + strings.Repeat("m", 200) + "/" + strings.Repeat("o", 200): "pax",
	}
	for i := range 1000 {
		b := make([]byte, i*7)
		rand.Read(b)
		files[fmt.Sprintf("bulk/%03d/file %d.bin", i%37, i)] = string(b)
	}
	for n, b := range files {
		writeFile(t, filepath.Join(src, n), b, 0o640)
	}
	must(t, os.Chmod(filepath.Join(src, "exec.sh"), 0o750))
	must(t, os.Chmod(filepath.Join(src, "dir-with-mode"), 0o700))
	must(t, os.Chmod(filepath.Join(src, "ro-dir"), 0o555))
	mt := time.Unix(1600000000, 0)
	must(t, os.Chtimes(filepath.Join(src, "deep"), mt, mt))

	pr, pw := io.Pipe()
	go func() {
		_, err := ArchivePath(context.Background(), pw, src, ArchiveOptions{})
		pw.CloseWithError(err)
	}()
	dest := filepath.Join(t.TempDir(), "out")
	res, err := ExtractToDir(context.Background(), pr, dest, ExtractOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != len(files) {
		t.Errorf("extracted %d files, want %d", res.Files, len(files))
	}
	for n, b := range files {
		got, err := os.ReadFile(filepath.Join(dest, n))
		if err != nil || sha256.Sum256(got) != sha256.Sum256([]byte(b)) {
			t.Errorf("%s: %v (len %d, want %d)", n, err, len(got), len(b))
		}
	}
	checkMode := func(rel string, want os.FileMode) {
		t.Helper()
		fi, err := os.Stat(filepath.Join(dest, rel))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", rel, fi.Mode().Perm(), want)
		}
	}
	checkMode("exec.sh", 0o751|0o004&0) // any exec bit sets all three: 0750 -> 0751
	checkMode("empty", 0o640)
	checkMode("dir-with-mode", 0o700)
	checkMode("ro-dir", 0o555)
	if fi, _ := os.Stat(filepath.Join(dest, "deep")); !fi.ModTime().Equal(mt) {
		t.Errorf("deep mtime %v, want %v", fi.ModTime(), mt)
	}
	// Make the tree removable for t.TempDir's cleanup.
	os.Chmod(filepath.Join(dest, "ro-dir"), 0o755)
}

func TestExtractOwnerAndMode(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown needs root")
	}
	data := buildTar(t, dirE("d/"), file("d/f", "x"))
	dest := t.TempDir()
	fm := fs.FileMode(0o600)
	_, err := ExtractToDir(context.Background(), bytes.NewReader(data), dest, ExtractOptions{Owner: &Owner{UID: 1234, GID: 5678}, FileMode: &fm})
	must(t, err)
	for _, rel := range []string{"d", "d/f"} {
		fi, err := os.Stat(filepath.Join(dest, rel))
		must(t, err)
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != 1234 || st.Gid != 5678 {
			t.Errorf("%s owned by %d:%d", rel, st.Uid, st.Gid)
		}
	}
	fi, _ := os.Stat(filepath.Join(dest, "d/f"))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("d/f mode %v, want 0600", fi.Mode())
	}
}

func TestExtractLimits(t *testing.T) {
	data := buildTar(t, file("a", "12345"), file("b", "67890"), file("c", "x"))
	dest := t.TempDir()
	_, err := ExtractToDir(context.Background(), bytes.NewReader(data), dest, ExtractOptions{MaxTotalSize: 10})
	if err == nil || !strings.Contains(err.Error(), "total limit") {
		t.Fatalf("err = %v, want total limit error", err)
	}
	if tree := destTree(t, dest); len(tree) != 2 {
		t.Errorf("dest %v", tree)
	}
}

func TestExtractToPath(t *testing.T) {
	ctx := context.Background()
	t.Run("single file renamed", func(t *testing.T) {
		parent := t.TempDir()
		writeFile(t, filepath.Join(parent, "other"), "pre-existing", 0o644)
		dest := filepath.Join(parent, "renamed.txt")
		_, err := ExtractToPath(ctx, bytes.NewReader(buildTar(t, file("orig.txt", "data"))), dest, ExtractOptions{})
		must(t, err)
		if got, _ := os.ReadFile(dest); string(got) != "data" {
			t.Errorf("dest = %q", got)
		}
		if tree := destTree(t, parent); len(tree) != 2 {
			t.Errorf("parent holds %v", tree)
		}
	})
	t.Run("existing file replaced", func(t *testing.T) {
		dest := filepath.Join(t.TempDir(), "f")
		writeFile(t, dest, "old", 0o644)
		_, err := ExtractToPath(ctx, bytes.NewReader(buildTar(t, file("x", "new"))), dest, ExtractOptions{})
		must(t, err)
		if got, _ := os.ReadFile(dest); string(got) != "new" {
			t.Errorf("dest = %q", got)
		}
	})
	t.Run("single directory renamed", func(t *testing.T) {
		dest := filepath.Join(t.TempDir(), "d2")
		_, err := ExtractToPath(ctx, bytes.NewReader(buildTar(t, dirE("d/"), file("d/x", "1"), file("d/y/z", "2"))), dest, ExtractOptions{})
		must(t, err)
		if tree := destTree(t, dest); tree["x"] != "1" || tree["y/z"] != "2" {
			t.Errorf("dest tree %v", tree)
		}
	})
	t.Run("existing directory receives entries", func(t *testing.T) {
		dest := t.TempDir()
		_, err := ExtractToPath(ctx, bytes.NewReader(buildTar(t, file("a", "1"), file("b", "2"))), dest, ExtractOptions{})
		must(t, err)
		if tree := destTree(t, dest); tree["a"] != "1" || tree["b"] != "2" {
			t.Errorf("dest tree %v", tree)
		}
	})
	t.Run("empty archive", func(t *testing.T) {
		parent := t.TempDir()
		_, err := ExtractToPath(ctx, bytes.NewReader(buildTar(t)), filepath.Join(parent, "x"), ExtractOptions{})
		if !errors.Is(err, ErrEmptyArchive) {
			t.Errorf("err = %v", err)
		}
		if tree := destTree(t, parent); len(tree) != 0 {
			t.Errorf("parent holds %v", tree)
		}
	})
	t.Run("multiple entries", func(t *testing.T) {
		parent := t.TempDir()
		dest := filepath.Join(parent, "x")
		writeFile(t, dest, "keep", 0o644)
		_, err := ExtractToPath(ctx, bytes.NewReader(buildTar(t, file("a", "1"), file("b", "2"))), dest, ExtractOptions{})
		if !errors.Is(err, ErrMultipleEntries) {
			t.Errorf("err = %v", err)
		}
		if tree := destTree(t, parent); len(tree) != 1 || tree["x"] != "keep" {
			t.Errorf("parent holds %v", tree)
		}
	})
	t.Run("failure leaves destination untouched", func(t *testing.T) {
		parent := t.TempDir()
		dest := filepath.Join(parent, "x")
		writeFile(t, dest, "keep", 0o644)
		_, err := ExtractToPath(ctx, bytes.NewReader(buildTar(t, ent{name: "x", typ: tar.TypeReg, body: "partial", size: 1 << 20, mode: 0o644})), dest, ExtractOptions{})
		if err == nil {
			t.Fatal("want error")
		}
		if tree := destTree(t, parent); len(tree) != 1 || tree["x"] != "keep" {
			t.Errorf("parent holds %v", tree)
		}
	})
	t.Run("missing parent", func(t *testing.T) {
		_, err := ExtractToPath(ctx, bytes.NewReader(buildTar(t, file("a", "1"))), filepath.Join(t.TempDir(), "no", "x"), ExtractOptions{})
		if err == nil {
			t.Error("want error")
		}
	})
}

func TestExtractToDirAtomic(t *testing.T) {
	parent := t.TempDir()
	dest := filepath.Join(parent, "new")
	data := buildTar(t, file("a", "1"), file("b", "2"), ent{name: "c", typ: tar.TypeReg, body: "cut", size: 100, mode: 0o644})
	if _, err := ExtractToDir(context.Background(), bytes.NewReader(data), dest, ExtractOptions{}); err == nil {
		t.Fatal("want error")
	}
	if tree := destTree(t, parent); len(tree) != 0 {
		t.Errorf("parent holds %v after a failed extraction", tree)
	}
	writeFile(t, filepath.Join(parent, "file"), "x", 0o644)
	if _, err := ExtractToDir(context.Background(), bytes.NewReader(buildTar(t, file("a", "1"))), filepath.Join(parent, "file"), ExtractOptions{}); err == nil {
		t.Error("extracting into a file succeeded")
	}
}

func TestExtractCancel(t *testing.T) {
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	data := buildTar(t, file("a", "1"), file("b", strings.Repeat("x", 1<<20)))
	done := make(chan struct{})
	go func() {
		defer close(done)
		pw.Write(data[:2048]) // first entry and the start of the second
		cancel()
		pw.Write(data[2048:])
		pw.Close()
	}()
	dest := filepath.Join(t.TempDir(), "d")
	_, err := ExtractToDir(ctx, pr, dest, ExtractOptions{})
	pr.Close()
	<-done
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(dest); err == nil {
		t.Error("dest exists after a cancelled extraction")
	}

	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := ArchivePath(ctx2, io.Discard, t.TempDir(), ArchiveOptions{}); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("archive err = %v", err)
	}
}

// TestSymlinkSwapRace flips dest/sub between a directory and a symlink to
// ../victim while a 1,000-file archive extracts into sub/ (THREATS A13).
func TestSymlinkSwapRace(t *testing.T) {
	var ents []ent
	ents = append(ents, dirE("sub/"))
	for i := range 1000 {
		ents = append(ents, file("sub/f"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+itoa(i), "payload"))
	}
	data := buildTar(t, ents...)
	runs := 5
	if testing.Short() {
		runs = 1
	}
	for range runs {
		b := newBreakout(t)
		stop := make(chan struct{})
		flipped := make(chan int)
		go func() {
			n := 0
			sub := filepath.Join(b.dest, "sub")
			aside := filepath.Join(b.dest, "aside")
			for {
				select {
				case <-stop:
					flipped <- n
					return
				default:
				}
				// Move the real directory aside and plant a link, then undo.
				if os.Rename(sub, aside) == nil {
					os.Symlink("../victim", sub)
					time.Sleep(time.Microsecond)
					os.Remove(sub)
					os.Rename(aside, sub)
					n++
				}
			}
		}()
		_, _ = ExtractToDir(context.Background(), bytes.NewReader(data), b.dest, ExtractOptions{})
		close(stop)
		n := <-flipped
		os.Remove(filepath.Join(b.dest, "sub")) // a link possibly left by the flipper
		b.check(t, map[string]bool{"aside": true, "sub": true})
		entries, _ := os.ReadDir(b.victim)
		if len(entries) != 1 {
			t.Fatalf("victim holds %d entries after %d flips", len(entries), n)
		}
	}
}

func itoa(i int) string {
	return strings.TrimLeft(strings.Replace(time.Duration(i).String(), "ns", "", 1), "0")
}

// TestGoTarTestdata feeds every archive of Go's archive/tar testdata (read
// from GOROOT at test time) to the extractor: no panic, no escape, bounded
// output.
func TestGoTarTestdata(t *testing.T) {
	dir := filepath.Join(runtime.GOROOT(), "src", "archive", "tar", "testdata")
	names, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("no GOROOT testdata: %v", err)
	}
	for _, de := range names {
		n := de.Name()
		if !strings.Contains(n, ".tar") {
			continue
		}
		t.Run(n, func(t *testing.T) {
			var r io.Reader
			switch {
			case strings.HasSuffix(n, ".bz2"):
				f, err := os.Open(filepath.Join(dir, n))
				must(t, err)
				defer f.Close()
				r = bzip2.NewReader(f)
			default:
				r = bytes.NewReader(gorootTar(t, n))
			}
			b := newBreakout(t)
			_, _ = ExtractToDir(context.Background(), r, b.dest, ExtractOptions{MaxTotalSize: 64 << 20, MaxFileSize: 16 << 20})
			b.check(t, nil)
		})
	}
}

func TestExistingDirectoryKeepsMetadata(t *testing.T) {
	dest := t.TempDir()
	tmp := filepath.Join(dest, "tmp")
	must(t, os.Mkdir(tmp, 0o755))
	must(t, os.Chmod(tmp, 0o777|os.ModeSticky))
	data := buildTar(t, ent{name: "tmp/", typ: tar.TypeDir, mode: 0o700}, file("tmp/x", "x"), ent{name: "new/", typ: tar.TypeDir, mode: 0o750})
	if _, err := ExtractToDir(context.Background(), bytes.NewReader(data), dest, ExtractOptions{}); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(tmp)
	if fi.Mode()&(os.ModePerm|os.ModeSticky) != 0o777|os.ModeSticky {
		t.Errorf("existing dir mode changed to %v", fi.Mode())
	}
	fi, _ = os.Stat(filepath.Join(dest, "new"))
	if fi.Mode().Perm() != 0o750 {
		t.Errorf("new dir mode %v", fi.Mode())
	}
}
