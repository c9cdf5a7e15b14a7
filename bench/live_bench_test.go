package bench

import (
	"context"
	"io"
	"os"
	"testing"

	cmdexec "github.com/slicer-cli/slicer/cmd/exec"
	"github.com/slicer-cli/slicer/pkg/client"
)

// BenchmarkExecLive streams `head -c 64M /dev/zero` (or BENCH_CMD) from a
// running daemon through the CLI's exec path (cmd/exec.Stream), for
// profiling with -cpuprofile. It needs BENCH_SLICER_URL (the daemon's
// socket) and BENCH_VM; bench/run.sh measures the same path end to end.
func BenchmarkExecLive(b *testing.B) {
	url, vm := os.Getenv("BENCH_SLICER_URL"), os.Getenv("BENCH_VM")
	if url == "" || vm == "" {
		b.Skip("set BENCH_SLICER_URL and BENCH_VM to a running daemon and VM")
	}
	c := client.NewSlicerClient(url, "", "slicer-bench", nil)
	script := os.Getenv("BENCH_CMD")
	if script == "" {
		script = "head -c 64M /dev/zero"
		b.SetBytes(64 << 20)
	}
	for i := 0; i < b.N; i++ {
		req := client.SlicerExecRequest{Command: script, Shell: "/bin/bash", UID: client.NonRootUser, GID: client.NonRootUser, Stdio: client.ExecStdioBase64}
		res, err := cmdexec.Stream(context.Background(), c, vm, req, nil, io.Discard, io.Discard)
		if err != nil || res.ExitCode != 0 {
			b.Fatal(res, err)
		}
	}
}
