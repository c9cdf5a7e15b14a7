package localdaemon

import (
	"path"
	"strings"
	"testing"
)

func TestGuestPath(t *testing.T) {
	for _, tc := range []struct{ in, abs, rel string }{
		{"/etc/passwd", "/etc/passwd", "etc/passwd"},
		{"/", "/", "."},
		{"~", "/home/ubuntu", "home/ubuntu"},
		{"~/a/../b", "/home/ubuntu/b", "home/ubuntu/b"},
		{"rel/x", "/home/ubuntu/rel/x", "home/ubuntu/rel/x"},
		{"/../../etc", "/etc", "etc"},
		{"//a//b/", "/a/b", "a/b"},
		{"../../../x", "/x", "x"},
	} {
		abs, rel, err := guestPath(tc.in, "/home/ubuntu")
		if err != nil || abs != tc.abs || rel != tc.rel {
			t.Errorf("guestPath(%q) = %q %q %v, want %q %q", tc.in, abs, rel, err, tc.abs, tc.rel)
		}
	}
	for _, bad := range []string{"", "a\x00b"} {
		if _, _, err := guestPath(bad, "/home/ubuntu"); err == nil {
			t.Errorf("guestPath(%q) accepted", bad)
		}
	}
}

// FuzzGuestPath: whatever the input, the root-relative name never climbs
// out of the root and is clean.
func FuzzGuestPath(f *testing.F) {
	for _, s := range []string{"/etc/passwd", "~", "~/..", "../../..", "a/../../b", "/./x", "~user", "//", "a\\..\\b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		abs, rel, err := guestPath(p, "/home/ubuntu")
		if err != nil {
			return
		}
		if !strings.HasPrefix(abs, "/") || path.Clean(abs) != abs {
			t.Fatalf("abs %q not clean and absolute", abs)
		}
		if rel != "." && (strings.HasPrefix(rel, "/") || path.Clean(rel) != rel || rel == ".." || strings.HasPrefix(rel, "../")) {
			t.Fatalf("rel %q escapes or is unclean", rel)
		}
	})
}

// FuzzShellFrame: decoding never panics and round-trips what it accepts.
func FuzzShellFrame(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 3, 'l', 's', '\r'})
	f.Add([]byte{2, 0, 0, 0, 8, 0, 0, 0, 120, 0, 0, 0, 40})
	f.Add([]byte{4, 0, 0, 0, 0})
	f.Add([]byte{1, 255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, msg []byte) {
		typ, p, ok := decodeFrame(msg)
		if !ok {
			return
		}
		if got := encodeFrame(typ, p); string(got) != string(msg[:len(got)]) {
			t.Fatalf("round trip %x -> %x", msg, got)
		}
		if typ == frameWindowSize {
			if r, c, ok := windowSize(p); ok && (r == 0 || c == 0) {
				t.Fatal("zero window size accepted")
			}
		}
	})
}

func TestSignalByName(t *testing.T) {
	for in, want := range map[string]string{"TERM": "TERM", "sigkill": "KILL", "SIGUSR1": "USR1", "9": "KILL", " hup ": "HUP"} {
		if _, n, ok := signalByName(in); !ok || n != want {
			t.Errorf("signalByName(%q) = %q %v", in, n, ok)
		}
	}
	for _, bad := range []string{"", "BOGUS", "0", "99", "-1"} {
		if _, _, ok := signalByName(bad); ok {
			t.Errorf("signalByName(%q) accepted", bad)
		}
	}
}

func TestTailFile(t *testing.T) {
	p := t.TempDir() + "/log"
	var b strings.Builder
	for i := 0; i < 5000; i++ {
		b.WriteString("line " + strings.Repeat("x", i%50) + "\n")
	}
	if err := writeFileAtomic(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := tailFile(p, 3)
	want := strings.Join(strings.Split(b.String(), "\n")[4997:5000], "\n") + "\n"
	if err != nil || got != want {
		t.Fatalf("tail 3 = %q, want %q (%v)", got, want, err)
	}
	all, _ := tailFile(p, 0)
	if all != b.String() {
		t.Fatal("lines=0 is not the whole file")
	}
	big, _ := tailFile(p, 100000)
	if big != b.String() {
		t.Fatal("more lines than the file has")
	}
}

func TestValidProxyHost(t *testing.T) {
	for _, ok := range []string{"*", "api.github.com", "*.github.com", "localhost", "10.0.0.1"} {
		if !validProxyHost(ok) {
			t.Errorf("%q rejected", ok)
		}
	}
	for _, bad := range []string{"", "*.", "a..b", "-a.com", "a/b", "*.*.com", "a b"} {
		if validProxyHost(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}
