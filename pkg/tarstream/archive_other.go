//go:build !linux

package tarstream

import "os"

// The descriptor-based archiving of archive_linux.go is Linux-only; other
// systems take the Lstat-then-open path for every entry.
const archiveAtSupported = false

func descriptor(*os.File) int { return -1 }

func readDirTypes(int, []byte) ([]dirEntry, error) {
	panic("tarstream: readDirTypes without archiveAtSupported")
}

func (a *archiver) fileAt(dirfd int, dir, name, rel string) error {
	panic("tarstream: fileAt without archiveAtSupported")
}
