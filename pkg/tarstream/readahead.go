package tarstream

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Extraction runs in two goroutines. The caller's reads the archive: it
// parses each header, checks the entry's name, and reads the contents of
// small files into memory. A second goroutine does everything that touches
// the file system, in archive order. On a many-file archive the two halves
// cost about the same, and they overlap (bench/: cp download of a tree).
// The reading side decides nothing about the destination: every check on
// the file system is where it was, in extractor.file and extractor.dir.
//
// Only the caller's goroutine ever reads r, and the second goroutine has
// ended when run returns: nothing reads r after Extract returns.

const (
	blockSize      = 512       // tar's header and padding unit
	readAheadFile  = 64 << 10  // larger files are written by the reading side
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

// item is one archive entry for the writing goroutine.
type item struct {
	kind   itemKind
	hdr    *tar.Header
	name   string // the checked entry name (dirs and files)
	reason string // why it is skipped
	// A file's contents, read ahead, then readErr if the archive ended or
	// failed inside them.
	data    []byte
	readErr error
}

// batch is a run of items with their contents in one arena.
type batch struct {
	items []item
	arena []byte
	// drained, when set, is closed once the batch's items are applied.
	drained chan struct{}
}

// errApplyStopped ends the reading side when the writing side has failed;
// run reports the writing side's error instead.
var errApplyStopped = errors.New("tarstream: extraction stopped")

// run extracts the archive in r.
func (x *extractor) run(r io.Reader) error {
	// tar reads 512-byte headers and small files piecemeal; reading ahead
	// keeps that from becoming one pipe handoff or syscall per piece.
	br := bufio.NewReaderSize(&ctxReader{ctx: x.ctx, r: r}, 256<<10)
	tr := tar.NewReader(br)
	work := make(chan *batch, readAheadSlots-1)
	free := make(chan *batch, readAheadSlots)
	applied := make(chan struct{})
	var applyErr error
	go func() {
		defer close(applied)
		applyErr = x.apply(work, free)
	}()
	err := x.readAll(br, tr, work, free, applied)
	close(work)
	<-applied
	if applyErr != nil {
		return applyErr // an earlier entry failed
	}
	return err
}

// apply is the writing goroutine: it applies each batch's entries in order
// and stops at the first error.
func (x *extractor) apply(work <-chan *batch, free chan *batch) error {
	for b := range work {
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
		if b.drained != nil {
			close(b.drained)
		}
		putBatch(free, b)
	}
	return nil
}

// readAll reads the archive, sending batches to the writing goroutine. A
// file larger than readAheadFile is written here, from the stream, once the
// writing goroutine has applied everything before it (it waits meanwhile):
// the extractor is used by one goroutine at a time.
//
// br is what tr reads from: before a read that may have to wait for more of
// the stream, the entries in hand go to the writing goroutine if it has
// none queued, so a stream that pauses does not leave it idle with entries
// already received. (While it has batches queued, entries wait for a full
// batch: fewer hand-offs.)
func (x *extractor) readAll(br *bufio.Reader, tr *tar.Reader, work chan<- *batch, free chan *batch, applied <-chan struct{}) error {
	b := getBatch(free)
	send := func() error {
		select {
		case work <- b:
			b = getBatch(free)
			return nil
		case <-applied:
			return errApplyStopped
		}
	}
	// flush sends the batch if it holds entries, fewer than need bytes of
	// the stream are buffered, and the writing side has nothing queued.
	flush := func(need int) error {
		if len(b.items) == 0 || br.Buffered() >= need || len(work) > 0 {
			return nil
		}
		return send()
	}
	// drain hands over the entries in hand and waits until the writing
	// goroutine has applied everything before them.
	drain := func() error {
		drained := make(chan struct{})
		b.drained = drained
		if err := send(); err != nil {
			return err
		}
		select {
		case <-drained:
			return nil
		case <-applied:
			return errApplyStopped
		}
	}
	// end hands over the entries read before err (nil at the end of the
	// archive), and returns err.
	end := func(err error) error {
		if len(b.items) > 0 {
			if serr := send(); serr != nil {
				return serr
			}
		}
		return err
	}
	for {
		if err := x.ctx.Err(); err != nil {
			return end(err)
		}
		// The rest of the last entry's padding and the next header.
		if err := flush(2 * blockSize); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			return end(nil)
		}
		if err != nil {
			return end(fmt.Errorf("read tar stream: %w", err))
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		name, err := entryName(hdr.Name)
		if err != nil {
			return end(err)
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
				if err := drain(); err != nil {
					return err
				}
				if err := x.file(name, hdr, tr); err != nil {
					return err
				}
				continue
			}
			size := int(hdr.Size)
			if len(b.arena)+size > cap(b.arena) && len(b.items) > 0 {
				if err := send(); err != nil {
					return err
				}
			}
			if err := flush(size); err != nil {
				return err
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
			if err := send(); err != nil {
				return err
			}
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
	b.items, b.arena, b.drained = b.items[:0], b.arena[:0], nil
	select {
	case free <- b:
	default:
	}
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
