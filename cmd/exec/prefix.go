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
}

// NewPrefixWriter returns a writer that prefixes lines with prefix.
func NewPrefixWriter(w io.Writer, prefix string) *PrefixWriter {
	return &PrefixWriter{w: w, prefix: []byte(prefix)}
}

func (p *PrefixWriter) Write(b []byte) (int, error) {
	n := len(b)
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		line := make([]byte, 0, len(p.prefix)+i+1)
		line = append(line, p.prefix...)
		line = append(line, p.buf[:i+1]...)
		if _, err := p.w.Write(line); err != nil {
			return n, err
		}
		p.buf = p.buf[i+1:]
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
	line := make([]byte, 0, len(p.prefix)+len(p.buf)+1)
	line = append(line, p.prefix...)
	line = append(line, p.buf...)
	line = append(line, '\n')
	p.buf = p.buf[:0]
	_, err := p.w.Write(line)
	return err
}
