package iostreams

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }
func (l *lockedBuffer) Len() int       { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Len() }

func TestProgressOnlyOnTTY(t *testing.T) {
	s, _, _, errOut := Test()
	p := s.NewProgress("copy", 100)
	if p != nil {
		t.Fatal("progress on a non-terminal stderr")
	}
	// A nil meter is a no-op everywhere.
	r := p.Reader(strings.NewReader("abc"))
	b, _ := io.ReadAll(r)
	p.Add(3)
	p.Finish()
	p.Abort()
	if string(b) != "abc" || errOut.Len() != 0 {
		t.Fatalf("nil meter wrote %q", errOut.String())
	}
	s.SetStderrTTY(true)
	if s.NewProgress("copy", 100) == nil {
		t.Fatal("no progress on a terminal stderr")
	}
}

func TestProgressLine(t *testing.T) {
	var out bytes.Buffer
	now := time.Unix(1000, 0)
	p := NewProgressWriter(&out, "upload", 4<<20)
	p.SetClock(func() time.Time { return now })
	p.Add(0)
	now = now.Add(time.Second)
	p.Add(1 << 20)
	got := p.Line()
	for _, want := range []string{"upload", "1.0 MiB / 4.0 MiB (25%)", "1.0 MiB/s", "ETA 3s"} {
		if !strings.Contains(got, want) {
			t.Errorf("line %q lacks %q", got, want)
		}
	}
	now = now.Add(3 * time.Second)
	p.Add(3 << 20)
	p.Finish()
	s := out.String()
	if !strings.HasPrefix(s, "\r") || !strings.HasSuffix(s, "\n") || !strings.Contains(s, "(100%)") || !strings.Contains(s, "in 4s") {
		t.Fatalf("output %q", s)
	}
	p.Finish()
	if out.String() != s {
		t.Fatal("second Finish drew again")
	}
}

func TestProgressUnknownTotalAndAbort(t *testing.T) {
	var out bytes.Buffer
	now := time.Unix(0, 0)
	p := NewProgressWriter(&out, "", -1)
	p.SetClock(func() time.Time { return now })
	w := p.Writer(io.Discard)
	now = now.Add(time.Second)
	_, _ = w.Write(make([]byte, 2048))
	if l := p.Line(); !strings.HasPrefix(l, "2.0 KiB") || strings.Contains(l, "ETA") {
		t.Fatalf("line %q", l)
	}
	p.Abort()
	if !strings.HasSuffix(out.String(), "\r") {
		t.Fatalf("abort did not clear: %q", out.String())
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 1 << 30: "1.0 GiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
