package cp

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/slicer-cli/slicer/pkg/tarstream"
)

func TestParseLocation(t *testing.T) {
	tests := []struct {
		in   string
		want Location
	}{
		{"vm-1:/etc/hosts", Location{VM: "vm-1", Path: "/etc/hosts"}},
		{"papermaking:~/guide.html", Location{VM: "papermaking", Path: "~/guide.html"}},
		{"vm-1:", Location{VM: "vm-1", Path: "~"}},
		{"vm-1:rel/x", Location{VM: "vm-1", Path: "rel/x"}},
		{"./a:b", Location{Path: "./a:b"}},
		{"/tmp/a:b", Location{Path: "/tmp/a:b"}},
		{"~/x:y", Location{Path: "~/x:y"}},
		{"dir/a:b", Location{Path: "dir/a:b"}},
		{"file.txt", Location{Path: "file.txt"}},
		{"-", Location{Stdio: true}},
	}
	for _, tt := range tests {
		got, err := ParseLocation(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseLocation(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	if _, err := ParseLocation(""); err == nil {
		t.Error("empty accepted")
	}
}

func TestParseArgs(t *testing.T) {
	bad := [][2]string{{"a", "b"}, {"vm:a", "vm:b"}, {"-", "-"}, {"-", "./x"}}
	for _, b := range bad {
		if _, _, err := ParseArgs(b[0], b[1]); err == nil {
			t.Errorf("ParseArgs(%q, %q) accepted", b[0], b[1])
		}
	}
	for _, g := range [][2]string{{"./f", "vm:/f"}, {"vm:/f", "."}, {"-", "vm:/d"}, {"vm:/d", "-"}} {
		if _, _, err := ParseArgs(g[0], g[1]); err != nil {
			t.Errorf("ParseArgs(%q, %q): %v", g[0], g[1], err)
		}
	}
}

func TestCopyContentsAndBase(t *testing.T) {
	for p, want := range map[string]bool{"/a/.": true, "/a/./": true, "/": true, ".": true, "/a": false, "a/b/": false, "~": false} {
		if got := CopyContents(p); got != want {
			t.Errorf("CopyContents(%q) = %v", p, got)
		}
	}
	for p, want := range map[string]string{"/a/b": "b", "/a/b/": "b", "~": "~", "~/x": "x", "/": ""} {
		if got := RemoteBase(p); got != want {
			t.Errorf("RemoteBase(%q) = %q, want %q", p, got, want)
		}
	}
	if JoinRemote("~", "f") != "~/f" || JoinRemote("/tmp/", "f") != "/tmp/f" {
		t.Error("JoinRemote")
	}
}

func TestParseIgnore(t *testing.T) {
	in := "# comment\n\nnode_modules/\n*.log  \n/build\ndocs/tmp\n**/cache\n!keep.log\n\\#hash\n"
	pats, warns, err := ParseIgnore(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"node_modules", "**/node_modules/**",
		"*.log", "**/*.log/**",
		"build", "build/**",
		"docs/tmp", "docs/tmp/**",
		"cache", "**/cache/**",
		"#hash", "**/#hash/**",
	}
	if !reflect.DeepEqual(pats, want) {
		t.Fatalf("patterns %q\nwant %q", pats, want)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "!keep.log") {
		t.Fatalf("warnings %q", warns)
	}
	excluded := []string{"node_modules", "a/node_modules/x.js", "x.log", "a/b/x.log", "build/out", "docs/tmp/a", "a/cache/b"}
	kept := []string{"src/build/out", "a/docs/tmp", "main.go", "logs/x"}
	for _, p := range excluded {
		if !tarstream.Excluded(p, pats) {
			t.Errorf("%q not excluded", p)
		}
	}
	for _, p := range kept {
		if tarstream.Excluded(p, pats) {
			t.Errorf("%q excluded", p)
		}
	}
}

func TestReadIgnoreFile(t *testing.T) {
	dir := t.TempDir()
	pats, _, err := ReadIgnoreFile(dir)
	if err != nil || pats != nil {
		t.Fatalf("missing file: %v %v", pats, err)
	}
	if err := os.WriteFile(filepath.Join(dir, IgnoreFile), []byte("*.tmp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pats, _, err = ReadIgnoreFile(dir)
	if err != nil || len(pats) != 2 {
		t.Fatalf("%v %v", pats, err)
	}
}
