package client_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/slicer-cli/slicer/pkg/client"
)

// execToFrame is what one ExecTo callback saw, copied out of the reused
// buffers.
type execToFrame struct {
	F                    client.SlicerExecWriteResult
	Data, Stdout, Stderr string
}

func collectExecTo(t *testing.T, c *client.SlicerClient, req client.SlicerExecRequest, stdin io.Reader) ([]execToFrame, error) {
	t.Helper()
	var got []execToFrame
	err := c.ExecTo(ctx(), "vm-1", req, stdin, func(f *client.SlicerExecWriteResult, o client.ExecOutput) bool {
		got = append(got, execToFrame{*f, string(o.Data), string(o.Stdout), string(o.Stderr)})
		return true
	})
	return got, err
}

// ExecTo sends ExecWithReader's request and sees the same frames, with the
// output moved into bytes.
func TestExecToMatchesExecWithReader(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef\n"), 20000) // > one 256 KiB read buffer once encoded
	frames := append([]string{typedFrames[0],
		`{"type":"stdout","encoding":"base64","data":"` + base64.StdEncoding.EncodeToString(big) + `","exit_code":0}`,
		`{"timestamp":"2026-04-11T08:48:47Z","stdout":"legacy \"out\"\n","stderr":"legacy err","exit_code":0}`,
		`{"type":"stdout","data":"text \u00e9","exit_code":0}`},
		typedFrames[1:]...)
	c, rec := newTestClient(t, ndjson(frames...))
	req := client.SlicerExecRequest{Command: "cat", UID: client.NonRootUser, Stdin: true}
	got, err := collectExecTo(t, c, req, strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	checkRequest(t, contractCase{method: "POST", path: "/vm/vm-1/exec", body: "hello",
		query: "cmd=cat&gid=0&stdin=true&stdio=base64&uid=4294967295"}, rec.last(t))

	ch, err := c.ExecWithReader(ctx(), "vm-1", req, strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	var want []execToFrame
	for f := range ch {
		w := execToFrame{Data: f.Data, Stdout: f.Stdout, Stderr: f.Stderr}
		f.Data, f.Stdout, f.Stderr = "", "", ""
		w.F = f
		want = append(want, w)
	}
	if len(want) != 7 {
		t.Fatalf("ExecWithReader gave %d frames", len(want))
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ExecTo frames differ from ExecWithReader's:\n got  %+v\n want %+v", got, want)
	}
	if got[1].Data != string(big) || got[6].F.ExitCode != 3 {
		t.Fatalf("frames %+v", got)
	}

	// Like ExecWithReader, a reader without execReq.Stdin sends no stdin.
	if _, err := collectExecTo(t, c, client.SlicerExecRequest{Command: "cat"}, strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	checkRequest(t, contractCase{method: "POST", path: "/vm/vm-1/exec",
		query: "cmd=cat&gid=0&stdio=base64&uid=0"}, rec.last(t))
}

func TestExecToStops(t *testing.T) {
	// After the first frame with an error or a non-zero exit code.
	c, _ := newTestClient(t, ndjson(`{"error":"not found","exit_code":127}`, `{"type":"stdout","data":"x","exit_code":0}`))
	got, err := collectExecTo(t, c, client.SlicerExecRequest{Command: "nope"}, nil)
	if err != nil || len(got) != 1 || got[0].F.ExitCode != 127 || got[0].F.Error != "not found" {
		t.Fatalf("frames %+v, err %v", got, err)
	}
	// When fn says so.
	c, _ = newTestClient(t, ndjson(typedFrames...))
	n := 0
	err = c.ExecTo(ctx(), "vm-1", client.SlicerExecRequest{Command: "x"}, nil, func(*client.SlicerExecWriteResult, client.ExecOutput) bool {
		n++
		return n < 2
	})
	if err != nil || n != 2 {
		t.Fatalf("n = %d, err %v", n, err)
	}
}

func TestExecToErrors(t *testing.T) {
	// A start failure comes back as the API error.
	c, _ := newTestClient(t, replyJSON(http.StatusConflict, `{"error":"VM is paused"}`))
	_, err := collectExecTo(t, c, client.SlicerExecRequest{Command: "x"}, nil)
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusConflict || errors.Is(err, client.ErrExecStream) {
		t.Fatalf("err = %v", err)
	}

	// A stream cut off mid-frame, and bad base64, are stream errors.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		fmt.Fprintln(w, `{"type":"started","pid":1,"exit_code":0}`)
		fmt.Fprint(w, `{"type":"stdout","data":"partial`)
		w.(http.Flusher).Flush()
		conn, _, _ := http.NewResponseController(w).Hijack()
		conn.Close()
	}))
	defer srv.Close()
	got, err := collectExecTo(t, client.NewSlicerClient(srv.URL, "", "", srv.Client()), client.SlicerExecRequest{Command: "x"}, nil)
	if !errors.Is(err, client.ErrExecStream) || len(got) != 1 {
		t.Fatalf("frames %+v, err = %v, want ErrExecStream", got, err)
	}
	c, _ = newTestClient(t, ndjson(`{"type":"stdout","encoding":"base64","data":"not base64!","exit_code":0}`))
	if _, err := collectExecTo(t, c, client.SlicerExecRequest{Command: "x"}, nil); !errors.Is(err, client.ErrExecStream) || !strings.Contains(err.Error(), "base64") {
		t.Fatalf("err = %v", err)
	}

	// A cancelled context returns its error.
	started := make(chan struct{})
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		fmt.Fprintln(w, `{"type":"started","pid":1,"exit_code":0}`)
		w.(http.Flusher).Flush()
		close(started)
		<-r.Context().Done()
	}))
	defer srv2.Close()
	cctx, cancel := context.WithCancel(ctx())
	go func() { <-started; cancel() }()
	err = client.NewSlicerClient(srv2.URL, "", "", srv2.Client()).ExecTo(cctx, "vm-1", client.SlicerExecRequest{Command: "x"}, nil,
		func(*client.SlicerExecWriteResult, client.ExecOutput) bool { return true })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
