package tarstream

import (
	"archive/tar"
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// Extraction runs in two goroutines. One reads the archive: it parses each
// header, checks the entry's name, and reads the contents of small files
// into memory. The other, the caller's, does everything that touches the
// file system, in archive order. On a many-file archive the two halves cost
// about the same, and they overlap (bench/: cp download of a tree). The
// reading side decides nothing about the destination: every check on the
// file system happens where it did before, in the writing goroutine.

const (
	blockSize      = 512       // tar's header and padding unit
	readAheadFile  = 64 << 10  // larger files are streamed by the writing side
	readAheadBytes = 256 << 10 // contents per batch
	readAheadItems = 128       // entries per batch
	readAheadSlots = 3         // queued batches + 1: with the one each side holds, at most 4 exist
)

type itemKind uint8

const (
	itemDir itemKind = iota
	itemFile
	itemSkip
)

// item is one archive entry for the writing side.
type item struct {
	kind   itemKind
	hdr    *tar.Header
	name   string // the checked entry name (dirs and files)
	reason string // why it is skipped
	// A file's contents: data (read ahead), then readErr if the archive
	// ended or failed inside them; or, with stream set, still in the
	// archive, for the writing side to read while the reading side waits.
	data    []byte
	readErr error
	stream  bool
}

// batch is a run of items with their contents in one arena.
type batch struct {
	items []item
	arena []byte
	// end, on the last batch, is io.EOF after the last entry, or the
	// error that stopped the reading side.
	end error
}

// readAhead is the reading goroutine: it sends batches on out until the
// archive ends, fails, or quit is closed. After a streamed item it waits
// for resume: the writing side reads that file's contents from tr itself.
// br is what tr reads from: before a read that may have to wait for more of
// the stream, the entries in hand go to the writing side if it has none
// queued, so a stream that pauses does not leave it idle with entries
// already received. (While it still has batches queued, the entries wait
// for a full batch: fewer hand-offs.)
func (x *extractor) readAhead(br *bufio.Reader, tr *tar.Reader, out chan<- *batch, free chan *batch, resume, quit <-chan struct{}) {
	b := getBatch(free)
	send := func() bool {
		select {
		case out <- b:
			b = nil
			return true
		case <-quit:
			return false
		}
	}
	// flush sends the batch if it holds entries, fewer than need bytes of
	// the stream are buffered, and the writing side has nothing queued.
	flush := func(need int) bool {
		if len(b.items) == 0 || br.Buffered() >= need || len(out) > 0 {
			return true
		}
		if !send() {
			return false
		}
		b = getBatch(free)
		return true
	}
	for {
		// The rest of the last entry's padding and the next header.
		if !flush(2 * blockSize) {
			return
		}
		hdr, err := tr.Next()
		if err != nil {
			if err != io.EOF {
				err = fmt.Errorf("read tar stream: %w", err)
			}
			b.end = err
			send()
			return
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		name, err := entryName(hdr.Name)
		if err != nil {
			b.end = err
			send()
			return
		}
		if Excluded(name, x.opts.Excludes) {
			continue
		}
		it := item{hdr: hdr, name: name}
		switch hdr.Typeflag {
		case tar.TypeDir:
			it.kind = itemDir
		case tar.TypeReg, tar.TypeRegA:
			it.kind = itemFile
			if isSparse(hdr) {
				it.kind, it.reason = itemSkip, "sparse file not supported"
				break
			}
			if hdr.Size < 0 || hdr.Size > readAheadFile {
				// Streamed (or refused by the writing side's checks).
				it.stream = true
				b.items = append(b.items, it)
				if !send() {
					return
				}
				select {
				case <-resume:
				case <-quit:
					return
				}
				b = getBatch(free)
				continue
			}
			size := int(hdr.Size)
			if len(b.arena)+size > cap(b.arena) && len(b.items) > 0 {
				if !send() {
					return
				}
				b = getBatch(free)
			}
			if !flush(size) {
				return
			}
			start := len(b.arena)
			b.arena = b.arena[:start+size]
			n, err := io.ReadFull(tr, b.arena[start:])
			it.data = b.arena[start : start+n : start+n]
			if err != nil {
				it.readErr = err
				if err == io.EOF {
					it.readErr = io.ErrUnexpectedEOF
				}
			}
		default:
			it.kind, it.reason = itemSkip, typeReason(hdr.Typeflag)
		}
		b.items = append(b.items, it)
		if len(b.items) >= readAheadItems || len(b.arena) >= readAheadBytes {
			if !send() {
				return
			}
			b = getBatch(free)
		}
	}
}

func getBatch(free chan *batch) *batch {
	select {
	case b := <-free:
		return b
	default:
		return &batch{arena: make([]byte, 0, readAheadBytes+readAheadFile)}
	}
}

func putBatch(free chan *batch, b *batch) {
	clear(b.items) // drop the headers
	b.items, b.arena, b.end = b.items[:0], b.arena[:0], nil
	select {
	case free <- b:
	default:
	}
}

// run extracts the archive in r: the reading goroutine parses it, this one
// applies each entry in order. It returns after the last entry, or at the
// first error; the reading goroutine then stops as soon as its current read
// of r returns (the callers close r when Extract returns).
func (x *extractor) run(r io.Reader) error {
	// tar reads 512-byte headers and small files piecemeal; reading ahead
	// keeps that from becoming one pipe handoff or syscall per piece.
	br := bufio.NewReaderSize(&ctxReader{ctx: x.ctx, r: r}, 256<<10)
	tr := tar.NewReader(br)
	out := make(chan *batch, readAheadSlots-1)
	free := make(chan *batch, readAheadSlots)
	resume := make(chan struct{})
	quit := make(chan struct{})
	defer close(quit)
	go x.readAhead(br, tr, out, free, resume, quit)
	for {
		var b *batch
		select {
		case b = <-out:
		case <-x.ctx.Done():
			return x.ctx.Err()
		}
		for i := range b.items {
			if err := x.ctx.Err(); err != nil {
				return err
			}
			it := &b.items[i]
			var err error
			switch it.kind {
			case itemDir:
				err = x.dir(it.name, it.hdr)
			case itemSkip:
				x.skip(it.hdr, it.reason)
			case itemFile:
				if it.stream {
					err = x.file(it.name, it.hdr, tr)
					if err == nil {
						select {
						case resume <- struct{}{}:
						case <-x.ctx.Done():
							return x.ctx.Err()
						}
					}
					break
				}
				var cr io.Reader = bytes.NewReader(it.data)
				if it.readErr != nil {
					cr = io.MultiReader(cr, errReader{it.readErr})
				}
				err = x.file(it.name, it.hdr, cr)
			}
			if err != nil {
				return err
			}
		}
		end := b.end
		putBatch(free, b)
		switch {
		case end == io.EOF:
			return nil
		case end != nil:
			return end
		}
	}
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
