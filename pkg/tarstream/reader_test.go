package tarstream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readerTree(t *testing.T) (string, map[string]string) {
	t.Helper()
	src := t.TempDir()
	want := map[string]string{}
	for i := range 40 {
		name := filepath.Join("d"+string(rune('a'+i%4)), "f"+strings.Repeat("x", i))
		body := strings.Repeat(string(rune('A'+i%26)), 1000*i)
		if err := os.MkdirAll(filepath.Join(src, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		want[filepath.ToSlash(name)] = body
	}
	return src, want
}

func checkExtracted(t *testing.T, archive io.Reader, want map[string]string) {
	t.Helper()
	dest := filepath.Join(t.TempDir(), "out")
	if _, err := ExtractToDir(context.Background(), archive, dest, ExtractOptions{}); err != nil {
		t.Fatal(err)
	}
	for name, body := range want {
		b, err := os.ReadFile(filepath.Join(dest, name))
		if err != nil || string(b) != body {
			t.Fatalf("%s: %d bytes, %v", name, len(b), err)
		}
	}
}

func TestArchiveReaderWriteToAndRead(t *testing.T) {
	src, want := readerTree(t)
	// WriteTo: what io.Copy picks.
	r := NewArchiveReader(context.Background(), src, ArchiveOptions{})
	var buf bytes.Buffer
	n, err := io.Copy(&buf, r)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("copy: %d %v", n, err)
	}
	if res, err := r.Wait(); err != nil || res.Files != 40 {
		t.Fatalf("wait: %+v %v", res, err)
	}
	if r.pr != nil {
		t.Fatal("io.Copy went through the pipe")
	}
	checkExtracted(t, &buf, want)
	if _, err := r.WriteTo(io.Discard); !errors.Is(err, ErrArchiveUsed) {
		t.Fatalf("second WriteTo: %v", err)
	}
	// Read: through the pipe.
	r = NewArchiveReader(context.Background(), src, ArchiveOptions{})
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := r.Wait(); err != nil || res.Files != 40 {
		t.Fatalf("wait: %+v %v", res, err)
	}
	checkExtracted(t, bytes.NewReader(b), want)
}

// net/http sends an ArchiveReader request body with WriteTo, and the server
// gets the whole archive.
func TestArchiveReaderAsRequestBody(t *testing.T) {
	src, want := readerTree(t)
	var got bytes.Buffer
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if _, err := io.Copy(&got, req.Body); err != nil {
			t.Error(err)
		}
	}))
	defer srv.Close()
	r := NewArchiveReader(context.Background(), src, ArchiveOptions{})
	resp, err := http.Post(srv.URL, "application/x-tar", r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, err := r.Wait(); err != nil {
		t.Fatal(err)
	}
	if r.pr != nil {
		t.Fatal("the transport read the body through the pipe")
	}
	checkExtracted(t, &got, want)
}

func TestArchiveReaderCloseAndWait(t *testing.T) {
	src, _ := readerTree(t)
	// Never consumed: Wait returns at once and nothing can start later.
	r := NewArchiveReader(context.Background(), src, ArchiveOptions{})
	if _, err := r.Wait(); err != nil {
		t.Fatalf("wait: %v", err)
	}
	if _, err := r.WriteTo(io.Discard); !errors.Is(err, ErrArchiveUsed) {
		t.Fatalf("WriteTo after Wait: %v", err)
	}
	if _, err := r.Read(make([]byte, 10)); !errors.Is(err, ErrArchiveUsed) {
		t.Fatalf("Read after Wait: %v", err)
	}
	// Closed while a piped archiver is blocked on its reader: it stops.
	r = NewArchiveReader(context.Background(), src, ArchiveOptions{})
	if _, err := r.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	r.Close()
	r.Close()
	done := make(chan error, 1)
	go func() { _, err := r.Wait(); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Wait after Close reported %v: the consumer stopped it", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return after Close")
	}
	// Closed while WriteTo writes: the archiver stops at its next check.
	r = NewArchiveReader(context.Background(), src, ArchiveOptions{})
	_, err := r.WriteTo(writerFunc(func(p []byte) (int, error) {
		r.Close()
		return len(p), nil
	}))
	if !errors.Is(err, context.Canceled) || !errors.Is(err, errConsumerGone) {
		t.Fatalf("WriteTo after Close: %v", err)
	}
	// A failed write is the consumer's doing too; a file that cannot be
	// read is not.
	r = NewArchiveReader(context.Background(), src, ArchiveOptions{})
	gone := errors.New("connection reset")
	if _, err := r.WriteTo(writerFunc(func([]byte) (int, error) { return 0, gone })); !errors.Is(err, gone) || !errors.Is(err, errConsumerGone) {
		t.Fatalf("failed write: %v", err)
	}
	if os.Getuid() != 0 {
		locked := filepath.Join(src, "da", "f")
		if err := os.Chmod(locked, 0); err != nil {
			t.Fatal(err)
		}
		r = NewArchiveReader(context.Background(), src, ArchiveOptions{})
		if _, err := r.WriteTo(io.Discard); err == nil || errors.Is(err, errConsumerGone) {
			t.Fatalf("unreadable file: %v", err)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
