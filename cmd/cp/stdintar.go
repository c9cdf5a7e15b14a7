package cp

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// relativeTar streams the tar archive read from r to the returned reader
// with the "./" prefix that `tar -C dir -cf - .` puts on every name
// removed, and the "./" entry (the directory itself) dropped: the copy
// endpoint accepts only clean relative names (PROTOCOL.md §11.7), and the
// destination directory stands for ".". Every other name, safe or not, is
// passed on unchanged for the daemon to judge. One entry is in flight at a
// time, so memory stays flat.
func relativeTar(ctx context.Context, r io.Reader) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(rewriteTar(ctx, r, pw))
	}()
	return pr
}

// checkTarHead looks at the start of the stream before anything is sent, so
// that input that is not a tar stream creates nothing in the VM. It returns
// the reader to use in place of r.
func checkTarHead(r io.Reader) (io.Reader, error) {
	const look = 64 << 10
	br := bufio.NewReaderSize(r, look)
	head, err := br.Peek(look)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read stdin: %w", err)
	}
	switch {
	case len(head) == 0:
		return nil, errors.New("stdin is empty: slicer cp - takes a tar stream, e.g. tar -C dir -cf - . | slicer cp - vm-1:/path")
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return nil, errors.New("stdin is a gzip-compressed stream; slicer cp - takes an uncompressed tar stream (pipe it through gunzip, or drop tar's -z)")
	}
	// A first header longer than what was read (long names) may end past
	// head; a stream that ended within head must parse.
	whole := len(head) < look
	if _, err := tar.NewReader(bytes.NewReader(head)).Next(); err != nil && !errors.Is(err, io.EOF) && (whole || !errors.Is(err, io.ErrUnexpectedEOF)) {
		return nil, fmt.Errorf("stdin is not a tar stream (%v); slicer cp - takes an uncompressed tar stream", err)
	}
	return br, nil
}

func rewriteTar(ctx context.Context, r io.Reader, w io.Writer) error {
	tr := tar.NewReader(r)
	tw := tar.NewWriter(w)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return tw.Close()
		}
		if err != nil {
			return fmt.Errorf("read the tar stream on stdin: %w", err)
		}
		name := hdr.Name
		for strings.HasPrefix(name, "./") {
			name = strings.TrimLeft(name[2:], "/")
		}
		if name == "" || name == "." {
			if hdr.Typeflag == tar.TypeDir {
				continue // the top directory itself
			}
			name = hdr.Name
		}
		if name != hdr.Name {
			hdr.Name = name
			// Let the writer pick a format that fits the new name.
			hdr.Format = tar.FormatUnknown
			delete(hdr.PAXRecords, "path")
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("tar entry %q: %w", hdr.Name, err)
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return fmt.Errorf("tar entry %q: %w", hdr.Name, err)
		}
	}
}
