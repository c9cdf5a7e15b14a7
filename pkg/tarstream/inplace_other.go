//go:build !linux

package tarstream

import (
	"archive/tar"
	"io"
	"io/fs"
	"os"
)

func processUmask() int { return -1 }

// fileInPlace is the Linux fast path for fresh staging directories; other
// systems always take the temporary-name-and-rename path.
func (x *extractor) fileInPlace(dr *os.Root, base string, hdr *tar.Header, tr io.Reader, mode fs.FileMode) (bool, error) {
	return false, nil
}

const inPlaceSupported = false
