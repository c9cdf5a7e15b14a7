//go:build unix

package tarstream

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMaliciousCorpusFresh runs the corpus cases that need nothing planted
// beforehand against a destination that does not exist yet: the staged
// extraction, where files are written in place (fileInPlace on Linux). The
// breakout invariants must hold as for an existing destination, and a
// failed extraction must leave no destination and no staging directory.
func TestMaliciousCorpusFresh(t *testing.T) {
	n := 0
	for _, tc := range corpus() {
		if tc.setup != nil || tc.onSkip != nil {
			continue
		}
		n++
		t.Run(tc.name, func(t *testing.T) {
			b := newBreakout(t)
			must(t, os.Remove(b.dest))
			var skips int
			_, err := tc.extract(t, b.dest, func(Skip) { skips++ })
			if tc.wantSkips >= 0 && skips != tc.wantSkips {
				t.Errorf("skips = %d, want %d", skips, tc.wantSkips)
			}
			if err != nil {
				if _, serr := os.Lstat(b.dest); serr == nil {
					t.Errorf("failed extraction left %s", b.dest)
				}
				must(t, os.Mkdir(b.dest, 0o755))
			}
			b.check(t, map[string]bool{})
			if err == nil && tc.verify != nil {
				tc.verify(t, b)
			}
		})
	}
	if n < 40 {
		t.Fatalf("only %d corpus cases ran fresh, want >= 40", n)
	}
}

// stageIn returns the staging directory being filled inside dir.
func stageIn(t *testing.T, dir string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, tempPrefix+"*"))
	if err != nil || len(m) != 1 {
		t.Fatalf("staging directories in %s: %v %v", dir, m, err)
	}
	return m[0]
}

// A name planted in the staging directory while it is being filled (here a
// symlink to a file outside, planted from the skip callback) must not be
// written through: the in-place create fails on the existing name and the
// entry replaces the link.
func TestFreshPlantedSymlinkReplaced(t *testing.T) {
	b := newBreakout(t)
	must(t, os.Remove(b.dest))
	data := buildTar(t, symlink("link", "x"), file("f", "new content"))
	opts := ExtractOptions{OnSkip: func(Skip) {
		must(t, os.Symlink(filepath.Join(b.victim, "hello"), filepath.Join(stageIn(t, b.base), "f")))
	}}
	if _, err := ExtractToDir(context.Background(), bytes.NewReader(data), b.dest, opts); err != nil {
		t.Fatal(err)
	}
	b.check(t, map[string]bool{})
	content("f", "new content")(t, b)
}

// Duplicate entries in a fresh destination end as in an existing one: the
// last entry wins, whatever its mode, and no temporary file is left.
func TestFreshDuplicateLastWins(t *testing.T) {
	b := newBreakout(t)
	must(t, os.Remove(b.dest))
	first := file("d/f", "first, longer content")
	first.mode = 0o600
	second := file("d/f", "second")
	second.mode = 0o755
	data := buildTar(t, first, file("d/g", "g"), second)
	res, err := ExtractToDir(context.Background(), bytes.NewReader(data), b.dest, ExtractOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 3 {
		t.Errorf("Files = %d, want 3", res.Files)
	}
	b.check(t, map[string]bool{})
	content("d/f", "second")(t, b)
	modeIs("d/f", 0o755)(t, b)
}

// Files written in place get exactly the archive's mode (less s-bits) and
// mtime whatever the umask, and the owner-write bit is not required to
// write them.
func TestFreshModesAndTimes(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	b := newBreakout(t)
	must(t, os.Remove(b.dest))
	mt := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	ents := []ent{
		{name: "ro", typ: tar.TypeReg, body: "r", size: -1, mode: 0o444},
		{name: "none", typ: tar.TypeReg, body: "n", size: -1, mode: 0o000},
		{name: "suid", typ: tar.TypeReg, body: "s", size: -1, mode: 0o4755 | 0o2000},
		{name: "x", typ: tar.TypeReg, body: "x", size: -1, mode: 0o744},
		{name: "big", typ: tar.TypeReg, body: strings.Repeat("b", 600<<10), size: -1, mode: 0o644},
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		must(t, tw.WriteHeader(&tar.Header{Name: e.name, Typeflag: e.typ, Size: int64(len(e.body)), Mode: e.mode, ModTime: mt}))
		_, err := tw.Write([]byte(e.body))
		must(t, err)
	}
	must(t, tw.Close())
	if _, err := ExtractToDir(context.Background(), &buf, b.dest, ExtractOptions{}); err != nil {
		t.Fatal(err)
	}
	b.check(t, map[string]bool{})
	want := map[string]os.FileMode{"ro": 0o444, "none": 0, "suid": 0o755, "x": 0o755, "big": 0o644}
	for name, m := range want {
		fi, err := os.Lstat(filepath.Join(b.dest, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != m {
			t.Errorf("%s mode %v, want %v", name, fi.Mode(), m)
		}
		if !fi.ModTime().Equal(mt) {
			t.Errorf("%s mtime %v, want %v", name, fi.ModTime(), mt)
		}
	}
	content("big", strings.Repeat("b", 600<<10))(t, b)
}

// A truncated archive fails and leaves neither the destination nor the
// staging directory (with its partly written file) behind.
func TestFreshTruncatedLeavesNothing(t *testing.T) {
	b := newBreakout(t)
	must(t, os.Remove(b.dest))
	data := buildTar(t, file("a", "complete"), ent{name: "b", typ: tar.TypeReg, body: "short", size: 4096, mode: 0o644})
	_, err := ExtractToDir(context.Background(), bytes.NewReader(data), b.dest, ExtractOptions{})
	if err == nil {
		t.Fatal("truncated archive extracted without error")
	}
	if _, serr := os.Lstat(b.dest); serr == nil {
		t.Errorf("destination left behind")
	}
	must(t, os.Mkdir(b.dest, 0o755))
	b.check(t, map[string]bool{})
}
