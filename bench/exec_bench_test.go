package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
)

// ndjsonStream is an exec response body carrying total bytes of output in
// chunk-sized base64 stdout frames, shaped like the daemon's.
func ndjsonStream(b *testing.B, total, chunk int, line bool) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	frame := func(f client.SlicerExecWriteResult) {
		if err := enc.Encode(f); err != nil {
			b.Fatal(err)
		}
	}
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 123456789, time.UTC)
	frame(client.SlicerExecWriteResult{Type: "started", Timestamp: t0, Pid: 7, StartedAt: t0})
	data := make([]byte, chunk)
	for i := range data {
		data[i] = byte(i)
		if line && i%8 == 7 {
			data[i] = '\n'
		}
	}
	for sent := 0; sent < total; sent += chunk {
		frame(client.SlicerExecWriteResult{Type: "stdout", Timestamp: t0, Encoding: "base64", Data: base64.StdEncoding.EncodeToString(data)})
	}
	frame(client.SlicerExecWriteResult{Type: "exit", Timestamp: t0, Pid: 7, EndedAt: t0})
	return buf.Bytes()
}

// BenchmarkExecStream measures the client side of exec output: reading the
// NDJSON stream from a stub daemon, JSON and base64 decoding, delivery of
// the frames, through the SDK's channel (ExecWithReader) and through ExecTo
// (what `slicer exec` uses). SetBytes is the decoded output, so MB/s
// compares with the exec case of bench/run.sh.
func BenchmarkExecStream(b *testing.B) {
	for _, tc := range []struct {
		name  string
		chunk int
	}{{"chunk=32KiB", 32 << 10}, {"chunk=64B", 64}} {
		b.Run("api=ExecTo/"+tc.name, func(b *testing.B) {
			const total = 16 << 20
			body := ndjsonStream(b, total, tc.chunk, tc.chunk < 1024)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/x-ndjson")
				_, _ = w.Write(body)
			}))
			defer srv.Close()
			c := client.NewSlicerClient(srv.URL, "", "slicer-bench", srv.Client())
			b.SetBytes(total)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				n := 0
				err := c.ExecTo(context.Background(), "vm-1", client.SlicerExecRequest{Command: "true", Stdio: "base64"}, nil,
					func(f *client.SlicerExecWriteResult, o client.ExecOutput) bool {
						n += len(o.Data)
						_, _ = io.Discard.Write(o.Data)
						return true
					})
				if err != nil {
					b.Fatal(err)
				}
				if n < total {
					b.Fatalf("got %d bytes, want %d", n, total)
				}
			}
		})
		b.Run("api=ExecWithReader/"+tc.name, func(b *testing.B) {
			const total = 16 << 20
			body := ndjsonStream(b, total, tc.chunk, tc.chunk < 1024)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/x-ndjson")
				_, _ = w.Write(body)
			}))
			defer srv.Close()
			c := client.NewSlicerClient(srv.URL, "", "slicer-bench", srv.Client())
			b.SetBytes(total)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				frames, err := c.ExecWithReader(context.Background(), "vm-1", client.SlicerExecRequest{Command: "true", Stdio: "base64"}, nil)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for f := range frames {
					if f.Error != "" {
						b.Fatal(f.Error)
					}
					n += len(f.Data)
					_, _ = io.WriteString(io.Discard, f.Data)
				}
				if n < total {
					b.Fatalf("got %d bytes, want %d", n, total)
				}
			}
		})
	}
}
