package output

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// Column describes one table column. Wide columns appear only with -o wide.
type Column struct {
	Header string
	Wide   bool
	// Color, when set, decorates cells on a colour terminal (never changes
	// the text).
	Color func(cell string) string
	// Age marks a column of times (cells from FormatTime, or RFC 3339): on
	// a terminal each shows how long ago it was ("5 minutes ago", or "in
	// 2 hours" for a future time); piped output keeps the timestamp.
	Age bool
	// Truncate marks free text (tags, a command line) that may be cut,
	// ending in "…", when the table is wider than the terminal. Columns
	// without it are never cut.
	Truncate bool
}

// TimeLayout is how FormatTime writes a time: local, to the second, no zone.
const TimeLayout = "2006-01-02 15:04:05"

// FormatTime writes t for a table cell in TimeLayout, or "-" when t is zero.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(TimeLayout)
}

// timeNow is the clock relative ages are measured against (tests set it).
var timeNow = time.Now

// parseCellTime reads a cell written by FormatTime or as RFC 3339.
func parseCellTime(s string) (time.Time, bool) {
	if t, err := time.ParseInLocation(TimeLayout, s, time.Local); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// Ago describes how far t lies from now in words, the way a person would
// say it: "just now", "45 seconds ago", "1 minute ago", "3 hours ago",
// "2 days ago", "3 weeks ago", "5 months ago", "2 years ago", or "in 10
// minutes" for a time ahead of now.
func Ago(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	if d < time.Second {
		return "just now"
	}
	var n int
	var unit string
	switch day := 24 * time.Hour; {
	case d < time.Minute:
		n, unit = int(d/time.Second), "second"
	case d < time.Hour:
		n, unit = int(d/time.Minute), "minute"
	case d < day:
		n, unit = int(d/time.Hour), "hour"
	case d < 14*day:
		n, unit = int(d/day), "day"
	case d < 60*day:
		n, unit = int(d/(7*day)), "week"
	case d < 365*day:
		n, unit = int(d/(30*day)), "month"
	default:
		n, unit = int(d/(365*day)), "year"
	}
	if n != 1 {
		unit += "s"
	}
	if future {
		return fmt.Sprintf("in %d %s", n, unit)
	}
	return fmt.Sprintf("%d %s ago", n, unit)
}

// TableWriter collects rows and renders them in the vendor layout: an
// ALL-CAPS header line, a line of dashes as long as each header, then rows;
// columns separated by at least two spaces.
//
// On a terminal the decoration changes, never the columns: colour, relative
// ages in Age columns, and cells of Truncate columns cut (ending in "…") so
// that lines fit the terminal's width; headers stay whole.
type TableWriter struct {
	NoHeaders bool

	ios   *iostreams.IOStreams
	w     io.Writer
	wide  bool
	color bool
	tty   bool
	width int // the terminal's, when tty
	cols  []Column
	rows  [][]string
}

// NewTable returns a table writing to ios.Out.
func NewTable(ios *iostreams.IOStreams, wide bool) *TableWriter {
	t := &TableWriter{ios: ios, w: ios.Out, wide: wide, color: ios.ColorEnabled(), tty: ios.IsStdoutTTY()}
	if t.tty {
		t.width = ios.TerminalWidth()
	}
	return t
}

// Wide reports whether wide columns are shown.
func (t *TableWriter) Wide() bool { return t.wide }

// TTY reports whether the table goes to a terminal.
func (t *TableWriter) TTY() bool { return t.tty }

// SetColumns sets the columns. Headers are given in capitals (the vendor's
// vm top keeps a lower-case unit, as in NET_RX/s).
func (t *TableWriter) SetColumns(cols ...Column) {
	t.cols = cols
}

// AddRow adds one row with a cell for every column (wide ones included).
func (t *TableWriter) AddRow(cells ...string) {
	row := make([]string, len(t.cols))
	for i := range row {
		if i < len(cells) {
			row[i] = SanitizeCell(cells[i])
		}
	}
	t.rows = append(t.rows, row)
}

// Render writes the table.
func (t *TableWriter) Render() error {
	var idx []int
	for i, c := range t.cols {
		if !c.Wide || t.wide {
			idx = append(idx, i)
		}
	}
	rows := t.rows
	if t.tty {
		rows = t.ages(idx)
	}
	widths := make([]int, len(t.cols))
	for _, i := range idx {
		if !t.NoHeaders {
			widths[i] = utf8.RuneCountInString(t.cols[i].Header)
		}
		for _, r := range rows {
			if n := utf8.RuneCountInString(r[i]); n > widths[i] {
				widths[i] = n
			}
		}
	}
	if t.tty && t.width > 0 {
		rows = t.fit(idx, widths, rows)
	}
	var b strings.Builder
	line := func(cells []string, decorate func(i int, s string) string) {
		var l strings.Builder
		for k, i := range idx {
			cell := cells[i]
			pad := ""
			if k < len(idx)-1 {
				pad = strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell)+2)
			}
			if decorate != nil && cell != "" {
				cell = decorate(i, cell)
			}
			l.WriteString(cell)
			l.WriteString(pad)
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
	if !t.NoHeaders {
		headers := make([]string, len(t.cols))
		dashes := make([]string, len(t.cols))
		for _, i := range idx {
			headers[i] = t.cols[i].Header
			dashes[i] = strings.Repeat("-", utf8.RuneCountInString(t.cols[i].Header))
		}
		var bold func(int, string) string
		if t.color {
			bold = func(_ int, s string) string { return "\x1b[1m" + s + "\x1b[0m" }
		}
		line(headers, bold)
		line(dashes, nil)
	}
	var colorize func(int, string) string
	if t.color {
		colorize = func(i int, s string) string {
			if t.cols[i].Color != nil {
				return t.cols[i].Color(s)
			}
			return s
		}
	}
	for _, r := range rows {
		line(r, colorize)
	}
	_, err := io.WriteString(t.w, b.String())
	return err
}

// ages returns the rows with the cells of Age columns as relative ages.
func (t *TableWriter) ages(idx []int) [][]string {
	var age []int
	for _, i := range idx {
		if t.cols[i].Age {
			age = append(age, i)
		}
	}
	if len(age) == 0 {
		return t.rows
	}
	now := timeNow()
	out := make([][]string, len(t.rows))
	for k, r := range t.rows {
		r = slices.Clone(r)
		for _, i := range age {
			if tm, ok := parseCellTime(r[i]); ok {
				r[i] = Ago(tm, now)
			}
		}
		out[k] = r
	}
	return out
}

// minCutWidth is the narrowest a cut column gets (unless its header is
// wider): a few characters of each cell still tell rows apart.
const minCutWidth = 8

// fit narrows Truncate columns until a line fits the terminal's width,
// taking from the widest of them each time, never below minCutWidth or the
// header. It updates widths and returns the rows with cut cells ending in
// "…". When nothing can be narrowed further, lines stay longer than the
// terminal.
func (t *TableWriter) fit(idx []int, widths []int, rows [][]string) [][]string {
	total := 0
	var cut []int
	for _, i := range idx {
		total += widths[i]
		if t.cols[i].Truncate {
			cut = append(cut, i)
		}
	}
	total += 2 * (len(idx) - 1)
	if total <= t.width || len(cut) == 0 {
		return rows
	}
	floor := make([]int, len(widths))
	for _, i := range cut {
		floor[i] = min(widths[i], minCutWidth)
		if !t.NoHeaders {
			floor[i] = max(floor[i], utf8.RuneCountInString(t.cols[i].Header))
		}
	}
	for total > t.width {
		widest := -1
		for _, i := range cut {
			if widths[i] > floor[i] && (widest < 0 || widths[i] > widths[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			break
		}
		widths[widest]--
		total--
	}
	out := make([][]string, len(rows))
	for k, r := range rows {
		var c []string
		for _, i := range cut {
			if utf8.RuneCountInString(r[i]) > widths[i] {
				if c == nil {
					c = slices.Clone(r)
				}
				c[i] = string([]rune(r[i])[:widths[i]-1]) + "…"
			}
		}
		if c == nil {
			c = r
		}
		out[k] = c
	}
	return out
}

// SanitizeCell makes server text safe for one table cell: control
// characters (escape sequences, newlines, tabs) become visible escapes so
// they can neither move the cursor nor break the row layout.
func SanitizeCell(s string) string {
	if !strings.ContainsFunc(s, needsEscape) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if needsEscape(r) {
			fmt.Fprintf(&b, "%s", escapeRune(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func needsEscape(r rune) bool {
	return r == utf8.RuneError || unicode.IsControl(r) || r == '\u2028' || r == '\u2029' ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

func escapeRune(r rune) string {
	switch r {
	case '\n':
		return `\n`
	case '\t':
		return `\t`
	case '\r':
		return `\r`
	}
	if r < 0x100 {
		return fmt.Sprintf(`\x%02x`, r)
	}
	return fmt.Sprintf(`\u%04x`, r)
}

// SafeText escapes control characters in server text bound for a
// terminal, keeping newlines and tabs. Off a terminal, the text is
// returned unchanged so pipes get the exact bytes.
func SafeText(ios *iostreams.IOStreams, s string) string {
	if !ios.IsStdoutTTY() {
		return s
	}
	return EscapeControl(s)
}

// EscapeControl escapes control and bidi characters in s as \xNN or
// \uNNNN, keeping newlines and tabs: for text from the daemon (such as
// error messages) printed where a terminal would interpret it.
func EscapeControl(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r != '\n' && r != '\t' && needsEscape(r) }) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r != '\n' && r != '\t' && needsEscape(r) {
			b.WriteString(escapeRune(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Green, Yellow, Red and Bold wrap s in ANSI colour.
func Green(s string) string  { return "\x1b[32m" + s + "\x1b[0m" }
func Yellow(s string) string { return "\x1b[33m" + s + "\x1b[0m" }
func Red(s string) string    { return "\x1b[31m" + s + "\x1b[0m" }
func Bold(s string) string   { return "\x1b[1m" + s + "\x1b[0m" }

// StatusColor colours VM status words.
func StatusColor(s string) string {
	switch strings.ToLower(s) {
	case "running":
		return Green(s)
	case "paused":
		return Yellow(s)
	case "stopped":
		return Red(s)
	}
	return s
}
