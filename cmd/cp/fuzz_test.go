package cp

import (
	"strings"
	"testing"
)

func FuzzParseLocation(f *testing.F) {
	for _, s := range []string{"vm-1:/etc/hosts", "./a:b", "-", "vm:", "~/x:y", "a", ":", "a:b:c", "/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		loc, err := ParseLocation(s)
		if err != nil {
			if s != "" {
				t.Fatalf("ParseLocation(%q): %v", s, err)
			}
			return
		}
		if loc.IsRemote() {
			if strings.Contains(loc.VM, "/") || strings.Contains(loc.VM, ":") || loc.Path == "" {
				t.Fatalf("ParseLocation(%q) = %+v", s, loc)
			}
			again, err := ParseLocation(loc.String())
			if err != nil || again != loc {
				t.Fatalf("%q -> %+v -> %q -> %+v", s, loc, loc.String(), again)
			}
		} else if !loc.Stdio && loc.Path != s {
			t.Fatalf("local path changed: %q -> %q", s, loc.Path)
		}
	})
}

func FuzzParseIgnore(f *testing.F) {
	f.Add("node_modules/\n*.log\n/build\n!keep\n\\#x\n  \n# c\n")
	f.Fuzz(func(t *testing.T, in string) {
		pats, _, err := ParseIgnore(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, p := range pats {
			if p == "" || strings.HasPrefix(p, "/") {
				t.Fatalf("bad pattern %q from %q", p, in)
			}
		}
	})
}
