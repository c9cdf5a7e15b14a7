package tarstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// ArchiveReader is the tar archive ArchivePath makes of a local path,
// produced while it is consumed, once.
//
// WriteTo archives straight into the destination in the calling goroutine.
// io.Copy uses it, and so does net/http when it sends a request body, so an
// upload built on an ArchiveReader needs no pipe and no goroutine hand-off
// for every 32 KiB: the archive reaches the connection in the archiver's
// 256 KiB pieces. Read is the fallback, with the archiver in a goroutine
// behind a pipe.
//
// Close stops the archiver wherever it is; Wait returns its result once it
// has stopped, and makes sure one that never started never will. Wait
// reports only the archiver's own failures (a file that cannot be read):
// when the consumer stopped it, the consumer knows why.
type ArchiveReader struct {
	ctx    context.Context
	cancel context.CancelFunc
	src    string
	opts   ArchiveOptions

	mu     sync.Mutex
	state  int // arIdle, arRunning, arDone
	closed bool
	pr     *io.PipeReader
	done   chan struct{}
	res    Result
	err    error
}

const (
	arIdle = iota
	arRunning
	arDone
)

// errConsumerGone wraps the error of an archiver that stopped because what
// it wrote to failed, or because the reader was closed: the cause lies with
// the consumer (an upload that ended), not with the files.
var errConsumerGone = errors.New("tarstream: the archive's consumer stopped")

// ErrArchiveUsed is what a second consumer of an ArchiveReader gets, and
// one that comes after Wait or Close.
var ErrArchiveUsed = errors.New("tarstream: the archive was already produced or closed")

// NewArchiveReader returns the archive of src (see ArchivePath) as a
// reader. Nothing is read from disk before it is consumed.
func NewArchiveReader(ctx context.Context, src string, opts ArchiveOptions) *ArchiveReader {
	ctx, cancel := context.WithCancel(ctx)
	return &ArchiveReader{ctx: ctx, cancel: cancel, src: src, opts: opts, done: make(chan struct{})}
}

// start moves an idle reader to running; false when it is not idle.
func (r *ArchiveReader) start() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != arIdle {
		return false
	}
	r.state = arRunning
	return true
}

func (r *ArchiveReader) finish(res Result, err error) {
	r.mu.Lock()
	r.res, r.err, r.state = res, err, arDone
	r.mu.Unlock()
	close(r.done)
}

// WriteTo writes the whole archive to w and returns the bytes written.
func (r *ArchiveReader) WriteTo(w io.Writer) (int64, error) {
	if !r.start() {
		return 0, ErrArchiveUsed
	}
	cw := &countWriter{w: w}
	res, err := ArchivePath(r.ctx, cw, r.src, r.opts)
	err = r.blame(err, cw)
	r.finish(res, err)
	return cw.n, err
}

// blame marks err as the consumer's doing (errConsumerGone) when a write
// failed or Close stopped the archiver.
func (r *ArchiveReader) blame(err error, cw *countWriter) error {
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if err != nil && (cw.err != nil || closed) {
		return fmt.Errorf("%w: %w", errConsumerGone, err)
	}
	return err
}

// Read reads the archive, made by a goroutine started on the first call.
func (r *ArchiveReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	pr := r.pr
	if pr == nil {
		if r.state != arIdle {
			r.mu.Unlock()
			return 0, ErrArchiveUsed
		}
		var pw *io.PipeWriter
		pr, pw = io.Pipe()
		r.pr, r.state = pr, arRunning
		go func() {
			cw := &countWriter{w: pw}
			res, err := ArchivePath(r.ctx, cw, r.src, r.opts)
			pw.CloseWithError(err)
			r.finish(res, r.blame(err, cw))
		}()
	}
	r.mu.Unlock()
	return pr.Read(p)
}

// errArchiveClosed ends a piped archiver whose reader was closed.
var errArchiveClosed = errors.New("tarstream: archive reader closed")

// Close stops the archiver at its next file or write and never waits for
// it; a reader not yet consumed never will be. It may be called more than
// once, and while another goroutine is inside WriteTo or Read.
func (r *ArchiveReader) Close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	r.mu.Lock()
	pr := r.pr
	idle := r.state == arIdle
	if idle {
		r.state = arDone
	}
	r.mu.Unlock()
	if idle {
		close(r.done)
	}
	if pr != nil {
		pr.CloseWithError(errArchiveClosed)
	}
	return nil
}

// Wait returns the archiver's result once it has stopped: the error of the
// archive itself (a file that cannot be read), nil when it was complete or
// when its consumer stopped it (Close, a failed write: the consumer has the
// reason). For a reader never consumed it returns at once, and the reader
// can no longer be consumed.
func (r *ArchiveReader) Wait() (Result, error) {
	r.mu.Lock()
	if r.state == arIdle {
		r.state = arDone
		close(r.done)
	}
	r.mu.Unlock()
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	if errors.Is(r.err, errConsumerGone) {
		return r.res, nil
	}
	return r.res, r.err
}

// countWriter counts the bytes written and keeps the first write error.
type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}
