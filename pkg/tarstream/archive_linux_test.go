package tarstream

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fileAt trusts the directory listing only as far as opening the name: an
// entry swapped for a symlink, a FIFO or a directory since the listing is
// skipped as replaced, with nothing read through it and no hang.
func TestFileAtSwappedEntries(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plain"), []byte("hello"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var buf bytes.Buffer
	var skips []Skip
	a := &archiver{ctx: context.Background(), tw: tar.NewWriter(&buf), opts: ArchiveOptions{OnSkip: func(s Skip) { skips = append(skips, s) }}}
	for _, name := range []string{"plain", "link", "fifo", "sub", "gone"} {
		if err := a.fileAt(descriptor(d), ".", name, name); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if err := a.tw.Close(); err != nil {
		t.Fatal(err)
	}
	if len(skips) != 3 {
		t.Fatalf("skips = %v, want link, fifo and sub replaced", skips)
	}
	for _, s := range skips {
		if s.Reason != "replaced while being archived" {
			t.Errorf("%s: %s", s.Name, s.Reason)
		}
	}
	tr := tar.NewReader(&buf)
	hdr, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(tr)
	if hdr.Name != "plain" || hdr.Mode != 0o755 || string(body) != "hello" {
		t.Fatalf("entry %q mode %o body %q", hdr.Name, hdr.Mode, body)
	}
	if _, err := tr.Next(); err != io.EOF {
		t.Fatalf("more entries: %v", err)
	}
	if a.res.Files != 1 || a.res.Bytes != 5 {
		t.Fatalf("result %+v", a.res)
	}
}

// readDirTypes lists every entry of a directory larger than one getdents
// buffer, with the regular files marked as such.
func TestReadDirTypes(t *testing.T) {
	dir := t.TempDir()
	want := map[string]bool{}
	for i := range 1500 {
		name := fmt.Sprintf("entry-%04d-%s", i, strings.Repeat("n", i%40))
		switch i % 3 {
		case 0:
			if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			want[name] = true
		case 1:
			if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
				t.Fatal(err)
			}
			want[name] = false
		case 2:
			if err := os.Symlink("target", filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
			want[name] = false
		}
	}
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got, err := readDirTypes(descriptor(d), make([]byte, 4<<10))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for _, e := range got {
		reg, ok := want[e.name]
		if !ok || reg != e.regular {
			t.Fatalf("entry %q regular=%v: want present=%v regular=%v", e.name, e.regular, ok, reg)
		}
		delete(want, e.name)
	}
}
