package exec

import (
	"bytes"
	"io"
	"sync"
)

// LockedWriter serialises writes to w, so that lines written by several
// goroutines never interleave within a line.
type LockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// NewLockedWriter wraps w.
func NewLockedWriter(w io.Writer) *LockedWriter { return &LockedWriter{w: w} }

func (l *LockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// PrefixWriter writes every line it receives to w with prefix in front,
// whole lines at a time. A final line without a newline is written (with a
// newline added) by Flush. Used by fan-out exec: `[vm] ` before each line.
type PrefixWriter struct {
	w      io.Writer
	prefix []byte
	buf    []byte
	line   []byte // scratch: prefix + one line
}

// NewPrefixWriter returns a writer that prefixes lines with prefix.
func NewPrefixWriter(w io.Writer, prefix string) *PrefixWriter {
	return &PrefixWriter{w: w, prefix: []byte(prefix)}
}

func (p *PrefixWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			p.buf = append(p.buf, b...)
			break
		}
		p.line = append(append(append(p.line[:0], p.prefix...), p.buf...), b[:i+1]...)
		p.buf = p.buf[:0]
		if _, err := p.w.Write(p.line); err != nil {
			return n, err
		}
		b = b[i+1:]
	}
	// Keep memory flat on output without newlines: past 64 KiB, emit what
	// we have as a line of its own.
	if len(p.buf) > 64<<10 {
		if err := p.Flush(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// Flush writes a pending partial line, ending it with a newline.
func (p *PrefixWriter) Flush() error {
	if len(p.buf) == 0 {
		return nil
	}
	p.line = append(append(append(p.line[:0], p.prefix...), p.buf...), '\n')
	p.buf = p.buf[:0]
	_, err := p.w.Write(p.line)
	return err
}
