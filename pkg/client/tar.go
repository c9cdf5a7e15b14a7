package client

import (
	"context"
	"io"
	"os"
	"path/filepath"

	"github.com/slicer-cli/slicer/pkg/tarstream"
)

// ExtractTarStream extracts a tar stream from r into extractDir (created if
// missing). Only regular files and directories are created; every other
// entry type is skipped. Modes are normalised (setuid/setgid/sticky
// stripped), mtimes preserved, and any entry name that could escape
// extractDir is an error. If uid or gid is non-zero, created files and
// directories are chowned to uid:gid.
func ExtractTarStream(ctx context.Context, r io.Reader, extractDir string, uid, gid uint32, excludePatterns ...string) error {
	if err := os.MkdirAll(filepath.Dir(filepath.Clean(extractDir)), 0o755); err != nil {
		return err
	}
	_, err := tarstream.ExtractToDir(ctx, r, extractDir, extractOptions(uid, gid, excludePatterns))
	return err
}

// ExtractTarToPath extracts a tar stream to a local path with cp-like
// renaming: if dest is an existing directory the entries go into it;
// otherwise the archive must hold exactly one top-level entry, which becomes
// dest. If uid or gid is non-zero, created files are chowned to uid:gid.
func ExtractTarToPath(ctx context.Context, r io.Reader, dest string, uid, gid uint32, excludePatterns ...string) error {
	_, err := tarstream.ExtractToPath(ctx, r, dest, extractOptions(uid, gid, excludePatterns))
	return err
}

func extractOptions(uid, gid uint32, excludes []string) tarstream.ExtractOptions {
	opts := tarstream.ExtractOptions{Excludes: excludes}
	if uid != 0 || gid != 0 {
		opts.Owner = &tarstream.Owner{UID: uid, GID: gid}
	}
	return opts
}

// StreamTarArchive streams to w a tar archive of parentDir/baseName: a
// directory's contents (entry names relative to it), or a single regular
// file under its base name. Only regular files and directories are
// archived; symlinks are neither followed nor stored.
func StreamTarArchive(ctx context.Context, w io.Writer, parentDir, baseName string, excludePatterns ...string) error {
	_, err := tarstream.ArchivePath(ctx, w, filepath.Join(parentDir, baseName), tarstream.ArchiveOptions{Excludes: excludePatterns})
	return err
}

// ValidRelPath reports whether p is a clean relative path that cannot
// traverse out of a directory: empty names, absolute names and any ".", ".."
// or empty segment are invalid. Backslashes are part of file names.
func ValidRelPath(p string) bool { return tarstream.ValidRelPath(p) }
