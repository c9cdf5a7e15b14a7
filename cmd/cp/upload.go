package cp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
	"github.com/slicer-cli/slicer/pkg/tarstream"
)

// remoteKind stats a VM path: "" when it does not exist.
func remoteKind(ctx context.Context, c client.Interface, vm, p string) (string, error) {
	info, err := c.Stat(ctx, vm, p)
	if errors.Is(err, os.ErrNotExist) || cmdutil.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("stat %s in VM %q: %w", p, vm, err)
	}
	return info.Type, nil
}

func upload(ctx context.Context, c client.Interface, vm string, opts *CpOptions) error {
	uid, gid := opts.owner()
	dst := opts.Dst.Path
	if opts.Src.Stdio {
		p := opts.IO.NewProgress("upload", -1)
		head, err := checkTarHead(p.Reader(opts.IO.In))
		if err != nil {
			p.Abort()
			return err
		}
		in := relativeTar(ctx, head)
		err = c.CpToVMFromReader(ctx, vm, in, dst, uid, gid, "", ModeTar)
		_ = in.Close()
		return finish(ctx, p, err, fmt.Sprintf("copy the tar stream on stdin to %s:%s", vm, dst))
	}
	src := opts.Src.Path
	fi, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("source %s: %w", src, err)
	}
	if fi.IsDir() {
		if !opts.Recursive {
			return cmdutil.FlagErrorf("%s is a directory: use -r to copy a directory", src)
		}
		return uploadDir(ctx, c, vm, opts, uid, gid)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("source %s is not a regular file or a directory", src)
	}
	if opts.Mode == ModeTar {
		return cmdutil.FlagErrorf("%s is a file: tar mode copies directories; leave out --mode", src)
	}
	target := dst
	kind, err := remoteKind(ctx, c, vm, dst)
	if err != nil {
		return err
	}
	switch {
	case kind == "directory":
		target = JoinRemote(dst, filepath.Base(src))
	case kind == "" && strings.HasSuffix(dst, "/"):
		return fmt.Errorf("destination directory %s does not exist in VM %q (create it with `slicer fs mkdir -p %s %s`)", dst, vm, opts.Dst.VM, dst)
	}
	perms := opts.Permissions
	if perms == "" {
		perms = "0" + strconv.FormatUint(uint64(fi.Mode().Perm()), 8)
	}
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("source %s: %w", src, err)
	}
	defer f.Close()
	p := opts.IO.NewProgress(filepath.Base(src), fi.Size())
	err = c.CpToVMFromReader(ctx, vm, p.Reader(f), target, uid, gid, perms, ModeBinary)
	return finish(ctx, p, err, fmt.Sprintf("copy %s to %s:%s", src, vm, target))
}

func uploadDir(ctx context.Context, c client.Interface, vm string, opts *CpOptions, uid, gid uint32) error {
	src := opts.Src.Path
	dst := opts.Dst.Path
	excludes := append([]string(nil), opts.Excludes...)
	if !opts.NoIgnoreFile {
		pats, warns, err := ReadIgnoreFile(src)
		if err != nil {
			return err
		}
		for _, w := range warns {
			fmt.Fprintf(opts.IO.ErrOut, "warning: %s\n", w)
		}
		excludes = append(excludes, pats...)
	}
	target := dst
	if !CopyContents(src) {
		abs, err := filepath.Abs(src)
		if err != nil {
			return err
		}
		kind, err := remoteKind(ctx, c, vm, dst)
		if err != nil {
			return err
		}
		switch kind {
		case "directory":
			target = JoinRemote(dst, filepath.Base(abs))
		case "":
		default:
			return fmt.Errorf("destination %s in VM %q exists and is not a directory", dst, vm)
		}
	}
	ar := tarstream.NewArchiveReader(ctx, src, tarstream.ArchiveOptions{
		Excludes: excludes,
		OnSkip: func(s tarstream.Skip) {
			fmt.Fprintf(opts.IO.ErrOut, "warning: %s\n", s)
		},
	})
	p := opts.IO.NewProgress(filepath.Base(filepath.Clean(src)), -1)
	err := c.CpToVMFromReader(ctx, vm, archiveBody{ar: ar, r: p.Reader(ar), p: p}, target, uid, gid, "", ModeTar)
	ar.Close()
	_, aerr := ar.Wait() // only a failure of the archive itself
	if err == nil && aerr != nil {
		err = aerr
	}
	if aerr != nil && ctx.Err() == nil {
		err = fmt.Errorf("%w (the directory in the VM may be incomplete)", aerr)
	} else if err != nil && ctx.Err() == nil {
		err = fmt.Errorf("%w (the directory in the VM may be incomplete)", err)
	}
	return finish(ctx, p, err, fmt.Sprintf("copy %s to %s:%s", src, vm, target))
}

// archiveBody is the request body of a directory upload. It keeps the
// ArchiveReader's WriteTo, which net/http uses to send a body: the archive
// then goes straight into the request stream, in the archiver's 256 KiB
// pieces, with no pipe between (the progress meter counts what is written).
type archiveBody struct {
	ar *tarstream.ArchiveReader
	r  io.Reader // ar through the progress meter
	p  *iostreams.Progress
}

func (b archiveBody) Read(p []byte) (int, error) { return b.r.Read(p) }

func (b archiveBody) WriteTo(w io.Writer) (int64, error) { return b.ar.WriteTo(b.p.Writer(w)) }

// finish ends the progress meter and wraps a failure.
func finish(ctx context.Context, p interface {
	Finish()
	Abort()
}, err error, what string) error {
	if err != nil {
		p.Abort()
		return copyErr(ctx, what, err)
	}
	p.Finish()
	return nil
}
