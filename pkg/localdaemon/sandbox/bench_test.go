package sandbox

import (
	"context"
	"io"
	"testing"
)

// BenchmarkExecTrue measures the cost of one exec round trip through the
// agent (socketpair, request, fork/exec in the VM, exit status).
func BenchmarkExecTrue(b *testing.B) {
	s := startVMB(b)
	ctx := context.Background()
	for b.Loop() {
		p, err := s.Exec(ctx, ExecSpec{Argv: []string{"/usr/bin/true"}})
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, p.Stdout)
		io.Copy(io.Discard, p.Stderr)
		if st, err := p.Wait(); err != nil || st.Code != 0 {
			b.Fatal(st, err)
		}
		p.Close()
	}
}

// BenchmarkStdoutThroughput streams 64 MiB out of the VM per iteration; the
// bytes go straight from the in-VM pipe to the daemon.
func BenchmarkStdoutThroughput(b *testing.B) {
	s := startVMB(b)
	ctx := context.Background()
	const size = 64 << 20
	b.SetBytes(size)
	for b.Loop() {
		p, err := s.Exec(ctx, ExecSpec{Argv: []string{"head", "-c", "67108864", "/dev/zero"}})
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, p.Stdout)
		io.Copy(io.Discard, p.Stderr)
		p.Wait()
		p.Close()
		if n != size {
			b.Fatalf("got %d bytes", n)
		}
	}
}

func startVMB(b *testing.B) *Sandbox {
	b.Helper()
	if err := CheckBwrap(); err != nil {
		b.Skipf("bubblewrap is needed: %v", err)
	}
	ctx := context.Background()
	s, err := Start(ctx, Config{Root: b.TempDir() + "/root", Hostname: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Stop(context.Background()) })
	return s
}
