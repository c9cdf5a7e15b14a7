//go:build unix

package tarstream

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

type corpusCase struct {
	name string
	ents []ent
	raw  string // a file of Go's archive/tar testdata (read from GOROOT at test time)
	// setup prepares dest before extraction (pre-existing links etc.).
	setup func(t *testing.T, b *breakout)
	// wantErr: the extraction must fail; wantUnsafe: with ErrUnsafePath.
	wantErr, wantUnsafe bool
	// wantSkips is the number of OnSkip reports expected (-1: don't care).
	wantSkips int
	// verify runs extra checks on dest.
	verify func(t *testing.T, b *breakout)
	// onSkip runs inside the OnSkip callback: a deterministic way to change
	// the destination in the middle of an extraction.
	onSkip func(t *testing.T, b *breakout)
}

func unsafeCase(name string, ents ...ent) corpusCase {
	return corpusCase{name: name, ents: ents, wantErr: true, wantUnsafe: true, wantSkips: -1}
}

func absent(rel string) func(t *testing.T, b *breakout) {
	return func(t *testing.T, b *breakout) {
		t.Helper()
		if _, err := os.Lstat(filepath.Join(b.dest, rel)); err == nil {
			t.Errorf("%s exists in dest", rel)
		}
	}
}

func content(rel, want string) func(t *testing.T, b *breakout) {
	return func(t *testing.T, b *breakout) {
		t.Helper()
		got, err := os.ReadFile(filepath.Join(b.dest, rel))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", rel, got, err, want)
		}
	}
}

func modeIs(rel string, want os.FileMode) func(t *testing.T, b *breakout) {
	return func(t *testing.T, b *breakout) {
		t.Helper()
		fi, err := os.Lstat(filepath.Join(b.dest, rel))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&(os.ModePerm|os.ModeSetuid|os.ModeSetgid|os.ModeSticky) != want {
			t.Errorf("%s mode %v, want %v", rel, fi.Mode(), want)
		}
	}
}

func all(fs ...func(t *testing.T, b *breakout)) func(t *testing.T, b *breakout) {
	return func(t *testing.T, b *breakout) {
		t.Helper()
		for _, f := range fs {
			f(t, b)
		}
	}
}

