//go:build unix

package tarstream

import (
	"archive/tar"
	"bytes"
	"context"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzExtract feeds raw bytes to the extractor. Invariants: no panic,
// nothing outside dest changes, no special file, s-bit or temporary file in
// dest, bounded output.
func FuzzExtract(f *testing.F) {
	for _, tc := range corpus() {
		if tc.raw != "" || tc.setup != nil || strings.HasPrefix(tc.name, "deep") || strings.HasPrefix(tc.name, "very-long") {
			continue
		}
		f.Add(buildTar(f, tc.ents...))
	}
	f.Add([]byte{})
	f.Add(make([]byte, 1024))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := newBreakout(t)
		_, _ = ExtractToDir(context.Background(), bytes.NewReader(data), b.dest, ExtractOptions{MaxTotalSize: 8 << 20})
		b.check(t, nil)
	})
}

// FuzzExtractHeaders builds a two-entry archive from fuzzed header fields
// (the structured variant: the raw fuzzer rarely produces valid headers).
func FuzzExtractHeaders(f *testing.F) {
	f.Add("loophole", byte(tar.TypeSymlink), "../victim", "loophole/file", byte(tar.TypeReg), "", int64(0o644), "data")
	f.Add("inner/go_up", byte(tar.TypeSymlink), "..", "inner/go_up/../victim/x", byte(tar.TypeReg), "", int64(0o6777), "x")
	f.Add("grab", byte(tar.TypeLink), "../dest-evil/secret", "grab", byte(tar.TypeReg), "", int64(0o644), "x")
	f.Add("x/", byte(tar.TypeDir), "", "x", byte(tar.TypeReg), "", int64(0o644), "x")
	f.Add("a", byte(tar.TypeReg), "", "../a", byte(tar.TypeReg), "", int64(0o644), "x")
	f.Add("null", byte(tar.TypeChar), "", "/etc/pwned", byte(tar.TypeReg), "", int64(0o644), "x")
	f.Fuzz(func(t *testing.T, n1 string, t1 byte, l1 string, n2 string, t2 byte, l2 string, mode int64, body string) {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, h := range []*tar.Header{
			{Name: n1, Typeflag: t1, Linkname: l1, Mode: mode & 0o7777},
			{Name: n2, Typeflag: t2, Linkname: l2, Mode: mode & 0o7777, Size: int64(len(body))},
		} {
			if h.Typeflag != tar.TypeReg {
				h.Size = 0
			}
			if err := tw.WriteHeader(h); err != nil {
				return
			}
			if h.Size > 0 {
				tw.Write([]byte(body))
			}
		}
		tw.Close()
		b := newBreakout(t)
		_, _ = ExtractToDir(context.Background(), &buf, b.dest, ExtractOptions{MaxTotalSize: 1 << 20})
		b.check(t, nil)
	})
}

// FuzzValidRelPath checks that every accepted name stays inside a
// destination when joined to it, and that ValidRelPath never panics.
func FuzzValidRelPath(f *testing.F) {
	for _, s := range []string{"a", "a/b", "..", "../a", "a/..", "./a", "a//b", "/a", "", `..\x`, "a\x00", "a/./b", "a/.../b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if !ValidRelPath(p) {
			return
		}
		if !filepath.IsLocal(filepath.FromSlash(p)) {
			t.Fatalf("ValidRelPath(%q) but not filepath.IsLocal", p)
		}
		if path.Clean(p) != p || strings.HasPrefix(p, "/") {
			t.Fatalf("ValidRelPath(%q) accepted an unclean name", p)
		}
		for seg := range strings.SplitSeq(p, "/") {
			if seg == ".." || seg == "." || seg == "" {
				t.Fatalf("ValidRelPath(%q) accepted segment %q", p, seg)
			}
		}
		joined := filepath.Join("/dest", p)
		if !strings.HasPrefix(joined, "/dest/") {
			t.Fatalf("%q joins to %q", p, joined)
		}
	})
}
