// Package bench holds the Go benchmarks of bench/run.sh. Run them with
//
//	go test -run '^$' -bench . -benchmem ./bench/
//
// They only run under -bench, so `go test ./...` stays fast.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/cmd/cmdutil"
	"github.com/slicer-cli/slicer/cmd/vm"
	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/iostreams"
)

// listSizes are the VM counts of BenchmarkList; BENCH_LIST_SIZES overrides
// them (comma-separated).
func listSizes(b *testing.B) []int {
	spec := os.Getenv("BENCH_LIST_SIZES")
	if spec == "" {
		spec = "1000,10000,100000"
	}
	var out []int
	for _, s := range strings.Split(spec, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			b.Fatalf("BENCH_LIST_SIZES: invalid size %q", s)
		}
		out = append(out, n)
	}
	return out
}

// nodesJSON is the GET /nodes body of n VMs, shaped like a real daemon's.
func nodesJSON(b *testing.B, n int) []byte {
	created := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	nodes := make([]client.SlicerNode, n)
	for i := range nodes {
		nodes[i] = client.SlicerNode{
			Hostname:   fmt.Sprintf("vm-%d", i+1),
			HostGroup:  "vm",
			IP:         fmt.Sprintf("192.168.%d.%d", (i/250)%250, i%250+2),
			RamBytes:   4 << 30,
			CPUs:       2,
			CreatedAt:  created.Add(time.Duration(i) * time.Second),
			Arch:       "x86_64",
			Tags:       []string{"name=web-" + strconv.Itoa(i), "env=bench"},
			Status:     "Running",
			Persistent: i%2 == 0,
		}
	}
	body, err := json.Marshal(nodes)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkList renders `slicer vm list` for n VMs served by a stub daemon,
// through the real client (HTTP, JSON decoding) and the real command.
func BenchmarkList(b *testing.B) {
	for _, format := range []string{"table", "json"} {
		for _, n := range listSizes(b) {
			b.Run(fmt.Sprintf("%s/n=%d", format, n), func(b *testing.B) {
				body := nodesJSON(b, n)
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path != "/nodes" {
						http.NotFound(w, r)
						return
					}
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write(body)
				}))
				defer srv.Close()
				c := client.NewSlicerClient(srv.URL, "", "slicer-bench", srv.Client())
				ios, _, _, _ := iostreams.Test()
				out := &countWriter{}
				ios.Out = out
				f := &cmdutil.Factory{
					IOStreams: ios,
					Client:    func() (client.Interface, error) { return c, nil },
				}
				args := []string{"-o", format}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					cmd := vm.NewCmdList(f, nil)
					cmd.SetArgs(args)
					cmd.SetOut(io.Discard)
					cmd.SetErr(io.Discard)
					if err := cmd.ExecuteContext(context.Background()); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				if out.lines < int64(n) {
					b.Fatalf("rendered %d lines for %d VMs", out.lines/int64(b.N), n)
				}
			})
		}
	}
}

// countWriter discards output but counts lines, to check every VM was
// rendered without buffering the output.
type countWriter struct{ lines int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.lines += int64(bytes.Count(p, []byte{'\n'}))
	return len(p), nil
}
