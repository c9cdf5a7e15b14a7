package client_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
)

func sse(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		_, _ = w.Write([]byte(body))
	}
}

func TestWatchFSRequestAndParsing(t *testing.T) {
	stream := ":\n\n" + // heartbeat
		"id: 1\nevent: watch\ndata: {\"id\":1,\"type\":\"create\",\"path\":\"/tmp/a.txt\",\"timestamp\":\"2026-04-11T08:48:47.123456789Z\",\"size\":0,\"isDir\":false}\n\n" +
		": keep-alive\n" +
		"id: 5\nevent: watch\ndata:   {\"type\":\"write\",\"path\":\"/tmp/a.txt\",\n" + // id comes from the id: line; data split over two lines
		"data: \"size\":3,\"isDir\":false}\n\n" +
		"id: 6\ndata: {\"id\":6,\"type\":\"remove\",\"path\":\"/tmp/d\",\"isDir\":true}" // trailing block without blank line
	c, rec := newTestClient(t, sse(stream))
	req := client.SlicerFSWatchRequest{
		Paths: []string{"/tmp", " "}, Patterns: []string{"*.go"}, Events: []string{"write"}, UID: 1000,
		Recursive: true, OneShot: true, Debounce: "100ms", Timeout: " 5s ", MaxEvents: 3, LastEventID: " 7 ",
	}
	var got []client.SlicerFSWatchEvent
	for ev, err := range c.WatchFSIter(ctx(), "vm-1", req) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev)
	}
	r := rec.last(t)
	checkRequest(t, contractCase{method: "GET", path: "/vm/vm-1/fs/watch",
		query: "debounce=100ms&events=write&max_events=3&one_shot=true&paths=%2Ftmp&patterns=%2A.go&recursive=true&timeout=5s&uid=1000"}, r)
	expect(t, "Accept", r.Header.Get("Accept"), "text/event-stream")
	expect(t, "Last-Event-ID", r.Header.Get("Last-Event-ID"), "7")
	if len(got) != 3 {
		t.Fatalf("events = %+v", got)
	}
	expect(t, "first", got[0], client.SlicerFSWatchEvent{ID: 1, Type: "create", Path: "/tmp/a.txt", Timestamp: "2026-04-11T08:48:47.123456789Z"})
	expect(t, "id from id: line", got[1].ID, uint64(5))
	expect(t, "size", got[1].Size, int64(3))
	expect(t, "trailing", got[2].IsDir, true)
	ts, err := client.ParseFSWatchTimestamp(got[0].Timestamp)
	if err != nil || ts.Nanosecond() != 123456789 {
		t.Errorf("timestamp = %v, %v", ts, err)
	}
	if z, err := client.ParseFSWatchTimestamp(""); err != nil || !z.IsZero() {
		t.Errorf("empty timestamp = %v, %v", z, err)
	}
}

func TestWatchFSDecodeError(t *testing.T) {
	c, _ := newTestClient(t, sse("data: {not json\n\n"))
	events, errc := c.WatchFS(ctx(), "vm-1", client.SlicerFSWatchRequest{Paths: []string{"/"}})
	for range events {
		t.Error("unexpected event")
	}
	if err := <-errc; err == nil || !strings.Contains(err.Error(), "decode watch event") {
		t.Fatalf("err = %v", err)
	}
}

func TestWatchFSCancelAndBreak(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		for i := 1; ; i++ {
			if _, err := fmt.Fprintf(w, "id: %d\ndata: {\"id\":%d,\"type\":\"write\",\"path\":\"/x\"}\n\n", i, i); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Millisecond):
			}
		}
	}))
	defer srv.Close()
	c := client.NewSlicerClient(srv.URL, "", "", srv.Client())

	n := 0
	for _, err := range c.WatchFSIter(ctx(), "vm-1", client.SlicerFSWatchRequest{Paths: []string{"/x"}}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			break
		}
	}

	cctx, cancel := context.WithCancel(ctx())
	events, errc := c.WatchFS(cctx, "vm-1", client.SlicerFSWatchRequest{Paths: []string{"/x"}})
	<-events
	cancel()
	for range events {
	}
	if err := <-errc; err != context.Canceled {
		t.Fatalf("err after cancel = %v", err)
	}
}
