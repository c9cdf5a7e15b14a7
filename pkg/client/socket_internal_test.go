package client

import (
	"os"
	"path/filepath"
	"testing"
)

func TestNormalizeUnixSocketPath(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home directory")
	}
	cases := []struct {
		in     string
		path   string
		socket bool
	}{
		{"/tmp/slicer.sock", "/tmp/slicer.sock", true},
		{"./slicer.sock", "./slicer.sock", true},
		{"../slicer.sock", "../slicer.sock", true},
		{"slicer.sock", "slicer.sock", true},
		{"~/slicer.sock", filepath.Join(home, "slicer.sock"), true},
		{"unix:///tmp/slicer.sock", "/tmp/slicer.sock", true},
		{"unix://x.sock", "x.sock", true},
		{"unix://~/slicer.sock", filepath.Join(home, "slicer.sock"), true},
		{" /a ", "/a", true},
		{"http://127.0.0.1:8080", "", false},
		{"https://slicer.example.com", "", false},
		{"unix://foo", "", false},
		{"", "", false},
		{"   ", "", false},
		// Deliberate difference (doc.go): an http(s) URL is never a socket.
		{"http://h/x.sock", "", false},
	}
	for _, tc := range cases {
		p, ok := normalizeUnixSocketPath(tc.in)
		if ok != tc.socket || p != tc.path {
			t.Errorf("normalizeUnixSocketPath(%q) = %q, %v; want %q, %v", tc.in, p, ok, tc.path, tc.socket)
		}
	}
}
