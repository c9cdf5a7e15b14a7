//go:build unix

package tarstream

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestExtractToRoot(t *testing.T) {
	top := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(top, "p", "exist"), 0o755))
	writeFile(t, filepath.Join(top, "p", "exist", "old"), "old", 0o644)
	writeFile(t, filepath.Join(top, "p", "file"), "x", 0o644)
	root, err := os.OpenRoot(top)
	must(t, err)
	defer root.Close()
	ctx := context.Background()
	cut := buildTar(t, file("a", "1"), ent{name: "b", typ: tar.TypeReg, body: "cut", size: 100, mode: 0o644})
	unsafe := buildTar(t, file("a", "1"), file("d/b", "2"), file("../esc", "3"))

	// A missing directory appears only when the whole archive succeeded.
	for name, data := range map[string][]byte{"truncated": cut, "unsafe": unsafe} {
		if _, err := ExtractToRoot(ctx, bytes.NewReader(data), root, "p/new", ExtractOptions{}); err == nil {
			t.Fatalf("%s: want error", name)
		}
		if tree := destTree(t, filepath.Join(top, "p")); len(tree) != 3 || tree["file"] == "" {
			t.Fatalf("%s: p holds %v after a failed extraction", name, tree)
		}
	}
	if _, err := os.Stat(filepath.Join(top, "esc")); err == nil {
		t.Fatal("an unsafe entry escaped")
	}
	ctxCancel, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ExtractToRoot(ctxCancel, bytes.NewReader(buildTar(t, file("a", "1"))), root, "p/new", ExtractOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if _, err := os.Stat(filepath.Join(top, "p", "new")); err == nil {
		t.Fatal("a cancelled extraction created the destination")
	}

	// Success: the directory and its contents, nothing beside them.
	res, err := ExtractToRoot(ctx, bytes.NewReader(buildTar(t, file("a", "1"), file("d/b", "2"))), root, "p/new", ExtractOptions{})
	must(t, err)
	if res.Files != 2 {
		t.Errorf("files = %d", res.Files)
	}
	ents, _ := os.ReadDir(filepath.Join(top, "p"))
	if len(ents) != 3 {
		t.Errorf("p holds %d entries after success", len(ents))
	}
	if b, err := os.ReadFile(filepath.Join(top, "p", "new", "d", "b")); err != nil || string(b) != "2" {
		t.Fatalf("extracted file: %q %v", b, err)
	}
	// Directly under the root.
	must2(ExtractToRoot(ctx, bytes.NewReader(buildTar(t, file("a", "1"))), root, "top", ExtractOptions{}))(t)
	if _, err := os.Stat(filepath.Join(top, "top", "a")); err != nil {
		t.Fatal(err)
	}

	// An existing directory keeps the files that completed.
	if _, err := ExtractToRoot(ctx, bytes.NewReader(cut), root, "p/exist", ExtractOptions{}); err == nil {
		t.Fatal("want error")
	}
	if tree := destTree(t, filepath.Join(top, "p", "exist")); len(tree) != 2 {
		t.Fatalf("existing directory holds %v", tree)
	}

	// A file in the way, a missing parent, and a name escaping the root.
	if _, err := ExtractToRoot(ctx, bytes.NewReader(cut), root, "p/file", ExtractOptions{}); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("onto a file: %v", err)
	}
	if _, err := ExtractToRoot(ctx, bytes.NewReader(cut), root, "p/none/new", ExtractOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing parent: %v", err)
	}
	if _, err := ExtractToRoot(ctx, bytes.NewReader(cut), root, "../out", ExtractOptions{}); err == nil {
		t.Error("a name outside the root was accepted")
	}
}

func must2(_ Result, err error) func(*testing.T) {
	return func(t *testing.T) {
		t.Helper()
		must(t, err)
	}
}
