// Command benchtool is the helper bench/run.sh uses for work that neither
// slicer nor curl does: building a many-file tree, and a bulk TCP source and
// sink for the forward case. It is built twice by the script, once for the
// host and (the same static binary) copied into the VM, so the forward
// tunnel and the baseline are measured by the same client code against the
// same server.
//
//	benchtool mktree DIR FILES BYTES   write FILES files of BYTES bytes each
//	benchtool serve ADDR BYTES         send BYTES bytes to every connection
//	benchtool get ADDR BYTES           read one connection, print seconds and MB/s
//	benchtool relay LISTEN TARGET      copy every connection to TARGET and back
//
// serve and relay print the address they listen on (port 0 picks a free
// port) as their first line. An address is host:port or unix:/path.
package main

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	usage := errors.New("usage: benchtool mktree DIR FILES BYTES | serve ADDR BYTES | get ADDR BYTES | relay LISTEN TARGET")
	if len(args) < 3 {
		return usage
	}
	num := func(s string) (int64, error) {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("invalid count %q: want a non-negative integer", s)
		}
		return v, nil
	}
	switch {
	case args[0] == "mktree" && len(args) == 4:
		files, err := num(args[2])
		if err != nil {
			return err
		}
		size, err := num(args[3])
		if err != nil {
			return err
		}
		return mktree(args[1], int(files), size)
	case args[0] == "serve" && len(args) == 3:
		n, err := num(args[2])
		if err != nil {
			return err
		}
		return serve(args[1], n)
	case args[0] == "relay" && len(args) == 3:
		return relay(args[1], args[2])
	case args[0] == "get" && len(args) == 3:
		n, err := num(args[2])
		if err != nil {
			return err
		}
		return get(args[1], n)
	}
	return usage
}

// mktree writes files files of size bytes each under dir, 100 to a
// subdirectory, with pseudo-random (incompressible, reproducible) content.
func mktree(dir string, files int, size int64) error {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, size)
	for i := 0; i < files; i++ {
		sub := filepath.Join(dir, fmt.Sprintf("d%03d", i/100))
		if i%100 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return err
			}
		}
		for j := range buf {
			buf[j] = byte(rng.Uint32())
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%05d.dat", i)), buf, 0o644); err != nil {
			return err
		}
	}
	return nil
}

var block = make([]byte, 256<<10)

// network splits "unix:/path" from "host:port".
func network(addr string) (string, string) {
	if p, ok := strings.CutPrefix(addr, "unix:"); ok {
		return "unix", p
	}
	return "tcp", addr
}

// listen listens on addr and prints the bound address.
func listen(addr string) (net.Listener, error) {
	nw, a := network(addr)
	ln, err := net.Listen(nw, a)
	if err != nil {
		return nil, err
	}
	if ln.Addr().Network() == "unix" {
		fmt.Printf("unix:%s\n", ln.Addr())
	} else {
		fmt.Println(ln.Addr())
	}
	return ln, nil
}

// serveEach listens on addr (printing the bound address) and runs handle
// for every connection, in its own goroutine; handle's connection is closed
// after it.
func serveEach(addr string, handle func(net.Conn)) error {
	ln, err := listen(addr)
	if err != nil {
		return err
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			handle(c)
		}()
	}
}

func serve(addr string, n int64) error {
	return serveEach(addr, func(c net.Conn) {
		left := n
		for left > 0 {
			b := block
			if int64(len(b)) > left {
				b = b[:left]
			}
			w, err := c.Write(b)
			if err != nil {
				return
			}
			left -= int64(w)
		}
	})
}

// relay forwards every connection accepted on listen to target, copying
// with read and write through 256 KiB buffers (no splice): the plain relay
// that bench/run.sh chains to show what three socket hops cost on this
// machine, next to the forward tunnel.
func relay(listenAddr, target string) error {
	return serveEach(listenAddr, func(c net.Conn) {
		nw, a := network(target)
		t, err := net.Dial(nw, a)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchtool relay:", err)
			return
		}
		defer t.Close()
		done := make(chan struct{}, 2)
		pump := func(dst, src net.Conn) {
			// The structs hide ReadFrom and WriteTo, which would splice.
			_, _ = io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, make([]byte, 256<<10))
			done <- struct{}{}
		}
		go pump(t, c)
		go pump(c, t)
		<-done // either side ended: close both
	})
}

func get(addr string, n int64) error {
	start := time.Now()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	// io.Discard's ReadFrom reads in 8 KiB pieces (a buffer given to
	// io.CopyBuffer would be ignored). Reading 256 KiB at a time measured
	// the same on both sides (bench/README.md), so it stays as the earlier
	// rounds measured it.
	got, err := io.Copy(io.Discard, c)
	if err != nil {
		return err
	}
	if got != n {
		return fmt.Errorf("read %d bytes from %s, want %d", got, addr, n)
	}
	secs := time.Since(start).Seconds()
	fmt.Printf("%.6f %.1f\n", secs, float64(n)/secs/1e6)
	return nil
}
