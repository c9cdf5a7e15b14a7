// Package tarstream creates and extracts the uncompressed tar streams that
// the Slicer copy endpoint (GET/POST /vm/{vm}/cp?mode=tar) carries, with the
// path-safety rules of ../shared/spec/PROTOCOL.md §11 and the threat notes of
// ../shared/spec/THREATS.md (section A).
//
// Everything streams: archives are written to an io.Writer and read from an
// io.Reader entry by entry, so memory stays flat whatever the size of the
// tree. Every function takes a context and stops between entries and inside
// long copies when it is cancelled.
//
// # Creating archives
//
//   - [Archive] writes an archive of a name inside an [os.Root]: the contents
//     of a directory (the directory itself is not an entry), or a single
//     regular file under its base name. The daemon uses it to archive from a
//     VM's root.
//   - [ArchivePath] does the same for a local path (a symlink given as the
//     path itself is followed, as cp does for its arguments).
//   - [NewArchiveReader] offers ArchivePath's archive as a reader whose
//     WriteTo archives straight into the destination: net/http sends a
//     request body that way, so an upload needs no pipe.
//
// On Linux a directory is listed with getdents64, and a regular file is
// archived with openat (never following a link, never blocking on a FIFO),
// fstat, read and close on its descriptor: four system calls, as GNU tar.
//
// Archives hold only directories (typeflag '5', name ending in "/") and
// regular files ('0'). Symlinks are never followed during the walk;
// symlinks, devices, FIFOs and sockets are skipped and reported through
// [ArchiveOptions.OnSkip]. Headers carry Name, Mode, Size and ModTime (whole
// seconds) only; uid/gid are 0. Modes are normalised: permission bits only
// (setuid/setgid/sticky stripped) and, for a regular file, any execute bit
// sets all three. Excludes (see [Excluded]) skip a matching directory with
// its whole subtree.
//
// # Extracting archives
//
//   - [Extract] extracts into the top of an [os.Root]; the daemon opens the
//     VM root (or a directory inside it) and passes it here.
//   - [ExtractToDir] extracts into a local directory. A missing directory is
//     created atomically: the archive is extracted into a staging directory
//     beside it which is renamed into place on success, so a failed copy
//     leaves nothing behind.
//   - [ExtractToRoot] is ExtractToDir for a directory named inside an
//     [os.Root]: the daemon uses it to extract into a VM's root, so that a
//     missing destination appears only when the whole upload succeeded.
//   - [ExtractToPath] implements the SDK's ExtractTarToPath rules (an existing
//     directory receives the entries; otherwise the archive must hold exactly
//     one top-level entry, which is renamed to the destination), also through
//     a staging directory.
//
// Extraction rules (the same for all four):
//
//   - Only directories and regular files are created. Symlinks, hard links,
//     devices, FIFOs and sparse files are skipped and reported through
//     [ExtractOptions.OnSkip]; PAX global headers are ignored.
//   - Every entry name, whatever its type, must pass [ValidRelPath] after one
//     trailing "/" is removed: absolute names, "..", "." and empty segments,
//     and unclean names are rejected with an error wrapping [ErrUnsafePath]
//     that names the entry. Extraction stops at the first such entry. Names
//     longer than MaxNameLength bytes or deeper than MaxNameDepth levels are
//     refused with ErrNameTooLong.
//   - All file operations go through os.Root, so nothing can be created,
//     written or read outside the destination, even when the destination is
//     changed concurrently. In addition, a write that would pass through a
//     symlink already on disk is refused with [ErrUnsafePath].
//   - Regular files are written to a temporary ".slicer-extract-*" file in the
//     same directory (created exclusively, mode 0600), their mode, owner and
//     mtime are set, and they are then renamed over the target. A later
//     duplicate entry therefore replaces an earlier file completely; an entry
//     that would turn a directory into a file (or the reverse) is an error.
//     Inside a staging directory (a destination that did not exist), which
//     nobody else sees until it is renamed into place, Linux skips the
//     temporary name: each file is created exclusively under its final name
//     without following links (O_CREAT|O_EXCL|O_NOFOLLOW, relative to a
//     handle on its verified directory), with its mode at open (fchmod only
//     when the umask would change it) and its mtime set through the open
//     file; a name that already exists (a duplicate entry, or anything
//     planted) falls back to the temporary name and rename.
//     A body shorter than its declared size is an error and leaves no file.
//   - Setuid, setgid and sticky bits are stripped. Directories are created
//     owner-writable and get their final mode and mtime after the last entry.
//     A directory that already existed keeps its mode, owner and times.
//   - [ExtractOptions.MaxFileSize] and [ExtractOptions.MaxTotalSize] bound the
//     bytes written.
//   - The stream is read in the caller's goroutine, which parses the headers
//     and reads files of up to 64 KiB ahead (at most about 1.3 MiB held);
//     a second goroutine applies the entries to the file system in archive
//     order. It has ended when the function returns, and the reader is never
//     read after that.
//
// # Names
//
// [ValidRelPath] is stricter than the vendor SDK's (PROTOCOL.md §11.7, HEAD
// column): "..", "a/..", "./a", "a//b" and "a/./b" are all invalid.
// [Excluded] implements the exclude-pattern rules of PROTOCOL.md §11.6.
package tarstream
