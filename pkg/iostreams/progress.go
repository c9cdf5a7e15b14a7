package iostreams

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Progress draws a one-line transfer meter (bytes, rate and, when the total
// is known, percentage and ETA) on stderr. It draws only when stderr is a
// terminal; otherwise every method is a no-op, so piped output and logs
// never see carriage returns. It redraws at most every interval, from the
// goroutine doing the transfer: there is no background goroutine to leak.
type Progress struct {
	w        io.Writer
	label    string
	total    int64 // < 0 when unknown
	interval time.Duration
	now      func() time.Time

	mu       sync.Mutex
	done     int64
	start    time.Time
	lastDraw time.Time
	lastLen  int
	finished bool
}

// NewProgress returns a meter for a transfer of total bytes (-1 when
// unknown) labelled label, drawing on the streams' stderr when it is a
// terminal, and a no-op meter otherwise.
func (s *IOStreams) NewProgress(label string, total int64) *Progress {
	if !s.IsStderrTTY() {
		return nil
	}
	return NewProgressWriter(s.ErrOut, label, total)
}

// NewProgressWriter returns a meter that draws on w unconditionally (tests,
// or callers that have checked for a terminal themselves).
func NewProgressWriter(w io.Writer, label string, total int64) *Progress {
	return &Progress{
		w:        w,
		label:    label,
		total:    total,
		interval: 200 * time.Millisecond,
		now:      time.Now,
	}
}

// SetClock replaces the clock (tests).
func (p *Progress) SetClock(now func() time.Time) {
	if p != nil {
		p.now = now
	}
}

// Add records n more bytes transferred and redraws if the interval passed.
func (p *Progress) Add(n int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.start.IsZero() {
		p.start = now
	}
	p.done += n
	if p.finished || now.Sub(p.lastDraw) < p.interval {
		return
	}
	p.lastDraw = now
	p.draw(now, false)
}

// Finish draws the final state and ends the line. Safe to call twice.
func (p *Progress) Finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.finished = true
	now := p.now()
	if p.start.IsZero() {
		p.start = now
	}
	p.draw(now, true)
	fmt.Fprint(p.w, "\n")
}

// Abort clears the line without a final summary (the transfer failed; the
// error says why).
func (p *Progress) Abort() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.finished = true
	if p.lastLen > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.lastLen))
	}
}

// Line renders the meter as text (without carriage return): for tests and
// for callers that print a summary.
func (p *Progress) Line() string {
	if p == nil {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.line(p.now(), false)
}

func (p *Progress) draw(now time.Time, final bool) {
	s := p.line(now, final)
	pad := ""
	if n := p.lastLen - len(s); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	p.lastLen = len(s)
	fmt.Fprintf(p.w, "\r%s%s", s, pad)
}

func (p *Progress) line(now time.Time, final bool) string {
	elapsed := now.Sub(p.start)
	var rate float64
	if elapsed > 0 {
		rate = float64(p.done) / elapsed.Seconds()
	}
	var b strings.Builder
	if p.label != "" {
		b.WriteString(p.label)
		b.WriteString(" ")
	}
	if p.total >= 0 {
		pct := 100.0
		if p.total > 0 {
			pct = float64(p.done) * 100 / float64(p.total)
		}
		fmt.Fprintf(&b, "%s / %s (%.0f%%)", FormatBytes(p.done), FormatBytes(p.total), pct)
	} else {
		b.WriteString(FormatBytes(p.done))
	}
	fmt.Fprintf(&b, "  %s/s", FormatBytes(int64(rate)))
	switch {
	case final:
		fmt.Fprintf(&b, "  in %s", formatDuration(elapsed))
	case p.total >= 0 && rate > 0 && p.done < p.total:
		eta := time.Duration(float64(p.total-p.done) / rate * float64(time.Second))
		fmt.Fprintf(&b, "  ETA %s", formatDuration(eta))
	}
	return b.String()
}

// FormatBytes renders n with binary units: 512 B, 1.5 KiB, 20.0 MiB.
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func formatDuration(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// Reader counts bytes read from r into the meter.
func (p *Progress) Reader(r io.Reader) io.Reader {
	if p == nil {
		return r
	}
	return &progressReader{r: r, p: p}
}

// Writer counts bytes written to w into the meter.
func (p *Progress) Writer(w io.Writer) io.Writer {
	if p == nil {
		return w
	}
	return &progressWriter{w: w, p: p}
}

type progressReader struct {
	r io.Reader
	p *Progress
}

func (r *progressReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.p.Add(int64(n))
	return n, err
}

type progressWriter struct {
	w io.Writer
	p *Progress
}

func (w *progressWriter) Write(b []byte) (int, error) {
	n, err := w.w.Write(b)
	w.p.Add(int64(n))
	return n, err
}
