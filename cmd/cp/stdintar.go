package cp

import (
	"archive/tar"
	"bufio"
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

func rewriteTar(ctx context.Context, r io.Reader, w io.Writer) error {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		return errors.New("stdin is a gzip-compressed stream; slicer cp - takes an uncompressed tar stream (pipe it through gunzip, or drop tar's -z)")
	}
	tr := tar.NewReader(br)
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
