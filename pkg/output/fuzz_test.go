package output

import (
	"strings"
	"testing"
	"unicode"
)

// FuzzSanitizeCell: whatever the daemon sends, a table cell never carries a
// control character to the terminal.
func FuzzSanitizeCell(f *testing.F) {
	for _, s := range []string{"plain", "a\nb", "\x1b[2J", "\u202eevil", "\xff\xfe", "tab\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := SanitizeCell(s)
		for _, r := range got {
			if unicode.IsControl(r) || r == '\u202e' {
				t.Fatalf("SanitizeCell(%q) = %q keeps %U", s, got, r)
			}
		}
		if !strings.ContainsFunc(s, needsEscape) && got != s {
			t.Fatalf("clean text changed: %q -> %q", s, got)
		}
	})
}
