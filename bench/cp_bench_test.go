package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/tarstream"
)

// makeTree writes files files of size bytes, 100 to a directory.
func makeTree(b *testing.B, files, size int) string {
	dir := b.TempDir()
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for i := 0; i < files; i++ {
		sub := filepath.Join(dir, fmt.Sprintf("d%03d", i/100))
		if i%100 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				b.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%05d.dat", i)), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// BenchmarkCpUploadTree measures the client side of a many-file upload:
// walking and archiving the tree and streaming it to a stub daemon that
// discards the body.
func BenchmarkCpUploadTree(b *testing.B) {
	const files, size = 2000, 4096
	dir := makeTree(b, files, size)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	c := client.NewSlicerClient(srv.URL, "", "slicer-bench", srv.Client())
	b.SetBytes(files * size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.CpToVM(context.Background(), "vm-1", dir, "/tmp/tree", 0, 0, "", client.CpModeTar); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExtractTree measures the client side of a many-file download:
// extracting a tar stream of the tree (held in memory) into a fresh
// directory with tarstream, as `slicer cp -r VM:dir .` does.
func BenchmarkExtractTree(b *testing.B) {
	const files, size = 2000, 4096
	dir := makeTree(b, files, size)
	var buf bytes.Buffer
	if _, err := tarstream.ArchivePath(context.Background(), &buf, dir, tarstream.ArchiveOptions{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(files * size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst := filepath.Join(b.TempDir(), "out")
		if _, err := tarstream.ExtractToDir(context.Background(), bytes.NewReader(buf.Bytes()), dst, tarstream.ExtractOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
