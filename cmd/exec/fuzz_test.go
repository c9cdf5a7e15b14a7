package exec

import (
	"bytes"
	"strings"
	"testing"
)

// unquote reverses ShellQuote's output format (bare word, or single quotes
// with quote-backslash-quote-quote for an embedded quote); ok is false otherwise.
func unquote(q string) (string, bool) {
	if !strings.HasPrefix(q, "'") {
		for _, r := range q {
			if !isSafeRune(r) {
				return "", false
			}
		}
		return q, q != ""
	}
	if len(q) < 2 || !strings.HasSuffix(q, "'") {
		return "", false
	}
	parts := strings.Split(q[1:len(q)-1], `'\''`)
	for _, p := range parts {
		if strings.Contains(p, "'") {
			return "", false
		}
	}
	return strings.Join(parts, "'"), true
}

func FuzzShellQuote(f *testing.F) {
	for _, s := range []string{"", "a", "a b", "it's", "'", "''", `\'`, "$(x)", "a\nb", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := ShellQuote(s)
		got, ok := unquote(q)
		if !ok || got != s {
			t.Fatalf("ShellQuote(%q) = %q, which reads back as %q (%v)", s, q, got, ok)
		}
	})
}

func FuzzMarkerFilter(f *testing.F) {
	f.Add([]byte("noise"+oscStart+"out\r\n"+oscExit+"7"+oscEnd+"tail"), uint8(3))
	f.Add([]byte(oscStart+"\x1b]6973;slicer-ex"+oscExit+"0"+oscEnd), uint8(1))
	f.Add([]byte("\x1b\x1b\x1b"), uint8(2))
	f.Fuzz(func(t *testing.T, stream []byte, chunk uint8) {
		size := int(chunk)%16 + 1
		var whole, parts bytes.Buffer
		a := &markerFilter{w: &whole}
		_, _ = a.Write(stream)
		b := &markerFilter{w: &parts}
		for i := 0; i < len(stream); i += size {
			_, _ = b.Write(stream[i:min(i+size, len(stream))])
		}
		ca, oka := a.result()
		cb, okb := b.result()
		if ca != cb || oka != okb {
			t.Fatalf("status differs by chunking: %d/%v vs %d/%v", ca, oka, cb, okb)
		}
		// Output of a split stream may lag (a held-back partial marker) but
		// once the exit marker is seen both must agree exactly.
		if oka && whole.String() != parts.String() {
			t.Fatalf("output differs by chunking: %q vs %q", whole.String(), parts.String())
		}
		if !bytes.Contains(stream, []byte(oscStart)) && whole.Len() != 0 {
			t.Fatalf("output before the start marker leaked: %q", whole.String())
		}
	})
}

func FuzzPrefixWriter(f *testing.F) {
	f.Add([]byte("a\nb\n\nc"), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		size := int(chunk)%8 + 1
		var out bytes.Buffer
		w := NewPrefixWriter(&out, "[x] ")
		for i := 0; i < len(data); i += size {
			_, _ = w.Write(data[i:min(i+size, len(data))])
		}
		_ = w.Flush()
		if len(data) == 0 {
			if out.Len() != 0 {
				t.Fatalf("output for no input: %q", out.String())
			}
			return
		}
		want := data
		if want[len(want)-1] != '\n' {
			want = append(append([]byte(nil), want...), '\n')
		}
		var rebuilt []byte
		for _, line := range bytes.SplitAfter(out.Bytes(), []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			if !bytes.HasPrefix(line, []byte("[x] ")) {
				t.Fatalf("line without prefix: %q", line)
			}
			rebuilt = append(rebuilt, line[4:]...)
		}
		if !bytes.Equal(rebuilt, want) && len(data) < 64<<10 {
			t.Fatalf("content changed: %q -> %q", data, rebuilt)
		}
	})
}
