package output

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slicer-cli/slicer/pkg/iostreams"
)

func TestAgo(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, tt := range []struct {
		d    time.Duration // how long before now
		want string
	}{
		{0, "just now"},
		{999 * time.Millisecond, "just now"},
		{time.Second, "1 second ago"},
		{59 * time.Second, "59 seconds ago"},
		{time.Minute, "1 minute ago"},
		{61 * time.Minute, "1 hour ago"},
		{23*time.Hour + 59*time.Minute, "23 hours ago"},
		{day, "1 day ago"},
		{13 * day, "13 days ago"},
		{14 * day, "2 weeks ago"},
		{59 * day, "8 weeks ago"},
		{60 * day, "2 months ago"},
		{364 * day, "12 months ago"},
		{365 * day, "1 year ago"},
		{3 * 365 * day, "3 years ago"},
		{-time.Second, "in 1 second"},
		{-10 * time.Minute, "in 10 minutes"},
		{-2 * 365 * day, "in 2 years"},
	} {
		if got := Ago(now.Add(-tt.d), now); got != tt.want {
			t.Errorf("Ago(now-%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// table renders cols and rows as a terminal of the given width would get
// them (width 0: piped).
func table(t *testing.T, width int, cols []Column, rows ...[]string) string {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(width > 0)
	ios.Getenv = func(k string) string { // no colour: the text is what is checked
		if k == "NO_COLOR" {
			return "1"
		}
		return ""
	}
	tw := NewTable(ios, false)
	tw.width = width
	tw.SetColumns(cols...)
	for _, r := range rows {
		tw.AddRow(r...)
	}
	if err := tw.Render(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestTableAges(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.Local)
	old := timeNow
	timeNow = func() time.Time { return now }
	t.Cleanup(func() { timeNow = old })

	cols := []Column{{Header: "NAME"}, {Header: "CREATED", Age: true}, {Header: "NOTE"}}
	rows := [][]string{
		{"a", FormatTime(now.Add(-90 * time.Minute)), FormatTime(now)},
		{"b", now.Add(-3 * 24 * time.Hour).UTC().Format(time.RFC3339), "x"},
		{"c", FormatTime(time.Time{}), "x"},
		{"d", "not a time", "x"},
	}
	got := table(t, 200, cols, rows...)
	want := "NAME  CREATED     NOTE\n" +
		"----  -------     ----\n" +
		"a     1 hour ago  " + FormatTime(now) + "\n" + // only Age columns change
		"b     3 days ago  x\n" +
		"c     -           x\n" +
		"d     not a time  x\n"
	if got != want {
		t.Errorf("terminal:\n%s\nwant:\n%s", got, want)
	}
	// Piped output keeps the timestamps.
	piped := table(t, 0, cols, rows...)
	if !strings.Contains(piped, rows[0][1]) || !strings.Contains(piped, rows[1][1]) || strings.Contains(piped, "ago") {
		t.Errorf("piped output changed the times:\n%s", piped)
	}
}

func TestTableFitsTerminal(t *testing.T) {
	cols := []Column{{Header: "HOSTNAME"}, {Header: "STATUS"}, {Header: "TAGS", Truncate: true}, {Header: "COMMAND", Truncate: true}}
	rows := [][]string{
		{"a-rather-long-vm-name", "Running", "env=production,team=payments,tier=1", "python3 -m http.server 8080 --bind 127.0.0.1"},
		{"vm-2", "Paused", "", "sleep 100"},
	}
	full := table(t, 500, cols, rows...)
	if strings.Contains(full, "…") {
		t.Fatalf("cut although the terminal is wide enough:\n%s", full)
	}
	if piped := table(t, 0, cols, rows...); piped != full {
		t.Errorf("piped output differs from a wide terminal's:\n%s\n%s", piped, full)
	}

	got := table(t, 60, cols, rows...)
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines:\n%s", len(lines), got)
	}
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > 60 {
			t.Errorf("line of %d characters on a 60-column terminal: %q", n, l)
		}
	}
	for _, h := range []string{"HOSTNAME", "STATUS", "TAGS", "COMMAND"} {
		if !strings.Contains(lines[0], h) {
			t.Errorf("header %s was cut: %q", h, lines[0])
		}
	}
	if !strings.HasPrefix(lines[2], "a-rather-long-vm-name  Running  ") {
		t.Errorf("a column without Truncate was cut: %q", lines[2])
	}
	if !strings.Contains(lines[2], "env=prod") || !strings.Contains(lines[2], "python3 -m") || strings.Count(lines[2], "…") != 2 {
		t.Errorf("want both long cells cut with …: %q", lines[2])
	}
	if !strings.Contains(lines[3], "sleep 100") {
		t.Errorf("a short cell was cut: %q", lines[3])
	}

	// Too narrow for even the floor: cells stop at 8 characters (or their
	// header), and the line stays longer than the terminal.
	got = table(t, 20, cols, rows...)
	lines = strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if !strings.HasPrefix(lines[2], "a-rather-long-vm-name  Running  env=pro…  python3…") {
		t.Errorf("narrowest layout: %q", lines[2])
	}
}
