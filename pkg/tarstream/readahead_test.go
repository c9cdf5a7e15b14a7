//go:build unix

package tarstream

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestExtractReadAhead runs an archive longer than several batches through
// the two extraction goroutines: small files read ahead, files above
// readAheadFile streamed between them, directories, skipped and excluded
// entries. Contents, counts and the order of the skip reports must be those
// of the archive.
func TestExtractReadAhead(t *testing.T) {
	var ents []ent
	want := map[string]string{}
	var wantSkips []string
	for d := range 5 {
		dir := fmt.Sprintf("d%d", d)
		ents = append(ents, dirE(dir))
		want[dir] = "dir"
		for i := range 150 {
			name := fmt.Sprintf("%s/f%03d", dir, i)
			body := strings.Repeat(string(rune('a'+i%26)), 100+i*7)
			switch {
			case i%50 == 7: // streamed
				body = strings.Repeat(name, readAheadFile/len(name)+10)
			case i%40 == 3:
				ents = append(ents, symlink(name+".link", "elsewhere"))
				wantSkips = append(wantSkips, name+".link")
			case i%60 == 5:
				ents = append(ents, file(name+".skipme", "excluded"))
			}
			ents = append(ents, file(name, body))
			want[name] = body
		}
	}
	data := buildTar(t, ents...)
	dest := filepath.Join(t.TempDir(), "out")
	var skips []string
	res, err := ExtractToDir(context.Background(), bytes.NewReader(data), dest, ExtractOptions{
		Excludes: []string{"*.skipme"},
		OnSkip:   func(s Skip) { skips = append(skips, s.Name) },
	})
	if err != nil {
		t.Fatal(err)
	}
	got := destTree(t, dest)
	for name, body := range want {
		if body != "dir" && got[name] != body {
			t.Fatalf("%s: got %d bytes, want %d", name, len(got[name]), len(body))
		}
	}
	if res.Files != 750 || !slices.Equal(skips, wantSkips) {
		t.Errorf("files %d (want 750), skips %v (want %v)", res.Files, skips, wantSkips)
	}
}

// blockingReader serves data, then blocks until closed, like a connection
// whose peer stops sending.
type blockingReader struct {
	data   *bytes.Reader
	closed chan struct{}
}

func (b *blockingReader) Read(p []byte) (int, error) {
	if b.data.Len() > 0 {
		return b.data.Read(p)
	}
	<-b.closed
	return 0, io.ErrClosedPipe
}

// TestExtractReadAheadStops fails the writing side while the reading side
// waits on a stalled stream: Extract returns the error at once, and the
// reading goroutine ends as soon as the stream is closed (what the callers
// do when Extract returns).
func TestExtractReadAheadStops(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	// The third file is over the per-file limit; the archive then stalls.
	data := buildTar(t, file("a", "1"), file("b", "2"), file("c", strings.Repeat("x", 100)), file("d", "4"))
	r := &blockingReader{data: bytes.NewReader(data[:len(data)-1024]), closed: make(chan struct{})}
	dest := filepath.Join(t.TempDir(), "out")
	_, err := ExtractToDir(context.Background(), r, dest, ExtractOptions{MaxFileSize: 10})
	if err == nil || !strings.Contains(err.Error(), "per-file limit") {
		t.Fatalf("err = %v, want the per-file limit", err)
	}
	close(r.closed)
}
