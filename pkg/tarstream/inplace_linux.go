package tarstream

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// processUmask reads the process's umask from /proc/self/status (Linux
// 4.7+), without changing it; -1 when it cannot be read.
func processUmask() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range bytes.Lines(b) {
		v, ok := bytes.CutPrefix(line, []byte("Umask:"))
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 8, 32)
		if err != nil {
			return -1
		}
		return int(n)
	}
	return -1
}

// fileInPlace writes a regular file straight under its final name, for an
// extraction into a fresh staging directory that only becomes visible under
// its real name once the whole archive succeeded. The file is created
// exclusively without following links (O_CREAT|O_EXCL|O_NOFOLLOW) relative
// to a handle on its verified directory, with its final mode at open when
// the umask leaves that mode alone. It reports done == false, having
// touched nothing, when the name already exists (a duplicate entry, or
// something planted): the caller then takes the temporary-name-and-rename
// path, which replaces it deterministically.
func (x *extractor) fileInPlace(dr *os.Root, base string, hdr *tar.Header, tr io.Reader, mode fs.FileMode) (done bool, err error) {
	dirfd, err := x.dirFD(dr)
	if err != nil {
		return true, &EntryError{Name: hdr.Name, Err: err}
	}
	var fd int
	for {
		fd, err = unix.Openat(dirfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(mode))
		if err != unix.EINTR {
			break
		}
	}
	if err == unix.EEXIST {
		return false, nil
	}
	if err != nil {
		return true, &EntryError{Name: hdr.Name, Err: fmt.Errorf("create file %s: %w", quote(base), err)}
	}
	ok := false
	defer func() {
		if !ok {
			unix.Close(fd)
			_ = unix.Unlinkat(dirfd, base, 0)
		}
	}()
	if x.buf == nil {
		x.buf = make([]byte, 256<<10)
	}
	var n int64
	for n < hdr.Size {
		chunk := x.buf
		if rem := hdr.Size - n; rem < int64(len(chunk)) {
			chunk = chunk[:rem]
		}
		m, rerr := io.ReadFull(tr, chunk)
		if m > 0 {
			if werr := writeAll(fd, chunk[:m]); werr != nil {
				return true, &EntryError{Name: hdr.Name, Err: fmt.Errorf("write: %w (wrote %d of %d bytes)", werr, n, hdr.Size)}
			}
			n += int64(m)
		}
		if rerr != nil {
			if rerr == io.EOF {
				rerr = io.ErrUnexpectedEOF
			}
			if ctxErr := x.ctx.Err(); ctxErr != nil {
				return true, ctxErr
			}
			return true, &EntryError{Name: hdr.Name, Err: fmt.Errorf("write: %w (wrote %d of %d bytes)", rerr, n, hdr.Size)}
		}
	}
	if x.umask < 0 || mode&^fs.FileMode(x.umask) != mode {
		if err := unix.Fchmod(fd, uint32(mode)); err != nil {
			return true, &EntryError{Name: hdr.Name, Err: fmt.Errorf("chmod: %w", err)}
		}
	}
	if x.setOwner {
		if err := unix.Fchown(fd, int(x.opts.Owner.UID), int(x.opts.Owner.GID)); err != nil {
			return true, &EntryError{Name: hdr.Name, Err: fmt.Errorf("chown: %w", err)}
		}
	}
	if !x.opts.NoTimes && !hdr.ModTime.IsZero() {
		t := hdr.ModTime
		ts := [2]unix.Timespec{
			{Sec: t.Unix(), Nsec: int64(t.Nanosecond())},
			{Sec: t.Unix(), Nsec: int64(t.Nanosecond())},
		}
		// utimensat(fd, NULL, ts, 0) is futimens(fd, ts): the times of
		// the open file itself, no name involved.
		if _, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0); e != 0 {
			return true, &EntryError{Name: hdr.Name, Err: fmt.Errorf("set times: %w", e)}
		}
	}
	ok = true
	if err := unix.Close(fd); err != nil {
		_ = unix.Unlinkat(dirfd, base, 0)
		return true, &EntryError{Name: hdr.Name, Err: fmt.Errorf("close: %w", err)}
	}
	x.res.Files++
	x.res.Bytes += n
	return true, nil
}

func writeAll(fd int, p []byte) error {
	for len(p) > 0 {
		m, err := unix.Write(fd, p)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if m == 0 {
			return io.ErrShortWrite
		}
		p = p[m:]
	}
	return nil
}

// dirFD returns a file descriptor for the directory dr (the extractor's
// current directory handle), opened once per directory and closed by
// dirRoot when the extraction moves to another directory.
func (x *extractor) dirFD(dr *os.Root) (int, error) {
	if x.curFile != nil {
		return x.curFD, nil
	}
	f, err := dr.Open(".")
	if err != nil {
		return -1, err
	}
	fd := descriptor(f)
	if fd < 0 {
		f.Close()
		return -1, errors.New("directory handle has no descriptor")
	}
	x.curFile, x.curFD = f, fd
	return fd, nil
}

const inPlaceSupported = true
