package output

import (
	"fmt"
	"io"
	"strings"
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
}

// TableWriter collects rows and renders them in the vendor layout: an
// ALL-CAPS header line, a line of dashes as long as each header, then rows;
// columns separated by at least two spaces.
type TableWriter struct {
	NoHeaders bool

	ios   *iostreams.IOStreams
	w     io.Writer
	wide  bool
	color bool
	tty   bool
	cols  []Column
	rows  [][]string
}

// NewTable returns a table writing to ios.Out.
func NewTable(ios *iostreams.IOStreams, wide bool) *TableWriter {
	return &TableWriter{ios: ios, w: ios.Out, wide: wide, color: ios.ColorEnabled(), tty: ios.IsStdoutTTY()}
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
	widths := make([]int, len(t.cols))
	for _, i := range idx {
		if !t.NoHeaders {
			widths[i] = utf8.RuneCountInString(t.cols[i].Header)
		}
		for _, r := range t.rows {
			if n := utf8.RuneCountInString(r[i]); n > widths[i] {
				widths[i] = n
			}
		}
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
	for _, r := range t.rows {
		line(r, colorize)
	}
	_, err := io.WriteString(t.w, b.String())
	return err
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
