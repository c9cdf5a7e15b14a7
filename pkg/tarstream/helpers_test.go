//go:build unix

package tarstream

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"syscall"
	"testing"
	"time"
)

// ent describes one archive entry for the test archive builder.
type ent struct {
	name     string
	typ      byte
	link     string
	body     string
	size     int64 // declared size; -1 means len(body)
	mode     int64
	pax      map[string]string
	format   tar.Format
	rawBytes []byte // appended verbatim after the header instead of body
}

func file(name, body string) ent {
	return ent{name: name, typ: tar.TypeReg, body: body, size: -1, mode: 0o644}
}
func dirE(name string) ent { return ent{name: name, typ: tar.TypeDir, mode: 0o755} }
func symlink(name, target string) ent {
	return ent{name: name, typ: tar.TypeSymlink, link: target, mode: 0o777}
}
func hardlink(name, target string) ent { return ent{name: name, typ: tar.TypeLink, link: target} }

// buildTar writes the entries with archive/tar, bypassing its name checks by
// writing raw headers where needed. The stream is returned unterminated when
// an entry declares more bytes than it carries.
func buildTar(t testing.TB, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		size := e.size
		if size < 0 {
			size = int64(len(e.body))
		}
		if e.typ != tar.TypeReg && e.typ != tar.TypeRegA && e.size < 0 {
			size = 0
		}
		hdr := &tar.Header{
			Typeflag:   e.typ,
			Name:       e.name,
			Linkname:   e.link,
			Size:       size,
			Mode:       e.mode,
			ModTime:    time.Unix(1700000000, 0),
			PAXRecords: e.pax,
			Format:     e.format,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("write header %q: %v", e.name, err)
		}
		if e.rawBytes != nil {
			tw.Flush()
			buf.Write(e.rawBytes)
			return buf.Bytes()
		}
		if size > int64(len(e.body)) {
			// Lying size: write what we have and stop without padding.
			tw.Write([]byte(e.body))
			tw.Flush()
			return buf.Bytes()
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatalf("write body %q: %v", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// breakout is the moby/kubectl-style harness: base/ holds dest/ (the
// extraction directory), victim/hello with unique content and a sibling
// dest-evil/secret (sibling-prefix checks).
type breakout struct {
	base, dest, victim, evil string
	hello                    []byte
	before                   map[string]string // snapshot of everything outside dest
}

func newBreakout(t testing.TB) *breakout {
	t.Helper()
	base := t.TempDir()
	b := &breakout{
		base:   base,
		dest:   filepath.Join(base, "dest"),
		victim: filepath.Join(base, "victim"),
		evil:   filepath.Join(base, "dest-evil"),
		hello:  fmt.Appendf(nil, "victim content %d", time.Now().UnixNano()),
	}
	for _, d := range []string{b.dest, b.victim, b.evil} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(b.victim, "hello"), b.hello, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.evil, "secret"), []byte("sibling secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.before = snapshot(t, base, "dest")
	return b
}

// snapshot lists every path below dir (except the top-level skip entry's
// contents) with its type, mode, size and content hash.
func snapshot(t testing.TB, dir, skip string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == skip {
			m[rel] = "dir"
			return fs.SkipDir
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		desc := fi.Mode().String()
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" %d %x", fi.Size(), sha256.Sum256(data))
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			l, _ := os.Readlink(p)
			desc += " -> " + l
		}
		m[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// check asserts the breakout invariants: everything outside dest unchanged;
// inside dest no symlink, hard link, device, FIFO, socket, s-bit, temp file
// or copy of the victim's bytes. Paths present in preexisting (created by a
// case's setup) are exempt from the type checks. The walk goes through an
// os.Root so that trees deeper than PATH_MAX can be inspected.
func (b *breakout) check(t testing.TB, preexisting map[string]bool) {
	t.Helper()
	after := snapshot(t, b.base, "dest")
	if !mapsEqual(b.before, after) {
		t.Errorf("outside of dest changed:\nbefore %v\nafter  %v", sortedKV(b.before), sortedKV(after))
	}
	if _, err := os.Lstat(filepath.Join(filepath.Dir(b.base), "pwned")); err == nil {
		t.Errorf("pwned appeared beside the test directory")
	}
	root, err := os.OpenRoot(b.dest)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	var walk func(dir string)
	walk = func(dir string) {
		f, err := root.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		names, err := f.Readdirnames(-1)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			p := path.Join(dir, n)
			if preexisting[p] {
				continue
			}
			fi, err := root.Lstat(p)
			if err != nil {
				t.Fatal(err)
			}
			m := fi.Mode()
			switch {
			case m&fs.ModeSymlink != 0, m&fs.ModeDevice != 0, m&fs.ModeNamedPipe != 0, m&fs.ModeSocket != 0:
				t.Errorf("special file in dest: %q %v", p, m)
			case m&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0:
				t.Errorf("s-bit in dest: %q %v", p, m)
			}
			if isTempName(n) {
				t.Errorf("temporary file left: %q", p)
			}
			switch {
			case m.IsDir():
				walk(p)
			case m.IsRegular():
				if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
					t.Errorf("hard link in dest: %q (nlink %d)", p, st.Nlink)
				}
				data, err := root.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Equal(data, b.hello) {
					t.Errorf("dest file %q holds the victim's bytes", p)
				}
			}
		}
	}
	walk(".")
}

var tempNameRE = regexp.MustCompile(`^\.slicer-extract-[0-9a-f]{32}$`)

func isTempName(n string) bool { return tempNameRE.MatchString(n) }

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func sortedKV(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// destTree lists dest's contents as rel -> "d" or file content.
func destTree(t testing.TB, dest string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dest {
			return err
		}
		rel, _ := filepath.Rel(dest, p)
		if d.IsDir() {
			m[rel] = "d"
			return nil
		}
		data, _ := os.ReadFile(p)
		m[rel] = string(data)
		return nil
	})
	return m
}
