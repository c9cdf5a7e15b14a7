package tarstream

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

const archiveAtSupported = true

// descriptor is f's file descriptor, without putting f into blocking mode
// as f.Fd does; -1 when it has none.
func descriptor(f *os.File) int {
	sc, err := f.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	if err := sc.Control(func(p uintptr) { fd = int(p) }); err != nil {
		return -1
	}
	return fd
}

// fileAt archives name, which the listing of the directory open as dirfd
// (dir, root-relative) says is a regular file, with four system calls as GNU
// tar: openat, fstat, read and close. The open never follows a symlink
// (O_NOFOLLOW: a link swapped in since the listing fails with ELOOP) and
// never blocks (O_NONBLOCK: a FIFO swapped in opens at once), and what the
// descriptor turns out to be decides: anything but a regular file is
// skipped as replaced. The descriptor is used bare, not as an *os.File, so
// no poller registration is tried for it.
func (a *archiver) fileAt(dirfd int, dir, name, rel string) error {
	var fd int
	var err error
	for {
		fd, err = unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			break
		}
	}
	switch err {
	case nil:
	case unix.ENOENT:
		return nil // removed while we walked
	case unix.ELOOP:
		a.changed(rel)
		return nil
	default:
		return inDir(&fs.PathError{Op: "open", Path: name, Err: err}, dir)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return inDir(&fs.PathError{Op: "stat", Path: name, Err: err}, dir)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		a.changed(rel)
		return nil
	}
	mtime := time.Unix(st.Mtim.Sec, st.Mtim.Nsec)
	if err := a.tw.WriteHeader(fileHeader(rel, fs.FileMode(st.Mode), st.Size, mtime)); err != nil {
		return err
	}
	return a.contents(fdReader(fd), rel, st.Size)
}

// readDirTypes lists the directory open as fd (from its start: fd is fresh)
// with getdents64 into buf, which also gives each entry's type, so no entry needs an
// lstat to be known as a regular file. "." and ".." are left out.
func readDirTypes(fd int, buf []byte) ([]dirEntry, error) {
	var out []dirEntry
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return out, nil
		}
		// struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2),
		// d_type (1), then the NUL-terminated name.
		for b := buf[:n]; len(b) >= 19; {
			reclen := int(binary.NativeEndian.Uint16(b[16:18]))
			if reclen < 19 || reclen > len(b) {
				return nil, fmt.Errorf("malformed directory entry (record length %d)", reclen)
			}
			typ := b[18]
			name := b[19:reclen]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			if s := string(name); s != "." && s != ".." {
				out = append(out, dirEntry{name: s, regular: typ == unix.DT_REG})
			}
			b = b[reclen:]
		}
	}
}

// fdReader reads a bare descriptor.
type fdReader int

func (r fdReader) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(int(r), p)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return 0, err
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}
