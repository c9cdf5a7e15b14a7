package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The generated reference includes the help topics (the exit-code table
// in particular), not only the runnable commands.
func TestRunWritesHelpTopics(t *testing.T) {
	out := t.TempDir()
	if err := run(out); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(out, "cli", "slicer_exit-codes.md"), "124"},
		{filepath.Join(out, "cli", "slicer_environment.md"), "SLICER_TOKEN_FILE"},
		{filepath.Join(out, "cli", "slicer_formatting.md"), "--jq"},
		{filepath.Join(out, "man", "slicer-exit-codes.1"), "124"},
		{filepath.Join(out, "cli", "slicer_vm_list.md"), "slicer vm list"},
	} {
		data, err := os.ReadFile(tc.path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if !strings.Contains(string(data), tc.want) {
			t.Errorf("%s lacks %q", tc.path, tc.want)
		}
	}
	// `make docs` must leave no diff: no generation date in the header.
	man, err := os.ReadFile(filepath.Join(out, "man", "slicer-exit-codes.1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(man), "\n") {
		if strings.HasPrefix(l, ".TH ") && regexp.MustCompile(`[A-Z][a-z]{2} [0-9]{4}`).MatchString(l) {
			t.Errorf("man page header carries a date: %q", l)
		}
	}
}
