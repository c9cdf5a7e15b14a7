package localdaemon_test

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
	"github.com/slicer-cli/slicer/pkg/localdaemon"
	"github.com/slicer-cli/slicer/pkg/localdaemon/localdaemontest"
)

func TestWatch(t *testing.T) {
	_, c := setup(t)
	ctx := ctxT(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	sh(t, c, vm, "mkdir -p ~/w/sub")

	ch, errc := c.WatchFS(ctx, vm, client.SlicerFSWatchRequest{
		Paths: []string{"/home/ubuntu/w"}, Recursive: true, Patterns: []string{"*.go"}, Events: []string{"create", "write"},
		MaxEvents: 2, Debounce: "50ms", Timeout: "20s",
	})
	time.Sleep(200 * time.Millisecond)
	sh(t, c, vm, "touch ~/w/ignored.txt; mkdir ~/w/sub/new; sleep 0.2; echo x > ~/w/sub/new/a.go")
	var got []client.SlicerFSWatchEvent
	for ev := range ch {
		got = append(got, ev)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Path != "/home/ubuntu/w/sub/new/a.go" || got[0].Type != "create" || got[1].Type != "write" || got[0].ID != 1 || got[1].ID != 2 {
		t.Fatalf("events = %+v", got)
	}
	if _, err := client.ParseFSWatchTimestamp(got[0].Timestamp); err != nil {
		t.Fatal(err)
	}

	// one_shot ends after the first event; a watched file reports remove.
	sh(t, c, vm, "echo 1 > ~/w/file")
	ch, errc = c.WatchFS(ctx, vm, client.SlicerFSWatchRequest{Paths: []string{"~/w/file"}, OneShot: true, Events: []string{"remove"}, Debounce: "0s"})
	time.Sleep(200 * time.Millisecond)
	sh(t, c, vm, "rm ~/w/file")
	n := 0
	for ev := range ch {
		n++
		if ev.Type != "remove" || ev.Path != "/home/ubuntu/w/file" {
			t.Fatalf("event %+v", ev)
		}
	}
	if err := <-errc; err != nil || n != 1 {
		t.Fatalf("one_shot: %d events, %v", n, err)
	}

	// timeout closes an idle stream; bad input is 400; a missing path 404.
	start := time.Now()
	ch, errc = c.WatchFS(ctx, vm, client.SlicerFSWatchRequest{Paths: []string{"/home/ubuntu/w"}, Timeout: "300ms"})
	for range ch {
	}
	if err := <-errc; err != nil || time.Since(start) > 10*time.Second {
		t.Fatalf("timeout: %v after %s", err, time.Since(start))
	}
	for _, req := range []client.SlicerFSWatchRequest{
		{Paths: []string{"/home/ubuntu/w"}, Events: []string{"explode"}},
		{Paths: []string{"/home/ubuntu/w"}, Debounce: "soon"},
		{Paths: []string{"/home/ubuntu/w"}, LastEventID: "x"},
		{Paths: []string{"/home/ubuntu/nope"}},
	} {
		ch, errc := c.WatchFS(ctx, vm, req)
		for range ch {
		}
		if err := <-errc; err == nil {
			t.Errorf("watch %+v accepted", req)
		}
	}
}

func TestWatchHeartbeat(t *testing.T) {
	d := localdaemontest.Start(t, func(o *localdaemon.Options) { o.HeartbeatInterval = 100 * time.Millisecond })
	c := client.NewSlicerClient(d.URL, "", "", nil)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{})
	req, _ := http.NewRequest("GET", "http://unix/vm/"+vm+"/fs/watch?paths=%2Ftmp&timeout=2s", nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Last-Event-ID", "7")
	resp := doRaw(t, d, req)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("watch: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != ":\n" {
		t.Fatalf("first line %q %v", line, err)
	}
	// An event block has id, event and data lines.
	sh(t, c, vm, "touch /tmp/hb")
	var block []string
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if l == ":\n" || (l == "\n" && len(block) == 0) {
			continue
		}
		if l == "\n" {
			break
		}
		block = append(block, strings.TrimSuffix(l, "\n"))
	}
	if len(block) != 3 || block[0] != "id: 1" || block[1] != "event: watch" || !strings.HasPrefix(block[2], `data: {"id":1,"type":"create","path":"/tmp/hb"`) {
		t.Fatalf("block = %q", block)
	}
}
