package exec

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestBuildCommand(t *testing.T) {
	tests := []struct {
		name     string
		words    []string
		shell    string
		wantCmd  string
		wantArgs []string
	}{
		{"single script verbatim", []string{"ps aux | grep nginx"}, "/bin/bash", "ps aux | grep nginx", nil},
		{"several words quoted", []string{"bash", "-c", "a && b"}, "/bin/bash", "bash -c 'a && b'", nil},
		{"plain words stay readable", []string{"ls", "-la", "/tmp"}, "/bin/bash", "ls -la /tmp", nil},
		{"quote inside", []string{"echo", "it's"}, "/bin/bash", `echo 'it'\''s'`, nil},
		{"empty word", []string{"printf", ""}, "/bin/bash", "printf ''", nil},
		{"direct exec", []string{"/bin/bash", "-n", "/p/s.sh"}, "", "/bin/bash", []string{"-n", "/p/s.sh"}},
		{"direct single", []string{"npm run dev"}, "", "npm run dev", []string{}},
		{"nothing", nil, "/bin/bash", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, args := BuildCommand(tt.words, tt.shell)
			if cmd != tt.wantCmd {
				t.Errorf("cmd = %q, want %q", cmd, tt.wantCmd)
			}
			if len(args) != 0 || len(tt.wantArgs) != 0 {
				if !reflect.DeepEqual(args, tt.wantArgs) {
					t.Errorf("args = %q, want %q", args, tt.wantArgs)
				}
			}
		})
	}
}

func TestShellQuoteSpecials(t *testing.T) {
	for _, s := range []string{"$HOME", "a b", "*", "`x`", "a;b", "\n", "~", "a\"b", "!"} {
		q := ShellQuote(s)
		if !strings.HasPrefix(q, "'") {
			t.Errorf("ShellQuote(%q) = %q, not quoted", s, q)
		}
	}
}

func TestPrefixWriter(t *testing.T) {
	var out bytes.Buffer
	w := NewPrefixWriter(&out, "[vm-1] ")
	_, _ = w.Write([]byte("hel"))
	_, _ = w.Write([]byte("lo\nwor"))
	_, _ = w.Write([]byte("ld\n\npartial"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "[vm-1] hello\n[vm-1] world\n[vm-1] \n[vm-1] partial\n"
	if out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
	if err := w.Flush(); err != nil || out.String() != want {
		t.Fatal("second flush wrote again")
	}
}

func TestPrefixWriterLongLine(t *testing.T) {
	var out bytes.Buffer
	w := NewPrefixWriter(&out, "[a] ")
	_, _ = w.Write(bytes.Repeat([]byte("x"), 70<<10))
	if !strings.HasPrefix(out.String(), "[a] xxx") || !strings.HasSuffix(out.String(), "x\n") {
		t.Fatal("long line not flushed")
	}
}
