package e2e

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/creack/pty"
)

// TestListPTY runs `slicer vm list` on a narrow terminal: the creation time
// shows as an age and long cells are cut so lines fit, while piped output
// keeps the timestamp and every cell whole.
func TestListPTY(t *testing.T) {
	bin, env := guestEnv(t)
	tags := "team=payments-platform-infrastructure,owner=someone-with-a-long-name"
	slicer(t, bin, env, nil, "vm", "add", "--name", "box",
		"--tag", "team=payments-platform-infrastructure", "--tag", "owner=someone-with-a-long-name", "--wait")

	const cols = 80
	p := startPTY(t, bin, env, "vm", "list")
	if err := pty.Setsize(p.ptmx, &pty.Winsize{Rows: 24, Cols: cols}); err != nil {
		t.Fatal(err)
	}
	p.start("")
	p.expect("box")
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d; output:\n%q", code, p.output())
	}
	out := strings.ReplaceAll(p.output(), "\r\n", "\n")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want a header, dashes and one row, got:\n%s", out)
	}
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > cols {
			t.Errorf("line of %d characters on a %d-column terminal: %q", n, cols, l)
		}
	}
	row := lines[2]
	if !regexp.MustCompile(`  (just now|\d+ seconds? ago|1 minute ago)  `).MatchString(row) {
		t.Errorf("no age in the CREATED column: %q", row)
	}
	if !strings.HasPrefix(row, "vm-1  ") || !strings.Contains(row, "…") || strings.Contains(row, tags) {
		t.Errorf("want the hostname whole and the tags cut: %q", row)
	}

	piped := slicer(t, bin, env, nil, "vm", "list")
	if !strings.Contains(piped, tags) || strings.Contains(piped, "ago") || strings.Contains(piped, "…") {
		t.Errorf("piped output changed:\n%s", piped)
	}
	if !regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`).MatchString(piped) {
		t.Errorf("piped output has no timestamp:\n%s", piped)
	}
}
