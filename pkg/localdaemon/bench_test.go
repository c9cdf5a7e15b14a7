package localdaemon_test

import (
	"context"
	"io"
	"testing"

	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/localdaemon/localdaemontest"
)

// zeroReader yields n zero bytes without holding them.
type zeroReader struct{ n int64 }

func (z *zeroReader) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > z.n {
		p = p[:z.n]
	}
	clear(p)
	z.n -= int64(len(p))
	return len(p), nil
}

// BenchmarkCopy measures binary uploads and downloads through the daemon
// (client and daemon in one process: B/op covers both and stays flat in the
// file size because both sides stream).
func BenchmarkCopy(b *testing.B) {
	d := localdaemontest.Start(b)
	c := client.NewSlicerClient(d.URL, "", "", nil)
	ctx := context.Background()
	resp, err := c.CreateVMWithOptions(ctx, "vm", client.SlicerCreateNodeRequest{}, client.SlicerCreateNodeOptions{Wait: client.SlicerCreateNodeWaitAgent})
	if err != nil {
		b.Fatal(err)
	}
	const size = 64 << 20
	b.Run("upload", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := c.CpToVMFromReader(ctx, resp.Hostname, &zeroReader{size}, "/home/ubuntu/big", 1000, 1000, "", "binary"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("download", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := c.CpFromVMToWriter(ctx, resp.Hostname, "/home/ubuntu/big", io.Discard, "binary"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("exec-stdout", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			ch, err := c.ExecWithReader(ctx, resp.Hostname, client.SlicerExecRequest{Command: "head", Args: []string{"-c", "67108864", "/dev/zero"}, UID: 1000, GID: 1000, Stdio: "base64"}, nil)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for f := range ch {
				n += len(f.Data)
			}
			if n == 0 {
				b.Fatal("no output")
			}
		}
	})
}