func corpus() []corpusCase {
	long := strings.Repeat("x", 300)
	deep := strings.Repeat("d/", 10000) + "f"
	return []corpusCase{
		// A1: ".." in names (moby TestUntarInvalidFilenames, kubectl TestUntar).
		unsafeCase("dotdot-victim", file("../victim/dotdot", "x")),
		unsafeCase("slash-dotdot-victim", file("/../victim/slash-dotdot", "x")),
		unsafeCase("bare-dotdot", dirE("..")),
		unsafeCase("dotdot-dotdot-pwned", file("../../pwned", "x")),
		unsafeCase("inner-dotdot-escape", file("a/../../b", "x")),
		unsafeCase("nested-dotdot", file("nested/../../x", "x")),
		unsafeCase("dotdot-inside-dest", file("a/../b", "x")),
		unsafeCase("trailing-dotdot", dirE("a/..")),
		unsafeCase("sibling-prefix", file("../dest-evil/x", "x")),
		unsafeCase("sibling-prefix-overwrite", file("../dest-evil/secret", "overwritten")),
		unsafeCase("dotdot-after-good-entries", file("ok", "fine"), file("../victim/hello", "pwned")),
		unsafeCase("pax-long-dotdot", file("../"+strings.Repeat("y", 150), "x")),
		unsafeCase("gnu-long-dotdot", ent{name: "../" + strings.Repeat("z", 150), typ: tar.TypeReg, body: "x", size: -1, mode: 0o644, format: tar.FormatGNU}),
		// A2: absolute names are rejected.
		unsafeCase("absolute-etc", file("/etc/pwned", "x")),
		unsafeCase("absolute-root", dirE("/")),
		unsafeCase("double-slash", file("//x", "x")),
		unsafeCase("absolute-victim", file(filepath.Join("/", "victim", "hello"), "x")),
		// A11: names that are not clean.
		unsafeCase("empty-name", file("", "x")),
		unsafeCase("dot", dirE(".")),
		unsafeCase("dot-slash", dirE("./")),
		unsafeCase("dot-slash-a", file("./a", "x")),
		unsafeCase("double-slash-inner", file("a//b", "x")),
		unsafeCase("dot-segment", file("a/./b", "x")),
		unsafeCase("symlink-named-dotdot", symlink("../evil", "x")),
		unsafeCase("hardlink-named-dotdot", hardlink("../evil", "x")),
		// A3: symlink planted then written through (kubectl CVE-2019-1002101 family).
		{name: "symlink-then-file-through", ents: []ent{symlink("loophole", "../victim"), file("loophole/file", "x")},
			wantSkips: 1, verify: all(content("loophole/file", "x"))},
		{name: "nested-symlink-then-deep-file", ents: []ent{symlink("dir/loophole", "../../victim"), file("dir/loophole/newdir/newfile", "x")},
			wantSkips: 1, verify: content("dir/loophole/newdir/newfile", "x")},
		{name: "symlink-chain-to-victim-file", ents: []ent{symlink("loophole", "../victim"), symlink("s", "loophole/hello")},
			wantSkips: 2, verify: all(absent("loophole"), absent("s"))},
		{name: "absolute-symlink-then-file", ents: []ent{symlink("root", "/"), file("root/tmp/pwned", "x")},
			wantSkips: 1, verify: content("root/tmp/pwned", "x")},
		// A4: two-hop chain (CVE-2019-11251, moby TestUntarSymlinkBreakout).
		{name: "two-hop-symlink-chain", ents: []ent{dirE("inner/"), symlink("inner/go_up", ".."), symlink("inner/go_up/escape", "../victim"), file("inner/go_up/escape/newfile", "x")},
			wantSkips: 2, verify: content("inner/go_up/escape/newfile", "x")},
		// A6: hard links (moby TestUntarInvalidHardlink, sibling prefix).
		{name: "hardlink-read-victim", ents: []ent{hardlink("dotdot", "../victim/hello")}, wantSkips: 1, verify: absent("dotdot")},
		{name: "hardlink-dir-then-write", ents: []ent{hardlink("loophole-victim", "../victim"), file("loophole-victim/file", "x")}, wantSkips: 1},
		{name: "hardlink-to-symlink", ents: []ent{symlink("sym", "../victim/hello"), hardlink("hl", "sym")}, wantSkips: 2, verify: all(absent("sym"), absent("hl"))},
		{name: "hardlink-sibling-prefix", ents: []ent{hardlink("grab", "../dest-evil/secret")}, wantSkips: 1, verify: absent("grab")},
		{name: "hardlink-absolute", ents: []ent{hardlink("passwd", "/etc/passwd")}, wantSkips: 1, verify: absent("passwd")},
		{name: "hardlink-internal", ents: []ent{file("a", "data"), hardlink("b", "a")}, wantSkips: 1, verify: all(content("a", "data"), absent("b"))},
		// A7: duplicates and type changes (incus GHSA-2q3f-q5pq-g8wv).
		{name: "dir-then-symlink-then-file", ents: []ent{dirE("x/"), symlink("x", "../victim"), file("x/f", "x")}, wantSkips: 1, verify: content("x/f", "x")},
		{name: "duplicate-file-second-wins", ents: []ent{file("a", "first"), file("a", "second")}, wantSkips: 0, verify: content("a", "second")},
		{name: "symlink-then-file-same-name", ents: []ent{symlink("loophole-victim", "../victim"), file("loophole-victim", "plain")}, wantSkips: 1, verify: content("loophole-victim", "plain")},
		{name: "file-then-dir-same-name", ents: []ent{file("a", "x"), dirE("a/")}, wantErr: true, wantSkips: -1},
		{name: "dir-then-file-same-name", ents: []ent{dirE("a/"), file("a/in", "y"), file("a", "x")}, wantErr: true, wantSkips: -1, verify: content("a/in", "y")},
		{name: "file-then-file-inside", ents: []ent{file("a", "x"), file("a/b", "y")}, wantErr: true, wantSkips: -1},
		// A8: devices, FIFOs, s-bits.
		{name: "char-device", ents: []ent{{name: "null", typ: tar.TypeChar}}, wantSkips: 1, verify: absent("null")},
		{name: "block-device", ents: []ent{{name: "sda", typ: tar.TypeBlock}}, wantSkips: 1, verify: absent("sda")},
		{name: "fifo", ents: []ent{{name: "pipe", typ: tar.TypeFifo}}, wantSkips: 1, verify: absent("pipe")},
		{name: "setuid-setgid-file", ents: []ent{{name: "suid", typ: tar.TypeReg, body: "x", size: -1, mode: 0o6777}}, wantSkips: 0, verify: modeIs("suid", 0o777)},
		{name: "sticky-dir", ents: []ent{{name: "tmp/", typ: tar.TypeDir, mode: 0o1777}}, wantSkips: 0, verify: modeIs("tmp", 0o777)},
		{name: "exec-bit-spreads", ents: []ent{{name: "run.sh", typ: tar.TypeReg, body: "x", size: -1, mode: 0o744}}, wantSkips: 0, verify: modeIs("run.sh", 0o755)},
		// A9: lying sizes and sparse files.
		{name: "huge-declared-size", ents: []ent{{name: "big", typ: tar.TypeReg, body: "0123456789", size: 1 << 40, mode: 0o644}}, wantErr: true, wantSkips: -1, verify: absent("big")},
		{name: "short-body", ents: []ent{file("ok", "fine"), {name: "short", typ: tar.TypeReg, body: "abc", size: 4096, mode: 0o644}}, wantErr: true, wantSkips: -1, verify: all(content("ok", "fine"), absent("short"))},
		{name: "long-body-garbage-header", ents: []ent{{name: "a", typ: tar.TypeReg, size: 3, mode: 0o644, rawBytes: []byte(strings.Repeat("garbage!", 200))}}, wantErr: true, wantSkips: -1, verify: absent("b")},
		{name: "goroot-pax-sparse-big", raw: "pax-sparse-big.tar.base64", wantSkips: 1, verify: absent("pax-sparse")},
		{name: "goroot-sparse-formats", raw: "sparse-formats.tar", wantSkips: 4, verify: all(absent("sparse-gnu"), absent("sparse-posix-1.0"), content("end", "end\n"))},
		{name: "goroot-pax-nil-sparse", raw: "pax-nil-sparse-data.tar", wantSkips: 1, verify: absent("sparse.db")},
		{name: "goroot-hardlink", raw: "hardlink.tar", wantSkips: 1},
		{name: "over-file-limit", ents: []ent{file("big", strings.Repeat("b", 2048))}, wantErr: true, wantSkips: -1, verify: absent("big")},
		// A11: long names, deep trees, odd bytes.
		{name: "long-component", ents: []ent{file(long, "x")}, wantErr: true, wantSkips: -1},
		{name: "very-long-path", ents: []ent{file(strings.Repeat("p/", 2500)+"f", "x")}, wantErr: true, wantSkips: -1, verify: absent("p")},
		{name: "deep-nesting", ents: []ent{file(deep, "x")}, wantErr: true, wantSkips: -1, verify: absent("d")},
		{name: "deep-but-allowed", ents: []ent{file(strings.Repeat("q/", 1000)+"f", "x")}, wantSkips: 0},
		{name: "non-utf8-name", ents: []ent{file("caf\xe9", "x")}, wantSkips: 0, verify: content("caf\xe9", "x")},
		{name: "backslash-dotdot", ents: []ent{file(`..\victim\hello`, "x")}, wantSkips: 0, verify: content(`..\victim\hello`, "x")},
		{name: "control-chars", ents: []ent{file("a\x1b[31mred", "x")}, wantSkips: 0, verify: content("a\x1b[31mred", "x")},
		{name: "temp-name-collision", ents: []ent{file(tempPrefix+"deadbeef", "x")}, wantSkips: 0, verify: func(t *testing.T, b *breakout) {}},
		// Pre-existing links in the destination (A3, A5, SDK HEAD §11.5).
		{name: "existing-outward-symlink-dir", setup: func(t *testing.T, b *breakout) {
			must(t, os.Symlink("../victim", filepath.Join(b.dest, "linked")))
		}, ents: []ent{file("linked/escaped.txt", "x")}, wantErr: true, wantUnsafe: true, wantSkips: -1},
		{name: "existing-inward-symlink-dir", setup: func(t *testing.T, b *breakout) {
			must(t, os.Mkdir(filepath.Join(b.dest, "real"), 0o755))
			must(t, os.Symlink("real", filepath.Join(b.dest, "alias")))
		}, ents: []ent{file("alias/x", "x")}, wantErr: true, wantUnsafe: true, wantSkips: -1, verify: absent("real/x")},
		{name: "existing-absolute-symlink-dir", setup: func(t *testing.T, b *breakout) {
			must(t, os.Symlink(b.victim, filepath.Join(b.dest, "abs")))
		}, ents: []ent{dirE("abs/"), file("abs/hello", "x")}, wantErr: true, wantUnsafe: true, wantSkips: -1},
		{name: "existing-symlink-file-replaced", setup: func(t *testing.T, b *breakout) {
			must(t, os.Symlink("../victim/hello", filepath.Join(b.dest, "f")))
		}, ents: []ent{file("f", "new")}, wantSkips: 0, verify: content("f", "new")},
		// A13, deterministic: the destination directory is swapped for a
		// symlink to ../victim between two entries.
		{name: "swap-mid-extraction-same-dir", ents: []ent{dirE("sub/"), file("sub/a", "a"), symlink("marker", "x"), file("sub/b", "b")},
			onSkip: swapSub, wantErr: true, wantUnsafe: true, wantSkips: 1, verify: content("aside/b", "b")},
		{name: "swap-mid-extraction-new-subdir", ents: []ent{dirE("sub/"), file("sub/a", "a"), symlink("marker", "x"), file("sub/new/c", "c")},
			onSkip: swapSub, wantErr: true, wantUnsafe: true, wantSkips: 1},
		{name: "swap-mid-extraction-absolute", ents: []ent{dirE("sub/"), symlink("marker", "x"), file("sub/x/y", "c"), file("sub/hello", "c")},
			onSkip: func(t *testing.T, b *breakout) {
				must(t, os.Rename(filepath.Join(b.dest, "sub"), filepath.Join(b.dest, "aside")))
				must(t, os.Symlink(b.victim, filepath.Join(b.dest, "sub")))
			}, wantErr: true, wantSkips: 1},
		{name: "existing-symlink-to-dir-replaced-by-file", setup: func(t *testing.T, b *breakout) {
			must(t, os.Symlink("../victim", filepath.Join(b.dest, "d")))
		}, ents: []ent{file("d", "new")}, wantSkips: 0, verify: content("d", "new")},
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestMaliciousCorpus(t *testing.T) {
	cases := corpus()
	if len(cases) < 40 {
		t.Fatalf("corpus has %d cases, want >= 40", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBreakout(t)
			if tc.setup != nil {
				tc.setup(t, b)
			}
			preexisting := map[string]bool{}
			filepath.WalkDir(b.dest, func(p string, d os.DirEntry, err error) error {
				rel, _ := filepath.Rel(b.dest, p)
				preexisting[filepath.ToSlash(rel)] = true
				return nil
			})
			var skips []Skip
			res, err := tc.extract(t, b.dest, func(s Skip) {
				skips = append(skips, s)
				if tc.onSkip != nil {
					tc.onSkip(t, b)
				}
			})
			if err != nil {
				var ee *EntryError
				if errors.As(err, &ee) && !strings.Contains(err.Error(), "tar entry") {
					t.Errorf("entry error %q does not name the entry", err)
				}
			}
			if tc.wantSkips >= 0 && len(skips) != tc.wantSkips {
				t.Errorf("skips = %v (%d), want %d", skips, len(skips), tc.wantSkips)
			}
			if res.Skipped != len(skips) {
				t.Errorf("Result.Skipped = %d, reported %d", res.Skipped, len(skips))
			}
			if tc.onSkip != nil {
				// The planted link is the test's own doing.
				preexisting["sub"] = true
			}
			b.check(t, preexisting)
			if tc.verify != nil {
				tc.verify(t, b)
			}
		})
	}
}

// extract runs the case's archive into dest with the case's options and
// checks the outcome every run of the corpus shares: an error when one is
// wanted, none when it is not, and ErrUnsafePath where the case says so.
func (tc corpusCase) extract(t *testing.T, dest string, onSkip func(Skip)) (Result, error) {
	t.Helper()
	var data []byte
	if tc.raw != "" {
		data = gorootTar(t, tc.raw)
	} else {
		data = buildTar(t, tc.ents...)
	}
	opts := ExtractOptions{OnSkip: onSkip}
	if tc.name == "over-file-limit" {
		opts.MaxFileSize = 1024
	}
	res, err := ExtractToDir(context.Background(), bytes.NewReader(data), dest, opts)
	switch {
	case tc.wantErr && err == nil:
		t.Errorf("extraction succeeded, want an error")
	case !tc.wantErr && tc.wantSkips >= 0 && err != nil:
		t.Errorf("extraction failed: %v", err)
	}
	if tc.wantUnsafe && !errors.Is(err, ErrUnsafePath) {
		t.Errorf("error %v does not wrap ErrUnsafePath", err)
	}
	return res, err
}

// gorootTar reads a file of Go's own archive/tar testdata, decoding
// .base64 files.
func gorootTar(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "src", "archive", "tar", "testdata", name))
	if err != nil {
		t.Skipf("Go's archive/tar testdata not available: %v", err)
	}
	if strings.HasSuffix(name, ".base64") {
		data, err = base64.StdEncoding.DecodeString(string(data))
		if err != nil {
			t.Fatal(err)
		}
	}
	return data
}

// swapSub moves dest/sub aside and puts a symlink to ../victim in its place.
func swapSub(t *testing.T, b *breakout) {
	must(t, os.Rename(filepath.Join(b.dest, "sub"), filepath.Join(b.dest, "aside")))
	must(t, os.Symlink("../victim", filepath.Join(b.dest, "sub")))
}
