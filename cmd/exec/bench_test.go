package exec

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/client/clienttest"
)

// BenchmarkStream measures exec's frame handling: 64 KiB output frames
// copied to stdout (bytes/s and allocations per frame).
func BenchmarkStream(b *testing.B) {
	chunk := string(bytes.Repeat([]byte("x"), 64<<10))
	fake := &clienttest.Fake{
		ExecWithReaderFunc: func(ctx context.Context, _ string, _ client.SlicerExecRequest, _ io.Reader) (chan client.SlicerExecWriteResult, error) {
			ch := make(chan client.SlicerExecWriteResult, 16)
			go func() {
				defer close(ch)
				for i := 0; i < 64; i++ {
					ch <- client.SlicerExecWriteResult{Type: "stdout", Data: chunk}
				}
				ch <- client.SlicerExecWriteResult{Type: "exit"}
			}()
			return ch, nil
		},
	}
	b.SetBytes(64 * 64 << 10)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Stream(context.Background(), fake, "vm", client.SlicerExecRequest{}, nil, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPrefixWriter measures the fan-out line prefixer on 80-byte lines.
func BenchmarkPrefixWriter(b *testing.B) {
	data := bytes.Repeat(append(bytes.Repeat([]byte("y"), 79), '\n'), 1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	w := NewPrefixWriter(io.Discard, "[vm-1] ")
	for i := 0; i < b.N; i++ {
		_, _ = w.Write(data)
	}
}
