//go:build unix

package tarstream

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// streamTar writes an archive of n files of size bytes each to a pipe
// without holding it in memory.
func streamTar(n int, size int64) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		for i := range n {
			hdr := &tar.Header{Typeflag: tar.TypeReg, Name: "d/f" + itoa(i), Mode: 0o644, Size: size}
			if err := tw.WriteHeader(hdr); err != nil {
				pw.CloseWithError(err)
				return
			}
			if _, err := io.CopyN(tw, zeroReader{}, size); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(tw.Close())
	}()
	return pr
}

// BenchmarkExtractLargeFile extracts one 64 MiB file; bytes/op and the
// reported peak-heap metric show that memory does not grow with the size.
func BenchmarkExtractLargeFile(b *testing.B) {
	const size = 64 << 20
	b.SetBytes(size)
	b.ReportAllocs()
	var peak uint64
	for i := 0; b.Loop(); i++ {
		dest := b.TempDir()
		r := streamTar(1, size)
		if _, err := ExtractToDir(context.Background(), r, dest, ExtractOptions{}); err != nil {
			b.Fatal(err)
		}
		r.Close()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
		os.RemoveAll(dest)
	}
	b.ReportMetric(float64(peak)/(1<<20), "MiB-heap-inuse")
}

// BenchmarkExtractManyFiles extracts 1,000 small files.
func BenchmarkExtractManyFiles(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		dest := b.TempDir()
		r := streamTar(1000, 512)
		if _, err := ExtractToDir(context.Background(), r, dest, ExtractOptions{}); err != nil {
			b.Fatal(err)
		}
		r.Close()
		os.RemoveAll(dest)
	}
}

// BenchmarkArchiveLargeFile archives one 64 MiB file to io.Discard.
func BenchmarkArchiveLargeFile(b *testing.B) {
	const size = 64 << 20
	dir := b.TempDir()
	f, err := os.Create(filepath.Join(dir, "big"))
	if err != nil {
		b.Fatal(err)
	}
	io.CopyN(f, zeroReader{}, size)
	f.Close()
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ArchivePath(context.Background(), io.Discard, dir, ArchiveOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
