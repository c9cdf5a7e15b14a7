//go:build unix

package tarstream

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestExtractReadAhead runs an archive longer than several batches through
// the two extraction goroutines: small files read ahead, files above
// readAheadFile written by the reading goroutine between them, directories,
// skipped and excluded entries. Contents, counts and the order of the skip reports must be those
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
			case i%50 == 7: // over readAheadFile
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

// TestExtractReadAheadStops fails the writing goroutine while the reading
// one waits on a stalled stream: Extract returns the error once the stream
// ends (here it is closed a moment later, as a peer would time out), and no
// goroutine is left behind: nothing reads r after Extract returns.
func TestExtractReadAheadStops(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	// The third file is over the per-file limit; the archive then stalls.
	data := buildTar(t, file("a", "1"), file("b", "2"), file("c", strings.Repeat("x", 100)), file("d", "4"))
	r := &blockingReader{data: bytes.NewReader(data[:len(data)-1024]), closed: make(chan struct{})}
	go func() {
		time.Sleep(100 * time.Millisecond)
		close(r.closed)
	}()
	dest := filepath.Join(t.TempDir(), "out")
	_, err := ExtractToDir(context.Background(), r, dest, ExtractOptions{MaxFileSize: 10})
	if err == nil || !strings.Contains(err.Error(), "per-file limit") {
		t.Fatalf("err = %v, want the per-file limit", err)
	}
	if _, serr := os.Lstat(dest); serr == nil {
		t.Error("destination left behind")
	}
}

// TestExtractReadAheadLargeFiles interleaves files written by the reading
// goroutine (over readAheadFile) with small ones, and ends the archive in
// the middle of a large one: the entries before it are written, the
// error names the short file, and nothing is left in a fresh destination.
func TestExtractReadAheadLargeFiles(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", readAheadFile/16+100)
	ents := []ent{file("s1", "small"), file("b1", big), file("s2", "small"), file("b2", big), file("s3", "x")}
	dest := filepath.Join(t.TempDir(), "out")
	if _, err := ExtractToDir(context.Background(), bytes.NewReader(buildTar(t, ents...)), dest, ExtractOptions{}); err != nil {
		t.Fatal(err)
	}
	got := destTree(t, dest)
	if got["b1"] != big || got["b2"] != big || got["s2"] != "small" || got["s3"] != "x" {
		t.Fatalf("contents differ: %d entries", len(got))
	}
	cut := buildTar(t, file("s1", "small"), ent{name: "b1", typ: '0', body: big[:1000], size: int64(len(big)), mode: 0o644})
	dest2 := filepath.Join(t.TempDir(), "out")
	_, err := ExtractToDir(context.Background(), bytes.NewReader(cut), dest2, ExtractOptions{})
	if err == nil || !strings.Contains(err.Error(), "b1") {
		t.Fatalf("err = %v, want an error naming b1", err)
	}
	if _, serr := os.Lstat(dest2); serr == nil {
		t.Error("destination left behind")
	}
}
